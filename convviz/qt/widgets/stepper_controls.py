"""The controls of the step-by-step panels (pooling, filtering, ReLU); the panel around them is
stepper_panel.py, their maps are CellGrids (cell_grid.py).

- StepperControls: play / pause / step / jump / scrub / speed, driving a core Playhead with a
  QTimer (speed = the timer's interval).
- selector: the drop-down the panels pick layers, features and maps with (ElidingCombo, in
  eliding_combo.py; both still importable from here).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QSlider,
    QStyle,
    QToolButton,
    QWidget,
)

from ...core.stepper import Playhead
from .eliding_combo import ElidingCombo, selector  # noqa: F401  (importable here as before)
from .flow_layout import WrapRow


class StepperControls(QWidget):
    """Play / pause, step back and forward, jump to either end, a scrub bar and a speed slider.

    Owns the play head (which step is shown) and the QTimer that advances it; emits
    step_changed(int) whenever the shown step changes, whatever moved it."""

    step_changed = Signal(int)
    playing_changed = Signal(bool)

    SPEEDS = (0.5, 1, 2, 3, 5, 8, 12, 20, 30, 40, 60)  # steps per second; 60 = full speed
    # Until the person moves the speed slider, playing a whole map takes at most about this
    # long: 3 windows a second (slow enough to follow the arithmetic) for the deck's small
    # maps, faster for big ones (784 windows of a 28x28 map: 40 a second, 20 s instead of 4.4
    # minutes). A speed the person chose is kept.
    DEFAULT_SPEED = 3
    WHOLE_MAP_S = 20

    def __init__(self, parent=None):
        super().__init__(parent)
        self.playhead = Playhead(0)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self._tick)
        self._make_buttons()
        self.scrub = QSlider(Qt.Orientation.Horizontal, self)
        self.scrub.setToolTip("Drag to move the window to any position")
        self.scrub.setMinimumWidth(120)  # long enough to aim with (beside the speed it shrank)
        self.scrub.valueChanged.connect(self.seek)
        self.step_label = QLabel(self)
        self.speed = QSlider(Qt.Orientation.Horizontal, self)
        self.speed.setRange(0, len(self.SPEEDS) - 1)
        self.speed.setMinimumWidth(60)  # narrow docks squeeze the speed, not the buttons
        self.speed.setMaximumWidth(110)
        self.speed.setToolTip("How fast the window moves while playing")
        self.speed.valueChanged.connect(self._speed_changed)
        self.speed_chosen = False  # the person moved the slider: keep their speed
        self.speed.actionTriggered.connect(self._speed_chosen_by_hand)
        self.speed_label = QLabel(self)
        self.speed_label.setMinimumWidth(64)

        self._lay_out()
        self.speed.setValue(self.SPEEDS.index(self.DEFAULT_SPEED))
        self._speed_changed(self.speed.value())
        self._sync()

    def _make_buttons(self) -> None:
        """First, back, play, forward, last: the transport's five buttons."""
        st = self.style()

        def button(icon, tip, slot):
            b = QToolButton(self)
            b.setIcon(st.standardIcon(icon))
            b.setIconSize(QSize(18, 18))
            b.setToolTip(tip)
            b.setAutoRaise(True)
            b.clicked.connect(slot)
            return b

        SP = QStyle.StandardPixmap
        self.first_button = button(
            SP.SP_MediaSkipBackward, "Back to the first window", self.jump_to_start
        )
        self.back_button = button(SP.SP_MediaSeekBackward, "One window back", self.step_back)
        self.play_button = button(
            SP.SP_MediaPlay, "Play: move the window on by itself", self.toggle
        )
        self.forward_button = button(
            SP.SP_MediaSeekForward, "One window forward", self.step_forward
        )
        self.end_button = button(
            SP.SP_MediaSkipForward,
            "Jump to the last window (the whole output map filled in)",
            self.jump_to_end,
        )

    def _lay_out(self) -> None:
        # two groups: the buttons with where the window is, and the scrub bar with the speed;
        # side by side or (a narrow dock, a 1024-pixel projector) stacked, so the dock never
        # scrolls sideways. (Three stacked groups took a line more of a 768-pixel screen than
        # the filtering panel's three channel rows can spare.)
        transport, pace = QWidget(self), QWidget(self)
        row = QHBoxLayout(transport)
        row.setContentsMargins(0, 0, 0, 0)
        for w in (
            self.first_button,
            self.back_button,
            self.play_button,
            self.forward_button,
            self.end_button,
        ):
            row.addWidget(w)
        row.addSpacing(6)
        row.addWidget(self.step_label)
        row = QHBoxLayout(pace)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.scrub, 3)  # the scrub bar takes most of the width
        row.addSpacing(6)
        row.addWidget(QLabel("Speed", pace))
        row.addWidget(self.speed, 1)
        row.addWidget(self.speed_label)
        # slim buttons: the five and "Window 1922 of 3844" share a line of a 380 px dock
        self.setStyleSheet("QToolButton { padding: 2px 2px; }")
        outer = QHBoxLayout(self)
        outer.setContentsMargins(4, 2, 4, 2)
        self.groups = WrapRow([transport, pace], parent=self)
        outer.addWidget(self.groups)

    def _speed_chosen_by_hand(self, _action) -> None:
        self.speed_chosen = True

    # ---- state --------------------------------------------------------------------------
    @property
    def current_step(self) -> int:
        return self.playhead.current

    @property
    def n_steps(self) -> int:
        return self.playhead.n_steps

    @property
    def is_playing(self) -> bool:
        return self.timer.isActive()

    def set_count(self, n: int) -> None:
        """A new layer or map: the number of windows changes; the step is kept if it exists."""
        before = self.playhead.current
        self.playhead.resize(n)
        if not self.speed_chosen:
            self.set_speed(self.default_speed(n), chosen=False)
        # room for the longest count this map can show, so "Window 17 of 784" is never cut
        fm = self.step_label.fontMetrics()
        self.step_label.setMinimumWidth(fm.horizontalAdvance(f"Window {n} of {n}") + 4)
        if not n:
            self.pause()
        self._sync()
        if self.playhead.current != before:
            self.step_changed.emit(self.playhead.current)

    @classmethod
    def default_speed(cls, n: int) -> float:
        """The slowest speed (from the default up) that plays `n` windows in WHOLE_MAP_S."""
        return next(
            (s for s in cls.SPEEDS if s >= cls.DEFAULT_SPEED and n / s <= cls.WHOLE_MAP_S),
            cls.SPEEDS[-1],
        )

    def set_speed(self, steps_per_second: float, chosen: bool = True) -> None:
        i = int(np.argmin([abs(s - steps_per_second) for s in self.SPEEDS]))
        self.speed.setValue(i)
        self.speed_chosen = self.speed_chosen or chosen

    # ---- moves --------------------------------------------------------------------------
    def seek(self, i: int) -> None:
        if self.playhead.seek(i):
            self._sync()
            self.step_changed.emit(self.playhead.current)

    def step_forward(self) -> None:
        self.seek(self.playhead.current + 1)

    def step_back(self) -> None:
        self.seek(self.playhead.current - 1)

    def jump_to_start(self) -> None:
        self.seek(0)

    def jump_to_end(self) -> None:
        self.pause()
        self.seek(self.playhead.n_steps - 1)

    def play(self) -> None:
        if self.playhead.n_steps < 2 or self.is_playing:
            return
        if self.playhead.at_end:  # playing from the end starts over
            self.seek(0)
        self.timer.start()
        self._sync()
        self.playing_changed.emit(True)

    def pause(self) -> None:
        if self.is_playing:
            self.timer.stop()
            self._sync()
            self.playing_changed.emit(False)

    def toggle(self) -> None:
        self.pause() if self.is_playing else self.play()

    def _tick(self) -> None:
        self.step_forward()
        if self.playhead.at_end:
            self.pause()

    def _speed_changed(self, i: int) -> None:
        sps = self.SPEEDS[i]
        self.timer.setInterval(round(1000 / sps))
        self.speed_label.setText("full" if sps >= 60 else f"{sps:g} / s")

    def _sync(self) -> None:
        n, cur = self.playhead.n_steps, self.playhead.current
        self.scrub.blockSignals(True)
        self.scrub.setRange(0, max(0, n - 1))
        self.scrub.setValue(cur)
        self.scrub.blockSignals(False)
        self.step_label.setText(f"Window {cur + 1} of {n}" if n else "No windows")
        SP = QStyle.StandardPixmap
        self.play_button.setIcon(
            self.style().standardIcon(SP.SP_MediaPause if self.is_playing else SP.SP_MediaPlay)
        )
        self.play_button.setToolTip(
            "Pause" if self.is_playing else "Play: move the window on by itself"
        )
        for b in (
            self.first_button,
            self.back_button,
            self.play_button,
            self.forward_button,
            self.end_button,
            self.scrub,
        ):
            b.setEnabled(n > 1)
