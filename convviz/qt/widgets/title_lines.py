"""A painted title broken into lines that fit a width, instead of one line cut short with "…".

A Feature maps title is made of parts joined by three spaces (core/map_rows.py: the layer's name,
its sizes, what it did, then the panel's scale): "conv1   16 × 16 × 16   after convolution   scale
±2". In a narrow dock (1024x768 with several docks open) one line kept only "co…". Now a title
that does not fit takes two lines if they do (the name and sizes, then the words and scale);
else the lines break between parts (a part stays whole when it fits a line of its own), then
between the words of a part, then after the dots of a long name ("residual1." / "batchnorm1").
Only a piece wider than the whole width on its own is elided; `is_cut` says so (its painter then
gives the whole title in a tooltip).

RowTitles is what a widget painting such titles above its rows (widgets/mosaic_view.py) shares:
each row's title height, the titles as drawn for tests/layout_audit.py, and the tooltip.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPointF, QRectF, Qt
from PySide6.QtGui import QFontMetricsF
from PySide6.QtWidgets import QToolTip

PART_GAP = "   "  # between a title's parts, as core/map_rows.py writes them
ELLIPSIS = "…"


def title_lines(title: str, metrics: QFontMetricsF, width: float) -> list[str]:
    """`title` as lines no wider than `width` (each line's parts joined as in the title)."""
    if metrics.horizontalAdvance(title) <= width or width <= 0:
        return [title]
    parts = [p for p in title.split(PART_GAP) if p]
    # two lines if they do: what the row is (name, sizes), then what it did (words, scale)
    halves = [PART_GAP.join(parts[:2]), PART_GAP.join(parts[2:])]
    if len(parts) > 2 and all(metrics.horizontalAdvance(h) <= width for h in halves):
        return halves
    lines: list[str] = []

    def fits(text: str) -> bool:
        return metrics.horizontalAdvance(text) <= width

    def add(piece: str, gap: str) -> None:
        if lines and fits(lines[-1] + gap + piece):
            lines[-1] += gap + piece
        else:
            lines.append(piece if fits(piece) else metrics.elidedText(piece, Qt.ElideRight, width))

    for part in parts:
        if fits(part) or (lines and fits(lines[-1] + PART_GAP + part)):
            add(part, PART_GAP)
            continue
        for j, word in enumerate(part.split(" ")):
            gap = PART_GAP if j == 0 else " "
            if fits(word):
                add(word, gap)
                continue
            for k, piece in enumerate(_after_dots(word)):
                add(piece, gap if k == 0 else "")
    return lines


def _after_dots(word: str) -> list[str]:
    """ "residual1.batchnorm1" -> ["residual1.", "batchnorm1"]: a long name's own break points."""
    pieces = word.split(".")
    return [p + "." for p in pieces[:-1]] + pieces[-1:]


def is_cut(title: str, lines: list[str]) -> bool:
    """Some of `title` was elided to fit (not merely broken into lines)."""
    return any(ELLIPSIS in line for line in lines) and ELLIPSIS not in title


class RowTitles:
    """Mixed into a QWidget whose `layers` (by name) each have `title`, `lines` (title_lines'),
    `visible` and `rect` (the rows' picture, its title's lines right above it)."""

    layers: dict

    def _title_h(self, v) -> float:
        return QFontMetricsF(self.font()).height() * max(1, len(v.lines)) + 4

    def painted_texts(self) -> tuple[list[tuple[str, str, str]], list[str]]:
        """(title, as drawn, tooltip) of every shown row, and nothing left out: what
        tests/layout_audit.py checks. A title only broken into lines is drawn whole."""
        drawn = []
        for v in self.layers.values():
            if v.visible and v.rect is not None:
                cut = is_cut(v.title, list(v.lines))
                drawn.append((v.title, " ".join(v.lines) if cut else v.title, v.title))
        return drawn, []

    def title_at(self, pos: QPointF) -> str | None:
        """The whole title of the row whose title lines lie under `pos` (its tooltip)."""
        for v in self.layers.values():
            if v.visible and v.rect is not None:
                top = v.rect.top() - self._title_h(v)
                if QRectF(0, top, self.width(), v.rect.top() - top).contains(pos):
                    return v.title
        return None

    def event(self, event) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            title = self.title_at(QPointF(event.pos()))
            if title:
                QToolTip.showText(event.globalPos(), title, self)
            else:
                QToolTip.hideText()
            return True
        return super().event(event)
