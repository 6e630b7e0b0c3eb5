"""After training: validation accuracy, the confusion matrix with each class's share right beside
it, and the validation images the network got wrong, each with what it said.

Results you can click: a cell of the matrix shows the images behind it in the gallery (a
diagonal cell the ones it got right); clicking an image in the gallery emits `image_chosen`
with the image, which the window puts on the canvas, so every panel explains that answer.

`mistakes(outcome)` is the plain computation; the widgets only show it (the matrix's views are
in confusion.py). Nothing grows with the square of the number of classes: up to
MATRIX_TABLE_MAX_CLASSES the matrix is a table, one cell per pair; above it (10,000 classes
made a table of 10^8 cells and aborted the window) it is a picture of at most
MATRIX_IMAGE_MAX_PX pixels a side, binned, and a list of the most common confusions, both
counted from the validation answers themselves.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ...core.limits import MATRIX_TABLE_MAX_CLASSES
from ...core.mistakes import Mistake, mistakes
from ..widgets.bar_chart import name_tooltip, short_name
from ..widgets.thumbnails import THUMB, to_qimage
from .confusion import ConfusionMatrixView, ConfusionOverview
from .worker import TrainOutcome

MAX_GALLERY = 300  # thumbnails beyond this tell little more and cost memory


class MistakesGallery(QListWidget):
    """Thumbnails of validation images (the ones it got wrong, or one matrix cell's), captioned
    'is A, said B'; clicking one asks for it on the canvas (`image_chosen`)."""

    image_chosen = Signal(int)  # index into the run's images

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.itemClicked.connect(
            lambda item: self.image_chosen.emit(int(item.data(Qt.ItemDataRole.UserRole)))
        )
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
                THUMB,
                THUMB,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.FastTransformation,
            )  # crisp pixels, as the canvas shows
            item = QListWidgetItem(
                QIcon(QPixmap.fromImage(img)),
                f"is {short_name(classes[m.truth])}\nsaid {short_name(classes[m.said])}",
            )
            item.setToolTip(
                f"{m.path or f'image {m.index}'}\nis {name_tooltip(classes[m.truth])}"
                f"\nsaid {name_tooltip(classes[m.said])}\nClick: open it on the "
                f"canvas"
            )
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
        self.overview.cell_chosen.connect(self.show_cell)
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
        self._clear(
            f"<b>Validation accuracy {acc:.1%}</b> at the end of this network's training: "
            f"{n_val - wrong} of {n_val} held-back images right, {wrong} wrong."
        )
        if confusion.shape == (len(spec.classes),) * 2:
            self.confusion.set_matrix(confusion, spec.classes)
        self.gallery_title.setText(
            "The images it got wrong are shown only in the session that trained it."
        )

    def show_outcome(self, outcome: TrainOutcome) -> None:
        r = outcome.result
        classes = outcome.job.classes
        if r is None:
            self.summary.setText(f"Training failed: {outcome.error}")
            return
        if r.val_accuracy is None or r.val_indices is None:
            self.summary.setText(
                "No validation images were held back, so there is nothing to "
                "score. Set a validation share above 0 to see the mistakes."
            )
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
            f"columns: what the network said."
        )
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
        self._run = _Run(
            outcome.job.X,
            truth,
            said,
            np.asarray(r.val_indices),
            outcome.job.paths,
            classes,
            outcome.model.spec.value_range,
        )
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
            "No mistakes on the validation images."
            if not found
            else f"Validation images it got wrong{_count(found)}. Click one to open it on the "
            f"canvas; click a number in the matrix for its images."
        )

    def show_cell(self, truth: int, said: int) -> None:
        """The validation images behind one cell of the matrix (right ones on the diagonal)."""
        run = self._run
        if run is None:
            self.gallery_title.setText(
                "The images behind the matrix are shown only in the session that trained it."
            )
            return
        found = run.images((run.truth == truth) & (run.said == said))
        self.gallery.set_mistakes(found, run.X, run.classes, run.value_range)
        self.all_mistakes.show()
        is_, said_ = short_name(run.classes[truth]), short_name(run.classes[said])
        self.gallery_title.setText(
            f"No validation image of {is_!r} was called {said_!r}."
            if not found
            else f"Images of {is_!r} it called {said_!r}{_count(found)}. Click one to open it on "
            f"the canvas."
        )

    def _choose_image(self, index: int) -> None:
        run = self._run
        if run is None or not 0 <= index < len(run.X):
            return
        k = int(np.flatnonzero(run.indices == index)[0]) if index in run.indices else None
        caption = f"image {index}" if not run.paths else run.paths[index]
        if k is not None:
            caption += (
                f": is {short_name(run.classes[run.truth[k]])}, said "
                f"{short_name(run.classes[run.said[k]])}"
            )
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
        return [
            Mistake(
                int(self.indices[k]),
                int(self.truth[k]),
                int(self.said[k]),
                paths[self.indices[k]] if paths else None,
            )
            for k in np.flatnonzero(which)
        ]
