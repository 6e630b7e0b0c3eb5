"""The status bar's parts: what runs in the background (its name, a busy bar, Cancel), and the
network shown (model, classes, device) with how long the last update took."""

from __future__ import annotations

import time

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar, QToolButton

from .background import BackgroundJobs
from .widgets.live_text import ElidedLabel  # ten class names do not fit a projector's width

STATUS_INTERVAL_S = 0.25  # the update time is rewritten at most this often


class StatusLine(QObject):
    """A QObject living on the window's thread, so that a job's progress, reported from the
    job's thread, reaches these widgets queued, never from that thread."""

    def __init__(self, bar: QStatusBar, jobs: BackgroundJobs):
        super().__init__(bar)
        self.model_label, self.classes_label = QLabel(), ElidedLabel()
        self.device_label = QLabel("Classifying on: loading…")
        self.device_label.setToolTip(
            "Where the network reads your drawing. A training run "
            "says where it trains in the Training panel."
        )
        self.update_label = QLabel("Last update: —")
        self._status_time = 0.0
        # what runs in the background: its name, a busy bar and Cancel (hidden when idle)
        self.busy_label, self.busy_bar = QLabel(), QProgressBar()
        self.busy_bar.setRange(0, 0)  # busy until a job reports how far it is
        self.busy_bar.setMaximumWidth(120)
        self.busy_cancel = QToolButton(text="Cancel")
        self.busy_cancel.clicked.connect(lambda: jobs.cancel())
        for w in (self.busy_label, self.busy_bar, self.busy_cancel):
            bar.addWidget(w)
            w.setVisible(False)
        # the network's name and classes are "normal" widgets: a message (MainWindow.tell)
        # takes their place while it shows. As permanent widgets, the stretching classes label
        # left a message no room at all, so no message was ever seen
        bar.addWidget(self.model_label)
        bar.addWidget(self.classes_label, 1)
        for lab in (self.device_label, self.update_label):
            bar.addPermanentWidget(lab)
        # new figures 4 times a second: at a fixed size (room for the longest) a new text only
        # repaints the label instead of laying out the whole window again
        self.update_label.setText("Last update: 8888.8 ms")
        self.update_label.ensurePolished()
        self.update_label.setFixedSize(self.update_label.sizeHint())
        self.update_label.setText("Last update: —")
        # the device and update time step aside too while a message shows (for seconds), so
        # that a long path fits at 1024 wide; hovering the bar reads a message cut at its end
        bar.messageChanged.connect(lambda text: self._make_room(bar, text))
        jobs.busy.connect(self._show_busy)
        jobs.progress.connect(self._show_progress)

    def _make_room(self, bar: QStatusBar, message: str) -> None:
        for label in (self.device_label, self.update_label):
            label.setVisible(not message)
        bar.setToolTip(message)

    def show_model(self, spec) -> None:
        self.model_label.setText(f"Model: {spec.name} ({spec.rows}×{spec.cols})")
        self.classes_label.setText("Classes: " + ", ".join(spec.classes))

    def show_device(self, device: str) -> None:
        self.device_label.setText(f"Classifying on: {device}")

    def show_update_time(self, ms: float) -> None:
        # a few times a second is readable; every frame would only cost repaints
        now = time.perf_counter()
        if now - self._status_time >= STATUS_INTERVAL_S or self.update_label.text().endswith("—"):
            self._status_time = now
            self.update_label.setText(f"Last update: {ms:.1f} ms")

    def _show_busy(self, text: str, cancellable: bool) -> None:
        self.busy_label.setText(text)
        self.busy_bar.setRange(0, 0)
        for w in (self.busy_label, self.busy_bar):
            w.setVisible(bool(text))
        self.busy_cancel.setVisible(bool(text) and cancellable)

    def _show_progress(self, done: int, total: int) -> None:
        if total > 0:
            self.busy_bar.setRange(0, total)
            self.busy_bar.setValue(done)
