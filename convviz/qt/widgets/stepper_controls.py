"""Shared pieces of the step-by-step panels (pooling, filtering, ReLU).

- CellGrid: a map drawn as square cells in the deck's style, values printed in the cells when
  they are big enough to read on a projector, with overlays (the window, the winning cell, the
  cell just written, marked cells) and optional rings around the map (zero padding, or room for
  a window hanging over the edge).
- StepperControls: play / pause / step / jump / scrub / speed, driving a core Playhead with a
  QTimer (speed = the timer's interval).
- StepperPanel: the plumbing both stepper panels share (the public API the main window and the
  guided tour use: play(), pause(), step_forward(), step_back(), jump_to_end(), current_step,
  step_changed(int)).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QLineF, QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QImage,
    QPainter,
    QPen,
    QPixmap,
    QRegion,
)
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSlider,
    QStyle,
    QStyleOptionComboBox,
    QStylePainter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ...core.mosaic import colour_indices as mosaic_colour_indices
from ...core.numbers import deck_number
from ...core.stepper import Playhead
from .. import theme
from .flow_layout import WrapRow

# the one colour pipeline: values -> 0..255 (core.mosaic.colour_indices) -> a theme LUT
_LUT = theme.DECK_CELLS_LUT
_LUMA = theme.luma(_LUT)

WINDOW_COLOR = QColor(20, 20, 20)
WINNER_COLOR = QColor(0, 168, 84)
MARK_COLOR = QColor(200, 30, 45)
# Not filled in yet: darker than every value colour (the palest, near zero, is almost white),
# so a filled cell stands out from an empty one whatever its value. Opaque: cheaper to fill.
EMPTY_COLOR = QColor(40, 45, 54)
EMPTY_HATCH = QColor(255, 255, 255, 45)  # off-map cells: a light hatch on the dark empty colour
OUTLINE_BELOW_PX = 20  # cells smaller than this: marked cells get one outline around them all
PADDING_COLOR = QColor(205, 205, 205)
GRID_COLOR = QColor(165, 165, 165)
PADDING_HATCH = QColor(0, 0, 0, 30)
PADDING_TEXT = QColor(90, 90, 90)
FRAME_COLOR = QColor(110, 110, 110)
LIGHT_TEXT = QColor(255, 255, 255)  # numbers on dark cells
DARK_TEXT = QColor(20, 20, 20)  # and on light ones


class ElidingCombo(QComboBox):
    """A drop-down that may be narrower than its items: the chosen item is cut with "…" (a
    plain QComboBox cuts it mid-word with no sign), and the tooltip says it whole."""

    def __init__(self, tip: str, parent=None):
        super().__init__(parent)
        self._tip = tip
        # the tooltip follows the chosen item, also while the panel fills the list with
        # signals blocked (the model's own signals still arrive)
        self.currentIndexChanged.connect(self._retip)
        self.model().rowsInserted.connect(self._retip)
        self.model().rowsRemoved.connect(self._retip)
        self.model().modelReset.connect(self._retip)
        self._retip()

    def _field(self):
        opt = QStyleOptionComboBox()
        self.initStyleOption(opt)
        return opt, self.style().subControlRect(QStyle.ComplexControl.CC_ComboBox, opt,
                                                QStyle.SubControl.SC_ComboBoxEditField, self)

    def displayed_text(self) -> str:
        """The chosen item as painted: whole, or cut with "…" to the room there is."""
        _opt, field = self._field()
        return self.fontMetrics().elidedText(self.currentText(), Qt.TextElideMode.ElideRight,
                                             max(0, field.width()))

    def _retip(self, *_):
        text = self.currentText()
        tip = f"{self._tip}\n{text}" if text else self._tip
        if tip != self.toolTip():
            self.setToolTip(tip)

    def paintEvent(self, event):  # Qt's name
        self._retip()  # (items set with signals blocked announce nothing)
        p = QStylePainter(self)
        opt, _field = self._field()
        opt.currentText = self.displayed_text()
        p.drawComplexControl(QStyle.ComplexControl.CC_ComboBox, opt)
        p.drawControl(QStyle.ControlElement.CE_ComboBoxLabel, opt)


def selector(tip: str, parent=None) -> QComboBox:
    """A drop-down that may be narrower than its longest item (the panels share a dock area
    with others and must fit a projector's width); the open list still shows whole items."""
    combo = ElidingCombo(tip, parent)
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(8)
    combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
    return combo


def colour_indices(values: np.ndarray, levels: tuple[float, float]) -> np.ndarray:
    """LUT indices of a map on its symmetric scale (symmetric_levels): the mosaic's mapping
    (core.mosaic.colour_indices), with NaN (off the map) as zero."""
    level = max(abs(levels[0]), abs(levels[1])) or 1.0
    v = np.nan_to_num(np.asarray(values, np.float32), nan=0.0)
    return mosaic_colour_indices(v, level).reshape(v.shape).astype(np.intp)


def cell_texts(values: np.ndarray) -> list[list[str]]:
    """What the cells print: a grid of whole numbers as they are (the deck's 1 and -1),
    otherwise two decimals cut as the deck does (7/9 -> 0.77); NaN prints nothing."""
    finite = values[np.isfinite(values)]
    whole = finite.size and np.all(np.abs(finite - np.round(finite)) < 1e-6) \
        and np.all(np.abs(finite) < 1e4)
    if whole:
        return [["" if v != v else str(round(v)) for v in row] for row in values.tolist()]
    return [[deck_number(v) for v in row] for row in values.tolist()]


def symmetric_levels(*arrays) -> tuple[float, float]:
    """(-a, a) with a the largest magnitude: zero is always the neutral middle colour."""
    a = max((float(np.nanmax(np.abs(x))) for x in arrays if x.size and np.isfinite(x).any()),
            default=1.0)
    a = a if a > 1e-12 else 1.0
    return (-a, a)


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is b
    return a.shape == b.shape and bool((a == b).all())


class CellGrid(QWidget):
    """One map as square cells. `values` (H, W): NaN cells are drawn empty (not filled yet)."""

    MIN_TEXT_CELL = 26  # px: smaller cells show colour only

    def __init__(self, title: str = "", parent=None, max_cell: int = 64,
                 nan_hatched: bool = False):
        super().__init__(parent)
        self._title = title
        self._tip_title = ""  # the tooltip shown_title() set (a tooltip set by others is kept)
        self.nan_hatched = nan_hatched  # NaN cells lie off the map (else: not filled in yet)
        self.max_cell = max_cell
        self._values = np.zeros((0, 0), np.float32)
        self._idx = np.zeros((0, 0), np.intp)
        self._image: QImage | None = None
        self._margin, self._margin_zero = 0, False
        self._window: tuple[int, int, int] | None = None
        self._winner: tuple[int, int] | None = None
        self._current: tuple[int, int] | None = None
        self._marked: np.ndarray | None = None
        self._hatched: np.ndarray | None = None
        self._base: QPixmap | None = None  # cells, grid and numbers, drawn once per values
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(90, 90)

    # ---- data ---------------------------------------------------------------------------
    def set_title(self, title: str) -> None:
        self._title = title
        self._base = None
        self.update()

    def set_values(self, values: np.ndarray, levels: tuple[float, float] | None = None,
                   margin: int = 0, margin_zero: bool = False) -> None:
        """`margin` rings of extra cells around the map: zero padding when `margin_zero`,
        else empty room for a window that hangs over the edge."""
        v = np.asarray(values, np.float32)
        if v.shape != self._values.shape or int(margin) != self._margin:
            self.updateGeometry()  # the size hint follows the map's shape
        self._values = v
        self._texts: list[list[str]] | None = None  # made when first painted with numbers
        self._base = None
        self._margin, self._margin_zero = int(margin), bool(margin_zero)
        self._idx = colour_indices(v, levels or symmetric_levels(v))
        rgba = np.empty((*v.shape, 4), np.uint8)
        rgba[..., :3] = _LUT[self._idx]
        rgba[..., 3] = np.where(np.isnan(v), 0, 255)
        self._rgba = np.ascontiguousarray(rgba)  # QImage borrows this buffer: keep it alive
        h, w = v.shape
        # premultiplied ARGB is the format the raster painter blits fastest (a copy: the
        # numpy buffer may go)
        self._image = QImage(self._rgba.data, w, h, 4 * w, QImage.Format.Format_RGBA8888) \
            .convertToFormat(QImage.Format.Format_ARGB32_Premultiplied) if v.size else None
        self.update()

    def set_marks(self, window=None, winner=None, current=None, marked=None,
                  hatched=None) -> None:
        """window (top, left, size) in map cells (may reach outside); winner / current (r, c);
        marked: (H, W) bool cells drawn with a red frame; hatched: (H, W) bool cells drawn
        hatched (e.g. a patch's cells on the zero padding)."""
        self._window, self._winner, self._current = window, winner, current
        self._marked = None if marked is None else np.asarray(marked, bool)
        hatched = None if hatched is None else np.asarray(hatched, bool)
        if not _same(hatched, self._hatched):  # hatching is part of the cached cells
            self._base = None
        self._hatched = hatched
        self.update()

    @property
    def values(self) -> np.ndarray:
        return self._values

    # ---- geometry -----------------------------------------------------------------------
    def _title_height(self) -> int:
        return 24 if self._title else 0

    def cell_size(self) -> float:
        rows, cols = self._values.shape
        n_r, n_c = rows + 2 * self._margin, cols + 2 * self._margin
        if not n_r or not n_c:
            return 0.0
        avail_w, avail_h = self.width() - 4, self.height() - self._title_height() - 4
        return float(max(1, min(self.max_cell, int(min(avail_w / n_c, avail_h / n_r)))))

    def _origin(self, cell: float) -> QPointF:
        rows, cols = self._values.shape
        m = self._margin
        gw, gh = (cols + 2 * m) * cell, (rows + 2 * m) * cell
        x = (self.width() - gw) / 2 + m * cell
        y = self._title_height() + (self.height() - self._title_height() - gh) / 2 + m * cell
        return QPointF(round(x), round(y))

    def sizeHint(self) -> QSize:
        rows, cols = self._values.shape if self._values.size else (5, 5)
        n = max(rows, cols) + 2 * self._margin
        side = int(min(self.max_cell, max(12, 360 // max(n, 1))) * n) + 4
        return QSize(side, side + self._title_height())

    # ---- painting -----------------------------------------------------------------------
    def resizeEvent(self, event):
        self._base = None
        super().resizeEvent(event)

    def paintEvent(self, event):  # Qt's name
        # The cells, grid and numbers change only with the values: they are drawn once into a
        # pixmap, so a step (which moves only the marks) costs one drawPixmap plus the marks.
        dpr = self.devicePixelRatioF()
        if self._base is None:
            self._base = QPixmap(max(1, int(self.width() * dpr)), max(1, int(self.height() * dpr)))
            self._base.setDevicePixelRatio(dpr)
            self._base.fill(Qt.GlobalColor.transparent)
            bp = QPainter(self._base)
            try:
                self._paint_base(bp)
            finally:
                bp.end()
        p = QPainter(self)
        try:
            p.drawPixmap(0, 0, self._base)
            if self._image is not None:
                cell = self.cell_size()
                self._paint_marks(p, self._origin(cell), cell, *self._values.shape)
        finally:
            p.end()

    def _paint_base(self, p: QPainter) -> None:
        rows, cols = self._values.shape
        cell = self.cell_size()
        o = self._origin(cell)
        m = self._margin
        full = QRectF(o.x() - m * cell, o.y() - m * cell, (cols + 2 * m) * cell,
                      (rows + 2 * m) * cell)
        if self._title:  # right above the cells: in a tall panel it stays with them
            self._paint_title(p, full)
        if self._image is None:
            return
        area = QRectF(o.x(), o.y(), cols * cell, rows * cell)
        show_text = cell >= self.MIN_TEXT_CELL
        font = QFont(self.font())
        font.setPixelSize(self._text_pixels(cell))
        p.setFont(font)
        padded = bool(m and self._margin_zero)
        if padded:
            self._paint_padding(p, o, cell, full, show_text)
        p.fillRect(area, EMPTY_COLOR)
        if self.nan_hatched and np.isnan(self._values).any():  # NaN = off the map
            p.fillRect(area, QBrush(EMPTY_HATCH, Qt.BrushStyle.BDiagPattern))
        p.drawImage(area, self._image)  # nearest-neighbour scaling: crisp cells
        if self._hatched is not None:
            for r, c in zip(*np.nonzero(self._hatched), strict=True):
                rect = self._cell_rect(o, cell, int(r), int(c))
                p.fillRect(rect, PADDING_COLOR)
                p.fillRect(rect, QBrush(PADDING_HATCH, Qt.BrushStyle.BDiagPattern))
        if cell >= 6:  # grid lines (over the padding too, but not over empty room)
            self._paint_grid_lines(p, full if padded else area, cell)
        p.setPen(QPen(FRAME_COLOR, 1))
        p.drawRect(area)
        if show_text:
            self._paint_numbers(p, o, cell, font)

    def _paint_title(self, p: QPainter, full: QRectF) -> None:
        p.setFont(self.title_font())
        p.setPen(self.palette().windowText().color())
        top = max(0.0, full.top() - self._title_height()) if self._image is not None else 0.0
        p.drawText(QRectF(0, top, self.width(), 22), Qt.AlignmentFlag.AlignCenter,
                   self.shown_title())

    def _paint_padding(self, p: QPainter, o, cell: float, full: QRectF, show_text: bool) -> None:
        """Zero padding: a grey hatched ring of zeros around the map."""
        rows, cols = self._values.shape
        m = self._margin
        p.fillRect(full, PADDING_COLOR)
        p.fillRect(full, QBrush(PADDING_HATCH, Qt.BrushStyle.BDiagPattern))
        if not show_text:
            return
        p.setPen(PADDING_TEXT)
        for r in range(-m, rows + m):
            for c in range(-m, cols + m):
                if 0 <= r < rows and 0 <= c < cols:
                    continue
                p.drawText(self._cell_rect(o, cell, r, c), Qt.AlignmentFlag.AlignCenter, "0")

    @staticmethod
    def _paint_grid_lines(p: QPainter, g: QRectF, cell: float) -> None:
        n_c, n_r = round(g.width() / cell), round(g.height() / cell)
        p.setPen(QPen(GRID_COLOR, 1))  # opaque: translucent lines cost 10x more to draw
        lines = [QLineF(g.left() + c * cell, g.top(), g.left() + c * cell, g.bottom())
                 for c in range(n_c + 1)]
        lines += [QLineF(g.left(), g.top() + r * cell, g.right(), g.top() + r * cell)
                  for r in range(n_r + 1)]
        p.drawLines(lines)

    def _paint_numbers(self, p: QPainter, o, cell: float, font: QFont) -> None:
        """Each cell's value, white on dark cells and dark on light ones; the winner bold."""
        bold = QFont(font)
        bold.setBold(True)
        idx, texts = self._idx, self.texts()
        rows, cols = self._values.shape
        for r in range(rows):
            for c in range(cols):
                text = texts[r][c]
                if not text:  # NaN: not filled in yet
                    continue
                p.setFont(bold if self._winner == (r, c) else font)
                p.setPen(LIGHT_TEXT if _LUMA[idx[r, c]] < 0.55 else DARK_TEXT)
                p.drawText(self._cell_rect(o, cell, r, c), Qt.AlignmentFlag.AlignCenter, text)

    def title_font(self) -> QFont:
        """The title's font: bold 15 px, smaller (down to 11 px) when the grid is narrow."""
        f = QFont(self.font())
        f.setBold(True)
        for px in range(15, 10, -1):
            f.setPixelSize(px)
            if QFontMetricsF(f).horizontalAdvance(self._title) <= self.width() - 4:
                break
        return f

    def shown_title(self) -> str:
        """The title as painted: whole, or cut with "…" (then the tooltip says it whole): a
        centred title wider than the grid lost both its ends ("ut map with 2 rings of zero
        padd")."""
        fm = QFontMetricsF(self.title_font())
        shown = fm.elidedText(self._title, Qt.TextElideMode.ElideRight, max(0, self.width() - 4))
        tip = self._title if shown != self._title else ""
        if self.toolTip() in ("", self._tip_title) and tip != self._tip_title:
            self.setToolTip(tip)
            self._tip_title = tip
        return shown

    def texts(self) -> list[list[str]]:
        if self._texts is None:
            self._texts = cell_texts(self._values)
        return self._texts

    def _text_pixels(self, cell: float) -> int:
        """As large as fits: about 40% of the cell, less for long numbers like -0.11."""
        if cell < self.MIN_TEXT_CELL:
            return 8
        longest = max((len(t) for row in self.texts() for t in row), default=1)
        return max(8, int(min(cell * 0.4, cell * 0.8 / (0.6 * max(longest, 1)))))

    def _cell_rect(self, o: QPointF, cell: float, r: int, c: int, h: int = 1,
                   w: int = 1) -> QRectF:
        return QRectF(o.x() + c * cell, o.y() + r * cell, w * cell, h * cell)

    def _paint_marks(self, p: QPainter, o: QPointF, cell: float, rows: int, cols: int) -> None:
        thick = max(3.0, min(5.0, cell / 9))
        p.setBrush(Qt.BrushStyle.NoBrush)
        if self._marked is not None and cell < OUTLINE_BELOW_PX:
            # a frame in every small cell would cover its colour (a 28x28 map turned red):
            # one thin line around each group of marked cells leaves the colours visible
            p.setPen(QPen(MARK_COLOR, 2))
            p.drawLines(self._outline(o, cell))
        elif self._marked is not None:
            p.setPen(QPen(MARK_COLOR, thick))
            for r, c in zip(*np.nonzero(self._marked), strict=True):
                p.drawRect(self._cell_rect(o, cell, int(r), int(c)).adjusted(
                    thick / 2, thick / 2, -thick / 2, -thick / 2))
        if self._winner is not None:
            p.setPen(QPen(WINNER_COLOR, thick))
            p.drawRect(self._cell_rect(o, cell, *self._winner).adjusted(
                thick * 0.5, thick * 0.5, -thick * 0.5, -thick * 0.5))
        for rect, dashed in self._window_rects(o, cell, rows, cols):
            if dashed:  # the part hanging over the edge: hatched, outlined in dashes
                p.save()
                p.setClipRegion(QRegion(rect.toRect()).subtracted(
                    QRegion(QRectF(o.x(), o.y(), cols * cell, rows * cell).toRect())))
                p.fillRect(rect, QBrush(QColor(20, 20, 20, 90), Qt.BrushStyle.BDiagPattern))
                p.restore()
            self._double_outline(p, rect, thick, dashed)
        if self._current is not None:
            self._double_outline(p, self._cell_rect(o, cell, *self._current), thick, False)

    def _outline(self, o: QPointF, cell: float) -> list[QLineF]:
        """The edges between marked and unmarked cells (and the map's edge)."""
        m = np.pad(self._marked, 1)
        lines = []
        for r, c in zip(*np.nonzero(m[1:, 1:-1] != m[:-1, 1:-1]), strict=True):  # top edge of row r
            y = o.y() + r * cell
            lines.append(QLineF(o.x() + c * cell, y, o.x() + (c + 1) * cell, y))
        # left edge of column c
        for r, c in zip(*np.nonzero(m[1:-1, 1:] != m[1:-1, :-1]), strict=True):
            x = o.x() + c * cell
            lines.append(QLineF(x, o.y() + r * cell, x, o.y() + (r + 1) * cell))
        return lines

    def _window_rects(self, o, cell, rows, cols):
        if self._window is None:
            return []
        top, left, k = self._window
        whole = self._cell_rect(o, cell, top, left, k, k)
        inside = whole.intersected(QRectF(o.x(), o.y(), cols * cell, rows * cell)) \
            if not self._margin_zero else whole
        if inside == whole:
            return [(whole, False)]
        return [(whole, True), (inside, False)]

    @staticmethod
    def _double_outline(p: QPainter, rect: QRectF, thick: float, dashed: bool) -> None:
        """A dark line with a white line inside it: visible on every cell colour."""
        style = Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine
        h = thick / 2  # drawn just outside the cells, so the numbers stay readable
        p.setPen(QPen(WINDOW_COLOR, thick, style))
        p.drawRect(rect.adjusted(-h, -h, h, h))
        if not dashed:
            p.setPen(QPen(QColor(255, 255, 255), 1.5))
            p.drawRect(rect)


class StepperControls(QWidget):
    """Play / pause, step back and forward, jump to either end, a scrub bar and a speed slider.

    Owns the play head (which step is shown) and the QTimer that advances it; emits
    step_changed(int) whenever the shown step changes, whatever moved it."""

    step_changed = Signal(int)
    playing_changed = Signal(bool)

    SPEEDS = (0.5, 1, 2, 3, 5, 8, 12, 20, 30, 40, 60)  # steps per second; 60 = full speed
    # Until the person moves the speed slider, playing a whole map takes at most about this
    # long: 3 windows a second (slow enough to follow the arithmetic) for the deck's small
    # maps, faster for big ones (784 windows of a 28x28 map: 40 a second, 20 s instead of 4.4
    # minutes). A speed the person chose is kept.
    DEFAULT_SPEED = 3
    WHOLE_MAP_S = 20

    def __init__(self, parent=None):
        super().__init__(parent)
        self.playhead = Playhead(0)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self._tick)
        st = self.style()

        def button(icon, tip, slot):
            b = QToolButton(self)
            b.setIcon(st.standardIcon(icon))
            b.setIconSize(QSize(22, 22))
            b.setToolTip(tip)
            b.setAutoRaise(True)
            b.clicked.connect(slot)
            return b

        SP = QStyle.StandardPixmap
        self.first_button = button(SP.SP_MediaSkipBackward, "Back to the first window",
                                   self.jump_to_start)
        self.back_button = button(SP.SP_MediaSeekBackward, "One window back", self.step_back)
        self.play_button = button(SP.SP_MediaPlay, "Play: move the window on by itself",
                                  self.toggle)
        self.forward_button = button(SP.SP_MediaSeekForward, "One window forward",
                                     self.step_forward)
        self.end_button = button(SP.SP_MediaSkipForward, "Jump to the last window (the whole "
                                 "output map filled in)", self.jump_to_end)
        self.scrub = QSlider(Qt.Orientation.Horizontal, self)
        self.scrub.setToolTip("Drag to move the window to any position")
        self.scrub.valueChanged.connect(self.seek)
        self.step_label = QLabel(self)
        self.speed = QSlider(Qt.Orientation.Horizontal, self)
        self.speed.setRange(0, len(self.SPEEDS) - 1)
        self.speed.setMinimumWidth(60)  # narrow docks squeeze the speed, not the buttons
        self.speed.setMaximumWidth(110)
        self.speed.setToolTip("How fast the window moves while playing")
        self.speed.valueChanged.connect(self._speed_changed)
        self.speed_chosen = False  # the person moved the slider: keep their speed
        self.speed.actionTriggered.connect(lambda _action: setattr(self, "speed_chosen", True))
        self.speed_label = QLabel(self)
        self.speed_label.setMinimumWidth(64)

        # two groups: the transport and the speed, side by side or (a narrow dock) stacked
        transport, pace = QWidget(self), QWidget(self)
        row = QHBoxLayout(transport)
        row.setContentsMargins(0, 0, 0, 0)
        for w in (self.first_button, self.back_button, self.play_button, self.forward_button,
                  self.end_button):
            row.addWidget(w)
        row.addWidget(self.step_label)
        row.addWidget(self.scrub, 1)
        row = QHBoxLayout(pace)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Speed", pace))
        row.addWidget(self.speed, 1)
        row.addWidget(self.speed_label)
        pace.setMaximumWidth(260)
        self.setStyleSheet("QToolButton { padding: 2px 4px; }")  # five buttons fit 360 px
        outer = QHBoxLayout(self)
        outer.setContentsMargins(4, 2, 4, 2)
        self.groups = WrapRow([transport, pace], parent=self)
        outer.addWidget(self.groups)
        self.speed.setValue(self.SPEEDS.index(self.DEFAULT_SPEED))
        self._speed_changed(self.speed.value())
        self._sync()

    # ---- state --------------------------------------------------------------------------
    @property
    def current_step(self) -> int:
        return self.playhead.current

    @property
    def n_steps(self) -> int:
        return self.playhead.n_steps

    @property
    def is_playing(self) -> bool:
        return self.timer.isActive()

    def set_count(self, n: int) -> None:
        """A new layer or map: the number of windows changes; the step is kept if it exists."""
        before = self.playhead.current
        self.playhead.resize(n)
        if not self.speed_chosen:
            self.set_speed(self.default_speed(n), chosen=False)
        # room for the longest count this map can show, so "Window 17 of 784" is never cut
        fm = self.step_label.fontMetrics()
        self.step_label.setMinimumWidth(fm.horizontalAdvance(f"Window {n} of {n}") + 4)
        if not n:
            self.pause()
        self._sync()
        if self.playhead.current != before:
            self.step_changed.emit(self.playhead.current)

    @classmethod
    def default_speed(cls, n: int) -> float:
        """The slowest speed (from the default up) that plays `n` windows in WHOLE_MAP_S."""
        return next((s for s in cls.SPEEDS if s >= cls.DEFAULT_SPEED and n / s <= cls.WHOLE_MAP_S),
                    cls.SPEEDS[-1])

    def set_speed(self, steps_per_second: float, chosen: bool = True) -> None:
        i = int(np.argmin([abs(s - steps_per_second) for s in self.SPEEDS]))
        self.speed.setValue(i)
        self.speed_chosen = self.speed_chosen or chosen

    # ---- moves --------------------------------------------------------------------------
    def seek(self, i: int) -> None:
        if self.playhead.seek(i):
            self._sync()
            self.step_changed.emit(self.playhead.current)

    def step_forward(self) -> None:
        self.seek(self.playhead.current + 1)

    def step_back(self) -> None:
        self.seek(self.playhead.current - 1)

    def jump_to_start(self) -> None:
        self.seek(0)

    def jump_to_end(self) -> None:
        self.pause()
        self.seek(self.playhead.n_steps - 1)

    def play(self) -> None:
        if self.playhead.n_steps < 2 or self.is_playing:
            return
        if self.playhead.at_end:  # playing from the end starts over
            self.seek(0)
        self.timer.start()
        self._sync()
        self.playing_changed.emit(True)

    def pause(self) -> None:
        if self.is_playing:
            self.timer.stop()
            self._sync()
            self.playing_changed.emit(False)

    def toggle(self) -> None:
        self.pause() if self.is_playing else self.play()

    def _tick(self) -> None:
        self.step_forward()
        if self.playhead.at_end:
            self.pause()

    def _speed_changed(self, i: int) -> None:
        sps = self.SPEEDS[i]
        self.timer.setInterval(round(1000 / sps))
        self.speed_label.setText("full" if sps >= 60 else f"{sps:g} / s")

    def _sync(self) -> None:
        n, cur = self.playhead.n_steps, self.playhead.current
        self.scrub.blockSignals(True)
        self.scrub.setRange(0, max(0, n - 1))
        self.scrub.setValue(cur)
        self.scrub.blockSignals(False)
        self.step_label.setText(f"Window {cur + 1} of {n}" if n else "No windows")
        SP = QStyle.StandardPixmap
        self.play_button.setIcon(self.style().standardIcon(
            SP.SP_MediaPause if self.is_playing else SP.SP_MediaPlay))
        self.play_button.setToolTip("Pause" if self.is_playing else
                                    "Play: move the window on by itself")
        for b in (self.first_button, self.back_button, self.play_button, self.forward_button,
                  self.end_button, self.scrub):
            b.setEnabled(n > 1)


def trace_fits(spec, trace) -> bool:
    """A trace belongs to `spec` (a trace from the previous network may still be on its way)."""
    if spec is None or trace is None:
        return False
    shapes = spec.shapes()
    return (len(trace.layers) == len(shapes) and all(
        lt.name == s.name and lt.values.shape == s.shape
        for lt, s in zip(trace.layers, shapes, strict=True)))


def picker_row(parent, pairs) -> QHBoxLayout:
    """The row of labelled drop-downs at the top of a deck panel: [(label or QLabel, combo)];
    in a narrow dock the pairs stack (see WrapRow)."""
    boxes = []
    for label, combo in pairs:
        box = QWidget(parent)
        lay = QHBoxLayout(box)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(label if isinstance(label, QLabel) else QLabel(label, box))
        lay.addWidget(combo, 1)  # (expanding: the drop-downs share the row's width)
        boxes.append(box)
    row = QHBoxLayout()
    row.addWidget(WrapRow(boxes, parent=parent))
    return row


def help_label(text: str, parent) -> QLabel:
    """A panel's short explanation: wrapped, in the theme's muted hint colour (an explanation,
    not a control)."""
    label = QLabel(text, parent)
    label.setWordWrap(True)
    label.setObjectName("hint")
    return label


class StepperPanel(QWidget):
    """Base of the pooling and filtering panels: controls at the bottom, a caption above them,
    and the API the main window and the guided tour drive."""

    step_changed = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.controls = StepperControls(self)
        self.controls.step_changed.connect(self._on_step)
        self.caption = QLabel(self)
        self.caption.setWordWrap(True)
        self.caption.setTextFormat(Qt.TextFormat.RichText)
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        f = QFont(self.caption.font())
        f.setPixelSize(17)
        self.caption.setFont(f)
        self.caption.setMinimumHeight(48)
        self.notice = QLabel(self)  # shown instead of the grids when there is nothing to step
        self.notice.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.notice.setWordWrap(True)
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(6, 6, 6, 6)

    def assemble(self, top: QHBoxLayout, text: str, grids: QWidget) -> None:
        """Stack the panel: pickers, explanation, grids, notice, caption, controls."""
        self.grids = grids
        self.layout_.addLayout(top)
        self.layout_.addWidget(help_label(text, self))
        self.layout_.addWidget(grids, 1)
        self.layout_.addWidget(self.notice, 1)
        self.layout_.addWidget(self.caption)
        self.layout_.addWidget(self.controls)

    def show_trace(self, trace) -> None:
        """New values (the drawing or the weights changed): same window position, new numbers."""
        if not trace_fits(self.spec, trace):
            return
        self.trace = trace
        self._rebuild_stepper()

    def select_layer(self, layer_name: str, kind: str) -> None:
        """Choose `layer_name` in the layer picker, or raise ValueError naming the choices."""
        names = [sl.name for sl in self._layers]
        if layer_name not in names:
            raise ValueError(f"no {kind} layer named {layer_name!r} (this network has: "
                             f"{', '.join(names) or 'none'})")
        self.layer_combo.setCurrentIndex(names.index(layer_name))

    @property
    def layer(self):
        """The StepLayer chosen in the layer picker, or None when the network has none."""
        i = self.layer_combo.currentIndex()
        return self._layers[i] if 0 <= i < len(self._layers) else None

    # ---- the API ------------------------------------------------------------------------
    @property
    def current_step(self) -> int:
        return self.controls.current_step

    @property
    def n_steps(self) -> int:
        return self.controls.n_steps

    def play(self) -> None:
        self.controls.play()

    def pause(self) -> None:
        self.controls.pause()

    def step_forward(self) -> None:
        self.controls.step_forward()

    def step_back(self) -> None:
        self.controls.step_back()

    def jump_to_end(self) -> None:
        self.controls.jump_to_end()

    def seek(self, step: int) -> None:
        self.controls.seek(step)

    def _on_step(self, i: int) -> None:
        self._show_step()
        self.step_changed.emit(i)

    def _refresh(self) -> None:
        """The grids and the current step, or, with nothing to step through, why not."""
        ready = self.stepper is not None
        self.grids.setVisible(ready)
        self.notice.setVisible(not ready)
        if not ready:
            self.notice.setText(self._waiting_text())
            self.caption.setText("")
            return
        self._show_step()

    def _waiting_text(self) -> str:  # pragma: no cover - each panel says it its own way
        raise NotImplementedError

    def _show_step(self) -> None:  # pragma: no cover - each panel draws its own step
        raise NotImplementedError
