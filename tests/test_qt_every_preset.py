"""Every preset opens in the window and draws: colour and rectangular networks included. A stroke
reaches the trace, and every panel follows it (and paints) without raising; alexnet (sizes only)
opens on the Architecture panel and says its weights are random."""

import numpy as np
import pytest

from convviz.core.presets import PRESETS, preset


def draw_across(canvas):
    canvas.brush.size = max(1.0, canvas.size / 8)
    canvas.begin_stroke(canvas.cols * 0.2, canvas.rows * 0.3)
    canvas.stroke_to(canvas.cols * 0.8, canvas.rows * 0.7)
    canvas.end_stroke()


@pytest.fixture(scope="module")
def names():
    return list(PRESETS)


def test_every_preset_opens_draws_and_every_panel_follows(qtbot, make_window, names):
    w = make_window("shapes", restore=False)
    said = []
    w.session.failed.connect(said.append)
    for name in names:
        w.choose_preset(name)
        s, spec = w.session, preset(name)
        assert s.spec == spec and s.model is not None, name
        c = s.canvas
        assert (c.rows, c.cols, c.channels) == (spec.rows, spec.cols, spec.channels), name
        draw_across(c)
        s.flush()
        assert s.trace.input.shape == (spec.channels, spec.rows, spec.cols), name
        assert s.trace.input.max() > s.trace.input.min(), name  # the stroke reached the network
        for key, dock in w.docks.items():  # each panel in front once, painted
            dock.show()
            dock.raise_()
            qtbot.wait(1)
            if key in w.panels:
                assert not w.panels[key].grab().isNull(), (name, key)
        assert not said, (name, said)
        assert w.preset_actions[name].isChecked(), name


def test_alexnet_opens_on_the_architecture_panel_saying_its_weights_are_random(make_window):
    w = make_window("xo", restore=False)
    w.choose_preset("alexnet")
    assert not w.docks["architecture"].visibleRegion().isEmpty()
    assert "random" in w.statusBar().currentMessage()
    assert w.session.canvas.shape == (227, 227) and w.session.canvas.channels == 3


def test_a_grayscale_network_after_a_colour_one_gets_its_drawing_back_as_ink(make_window):
    w = make_window("tinyvgg", restore=False)
    c = w.session.canvas
    c.colour = (1.0, 0.0, 0.0)
    draw_across(c)
    w.choose_preset("shapes")
    assert c.channels == 1 and c.shape == (28, 28) and c.ink.max() > 0.5
    assert np.isfinite(w.session.canvas.as_input()).all()


def test_a_status_message_about_the_last_network_goes_when_the_network_changes(make_window):
    w = make_window("shapes", restore=False)
    w.choose_preset("alexnet")
    assert "its weights are random" in w.statusBar().currentMessage()
    w.choose_preset("resnet")
    assert "random" not in w.statusBar().currentMessage()
