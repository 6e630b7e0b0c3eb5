"""Opening a file the app refuses says so in one line that names the file once: the readers'
messages start with the path, which the window used to repeat after the name ("could not open
trunc.onnx: /tmp/.../trunc.onnx: not an ONNX file")."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMessageBox

from convviz.qt.window_files import could_not_open

WAIT = 60_000


@pytest.fixture
def no_dialogs(monkeypatch):
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *args: shown.append(args[2]))
    return shown


def test_the_name_is_said_once_whatever_the_reader_put_first():
    path = "/tmp/review/cli/trunc.onnx"
    assert could_not_open(path, f"{path}: not an ONNX file") == (
        "could not open trunc.onnx: not an ONNX file"
    )
    assert could_not_open(path, "trunc.onnx: cut short") == "could not open trunc.onnx: cut short"
    assert could_not_open(path, "it is cut short") == "could not open trunc.onnx: it is cut short"


@pytest.mark.parametrize(
    "preset_name, opener, name, content",
    [
        ("shapes", "open_weights", "trunc.safetensors", b"\x10\x00\x00"),
        ("shapes", "open_model", "trunc.onnx", b"\x08\x07garbage"),
        ("shapes", "open_image", "broken.png", b"\x89PNG\r\n\x1a\nnot really"),
        ("spectrogram", "open_sound", "notsound.wav", b"not a wav file at all"),
    ],
)
def test_a_refused_file_is_named_once(
    qtbot, make_window, tmp_path, no_dialogs, preset_name, opener, name, content
):
    w = make_window(preset_name)
    path = tmp_path / name
    path.write_bytes(content)
    getattr(w, opener)(str(path))
    qtbot.waitUntil(lambda: bool(no_dialogs), timeout=WAIT)
    (said,) = no_dialogs
    assert said.startswith(f"could not open {name}: ")
    assert said.count(name) == 1 and str(tmp_path) not in said, said


def test_export_says_when_it_writes_the_training_timeline_beside_the_weights(
    qtbot, make_window, tmp_path, monkeypatch
):
    from PySide6.QtWidgets import QFileDialog

    from convviz.core.timeline import Moment, Timeline
    from convviz.core.timeline_file import companion

    w = make_window("shapes")
    s = w.session
    out = tmp_path / "gui.safetensors"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))
    w.export_weights()  # no timeline: one file, and the line names it
    qtbot.waitUntil(lambda: w.statusBar().currentMessage().startswith("Saved"), timeout=WAIT)
    assert w.statusBar().currentMessage() == f"Saved {out}" and not companion(out).exists()

    timeline = Timeline()
    timeline.add(Moment(s.snapshot, 0, 0))
    timeline.add(Moment(s.snapshot, 1, 4, end=True))
    s.set_timeline(timeline)
    w.statusBar().clearMessage()
    w.export_weights()
    qtbot.waitUntil(lambda: w.statusBar().currentMessage().startswith("Saved"), timeout=WAIT)
    said = w.statusBar().currentMessage()
    assert companion(out).exists()
    assert said.startswith(f"Saved {out} and its training timeline") and (
        f"{companion(out).name} (" in said and " MB)" in said
    ), said
