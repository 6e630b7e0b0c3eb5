"""The confusion matrix, two ways: a table of few classes (one cell per pair, each class's share
right in a last column, a click on a count asks for its images) and, for many classes, a binned
picture with a list of the most common confusions. Shown by the Results panel (results.py)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QImage, QPixmap
from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...core.limits import MATRIX_IMAGE_MAX_PX, TOP_CONFUSIONS
from ..widgets.bar_chart import name_tooltip, short_name


class ConfusionMatrixView(QTableWidget):
    """Rows: the true class; columns: what the network said. The diagonal is right. A last
    column, "right", is each class's share of images it called right (its accuracy)."""

    cell_chosen = Signal(int, int)  # (true class, said class) of a clicked count

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.classes = 0
        self.cellClicked.connect(self._clicked)
        self.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self._names: list[str] = []  # the columns' class names, whole (cut to fit: _fit_names)
        self.horizontalHeader().sectionResized.connect(lambda *_: self._fit_names())
        self.setToolTip(
            "Each row is what the images really are; each column is what the "
            "network said. Numbers off the diagonal are mistakes. Click a number "
            "to see its images."
        )

    def _clicked(self, row: int, col: int) -> None:
        if 0 <= row < self.classes and 0 <= col < self.classes:
            self.cell_chosen.emit(row, col)

    def set_matrix(self, confusion: np.ndarray, classes) -> None:
        n = len(classes)
        self.classes = n
        self.setRowCount(n)
        self.setColumnCount(n + 1)
        self._names = [short_name(c) for c in classes]
        for k, c in enumerate(classes):  # "said ..." is in the caption: narrow
            for _header, text, put in (
                (self.horizontalHeaderItem, short_name(c), self.setHorizontalHeaderItem),
                (self.verticalHeaderItem, f"is {short_name(c)}", self.setVerticalHeaderItem),
            ):
                item = QTableWidgetItem(text)
                item.setToolTip(name_tooltip(c))
                put(k, item)
        totals = confusion.sum(axis=1, keepdims=True).clip(min=1)
        share = confusion / totals
        for i in range(n):
            for j in range(n):
                item = QTableWidgetItem(str(int(confusion[i, j])))
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                s = float(share[i, j])
                # green where right, red where wrong: a wash, readable on dark and light themes
                rgb = (60, 185, 100) if i == j else (230, 70, 55)
                item.setBackground(QBrush(QColor(*rgb, int(20 + 200 * s))))
                f = item.font()
                f.setBold(bool(confusion[i, j] > 0))
                f.setPointSizeF(f.pointSizeF() * 1.2)
                item.setFont(f)
                item.setToolTip(
                    f"{int(confusion[i, j])} of {int(totals[i, 0])} images of "
                    f"{short_name(classes[i])!r} were called "
                    f"{short_name(classes[j])!r} ({s:.0%})"
                )
                self.setItem(i, j, item)
        self._per_class_accuracy(confusion, classes)
        self._fit_names()

    def resizeEvent(self, event):
        super().resizeEvent(event)
        self._fit_names()  # the stretched columns' widths follow the table's

    def _fit_names(self) -> None:
        """A class name wider than its column is cut to the start that fits, with a dot
        ("squ.", "tri.": the whole name in its tooltip), not clipped at both ends as Qt's
        centred header text was ("quar" for square)."""
        header = self.horizontalHeader()
        metrics = header.fontMetrics()
        for k, name in enumerate(self._names):
            item = self.horizontalHeaderItem(k)
            room = header.sectionSize(k) - 10  # the header's own padding, both sides
            text = name
            while len(text.rstrip(".")) > 1 and metrics.horizontalAdvance(text) > room:
                text = name[: len(text.rstrip(".")) - 1] + "."
            if item is not None and item.text() != text:
                item.setText(text)

    def _per_class_accuracy(self, confusion: np.ndarray, classes) -> None:
        """The last column: each class's images called right, as a share (recall)."""
        n = len(classes)
        head = QTableWidgetItem("right")
        head.setToolTip("Each class's accuracy: the share of its images the network called right")
        self.setHorizontalHeaderItem(n, head)
        # as wide as "100%": the matrix's columns share what is left
        self.horizontalHeader().setSectionResizeMode(n, QHeaderView.ResizeMode.ResizeToContents)
        for i, acc in enumerate(per_class_accuracy(confusion)):
            total = int(confusion[i].sum())
            item = QTableWidgetItem("–" if total == 0 else f"{acc:.0%}")
            item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
            f = item.font()
            f.setItalic(True)
            item.setFont(f)
            item.setToolTip(
                f"{int(confusion[i, i])} of {total} images of "
                f"{short_name(classes[i])!r} called right"
            )
            self.setItem(i, n, item)


def per_class_accuracy(confusion: np.ndarray) -> np.ndarray:
    """(n,) each class's share of its images called right; NaN for a class with none."""
    confusion = np.asarray(confusion, np.float64)
    totals = confusion.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, np.diag(confusion) / totals, np.nan)


class ConfusionOverview(QWidget):
    """The matrix of many classes: a picture (true class down, said across; green where right,
    red where wrong, brighter for more images) and the most common confusions as a list; a
    click on a confusion asks for its images."""

    cell_chosen = Signal(int, int)  # (true class, said class) of a clicked confusion

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.pairs: list[tuple[int, int]] = []  # (true, said) of each row of the list
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.picture = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.picture.setMinimumSize(120, 120)
        self.picture.setToolTip(
            "Each pixel is a block of classes: rows what the images are, "
            "columns what the network said; the diagonal is right."
        )
        self.top = QTableWidget(0, 3)
        self.top.setHorizontalHeaderLabels(["is", "said", "images"])
        self.top.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.top.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.top.setToolTip("Click a confusion to see its images")
        self.top.cellClicked.connect(
            lambda row, _col: (
                self.cell_chosen.emit(*self.pairs[row]) if 0 <= row < len(self.pairs) else None
            )
        )
        self.image: QImage | None = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.caption)
        lay.addWidget(self.picture, 1)
        lay.addWidget(self.top, 1)

    def set_pairs(self, truth: np.ndarray, said: np.ndarray, classes) -> None:
        n = len(classes)
        self.image = matrix_picture(truth, said, n)
        self._fit_picture()
        wrong = truth != said
        pairs, counts = np.unique(
            truth[wrong].astype(np.int64) * n + said[wrong], return_counts=True
        )
        order = np.argsort(-counts, kind="stable")[:TOP_CONFUSIONS]
        self.top.setRowCount(len(order))
        self.pairs = [divmod(int(pairs[k]), n) for k in order]
        for row, ((t, p), k) in enumerate(zip(self.pairs, order, strict=True)):
            for col, (text, tip) in enumerate(
                (
                    (short_name(classes[t]), name_tooltip(classes[t])),
                    (short_name(classes[p]), name_tooltip(classes[p])),
                    (str(int(counts[k])), ""),
                )
            ):
                item = QTableWidgetItem(text)
                item.setToolTip(tip)
                self.top.setItem(row, col, item)
        side = self.image.width()
        self.caption.setText(
            f"{n:,} classes: too many for a table. The picture shows the matrix in "
            f"{side} x {side} blocks"
            + (f" of about {n / side:.0f} classes each" if side < n else "")
            + f"; below, the {len(order)} most common confusions of {len(pairs):,}."
        )

    def resizeEvent(self, event):
        super().resizeEvent(event)
        self._fit_picture()

    def _fit_picture(self) -> None:
        if self.image is None:
            return
        side = max(min(self.picture.width(), self.picture.height()), 1)
        self.picture.setPixmap(
            QPixmap.fromImage(self.image).scaled(
                side,
                side,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.FastTransformation,
            )
        )


def matrix_picture(truth: np.ndarray, said: np.ndarray, n: int) -> QImage:
    """The confusion matrix binned to at most MATRIX_IMAGE_MAX_PX pixels a side: green where the
    images were right, red where wrong, brighter for more (on a log scale). Counted from the
    (truth, said) pairs: memory and time follow the images, not n^2."""
    side = min(n, MATRIX_IMAGE_MAX_PX)
    rows = np.asarray(truth, np.int64) * side // n
    cols = np.asarray(said, np.int64) * side // n
    right = np.zeros((side, side), np.float32)
    wrong = np.zeros((side, side), np.float32)
    ok = np.asarray(truth) == np.asarray(said)
    np.add.at(right, (rows[ok], cols[ok]), 1)
    np.add.at(wrong, (rows[~ok], cols[~ok]), 1)
    top = max(float(right.max(initial=0)), float(wrong.max(initial=0)), 1.0)

    def level(a):
        return np.log1p(a) / np.log1p(top)

    rgba = np.zeros((side, side, 4), np.uint8)
    rgba[..., 3] = 255
    g, r = level(right), level(wrong)
    rgba[..., 0] = np.round(40 + 190 * r).astype(np.uint8)
    rgba[..., 1] = np.round(40 + 145 * g).astype(np.uint8)
    rgba[..., 2] = 45
    rgba = np.ascontiguousarray(rgba)
    return QImage(rgba.data, side, side, 4 * side, QImage.Format.Format_RGBA8888).copy()
