"""The window draws square, 1-channel pictures so far: another network is refused with one line
before anything changes (rectangular and colour canvases come with issue 14)."""

import pytest

from convviz.core.network import build
from convviz.core.spec import Conv, Flatten, NetworkSpec
from convviz.qt.session import Session


@pytest.mark.parametrize("shape, channels, words", [((8, 12), 1, "8x12"), ((9, 9), 3, "3-channel")])
def test_a_network_the_canvas_cannot_draw_is_refused_untouched(qtbot, shape, channels, words):
    session = Session("xo")
    before = session.spec
    said = []
    session.failed.connect(said.append)
    spec = NetworkSpec("other", shape, channels, (-1.0, 1.0), (Conv(2, 3), Flatten()), ("a", "b"))
    assert session.set_model(build(spec)) is False
    assert len(said) == 1 and words in said[0]
    assert session.spec == before and session.model is None
