"""The steppers go inside residual blocks: every convolution of the resnet preset (both of each
block's and the 1x1 on a skip path) can be chosen by a name a student reads ("block 2 · conv 1")
and stepped, its numbers equal to torch's F.conv2d on the block's input; a pooling inside a
block steps as a top-level one does, equal to F.max_pool2d / F.avg_pool2d."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from convviz.core.layers import AvgPool, GlobalAvgPool, Residual
from convviz.core.network import build
from convviz.core.presets import SHAPE_CLASSES, preset
from convviz.core.spec import Conv, MaxPool, NetworkSpec, ReLU
from convviz.core.stepper import ConvStepper, PoolStepper, step_label, steppable_layers
from convviz.qt.panels.filtering import FilteringPanel
from convviz.qt.panels.pooling import PoolingPanel
from convviz.qt.widgets.channel_rows import sum_text

RESNET_CONVS = [
    ("conv1", "conv1"),
    ("residual1.conv1", "block 1 · conv 1"),
    ("residual1.conv2", "block 1 · conv 2"),
    ("residual2.conv1", "block 2 · conv 1"),
    ("residual2.conv2", "block 2 · conv 2"),
    ("residual2.skip", "block 2 · skip path"),
    ("residual3.conv1", "block 3 · conv 1"),
    ("residual3.conv2", "block 3 · conv 2"),
    ("residual3.skip", "block 3 · skip path"),
]

# pooling inside blocks, one nested (grayscale and square: any network opens in the panels)
POOLED = NetworkSpec(
    "pooled",
    (12, 12),
    1,
    (-1.0, 1.0),
    (
        Conv(3, 3, padding=1),
        Residual((Conv(4, 3, padding=1), ReLU(), MaxPool(2, 2))),  # 3x12x12 -> 4x6x6, 1x1 skip
        Residual((Residual((Conv(4, 3, padding=1), AvgPool(3, 3))), ReLU())),  # -> 4x2x2, 1x1s
        GlobalAvgPool(),
    ),
    SHAPE_CLASSES,
)


@pytest.fixture(scope="module")
def resnet():
    net = build(preset("resnet"), seed=3)
    x = np.random.default_rng(4).uniform(-1, 1, (3, 32, 32)).astype(np.float32)
    return net, net.trace(x), net.snapshot()


def block_input(trace, name: str) -> np.ndarray:
    """What the block holding `name` received: the top-level layer before it (relu2 for
    residual2), found by its place in trace.layers, not by the stepper's own bookkeeping."""
    block = name.split(".")[0]
    i = [lt.name for lt in trace.layers].index(block)
    return trace.layers[i - 1].values


def test_every_convolution_is_listed_inside_blocks_too_with_a_readable_name():
    layers = steppable_layers(preset("resnet"), "conv")
    assert [(sl.name, sl.label) for sl in layers] == RESNET_CONVS
    assert step_label("residual1.residual2.pool1") == "block 1 · block 2 · pool 1"
    assert [sl.label for sl in steppable_layers(POOLED, "pool")] == [
        "block 1 · pool 1",
        "block 2 · block 1 · avgpool 1",
    ]
    assert [sl.name for sl in steppable_layers(POOLED, "conv")] == [
        "conv1",
        "residual1.conv1",
        "residual1.skip",
        "residual2.residual1.conv1",
        "residual2.residual1.skip",  # the inner block's skip path (6 -> 2: stride 3)
        "residual2.skip",
    ]


def test_every_convolution_of_resnet_steps_as_the_trace_made_it(resnet):
    net, trace, snap = resnet
    for name, _label in RESNET_CONVS:
        for f in (0, 15):
            st = ConvStepper.from_trace(net.spec, trace, snap, name, f)
            want = trace.layer(name).values[f]
            assert st.output.shape == want.shape
            np.testing.assert_allclose(st.output, want, rtol=1e-4, atol=1e-4)
            s = st.step(st.n_steps - 1)
            assert s.value == pytest.approx(float(want[-1, -1]), abs=1e-4)


@pytest.mark.parametrize(
    "name, feature, group, stride, padding",
    [
        ("residual2.conv1", 5, 2, 2, 1),  # the block's first: 4x4 at stride 2 on relu2
        ("residual2.conv2", 31, 9, 1, 1),  # its second reads the block's own relu1
        ("residual3.skip", 7, 4, 2, 0),  # the skip path's 1x1 at stride 2
    ],
)
def test_the_panel_steps_an_inner_convolution_as_torch_computes_it(
    qtbot, resnet, name, feature, group, stride, padding
):
    net, trace, snap = resnet
    panel = FilteringPanel()
    qtbot.addWidget(panel)
    panel.resize(1100, 760)
    panel.set_model(net.spec, snap)
    panel.show_trace(trace)
    panel.select(name, group * 3, feature)
    label = dict(RESNET_CONVS)[name]
    assert panel.layer_combo.currentText().startswith(f"{label}  (")
    assert panel.stepper is not None and panel.map_index == group * 3

    # the reference: torch on the block's input (for conv2, the block's relu1 inside it)
    source = trace.layer(name.replace("conv2", "relu1")).values if "conv2" in name else None
    x = torch.from_numpy(block_input(trace, name) if source is None else source)[None].double()
    w = torch.from_numpy(snap.weight(name)).double()
    b = torch.from_numpy(snap.bias(name)).double()
    whole = F.conv2d(x, w, b, stride=stride, padding=padding)[0, feature].numpy()
    # each input channel's sum at every position: the feature's slices, one channel each
    per_channel = F.conv2d(
        x, w[feature][:, None], stride=stride, padding=padding, groups=x.shape[1]
    )[0].numpy()  # (C, Ho, Wo)
    padded = F.pad(x, (padding,) * 4)[0].numpy()
    k = w.shape[-1]
    assert panel.n_steps == whole.size
    for i in (0, whole.shape[1] + 1, whole.size // 2, whole.size - 1):
        panel.seek(i)
        r, c = divmod(i, whole.shape[1])
        for j, m in enumerate(panel.shown):
            row = panel.channel_rows.rows[j]
            patch = padded[m, r * stride : r * stride + k, c * stride : c * stride + k]
            assert row.patch.values == pytest.approx(patch, abs=1e-6)
            assert row.feature.values == pytest.approx(w[feature, m].numpy(), abs=1e-7)
            assert row.products.values == pytest.approx(patch * w[feature, m].numpy(), abs=1e-6)
            assert f">{sum_text(per_channel[m, r, c])}<" in row.sum.text()
        rest = [m for m in range(x.shape[1]) if m not in panel.shown]
        assert f">{sum_text(per_channel[rest, r, c].sum())}<" in panel.channel_rows.rest.text()
        assert panel.output_grid.values[r, c] == pytest.approx(whole[r, c], abs=1e-4)
        text = panel.caption.text()
        assert f"bias {sum_text(float(b[feature]))}" in text.replace("(", "").replace(")", "")
        assert f"(row {r + 1}, column {c + 1})" in text


@pytest.mark.parametrize("name", ["residual1.pool1", "residual2.residual1.avgpool1"])
def test_a_pooling_inside_a_block_steps_as_torch_computes_it(qtbot, name):
    net = build(POOLED, seed=2)
    trace = net.trace(np.random.default_rng(5).uniform(-1, 1, (12, 12)).astype(np.float32))
    panel = PoolingPanel()
    qtbot.addWidget(panel)
    panel.resize(1100, 760)
    panel.set_model(net.spec, net.snapshot())
    panel.show_trace(trace)
    panel.select(name, 3)
    assert panel.layer_combo.currentText().startswith(step_label(name) + "  (")
    before = {
        "residual1.pool1": "residual1.relu1",
        "residual2.residual1.avgpool1": "residual2.residual1.conv1",
    }[name]
    x = torch.from_numpy(trace.layer(before).values)[None, 3:4]
    pool = F.max_pool2d(x, 2, 2) if name.endswith(".pool1") else F.avg_pool2d(x, 3, 3)
    want = pool[0, 0].numpy()
    np.testing.assert_allclose(want, trace.layer(name).values[3], atol=1e-6)
    panel.jump_to_end()
    np.testing.assert_allclose(panel.output_grid.values, want, atol=1e-6)
    st = PoolStepper.from_trace(net.spec, trace, name, 3)
    np.testing.assert_allclose(st.output, want, atol=1e-6)
