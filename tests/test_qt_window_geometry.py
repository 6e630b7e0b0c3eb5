"""The window reopens inside the screen it opens on (window_geometry.py): a geometry saved taller
than a 1024x768 projector (the reviewer's 865 px at y=25) comes back fitted, size and place."""

from __future__ import annotations

from PySide6.QtCore import QRect

from convviz.qt import window_geometry
from convviz.qt.docks import FRAME_ROOM
from convviz.qt.main_window import MainWindow
from convviz.qt.window_geometry import fitted

PROJECTOR = QRect(0, 0, 1024, 768)


def inside(rect: QRect, free: QRect) -> bool:
    return free.contains(rect) and rect.top() >= free.top() + FRAME_ROOM


def test_a_window_taller_than_the_screen_is_shrunk_and_moved_up():
    got = fitted(QRect(0, 25, 1024, 865), PROJECTOR)
    assert inside(got, PROJECTOR) and got.height() == 768 - FRAME_ROOM


def test_a_window_off_to_the_side_comes_back_whole_and_keeps_its_size():
    got = fitted(QRect(900, 600, 800, 500), PROJECTOR)
    assert inside(got, PROJECTOR) and (got.width(), got.height()) == (800, 500)
    second = QRect(1920, 0, 1920, 1050)  # a second screen to the right, its own origin
    got = fitted(QRect(-300, -40, 1600, 1000), second)
    assert inside(got, second) and (got.width(), got.height()) == (1600, 1000)


def test_a_window_that_fits_stays_where_it_was():
    assert fitted(QRect(40, 60, 800, 600), PROJECTOR) == QRect(40, 60, 800, 600)


def test_the_saved_layout_reopens_inside_a_small_screen(qtbot, monkeypatch):
    first = MainWindow(restore=False)
    qtbot.addWidget(first)
    first.setGeometry(0, 25, 1024, 865)  # what the reviewer's window had grown to
    first.save_settings()
    monkeypatch.setattr(window_geometry, "free_area", lambda _window, _at: PROJECTOR)
    again = MainWindow()
    qtbot.addWidget(again)
    again.persist = first.persist = False
    assert inside(again.geometry(), PROJECTOR), again.geometry()
