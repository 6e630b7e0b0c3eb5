"""File > Open sound… in the window: greyed out (saying why) for a picture network, and for a
spectrogram network a WAV file, opened or dropped on the canvas, becomes the canvas's input
exactly as core/sound_input makes it.

Most tests give the window a square spectrogram network (on a 32x32 input, quicker); the last one
uses the bundled 32x48 `spectrogram` network.
"""

from pathlib import Path

import numpy as np
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from wav_files import write_wav

from convviz.core.network import build
from convviz.core.sound_input import load_sound_input
from convviz.core.sounds_data import SOUND_CLASSES, tone
from convviz.core.spec import Conv, Flatten, MaxPool, NetworkSpec, ReLU


def _square_sound_network():
    """A spectrogram network the window draws today: square input, square kernels."""
    spec = NetworkSpec(
        name="square sounds",
        input_shape=(32, 32),
        channels=1,
        value_range=(-1.0, 1.0),
        layers=(Conv(4, 3), ReLU(), MaxPool(2, 2), Flatten()),
        classes=SOUND_CLASSES,
        input_kind="spectrogram",
    )
    return build(spec, seed=1)


def _window(make_window):
    w = make_window("shapes", restore=False)
    w.errors = []
    w.show_error = w.errors.append  # no modal dialog in a test: the message is kept
    return w


def _wav(tmp_path, name="rising", rate=44100):
    x = tone(name, np.random.default_rng(SOUND_CLASSES.index(name)), sample_rate=rate)
    return write_wav(tmp_path / f"{name}.wav", np.stack([x, x], 1) / np.abs(x).max(), rate=rate)


def test_open_sound_is_greyed_out_with_the_reason_for_a_picture_network(make_window, tmp_path):
    w = _window(make_window)
    a = w.open_sound_action
    assert a.text() == "Open sound…" and a in w.menuBar().actions()[0].menu().actions()
    assert not a.isEnabled() and "'shapes' takes pictures" in a.toolTip()


def test_a_wav_opened_for_a_spectrogram_network_becomes_the_canvas_input(make_window, tmp_path):
    w = _window(make_window)
    assert w.session.set_model(_square_sound_network())
    assert w.open_sound_action.isEnabled() and "WAV" in w.open_sound_action.toolTip()
    path = _wav(tmp_path, "falling")
    w.open_sound(str(path))
    expected = load_sound_input(path, w.session.spec)[0]
    np.testing.assert_allclose(w.session.canvas.as_input(), expected, atol=1e-6)
    w.session.flush()  # the trace follows the canvas on a timer: now
    np.testing.assert_allclose(w.session.trace.input[0], expected, atol=1e-6)
    assert w.errors == []
    # a damaged file: one line in the dialog, the canvas as it was
    bad = tmp_path / "bad.wav"
    bad.write_bytes(path.read_bytes()[:100])
    w.open_sound(str(bad))
    assert len(w.errors) == 1 and "bad.wav" in w.errors[0] and "cut short" in w.errors[0]
    np.testing.assert_allclose(w.session.canvas.as_input(), expected, atol=1e-6)
    # back to a picture network: greyed out again
    w.session.load_preset("shapes", background=False)
    assert not w.open_sound_action.isEnabled()


def _drop(window, path) -> bool:
    """A drop of `path` on the canvas, as the window's drop filter sees it (Qt delivers a drop
    only during a real drag, which an offscreen test cannot make): True when it took it."""
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(
        QPointF(5, 5), Qt.CopyAction, data, Qt.LeftButton, Qt.NoModifier, QDropEvent.Drop
    )
    return window._sound_drops.eventFilter(window.canvas_panel.view, event)


def test_a_wav_dropped_on_the_canvas_is_opened_and_a_picture_left_to_the_canvas(
    make_window, tmp_path
):
    w = _window(make_window)
    assert w.session.set_model(_square_sound_network())
    path = _wav(tmp_path, "warbling", rate=16000)
    assert _drop(w, path)
    expected = load_sound_input(path, w.session.spec)[0]
    np.testing.assert_allclose(w.session.canvas.as_input(), expected, atol=1e-6)
    assert not _drop(w, tmp_path / "a.png")  # not a sound: the canvas's own drop takes it
    # a sound dropped on a picture network: one line, the drawing unchanged
    w.session.load_preset("shapes", background=False)
    before = w.session.canvas.as_input().copy()
    assert _drop(w, path) and len(w.errors) == 1
    assert "only a spectrogram network takes a sound" in w.errors[0]
    np.testing.assert_array_equal(w.session.canvas.as_input(), before)


def test_the_bundled_spectrogram_network_hears_a_wav_in_the_window(make_window, tmp_path):
    from convviz.core.weights import load_model

    w = _window(make_window)
    model, _ = load_model(Path(__file__).resolve().parents[1] / "resources/spectrogram.safetensors")
    assert w.session.set_model(model)
    assert w.session.canvas.as_input().shape[-2:] == (32, 48)
    w.open_sound(str(_wav(tmp_path, "steady")))
    assert w.errors == []
    w.session.flush()
    assert SOUND_CLASSES[w.session.trace.winner] == "steady"
