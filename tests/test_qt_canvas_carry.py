"""Switching networks in the window: a drawing is carried to a network that reads the same kind
of input (crisp, core/canvas_model.resize), never to one that reads another (a sound's picture
read as a drawing got "plus (100% sure)"): the canvas starts blank and the status bar says why."""

import numpy as np

from convviz.qt.panels.votes.panel import NOTHING_DRAWN


def _draw_bands(w) -> np.ndarray:
    c = w.session.canvas
    ink = np.zeros(c.shape, np.float32)
    ink[4:8, :] = ink[20:22, 3:] = 1  # bands across, as a steady sound draws
    c.set_ink(ink)
    w.session.flush()
    return ink


def test_a_sound_picture_is_not_carried_to_a_drawing_network_and_the_window_says_so(make_window):
    w = make_window("spectrogram", restore=False)
    bands = _draw_bands(w)
    assert w.panels["votes"].verdict.text() != NOTHING_DRAWN
    w.choose_preset("shapes")
    w.session.flush()
    c, bar = w.session.canvas, w.statusBar()
    assert c.shape == (28, 28) and not c.ink.any() and not c.can_undo
    assert not w.canvas_panel.actions["undo"].isEnabled()
    assert bar.currentMessage() == (
        "The sound's picture was not carried over: this network reads drawings "
        "(switching back brings it)"
    )
    assert w.panels["votes"].verdict.text() == NOTHING_DRAWN  # not "plus (100% sure)"
    w.choose_preset("spectrogram")
    np.testing.assert_array_equal(c.ink, bands)  # back with its own network
    assert bar.currentMessage() == (
        "The drawing was not carried over: this network reads pictures of sounds; "
        "your earlier sound's picture is back"
    )


def test_a_drawing_is_still_carried_between_drawing_networks(make_window):
    w = make_window("shapes", restore=False)
    c = w.session.canvas
    ink = np.zeros((28, 28), np.float32)
    ink[6:22, 13:15] = ink[13:15, 6:22] = 1  # a plus
    c.set_ink(ink)
    w.choose_preset("tinyvgg")
    assert c.pixels.shape == (3, 64, 64) and c.ink.any() and c.can_undo
    assert "not carried" not in w.statusBar().currentMessage()
    w.choose_preset("shapes")
    np.testing.assert_array_equal(c.ink, ink)  # crisp both ways
