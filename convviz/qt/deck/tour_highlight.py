"""The tour's highlight: an accent frame drawn over the panel a step talks about (or a menu's
title); it flashes when the step opens, then stays, and follows the panel as it moves."""

from __future__ import annotations

import math

from PySide6.QtCore import QEvent, QRect, Qt, QTimer
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QWidget

from .. import theme

FLASH_MS, FLASH_TICK_MS = 1600, 40  # the frame pulses this long after a step opens
FRAME_PX = 5


class Highlight(QWidget):
    """A frame around a rectangle of the main window, drawn above the docks, never in the way
    of the mouse."""

    def __init__(self, window: QWidget):
        super().__init__(window)
        self.setAttribute(Qt.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WA_NoSystemBackground)
        self.target: QWidget | None = None
        self.menu_rect: QRect | None = None  # for a menu title: a rectangle, not a widget
        self.strength = 1.0
        self.stopped = False
        self._flash_left = 0
        self._timer = QTimer(self)
        self._timer.setInterval(FLASH_TICK_MS)
        self._timer.timeout.connect(self._tick)
        window.installEventFilter(self)
        self.hide()

    def point_at(self, target: QWidget | None, menu_rect: QRect | None = None) -> None:
        if self.target is not None:
            self.target.removeEventFilter(self)
        self.target, self.menu_rect = target, menu_rect
        if target is not None:
            target.installEventFilter(self)
        self.follow()
        self._flash_left = FLASH_MS
        self._timer.start()

    def target_rect(self) -> QRect | None:
        """The highlighted area in the window's coordinates (None: nothing visible to frame)."""
        window = self.parentWidget()
        if self.menu_rect is not None:
            return self.menu_rect
        t = self.target
        if t is None or not t.isVisible() or t.isWindow():  # a floating dock: out of reach
            return None
        return QRect(t.mapTo(window, t.rect().topLeft()), t.size())

    def stop(self) -> None:
        """Hide for good: a move or resize after the tour must not bring the frame back."""
        self.stopped = True
        self._timer.stop()
        if self.target is not None:
            self.target.removeEventFilter(self)
        self.parentWidget().removeEventFilter(self)
        self.hide()

    def follow(self) -> None:
        rect = self.target_rect()
        if rect is None or self.stopped:
            self.hide()
            return
        # (within the window: a frame round the menu bar's Train title reached above it)
        self.setGeometry(rect.adjusted(-2, -2, 2, 2).intersected(self.parentWidget().rect()))
        self.show()
        self.raise_()

    def eventFilter(self, obj, event):  # Qt's name
        if event.type() in (QEvent.Move, QEvent.Resize, QEvent.Show, QEvent.Hide):
            QTimer.singleShot(0, self.follow)  # after the layout has settled
        return False

    def _tick(self) -> None:
        self._flash_left -= FLASH_TICK_MS
        if self._flash_left <= 0:
            self._timer.stop()
            self.strength = 1.0
        else:  # three pulses, fading between bright and half
            phase = (FLASH_MS - self._flash_left) / FLASH_MS * 3 * 2 * math.pi
            self.strength = 0.55 + 0.45 * math.cos(phase)
        self.update()

    def paintEvent(self, event):
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing)
        colour = QColor(theme.ACCENT)
        colour.setAlphaF(self.strength)
        p.setPen(QPen(colour, FRAME_PX))
        p.setBrush(Qt.NoBrush)
        half = FRAME_PX / 2
        p.drawRoundedRect(self.rect().toRectF().adjusted(half, half, -half, -half), 6, 6)
