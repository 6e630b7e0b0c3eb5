"""The docks the main window builds, one line each.

To add a panel, append a PanelEntry: the factory is a "module:Class" string, imported only after
the window is on screen (so pyqtgraph and friends never slow the start), and called with the
Session. The panel then receives plain calls, each optional (define only what it needs):

    set_model(spec, snapshot)   the architecture changed (snapshot may be None while loading)
    show_weights(snapshot)      new weights: {state_dict key: numpy array}, a CPU copy; a
                                show_trace of the drawing under these weights always follows
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
    # The deck's step-by-step views and the architecture: tabs behind the feature maps, so the
    # first look stays calm. One tab group only: Qt 6.11 paints a stale copy of the first
    # group's tab bar once a second group exists.
    PanelEntry("filtering", "Filtering", "convviz.qt.filtering_panel:FilteringPanel", "right",
               tabify_with="feature_maps"),
    PanelEntry("pooling", "Pooling", "convviz.qt.pooling_panel:PoolingPanel", "right",
               tabify_with="filtering"),
    PanelEntry("relu", "ReLU", "convviz.qt.relu_view:ReluView", "right", tabify_with="pooling"),
    PanelEntry("architecture", "Architecture", "convviz.qt.architecture_panel:ArchitecturePanel",
               "right", tabify_with="relu"),
    # Training: the backprop table and (once a run ends) the results as tabs of the one group;
    # the loss plot below that group while a run goes, so the canvas keeps its size.
    PanelEntry("backprop", "Backprop", "convviz.qt.training_wiring:make_backprop_view", "right",
               tabify_with="architecture"),
    PanelEntry("why", "Where it looked", "convviz.qt.why_panel:WhyPanel", "right",
               tabify_with="backprop"),  # where it looked, fool it, what if: why_panel.py
    # (before the hidden Results dock: a tab added after a hidden one could not be raised)
    PanelEntry("results", "Results", "convviz.qt.training_wiring:make_results", "right",
               visible=False, tabify_with="backprop"),
    PanelEntry("training", "Training", "convviz.qt.training_wiring:make_training_panel", "right",
               visible=False),
]

EXTENSIONS: list[str] = [
    "convviz.qt.deck_wiring:connect_architecture",  # Apply builds the network; Train asks
    "convviz.qt.training_wiring:connect_training",  # the Train menu, the run, closing mid-run
    "convviz.qt.why_panel:connect_canvas_overlay",  # where it looked, over the canvas
]


def resolve(path: str):
    """"package.module:Name" -> the object."""
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)
