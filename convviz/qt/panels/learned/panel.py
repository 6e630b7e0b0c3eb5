"""What it learned (the package's docstring says what it shows): LearnedPanel, which feature or
class is looked at, its kernel and the layout; its two parts are best_picture and top_images."""

from __future__ import annotations

import threading

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ...widgets.bar_chart import short_name
from ...widgets.map_view import MapView
from .best_picture import BestPictureSection
from .pictures import BLANK, kernel_rgb
from .top_images import ImageGrid, TopImagesSection

CLASSES = "classes"  # the layer box's entry for the class votes


class LearnedPanel(BestPictureSection, TopImagesSection, QWidget):
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
