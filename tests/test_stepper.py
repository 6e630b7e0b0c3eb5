"""The step-by-step arithmetic checked against plain numpy and the core's trace."""

import subprocess
import sys

import numpy as np
import pytest

from convviz.core.layers import pair
from convviz.core.network import build
from convviz.core.presets import preset
from convviz.core.spec import Conv, Flatten, MaxPool, NetworkSpec, ReLU
from convviz.core.stepper import (
    ConvStepper,
    Playhead,
    PoolStepper,
    deck_number,
    find_layer,
    steppable_layers,
)

DECK_X = np.array(
    [
        [-1, -1, -1, -1, -1, -1, -1, -1, -1],
        [-1, 1, -1, -1, -1, -1, -1, 1, -1],
        [-1, -1, 1, -1, -1, -1, 1, -1, -1],
        [-1, -1, -1, 1, -1, 1, -1, -1, -1],
        [-1, -1, -1, -1, 1, -1, -1, -1, -1],
        [-1, -1, -1, 1, -1, 1, -1, -1, -1],
        [-1, -1, 1, -1, -1, -1, 1, -1, -1],
        [-1, 1, -1, -1, -1, -1, -1, 1, -1],
        [-1, -1, -1, -1, -1, -1, -1, -1, -1],
    ],
    np.float32,
)


def odd_spec() -> NetworkSpec:
    """Windows and strides the presets do not use: 3x3 pooling by 2 (overhanging), pooling by 3,
    a strided, padded convolution with two input maps and a bias."""
    return NetworkSpec(
        "odd",
        14,
        1,
        (-1.0, 1.0),
        (
            Conv(2, 3, stride=1, padding=1),
            ReLU(),
            MaxPool(3, 2),  # 14 -> 14 -> 7 (overhang)
            Conv(3, 3, stride=2, padding=1, divide=True),
            ReLU(),  # 7 -> 4
            MaxPool(2, 3),
            Flatten(),
        ),
        ("a", "b"),
    )  # 4 -> 2 (overhang)


SPECS = [preset("xo"), preset("shapes"), preset("lenet5"), odd_spec()]


def drawings(spec, n, seed):
    rng = np.random.default_rng(seed)
    lo, hi = spec.value_range
    s = spec.input_size
    for i in range(n):
        if i == 0 and s == 9:
            yield DECK_X
        elif i % 2:
            yield rng.uniform(lo, hi, (s, s)).astype(np.float32)
        else:
            yield np.where(rng.random((s, s)) < 0.3, hi, lo).astype(np.float32)


def sample_steps(n, rng, k=12):
    picks = {0, n - 1} | set(rng.integers(0, n, size=min(k, n)).tolist())
    return sorted(picks)


@pytest.fixture(scope="module", params=SPECS, ids=lambda s: s.name)
def net(request):
    return build(request.param, seed=3)


def test_pool_steps_match_numpy_and_trace(net):
    rng = np.random.default_rng(0)
    for image in drawings(net.spec, 3, 1):
        trace = net.trace(image)
        for sl in steppable_layers(net.spec, "pool"):
            x = trace.input_of(sl.index)  # (C, H, W)
            want = trace.layer(sl.name).values
            for m in sorted({0, x.shape[0] - 1}):
                st = PoolStepper.from_trace(net.spec, trace, sl.name, m)
                assert st.out_shape == want.shape[1:]
                (kr, kc), (sr, sc) = sl.window, sl.stride
                for i in sample_steps(st.n_steps, rng):
                    step = st.step(i)
                    r, c = divmod(i, want.shape[2])
                    assert (step.out_row, step.out_col) == (r, c)
                    # numpy clips at the edge
                    window = x[m, r * sr : r * sr + kr, c * sc : c * sc + kc]
                    assert step.cells[: window.shape[0], : window.shape[1]] == pytest.approx(window)
                    assert np.isnan(step.cells[window.shape[0] :]).all()
                    assert step.overhangs == (window.shape != (kr, kc))
                    assert step.count == window.size
                    wr, wc = step.winner
                    assert x[m, wr, wc] == window.max() == step.value  # the true maximum
                    assert step.value == pytest.approx(want[m, r, c])
                    filled = st.output_upto(i).reshape(-1)
                    assert filled[: i + 1] == pytest.approx(want[m].reshape(-1)[: i + 1])
                    assert np.isnan(filled[i + 1 :]).all()


def numpy_conv_cell(x, w, b, layer, divisor, f, r, c):
    """One output cell the slow, obvious way, in float64: pad by hand, slice, multiply, add.
    Returns every channel's patch, products and sum, the total and the output value."""
    (pr, pc), (kr, kc), (sr, sc) = pair(layer.padding), pair(layer.size), pair(layer.stride)
    xp = np.zeros((x.shape[0], x.shape[1] + 2 * pr, x.shape[2] + 2 * pc))
    xp[:, pr : pr + x.shape[1], pc : pc + x.shape[2]] = x
    patches = xp[:, r * sr : r * sr + kr, c * sc : c * sc + kc]
    products = patches * np.asarray(w[f], np.float64)
    sums = [float(products[j].sum()) for j in range(x.shape[0])]
    total = sum(sums)
    bias = 0.0 if b is None else float(b[f])
    return patches, products, np.array(sums), total, total / divisor + bias


def test_conv_steps_match_numpy_and_trace(net):
    rng = np.random.default_rng(1)
    snap = net.snapshot()
    for image in drawings(net.spec, 2, 2):
        trace = net.trace(image)
        for sl in steppable_layers(net.spec, "conv"):
            x = trace.input_of(sl.index)
            w = snap[f"layers.{sl.index}.weight"]
            b = snap.get(f"layers.{sl.index}.bias")
            want = trace.layer(sl.name).values
            divisor = sl.in_maps * np.prod(sl.window) if sl.layer.divide else 1
            for f in sorted({0, sl.out_maps - 1}):
                st = ConvStepper.from_trace(net.spec, trace, snap, sl.name, f)
                assert st.out_shape == want.shape[1:]
                assert st.output == pytest.approx(want[f], abs=1e-4)
                for i in sample_steps(st.n_steps, rng):
                    step = st.step(i)
                    r, c = divmod(i, want.shape[2])
                    patches, products, sums, total, value = numpy_conv_cell(
                        x, w, b, sl.layer, divisor, f, r, c
                    )
                    assert step.n_maps == sl.in_maps
                    assert step.patches == pytest.approx(patches)
                    assert step.products == pytest.approx(products)
                    assert step.products == pytest.approx(step.patches * step.features)
                    assert step.channel_sums == pytest.approx(sums, abs=1e-9)
                    assert step.total_sum == pytest.approx(total, abs=1e-9)
                    assert step.value == pytest.approx(value, abs=1e-9)
                    assert step.value == pytest.approx(want[f, r, c], abs=1e-4)
                    assert (step.patches[:, step.on_padding] == 0).all()


def test_padding_cells_are_marked_zeros():
    net = build(odd_spec(), seed=0)
    trace = net.trace(np.ones((14, 14), np.float32))
    st = ConvStepper.from_trace(net.spec, trace, net.snapshot(), "conv1", 1)
    first = st.step(0)  # top-left: a ring of padding on the top and left
    assert (first.top, first.left) == (-1, -1)
    assert first.on_padding[0].all() and first.on_padding[:, 0].all()
    assert not first.on_padding[1:, 1:].any()
    assert (first.patches[0][first.on_padding] == 0).all() and (first.patches[0, 1:, 1:] == 1).all()
    middle = st.step(st.out_shape[1] + 1)
    assert not middle.on_padding.any()


def test_the_cores_deck_x_is_the_decks_picture():
    from convviz.core.presets import deck_x

    np.testing.assert_array_equal(deck_x(), DECK_X)


def test_deck_numbers_on_the_x():
    net = build(preset("xo"))
    trace, snap = net.trace(DECK_X), net.snapshot()
    diag = ConvStepper.from_trace(net.spec, trace, snap, "conv1", feature=0).step(0)
    assert deck_number(diag.value) == "0.77" and diag.total_sum == 7 and diag.divisor == 9
    crossing = ConvStepper.from_trace(net.spec, trace, snap, "conv1", feature=1)
    centre = crossing.step(3 * 7 + 3)
    assert (centre.products == 1).all() and centre.total_sum == 9 and centre.value == 1.0
    assert deck_number(centre.value) == "1.00"
    pool = PoolStepper.from_trace(net.spec, trace, "pool1", 0)
    last = pool.step(pool.n_steps - 1)  # 7x7 -> 4x4: the last window hangs over two edges
    assert last.overhangs and np.isnan(last.cells).sum() == 3
    assert deck_number(last.value) == "0.77"


def test_changed_drawing_is_followed():
    net = build(preset("shapes"), seed=1)
    rng = np.random.default_rng(5)
    a, b = (rng.uniform(-1, 1, (28, 28)).astype(np.float32) for _ in range(2))
    ta, tb = net.trace(a), net.trace(b)
    snap = net.snapshot()
    conv = ConvStepper.from_trace(net.spec, ta, snap, "conv2", 3)
    pool = PoolStepper.from_trace(net.spec, ta, "pool2", 4)
    i, j = 17, 9
    before = conv.step(i).value
    conv.set_inputs(tb.input_of(find_layer(net.spec, "conv", "conv2").index))
    pool.set_values(tb.input_of(find_layer(net.spec, "pool", "pool2").index)[4])
    r, c = divmod(i, conv.out_shape[1])
    assert conv.step(i).value == pytest.approx(tb.layer("conv2").values[3, r, c], abs=1e-4)
    assert conv.step(i).value != pytest.approx(before)
    r, c = divmod(j, pool.out_shape[1])
    assert pool.step(j).value == pytest.approx(tb.layer("pool2").values[4, r, c])


def test_new_weights_are_followed():
    net = build(preset("shapes"), seed=1)
    trace, snap = net.trace(np.zeros((28, 28), np.float32) + 0.5), net.snapshot()
    st = ConvStepper.from_trace(net.spec, trace, snap, "conv1", 2)
    snap2 = {k: v * 2 for k, v in snap.items()}
    st.set_weights(snap2["layers.0.weight"], snap2["layers.0.bias"])
    assert st.step(40).value == pytest.approx(
        2 * ConvStepper.from_trace(net.spec, trace, snap, "conv1", 2).step(40).value
    )


def test_playhead_moves_and_clamps():
    ph = Playhead(5)
    assert ph.current == 0 and not ph.back()
    history = [ph.current]
    for _ in range(6):
        ph.forward()
        history.append(ph.current)
    assert history == [0, 1, 2, 3, 4, 4, 4] and ph.at_end
    ph.back()
    assert ph.current == 3
    ph.resize(2)
    assert ph.current == 1
    ph.resize(0)
    assert ph.current == 0 and ph.n_steps == 0


def test_unknown_layer_and_bad_step_are_clear():
    net = build(preset("xo"))
    with pytest.raises(ValueError, match=r"no pool layer named 'pool9'.*pool1"):
        find_layer(net.spec, "pool", "pool9")
    st = PoolStepper(np.zeros((4, 4)), 2, 2)
    with pytest.raises(IndexError, match=r"outside 0\.\.3"):
        st.step(4)


@pytest.mark.parametrize(
    "v,text",
    [
        (7 / 9, "0.77"),
        (-1 / 9, "-0.11"),
        (5 / 9, "0.55"),
        (np.float32(1.0) - 1e-7, "1.00"),
        (-0.001, "0.00"),
        (3.0, "3.00"),
        (float("nan"), ""),
    ],
)
def test_deck_number_cuts_like_the_deck(v, text):
    assert deck_number(v) == text


def test_core_modules_import_without_qt():
    code = (
        "import sys\nclass Block:\n def find_spec(self, name, *a):\n"
        "  if name.split('.')[0] in ('PySide6', 'pyqtgraph', 'shiboken6'):\n"
        "   raise ImportError('Qt blocked: ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "import convviz.core.stepper, convviz.core.knobs\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
