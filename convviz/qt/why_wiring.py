"""Where it looked, joined to the rest of the window (an EXTENSIONS entry of panel_registry): the
panel's map over the canvas, a click on a vote bar explains that class, a click on a feature map
picks the convolution Grad-CAM weighs. It lives outside panels/ because it joins three panels,
and panels do not import each other (the import contracts in pyproject.toml).
"""

from __future__ import annotations

from .panels.feature_maps import FeatureMapsPanel
from .panels.votes import VotesPanel


def connect_canvas_overlay(window) -> None:
    """EXTENSIONS entry: the panel's map, when asked for, drawn over the window's canvas; a
    click on a class's vote bar explains that class; a click on a map in the feature maps
    makes its convolution the one Grad-CAM weighs."""
    panel = window.panels.get("why")
    if panel is None:
        return
    panel.overlay_changed.connect(window.canvas_panel.view.set_overlay)
    votes = window.panels.get("votes")
    if isinstance(votes, VotesPanel):
        votes.class_clicked.connect(lambda k: panel.class_box.setCurrentIndex(k + 1))
    maps = window.panels.get("feature_maps")
    if isinstance(maps, FeatureMapsPanel):
        maps.view.clicked.connect(lambda layer, _index: panel.choose_layer(layer))
