"""A network with residual blocks opens in the window: every panel lays it out, the Feature maps
panel shows each block's inside, skip path and sum with their labels, and the filtering stepper
offers the convolutions inside blocks too (the Kernels panel only the top-level ones)."""

import numpy as np
from PySide6.QtWidgets import QApplication

from convviz.core.layers import GlobalAvgPool, Residual
from convviz.core.network import build
from convviz.core.presets import SHAPE_CLASSES
from convviz.core.spec import Conv, NetworkSpec, ReLU
from convviz.qt.panels.feature_maps import FeatureMapsPanel

# square and grayscale: the window draws those only so far (issue 14 brings colour)
SPEC = NetworkSpec(
    "res",
    (28, 28),
    1,
    (-1.0, 1.0),
    (
        Conv(4, 5, padding=2),
        ReLU(),
        Residual((Conv(4, 3, padding=1), ReLU(), Conv(4, 3, padding=1))),
        ReLU(),
        Residual((Conv(8, 2, stride=2), ReLU())),
        GlobalAvgPool(),
    ),
    SHAPE_CLASSES,
)


def test_a_residual_network_opens_and_its_maps_show_inside_skip_and_sum(qtbot, make_window):
    w = make_window()
    said = []
    w.session.failed.connect(said.append)
    assert w.session.set_model(build(SPEC, seed=1), "test") is not False
    for _ in range(10):
        QApplication.processEvents()
    assert said == []
    panel = w.findChildren(FeatureMapsPanel)[0]
    assert list(panel.layers) == [
        "input",
        "conv1",
        "relu1",
        "residual1.conv1",
        "residual1.relu1",
        "residual1.conv2",
        "residual1.skip",
        "residual1",
        "relu2",
        "residual2.conv1",
        "residual2.relu1",
        "residual2.skip",
        "residual2",
    ]
    assert "after convolution" in panel.headings["residual1.conv2"]
    # the skip path and the sum say what they are first (a narrow dock cuts the end off)
    assert panel.headings["residual1.skip"].startswith(
        "residual1.skip   skip path: the block's input, as it is"
    )
    assert panel.headings["residual2.skip"].startswith(
        "residual2.skip   skip path: a 1×1 convolution of the block's input"
    )
    assert panel.headings["residual2"] == "residual2   sum: inside + skip path   8 × 14 × 14"

    trace = w.session.model.trace(np.random.default_rng(0).uniform(-1, 1, (28, 28)))
    panel.show_trace(trace)
    for name in ("residual1.conv1", "residual1.skip", "residual1", "residual2.skip"):
        np.testing.assert_allclose(panel.map_values(name, 0), trace.layer(name).values[0])


def test_the_steppers_go_inside_blocks_the_kernels_panel_not():
    from convviz.core.stepper import steppable_layers
    from convviz.qt.panels.kernels import conv_names

    assert [(sl.name, sl.label) for sl in steppable_layers(SPEC, "conv")] == [
        ("conv1", "conv1"),
        ("residual1.conv1", "block 1 · conv 1"),
        ("residual1.conv2", "block 1 · conv 2"),
        ("residual2.conv1", "block 2 · conv 1"),
        ("residual2.skip", "block 2 · skip path"),
    ]
    assert conv_names(SPEC) == ["conv1"]
