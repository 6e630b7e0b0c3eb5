"""After training: validation accuracy, the confusion matrix with each class's share right beside
it, and the validation images the network got wrong, each with what it said.

Results you can click: a cell of the matrix shows the images behind it in the gallery (a
diagonal cell the ones it got right); clicking an image in the gallery emits `image_chosen`
with the image, which the window puts on the canvas, so every panel explains that answer.

`mistakes(outcome)` is the plain computation; the widgets only show it. Nothing here grows with
the square of the number of classes: up to MATRIX_TABLE_MAX_CLASSES the matrix is a table, one
cell per pair; above it (10,000 classes made a table of 10^8 cells and aborted the window) it
is a picture of at most MATRIX_IMAGE_MAX_PX pixels a side, binned, and a list of the most common
confusions, both counted from the validation answers themselves.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...core.limits import MATRIX_IMAGE_MAX_PX, MATRIX_TABLE_MAX_CLASSES, TOP_CONFUSIONS
from ...core.mistakes import Mistake, mistakes
from ..widgets.bar_chart import name_tooltip, short_name
from ..widgets.thumbnails import THUMB, to_qimage
from .worker import TrainOutcome

MAX_GALLERY = 300  # thumbnails beyond this tell little more and cost memory


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
        self.setToolTip("Each row is what the images really are; each column is what the "
                        "network said. Numbers off the diagonal are mistakes. Click a number "
                        "to see its images.")

    def _clicked(self, row: int, col: int) -> None:
        if 0 <= row < self.classes and 0 <= col < self.classes:
            self.cell_chosen.emit(row, col)

    def set_matrix(self, confusion: np.ndarray, classes) -> None:
        n = len(classes)
        self.classes = n
        self.setRowCount(n)
        self.setColumnCount(n + 1)
        for k, c in enumerate(classes):  # "said ..." is in the caption: narrow
            for _header, text, put in ((self.horizontalHeaderItem, short_name(c),
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
        self._per_class_accuracy(confusion, classes)

    def _per_class_accuracy(self, confusion: np.ndarray, classes) -> None:
        """The last column: each class's images called right, as a share (recall)."""
        n = len(classes)
        head = QTableWidgetItem("right")
        head.setToolTip("Each class's accuracy: the share of its images the network called "
                        "right")
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
            item.setToolTip(f"{int(confusion[i, i])} of {total} images of "
                            f"{short_name(classes[i])!r} called right")
            self.setItem(i, n, item)


def per_class_accuracy(confusion: np.ndarray) -> np.ndarray:
    """(n,) each class's share of its images called right; NaN for a class with none."""
    confusion = np.asarray(confusion, np.float64)
    totals = confusion.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, np.diag(confusion) / totals, np.nan)


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

    def resizeEvent(self, event):
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


class MistakesGallery(QListWidget):
    """Thumbnails of validation images (the ones it got wrong, or one matrix cell's), captioned
    'is A, said B'; clicking one asks for it on the canvas (`image_chosen`)."""

    image_chosen = Signal(int)  # index into the run's images

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.itemClicked.connect(
            lambda item: self.image_chosen.emit(int(item.data(Qt.ItemDataRole.UserRole))))
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
                            f"\nsaid {name_tooltip(classes[m.said])}\nClick: open it on the "
                            f"canvas")
            item.setData(Qt.ItemDataRole.UserRole, m.index)
            self.addItem(item)


class TrainingResults(QWidget):
    # an image of the run, (C, H, W) in the value range, and a caption ("is A, said B"): the
    # window puts it on the canvas
    image_chosen = Signal(object, str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._run: _Run | None = None  # the finished run shown (None: no images to show)
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
        self.gallery_title.setWordWrap(True)
        self.all_mistakes = QPushButton("All mistakes")
        self.all_mistakes.setToolTip("Back to every validation image it got wrong")
        self.all_mistakes.hide()
        self.all_mistakes.clicked.connect(self.show_all_mistakes)
        self.confusion.cell_chosen.connect(self.show_cell)
        self.gallery.image_chosen.connect(self._choose_image)
        lower = QWidget()
        gl = QVBoxLayout(lower)
        gl.setContentsMargins(0, 0, 0, 0)
        title_row = QHBoxLayout()
        title_row.addWidget(self.gallery_title, 1)
        title_row.addWidget(self.all_mistakes)
        gl.addLayout(title_row)
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
        self.all_mistakes.hide()
        self._run = None

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
            self._clear(self.summary.text())
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
        self._run = _Run(outcome.job.X, truth, said, np.asarray(r.val_indices), outcome.job.paths,
                         classes, outcome.model.spec.value_range)
        self.show_all_mistakes()

    # ---- results you can click -------------------------------------------------------------
    def show_all_mistakes(self) -> None:
        run = self._run
        if run is None:
            return
        found = run.images(run.truth != run.said)
        self.gallery.set_mistakes(found, run.X, run.classes, run.value_range)
        self.all_mistakes.hide()
        self.gallery_title.setText(
            "No mistakes on the validation images." if not found else
            f"Validation images it got wrong{_count(found)}. Click one to open it on the "
            f"canvas; click a number in the matrix for its images.")

    def show_cell(self, truth: int, said: int) -> None:
        """The validation images behind one cell of the matrix (right ones on the diagonal)."""
        run = self._run
        if run is None:
            self.gallery_title.setText("The images behind the matrix are shown only in the "
                                       "session that trained it.")
            return
        found = run.images((run.truth == truth) & (run.said == said))
        self.gallery.set_mistakes(found, run.X, run.classes, run.value_range)
        self.all_mistakes.show()
        is_, said_ = short_name(run.classes[truth]), short_name(run.classes[said])
        self.gallery_title.setText(
            f"No validation image of {is_!r} was called {said_!r}." if not found else
            f"Images of {is_!r} it called {said_!r}{_count(found)}. Click one to open it on "
            f"the canvas.")

    def _choose_image(self, index: int) -> None:
        run = self._run
        if run is None or not 0 <= index < len(run.X):
            return
        k = int(np.flatnonzero(run.indices == index)[0]) if index in run.indices else None
        caption = (f"image {index}" if not run.paths else run.paths[index])
        if k is not None:
            caption += (f": is {short_name(run.classes[run.truth[k]])}, said "
                        f"{short_name(run.classes[run.said[k]])}")
        self.image_chosen.emit(np.asarray(run.X[index], np.float32), caption)


def _count(found: list) -> str:
    shown = min(len(found), MAX_GALLERY)
    return f" ({shown} of {len(found)} shown)" if shown < len(found) else f" ({len(found)})"


class _Run:
    """What the clickable results need from a finished run: its images and the validation
    answers (truth and said, in the order of `indices` into X)."""

    def __init__(self, X, truth, said, indices, paths, classes, value_range):
        self.X, self.truth, self.said, self.indices = X, truth, said, indices
        self.paths, self.classes, self.value_range = paths, classes, value_range

    def images(self, which: np.ndarray) -> list[Mistake]:
        paths = self.paths
        return [Mistake(int(self.indices[k]), int(self.truth[k]), int(self.said[k]),
                        paths[self.indices[k]] if paths else None)
                for k in np.flatnonzero(which)]
