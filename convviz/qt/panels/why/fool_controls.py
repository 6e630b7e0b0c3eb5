"""Fool it: pick a class, press, watch the drawing change step by step until the network says it.

The steps run on the window's thread (at most DEFAULT_MAX_STEPS forward and backward passes,
tens of milliseconds on the bundled networks), then play back one every STEP_MS so a person can
watch them; at the end the fooled drawing goes onto the canvas as one undo step, so Undo (here or
the canvas's own) brings the original back. Left: the original; right: the drawing as it changes,
the changed pixels tinted.
"""

from __future__ import annotations

import html

import numpy as np
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from convviz.core.heatmap import overlay_rgb

from ...widgets.map_view import MapView

STEP_MS = 70  # one step shown this long: slow enough to watch


class FoolControls(QWidget):
    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.fool_result = None
        self._steps: list = []
        self.fool_box = QComboBox()
        self.fool_box.setToolTip("The class to push the drawing towards")
        self.fool_button = QPushButton("Fool it")
        self.fool_button.setToolTip("Nudge the drawing in small gradient steps until the "
                                    "network says the chosen class")
        self.undo_button = QPushButton("Undo")
        self.undo_button.setToolTip("Bring back the drawing before it was fooled")
        self.undo_button.setEnabled(False)  # until a fooled drawing is on the canvas
        row = QHBoxLayout()
        for w in (QLabel("Fool it into saying"), self.fool_box, self.fool_button,
                  self.undo_button):
            row.addWidget(w)
        row.addStretch(1)
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
        lay.addLayout(row)
        lay.addWidget(self.fool_status)
        lay.addLayout(pair, 1)
        self._player = QTimer(self, interval=STEP_MS)
        self._player.timeout.connect(self._play_step)
        self.fool_button.clicked.connect(self.fool_it)
        self.undo_button.clicked.connect(self.undo_fool)
        self.set_model()

    def set_model(self) -> None:
        self._player.stop()
        self._steps, self.fool_result = [], None
        self.spec = self.session.spec
        self.fool_box.clear()
        for c in self.spec.classes:
            self.fool_box.addItem(c, c)
        self.undo_button.setEnabled(False)  # a new network: the old undo step is not ours

    def fool_it(self) -> None:
        from convviz.core.fool import fool

        s = self.session
        if s is None or s.model is None:
            return
        if self._player.isActive():  # a run still playing: finish it first (one undo step each)
            self._player.stop()
            self._steps = []
            self._fool_finished(self.fool_result)
        original = s.canvas.as_input()  # (H, W)
        try:
            r = fool(s.model, original, self.fool_box.currentData())
        except Exception as err:  # noqa: BLE001 - any failure is said in the panel, not raised
            self.fool_status.setText(f"Cannot fool it: {_escape(err)}")
            return
        self.fool_result = r
        self._steps = [st for st in r.steps if st.image is not None]
        self.original_view.set_rgb(overlay_rgb(self._ink(r.original), np.zeros(original.shape)))
        self.original_view.show()
        self.fooled_view.show()
        self._player.start()
        self._play_step()

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
        said = f"it now says <b>{_escape(r.target_name)}</b>" if r.fooled else (
            f"it still does not say {_escape(r.target_name)} after {len(r.steps) - 1} steps")
        self.fool_status.setText(
            f"{said}: {r.changed_pixels} pixels changed, by {r.mean_change:.2f} on average "
            f"and {r.largest_change:.2f} at most. Left: the original; right: the changes.")
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
