"""Fool it: pick a class, press, watch the drawing change step by step until the network says it.

The steps (at most DEFAULT_MAX_STEPS forward and backward passes, tens of milliseconds on the
bundled networks, far more on a large one) run as a job of the session's BackgroundJobs
(background.py), on a copy of the network: a newer press cancels the older run between steps and
drops it (newest wins), and the window's Stop cancels it too. They then play back one every
STEP_MS so a person can watch them; at the end the fooled drawing goes onto the canvas as one
undo step, so Undo (here or the canvas's own) brings the original back. Left: the original;
right: the drawing as it changes, the changed pixels tinted.
"""

from __future__ import annotations

import copy
import html

import numpy as np
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from convviz.core.heatmap import overlay_rgb

from ...widgets.flow_layout import WrapRow
from ...widgets.map_view import MapView

STEP_MS = 70  # one step shown this long: slow enough to watch
JOB = "fool"  # the kind of the steps' job among the session's jobs


class FoolControls(QWidget):
    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.fool_result = None
        self._steps: list = []
        self.fool_box = QComboBox()
        self.fool_box.setToolTip("The class to push the drawing towards")
        self.fool_button = QPushButton("Fool it")
        self.fool_button.setToolTip(
            "Nudge the drawing in small gradient steps until the network says the chosen class"
        )
        self.undo_button = QPushButton("Undo")
        self.undo_button.setToolTip("Bring back the drawing before it was fooled")
        self.undo_button.setEnabled(False)  # until a fooled drawing is on the canvas
        row = WrapRow(
            (QLabel("Fool it into saying"), self.fool_box, self.fool_button, self.undo_button)
        )  # stacks in a narrow dock
        self.fool_status = QLabel("")
        self.fool_status.setWordWrap(True)
        self.original_view, self.fooled_view = MapView(), MapView()
        pair = QHBoxLayout()
        pair.addWidget(self.original_view)
        pair.addWidget(self.fooled_view)
        for view in (self.original_view, self.fooled_view):
            view.hide()  # until there is a run to show
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(row)
        lay.addWidget(self.fool_status)
        lay.addLayout(pair, 1)
        self._player = QTimer(self, interval=STEP_MS)
        self._player.timeout.connect(self._play_step)
        self.fool_button.clicked.connect(self.fool_it)
        self.undo_button.clicked.connect(self.undo_fool)
        self.set_model()

    def set_model(self) -> None:
        if self.session.jobs.running(JOB):  # steps for the old network are no longer wanted
            self.session.jobs.cancel(JOB)
        self._player.stop()
        self._steps, self.fool_result = [], None
        self.spec = self.session.spec
        self.fool_box.clear()
        for c in self.spec.classes:
            self.fool_box.addItem(c, c)
        self.undo_button.setEnabled(False)  # a new network: the old undo step is not ours
        # and the last run's words and pictures were about the old network's classes
        self.fool_status.setText("")
        for view in (self.original_view, self.fooled_view):
            view.hide()

    def fool_it(self) -> None:
        s = self.session
        if s is None or s.model is None:
            return
        if self._player.isActive():  # a run still playing: finish it first (one undo step each)
            self._player.stop()
            self._steps = []
            self._fool_finished(self.fool_result)
        original = s.canvas.as_input()  # (H, W)
        model, target = copy.deepcopy(s.model), self.fool_box.currentData()  # never the live one

        def work(job):  # on the job's thread
            from convviz.core.fool import fool

            return fool(model, original, target, should_stop=job.cancelled)

        self.fool_status.setText("Working out the steps…")
        s.jobs.submit(
            JOB,
            work,
            self._steps_ready,
            self._fool_failed,
            text="Fooling the network…",
            cancellable=True,
        )

    def _fool_failed(self, message: str) -> None:
        self.fool_status.setText(f"Cannot fool it: {_escape(message)}")

    def _steps_ready(self, r) -> None:
        """On the window's thread, once the job's steps are all known: play them."""
        self.fool_result = r
        self._steps = [st for st in r.steps if st.image is not None]
        self.original_view.set_rgb(
            overlay_rgb(self._ink(r.original), np.zeros(r.original.shape[-2:]))
        )
        self.original_view.show()
        self.fooled_view.show()
        self._player.start()
        self._play_step()

    def wait_for_job(self) -> None:
        """Block until the steps' job has ended and delivered (tests, screenshots)."""
        self.session.jobs.wait(JOB)

    def _ink(self, image) -> np.ndarray:
        lo, hi = self.spec.value_range
        return (np.asarray(image).reshape(-1, *np.shape(image)[-2:]).mean(0) - lo) / (hi - lo)

    def _play_step(self) -> None:
        r = self.fool_result
        if not self._steps:
            self._player.stop()
            return self._fool_finished(r)
        st = self._steps.pop(0)
        changed = np.abs(st.image - r.original).max(0)
        self.fooled_view.set_rgb(overlay_rgb(self._ink(st.image), changed))
        self.fool_status.setText(f"step {st.number}: it says {_escape(self.spec.classes[st.said])}")

    def _fool_finished(self, r) -> None:
        self.fooled_view.set_rgb(overlay_rgb(self._ink(r.final), r.changed))
        said = (
            f"it now says <b>{_escape(r.target_name)}</b>"
            if r.fooled
            else (f"it still does not say {_escape(r.target_name)} after {len(r.steps) - 1} steps")
        )
        self.fool_status.setText(
            f"{said}: {r.changed_pixels} pixels changed, by {r.mean_change:.2f} on average "
            f"and {r.largest_change:.2f} at most. Left: the original; right: the changes."
        )
        self.session.canvas.set_input(r.final[0])  # one undo step: Undo brings the original
        self.undo_button.setEnabled(True)

    def undo_fool(self) -> None:
        """Put the drawing from before the last Fool it back (the canvas's own undo step)."""
        if self.undo_button.isEnabled() and self.session is not None:
            self.session.canvas.undo()
        self.undo_button.setEnabled(False)

    @property
    def fool_playing(self) -> bool:
        return self._player.isActive()


def _escape(text) -> str:
    return html.escape(str(text))
