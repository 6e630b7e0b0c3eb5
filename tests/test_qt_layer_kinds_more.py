"""The window with a network of each new kind (average pooling, batch normalisation, leaky ReLU,
sigmoid, tanh, dropout): it opens, the Feature maps panel shows the kind's maps under its own
words with the trace's values, and the steppers stay whole. The pooling stepper steps max
and average pooling: it lists both kinds."""

import numpy as np
from test_layer_kinds_more import NETWORKS, network, with_running_stats

from convviz.core.layers import AvgPool, words
from convviz.core.network import build
from convviz.core.spec import Conv, Flatten, MaxPool, NetworkSpec, ReLU


def _open(qtbot, w, model):
    assert w.session.set_model(model, source="a test") is True
    qtbot.waitUntil(
        lambda: w.session.trace is not None and w.session.trace.made_by(model.spec), timeout=10_000
    )
    return w.session.trace


def test_each_new_kind_shows_its_maps_under_its_own_words(qtbot, make_window):
    w = make_window("shapes", restore=False)
    maps = w.panels["feature_maps"]
    for kind in NETWORKS:
        spec = network(kind)
        trace = _open(qtbot, w, with_running_stats(build(spec, seed=1)))
        maps.show_trace(trace)
        named = [s for s in spec.shapes() if s.kind == kind and len(s.shape) == 3]
        assert named, kind  # every network here has the kind on maps at least once
        assert all(s.name in maps.visible_layers() for s in named), kind
        for s in named:
            assert s.name in maps.layers and words(kind)[1] in maps.headings[s.name], kind
            for i in range(s.shape[0]):
                np.testing.assert_allclose(
                    maps.map_values(s.name, i), trace.layer(s.name).values[i], rtol=1e-6
                )
        for panel in ("filtering", "pooling", "relu", "architecture"):
            assert panel in w.panels  # docked and alive after the new network
        pooling = w.panels["pooling"].layer_combo.count()
        assert pooling == (1 if kind == "avgpool" else 0)  # max or average pooling only
        assert w.panels["filtering"].layer_combo.count() == 1  # conv1
        note = w.panels["architecture"].note.text()
        assert "not a plain stack" in note and "\n" not in note


def test_the_pooling_stepper_offers_max_and_average_pooling(qtbot, make_window):
    w = make_window("shapes", restore=False)
    spec = NetworkSpec(
        "both",
        12,
        1,
        (-1.0, 1.0),
        (Conv(2, 3, padding=1), ReLU(), MaxPool(2, 2), AvgPool(2, 2), Flatten()),
        ("a", "b"),
    )
    _open(qtbot, w, build(spec))
    pooling = w.panels["pooling"]
    offered = [pooling.layer_combo.itemData(i) for i in range(pooling.layer_combo.count())]
    assert offered == ["pool1", "avgpool1"]
    assert "avgpool1" in w.panels["feature_maps"].layers
