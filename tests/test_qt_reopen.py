"""The network from last time comes back at the next start (window_reopen.py): a weights file or
an imported model, read through the same checked opener as File > Open; a file that is gone or
refused gives the remembered preset's network and one line in the status bar, never a dialog; a
preset named at launch wins."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMessageBox

from convviz.core.network import build
from convviz.core.presets import DEFAULT_PRESET, preset
from convviz.core.weights import save_model
from convviz.qt import session as session_module
from convviz.qt import settings
from convviz.qt.main_window import MainWindow
from convviz.qt.session import Session
from convviz.qt.window_reopen import remembered_network


def digits_file(path):
    """A 10-class network named "digits" (no preset has that name), saved to `path`."""
    digits = preset("shapes").with_classes([str(i) for i in range(10)])
    save_model(build(type(digits)(**{**digits.__dict__, "name": "digits"})), path)
    return path


@pytest.fixture
def no_dialogs(monkeypatch):
    """Every warning dialog the window would show, recorded instead of shown."""
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *args: shown.append(args[2]))
    return shown


@pytest.fixture
def relaunch(qtbot):
    """relaunch(preset=None) -> a new window reading the (isolated) settings, as the app starts
    one: built, shown, then started (networks built in place)."""

    def make(preset=None):
        w = MainWindow(preset=preset)
        qtbot.addWidget(w)
        w.show()
        w.start(background=False)
        w.persist = False
        return w

    return make


def test_weights_opened_from_the_file_menu_come_back_at_the_next_start(
    qtbot, make_window, relaunch, tmp_path, monkeypatch
):
    path = digits_file(tmp_path / "digits.safetensors")
    w = make_window("xo")
    w.open_weights(str(path))
    assert w.session.spec.name == "digits"
    w.persist = True
    w.close()
    built = []  # the remembered file is read directly: no preset's network is built first
    monkeypatch.setattr(session_module, "load_preset_model", built.append)
    again = relaunch()
    assert again.session.spec.name == "digits" and again.session.source == str(path)
    assert again.windowTitle() == "convviz — digits"
    assert built == []
    # a preset chosen from the menu is what the start after that opens
    monkeypatch.undo()
    again.choose_preset("lenet5")
    assert remembered_network() is None
    assert relaunch().session.spec.name == "lenet5"


def test_an_imported_model_comes_back_with_the_answers_given(
    qtbot, make_window, relaunch, tmp_path, monkeypatch
):
    from tests.test_qt_import_window import answering, torch_onnx

    path = torch_onnx(tmp_path / "small.onnx")
    w = make_window()

    def answer(d):
        d.choose_range("-1..1")
        d.classes_edit.setText("up, down, left, right")

    answering(w, monkeypatch, answer)
    w.open_model(str(path))
    assert w.session.spec.classes == ("up", "down", "left", "right")
    w.persist = True
    w.close()
    asked = []
    monkeypatch.setattr(MainWindow, "answer_import", lambda self, d: asked.append(d))
    again = relaunch()
    s = again.session
    assert s.spec.classes == ("up", "down", "left", "right") and s.spec.value_range == (-1, 1)
    assert asked == [] and s.summary == {"imported_from": str(path)}
    assert "small.onnx" in again.statusBar().currentMessage()


def test_a_file_that_is_gone_opens_the_default_network_and_says_so(
    qtbot, relaunch, tmp_path, no_dialogs
):
    gone = tmp_path / "lesson.safetensors"
    settings.app_settings().setValue(settings.WEIGHTS, str(gone))
    w = relaunch()
    assert w.session.spec.name == DEFAULT_PRESET and w.session.ready
    message = w.statusBar().currentMessage()
    assert "lesson.safetensors" in message and "gone" in message and DEFAULT_PRESET in message
    assert "\n" not in message and no_dialogs == []
    assert remembered_network() is None  # forgotten: not said again at every start
    # and it can be read: the class names, device and update time step aside while it shows
    w.resize(1024, 768)
    qtbot.wait(20)
    bar, line = w.statusBar(), w.status_line
    assert not line.classes_label.isVisible() and not line.device_label.isVisible()
    room = bar.width() - line.model_label.width()
    assert room > bar.fontMetrics().horizontalAdvance(message) and bar.toolTip() == message
    bar.clearMessage()
    assert line.classes_label.isVisible() and line.device_label.isVisible()


def test_a_remembered_file_damaged_since_is_refused_in_one_line(
    qtbot, relaunch, tmp_path, no_dialogs
):
    path = digits_file(tmp_path / "lesson.safetensors")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # truncated: the header says more than is there
    settings.app_settings().setValue(settings.WEIGHTS, str(path))
    settings.app_settings().setValue(settings.PRESET, "lenet5")
    w = relaunch()
    assert w.session.spec.name == "lenet5" and w.session.ready  # the remembered preset
    message = w.statusBar().currentMessage()
    assert message.startswith("Could not reopen lesson.safetensors (")
    assert message.endswith("): opened the lenet5 network") and "\n" not in message
    assert no_dialogs == [] and remembered_network() is None


def test_damaged_import_answers_are_refused_in_one_line(qtbot, relaunch, tmp_path, no_dialogs):
    from tests.test_qt_import_window import torch_onnx

    path = str(torch_onnx(tmp_path / "small.onnx"))
    store = settings.app_settings()
    store.setValue(settings.WEIGHTS, path)
    store.setValue(settings.IMPORT_ANSWERS, f'{path}\n{{"value_range": "all of them"}}')
    w = relaunch()
    assert w.session.spec.name == DEFAULT_PRESET and w.session.ready
    assert "import answers are damaged" in w.statusBar().currentMessage()
    assert no_dialogs == [] and remembered_network() is None


def test_a_network_the_window_cannot_draw_is_said_in_the_status_bar(
    qtbot, relaunch, tmp_path, no_dialogs
):
    two = preset("shapes")
    two = type(two)(**{**two.__dict__, "channels": 2, "name": "two"})
    path = tmp_path / "two.safetensors"
    save_model(build(two), path)
    settings.app_settings().setValue(settings.WEIGHTS, str(path))
    w = relaunch()
    assert w.session.spec.name == DEFAULT_PRESET and w.session.ready
    message = w.statusBar().currentMessage()
    assert "two.safetensors" in message and "2-channel" in message
    assert no_dialogs == []


def test_a_preset_named_at_launch_wins_over_the_remembered_file(qtbot, relaunch, tmp_path):
    path = digits_file(tmp_path / "digits.safetensors")
    settings.app_settings().setValue(settings.WEIGHTS, str(path))
    w = relaunch(preset="xo")
    assert w.session.spec.name == "xo" and w.session.source == "xo"
    assert remembered_network() is None  # and the next start opens xo too
    w.persist = True
    w.close()
    assert relaunch().session.spec.name == "xo"


def test_a_session_given_to_the_window_still_reopens_the_remembered_file(qtbot, tmp_path):
    path = digits_file(tmp_path / "digits.safetensors")
    settings.app_settings().setValue(settings.WEIGHTS, str(path))
    w = MainWindow(Session("shapes"))
    qtbot.addWidget(w)
    w.persist = False
    w.show()
    w.start(background=True)  # as the app does: in a background job
    qtbot.waitUntil(lambda: w.session.spec.name == "digits", timeout=20_000)
    assert w.session.ready
