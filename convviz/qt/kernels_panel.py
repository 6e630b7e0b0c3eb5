"""Features (kernels): what each convolution layer has learned to look for.

A layer of F features over C input maps, k x k each, is one mosaic: one column per feature, one
row per input map it reads (conv1 of `shapes`: a row of 8; conv2: 8 rows of 16). Each layer has
its own symmetric colour scale (weights of different layers differ in size), written in its
title; blue = negative weight, orange = positive. Updates whenever the weights change.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from . import theme
from .mosaic import MosaicLayout

MAX_COLS = 16
LABEL_GAP = 1.1  # room for the title: tiles here are small, so more units

theme.configure_pyqtgraph()


def conv_weight_keys(spec) -> list[tuple[str, str]]:
    """(layer name, state_dict key of its weight) for every convolution, in order."""
    return [(s.name, f"layers.{i}.weight") for i, s in enumerate(spec.shapes())
            if s.kind == "conv"]


def kernel_grid(weight: np.ndarray) -> np.ndarray:
    """(F, C, k, k) weights -> (C * F, k, k) tiles ordered row = input map, column = feature."""
    f, c, k, _ = weight.shape
    return weight.transpose(1, 0, 2, 3).reshape(c * f, k, k)


class KernelsPanel(QWidget):
    """Shows `show_weights(snapshot)`; lays itself out on `set_model(spec, snapshot)`."""

    def __init__(self, session=None, parent=None):
        super().__init__(parent)
        self.layers: dict[str, dict] = {}
        self.hint = QLabel("Each column is one feature; each row, the input map it reads. "
                           "Orange: positive weight, blue: negative.")
        self.hint.setObjectName("hint")
        self.hint.setWordWrap(True)
        self.view = pg.GraphicsLayoutWidget()
        self.box = self.view.addViewBox()
        self.box.setAspectLocked(True)
        self.box.invertY(True)
        self.box.setMouseEnabled(False, False)
        self.box.setMenuEnabled(False)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 6, 8, 0)
        lay.addWidget(self.hint)
        lay.addWidget(self.view, 1)
        if session is not None:
            self.set_model(session.spec, session.snapshot)

    def set_model(self, spec, snapshot=None) -> None:
        for entry in self.layers.values():
            self.box.removeItem(entry["image"])
            self.box.removeItem(entry["title"])
        self.layers.clear()
        shapes = {s.name: s for s in spec.shapes()}
        in_ch = spec.channels
        y = 0.0
        font = QFont()
        font.setPointSize(theme.BASE_POINT_SIZE)
        for name, key in conv_weight_keys(spec):
            f, size = shapes[name].shape[0], _kernel_size(spec, name)
            layout = MosaicLayout(f * in_ch, size, size, min(f, MAX_COLS) if in_ch == 1 else f)
            title = pg.TextItem("", color=theme.MUTED, anchor=(0, 1))
            title.setFont(font)
            image = pg.ImageItem(np.full(layout.shape, np.nan, np.float32), levels=(-1, 1),
                                 lut=theme.DIVERGING_LUT)
            self.box.addItem(image)
            self.box.addItem(title)
            # every layer spans the panel's width: a tile plus its gap is width/cols units
            s = (MAX_COLS / layout.cols) / (size + 1)
            rows, cols = layout.shape
            title.setPos(0, y + LABEL_GAP - 0.08)
            image.setRect(QRectF(0, y + LABEL_GAP, cols * s, rows * s))
            self.layers[name] = dict(key=key, layout=layout, image=image, title=title,
                                     shape=(f, in_ch, size), level=1.0)
            y += LABEL_GAP + rows * s + 0.3
            in_ch = f
        self.box.setRange(QRectF(0, 0, MAX_COLS, max(y, 1.0)), padding=0.02)
        if snapshot is not None:
            self.show_weights(snapshot)

    def show_weights(self, snapshot) -> None:
        for name, e in self.layers.items():
            w = np.asarray(snapshot[e["key"]], np.float32)  # (F, C, k, k)
            level = max(float(np.abs(w).max()), 1e-6)
            e["level"] = level
            e["image"].setImage(e["layout"].compose(kernel_grid(w)), levels=(-level, level),
                                autoLevels=False)
            f, c, k = e["shape"]
            e["title"].setText(f"{name}   {f} features × {c} input{'s' if c > 1 else ''} × "
                               f"{k}×{k}   scale ±{level:.2g}")

    def kernel_values(self, layer: str, feature: int, channel: int = 0) -> np.ndarray:
        """The weights the panel currently shows for one feature and input map."""
        e = self.layers[layer]
        f = e["shape"][0]
        return e["layout"].tile(e["image"].image, channel * f + feature).copy()


def _kernel_size(spec, name: str) -> int:
    convs = [layer for layer in spec.layers if layer.kind == "conv"]
    return convs[int(name[4:]) - 1].size
