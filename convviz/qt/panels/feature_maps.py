"""Feature maps: the input's channels, then every layer's maps (convolution, batch normalisation,
activations, pooling, a residual block's inside, skip path and sum), as the network reads the
current drawing; the rows and their titles come from core/map_rows.py.

One view (widgets/mosaic_view.py) holds one mosaic picture per layer (its maps, see
core/mosaic.py), stacked top to bottom in network order with the same column for the same map, so a
map can be followed through convolution -> ReLU -> pooling; it scrolls when a deep network's rows
do not fit at a readable size. Colours are diverging: blue below zero,
orange above, dark at zero. By default each layer has its own symmetric scale (written in its
title), so early layers with small values stay readable next to late ones reaching +-20, while the
maps within a layer stay comparable; the toolbar switches to one scale shared by all layers (legend
on the right). Hover reads a cell's value; a click shows that map large underneath, on its layer's
scale (widgets/map_detail.py), or, with "Switch off" pressed, switches that map off (what if:
`switch_off_clicked`, joined to the edits by qt/why_wiring.py); while the network is edited, the
read-out line says so. The read-out keeps the height of the longest text it may show (no map
moves under the pointer when a hint of two lines becomes a read-out of one).
"""

from __future__ import annotations

import html

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QHBoxLayout, QMenu, QSplitter, QToolButton, QVBoxLayout, QWidget

from ...core.map_rows import INPUT, map_rows
from ...core.mosaic import nice_level
from ...core.numbers import deck_number
from .. import settings, theme
from ..widgets.flow_layout import FlowLayout
from ..widgets.live_text import LiveText
from ..widgets.map_colours import input_ramps
from ..widgets.map_detail import (  # (the first and last still importable from here)
    DETAIL_NUMBERS_MAX,  # noqa: F401
    MapDetail,
    detail_number_font,  # noqa: F401
)
from ..widgets.mosaic_view import MosaicLayer, MosaicScroller, MosaicView

PER_LAYER, SHARED = "per layer", "shared"
SCALE_WORDS = {PER_LAYER: "each layer its own", SHARED: "shared by all layers"}

READOUT = "Hover over a map to read its values; click to enlarge it."
OFF_READOUT = (
    "Switch off: a click on a map sets it to zero for every drawing (Undo in Where it looked)."
)
OFF_CLICK = "  ·  a click switches it off"
WIDEST_VALUE = "-88.88"  # room kept for a value in the read-out (deck_number: 2 decimals)


def _widest_hover(row) -> tuple[str, str, int, int, str]:
    """The longest hover line a row can give (its name, last map, last row and column)."""
    lay = row.layout
    if row.name == INPUT:
        what = max(row.labels, key=len) if row.labels else ""
        channels = max(1, sum(len(lab) == 1 for lab in row.labels))  # R, G, B: the colour tile
        return row.name, what, lay.h, lay.w, ", ".join([WIDEST_VALUE] * channels)
    return row.name, f"map {max(row.total, lay.count)}", lay.h, lay.w, WIDEST_VALUE


class FeatureMapsPanel(QWidget):
    """Shows `show_trace(trace)`; lays itself out on `set_model(spec, snapshot)`."""

    switch_off_clicked = Signal(str, int)  # layer, map (0-based) clicked in "Switch off" mode

    def __init__(self, session=None, parent=None):
        super().__init__(parent)
        self.layers: dict[str, MosaicLayer] = {}  # the view's, by name in network order
        self._samples: list[tuple] = []  # each row's longest hover line, to keep its height
        self.spec = None  # the network laid out: only its traces are shown
        self.hidden: set[str] = set(settings.remembered_list(settings.SHOWN_LAYERS))
        self.level = 1.0  # the scale shared by all layers shown (used in SHARED mode)
        self._legend = 1.0  # what the colour bar shows now
        scale = settings.remembered(settings.COLOUR_SCALE, PER_LAYER)  # PER_LAYER or SHARED
        self.colour_scale = scale if scale in SCALE_WORDS else PER_LAYER
        self.selected: tuple[str, int] | None = None
        self._trace = None
        self.edited = ""  # what the what-if edits changed, "" for the network as trained

        top = self._make_toolbar()

        self.view = MosaicView()
        self.view.hovered.connect(self._hover)
        self.view.clicked.connect(self._map_clicked)
        self.view.input_clicked.connect(self._input_clicked)
        # the maps scroll when a deep network's rows do not fit; the colour bar stays in sight
        self.scroller = MosaicScroller(self.view)
        self.scroller.setMinimumSize(1, 1)  # as small as the view alone was: never widens a dock
        maps = QWidget()
        beside = QHBoxLayout(maps)
        beside.setContentsMargins(0, 0, 0, 0)
        beside.setSpacing(0)
        beside.addWidget(self.scroller, 1)
        beside.addWidget(self.view.legend)

        self._make_detail()

        split = QSplitter(Qt.Vertical)
        split.addWidget(maps)
        split.addWidget(self.detail_view)
        split.setSizes([560, 340])
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(top)
        lay.addWidget(split, 1)
        if session is not None:
            self.set_model(session.spec, session.snapshot)

    # ---- building --------------------------------------------------------------------------
    def _make_toolbar(self) -> QVBoxLayout:
        """The Layers and colour-scale buttons, and the read-out under them."""
        self.layer_button = QToolButton(text="Layers ▾", popupMode=QToolButton.InstantPopup)
        self.layer_menu = QMenu(self)
        self.layer_button.setMenu(self.layer_menu)
        # the colour scale: a small menu, its choice written on the button
        self.scale_button = QToolButton(popupMode=QToolButton.InstantPopup)
        self.scale_button.setToolTip(
            "Colour scale of the maps: each layer its own (early layers "
            "stay readable), or one shared by all layers (layers "
            "compare directly)"
        )
        scale_menu = QMenu(self)
        group = QActionGroup(self)
        self.scale_actions = {}
        for mode in (PER_LAYER, SHARED):
            act = QAction(
                f"Colour scale: {SCALE_WORDS[mode]}",
                scale_menu,
                checkable=True,
                checked=mode == self.colour_scale,
            )
            act.triggered.connect(lambda _=False, m=mode: self.set_colour_scale(m))
            group.addAction(act)
            scale_menu.addAction(act)
            self.scale_actions[mode] = act
        self.scale_button.setMenu(scale_menu)
        self._label_scale_button()
        # the read-out wraps on its own line under the buttons: in a narrow dock a read-out
        # beside them was cut ("Hover over a map to read its values; clic")
        self.readout = LiveText(READOUT)
        self.readout.setObjectName("hint")
        self.readout.setContentsMargins(8, 0, 8, 0)
        self.off_button = QToolButton(text="Switch off", checkable=True)
        self.off_button.setToolTip(
            "What if: while pressed, a click on a map switches it off "
            "(zero) for every drawing; Undo in Where it looked"
        )
        self.off_button.toggled.connect(lambda _on: self._rest_readout())
        # the three buttons flow onto a second line in a narrow dock (1024x768) rather than
        # making the whole panel scroll sideways
        bar = QWidget()
        buttons = FlowLayout(bar, spacing=4)
        buttons.setContentsMargins(8, 6, 8, 0)
        for b in (self.layer_button, self.scale_button, self.off_button):
            buttons.addWidget(b)
        top = QVBoxLayout()
        top.setSpacing(2)
        top.addWidget(bar)
        top.addWidget(self.readout)
        return top

    def _make_detail(self) -> None:
        """The clicked map, large, with its numbers (hidden until a click; widgets/map_detail).
        Its parts keep their names here (detail_view, detail_box, ...): the tests read them."""
        self.detail = MapDetail()
        self.detail_view, self.detail_title = self.detail.view, self.detail.title
        self.detail_box, self.detail_image = self.detail.box, self.detail.image
        self.detail_numbers = self.detail.numbers  # (the same list: it grows there)
        self.detail_box.sigResized.connect(self._detail_resized)  # numbers follow the cell size

    # ---- layout ----------------------------------------------------------------------------
    def set_model(self, spec, snapshot=None) -> None:
        self.spec = spec
        self.layer_menu.clear()
        self._trace = None
        self.selected = None
        self.detail_view.hide()
        self._legend = None
        rows = map_rows(spec)  # the input, then every layer; a residual block's inside,
        self.headings = {r.name: r.heading for r in rows}  # skip path and sum
        for r in rows:
            act = QAction(
                r.menu, self.layer_menu, checkable=True, checked=r.name not in self.hidden
            )
            act.toggled.connect(lambda on, n=r.name: self.show_layer(n, on))
            self.layer_menu.addAction(act)
        self.view.set_layers(rows)
        self.layers = self.view.layers
        self._samples = [_widest_hover(r) for r in rows]
        self._hold_readout_height()
        self._relayout()

    def show_layer(self, name: str, on: bool = True) -> None:
        """Choose whether a layer's maps are shown (remembered between runs)."""
        (self.hidden.discard if on else self.hidden.add)(name)
        settings.remember(settings.SHOWN_LAYERS, sorted(self.hidden))
        self._relayout()
        if self._trace is not None:
            self.show_trace(self._trace)

    def set_colour_scale(self, mode: str) -> None:
        """PER_LAYER: each layer's maps share that layer's scale; SHARED: one scale for all
        (remembered between runs)."""
        if mode not in SCALE_WORDS:
            raise ValueError(f"colour scale must be {PER_LAYER!r} or {SHARED!r}, not {mode!r}")
        self.colour_scale = mode
        settings.remember(settings.COLOUR_SCALE, mode)
        self.scale_actions[mode].setChecked(True)
        self._label_scale_button()
        self._legend = None  # relabel the legend
        if self._trace is not None:
            self.show_trace(self._trace)

    def _label_scale_button(self) -> None:
        self.scale_button.setText(
            "Scale: per layer ▾" if self.colour_scale == PER_LAYER else "Scale: shared ▾"
        )

    def visible_layers(self) -> list[str]:
        return [n for n in self.layers if n not in self.hidden]

    def _relayout(self) -> None:
        for name in self.layers:
            self.view.set_visible(name, name not in self.hidden)

    # ---- values ----------------------------------------------------------------------------
    def show_weights(self, snapshot) -> None:
        pass  # the maps come with the trace that always follows new weights

    def show_trace(self, trace) -> None:
        if not trace.made_by(self.spec):
            return  # a trace of the last network, still on its way
        self._trace = trace
        if INPUT in self.layers and self.layers[INPUT].visible:
            lo, hi = self.spec.value_range
            self.view.show_input(INPUT, trace.input, min(lo, hi), max(lo, hi))
        shown = [self.layers[n] for n in self.visible_layers() if n != INPUT]
        if not shown:
            return
        # scales are rounded (nice_level) so they step rather than flicker; symmetric, so zero
        # is always the neutral middle colour
        peaks = {v.name: float(np.abs(trace.layer(v.name).values).max()) for v in shown}
        per_layer = self.colour_scale == PER_LAYER
        shared = self.level = nice_level(max(peaks.values()))
        legend = 1.0 if per_layer else shared  # per layer, the legend reads in scale units
        if legend != self._legend:
            self._legend = legend
            if per_layer:  # the legend reads in units of each layer's scale
                ticks = [(1.0, "+max"), (0.0, "0"), (-1.0, "−max")]
            else:
                ticks = [
                    (k / 2, "0" if k == 0 else f"{k * legend / 2:+g}".replace("-", "−"))
                    for k in (2, 1, 0, -1, -2)
                ]
            self.view.set_legend(ticks)
        for v in shown:
            level = nice_level(peaks[v.name]) if per_layer else shared
            title = (
                f"{self.headings[v.name]}   scale ±{level:.2g}"
                if per_layer
                else self.headings[v.name]
            )
            self.view.show_maps(v.name, trace.layer(v.name).values, level, title)
        if self.selected is not None:
            self._show_detail()

    def map_values(self, layer: str, index: int) -> np.ndarray:
        """The values behind one map as shown (from the trace the panel was given); the input's
        channels under the name INPUT."""
        return self._values(layer)[index].copy()

    def _values(self, layer: str) -> np.ndarray:
        return self._trace.input if layer == INPUT else self._trace.layer(layer).values

    def map_pixels(self, layer: str, index: int) -> np.ndarray:
        """The colours (0xAARRGGBB) one map is drawn with, read back out of its layer's picture."""
        v = self.layers[layer]
        return v.layout.tile(v.pixels, index).copy()

    # ---- hover and click -------------------------------------------------------------------
    def _hover(self, name: str, i: int, r: int, c: int) -> None:
        if self._trace is None:
            return
        values = self._values(name)
        labels = self.layers[name].labels
        what = f"map {i + 1}" if name != INPUT else (labels[i] if i < len(labels) else "")
        if i >= values.shape[0]:  # the input as seen: all its channels
            value = ", ".join(deck_number(v) for v in values[:, r, c])
        else:
            value = deck_number(values[i, r, c])
        self.readout.setText(self._hover_text(name, what, r + 1, c + 1, value))

    def _hover_text(self, name: str, what: str, row: int, col: int, value: str) -> str:
        off = OFF_CLICK if self.off_button.isChecked() and name != INPUT else ""
        edited = "  ·  edited network" if self.edited else ""
        return f"{name}  ·  {what}  ·  row {row}, column {col}  =  {value}{off}{edited}"

    def _rest_readout(self) -> None:
        """The read-out when no map is under the pointer: what a hover and a click do now."""
        off = OFF_READOUT if self.off_button.isChecked() else READOUT
        self.readout.setText(self._edited_text() if self.edited else off)
        self._hold_readout_height()

    def _edited_text(self) -> str:
        return f"<b style='color:{theme.ACCENT}'>Edited network:</b> {html.escape(self.edited)}"

    def _hold_readout_height(self) -> None:
        """One height for every text the read-out may show at its width (the hints, the edit
        line, the longest hover line of this network): a hint of two lines becoming a read-out
        of one moved the maps 18 px under the pointer, and the click landed on another map."""
        width = self.readout.width()
        texts = [READOUT, OFF_READOUT, self.readout.text()]
        texts += [self._hover_text(*t) for t in self._samples]
        if self.edited:
            texts.append(self._edited_text())
        tallest = max(self.readout.height_for(t, width) for t in texts)
        self.readout.setMinimumHeight(tallest)
        self.readout.setMaximumHeight(tallest)

    def resizeEvent(self, event):  # Qt's name
        super().resizeEvent(event)
        self._hold_readout_height()  # a new width: as many lines as the longest text needs

    def _input_clicked(self, index: int) -> None:
        """The input row: enlarged (it cannot be switched off: draw on the canvas instead)."""
        self.select_map(INPUT, min(index, self._trace.input.shape[0] - 1) if self._trace else 0)

    def _map_clicked(self, layer: str, index: int) -> None:
        if self.off_button.isChecked():
            self.switch_off_clicked.emit(layer, index)
        else:
            self.select_map(layer, index)

    def set_edited(self, edited: str) -> None:
        """What the what-if edits changed ("" when the network is as trained)."""
        self.edited = edited
        self._rest_readout()

    def select_map(self, layer: str, index: int) -> None:
        """Show one map large under the mosaics, with its values printed when small."""
        self.selected = (layer, index)
        self.detail_view.show()
        if self._trace is not None:
            self._show_detail()

    def _show_detail(self) -> None:
        name, i = self.selected
        every = self._values(name)
        values = every[i]
        h, w = values.shape
        what = f"map {i + 1} of {every.shape[0]}"
        if name == INPUT:  # a channel on its own ramp, over the input's value range
            lo, hi = sorted(self.spec.value_range)
            label = self.layers[name].labels[i] if self.layers[name].labels else ""
            what = f"channel {label or i + 1} of {every.shape[0]}"
            lut, level = input_ramps(every.shape[0])[i], max(abs(lo), abs(hi))
        else:
            level = self.layers[name].level  # the same scale as the map has in its layer
            lut, lo, hi = theme.DIVERGING_LUT, -level, level
        self.detail.show(values, lut, lo, hi, level, f"{name}  ·  {what}  ·  {h} × {w}")

    def detail_cell_px(self) -> float:
        """The side of one cell of the enlarged map on screen (see MapDetail.cell_px)."""
        if self.selected is None or self._trace is None:
            return 0.0
        h, w = self._values(self.selected[0]).shape[-2:]
        return self.detail.cell_px(h, w)

    def _detail_resized(self, *_):
        if self.selected is not None and self._trace is not None and self.detail_view.isVisible():
            self._show_detail()
