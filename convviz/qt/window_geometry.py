"""The window's remembered place on the screen, fitted to the screen it reopens on.

A window saved on a big screen (or one that grew past a small one: docks' minimum sizes) came
back running past the bottom of a 1024x768 projector, its status bar out of sight. On restore
the saved geometry is always fitted into the screen's free area, size first, then position.
"""

from __future__ import annotations

from PySide6.QtCore import QRect
from PySide6.QtGui import QGuiApplication

from .docks import FRAME_ROOM


def free_area(window, at: QRect) -> QRect | None:
    """The free area (less panels and docks of the desktop) of the screen showing `at`'s
    centre, or the window's own; None on the offscreen platform, whose pretend 800x800 screen
    nobody looks at (tests and screenshots set their own sizes)."""
    if QGuiApplication.platformName() == "offscreen":
        return None
    screen = QGuiApplication.screenAt(at.center()) or window.screen()
    return screen.availableGeometry() if screen is not None else None


def fitted(geometry: QRect, free: QRect, frame_room: int = FRAME_ROOM) -> QRect:
    """`geometry` (the window's inside, as QWidget.geometry) made no larger than `free` less
    the title bar's room above it, then moved, as little as needed, to lie inside it."""
    width = min(geometry.width(), free.width())
    height = min(geometry.height(), free.height() - frame_room)
    x = max(free.left(), min(geometry.x(), free.left() + free.width() - width))
    top = free.top() + frame_room
    y = max(top, min(geometry.y(), free.top() + free.height() - height))
    return QRect(x, y, width, height)


def fit_restored(window) -> None:
    """After restoreGeometry: the window inside its screen's free area (a maximised or
    full-screen window is the window manager's to place)."""
    if window.isMaximized() or window.isFullScreen():
        return
    free = free_area(window, window.geometry())
    if free is not None and not free.isEmpty():
        geometry = fitted(window.geometry(), free)
        if geometry != window.geometry():
            window.setGeometry(geometry)
