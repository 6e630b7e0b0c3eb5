"""After training: validation accuracy, the confusion matrix, and the validation images the
network got wrong, each with what it said.

`mistakes(outcome)` is the plain computation; the widgets only show it. Nothing here grows with
the square of the number of classes: up to MATRIX_TABLE_MAX_CLASSES the matrix is a table, one
cell per pair; above it (10,000 classes made a table of 10^8 cells and aborted the window) it
is a picture of at most MATRIX_IMAGE_MAX_PX pixels a side, binned, and a list of the most common
confusions, both counted from the validation answers themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QBrush, QColor, QIcon, QImage, QPixmap
from PySide6.QtWidgets import (QHeaderView, QLabel, QListWidget, QListWidgetItem, QSplitter,
                               QStackedWidget, QTableWidget, QTableWidgetItem, QVBoxLayout,
                               QWidget)

from ..core.limits import MATRIX_IMAGE_MAX_PX, MATRIX_TABLE_MAX_CLASSES, TOP_CONFUSIONS
from .bar_chart import name_tooltip, short_name
from .training_worker import TrainOutcome

MAX_GALLERY = 300  # thumbnails beyond this tell little more and cost memory
THUMB = 72  # pixels


@dataclass
class Mistake:
    index: int  # into the job's X
    truth: int
    said: int
    path: str | None


def mistakes(outcome: TrainOutcome) -> list[Mistake]:
    r = outcome.result
    if r is None or r.val_indices is None:
        return []
    truth = np.asarray(outcome.job.y)[r.val_indices]
    wrong = np.flatnonzero(truth != r.val_predicted)
    paths = outcome.job.paths
    return [Mistake(int(r.val_indices[i]), int(truth[i]), int(r.val_predicted[i]),
                    paths[r.val_indices[i]] if paths else None) for i in wrong]


def to_qimage(image: np.ndarray, value_range) -> QImage:
    """(H, W) in the value range -> an 8-bit grayscale QImage, ink white as in the deck."""
    lo, hi = value_range
    a = np.clip(np.nan_to_num((np.asarray(image, np.float32) - lo) / (hi - lo)), 0, 1)
    a = np.ascontiguousarray(np.round(a * 255).astype(np.uint8))
    h, w = a.shape
    return QImage(a.data, w, h, w, QImage.Format.Format_Grayscale8).copy()


class ConfusionMatrixView(QTableWidget):
    """Rows: the true class; columns: what the network said. The diagonal is right."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.setToolTip("Each row is what the images really are; each column is what the "
                        "network said. Numbers off the diagonal are mistakes.")

    def set_matrix(self, confusion: np.ndarray, classes) -> None:
        n = len(classes)
        self.setRowCount(n)
        self.setColumnCount(n)
        for k, c in enumerate(classes):  # "said ..." is in the caption: narrow
            for header, text, put in ((self.horizontalHeaderItem, short_name(c),
                                       self.setHorizontalHeaderItem),
                                      (self.verticalHeaderItem, f"is {short_name(c)}",
                                       self.setVerticalHeaderItem)):
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
                item.setToolTip(f"{int(confusion[i, j])} of {int(totals[i, 0])} images of "
                                f"{short_name(classes[i])!r} were called "
                                f"{short_name(classes[j])!r} ({s:.0%})")
                self.setItem(i, j, item)


class ConfusionOverview(QWidget):
    """The matrix of many classes: a picture (true class down, said across; green where right,
    red where wrong, brighter for more images) and the most common confusions as a list."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.picture = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.picture.setMinimumSize(120, 120)
        self.picture.setToolTip("Each pixel is a block of classes: rows what the images are, "
                                "columns what the network said; the diagonal is right.")
        self.top = QTableWidget(0, 3)
        self.top.setHorizontalHeaderLabels(["is", "said", "images"])
        self.top.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.top.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
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
        pairs, counts = np.unique(truth[wrong].astype(np.int64) * n + said[wrong],
                                  return_counts=True)
        order = np.argsort(-counts, kind="stable")[:TOP_CONFUSIONS]
        self.top.setRowCount(len(order))
        for row, k in enumerate(order):
            t, p = divmod(int(pairs[k]), n)
            for col, (text, tip) in enumerate(((short_name(classes[t]), name_tooltip(classes[t])),
                                               (short_name(classes[p]), name_tooltip(classes[p])),
                                               (str(int(counts[k])), ""))):
                item = QTableWidgetItem(text)
                item.setToolTip(tip)
                self.top.setItem(row, col, item)
        side = self.image.width()
        self.caption.setText(
            f"{n:,} classes: too many for a table. The picture shows the matrix in "
            f"{side} x {side} blocks"
            + (f" of about {n / side:.0f} classes each" if side < n else "")
            + f"; below, the {len(order)} most common confusions of {len(pairs):,}.")

    def resizeEvent(self, event):  # noqa: N802
        super().resizeEvent(event)
        self._fit_picture()

    def _fit_picture(self) -> None:
        if self.image is None:
            return
        side = max(min(self.picture.width(), self.picture.height()), 1)
        self.picture.setPixmap(QPixmap.fromImage(self.image).scaled(
            side, side, Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.FastTransformation))


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
    level = lambda a: np.log1p(a) / np.log1p(top)  # noqa: E731
    rgba = np.zeros((side, side, 4), np.uint8)
    rgba[..., 3] = 255
    g, r = level(right), level(wrong)
    rgba[..., 0] = np.round(40 + 190 * r).astype(np.uint8)
    rgba[..., 1] = np.round(40 + 145 * g).astype(np.uint8)
    rgba[..., 2] = 45
    rgba = np.ascontiguousarray(rgba)
    return QImage(rgba.data, side, side, 4 * side, QImage.Format.Format_RGBA8888).copy()


class MistakesGallery(QListWidget):
    """Thumbnails of the validation images it got wrong, captioned 'is A, said B'."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setViewMode(QListWidget.ViewMode.IconMode)
        self.setIconSize(QSize(THUMB, THUMB))
        self.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.setMovement(QListWidget.Movement.Static)
        self.setSpacing(6)
        self.setUniformItemSizes(True)
        self.setGridSize(QSize(THUMB + 60, THUMB + 40))  # room for "said triangle"

    def set_mistakes(self, found: list[Mistake], X: np.ndarray, classes, value_range) -> None:
        self.clear()
        for m in found[:MAX_GALLERY]:
            img = to_qimage(X[m.index, 0], value_range).scaled(
                THUMB, THUMB, Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.FastTransformation)  # crisp pixels, as the canvas shows
            item = QListWidgetItem(QIcon(QPixmap.fromImage(img)),
                                   f"is {short_name(classes[m.truth])}\n"
                                   f"said {short_name(classes[m.said])}")
            item.setToolTip(f"{m.path or f'image {m.index}'}\nis {name_tooltip(classes[m.truth])}"
                            f"\nsaid {name_tooltip(classes[m.said])}")
            item.setData(Qt.ItemDataRole.UserRole, m.index)
            self.addItem(item)


class TrainingResults(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.summary = QLabel("No training run yet.")
        self.summary.setWordWrap(True)
        self.summary.setMinimumHeight(40)
        self.confusion = ConfusionMatrixView()
        self.overview = ConfusionOverview()
        self.matrix = QStackedWidget()  # the table (few classes) or the overview (many)
        self.matrix.addWidget(self.confusion)
        self.matrix.addWidget(self.overview)
        self.gallery = MistakesGallery()
        self.gallery_title = QLabel("Validation images it got wrong")
        lower = QWidget()
        gl = QVBoxLayout(lower)
        gl.setContentsMargins(0, 0, 0, 0)
        gl.addWidget(self.gallery_title)
        gl.addWidget(self.gallery, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.matrix)
        split.addWidget(lower)
        lay = QVBoxLayout(self)
        lay.addWidget(self.summary)
        lay.addWidget(split, 1)

    def _clear(self, text: str) -> None:
        self.summary.setText(text)
        self.confusion.setRowCount(0)
        self.confusion.setColumnCount(0)
        self.gallery.clear()
        self.gallery_title.setText("Validation images it got wrong")

    def show_waiting(self, name: str) -> None:
        """A run is going: nothing of an earlier run may look like its results."""
        self._clear(f"Training {name}: its results appear here when the run ends.")

    def show_saved(self, saved: dict | None, spec) -> None:
        """The results kept with a network opened from a file (the images are not kept)."""
        if not isinstance(saved, dict) or "val_accuracy" not in saved:
            self._clear(f"No training results for this network ({spec.name}).")
            return
        try:
            acc, n_val = float(saved["val_accuracy"]), int(saved.get("val_images", 0))
            wrong = int(saved.get("val_wrong", 0))
            confusion = np.asarray(saved.get("confusion", []), dtype=np.int64)
        except (TypeError, ValueError):  # a file from elsewhere with a summary of its own
            self._clear(f"No readable training results for this network ({spec.name}).")
            return
        self._clear(f"<b>Validation accuracy {acc:.1%}</b> when {spec.name} was trained: "
                    f"{n_val - wrong} of {n_val} held-back images right, {wrong} wrong.")
        if confusion.shape == (len(spec.classes),) * 2:
            self.confusion.set_matrix(confusion, spec.classes)
        self.gallery_title.setText("The images it got wrong are shown only in the session "
                                   "that trained it.")

    def show_outcome(self, outcome: TrainOutcome) -> None:
        r = outcome.result
        classes = outcome.job.classes
        if r is None:
            self.summary.setText(f"Training failed: {outcome.error}")
            return
        if r.val_accuracy is None or r.val_indices is None:
            self.summary.setText("No validation images were held back, so there is nothing to "
                                 "score. Set a validation share above 0 to see the mistakes.")
            self.confusion.setRowCount(0)
            self.gallery.clear()
            return
        found = mistakes(outcome)
        truth = np.asarray(outcome.job.y)[r.val_indices]
        said = np.asarray(r.val_predicted)
        n_val = len(truth)
        self.summary.setText(
            f"<b>Validation accuracy {r.val_accuracy:.1%}</b>: {n_val - len(found)} of {n_val} "
            f"held-back images right, {len(found)} wrong. Trained {len(r.epochs)} epochs on "
            f"{r.device} at {r.images_per_second:,.0f} images/s.<br>Rows: what each image is; "
            f"columns: what the network said.")
        n = len(classes)
        if n <= MATRIX_TABLE_MAX_CLASSES:
            table = np.zeros((n, n), np.int64)
            np.add.at(table, (truth, said), 1)
            self.confusion.set_matrix(table, classes)
            self.matrix.setCurrentWidget(self.confusion)
        else:
            self.confusion.setRowCount(0)
            self.confusion.setColumnCount(0)
            self.overview.set_pairs(truth, said, classes)
            self.matrix.setCurrentWidget(self.overview)
        self.gallery.set_mistakes(found, outcome.job.X, classes, outcome.model.spec.value_range)
        shown = min(len(found), MAX_GALLERY)
        self.gallery_title.setText(
            "No mistakes on the validation images." if not found else
            f"Validation images it got wrong ({shown} of {len(found)} shown)"
            if shown < len(found) else f"Validation images it got wrong ({len(found)})")
