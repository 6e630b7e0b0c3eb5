"""A word-wrapped text that changes a few times a second (training progress) cheaply.

A QLabel asks for a new layout on every setText: its parent's layout, the dock's and the main
window's all run again, and the label paints twice. While training that was the largest single
cost of a progress update (~2 ms of the window's thread). `LiveText` repaints only itself, and
asks for a new layout only when the text needs a different number of lines at its width.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import QSizePolicy, QWidget

FLAGS = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap


class LiveText(QWidget):
    """Shows `setText(text)`, wrapped at word boundaries; `text()` reads it back."""

    def __init__(self, text: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self._text = text
        # (not Fixed vertically: a layout caps a Fixed item at its size hint, whatever
        # heightForWidth says; a stretch-free item in a layout gets no more than it asks for)
        sp = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        sp.setHeightForWidth(True)
        self.setSizePolicy(sp)

    def text(self) -> str:
        return self._text

    def setText(self, text: str) -> None:  # noqa: N802 - QLabel's name, a drop-in
        if text == self._text:
            return
        height_before = self.heightForWidth(self.width())
        self._text = text
        if self.heightForWidth(self.width()) != height_before:
            self.updateGeometry()  # one line more or less: the panel lays out again
        self.update()

    def _bounds(self, width: int) -> QRect:
        fm = QFontMetrics(self.font())
        return fm.boundingRect(QRect(0, 0, max(width, 1), 100_000), FLAGS, self._text or " ")

    def hasHeightForWidth(self) -> bool:  # noqa: N802
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802
        return self._bounds(width).height()

    def sizeHint(self) -> QSize:  # noqa: N802
        # one line as wide as the text; the layout then asks heightForWidth for its width
        return QSize(min(self._bounds(100_000).width(), 400), self.heightForWidth(400))

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(40, QFontMetrics(self.font()).height())

    def paintEvent(self, event) -> None:  # noqa: N802
        p = QPainter(self)
        p.setPen(self.palette().color(QPalette.ColorRole.WindowText))
        p.drawText(self.rect(), FLAGS, self._text)
