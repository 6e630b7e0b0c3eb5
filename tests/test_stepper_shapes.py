"""The steppers' arithmetic on the lesson's later networks: every input channel at once (the
CS231n demo's numbers), rectangular features, strides and padding per dimension, average
pooling and the spectrogram's 1x2 pools, each against float64 numpy and the trace."""

import numpy as np
import pytest
from test_stepper import numpy_conv_cell

from convviz.core.bundled import preset_model
from convviz.core.layers import AvgPool
from convviz.core.network import build
from convviz.core.presets import CS231N_BIASES, CS231N_FILTERS, CS231N_INPUT
from convviz.core.spec import Conv, Flatten, MaxPool, NetworkSpec, ReLU
from convviz.core.stepper import (
    ConvStepper,
    PoolStepper,
    find_layer,
    steppable_layers,
)
from convviz.core.stepper_conv import shown_channels


def cs231n_reference(k, r, c):
    """The demo's cell (r, c) of filter k by hand: pad the 5x5x3 input with one ring of zeros
    (7x7x3), take the 3x3x3 window at stride 2, multiply, add per channel, add the bias."""
    x = np.asarray(CS231N_INPUT, np.float64)
    padded = np.zeros((3, 7, 7))
    padded[:, 1:6, 1:6] = x
    w = np.asarray(CS231N_FILTERS, np.float64)[k]
    window = padded[:, 2 * r : 2 * r + 3, 2 * c : 2 * c + 3]
    products = window * w
    sums = products.sum(axis=(1, 2))
    return window, w, products, sums, float(sums.sum() + CS231N_BIASES[k])


def test_cs231n_every_cell_is_the_demos_arithmetic():
    model = preset_model("cs231n")
    trace = model.trace(np.asarray(CS231N_INPUT, np.float32))
    out = trace.layer("conv1").values
    for k in range(2):
        st = ConvStepper.from_trace(model.spec, trace, model.snapshot(), "conv1", k)
        assert st.out_shape == (3, 3) and st.n_steps == 9
        for i in range(9):
            r, c = divmod(i, 3)
            window, w, products, sums, value = cs231n_reference(k, r, c)
            s = st.step(i)
            assert (s.top, s.left, s.window) == (2 * r - 1, 2 * c - 1, (3, 3))
            np.testing.assert_array_equal(s.patches, window)
            np.testing.assert_array_equal(s.features, w)
            np.testing.assert_array_equal(s.products, products)
            np.testing.assert_array_equal(s.channel_sums, sums)
            assert s.bias == CS231N_BIASES[k] and s.has_bias and s.divisor == 1
            assert s.value == value == out[k, r, c]  # whole numbers: exact
        assert st.step(0).on_padding.sum() == 5  # the corner window: a row and a column of 0


def rect_net():
    """Rectangular everything: an 11x13 colour input, a 3x5 feature at stride (2, 1) with
    padding (1, 2), then 3x2 max pooling by (2, 1) and 2x3 average pooling by (1, 2), both
    hanging over an edge."""
    return NetworkSpec(
        "rect",
        (11, 13),
        3,
        (-1.0, 1.0),
        (
            Conv(4, (3, 5), stride=(2, 1), padding=(1, 2)),  # 6 x 13
            ReLU(),
            MaxPool((3, 2), (2, 1)),  # 3 x 12, the last row of windows hanging over by one
            AvgPool((2, 3), (1, 2)),  # 2 x 6, the last column of windows hanging over by one
            Flatten(),
        ),
        ("a", "b"),
    )


def test_rectangular_features_strides_and_padding_per_dimension():
    net = build(rect_net(), seed=4)
    x = np.random.default_rng(0).uniform(-1, 1, (3, 11, 13)).astype(np.float32)
    trace, snap = net.trace(x), net.snapshot()
    sl = find_layer(net.spec, "conv", "conv1")
    assert (sl.window, sl.stride, sl.padding) == ((3, 5), (2, 1), (1, 2))
    want = trace.layer("conv1").values
    for f in (0, 3):
        st = ConvStepper.from_trace(net.spec, trace, snap, "conv1", f)
        assert st.out_shape == want.shape[1:] == (6, 13)
        np.testing.assert_allclose(st.output, want[f], atol=1e-5)
        for i in (0, 12, 27, st.n_steps - 1):
            r, c = divmod(i, 13)
            patches, _products, sums, _total, value = numpy_conv_cell(
                x, snap.weight("conv1"), snap.bias("conv1"), sl.layer, 1, f, r, c
            )
            s = st.step(i)
            assert (s.top, s.left) == (2 * r - 1, c - 2)
            np.testing.assert_allclose(s.patches, patches)
            np.testing.assert_allclose(s.channel_sums, sums)
            assert s.value == pytest.approx(value) == pytest.approx(want[f, r, c], abs=1e-5)


def test_max_and_average_pooling_with_rectangular_windows():
    net = build(rect_net(), seed=4)
    trace = net.trace(np.random.default_rng(1).uniform(-1, 1, (3, 11, 13)).astype(np.float32))
    layers = steppable_layers(net.spec, "pool")
    assert [(sl.name, sl.is_average) for sl in layers] == [("pool1", False), ("avgpool1", True)]
    for sl in layers:
        want = trace.layer(sl.name).values
        x = trace.input_of(sl.index)
        (kr, kc), (sr, sc) = sl.window, sl.stride
        for m in (0, 3):
            st = PoolStepper.from_trace(net.spec, trace, sl.name, m)
            assert st.mode == ("avg" if sl.is_average else "max")
            np.testing.assert_allclose(st.output, want[m], atol=1e-6)
            for i in range(st.n_steps):
                r, c = divmod(i, st.out_shape[1])
                window = x[m, r * sr : r * sr + kr, c * sc : c * sc + kc]
                s = st.step(i)
                assert s.window == (kr, kc) and s.count == window.size
                assert s.total == pytest.approx(float(window.astype(np.float64).sum()))
                if sl.is_average:  # the cells inside the map, not the window's size
                    assert s.winner is None and s.value == pytest.approx(window.mean())
                else:
                    assert s.value == window.max() == x[m][s.winner]
                assert s.value == pytest.approx(want[m, r, c], abs=1e-6)
    last = PoolStepper.from_trace(net.spec, trace, "avgpool1", 0).step(5)
    assert last.overhangs and last.count == 4  # a 2x3 window with one column past the edge


def test_the_spectrograms_one_by_two_pools_and_tall_features():
    model = preset_model("spectrogram")
    x = np.random.default_rng(2).uniform(-1, 1, (32, 48)).astype(np.float32)
    trace, snap = model.trace(x), model.snapshot()
    conv = ConvStepper.from_trace(model.spec, trace, snap, "conv1", 5)
    assert conv.window == (32, 3) and conv.out_shape == (1, 46)
    np.testing.assert_allclose(conv.output, trace.layer("conv1").values[5], atol=1e-4)
    for name in ("pool1", "pool2"):
        st = PoolStepper.from_trace(model.spec, trace, name, 7)
        assert (st.window, st.stride) == ((1, 2), (1, 2))
        want = trace.layer(name).values[7]
        assert st.out_shape == want.shape and st.out_shape[0] == 1
        for i in range(st.n_steps):
            s = st.step(i)
            assert (s.top, s.left) == (0, 2 * i) and s.value == want[0, i]


def test_convolutions_inside_residual_blocks_are_stepped_too():
    spec = preset_model("resnet").spec
    names = [sl.name for sl in steppable_layers(spec, "conv")]
    assert names[:3] == ["conv1", "residual1.conv1", "residual1.conv2"] and len(names) == 9
    assert steppable_layers(spec, "pool") == []  # (tests/test_qt_steppers_blocks.py: the rest)


def test_the_channels_shown_in_full():
    assert shown_channels(3) == range(0, 3)
    assert shown_channels(1) == range(0, 1)
    assert shown_channels(64, 3) == range(3, 6)
    assert shown_channels(64, 63) == range(61, 64)  # three shown, even from the last
