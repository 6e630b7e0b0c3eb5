"""A layout that places widgets left to right and wraps onto new rows when the width runs out,
so the canvas toolbar fits a 1024-pixel projector as well as a wide monitor."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, QRect, QSize, Qt
from PySide6.QtWidgets import QLayout, QSizePolicy, QWidget


class FlowLayout(QLayout):
    def __init__(self, parent=None, spacing: int = 6):
        super().__init__(parent)
        self._items = []
        self.setSpacing(spacing)

    def addItem(self, item):
        self._items.append(item)

    def count(self):
        return len(self._items)

    def itemAt(self, i):
        return self._items[i] if 0 <= i < len(self._items) else None

    def takeAt(self, i):
        return self._items.pop(i) if 0 <= i < len(self._items) else None

    def expandingDirections(self):
        return Qt.Orientations(0)

    def hasHeightForWidth(self):
        return True

    def heightForWidth(self, width):
        return self._arrange(QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect):
        super().setGeometry(rect)
        self._arrange(rect, move=True)

    def sizeHint(self):
        return self.minimumSize()

    def minimumSize(self):
        size = QSize()
        for item in self._items:  # items are placed at their size hints, never squeezed
            size = size.expandedTo(item.sizeHint())
        m = self.contentsMargins()
        return size + QSize(m.left() + m.right(), m.top() + m.bottom())

    def _arrange(self, rect: QRect, move: bool) -> int:
        """Lay the items out in rows within `rect`; returns the height used."""
        m = self.contentsMargins()
        area = rect.adjusted(m.left(), m.top(), -m.right(), -m.bottom())
        x, y, row_h, gap = area.x(), area.y(), 0, self.spacing()
        for item in self._items:
            hint = item.sizeHint()
            if x > area.x() and x + hint.width() > area.right() + 1:
                x, y, row_h = area.x(), y + row_h + gap, 0  # wrap to a new row
            if move:
                item.setGeometry(QRect(QPoint(x, y), hint))
            x += hint.width() + gap * 3  # groups sit a little apart
            row_h = max(row_h, hint.height())
        return y + row_h - rect.y() + m.bottom()


class WrapRow(QWidget):
    """Widgets side by side while the width allows, else one under the other: a stepper's
    controls or a panel's drop-downs in a narrow dock (a 1024 px projector) stack instead of
    making the dock scroll sideways. Each widget keeps its whole minimum width either way.
    (It places its widgets itself: a box layout inside reported no height-for-width to the
    panel around it, which then gave the row no height at all.)"""

    def __init__(self, widgets, spacing: int = 12, parent=None):
        super().__init__(parent)
        self.parts = list(widgets)
        self.spacing = spacing
        for w in self.parts:
            w.setParent(self)
        policy = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)

    def shown(self) -> list[QWidget]:
        """The parts not hidden (a chooser hidden for the current method takes no room)."""
        return [w for w in self.parts if not w.isHidden()]

    def one_row_width(self) -> int:
        parts = self.shown()
        return sum(w.minimumSizeHint().width() for w in parts) + self.spacing * (len(parts) - 1)

    def _height(self, w: QWidget) -> int:
        return max(w.minimumSizeHint().height(), w.sizeHint().height())

    def stacked(self, width: int) -> bool:
        return width < self.one_row_width()

    def hasHeightForWidth(self) -> bool:  # Qt's name
        return True

    def heightForWidth(self, width: int) -> int:
        hs = [self._height(w) for w in self.shown()]
        if self.stacked(width):
            return sum(hs) + self.spacing // 2 * (len(hs) - 1)
        return max(hs, default=0)

    def minimumSizeHint(self) -> QSize:  # the widest part; stacked height
        return QSize(
            max((w.minimumSizeHint().width() for w in self.shown()), default=0),
            self.heightForWidth(0),
        )

    def sizeHint(self) -> QSize:  # one row
        parts = self.shown()
        width = sum(w.sizeHint().width() for w in parts) + self.spacing * (len(parts) - 1)
        return QSize(width, self.heightForWidth(max(width, self.one_row_width())))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.place()

    def place(self) -> None:
        width = self.width()
        if self.stacked(width):
            y = 0
            for w in self.shown():
                h = self._height(w)
                w.setGeometry(0, y, min(width, w.maximumWidth()), h)
                y += h + self.spacing // 2
            return
        parts = self.shown()
        extra = (width - self.one_row_width()) / max(len(parts), 1)
        x, row_h = 0, self.heightForWidth(width)
        for w in parts:
            wide = int(min(w.maximumWidth(), w.minimumSizeHint().width() + extra))
            w.setGeometry(x, (row_h - self._height(w)) // 2, wide, self._height(w))
            x += wide + self.spacing

    def event(self, event) -> bool:
        if event.type() == QEvent.Type.LayoutRequest:  # a part's minimum changed
            self.updateGeometry()
            self.place()
        return super().event(event)
