"""A small plot of an activation's curve f(x) over the values a layer received, painted with
QPainter: axes through 0, the curve, dashed lines at a squashing function's limits, and for leaky
ReLU its slope written beside the negative half."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from ...core.activations import apply
from ...core.layers import words
from ...core.numbers import deck_number
from .. import theme

SAMPLES = 161  # points along the curve: smooth at any width this plot gets
MARGIN = 8
LIMITS = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0)}  # dashed: where the curve flattens


class CurvePlot(QWidget):
    """`set_curve(kind, lo, hi, slope)`: f(x) for x in lo..hi (the before-map's range)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.kind = ""
        self.x = np.zeros(0)
        self.y = np.zeros(0)
        self.slope = 0.0
        self.note = ""  # the words painted on the plot (the slope, the limits)
        self._drawn: list[tuple[str, str, str]] = []
        font = QFont()
        font.setPointSize(max(7, theme.BASE_POINT_SIZE - 2))
        self.setFont(font)
        self.setMinimumSize(120, 0)  # never makes the dock (and the window) taller
        self.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Preferred)

    def sizeHint(self) -> QSize:
        return QSize(220, 130)

    def set_curve(self, kind: str, lo: float, hi: float, slope: float = 0.0) -> None:
        lo, hi = min(lo, 0.0), max(hi, 0.0)  # 0 always in sight: where the function bends
        if hi - lo < 1e-6:
            lo, hi = -1.0, 1.0
        pad = 0.05 * (hi - lo)
        self.kind, self.slope = kind, slope
        self.x = np.linspace(lo - pad, hi + pad, SAMPLES)
        self.y = apply(kind, self.x, slope)
        if kind == "leakyrelu":
            self.note = f"slope {deck_number(slope)} for x < 0"
        elif kind in LIMITS:
            a, b = LIMITS[kind]
            self.note = f"between {a:g} and {b:g}"
        else:
            self.note = "0 for x < 0"
        self.setToolTip(
            f"The layer's function over the values it received ({deck_number(lo)} to "
            f"{deck_number(hi)}): {self.note}"
        )
        self.update()

    def paintEvent(self, event):
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(theme.SURFACE))
        if not self.x.size:
            p.end()
            return
        m = QFontMetricsF(self.font())
        box = QRectF(
            MARGIN,
            MARGIN + m.height(),
            self.width() - 2 * MARGIN,
            self.height() - 2 * MARGIN - 2 * m.height(),
        )
        y_lo, y_hi = min(float(self.y.min()), 0.0), max(float(self.y.max()), 0.0)
        if self.kind in LIMITS:
            y_lo, y_hi = min(y_lo, LIMITS[self.kind][0]), max(y_hi, LIMITS[self.kind][1])
        if y_hi - y_lo < 1e-9:
            y_hi = y_lo + 1.0
        x_lo, x_hi = float(self.x[0]), float(self.x[-1])

        def at(x: float, y: float) -> QPointF:
            return QPointF(
                box.left() + (x - x_lo) / (x_hi - x_lo) * box.width(),
                box.bottom() - (y - y_lo) / (y_hi - y_lo) * box.height(),
            )

        p.setRenderHint(QPainter.Antialiasing, True)
        p.setPen(QPen(QColor(theme.MUTED), 1))  # the axes through 0
        p.drawLine(at(x_lo, 0), at(x_hi, 0))
        p.drawLine(at(0, y_lo), at(0, y_hi))
        if self.kind in LIMITS:
            p.setPen(QPen(QColor(theme.MUTED), 1, Qt.DashLine))
            for limit in LIMITS[self.kind]:
                if limit:
                    p.drawLine(at(x_lo, limit), at(x_hi, limit))
        path = QPainterPath(at(self.x[0], self.y[0]))
        for x, y in zip(self.x[1:], self.y[1:], strict=True):
            path.lineTo(at(x, y))
        p.setPen(QPen(QColor(theme.ACCENT), 2.5))
        p.drawPath(path)
        p.setPen(QColor(theme.TEXT))
        self._drawn = []
        for text, y in (
            (f"f(x) = {words(self.kind)[0]}", 2.0),
            (
                f"x from {deck_number(x_lo)} to {deck_number(x_hi)}  ·  {self.note}",
                self.height() - m.height() - 2,
            ),
        ):
            shown = m.elidedText(text, Qt.ElideRight, self.width() - 4)
            p.drawText(QRectF(0, y, self.width(), m.height()), Qt.AlignHCenter, shown)
            self._drawn.append((text, shown, self.toolTip()))
        p.end()

    def painted_texts(self):
        """(full, shown, tooltip) of each line painted, and the words left out (none): the
        layout checks read it (tests/layout_audit.py)."""
        return list(self._drawn), []
