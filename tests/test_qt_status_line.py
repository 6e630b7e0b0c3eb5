"""A message in the status bar (MainWindow.tell) is seen: it takes the place of the network's name
and classes while it shows, at a projector's width too."""

import pytest


@pytest.mark.parametrize("width, height", [(1024, 768), (1600, 1000)])
def test_a_message_has_room_and_the_network_comes_back_after_it(make_window, qtbot, width, height):
    w = make_window("shapes", restore=False)
    w.resize(width, height)
    line = w.status_line
    qtbot.waitUntil(lambda: line.model_label.isVisible() and line.classes_label.isVisible())
    text = "Saved /home/teacher/lessons/shapes-after-training.safetensors"
    w.statusBar().showMessage(text, 60_000)  # (long: a loaded machine must not clear it early)
    qtbot.wait(50)
    bar = w.statusBar()
    shown = [c for c in (line.device_label, line.update_label) if c.isVisible()]
    room = min((c.geometry().left() for c in shown), default=bar.width())
    assert room >= bar.fontMetrics().horizontalAdvance(text) + 8, (room, width)
    assert not line.model_label.isVisible() and not line.classes_label.isVisible()
    assert bar.toolTip() == text  # a message cut at its end is read whole by hovering
    bar.clearMessage()  # as its time running out does
    qtbot.waitUntil(lambda: line.classes_label.isVisible() and line.model_label.isVisible())
