"""Features (kernels): what each convolution layer has learned to look for.

A layer of F features over C input maps, kh x kw each, is one mosaic: one column per feature,
one row per input map it reads (conv1 of `shapes`: a row of 8; conv2: 8 rows of 16), cells square
whatever the kernel's shape (the spectrogram's 32x3). Each layer has its own symmetric colour
scale (weights of different layers differ in size), written in its title; blue = negative
weight, orange = positive. A layer with very many features or inputs (AlexNet's 256 x 96) shows
the first MAX_FEATURES_SHOWN x MAX_INPUTS_SHOWN, and its title says so.

The first layer of a colour network is shown as the AlexNet paper shows it: each kernel one
small colour picture, its red, green and blue weights as the colour, 0 as mid grey
(core/mosaic.kernel_rgb); "R, G, B apart" shows its three channels as rows instead.
Updates whenever the weights change.

A click on a kernel asks to edit it (`kernel_clicked`: what if, joined to the editor by
qt/why_wiring.py); while the network is edited, the hint says so in the edit colour.
Which layers, how each is tiled and its title's words: widgets/kernel_layers.py.
"""

from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

from ...core.layers.registry import pair
from ...core.mosaic import compose_rgb, kernel_rgb
from .. import theme
from ..widgets.kernel_layers import (  # (conv_names, kernel_grid, limits: importable here too)
    MAX_COLS,
    MAX_FEATURES_SHOWN,
    MAX_INPUTS_SHOWN,
    conv_layers,
    conv_names,  # noqa: F401
    kernel_grid,
    kernel_layout,
    title_texts,
)
from ..widgets.stepper_controls import selector

KERNELS_LEAST_PX = 28  # px: the kernels' view never gets shorter
LABEL_GAP = 1.1  # room for the title: tiles here are small, so more units
ALL_LAYERS = "All layers"
NO_CONV = "This network has no convolution layer: it has no kernels to show."
GAP_RGB = QColor(theme.PANEL).getRgb()[:3]


HINT = (
    "Each column is one feature; each row, the input map it reads. Orange: positive "
    "weight, blue: negative. Click a kernel to edit it."
)
COLOUR_HINT = "conv1 in colour (R, G, B weights; grey = 0). "
# the colour layer alone: its pictures need the room, so the words are few
COLOUR_ONLY_HINT = (
    "Each picture is one conv1 feature: its weights on R, G and B as a colour (grey = 0)."
)


class KernelsPanel(QWidget):
    """Shows `show_weights(snapshot)`; lays itself out on `set_model(spec, snapshot)`."""

    kernel_clicked = Signal(str, int, int)  # layer, feature, input map (0-based): edit it

    def __init__(self, session=None, parent=None):
        super().__init__(parent)
        self.layers: dict[str, dict] = {}
        self.spec = None  # the network laid out (its weights only are shown)
        self._laid_out = None  # the spec whose layer choice the picker holds
        self._arranged_at: tuple[float, float] | None = None  # the box size last laid out for
        self.edited = ""
        self.hint = QLabel(HINT)
        self.hint.setObjectName("hint")
        self.hint.setWordWrap(True)
        self.apart_button = QToolButton(text="RGB apart", checkable=True)
        self.apart_button.setToolTip(
            "The first layer of a colour network shows each kernel as one small picture, "
            "its red, green and blue weights as its colour, 0 as mid grey (as the AlexNet "
            "paper shows them). Pressed: its red, green and blue weights as three rows of "
            "their own (blue negative, orange positive)"
        )
        self.apart_button.toggled.connect(self._apart_toggled)
        self.apart_button.hide()  # only for a colour network
        # one layer at a time: in a small dock a deep network's layers share the height, and
        # a colour first layer's pictures shrink to a strip
        self.layer_combo = selector("Which convolution layer's kernels to show", self)
        self.layer_combo.currentIndexChanged.connect(self._layer_chosen)
        self._snapshot = None
        self.view = pg.GraphicsLayoutWidget()
        # (Qt's least, 58 px, less the picker's line: in a 900x600 window's short dock the
        # words keep their lines and the kernels give way, as their titles do)
        self.view.setMinimumHeight(KERNELS_LEAST_PX)
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
        row = QHBoxLayout()  # under the hint: beside it, the hint wrapped to many lines
        row.addWidget(self.layer_combo, 1)
        row.addWidget(self.apart_button)
        lay.addLayout(row)
        lay.addWidget(self.view, 1)
        if session is not None:
            self.set_model(session.spec, session.snapshot)

    def set_model(self, spec, snapshot=None) -> None:
        for entry in self.layers.values():
            self.box.removeItem(entry["image"])
            self.box.removeItem(entry["title"])
        self.layers.clear()
        self._font = QFont()
        self._font.setPointSize(theme.BASE_POINT_SIZE)
        self.spec = spec
        colour_first = spec.channels == 3
        self.apart_button.setVisible(colour_first)
        apart = self.apart_button.isChecked()
        for name, layer, in_ch in conv_layers(spec):
            f_all = layer.features
            kh, kw = pair(layer.size)
            colour = colour_first and in_ch == 3 and name == "conv1" and not apart
            f, c = min(f_all, MAX_FEATURES_SHOWN), min(in_ch, MAX_INPUTS_SHOWN)
            layout = kernel_layout(f, c, kh, kw, colour)
            title = pg.TextItem("", color=theme.MUTED, anchor=(0, 1))
            title.setFont(self._font)
            if colour:
                image = pg.ImageItem(
                    compose_rgb(layout, np.zeros((f, kh, kw, 3), np.uint8) + 128, GAP_RGB),
                    axisOrder="row-major",
                )
            else:
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
                shape=(f, c, (kh, kw)),
                total=(f_all, in_ch),
                colour=colour,
                level=1.0,
                title_text=None,
            )
        # the same network laid out again (RGB apart) keeps the choice; a new one, at launch
        # or after a preset switch alike, opens on its first layer alone: in a 250 px dock
        # all layers at once made each mosaic ~100 px wide, one layer fills the width
        keep = self.layer_combo.currentText() if spec == self._laid_out else ""
        self._laid_out = spec
        self.layer_combo.blockSignals(True)
        self.layer_combo.clear()
        self.layer_combo.addItems([ALL_LAYERS, *self.layers])
        if keep not in (ALL_LAYERS, *self.layers):
            keep = next(iter(self.layers), ALL_LAYERS)
        self.layer_combo.setCurrentIndex(max(0, self.layer_combo.findText(keep)))
        self.layer_combo.blockSignals(False)
        # with one layer shown at a time the others must be a click away
        self.layer_combo.setVisible(len(self.layers) > 1)
        self._set_hint()
        self._arrange()
        if snapshot is not None:
            self.show_weights(snapshot)

    def _apart_toggled(self, _on: bool) -> None:
        if self.spec is not None:
            self.set_model(self.spec, self._snapshot)

    def _arrange(self) -> None:
        """Place the layers top to bottom, each under its title. Every layer spans the panel's
        width (a tile plus its gap is width/cols units); a title gets the room its text needs
        at the panel's size, so on a small panel titles do not run into the tiles above (and
        if the panel is too short even for that, the titles give way to the tiles)."""
        width_px, height_px = max(self.box.width(), 1.0), max(self.box.height(), 1.0)
        text_h = QFontMetrics(self._font).height() + 6  # TextItem's margin
        chosen = self.layer_combo.currentText()
        shown = [e for e in self.layers.values() if chosen in (ALL_LAYERS, e["name"])]
        for e in self.layers.values():
            e["image"].setVisible(e in shown)
            e["title"].setVisible(False)
        if not shown:  # a network without convolutions: the hint says so
            return
        # units per picture pixel: a layer spans the width, cells square whatever the kernel
        tiles = [
            (e["layout"].shape, (MAX_COLS / e["layout"].cols) / (e["layout"].w + 1)) for e in shown
        ]
        content = sum(rows * s + 0.3 for (rows, _), s in tiles)  # units, without titles
        n = len(tiles)
        titles = n * text_h < 0.5 * height_px
        gap = LABEL_GAP
        for _ in range(4):  # the scale depends on the total height, which depends on the gap
            units_px = min(width_px / MAX_COLS, height_px / (n * gap + content)) / 1.04
            gap = max(LABEL_GAP, text_h / units_px) if titles else 0.4
        y = 0.0
        for e, ((rows, cols), s) in zip(shown, tiles, strict=True):
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
        full, short, tiny = title_texts(e["name"], e["shape"], e["total"], e["level"], e["colour"])
        fm = QFontMetrics(self._font)
        room = self._title_room()
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
        self._snapshot = snapshot
        for name, e in self.layers.items():
            f, c, _ = e["shape"]
            w = np.asarray(snapshot.weight(name), np.float32)  # (F, C, kh, kw)
            level = max(float(np.abs(w).max()), 1e-6)  # the whole layer's, shown or not
            e["level"] = level
            if e["colour"]:
                e["image"].setImage(
                    compose_rgb(e["layout"], kernel_rgb(w[:f], level), GAP_RGB),
                    autoLevels=False,
                )
            else:
                e["image"].setImage(
                    e["layout"].compose(kernel_grid(w[:f, :c])),
                    levels=(-level, level),
                    autoLevels=False,
                )
            self._set_title(e)

    def kernel_at(self, scene_pos) -> tuple[str, int, int] | None:
        """(layer, feature, input map) of the kernel under a scene position, or None."""
        for name, e in self.layers.items():
            at = e["image"].mapFromScene(scene_pos)  # picture pixels (x = column, y = row)
            hit = e["layout"].locate(at.y(), at.x())
            if hit is not None and e["colour"]:  # one picture per feature: its red channel
                return name, hit[0], 0
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
        self.edited = edited
        self._set_hint()

    def _layer_chosen(self, _index: int) -> None:
        self._set_hint()
        self._arrange()

    def _set_hint(self) -> None:
        colour = any(e["colour"] for e in self.layers.values())
        chosen = self.layers.get(self.layer_combo.currentText())
        if not self.layers:
            hint = NO_CONV
        elif chosen is not None and chosen["colour"]:
            hint = COLOUR_ONLY_HINT
        else:
            hint = (COLOUR_HINT if colour else "") + HINT
        self.hint.setText(
            hint
            if not self.edited
            else f"<b style='color:{theme.ACCENT}'>Edited network:</b> "
            f"{html.escape(self.edited)} (Undo in Where it looked). {hint}"
        )

    def kernel_values(self, layer: str, feature: int, channel: int = 0) -> np.ndarray:
        """What the panel currently shows for one feature and input map: its weights, or for
        a colour layer its (kh, kw, 3) picture (see core/mosaic.kernel_rgb)."""
        e = self.layers[layer]
        if e["colour"]:
            return e["layout"].tile(e["image"].image, feature).copy()
        f = e["shape"][0]
        return e["layout"].tile(e["image"].image, channel * f + feature).copy()
