"""The Timeline dock's wiring (an extension): a training run's Kept messages and epoch reports
fill a timeline (core/timeline.py), which the session holds whenever one of the run's networks
is in use (the copy the panels follow while it trains, then the trained one)."""

from __future__ import annotations

from PySide6.QtCore import QObject

from ...core.timeline import Moment, Timeline
from .timeline_view import TimelineView


class TimelineKeeper(QObject):
    """Keeps the moments of the newest training run, and gives the session that timeline
    whenever one of the run's networks (the copy panels follow, the trained one) is in use."""

    def __init__(self, window, view: TimelineView, controller):
        super().__init__(window)  # lives as long as the window
        self.session, self.view, self.dock = window.session, view, window.docks.get("timeline")
        self.timeline: Timeline | None = None
        self.models: list = []  # the run's networks (compared by identity)
        controller.started.connect(self._started)
        controller.moment.connect(self._kept)
        controller.epoch_done.connect(self._epoch)
        controller.finished.connect(self._finished)
        self.session.network_changed.connect(self._network_changed)
        # said in the status bar too: the dock may be small or behind another
        self.session.moment_changed.connect(
            lambda label: window.tell(
                f"Every panel shows the network at {label}; Timeline > Latest goes back."
                if label
                else "Every panel shows the current weights again.",
                note=not label,
            )
        )

    def _started(self) -> None:
        self.timeline, self.models = Timeline(), [self.session.model]
        self.session.set_timeline(self.timeline)

    def _kept(self, msg) -> None:
        if self.timeline is not None and self.timeline.add(
            Moment(msg.weights, msg.epoch, msg.step, msg.end)
        ):
            self.view.refresh()
            if len(self.timeline) == 2 and self.dock is not None:
                self.dock.show()  # there is something to replay

    def _epoch(self, report) -> None:
        if self.timeline is not None:
            self.timeline.add_epoch_result(report.epoch, report.confusion, report.val_accuracy)

    def _finished(self, outcome) -> None:
        self.models.append(outcome.model)

    def _network_changed(self) -> None:
        s = self.session
        if (
            self.timeline is not None
            and s.timeline is None
            and any(s.model is m for m in self.models)
        ):
            s.set_timeline(self.timeline)


def connect_timeline(window) -> None:
    """The extension: the training run's moments go into the Timeline dock."""
    view, tools = window.panels.get("timeline"), window.services.training
    if view is None or tools is None:
        return
    TimelineKeeper(window, view, tools.controller)
