"""A horizontal bar chart drawn with one QPainter pass: a label per row on the left, one bar per
row from the zero line, and an optional value text after each bar.

The votes panel redraws its two charts on every stroke of the pen; a pyqtgraph plot rebuilt its
bar picture, axis and text items each time (about a millisecond); this widget only stores the
numbers and paints them, and lays the text out in pixels, so labels never run off the edge.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import QEvent, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from ...core.limits import NAME_SHOWN_CHARS, NAME_TOOLTIP_CHARS
from .. import theme

PAD = 10  # pixels around the chart and between its parts
SMALLEST_TEXT_PX = 10  # rows lower than this show bars without words


def short_name(name: str) -> str:
    """A class name cut to NAME_SHOWN_CHARS characters (with "…") before anything measures or
    draws it: Qt's text layout takes time in the length of the text, and a name of a million
    characters never finished laying out."""
    n = NAME_SHOWN_CHARS
    return name if len(name) <= n else name[: n - 1] + "…"


def name_tooltip(name: str) -> str:
    """The full name for a tooltip (itself cut, far later, at NAME_TOOLTIP_CHARS)."""
    n = NAME_TOOLTIP_CHARS
    return name if len(name) <= n else name[: n - 1] + f"… ({len(name):,} characters)"


@dataclass
class Bars:
    """What a chart shows: one row per value, top to bottom."""

    labels: list[str] = field(default_factory=list)
    values: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    colours: list[str] = field(default_factory=list)  # bar colour per row
    texts: list[str] = field(default_factory=list)  # written after each bar ("" for none)
    short_texts: list[str] = field(default_factory=list)  # used when `texts` would take more
    # than a third of the width (a narrow dock), so the bars keep room
    text_colours: list[str] = field(default_factory=list)
    span: tuple[float, float] = (0.0, 1.0)  # value range the bar area covers (0 inside it)
    tooltips: list[str] = field(default_factory=list)  # per row, on hover (e.g. a full name)
    note: str = ""  # one line under the bars (e.g. "the strongest 12 of 10,000 classes")
    ghosts: np.ndarray | None = None  # per row, a value drawn as an outline (the vote before
    # a what-if edit), or None


class BarChart(QWidget):
    row_clicked = Signal(int)  # the row under a left click (a class, in the votes)

    def __init__(self, rows: int = 6, parent=None, readable_rows: bool = False):
        super().__init__(parent)
        self.rows = rows  # rows expected, for the size hint before the first bars arrive
        # readable_rows: never squeezed below a line of text per row (the votes: a chart of
        # class names must keep them); otherwise rows may shrink to bars only
        self.readable_rows = readable_rows
        self.bars = Bars()
        self._label_width = 0.0  # widest label, measured once per set of labels
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.setAttribute(Qt.WA_OpaquePaintEvent)  # paints every pixel itself
        font = QFont()
        font.setPointSize(theme.BASE_POINT_SIZE)
        self.setFont(font)

    def sizeHint(self) -> QSize:
        return QSize(380, 2 * PAD + 56 * self.rows)  # roomy: the votes dock asks for height

    def minimumSizeHint(self) -> QSize:
        line = QFontMetricsF(self.font()).height()
        # readable rows: three quarters of a line each, where paintEvent still writes every
        # label and value (a little smaller); otherwise squeezed rows show bars only
        row = max(SMALLEST_TEXT_PX + 2, 0.75 * line) if self.readable_rows else 5
        note = line if self.bars.note else 0
        return QSize(160, int(2 * PAD + self.rows * row + note) + 1)

    def row_height(self) -> float:
        """Pixels each row gets at the current size."""
        n = max(len(self.bars.values), 1)
        return (self.height() - 2 * PAD - self._note_height()) / n

    def shows_words(self) -> bool:
        """Whether rows are tall enough for their labels and values (at full size or smaller,
        see paintEvent)."""
        return self.row_height() >= SMALLEST_TEXT_PX

    def _note_height(self) -> float:
        return QFontMetricsF(self.font()).height() if self.bars.note else 0.0

    def row_tooltip(self, i: int, plan: _Plan | None = None) -> str:
        """Row i's tooltip: the one given, else its whole label when the label is cut short."""
        b = self.bars
        if i < len(b.tooltips) and b.tooltips[i]:
            return b.tooltips[i]
        if i < len(b.labels):
            plan = plan or self._plan()
            if plan.metrics.horizontalAdvance(b.labels[i]) > plan.label_w:
                return b.labels[i]
        return ""

    def event(self, e):  # a row's tooltip (a class's full name, a cut label) on hover
        if e.type() == QEvent.Type.ToolTip and len(self.bars.values):
            row = int((e.pos().y() - PAD) // max(self.row_height(), 1e-6))
            tip = self.row_tooltip(row) if 0 <= row < len(self.bars.values) else ""
            if tip:
                QToolTip.showText(e.globalPos(), tip, self)
            else:
                QToolTip.hideText()
            return True
        return super().event(e)

    def show_bars(self, bars: Bars) -> None:
        if bars.labels != self.bars.labels:
            metrics = QFontMetricsF(self.font())
            self._label_width = _widest(metrics, bars.labels)
        if (len(bars.values) and len(bars.values) != self.rows) or bool(bars.note) != bool(
            self.bars.note
        ):
            self.rows = len(bars.values) or self.rows
            self.bars = bars
            self.updateGeometry()
        self.bars = bars
        self.update()

    def mousePressEvent(self, event):
        n = len(self.bars.values)
        if n and event.button() == Qt.LeftButton:
            i = int((event.position().y() - PAD) // max(self.row_height(), 1e-6))
            if 0 <= i < n:
                self.row_clicked.emit(i)
        super().mousePressEvent(event)

    # ---- painting --------------------------------------------------------------------------
    def _plan(self) -> _Plan:
        """Where the words and bars go at the current size (paintEvent draws this plan, and
        painted_texts() reports it: one computation, so the report is what a paint shows)."""
        b, w = self.bars, self.width()
        row = self.row_height()
        font, metrics = self.font(), QFontMetricsF(self.font())
        label_w = self._label_width
        if SMALLEST_TEXT_PX <= row < metrics.height() * 0.9:
            # rows squeezed below a text line (a small screen): smaller words, not none
            font = QFont(self.font())
            font.setPixelSize(int(row / 1.15))
            metrics = QFontMetricsF(font)
            label_w = _widest(metrics, b.labels)
        label_w = min(label_w, w * 0.45)
        texts = b.texts
        text_w = _widest(metrics, texts)
        if b.short_texts and text_w > w / 3:
            texts = b.short_texts
            text_w = _widest(metrics, texts)
        text_w += PAD / 2 if any(texts) else 0
        left = PAD + label_w + PAD
        right = max(left + 20.0, w - PAD - text_w)
        lo, hi = b.span
        scale = (right - left) / max(hi - lo, 1e-12)
        words = row >= metrics.height() * 0.9  # squeezed below even that: bars only
        return _Plan(
            row, font, metrics, label_w, texts, left, left + (0.0 - lo) * scale, scale, words
        )

    def painted_texts(self) -> tuple[list[tuple[str, str, str]], list[str]]:
        """What a paint at the current size writes: ([(full text, text shown, its tooltip)],
        [texts it has no room for and leaves out]), so a layout check can see inside the
        chart. A value written past the right edge counts as left out."""
        b = self.bars
        if not len(b.values):
            return [], []
        plan, drawn, dropped = self._plan(), [], []
        for i, v in enumerate(b.values):
            tip = self.row_tooltip(i, plan)
            if b.labels:
                if plan.words:
                    shown = plan.metrics.elidedText(b.labels[i], Qt.ElideRight, plan.label_w)
                    drawn.append((b.labels[i], shown, tip))
                else:
                    dropped.append(b.labels[i])
            if plan.texts and plan.texts[i]:
                x = max(plan.zero + float(v) * plan.scale, plan.zero) + PAD / 2
                fits = x + plan.metrics.horizontalAdvance(plan.texts[i]) <= self.width() + 1
                if plan.words and fits:
                    drawn.append((plan.texts[i], plan.texts[i], tip))
                else:
                    dropped.append(b.texts[i])
        return drawn, dropped

    def paintEvent(self, event):
        b = self.bars
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(theme.PANEL))
        if len(b.values) == 0:
            p.end()
            return
        w, h = self.width(), self.height()
        plan = self._plan()
        row, metrics, texts, zero = plan.row, plan.metrics, plan.texts, plan.zero
        p.setFont(plan.font)
        bar_h = row * 0.66
        muted = QColor(theme.TEXT)
        for i, v in enumerate(b.values):
            mid = PAD + (i + 0.5) * row
            if plan.words and b.labels:
                p.setPen(muted)
                label = metrics.elidedText(b.labels[i], Qt.ElideRight, plan.label_w)
                p.drawText(
                    QRectF(PAD, mid - row / 2, plan.label_w, row),
                    Qt.AlignRight | Qt.AlignVCenter,
                    label,
                )
            end = zero + float(v) * plan.scale
            x0, x1 = min(zero, end), max(zero, end)
            p.fillRect(QRectF(x0, mid - bar_h / 2, x1 - x0, bar_h), QColor(b.colours[i]))
            if b.ghosts is not None and np.isfinite(b.ghosts[i]):
                g = zero + float(b.ghosts[i]) * plan.scale
                p.setPen(QPen(QColor(theme.TEXT), 1, Qt.DashLine))
                p.setBrush(Qt.NoBrush)
                p.drawRect(QRectF(min(zero, g), mid - bar_h / 2, abs(g - zero), bar_h))
                x1 = max(x1, g)  # the text goes after the outline too
            if plan.words and texts and texts[i]:
                p.setPen(QColor(b.text_colours[i] if b.text_colours else theme.MUTED))
                p.drawText(
                    QRectF(max(x1, zero) + PAD / 2, mid - row / 2, w, row),
                    Qt.AlignLeft | Qt.AlignVCenter,
                    texts[i],
                )
        bottom = h - PAD - self._note_height()
        left = plan.left
        p.setPen(QPen(QColor(theme.BORDER), 1))  # the axis between labels and bars
        p.drawLine(int(left - PAD / 2), PAD, int(left - PAD / 2), int(bottom))
        p.setPen(QPen(QColor(theme.MUTED), 1))
        p.drawLine(round(zero), PAD, round(zero), int(bottom))
        if b.note:
            p.setFont(self.font())
            p.drawText(
                QRectF(PAD, bottom, w - 2 * PAD, h - PAD - bottom),
                Qt.AlignLeft | Qt.AlignVCenter,
                QFontMetricsF(self.font()).elidedText(b.note, Qt.ElideRight, w - 2 * PAD),
            )
        p.end()


@dataclass
class _Plan:
    row: float  # pixels per row
    font: QFont
    metrics: QFontMetricsF
    label_w: float
    texts: list[str]  # the value texts used (full or short)
    left: float  # x where the bar area starts
    zero: float  # x of the value 0
    scale: float  # pixels per unit of value
    words: bool  # rows tall enough for labels and values


def _widest(metrics: QFontMetricsF, texts: list[str]) -> float:
    """Pixels the widest of `texts` takes in `metrics`' font."""
    return max((metrics.horizontalAdvance(t) for t in texts), default=0.0)
