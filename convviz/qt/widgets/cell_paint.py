"""What a CellGrid paints inside its cells once per set of values: the zero-padding ring (a grey
hatch with its 0s), the grid lines, and each cell's number in a colour that reads on the cell.
Kept apart from cell_grid.py (the widget: sizes, values, title, the cached picture) as
cell_marks.py keeps the overlays drawn each step."""

from __future__ import annotations

from PySide6.QtCore import QLineF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPen

from .. import theme

PADDING_COLOR = QColor(205, 205, 205)
GRID_COLOR = QColor(165, 165, 165)
PADDING_HATCH = QColor(0, 0, 0, 30)
PADDING_TEXT = QColor(90, 90, 90)
LIGHT_TEXT = QColor(255, 255, 255)  # numbers on dark cells
DARK_TEXT = QColor(20, 20, 20)  # and on light ones
# the one colour pipeline: values -> 0..255 (cell_values.colour_indices) -> this theme LUT
CELL_LUT = theme.DECK_CELLS_LUT
CELL_LUMA = theme.luma(CELL_LUT)  # how bright each colour is: light or dark numbers on it


class CellPaint:
    """Mixed into CellGrid: reads its _values, _margin, _idx, _winner, texts() and
    _cell_rect."""

    def _paint_padding(self, p: QPainter, o, cell: float, full: QRectF, show_text: bool) -> None:
        """Zero padding: a grey hatched ring of zeros around the map."""
        rows, cols = self._values.shape
        mr, mc = self._margin
        p.fillRect(full, PADDING_COLOR)
        p.fillRect(full, QBrush(PADDING_HATCH, Qt.BrushStyle.BDiagPattern))
        if not show_text:
            return
        p.setPen(PADDING_TEXT)
        for r in range(-mr, rows + mr):
            for c in range(-mc, cols + mc):
                if 0 <= r < rows and 0 <= c < cols:
                    continue
                p.drawText(self._cell_rect(o, cell, r, c), Qt.AlignmentFlag.AlignCenter, "0")

    @staticmethod
    def _paint_grid_lines(p: QPainter, g: QRectF, cell: float) -> None:
        n_c, n_r = round(g.width() / cell), round(g.height() / cell)
        p.setPen(QPen(GRID_COLOR, 1))  # opaque: translucent lines cost 10x more to draw
        lines = [
            QLineF(g.left() + c * cell, g.top(), g.left() + c * cell, g.bottom())
            for c in range(n_c + 1)
        ]
        lines += [
            QLineF(g.left(), g.top() + r * cell, g.right(), g.top() + r * cell)
            for r in range(n_r + 1)
        ]
        p.drawLines(lines)

    def _paint_numbers(self, p: QPainter, o, cell: float, font: QFont) -> None:
        """Each cell's value, white on dark cells and dark on light ones; the winner bold."""
        bold = QFont(font)
        bold.setBold(True)
        idx, texts = self._idx, self.texts()
        rows, cols = self._values.shape
        shown = font
        for r in range(rows):
            for c in range(cols):
                text = texts[r][c]
                if not text:  # NaN: not filled in yet
                    continue
                want = bold if self._winner == (r, c) else font
                if want is not shown:  # (setFont per cell cost as much as the text)
                    p.setFont(want)
                    shown = want
                p.setPen(LIGHT_TEXT if CELL_LUMA[idx[r, c]] < 0.55 else DARK_TEXT)
                p.drawText(self._cell_rect(o, cell, r, c), Qt.AlignmentFlag.AlignCenter, text)
