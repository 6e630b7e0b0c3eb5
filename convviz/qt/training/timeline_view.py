"""The Timeline dock: a slider over the moments a training run kept (core/timeline.py).

Moving the slider shows that moment in every panel (session.show_moment: feature maps, kernels,
votes, backprop of the current drawing, under those weights); "Latest" goes back to the current
weights. The line at the top always says which weights the panels show, in the accent colour
while it is a kept moment. The moment's validation (accuracy, confusion table) is shown below
the slider when the run had a validation split.

"Compare" puts a second moment B beside the shown one A: one layer's weights at A, at B and
B − A (kernels as the Kernels panel lays them out), how much each layer moved, and the votes
for the current drawing at A and at B with the change. B's votes come from a private copy of
the network: the panels keep showing A.

timeline_wiring.py fills the session's timeline from a training run.
"""

from __future__ import annotations

import copy

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSlider,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...core.limits import MATRIX_TABLE_MAX_CLASSES, VOTES_MAX_BARS
from ...core.mosaic import MosaicLayout
from ...core.timeline import Moment, Timeline, changes
from .. import theme

CURRENT = "Showing the current weights"


def weight_picture(w: np.ndarray) -> np.ndarray:
    """A layer's weights as one 2-D picture: a convolution's (F, C, k, k) as the Kernels panel
    lays it out (a row per input map, a column per feature), any other as (outputs, inputs)."""
    if w.ndim == 4:
        f, c, k, _ = w.shape
        tiles = w.transpose(1, 0, 2, 3).reshape(c * f, k, k)
        return MosaicLayout(c * f, k, k, f).compose(tiles)
    return w.reshape(len(w), -1)


class TimelineView(QWidget):
    """Panel contract: set_model (a new network: the compare copy goes), show_trace (the votes
    compared follow the drawing), show_weights (nothing: the slider says which)."""

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.timeline: Timeline | None = None
        self._probe = None  # a copy of the network for B's votes (the panels keep showing A)
        self.shown = QLabel(CURRENT)
        self.shown.setWordWrap(True)
        self.scrub = QSlider(Qt.Orientation.Horizontal)
        self.scrub.setToolTip("Drag to show the network as it was at a kept moment")
        self.scrub.valueChanged.connect(self._scrubbed)
        self.latest = QPushButton("Latest")
        self.latest.setToolTip("Back to the current weights")
        self.latest.clicked.connect(session.show_current)
        self.compare = QCheckBox("Compare")
        self.compare.setToolTip("Put a second moment beside this one: what changed")
        self.compare.toggled.connect(self._compare_toggled)
        self.validation = QLabel("")
        self.validation.setWordWrap(True)
        self.confusion = QTableWidget()
        self.confusion.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.confusion.hide()
        row = QHBoxLayout()
        row.addWidget(self.scrub, 1)
        row.addWidget(self.latest)
        row.addWidget(self.compare)
        # Everything scrolls inside the dock: the confusion table (or Compare) appearing under
        # the slider made the dock's least height, and so the whole window, grow past a 1024x768
        # screen; the dock was too small at first to be put in a scroll area when docked.
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        inside = QWidget()
        self.scroll.setWidget(inside)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.scroll)
        lay = QVBoxLayout(inside)
        lay.setContentsMargins(8, 6, 8, 6)
        lay.addLayout(row)  # the slider first: in sight in a low dock, the words scroll under it
        lay.addWidget(self.shown)
        lay.addWidget(self.validation)
        lay.addWidget(self.confusion, 1)
        self.compare_box = self._make_compare()
        lay.addWidget(self.compare_box, 2)
        lay.addStretch(0)  # (the words on top keep their height when the tables are hidden)
        for label in (self.shown, self.validation):
            label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        session.timeline_changed.connect(self.set_timeline)
        session.moment_changed.connect(self._say_which)
        self.set_timeline(session.timeline)

    def _make_compare(self) -> QWidget:
        box = QWidget()
        self.other = QSlider(Qt.Orientation.Horizontal)
        self.other.setToolTip("The moment B to compare with")
        self.other.valueChanged.connect(self._show_compare)
        self.other_label = QLabel("")
        self.layer = QComboBox()
        self.layer.currentTextChanged.connect(self._show_compare)
        self.moved = QLabel("")
        self.moved.setWordWrap(True)
        self.pictures = pg.GraphicsLayoutWidget()
        self.pictures.setBackground(theme.PANEL)
        self.images: dict[str, pg.ImageItem] = {}
        for i, name in enumerate(("A", "B", "B − A")):  # one above the other: mosaics are wide
            self.pictures.addLabel(name, row=i, col=0, color=theme.MUTED)
            vb = self.pictures.addViewBox(row=i, col=1)
            vb.setAspectLocked(True)
            vb.invertY(True)
            vb.setMouseEnabled(False, False)
            vb.setMenuEnabled(False)
            self.images[name] = pg.ImageItem(lut=theme.DIVERGING_LUT, axisOrder="row-major")
            vb.addItem(self.images[name])
        self.votes = QTableWidget(0, 4)
        self.votes.setHorizontalHeaderLabels(["class", "A", "B", "B − A"])
        self.votes.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.votes.verticalHeader().hide()
        self.votes.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        top = QHBoxLayout()
        top.addWidget(QLabel("B:"))
        top.addWidget(self.other, 1)
        top.addWidget(self.other_label)
        top.addWidget(self.layer)
        pics = QHBoxLayout()
        pics.addWidget(self.pictures, 1)
        pics.addWidget(self.votes)
        lay = QVBoxLayout(box)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(top)
        lay.addWidget(self.moved)
        lay.addLayout(pics, 1)
        box.hide()
        return box

    # ---- the panel contract ----------------------------------------------------------------------
    def set_model(self, spec, snapshot=None) -> None:
        self._probe = None

    def show_weights(self, snapshot) -> None:
        pass  # which weights these are is said by the session's moment_changed

    def show_trace(self, trace) -> None:
        if self.compare.isChecked():
            self._show_compare()

    # ---- the timeline ----------------------------------------------------------------------------
    def set_timeline(self, timeline: Timeline | None) -> None:
        self.timeline = timeline
        self.refresh()

    def refresh(self) -> None:
        """The sliders follow the moments kept (new ones arrive while training)."""
        n = len(self.timeline) if self.timeline is not None else 0
        for slider in (self.scrub, self.other):
            at_end = slider.value() >= slider.maximum()  # then it follows the newest
            slider.blockSignals(True)  # a new moment is not a scrub
            slider.setRange(0, max(n - 1, 0))
            if at_end:
                slider.setValue(max(n - 1, 0))
            slider.blockSignals(False)
        for w in (self.scrub, self.compare, self.latest):
            w.setEnabled(n > 1)
        if n < 2 and self.compare.isChecked():
            self.compare.setChecked(False)
        self._say_which(self.session.moment)

    def moment_at(self, index: int) -> Moment:
        assert self.timeline is not None
        return self.timeline[index]

    def show_index(self, index: int) -> None:
        """Show moment `index` in every panel (what dragging the slider does)."""
        if self.scrub.value() != index:
            self.scrub.setValue(index)  # -> _scrubbed
        else:
            self._scrubbed(index)

    def _scrubbed(self, index: int) -> None:
        if self.timeline is None or not len(self.timeline):
            return
        m = self.moment_at(index)
        self.session.show_moment(m.snapshot, self._label(index))
        if self.compare.isChecked():
            self._show_compare()

    def _label(self, index: int) -> str:
        return f"{self.moment_at(index).label} (moment {index + 1} of {len(self.timeline)})"

    def _say_which(self, label: str) -> None:
        n = len(self.timeline) if self.timeline is not None else 0
        if label:
            self.shown.setText(
                f"Every panel shows the network at: {label}. "
                f"Latest goes back to the current weights."
            )
            self.shown.setStyleSheet(f"color: {theme.ACCENT}; font-weight: bold")
        else:
            self.scrub.blockSignals(True)  # the current weights: the slider at the latest moment
            self.scrub.setValue(self.scrub.maximum())  # (not a scrub: nothing to show again)
            self.scrub.blockSignals(False)
            kept = (
                f" — {n} moments of its training kept: drag to replay"
                if n > 1
                else " (a network trained here keeps moments of its training to replay)"
            )
            self.shown.setText(CURRENT + kept)
            self.shown.setStyleSheet("")
        self._show_validation(self.moment_at(self.scrub.value()) if label and n else None)

    def _show_validation(self, m: Moment | None) -> None:
        table = m.confusion if m is not None else None
        acc = m.val_accuracy if m is not None else None
        self.validation.setText(
            f"Validation accuracy at this moment: {acc:.0%}" if acc is not None else ""
        )
        self.validation.setVisible(acc is not None)
        if table is None or len(table) > MATRIX_TABLE_MAX_CLASSES or self.compare.isChecked():
            self.confusion.hide()  # (comparing: the room goes to the two moments)
            return
        names = list(self.session.spec.classes)[: len(table)]
        self.confusion.setRowCount(len(table))
        self.confusion.setColumnCount(len(table))
        self.confusion.setVerticalHeaderLabels([f"true {n}" for n in names])
        self.confusion.setHorizontalHeaderLabels([f"said {n}" for n in names])
        for r, row in enumerate(table):
            for c, v in enumerate(row):
                self.confusion.setItem(r, c, QTableWidgetItem(str(int(v))))
        self.confusion.show()

    # ---- compare ---------------------------------------------------------------------------------
    def _compare_toggled(self, on: bool) -> None:
        self.compare_box.setVisible(on)
        self._say_which(self.session.moment)  # the confusion table makes room, or comes back
        if on:
            if not self.session.moment:  # A: the moment at the slider, shown in the panels
                self._scrubbed(self.scrub.value())
            self._show_compare()

    def compared(self) -> tuple[Moment, Moment]:
        return self.moment_at(self.scrub.value()), self.moment_at(self.other.value())

    def _show_compare(self, *_args) -> None:
        if not self.compare.isChecked() or self.timeline is None or len(self.timeline) < 2:
            return
        a, b = self.compared()
        self.other_label.setText(self.moment_at(self.other.value()).label)
        moved = changes(a.snapshot, b.snapshot)
        if self.layer.count() != len(moved):
            self.layer.blockSignals(True)
            self.layer.clear()
            self.layer.addItems([c.layer for c in moved])
            self.layer.blockSignals(False)
        self.moved.setText(
            "How far each layer moved from A to B: "
            + ", ".join(f"{c.layer} {c.relative:.0%}" for c in moved)
        )
        change = next((c for c in moved if c.layer == self.layer.currentText()), moved[0])
        level = max(float(np.abs(change.a).max()), float(np.abs(change.b).max()), 1e-6)
        diff = change.difference
        for name, w, lv in (
            ("A", change.a, level),
            ("B", change.b, level),
            ("B − A", diff, max(float(np.abs(diff).max()), 1e-6)),
        ):
            self.images[name].setImage(weight_picture(w), levels=(-lv, lv), autoLevels=False)
        self._show_votes(a, b)

    def votes_at(self, m: Moment) -> np.ndarray:
        """The class probabilities of the current drawing under the weights of moment `m`."""
        if self._probe is None:
            self._probe = copy.deepcopy(self.session.model)
        self._probe.load_snapshot(m.snapshot)
        return self._probe.trace(self.session.canvas.as_input()).probabilities

    def _show_votes(self, a: Moment, b: Moment) -> None:
        if self.session.model is None:
            return
        pa, pb = self.votes_at(a), self.votes_at(b)
        names = self.session.spec.classes
        order = np.argsort(-np.maximum(pa, pb))[:VOTES_MAX_BARS]
        self.votes.setRowCount(len(order))
        for r, i in enumerate(order):
            for c, text in enumerate(
                (names[i], f"{pa[i]:.0%}", f"{pb[i]:.0%}", f"{pb[i] - pa[i]:+.0%}")
            ):
                self.votes.setItem(r, c, QTableWidgetItem(text))
