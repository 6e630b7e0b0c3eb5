"""Feature maps: every layer's maps after convolution, ReLU and pooling, as the network reads the
current drawing.

One view box holds one mosaic image per layer (all that layer's maps, see mosaic.py), stacked
top to bottom in network order with the same column for the same map, so a map can be followed
through convolution -> ReLU -> pooling. Colours are diverging: blue below zero, orange above,
dark at zero. By default each layer has its own symmetric scale (written in its title), so early
layers with small values stay readable next to late ones reaching +-20, while the maps within a
layer stay comparable; the toolbar switches to one scale shared by all layers (legend on the
right). Hover reads a cell's value; a click shows that map large underneath, on its layer's scale.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QAction, QActionGroup, QFont
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QMenu, QSizePolicy, QSplitter, QToolButton,
                               QVBoxLayout, QWidget)

from . import settings, theme
from .mosaic import MosaicLayout, nice_level

MAX_COLS = 8  # conv2 of `shapes` has 16 maps: two rows of eight
LABEL_GAP = 0.42  # room for a layer's title above its maps, in tile units
DETAIL_NUMBERS_MAX = 12  # print the values inside cells of maps up to 12x12 (the deck's 7x7)
KIND_WORDS = {"conv": "after convolution", "relu": "after ReLU", "pool": "after pooling"}
COLOUR_SCALE = "panels/feature_maps/colour_scale"  # settings key: PER_LAYER or SHARED
PER_LAYER, SHARED = "per layer", "shared"
SCALE_WORDS = {PER_LAYER: "each layer its own", SHARED: "shared by all layers"}

theme.configure_pyqtgraph()


class _LayerView:
    """One layer's mosaic image and title, created once and updated in place."""

    def __init__(self, box: pg.ViewBox, name: str, kind: str, shape):
        c, h, w = shape
        self.name, self.kind, self.shape = name, kind, shape
        self.layout = MosaicLayout(c, h, w, min(c, MAX_COLS))
        self.picture = np.full(self.layout.shape, np.nan, np.float32)
        self.image = pg.ImageItem(self.picture, levels=(-1, 1), lut=theme.DIVERGING_LUT)
        self.heading = f"{name}   {c} × {h} × {w}   {KIND_WORDS.get(kind, '')}"
        self.level = 1.0  # this layer's colour scale is -level..level
        self.title = pg.TextItem(self.heading, color=theme.MUTED, anchor=(0, 1))
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

    def set_level(self, level: float, per_layer: bool) -> None:
        """Use -level..level for this layer's colours; the title tells the scale when it is the
        layer's own."""
        self.level = level
        text = f"{self.heading}   scale ±{level:.2g}" if per_layer else self.heading
        if text != self.title.textItem.toPlainText():  # relabelling costs a repaint
            self.title.setText(text)

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
        self.level = 1.0  # the scale shared by all layers shown (used in SHARED mode)
        self._legend = 1.0  # what the colour bar shows now
        scale = settings.app_settings().value(COLOUR_SCALE, PER_LAYER)
        self.colour_scale = scale if scale in SCALE_WORDS else PER_LAYER
        self.selected: tuple[str, int] | None = None
        self._trace = None

        self.layer_button = QToolButton(text="Layers ▾", popupMode=QToolButton.InstantPopup)
        self.layer_menu = QMenu(self)
        self.layer_button.setMenu(self.layer_menu)
        # the colour scale: a small menu, its choice written on the button
        self.scale_button = QToolButton(popupMode=QToolButton.InstantPopup)
        self.scale_button.setToolTip("Colour scale of the maps: each layer its own (early layers "
                                     "stay readable), or one shared by all layers (layers "
                                     "compare directly)")
        scale_menu = QMenu(self)
        group = QActionGroup(self)
        self.scale_actions = {}
        for mode in (PER_LAYER, SHARED):
            act = QAction(f"Colour scale: {SCALE_WORDS[mode]}", scale_menu, checkable=True,
                          checked=mode == self.colour_scale)
            act.triggered.connect(lambda _=False, m=mode: self.set_colour_scale(m))
            group.addAction(act)
            scale_menu.addAction(act)
            self.scale_actions[mode] = act
        self.scale_button.setMenu(scale_menu)
        self._label_scale_button()
        self.readout = QLabel("Hover over a map to read its values; click to enlarge it.")
        self.readout.setObjectName("hint")
        self.readout.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        top = QHBoxLayout()
        top.setContentsMargins(8, 6, 8, 0)
        top.addWidget(self.layer_button)
        top.addWidget(self.scale_button)
        top.addWidget(self.readout, 1)

        self.view = pg.GraphicsLayoutWidget()
        self.box = self.view.addViewBox(row=0, col=0)
        self.box.setAspectLocked(True)
        self.box.invertY(True)
        self.box.setMouseEnabled(False, False)
        self.box.setMenuEnabled(False)
        self.colour_bar = pg.ColorBarItem(values=(-1, 1), colorMap=theme.diverging_colormap(),
                                          interactive=False, width=16, colorMapMenu=False)
        self.colour_bar.axis.setStyle(hideOverlappingLabels=False)  # the ends are labelled
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

    def set_colour_scale(self, mode: str) -> None:
        """PER_LAYER: each layer's maps share that layer's scale; SHARED: one scale for all
        (remembered between runs)."""
        if mode not in SCALE_WORDS:
            raise ValueError(f"colour scale must be {PER_LAYER!r} or {SHARED!r}, not {mode!r}")
        self.colour_scale = mode
        settings.app_settings().setValue(COLOUR_SCALE, mode)
        self.scale_actions[mode].setChecked(True)
        self._label_scale_button()
        self._legend = None  # relabel the legend
        if self._trace is not None:
            self.show_trace(self._trace)

    def _label_scale_button(self) -> None:
        self.scale_button.setText("Scale: per layer ▾" if self.colour_scale == PER_LAYER
                                  else "Scale: shared ▾")

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
        # scales are rounded (nice_level) so they step rather than flicker; symmetric, so zero
        # is always the neutral middle colour
        peaks = {v.name: float(np.abs(trace.layer(v.name).values).max()) for v in shown}
        per_layer = self.colour_scale == PER_LAYER
        shared = self.level = nice_level(max(peaks.values()))
        legend = 1.0 if per_layer else shared  # per layer, the legend reads in scale units
        if legend != self._legend:  # repainting the legend's labels costs more than the maps
            self._legend = legend
            self.colour_bar.setLevels((-legend, legend))
            ticks = [(-0.999, "−max"), (0.0, "0"), (0.999, "+max")] if per_layer else None
            self.colour_bar.axis.setTicks(None if ticks is None else [ticks])
        for v in shown:
            v.set_level(nice_level(peaks[v.name]) if per_layer else shared, per_layer)
            v.layout.compose(trace.layer(v.name).values, out=v.picture)
            v.image.setImage(v.picture, levels=(-v.level, v.level), autoLevels=False)
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
        level = self.layers[name].level  # the same scale as the map has in its layer
        self.detail_image.setImage(values, levels=(-level, level), autoLevels=False)
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
                t.setColor(theme.CANVAS_BG if abs(v) > 0.55 * level else theme.TEXT)
                text = f"{v:.2f}" if cell_px >= 48 else f"{v:.1f}"
                t.setText(text.replace("-0.0", "0.0") if float(text) == 0 else text)
                t.setPos(c + 0.5, r + 0.5)
