"""The docks the main window builds, one line each.

To add a panel, append a PanelEntry: the factory is a "module:Class" string, imported only after
the window is on screen (so pyqtgraph and friends never slow the start), and called with the
Session. The panel then receives plain calls, each optional (define only what it needs):

    set_model(spec, snapshot)   the architecture changed (snapshot may be None while loading)
    show_weights(snapshot)      new weights: {state_dict key: numpy array}, a CPU copy
    show_trace(trace)           the network's reading of the newest drawing (core Trace)

Anything else (starting training, changing the spec) it does through the Session it was given.
EXTENSIONS are "module:function" strings called with the MainWindow once every panel exists,
e.g. to put actions into `window.train_menu`.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass


@dataclass(frozen=True)
class PanelEntry:
    key: str  # the dock's objectName: stable, it names the dock in the saved layout
    title: str
    factory: str  # "package.module:Callable", called as Callable(session) -> QWidget
    area: str = "right"  # left, right, top or bottom of the canvas
    visible: bool = True  # shown in a fresh (or reset) layout
    tabify_with: str | None = None  # key of a dock to stack this one with, as a tab


PANELS: list[PanelEntry] = [
    PanelEntry("votes", "Votes", "convviz.qt.votes_panel:VotesPanel", "left"),
    PanelEntry("kernels", "Features (kernels)", "convviz.qt.kernels_panel:KernelsPanel", "left"),
    PanelEntry("feature_maps", "Feature maps", "convviz.qt.feature_maps_panel:FeatureMapsPanel",
               "right"),
]

EXTENSIONS: list[str] = []


def resolve(path: str):
    """"package.module:Name" -> the object."""
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)
