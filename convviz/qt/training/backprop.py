"""The deck's backprop table, live: for the drawing on the canvas and the class the person says
it is, the right answer, the network's actual answer, the error for each class and the total,
following the weights as they are trained."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QHBoxLayout, QLabel, QTableWidgetItem, QVBoxLayout, QWidget

from ...core.blank import is_blank

EXPLAIN = (
    "error = right answer - actual answer; the total adds up their sizes. Training nudges "
    "every feature pixel and voting weight to make the total smaller."
)
HEADERS = ["class", "right", "actual", "error"]
HEADER_TIPS = [
    "",
    "The right answer: 1 for the class the drawing is, 0 for every other",
    "The network's answer: its probability for each class",
    "right answer - actual answer: + where the answer should grow, - where it should shrink",
]
NOTHING_DRAWN = "Nothing drawn yet: draw something to see the error for it."


def error_table(probabilities: np.ndarray, target: int):
    """The deck's table for one picture: right answer (1 for its class, 0 elsewhere), actual
    answer (the network's probability for each class), error = right - actual (signed, as the
    lesson has it: + where the answer should grow, - where it should shrink), and the total of
    the errors' sizes (the signed errors of probabilities always add up to 0)."""
    actual = np.asarray(probabilities, np.float64)
    right = np.zeros_like(actual)
    right[target] = 1.0
    error = right - actual
    return right, actual, error, float(np.abs(error).sum())


class BackpropView(QWidget):
    """For the drawing on the canvas and the class the person says it is: the right answer, the
    network's actual answer and the error for each class, and the total error, following the
    weights as they are trained. Fed traces (`set_trace`): the network's reading of the drawing,
    already worked out by whoever shows it (the window's session), so no forward pass here."""

    def __init__(self, parent: QWidget | None = None):
        from PySide6.QtWidgets import QComboBox, QTableWidget

        super().__init__(parent)
        self._classes: tuple[str, ...] = ()
        self._probabilities: np.ndarray | None = None  # the newest trace's, one per class
        self.blank = False  # the newest trace's drawing is blank: nothing to work out
        self.target = QComboBox()
        self.target.setToolTip("What the drawing really is: the right answer")
        self.target.currentIndexChanged.connect(self._update)
        self.table = QTableWidget(0, 4)
        # one word each: a quarter of a narrow dock cut "right answer" to "ight answe"; the
        # line under the table and the tooltips say them whole
        self.table.setHorizontalHeaderLabels(HEADERS)
        for c, tip in enumerate(HEADER_TIPS):
            self.table.horizontalHeaderItem(c).setToolTip(tip)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        from PySide6.QtWidgets import QHeaderView

        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.explain = QLabel(EXPLAIN)
        self.explain.setWordWrap(True)
        self.explain.setObjectName("hint")
        top = QHBoxLayout()
        top.addWidget(QLabel("This drawing is:"))
        top.addWidget(self.target, 1)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.explain)

    # ---- inputs ----------------------------------------------------------------------------
    def set_trace(self, trace) -> None:
        """The network's answer for the drawing, already worked out (no forward pass here)."""
        if tuple(trace.classes) != self._classes:
            self._set_classes(trace.classes)
        # a blank canvas has no right answer: no error is worked out for nothing (the votes say
        # "Nothing to classify yet" for the same drawing)
        self.blank = is_blank(trace.input, trace.spec.value_range)
        self._probabilities = None if self.blank else np.asarray(trace.probabilities)
        self._update()

    def _set_classes(self, classes) -> None:
        keep = self.target.currentText()  # the class the person picked, if it still exists
        self._classes = tuple(classes)
        self.target.blockSignals(True)
        self.target.clear()
        self.target.addItems(list(classes))
        if keep in self._classes:
            self.target.setCurrentIndex(self._classes.index(keep))
        self.target.blockSignals(False)
        self.table.setRowCount(len(classes) + 1)

    def set_target(self, index: int) -> None:
        self.target.setCurrentIndex(index)

    # ---- output ----------------------------------------------------------------------------
    def current(self):
        """(right, actual, error, total) now, or None before the first trace."""
        if self._probabilities is None or self.target.currentIndex() < 0:
            return None
        return error_table(self._probabilities, self.target.currentIndex())

    def _cell(self, r: int, c: int) -> QTableWidgetItem:
        item = self.table.item(r, c)
        if item is None:
            item = QTableWidgetItem()
            left = Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft
            item.setTextAlignment(Qt.AlignmentFlag.AlignCenter if c else left)
            self.table.setItem(r, c, item)
        return item

    def _show_nothing(self) -> None:
        """Every class named, no numbers, and the line under the table saying why."""
        self.explain.setText(NOTHING_DRAWN)
        for r in range(self.table.rowCount()):
            for c in range(self.table.columnCount()):
                item = self._cell(r, c)
                item.setText(self._classes[r] if c == 0 and r < len(self._classes) else "")
                item.setBackground(QBrush())

    def _update(self) -> None:
        if self.blank:
            self._show_nothing()
            return
        rows = self.current()
        if rows is None:
            return
        self.explain.setText(EXPLAIN)
        right, actual, error, total = rows
        classes = list(self._classes)
        t = self.target.currentIndex()
        for r, name in enumerate([*classes, "Total"]):
            values = (
                [name, f"{right[r]:.0f}", f"{actual[r]:.2f}", f"{error[r]:+.2f}"]
                if r < len(classes)
                else ["Total", "", "", f"{total:.2f}"]
            )
            for c, text in enumerate(values):
                item = self._cell(r, c)
                item.setText(text)
                bold = r == t or r == len(classes)
                f = item.font()
                f.setBold(bold)
                item.setFont(f)
                if c == 3 and r < len(classes):  # redder as the error grows
                    # a red wash over the table, readable with light or dark text
                    item.setBackground(QBrush(QColor(230, 60, 50, int(210 * abs(float(error[r]))))))
