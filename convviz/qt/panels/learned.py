"""What it learned: for any convolution feature or class, the picture it would like best and the
training images that excite it most.

- *The picture it would like best*: gradient ascent on the input (core.feature_vis) from a blank
  picture or the drawing, shown next to the feature's kernel; Stop keeps the best picture so far,
  "Put it on the canvas" lets every panel read it.
- *The images that excite it most*: after a training run, the nine images of its data where the
  feature responded most strongly, each with the patch the feature saw (its receptive field)
  outlined; for a class, the nine it was surest of and the nine it was least sure of
  (core.top_images). Clicking an image opens it on the canvas.

Both run in the session's background jobs, on a copy of the network (the window's thread keeps
the original). The training images come from the training tools (learned_wiring), which hand
them over with `set_training_images` while the trained network is the one in use.
"""

from __future__ import annotations

import copy
import threading

import numpy as np
from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from .. import theme
from ..widgets.bar_chart import short_name
from ..widgets.map_view import MapView
from ..widgets.thumbnails import THUMB, grey, thumbnail

CLASSES = "classes"  # the layer box's entry for the class votes
BLANK = np.array([[[27, 31, 38]]], np.uint8)  # theme.PANEL: where there is nothing to show
NO_IMAGES = (
    "Train on a folder (Train menu) to see the images of its data that excite each "
    "feature most; the images are not kept with saved weights."
)


def on_canvas(session, image: np.ndarray) -> None:
    """Put an image of the network's input shape ((C, H, W) or (H, W)) on the canvas."""
    session.canvas.set_input(grey(image))


def kernel_rgb(weight: np.ndarray) -> np.ndarray:
    """(C, k, k) weights -> (k, k, 3): their mean over the input maps, orange positive and
    blue negative on the kernels panel's symmetric scale."""
    w = np.asarray(weight, np.float32).reshape(-1, *np.shape(weight)[-2:]).mean(axis=0)
    top = float(np.abs(w).max()) or 1.0
    return theme.DIVERGING_LUT[np.round((w / top + 1) * 127.5).clip(0, 255).astype(int)]


class ImageGrid(QListWidget):
    """Thumbnails (3 a row at the panel's width); a click puts the image on the canvas."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setViewMode(QListWidget.ViewMode.IconMode)
        self.setIconSize(QSize(THUMB, THUMB))
        self.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.setMovement(QListWidget.Movement.Static)
        self.setUniformItemSizes(True)
        self.setGridSize(QSize(THUMB + 16, THUMB + 26))
        self.setMinimumHeight(THUMB + 34)


class LearnedPanel(QWidget):
    def __init__(self, session=None, parent=None):
        super().__init__(parent)
        self.session = session
        self.spec = None
        self.snapshot: dict | None = None
        self.images = None  # (model, X, y, paths) of the run that trained the network in use
        self.top = None  # core.top_images.TopImages once found
        self.picture_image: np.ndarray | None = None
        self._stop = threading.Event()
        self.layer_box, self.item_box = QComboBox(), QComboBox()
        self.layer_box.setToolTip("A convolution layer, or the class votes")
        self.item_box.setToolTip("Which feature of the layer (or which class)")
        self.layer_box.currentIndexChanged.connect(self._fill_items)
        self.item_box.currentIndexChanged.connect(self._show_target)
        self.start_box = QComboBox()
        self.start_box.addItems(["blank", "drawing"])
        self.start_box.setToolTip("Start from a blank picture or from the drawing on the canvas")
        self.make_button = QPushButton("Make picture")
        self.make_button.setToolTip(
            "Change a picture step by step so that this feature (or "
            "class) responds as strongly as it can"
        )
        self.make_button.clicked.connect(self.make_picture)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setEnabled(False)
        self.stop_button.clicked.connect(self.stop_picture)
        self.draw_button = QPushButton("Onto the canvas")
        self.draw_button.setToolTip("Put the picture on the canvas: every panel reads it")
        self.draw_button.setEnabled(False)
        self.draw_button.clicked.connect(self._picture_to_canvas)
        self.picture, self.kernel = MapView(), MapView()
        for view in (self.picture, self.kernel):
            view.setMinimumSize(110, 110)
        self.picture_caption = QLabel("The picture it would like best")
        self.kernel_caption = QLabel("Its kernel")
        self.status = QLabel()
        self.most_title, self.least_title = QLabel(), QLabel()
        self.most, self.least = ImageGrid(), ImageGrid()
        for label in (
            self.picture_caption,
            self.kernel_caption,
            self.status,
            self.most_title,
            self.least_title,
        ):
            label.setWordWrap(True)
        self.most.itemClicked.connect(self._image_to_canvas)
        self.least.itemClicked.connect(self._image_to_canvas)
        self._lay_out()
        if session is not None:
            session.network_changed.connect(self._network_changed)

    def _lay_out(self) -> None:
        choose = QHBoxLayout()
        choose.addWidget(QLabel("Look at"))
        choose.addWidget(self.layer_box, 1)
        choose.addWidget(self.item_box, 1)
        make = QHBoxLayout()
        for w in (QLabel("Start"), self.start_box, self.make_button, self.stop_button):
            make.addWidget(w)
        make.addStretch(1)
        for box in (self.layer_box, self.item_box, self.start_box):  # short items: each
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)  # shown whole
        pictures = QGridLayout()
        pictures.addWidget(self.picture, 0, 0)
        pictures.addWidget(self.kernel, 0, 1)
        pictures.addWidget(self.picture_caption, 1, 0)
        pictures.addWidget(self.kernel_caption, 1, 1)
        pictures.addWidget(self.draw_button, 2, 0, Qt.AlignmentFlag.AlignLeft)
        pictures.setColumnStretch(0, 1)
        pictures.setColumnStretch(1, 1)
        # a short tab group (the Training dock open below it) scrolls instead of squeezing the
        # pictures under their captions
        inner = QWidget()
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(inner)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        lay = QVBoxLayout(inner)
        lay.setContentsMargins(8, 6, 8, 6)
        lay.addLayout(choose)
        lay.addLayout(make)
        lay.addLayout(pictures, 2)
        lay.addWidget(self.status)
        lay.addWidget(self.most_title)
        lay.addWidget(self.most, 3)
        lay.addWidget(self.least_title)
        lay.addWidget(self.least, 3)

    # ---- the panel contract ----------------------------------------------------------------
    def set_model(self, spec, snapshot) -> None:
        self.spec, self.snapshot = spec, snapshot
        self._forget()
        self.layer_box.blockSignals(True)
        self.layer_box.clear()
        for i, s in enumerate(spec.shapes()):
            if s.kind == "conv":
                self.layer_box.addItem(s.name, i)
                self.layer_box.setItemData(
                    self.layer_box.count() - 1,
                    f"{s.name}: {s.shape[0]} features",
                    Qt.ItemDataRole.ToolTipRole,
                )
        self.layer_box.addItem(CLASSES, CLASSES)
        self.layer_box.blockSignals(False)
        self._fill_items()

    def show_weights(self, snapshot) -> None:
        self.snapshot = snapshot
        self._show_kernel()

    def show_trace(self, trace) -> None:
        pass  # the drawing is read from the canvas when a picture is made from it

    # ---- what is looked at -----------------------------------------------------------------
    def target(self):
        """(layer index or None for a class, feature or class index)."""
        layer = self.layer_box.currentData()
        return (None if layer == CLASSES else layer), max(self.item_box.currentIndex(), 0)

    def choose(self, layer, index: int) -> None:
        """Look at feature `index` of hidden layer `layer` (None: class `index`)."""
        self.layer_box.setCurrentIndex(self.layer_box.findData(CLASSES if layer is None else layer))
        self.item_box.setCurrentIndex(index)

    def _fill_items(self) -> None:
        if self.spec is None:
            return
        layer = self.layer_box.currentData()
        self.item_box.blockSignals(True)
        self.item_box.clear()
        if layer == CLASSES:
            self.item_box.addItems([short_name(c) for c in self.spec.classes])
        elif layer is not None:
            count = self.spec.shapes()[layer].shape[0]
            self.item_box.addItems([f"feature {f + 1}" for f in range(count)])
        self.item_box.blockSignals(False)
        self._show_target()

    def _show_target(self) -> None:
        self.stop_picture()  # a picture still being made is of the feature looked at before
        self.picture_image = None
        self.picture.set_rgb(BLANK)
        self.draw_button.setEnabled(False)
        self.picture_caption.setText(
            "The picture it would like best: press \u201cMake picture\u201d"
        )
        self._show_kernel()
        self._show_top()

    def _show_kernel(self) -> None:
        layer, index = self.target()
        name = None if layer is None or self.spec is None else self.spec.shapes()[layer].name
        if name is None or self.snapshot is None or not self.snapshot.has_weights(name):
            self.kernel.set_rgb(BLANK)
            self.kernel_caption.setText(
                "A class has no kernel: it adds up votes from the layer before it."
                if layer is None
                else ""
            )
            return
        weight = self.snapshot.weight(name)[index]
        self.kernel.set_rgb(kernel_rgb(weight))
        inputs = f", mean of its {weight.shape[0]} input maps" if weight.shape[0] > 1 else ""
        self.kernel_caption.setText(
            f"Its kernel ({weight.shape[-2]}x{weight.shape[-1]}{inputs}): orange +, blue -"
        )

    # ---- the picture it would like best ----------------------------------------------------
    def make_picture(self) -> None:
        s = self.session
        if s is None or s.model is None:
            return
        from convviz.core.feature_vis import STEPS, Target, visualise
        from convviz.core.train_process import use_one_torch_thread_here

        layer, index = self.target()
        target = Target(layer, index)
        start = s.canvas.as_input() if self.start_box.currentIndex() == 1 else None
        model = copy.deepcopy(s.model)  # the window's thread keeps tracing the original
        self._stop = stop = threading.Event()

        def work(job):
            use_one_torch_thread_here()  # a 28x28 picture: more threads only wait
            return visualise(
                model,
                target,
                start=start,
                steps=STEPS,
                progress=job.progress,
                should_stop=lambda: job.cancelled() or stop.is_set(),
            )

        self.stop_button.setEnabled(True)
        self.make_button.setEnabled(False)
        s.jobs.submit(
            "learned-picture",
            work,
            lambda v: self._show_picture(v, target),
            self._picture_failed,
            text="Making the picture it would like best…",
            cancelled=self._picture_done,
        )

    def stop_picture(self) -> None:
        """End the ascent now: the best picture so far is shown."""
        self._stop.set()  # the running job's own event (each picture gets a new one)

    def _picture_done(self) -> None:
        self.stop_button.setEnabled(False)
        self.make_button.setEnabled(True)

    def _picture_failed(self, message: str) -> None:
        self._picture_done()
        self.picture_caption.setText(f"Could not make the picture: {message}")

    def _show_picture(self, v, target) -> None:
        self._picture_done()
        if self.target() != (target.layer, target.index):
            return  # the person has since chosen another feature
        lo, hi = self.spec.value_range
        g = ((grey(v.image) - lo) / (hi - lo)).clip(0, 1)
        self.picture.set_rgb(np.repeat(np.round(g * 255).astype(np.uint8)[..., None], 3, 2))
        self.picture_image = v.image
        self.draw_button.setEnabled(True)
        what = "vote" if target.layer is None else "mean activation"
        stopped = " (stopped)" if self._stop.is_set() else ""
        self.picture_caption.setText(
            f"The picture it would like best: {what} {v.value:.2f} "
            f"(from {v.start_value:.2f}), {v.steps} steps{stopped}"
        )

    def _picture_to_canvas(self) -> None:
        if self.picture_image is not None and self.session is not None:
            on_canvas(self.session, self.picture_image)

    # ---- the images that excite it most ----------------------------------------------------
    def set_training_images(self, model, X, y, paths) -> None:
        """The images a network was trained on; their top images are found while `model` is
        the network in use."""
        if self.images is not None and self.images[0] is model and self.images[1] is X:
            return
        self.images, self.top = (model, X, y, paths), None
        s = self.session
        if s is None or s.model is not model:
            self.images = None
            return
        from convviz.core.top_images import find_top_images
        from convviz.core.train_process import use_one_torch_thread_here

        copied = copy.deepcopy(model)

        def work(job):
            use_one_torch_thread_here()
            return find_top_images(copied, X, y, should_stop=job.cancelled, progress=job.progress)

        self.status.setText(f"Looking through {len(X):,} training images…")
        s.jobs.submit(
            "learned-top",
            work,
            self._found,
            self._top_failed,
            text="Finding the images that excite each feature most…",
        )

    def _found(self, top) -> None:
        self.top = top
        self._show_top()

    def _top_failed(self, message: str) -> None:
        self.status.setText(f"Could not look through the training images: {message}")

    def _network_changed(self) -> None:
        if self.images is not None and self.session.model is not self.images[0]:
            self._forget()

    def _forget(self) -> None:
        if self.session is not None:
            self.session.jobs.cancel("learned-top")
        self.images, self.top = None, None
        self._show_top()

    def _show_top(self) -> None:
        self.most.clear()
        self.least.clear()
        layer, index = self.target()
        self.least.setVisible(layer is None)
        self.least_title.setVisible(layer is None)
        if self.top is None or self.images is None or self.spec is None:
            self.most_title.setText("The images that excite it most")
            self.least_title.setText("")
            if not self.status.text().startswith("Looking"):
                self.status.setText(NO_IMAGES)
            return
        _model, X, _y, paths = self.images
        n = f"{self.top.images:,} training images"
        self.status.setText(f"Found among {n}. Click an image to open it on the canvas.")
        if layer is None:
            c = self.top.classes
            name = short_name(self.spec.classes[index])
            self.most_title.setText(f"Images of {name!r} it was surest of")
            self.least_title.setText(f"Images of {name!r} it was least sure of")
            self._fill(self.most, X, paths, c.most[index], c.most_p[index], "p")
            self._fill(self.least, X, paths, c.least[index], c.least_p[index], "p")
            return
        from convviz.core.receptive_field import receptive_field

        tops = self.top.layers[layer]
        field = receptive_field(self.spec, layer)
        h, w = X.shape[-2:]
        patches = [
            field.patch(int(r), int(c), h, w)
            for r, c in zip(tops.rows[index], tops.cols[index], strict=True)
        ]
        self.most_title.setText(
            f"The images that excite it most (outlined: the "
            f"{field.rows.size}x{field.cols.size} patch it saw)"
        )
        self._fill(self.most, X, paths, tops.indices[index], tops.scores[index], "", patches)

    def _fill(self, grid, X, paths, indices, scores, prefix, patches=None) -> None:
        for k, (i, score) in enumerate(zip(indices, scores, strict=True)):
            if i < 0:
                continue
            patch = patches[k] if patches else None
            item = QListWidgetItem(
                thumbnail(X[i], self.spec.value_range, patch), f"{prefix} {score:.2f}".strip()
            )
            item.setData(Qt.ItemDataRole.UserRole, int(i))
            item.setToolTip(f"{paths[i] if paths else f'image {i}'}\nClick: open it on the canvas")
            grid.addItem(item)

    def _image_to_canvas(self, item) -> None:
        if self.images is not None and self.session is not None:
            on_canvas(self.session, self.images[1][int(item.data(Qt.ItemDataRole.UserRole))])
