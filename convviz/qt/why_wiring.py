"""Where it looked, joined to the rest of the window (an EXTENSIONS entry of panel_registry): the
panel's map over the canvas, a click on a vote bar explains that class, a click on a feature map
picks the convolution Grad-CAM weighs. It lives outside panels/ because it joins three panels,
and panels do not import each other (the import contracts in pyproject.toml).

What if, by direct clicks: a click on a kernel opens the feature editor on it, a click on a map
(in the feature maps' "Switch off" mode) or on a neuron's "why" bar in the votes switches it off;
all go through the one what-if model and its one Undo/Reset (whatif_controls.py). Every panel is
told what is edited, and the votes draw what the unedited network said.
"""

from __future__ import annotations

from .panels.feature_maps import FeatureMapsPanel
from .panels.kernels import KernelsPanel
from .panels.votes.panel import VotesPanel


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
    connect_what_if(window)


def connect_what_if(window) -> None:
    """Clicks in the kernels, feature maps and votes panels edit the network through the why
    panel's what-if controls; each of them shows what is edited."""
    panel = window.panels.get("why")
    whatif = getattr(panel, "whatif", None)
    if whatif is None:
        return
    kernels, maps, votes = (window.panels.get(k) for k in ("kernels", "feature_maps", "votes"))
    marked = []
    if isinstance(kernels, KernelsPanel):
        kernels.kernel_clicked.connect(whatif.edit_kernel_at)
        marked.append(kernels.set_edited)
    if isinstance(maps, FeatureMapsPanel):
        maps.switch_off_clicked.connect(whatif.switch_off_shown)
        marked.append(maps.set_edited)
    if isinstance(votes, VotesPanel):
        votes.input_clicked.connect(whatif.switch_off_vote_input)
        marked.append(lambda edited: votes.set_what_if(whatif.unedited_votes, edited))
    for mark in marked:
        whatif.edited_changed.connect(mark)
    whatif.refused.connect(window.tell)
