"""VotesPanel (the package's docstring says what it shows): the verdict, the Votes/Probabilities
switch and what the session calls; its bars are in vote_bars and why_bars."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from ....core.blank import is_blank
from ....core.limits import VOTES_MAX_BARS
from ....core.names import input_names
from ... import settings, theme
from ...widgets.bar_chart import BarChart, Bars, name_tooltip, short_name
from ...widgets.live_text import LiveText
from .vote_bars import PROBABILITIES, RAW, VoteBarsSection
from .why_bars import TOP_CONTRIBUTIONS, WhyBarsSection, why_text

NOTHING_DRAWN = "Nothing to classify yet: draw something"


def verdict_text(name: str, probability: float) -> str:
    return f"It looks like {name} ({probability:.0%} sure)"


def unsure_text(name: str, probability: float) -> str:
    return f"Not sure: maybe {name} ({probability:.0%})"


def _fit_height(label: LiveText, texts: list[str], extra: int = 0) -> None:
    """Fix a label's height to the tallest of `texts` at its current width."""
    label.ensurePolished()  # the style sheet's font
    width = max(label.width(), 40)
    height = max(label.height_for(t, width) for t in texts) + extra
    if height != label.height():
        label.setFixedHeight(height)


class VotesPanel(VoteBarsSection, WhyBarsSection, QWidget):
    """Shows `show_trace(trace)`; reads weights from `show_weights(snapshot)`."""

    class_clicked = Signal(int)  # the class whose bar was clicked (its index among all classes)
    input_clicked = Signal(int)  # an input of the votes whose "why" bar was clicked: switch it off

    def __init__(self, session=None, parent=None):
        super().__init__(parent)
        self.rows_shown = np.arange(0)  # bar i is class rows_shown[i] (set with every trace)
        self.spec = None
        self.snapshot = None
        self._trace = None
        self._tip_for = None  # the class whose full name the verdict's tooltip holds
        self.mode = settings.remembered(settings.VOTE_MODE, RAW)
        self.names: list[str] = []
        self.class_names: list[str] = []  # each cut to NAME_SHOWN_CHARS (see bar_chart.short_name)
        self._session = session  # its model's "unsure" calibration, when it has one
        self.unsure = False
        # what if (set through qt/why_wiring.py): trace -> the votes before the edits, or None
        self.reference = None
        self.edited = ""  # what was edited, said under the bars ("" for the trained network)
        self.ghost_values: np.ndarray | None = None  # the votes before the edit, as shown
        self.contributions = None  # (inputs, values) of the "why" bars shown

        top = self._make_headline()
        self._make_bars()

        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(top)
        lay.addWidget(self.view, 3)
        why = QVBoxLayout()
        why.setContentsMargins(10, 0, 10, 0)
        why.addWidget(self.why_label)
        lay.addLayout(why)
        lay.addWidget(self.why_view, 4)
        if session is not None:
            self.set_model(session.spec, session.snapshot)

    def _make_headline(self) -> QVBoxLayout:
        """The verdict and the Votes/Probabilities switch, above the bars."""
        self.raw_button = QPushButton("Votes", checkable=True)
        self.prob_button = QPushButton("Probabilities", checkable=True)
        group = QButtonGroup(self)
        group.setExclusive(True)
        for b in (self.raw_button, self.prob_button):
            group.addButton(b)
        (self.prob_button if self.mode == PROBABILITIES else self.raw_button).setChecked(True)
        self.raw_button.toggled.connect(lambda on: on and self.set_mode(RAW))
        self.prob_button.toggled.connect(lambda on: on and self.set_mode(PROBABILITIES))
        # the headline has the whole width to itself and wraps when the dock is narrow; its
        # height is fixed for the longest possible verdict (see _fit_labels), so the panel does
        # not re-lay-out as the winner changes while someone draws
        self.verdict = LiveText("")  # changes with every frame: see live_text.py
        self.verdict.setObjectName("title")
        self.verdict.setAlignment(Qt.AlignLeft | Qt.AlignVCenter)
        self.verdict.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Fixed)
        self.raw_button.setToolTip("Show the raw votes (the last layer's outputs)")
        self.prob_button.setToolTip("Show the votes turned into probabilities (softmax)")
        buttons = QHBoxLayout()
        buttons.setSpacing(6)
        buttons.addWidget(self.raw_button)
        buttons.addWidget(self.prob_button)
        buttons.addStretch(1)
        top = QVBoxLayout()
        top.setContentsMargins(10, 8, 10, 0)
        top.setSpacing(4)
        top.addWidget(self.verdict)
        top.addLayout(buttons)
        return top

    def _make_bars(self) -> None:
        """The votes' bars, and the "why" line and bars under them."""
        self.view = BarChart(readable_rows=True)  # the votes: a bar per class (the strongest
        # VOTES_MAX_BARS of more), never squeezed below a line of text a row
        self.view.row_clicked.connect(self._on_row_clicked)
        self.why_label = LiveText("")
        self.why_label.setObjectName("hint")
        # fixed height (see _fit_labels): text that changes every frame must not re-lay-out (and
        # so repaint) the whole panel
        self.why_label.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Fixed)
        self.why_label.setAlignment(Qt.AlignTop | Qt.AlignLeft)
        # the strongest votes for and against the winner
        self.why_view = BarChart(rows=2 * TOP_CONTRIBUTIONS, readable_rows=True)
        self.why_view.setToolTip(
            "Click an input to switch it off for every drawing (what if; Undo in Where it looked)"
        )
        self.why_view.row_clicked.connect(self._on_why_clicked)
        self.bar_texts: list[str] = []

    # ---- plain calls from the session ------------------------------------------------------
    def set_model(self, spec, snapshot=None) -> None:
        self.spec, self.snapshot, self._trace, self._tip_for = spec, snapshot, None, None
        xo = None
        if spec.name == "xo":
            from convviz.core.presets import XO_FEATURE_NAMES as xo
        self.names = input_names(spec, xo)
        self.class_names = [short_name(c) for c in spec.classes]
        n = min(len(spec.classes), VOTES_MAX_BARS)
        # a paint before the first trace shows empty bars for the new network's classes
        self.view.show_bars(
            Bars(self.class_names[:n], np.zeros(n, np.float32), [theme.RAISED] * n, span=(0.0, 1.0))
        )
        self.why_view.show_bars(Bars())
        self.bar_texts = []
        self.verdict.setText("Waiting for the network…")
        self.why_label.setText("")
        self._fit_labels()

    def show_weights(self, snapshot) -> None:
        # the "why" needs weights and a trace from the same network; the session's next trace,
        # which always follows new weights, redraws it (not the old trace with the new weights)
        self.snapshot = snapshot

    def set_mode(self, mode: str) -> None:
        self.mode = mode
        settings.remember(settings.VOTE_MODE, mode)
        if self._trace is not None:
            self.show_trace(self._trace)

    def set_what_if(self, reference, edited: str) -> None:
        """`reference(trace)`: the votes the unedited network gives (None when not edited);
        `edited`: what was changed, or "". The bars then show how the edit moved each vote."""
        self.reference, self.edited = reference, edited
        if self._trace is not None:
            self.show_trace(self._trace)

    def show_trace(self, trace) -> None:
        if not trace.made_by(self.spec):
            return  # a trace of the last network, still on its way
        self._trace = trace
        values = trace.probabilities if self.mode == PROBABILITIES else trace.votes
        win = trace.winner
        self.shown_values = np.asarray(values, np.float32)
        self.ghost_values = self._ghosts(trace)
        if is_blank(trace.input, self.spec.value_range):  # never "plus (89% sure)" for nothing
            self._show_no_drawing()
            self.verdict.setText(NOTHING_DRAWN)
            self.verdict.setToolTip("")
            self._tip_for = None
            self.why_view.show_bars(Bars())
            self.why_label.setText("")
            return
        self._show_bars(self.shown_values, win)
        prob = float(trace.probabilities[win])
        self.verdict.setText(verdict_text(self.class_names[win], prob))
        if self._tip_for != win:  # the whole name on hover, set only when the winner changes
            self._tip_for = win
            self.verdict.setToolTip(name_tooltip(trace.classes[win]))
        if self.snapshot is not None and self.snapshot.network == trace.network:
            self._show_why(trace, win)
        self._mark_unsure(trace, win, prob)

    def _mark_unsure(self, trace, win: int, prob: float) -> None:
        """A drawing unlike the held-out ones says so instead of naming a class with
        confidence (core/unsure.py); the reason is then the headline's tooltip."""
        from convviz.core.unsure import judge

        model = getattr(self._session, "model", None)
        unsure, reason = judge(
            trace.votes, trace.input, self.spec.value_range, getattr(model, "calibration", None)
        )
        self.unsure = unsure
        if unsure and not reason.startswith("nothing drawn"):  # a blank canvas says so itself
            self.verdict.setText(unsure_text(self.class_names[win], prob))
            self.verdict.setToolTip(f"{name_tooltip(trace.classes[win])}\nNot sure: {reason}")
            self._tip_for = None  # the class's full name comes back once it is sure again

    # ---- headline --------------------------------------------------------------------------
    def resizeEvent(self, event):
        super().resizeEvent(event)
        self._fit_labels()

    def _fit_labels(self) -> None:
        """Give the headline and the 'why' text the height the longest of their texts needs at
        the current width (one line for the headline on a wide dock, more on a narrow one), so
        nothing is ever cut off and the height does not change while someone draws."""
        if self.spec is None:
            return
        # the few longest names (by characters) stand for all: measuring 10,000 would take
        # as long as a second at every resize
        names = sorted(self.class_names, key=len)[-3:]
        longest = [f(c, 1.0) for c in names for f in (verdict_text, unsure_text)]
        whys = [why_text(c, 9999, -88.88, -888.88) for c in names]
        _fit_height(self.verdict, [*longest, NOTHING_DRAWN, self.verdict.text()])
        _fit_height(self.why_label, whys, extra=6)

    def bar_values(self) -> np.ndarray:
        """The bar lengths as drawn, signed (for tests and screen readers)."""
        return np.asarray(self.view.bars.values, float).copy()
