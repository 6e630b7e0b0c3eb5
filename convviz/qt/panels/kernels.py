"""Features (kernels): what each convolution layer has learned to look for.

A layer of F features over C input maps, k x k each, is one mosaic: one column per feature, one
row per input map it reads (conv1 of `shapes`: a row of 8; conv2: 8 rows of 16). Each layer has
its own symmetric colour scale (weights of different layers differ in size), written in its
title; blue = negative weight, orange = positive. Updates whenever the weights change.

A click on a kernel asks to edit it (`kernel_clicked`: what if, joined to the editor by
qt/why_wiring.py); while the network is edited, the hint says so in the edit colour.
"""

from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ...core.mosaic import MosaicLayout
from .. import theme

MAX_COLS = 16
LABEL_GAP = 1.1  # room for the title: tiles here are small, so more units


def conv_names(spec) -> list[str]:
    """The name of every convolution, in order."""
    return [s.name for s in spec.shapes() if s.kind == "conv"]


def kernel_grid(weight: np.ndarray) -> np.ndarray:
    """(F, C, k, k) weights -> (C * F, k, k) tiles ordered row = input map, column = feature."""
    f, c, k, _ = weight.shape
    return weight.transpose(1, 0, 2, 3).reshape(c * f, k, k)


HINT = (
    "Each column is one feature; each row, the input map it reads. Orange: positive "
    "weight, blue: negative. Click a kernel to edit it."
)


class KernelsPanel(QWidget):
    """Shows `show_weights(snapshot)`; lays itself out on `set_model(spec, snapshot)`."""

    kernel_clicked = Signal(str, int, int)  # layer, feature, input map (0-based): edit it

    def __init__(self, session=None, parent=None):
        super().__init__(parent)
        self.layers: dict[str, dict] = {}
        self.spec = None  # the network laid out (its weights only are shown)
        self._arranged_at: tuple[float, float] | None = None  # the box size last laid out for
        self.hint = QLabel(HINT)
        self.hint.setObjectName("hint")
        self.hint.setWordWrap(True)
        self.view = pg.GraphicsLayoutWidget()
        self.view.setBackground(theme.PANEL)
        self.box = self.view.addViewBox()
        self.box.setAspectLocked(True)
        self.box.invertY(True)
        self.box.setMouseEnabled(False, False)
        self.box.setMenuEnabled(False)
        self.box.sigResized.connect(self._on_resized)
        self.view.scene().sigMouseClicked.connect(self._on_click)
        self._font = QFont()
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
        self._font = QFont()
        self._font.setPointSize(theme.BASE_POINT_SIZE)
        self.spec = spec
        unshown = []  # guard (canvas helper): rectangular features are the maps helper's work
        for name in conv_names(spec):
            f, size = shapes[name].shape[0], _kernel_size(spec, name)
            if isinstance(size, (tuple, list)):
                if size[0] != size[1]:
                    unshown.append(f"{name} ({size[0]}x{size[1]})")
                    in_ch = f
                    continue
                size = int(size[0])
            layout = MosaicLayout(f * in_ch, size, size, min(f, MAX_COLS) if in_ch == 1 else f)
            title = pg.TextItem("", color=theme.MUTED, anchor=(0, 1))
            title.setFont(self._font)
            image = pg.ImageItem(
                np.full(layout.shape, np.nan, np.float32),
                levels=(-1, 1),
                lut=theme.DIVERGING_LUT,
                axisOrder="row-major",
            )
            self.box.addItem(image)
            self.box.addItem(title)
            self.layers[name] = dict(
                name=name,
                layout=layout,
                image=image,
                title=title,
                shape=(f, in_ch, size),
                level=1.0,
                title_text=None,
            )
            in_ch = f
        self._note = f"Rectangular features are not shown here yet: {', '.join(unshown)}."
        self._note = self._note if unshown else ""
        self.hint.setText(self._note or HINT)
        if self.layers:  # none left to arrange (all rectangular) would divide by zero
            self._arrange()
        if snapshot is not None:
            self.show_weights(snapshot)

    def _arrange(self) -> None:
        """Place the layers top to bottom, each under its title. Every layer spans the panel's
        width (a tile plus its gap is width/cols units); a title gets the room its text needs
        at the panel's size, so on a small panel titles do not run into the tiles above (and
        if the panel is too short even for that, the titles give way to the tiles)."""
        width_px, height_px = max(self.box.width(), 1.0), max(self.box.height(), 1.0)
        text_h = QFontMetrics(self._font).height() + 6  # TextItem's margin
        tiles = [
            (e["layout"].shape, (MAX_COLS / e["layout"].cols) / (e["shape"][2] + 1))
            for e in self.layers.values()
        ]
        content = sum(rows * s + 0.3 for (rows, _), s in tiles)  # units, without titles
        n = len(tiles)
        titles = n * text_h < 0.5 * height_px
        gap = LABEL_GAP
        for _ in range(4):  # the scale depends on the total height, which depends on the gap
            units_px = min(width_px / MAX_COLS, height_px / (n * gap + content)) / 1.04
            gap = max(LABEL_GAP, text_h / units_px) if titles else 0.4
        y = 0.0
        for e, ((rows, cols), s) in zip(self.layers.values(), tiles, strict=True):
            e["title"].setVisible(titles)
            e["title"].setPos(0, y + gap - 0.08)
            e["image"].setRect(QRectF(0, y + gap, cols * s, rows * s))
            y += gap + rows * s + 0.3
        self._arranged_at = (width_px, height_px)
        self.box.setRange(QRectF(0, 0, MAX_COLS, max(y, 1.0)), padding=0.02)
        for e in self.layers.values():
            self._set_title(e)

    def _title_room(self) -> int:
        """Pixels from the titles' left edge (the tiles' left) to the panel's right edge."""
        left = self.box.mapFromView(QPointF(0, 0)).x()
        return int(self.box.width() - max(left, 0.0)) - 8

    def _set_title(self, e: dict) -> None:
        name = e["name"]
        f, c, k = e["shape"]
        level = e["level"]
        full = (
            f"{name}   {f} features × {c} input{'s' if c > 1 else ''} × {k}×{k}   "
            f"scale ±{level:.2g}"
        )
        short = f"{name}  {f}×{c}×{k}×{k}  ±{level:.2g}"
        fm = QFontMetrics(self._font)
        room = self._title_room()
        tiny = f"{name}  ±{level:.2g}"  # the scale matters more than the shape
        fits = [t for t in (full, short, tiny) if fm.horizontalAdvance(t) <= room]
        text = fits[0] if fits else fm.elidedText(tiny, Qt.TextElideMode.ElideRight, room)
        if (text, full) != e["title_text"]:  # a new text lays the item out again: only if new
            e["title_text"] = (text, full)  # (the scale often rounds the same from one
            e["title"].setToolTip(full)  # snapshot to the next)
            e["title"].setText(text)

    def _on_resized(self) -> None:
        if self.layers and self._arranged_at != (
            max(self.box.width(), 1.0),
            max(self.box.height(), 1.0),
        ):
            self._arrange()

    def show_trace(self, trace) -> None:
        pass  # kernels are weights: the drawing does not change them

    def show_weights(self, snapshot) -> None:
        if not snapshot.made_by(self.spec):
            return  # weights of the last network, still on their way
        for name, e in self.layers.items():
            w = np.asarray(snapshot.weight(name), np.float32)  # (F, C, k, k)
            level = max(float(np.abs(w).max()), 1e-6)
            e["level"] = level
            e["image"].setImage(
                e["layout"].compose(kernel_grid(w)), levels=(-level, level), autoLevels=False
            )
            self._set_title(e)

    def kernel_at(self, scene_pos) -> tuple[str, int, int] | None:
        """(layer, feature, input map) of the kernel under a scene position, or None."""
        for name, e in self.layers.items():
            at = e["image"].mapFromScene(scene_pos)  # picture pixels (x = column, y = row)
            hit = e["layout"].locate(at.y(), at.x())
            if hit is not None:
                channel, feature = divmod(hit[0], e["shape"][0])  # row = input map
                return name, feature, channel
        return None

    def _on_click(self, event) -> None:
        hit = self.kernel_at(event.scenePos())
        if hit is not None and event.button() == Qt.MouseButton.LeftButton:
            self.kernel_clicked.emit(*hit)

    def set_edited(self, edited: str) -> None:
        """What the what-if edits changed ("" when the network is as trained)."""
        self.hint.setText(
            (getattr(self, "_note", "") or HINT)
            if not edited
            else f"<b style='color:{theme.ACCENT}'>Edited network:</b> "
            f"{html.escape(edited)} (Undo in Where it looked). {HINT}"
        )

    def kernel_values(self, layer: str, feature: int, channel: int = 0) -> np.ndarray:
        """The weights the panel currently shows for one feature and input map."""
        e = self.layers[layer]
        f = e["shape"][0]
        return e["layout"].tile(e["image"].image, channel * f + feature).copy()


def _kernel_size(spec, name: str) -> int:
    convs = [layer for layer in spec.layers if layer.kind == "conv"]
    return convs[int(name[4:]) - 1].size
