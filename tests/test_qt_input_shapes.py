"""The window draws 1-channel (grayscale) and 3-channel (colour) pictures of any (rows, cols): a
network taking another number of channels is refused with one line before anything changes; a
rectangular colour one is taken and the canvas follows its input."""

import pytest
from reference import rect_spec

from convviz.core.network import build
from convviz.core.spec import Conv, Flatten, NetworkSpec
from convviz.qt.session import Session


@pytest.mark.parametrize("channels", [2, 4])
def test_a_network_the_canvas_cannot_draw_is_refused_untouched(qtbot, channels):
    session = Session("xo")
    before = session.spec
    said = []
    session.failed.connect(said.append)
    spec = NetworkSpec("other", (8, 12), channels, (-1.0, 1.0), (Conv(2, 3), Flatten()), ("a", "b"))
    assert session.set_model(build(spec)) is False
    assert len(said) == 1 and f"{channels}-channel" in said[0] and "\n" not in said[0]
    assert session.spec == before and session.model is None


def test_a_rectangular_colour_network_is_drawn_on_a_canvas_of_its_shape(qtbot):
    session = Session("xo")
    said = []
    session.failed.connect(said.append)
    assert session.set_model(build(rect_spec(3)))
    c = session.canvas
    assert (c.rows, c.cols, c.channels) == (11, 16, 3) and not said
    session.flush()
    assert session.trace.input.shape == (3, 11, 16)
