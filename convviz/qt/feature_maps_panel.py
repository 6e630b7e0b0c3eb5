"""Feature maps: every layer's maps after convolution, ReLU and pooling, as the network reads the
current drawing.

One view box holds one mosaic image per layer (all that layer's maps, see mosaic.py), stacked
top to bottom in network order with the same column for the same map, so a map can be followed
through convolution -> ReLU -> pooling. All layers share one diverging colour scale (legend on the
right): blue below zero, orange above, dark at zero. Hover reads a cell's value; a click shows
that map large underneath.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QAction, QFont
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QMenu, QSizePolicy, QSplitter, QToolButton,
                               QVBoxLayout, QWidget)

from . import settings, theme
from .mosaic import MosaicLayout, nice_level

MAX_COLS = 8  # conv2 of `shapes` has 16 maps: two rows of eight
LABEL_GAP = 0.42  # room for a layer's title above its maps, in tile units
DETAIL_NUMBERS_MAX = 12  # print the values inside cells of maps up to 12x12 (the deck's 7x7)
KIND_WORDS = {"conv": "after convolution", "relu": "after ReLU", "pool": "after pooling"}

theme.configure_pyqtgraph()


class _LayerView:
    """One layer's mosaic image and title, created once and updated in place."""

    def __init__(self, box: pg.ViewBox, name: str, kind: str, shape):
        c, h, w = shape
        self.name, self.kind, self.shape = name, kind, shape
        self.layout = MosaicLayout(c, h, w, min(c, MAX_COLS))
        self.picture = np.full(self.layout.shape, np.nan, np.float32)
        self.image = pg.ImageItem(self.picture, levels=(-1, 1), lut=theme.DIVERGING_LUT)
        self.title = pg.TextItem(f"{name}   {c} × {h} × {w}   {KIND_WORDS.get(kind, '')}",
                                 color=theme.MUTED, anchor=(0, 1))
        font = QFont()
        font.setPointSize(theme.BASE_POINT_SIZE)
        self.title.setFont(font)
        box.addItem(self.image)
        box.addItem(self.title)
        self.items = (self.image, self.title)
        self.top = 0.0

    @property
    def pixel(self) -> float:
        """Scene units per map pixel: a tile plus its gap is one unit wide in every layer."""
        return 1.0 / (self.layout.w + 1)

    def place(self, top: float) -> float:
        """Put the title at `top` and the maps under it; returns the y below them."""
        s = self.pixel
        rows, cols = self.layout.shape
        self.top = top + LABEL_GAP
        self.title.setPos(0, self.top - 0.06)
        self.image.setRect(QRectF(0, self.top, cols * s, rows * s))
        return self.top + rows * s + 0.25

    def set_visible(self, on: bool) -> None:
        for it in self.items:
            it.setVisible(on)

    def locate(self, x: float, y: float):
        """Scene position -> (map index, row, col) or None."""
        s = self.pixel
        return self.layout.locate((y - self.top) / s, x / s)


class FeatureMapsPanel(QWidget):
    """Shows `show_trace(trace)`; lays itself out on `set_model(spec, snapshot)`."""

    def __init__(self, session=None, parent=None):
        super().__init__(parent)
        self.layers: dict[str, _LayerView] = {}
        self.hidden: set[str] = set(settings.app_settings().value(settings.SHOWN_LAYERS, []) or [])
        self.level = 1.0
        self.selected: tuple[str, int] | None = None
        self._trace = None

        self.layer_button = QToolButton(text="Layers ▾", popupMode=QToolButton.InstantPopup)
        self.layer_menu = QMenu(self)
        self.layer_button.setMenu(self.layer_menu)
        self.readout = QLabel("Hover over a map to read its values; click to enlarge it.")
        self.readout.setObjectName("hint")
        self.readout.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        top = QHBoxLayout()
        top.setContentsMargins(8, 6, 8, 0)
        top.addWidget(self.layer_button)
        top.addWidget(self.readout, 1)

        self.view = pg.GraphicsLayoutWidget()
        self.box = self.view.addViewBox(row=0, col=0)
        self.box.setAspectLocked(True)
        self.box.invertY(True)
        self.box.setMouseEnabled(False, False)
        self.box.setMenuEnabled(False)
        self.colour_bar = pg.ColorBarItem(values=(-1, 1), colorMap=theme.diverging_colormap(),
                                          interactive=False, width=16, colorMapMenu=False)
        self.view.addItem(self.colour_bar, row=0, col=1)
        self.view.scene().sigMouseMoved.connect(self._hover)
        self.view.scene().sigMouseClicked.connect(self._click)

        self.detail_view = pg.GraphicsLayoutWidget()
        self.detail_title = self.detail_view.addLabel("", row=0, col=0, color=theme.TEXT)
        self.detail_box = self.detail_view.addViewBox(row=1, col=0)
        self.detail_box.setAspectLocked(True)
        self.detail_box.invertY(True)
        self.detail_box.setMouseEnabled(False, False)
        self.detail_box.setMenuEnabled(False)
        self.detail_image = pg.ImageItem(np.zeros((1, 1), np.float32), levels=(-1, 1),
                                         lut=theme.DIVERGING_LUT)
        self.detail_box.addItem(self.detail_image)
        self.detail_numbers: list[pg.TextItem] = []
        self.detail_view.hide()

        split = QSplitter(Qt.Vertical)
        split.addWidget(self.view)
        split.addWidget(self.detail_view)
        split.setSizes([560, 340])
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(top)
        lay.addWidget(split, 1)
        if session is not None:
            self.set_model(session.spec, session.snapshot)

    # ---- layout ----------------------------------------------------------------------------
    def set_model(self, spec, snapshot=None) -> None:
        for view in self.layers.values():
            for it in view.items:
                self.box.removeItem(it)
        self.layers.clear()
        self.layer_menu.clear()
        self._trace = None
        self.selected = None
        self.detail_view.hide()
        for s in spec.shapes():
            if len(s.shape) == 3:
                self.layers[s.name] = _LayerView(self.box, s.name, s.kind, s.shape)
                act = QAction(f"{s.name}  ({KIND_WORDS.get(s.kind, s.kind)})", self.layer_menu,
                              checkable=True, checked=s.name not in self.hidden)
                act.toggled.connect(lambda on, n=s.name: self.show_layer(n, on))
                self.layer_menu.addAction(act)
        self._relayout()

    def show_layer(self, name: str, on: bool = True) -> None:
        """Choose whether a layer's maps are shown (remembered between runs)."""
        (self.hidden.discard if on else self.hidden.add)(name)
        settings.app_settings().setValue(settings.SHOWN_LAYERS, sorted(self.hidden))
        self._relayout()
        if self._trace is not None:
            self.show_trace(self._trace)

    def visible_layers(self) -> list[str]:
        return [n for n in self.layers if n not in self.hidden]

    def _relayout(self) -> None:
        y = 0.0
        for name, view in self.layers.items():
            on = name not in self.hidden
            view.set_visible(on)
            if on:
                y = view.place(y)
        cols = max((v.layout.cols for v in self.layers.values()), default=1)
        self.box.setRange(QRectF(0, 0, cols, max(y, 1.0)), padding=0.02)

    # ---- values ----------------------------------------------------------------------------
    def show_trace(self, trace) -> None:
        self._trace = trace
        shown = [self.layers[n] for n in self.visible_layers()]
        if not shown:
            return
        # one scale shared by every layer shown, rounded so it steps rather than flickers
        peak = max(float(np.abs(trace.layer(v.name).values).max()) for v in shown)
        level = nice_level(peak)
        if level != self.level:  # repainting the legend's labels costs more than the maps
            self.level = level
            self.colour_bar.setLevels((-level, level))
        levels = (-self.level, self.level)
        for v in shown:
            v.layout.compose(trace.layer(v.name).values, out=v.picture)
            v.image.setImage(v.picture, levels=levels, autoLevels=False)
        if self.selected is not None:
            self._show_detail()

    def map_values(self, layer: str, index: int) -> np.ndarray:
        """The values the panel currently shows for one map (read back from its image)."""
        v = self.layers[layer]
        return v.layout.tile(v.image.image, index).copy()

    # ---- hover and click -------------------------------------------------------------------
    def _at(self, scene_pos):
        p = self.box.mapSceneToView(scene_pos)
        for name in self.visible_layers():
            hit = self.layers[name].locate(p.x(), p.y())
            if hit is not None:
                return name, hit
        return None

    def _hover(self, scene_pos) -> None:
        found = self._at(scene_pos)
        if found is None or self._trace is None:
            return
        name, (i, r, c) = found
        value = self._trace.layer(name).values[i, r, c]
        self.readout.setText(f"{name}  ·  map {i + 1}  ·  row {r + 1}, column {c + 1}  ="
                             f"  {value:+.3f}")

    def _click(self, event) -> None:
        found = self._at(event.scenePos())
        if found is not None:
            self.select_map(found[0], found[1][0])

    def select_map(self, layer: str, index: int) -> None:
        """Show one map large under the mosaics, with its values printed when small."""
        self.selected = (layer, index)
        self.detail_view.show()
        if self._trace is not None:
            self._show_detail()

    def _show_detail(self) -> None:
        name, i = self.selected
        values = self._trace.layer(name).values[i]
        h, w = values.shape
        self.detail_title.setText(f"{name}  ·  map {i + 1} of {self.layers[name].shape[0]}  ·  "
                                  f"{h} × {w}", color=theme.TEXT)
        levels = (-self.level, self.level)
        self.detail_image.setImage(values, levels=levels, autoLevels=False)
        self.detail_box.setRange(QRectF(0, 0, w, h), padding=0.02)
        # values printed in the cells when the map is small and the cells are big enough
        cell_px = self.detail_box.width() / max(w, 1)
        numbers = h <= DETAIL_NUMBERS_MAX and w <= DETAIL_NUMBERS_MAX and cell_px >= 30
        font = QFont()
        font.setPointSizeF(max(7.0, min(theme.BASE_POINT_SIZE, cell_px * 0.22)))
        while numbers and len(self.detail_numbers) < h * w:
            t = pg.TextItem("", anchor=(0.5, 0.5))
            self.detail_box.addItem(t)
            self.detail_numbers.append(t)
        for k, t in enumerate(self.detail_numbers):
            on = numbers and k < h * w
            t.setVisible(on)
            if on:
                r, c = divmod(k, w)
                v = float(values[r, c])
                t.setFont(font)
                # dark text on the bright (large) values, light text on the dark ones
                t.setColor(theme.CANVAS_BG if abs(v) > 0.55 * self.level else theme.TEXT)
                text = f"{v:.2f}" if cell_px >= 48 else f"{v:.1f}"
                t.setText(text.replace("-0.0", "0.0") if float(text) == 0 else text)
                t.setPos(c + 0.5, r + 0.5)
