"""Newest network wins: a panel laid out for one network ignores a trace or weights of another
that are still on their way, even when every layer has the same shape (issue 13, item 2)."""

import numpy as np
import pytest

from convviz.core.network import build
from convviz.core.presets import preset
from convviz.qt.panels.feature_maps import FeatureMapsPanel
from convviz.qt.panels.filtering import FilteringPanel
from convviz.qt.panels.kernels import KernelsPanel
from convviz.qt.panels.pooling import PoolingPanel
from convviz.qt.panels.relu import ReluView
from convviz.qt.panels.votes.panel import VotesPanel

DECK_X = np.full((9, 9), -1.0, np.float32)
np.fill_diagonal(DECK_X, 1.0)
DECK_X[np.arange(9), 8 - np.arange(9)] = 1.0


def _shown(panel):
    return panel.trace if hasattr(panel, "trace") else panel._trace


@pytest.mark.parametrize(
    "make", [FilteringPanel, PoolingPanel, ReluView, VotesPanel, FeatureMapsPanel]
)
def test_a_trace_of_the_last_network_is_ignored(qtbot, make):
    old = build(preset("xo"), seed=0)  # same layer shapes, other class names: another network
    new = build(preset("xo").with_classes(("cross", "ring")), seed=1)
    panel = make()
    qtbot.addWidget(panel)
    panel.set_model(new.spec, new.snapshot())
    panel.show_trace(old.trace(DECK_X))  # late: the network changed while it was made
    assert _shown(panel) is None
    trace = new.trace(DECK_X)
    panel.show_trace(trace)
    assert _shown(panel) is trace


def test_kernels_of_the_last_network_are_ignored(qtbot):
    old, new = build(preset("xo"), seed=0), build(preset("xo").with_classes(("a", "b")), seed=1)
    panel = KernelsPanel()
    qtbot.addWidget(panel)
    panel.set_model(new.spec, new.snapshot())
    panel.show_weights(old.snapshot().with_arrays({k: v + 5 for k, v in old.snapshot().items()}))
    np.testing.assert_array_equal(
        panel.kernel_values("conv1", 1), new.snapshot().weight("conv1")[1, 0]
    )
