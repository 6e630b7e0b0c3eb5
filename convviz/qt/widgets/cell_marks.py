"""The overlays a CellGrid draws over its cells each step: the window (dashed and hatched where
it hangs over the edge), the winning cell, the cell just written and marked cells. Kept apart
from cell_grid.py, which draws the cells themselves once per set of values."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPen, QRegion

WINDOW_COLOR = QColor(20, 20, 20)
WINNER_COLOR = QColor(0, 168, 84)
MARK_COLOR = QColor(200, 30, 45)
OUTLINE_BELOW_PX = 20  # cells smaller than this: marked cells get one outline around them all


class CellMarks:
    """Mixed into CellGrid: reads its _window, _winner, _current, _marked, _margin_zero and
    _cell_rect."""

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
                p.drawRect(
                    self._cell_rect(o, cell, int(r), int(c)).adjusted(
                        thick / 2, thick / 2, -thick / 2, -thick / 2
                    )
                )
        if self._winner is not None:
            p.setPen(QPen(WINNER_COLOR, thick))
            p.drawRect(
                self._cell_rect(o, cell, *self._winner).adjusted(
                    thick * 0.5, thick * 0.5, -thick * 0.5, -thick * 0.5
                )
            )
        for rect, dashed in self._window_rects(o, cell, rows, cols):
            if dashed:  # the part hanging over the edge: hatched, outlined in dashes
                p.save()
                p.setClipRegion(
                    QRegion(rect.toRect()).subtracted(
                        QRegion(QRectF(o.x(), o.y(), cols * cell, rows * cell).toRect())
                    )
                )
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
        top, left, kr, kc = self._window
        whole = self._cell_rect(o, cell, top, left, kr, kc)
        inside = (
            whole.intersected(QRectF(o.x(), o.y(), cols * cell, rows * cell))
            if not self._margin_zero
            else whole
        )
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
