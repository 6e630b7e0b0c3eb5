"""The docks the main window builds, one line each.

To add a panel, append a PanelEntry: the factory is a "module:Class" string, imported only after
the window is on screen (so pyqtgraph and friends never slow the start), and called with the
Session. The panel must keep panel_contract.Panel (set_model, show_weights, show_trace), checked
when the window docks it; anything else (starting training, changing the spec) it does through
the Session it was given.
EXTENSIONS are "module:function" strings called with the MainWindow once every panel exists,
e.g. to put actions into `window.train_menu`; what one installs for another goes in
`window.services` (panel_contract.Services).
"""

from __future__ import annotations

import importlib
import re
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
    PanelEntry("votes", "Votes", "convviz.qt.panels.votes.panel:VotesPanel", "left"),
    PanelEntry("kernels", "Features (kernels)", "convviz.qt.panels.kernels:KernelsPanel", "left"),
    PanelEntry(
        "feature_maps", "Feature maps", "convviz.qt.panels.feature_maps:FeatureMapsPanel", "right"
    ),
    # The deck's step-by-step views and the architecture: tabs behind the feature maps, so the
    # first look stays calm. One tab group only: Qt 6.11 paints a stale copy of the first
    # group's tab bar once a second group exists.
    PanelEntry(
        "filtering",
        "Filtering",
        "convviz.qt.panels.filtering:FilteringPanel",
        "right",
        tabify_with="feature_maps",
    ),
    PanelEntry(
        "pooling",
        "Pooling",
        "convviz.qt.panels.pooling:PoolingPanel",
        "right",
        tabify_with="filtering",
    ),
    PanelEntry(
        "relu", "Activations", "convviz.qt.panels.relu:ReluView", "right", tabify_with="pooling"
    ),
    PanelEntry(
        "architecture",
        "Architecture",
        "convviz.qt.panels.architecture:ArchitecturePanel",
        "right",
        tabify_with="relu",
    ),
    # Training: the backprop table and (once a run ends) the results as tabs of the one group;
    # the loss plot below that group while a run goes, so the canvas keeps its size.
    PanelEntry(
        "backprop",
        "Backprop",
        "convviz.qt.training.session_docks:make_backprop_view",
        "right",
        tabify_with="architecture",
    ),
    PanelEntry(
        "why",
        "Where it looked",
        "convviz.qt.panels.why.panel:WhyPanel",
        "right",
        tabify_with="backprop",
    ),  # where it looked, fool it, what if: panels/why/
    PanelEntry(
        "learned",
        "What it learned",
        "convviz.qt.panels.learned.panel:LearnedPanel",
        "right",
        tabify_with="why",
    ),  # each feature's favourite picture and top images
    # (before the hidden Results dock: a tab added after a hidden one could not be raised)
    PanelEntry(
        "results",
        "Results",
        "convviz.qt.training.session_docks:make_results",
        "right",
        visible=False,
        tabify_with="backprop",
    ),
    PanelEntry(
        "training",
        "Training",
        "convviz.qt.training.session_docks:make_training_panel",
        "right",
        visible=False,
    ),
    # the moments a run kept, to replay in every panel; shown once a run has kept two
    PanelEntry(
        "timeline",
        "Timeline",
        "convviz.qt.training.timeline_view:TimelineView",
        "right",
        visible=False,
    ),
]

EXTENSIONS: list[str] = [
    # Apply builds the network; Train asks the training tools
    "convviz.qt.deck.architecture_wiring:connect_architecture",
    "convviz.qt.training.wiring:connect_training",  # the Train menu, the run, closing mid-run
    "convviz.qt.training.timeline_wiring:connect_timeline",  # (after training: reads its tools)
    "convviz.qt.why_wiring:connect_canvas_overlay",  # where it looked, over the canvas
    "convviz.qt.learned_wiring:connect_learned",  # clicked results onto the canvas
]


def _typed(name: str) -> str:
    """How a person types a panel's name on the command line: lower case, words joined by -."""
    return "-".join(re.findall(r"[a-z0-9]+", name.lower()))


def panel_key(name: str) -> str | None:
    """The dock key for a name a person typed: the dock's key ("relu") or the title on its tab
    ("Activations", "where-it-looked"), in any case; None when no panel has that name."""
    typed = _typed(name)
    for e in PANELS:
        if typed in (_typed(e.key), _typed(e.title)):
            return e.key
    return None


def panel_names() -> str:
    """The names `--panel` takes, for --help and its error: each tab's title as typed, and its
    key after a slash where that is another word (activations/relu)."""
    names = []
    for e in PANELS:
        title, key = _typed(e.title), _typed(e.key)
        names.append(title if key == title else f"{title}/{key}")
    return ", ".join(names)


def resolve(path: str):
    """ "package.module:Name" -> the object."""
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)
