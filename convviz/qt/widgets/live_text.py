"""A word-wrapped label whose text changes many times a second, cheaply.

A QLabel asks for a new layout on every setText: its parent's layout, the dock's and the main
window's all run again, and the label then paints a second time. For text that follows every
frame (the verdict while someone draws, the progress line while training) that was the largest
single cost of an update: ~2 ms of the window's thread each time.

`LiveText` is a QLabel (so style sheets, fonts and text colours apply as to any label) that
keeps and paints its text itself: a new text repaints only the label, and asks for a new layout
only when it needs a different height at the label's width. Plain text or simple rich text
(`<b>`...), chosen per text as QLabel does. Right-click copies the text (it cannot be selected).
Not supported, as nothing here needs them: frames, style-sheet backgrounds and borders,
margin/indent, and horizontal alignment of rich text (always left).
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QFontMetrics,
    QPainter,
    QPalette,
    QTextDocument,
)
from PySide6.QtGui import Qt as GuiQt  # QtGui's Qt namespace has mightBeRichText
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


class LiveText(QLabel):
    """Shows `setText(text)` wrapped at word boundaries; `text()` reads it back."""

    def __init__(self, text: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self._text = ""
        self._doc: QTextDocument | None = None  # laid-out rich text, None for plain text
        # (not Fixed vertically: a layout caps a Fixed item at its size hint, whatever
        # heightForWidth says; a stretch-free item in a layout gets no more than it asks for)
        sp = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        sp.setHeightForWidth(True)
        self.setSizePolicy(sp)
        self.setText(text)

    def text(self) -> str:
        return self._text

    def setText(self, text: str) -> None:  # QLabel's name: a drop-in
        if text == self._text:
            return
        height_before = self.heightForWidth(self.width())
        self._text = text
        self._doc = _document(text)
        self.setAccessibleName(self.plain_text())
        if self.heightForWidth(self.width()) != height_before:
            self.updateGeometry()  # a line more or fewer: the panel lays out again
        self.update()

    def height_for(self, text: str, width: int) -> int:
        """The height `text` would need at `width` (e.g. to fix the height for the longest of
        the texts a label will show)."""
        mw, mh = self._margins()
        return self._text_height(text, _document(text), width - mw) + mh

    # ---- size ------------------------------------------------------------------------------
    def _flags(self) -> int:
        return int(self.alignment().value) | int(Qt.TextFlag.TextWordWrap.value)

    def _text_height(self, text: str, doc: QTextDocument | None, width: int) -> int:
        width = max(width, 1)
        if doc is not None:
            font = self.font()
            if doc.defaultFont() != font:
                doc.setDefaultFont(font)
            if doc.textWidth() != width:  # a new width lays the document out again
                doc.setTextWidth(width)
            return int(doc.size().height() + 0.999)
        fm = QFontMetrics(self.font())
        return fm.boundingRect(QRect(0, 0, width, 1_000_000), self._flags(), text or " ").height()

    def _margins(self) -> tuple[int, int]:
        m = self.contentsMargins()
        return m.left() + m.right(), m.top() + m.bottom()

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        mw, mh = self._margins()
        return self._text_height(self._text, self._doc, width - mw) + mh

    def sizeHint(self) -> QSize:
        # as wide as one line of the text (up to 400 px); the layout asks heightForWidth next
        fm = QFontMetrics(self.font())
        mw, _ = self._margins()
        width = (
            min(fm.horizontalAdvance(self._doc.toPlainText() if self._doc else self._text), 400)
            + mw
        )
        return QSize(width, self.heightForWidth(width))

    def minimumSizeHint(self) -> QSize:
        mw, mh = self._margins()
        return QSize(40 + mw, QFontMetrics(self.font()).height() + mh)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        # the layout keeps heights it was told for other widths; a text that kept its height
        # at the old width may need more at this one
        if self.minimumHeight() != self.maximumHeight() and self.height() < self.heightForWidth(
            self.width()
        ):
            self.updateGeometry()

    def contextMenuEvent(self, event) -> None:
        from PySide6.QtWidgets import QMenu

        menu = QMenu(self)
        menu.addAction("Copy", self.copy)
        menu.exec(event.globalPos())

    def copy(self) -> None:
        """The text, as plain text, to the clipboard (e.g. an error message to look up)."""
        from PySide6.QtGui import QGuiApplication

        QGuiApplication.clipboard().setText(self.plain_text())

    def plain_text(self) -> str:
        return self._doc.toPlainText() if self._doc is not None else self._text

    # ---- drawing ---------------------------------------------------------------------------
    def paintEvent(self, event) -> None:
        p = QPainter(self)
        r = self.contentsRect()
        colour = self.palette().color(self.foregroundRole())
        if self._doc is None:
            p.setPen(colour)
            p.drawText(r, self._flags(), self._text)
            return
        height = self._text_height(self._text, self._doc, r.width())
        top = r.top()
        if self.alignment() & Qt.AlignmentFlag.AlignVCenter:
            top += (r.height() - height) // 2
        elif self.alignment() & Qt.AlignmentFlag.AlignBottom:
            top += r.height() - height
        p.translate(r.left(), top)
        ctx = QAbstractTextDocumentLayout.PaintContext()
        ctx.palette.setColor(QPalette.ColorRole.Text, colour)
        self._doc.documentLayout().draw(p, ctx)


def _document(text: str) -> QTextDocument | None:
    """Rich text laid out by a QTextDocument (as QLabel decides it); None for plain text."""
    if not GuiQt.mightBeRichText(text):
        return None
    doc = QTextDocument()
    doc.setDocumentMargin(0)
    doc.setHtml(text)
    return doc


class ElidedLabel(QLabel):
    """One line of plain text that, when the label is narrower than its text, ends in "…"
    and says the whole text in its tooltip (a QLabel cuts it mid-word with no sign)."""

    def __init__(self, text: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setText(text)

    def setText(self, text: str) -> None:  # QLabel's name: a drop-in
        super().setText(text)
        self._retip()

    def displayed_text(self) -> str:
        """The text as painted: whole, or cut with "…" to the label's width."""
        return self.fontMetrics().elidedText(
            self.text(), Qt.TextElideMode.ElideRight, max(0, self.contentsRect().width())
        )

    def _retip(self) -> None:
        self.setToolTip(self.text() if self.displayed_text() != self.text() else "")

    def minimumSizeHint(self) -> QSize:  # a few letters and the "…"
        fm = QFontMetrics(self.font())
        m = self.contentsMargins()
        return QSize(
            min(fm.horizontalAdvance(self.text()), fm.horizontalAdvance("Classes…"))
            + m.left()
            + m.right(),
            super().minimumSizeHint().height(),
        )

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._retip()

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.setPen(self.palette().color(self.foregroundRole()))
        p.drawText(
            self.contentsRect(),
            int(self.alignment().value) | int(Qt.AlignmentFlag.AlignVCenter.value),
            self.displayed_text(),
        )
