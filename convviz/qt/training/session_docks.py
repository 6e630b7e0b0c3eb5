"""The Training, Results and Backprop docks as the panel registry builds them (PanelEntry
factories, called with the Session): each is fed by the training tools (wiring.py), not by the
session, except the backprop table, which reads the session's traces."""

from __future__ import annotations

from PySide6.QtWidgets import QScrollArea

from ..panel_contract import FedElsewhere
from .backprop import BackpropView
from .panel import TrainingPanel
from .results import TrainingResults


class SessionTrainingPanel(FedElsewhere, TrainingPanel):
    """The Training dock: fed by the TrainingController, not by the session."""


class SessionResults(FedElsewhere, TrainingResults):
    """The Results dock: fed by the finished run, not by the session."""


def make_training_panel(_session) -> TrainingPanel:
    return SessionTrainingPanel()


def make_results(_session) -> TrainingResults:
    return SessionResults()


def make_backprop_view(session) -> SessionBackprop:
    return SessionBackprop()


class SessionBackprop(FedElsewhere, BackpropView):
    """The backprop table in a dock: it reads the session's traces (the window's own forward
    pass on the drawing, with the newest weights), so it costs no network run of its own; while
    its dock is hidden the window holds back the traces and hands it the newest when shown."""

    def show_trace(self, trace) -> None:
        self.set_trace(trace)


def fill_dock(dock, panel) -> None:
    """The loss plots fill their dock instead of scrolling: add_panel put the panel (a little
    over its width limit) in a scroll area, whose height follows the wrapped status line and
    the plots' large size hint, so it scrolled even when the plots had room to shrink."""
    holder = dock.widget()
    if isinstance(holder, QScrollArea) and holder.widget() is panel:
        dock.setWidget(holder.takeWidget())
        holder.deleteLater()
