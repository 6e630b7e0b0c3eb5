"""The ReLU view: before/after of one map, the negative cells marked."""

import numpy as np
import pytest
from test_stepper import DECK_X, drawings

from convviz.core.network import build
from convviz.core.presets import preset
from convviz.qt.panels.relu import ReluView


def test_before_after_and_marks_follow_the_trace(qtbot):
    net = build(preset("shapes"), seed=0)
    view = ReluView()
    qtbot.addWidget(view)
    view.set_model(net.spec, net.snapshot())
    assert view.layer_combo.count() == 2  # relu3 after the fully connected layer is flat
    for image in drawings(net.spec, 2, 4):
        trace = net.trace(image)
        view.show_trace(trace)
        for name, m in (("relu1", 0), ("relu2", 15)):
            view.select(name, m)
            index = [lt.name for lt in trace.layers].index(name)
            before = trace.input_of(index)[m]
            assert view.before_grid.values == pytest.approx(before)
            assert view.after_grid.values == pytest.approx(np.maximum(before, 0))
            assert (view.before_grid._marked == (before < 0)).all()
            assert (view.after_grid._marked == (before < 0)).all()
            assert f"<b>{int((before < 0).sum())}</b> of {before.size}" in view.caption.text()


def test_the_deck_crossing_map(qtbot):
    net = build(preset("xo"))
    view = ReluView()
    qtbot.addWidget(view)
    view.set_model(net.spec, net.snapshot())
    assert "Draw" in view.notice.text()
    view.show_trace(net.trace(DECK_X))
    view.select("relu1", 1)
    assert view.after_grid.texts()[3][3] == "1.00" and view.after_grid.texts()[0][1] == "0.00"
    assert view.before_grid.texts()[0][1] == "-0.55"
    with pytest.raises(ValueError, match="relu7"):
        view.select("relu7")
