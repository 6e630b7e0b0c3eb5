"""The traced network against a float64 numpy reference written out with explicit loops.

Every layer of the trace is checked: convolution (sizes, strides, padding, several input channels,
the deck's divide-by-the-feature-size with and without bias), ReLU, max pooling in ceil mode
(windows hanging over the edge) with its `winners`, flatten and fully connected layers; then the
trace's votes against a plain forward pass.
"""

import numpy as np
import pytest
import torch
from reference import window_starts

from convviz.core.errors import DataError
from convviz.core.network import build, vote_contributions
from convviz.core.presets import PRESETS, preset
from convviz.core.spec import Conv, Dense, Flatten, MaxPool, NetworkSpec, ReLU


# ---- the reference (float64, loops) ------------------------------------------------------------
def ref_conv(x, w, b, stride, pad, divide):
    """x (C, H, W), w (F, C, k, k), b (F,) or None -> (F, Ho, Wo). The deck's divide: the sum of
    products over the C*k*k feature pixels is divided by their number, then the bias is added."""
    c, h, wd = x.shape
    f, _, k, _ = w.shape
    xp = np.zeros((c, h + 2 * pad, wd + 2 * pad))
    xp[:, pad : pad + h, pad : pad + wd] = x
    ho = (h + 2 * pad - k) // stride + 1
    wo = (wd + 2 * pad - k) // stride + 1
    out = np.zeros((f, ho, wo))
    count = c * k * k if divide else 1
    for fi in range(f):
        for i in range(ho):
            for j in range(wo):
                total = 0.0
                for ci in range(c):
                    for u in range(k):
                        for v in range(k):
                            total += xp[ci, i * stride + u, j * stride + v] * w[fi, ci, u, v]
                out[fi, i, j] = total / count + (b[fi] if b is not None else 0.0)
    return out


def ref_pool(x, window, stride):
    """x (C, H, W) -> (max (C, Ho, Wo), winners (C, Ho, Wo) flat index into the H x W map)."""
    c, h, w = x.shape
    rows, cols = window_starts(h, window, stride), window_starts(w, window, stride)
    out = np.zeros((c, len(rows), len(cols)))
    win = np.zeros((c, len(rows), len(cols)), dtype=np.int64)
    for ci in range(c):
        for i, r0 in enumerate(rows):
            for j, c0 in enumerate(cols):
                best, at = -np.inf, -1
                for r in range(r0, min(r0 + window, h)):
                    for q in range(c0, min(c0 + window, w)):
                        if x[ci, r, q] > best:
                            best, at = x[ci, r, q], r * w + q
                out[ci, i, j], win[ci, i, j] = best, at
    return out, win


def ref_dense(x, w, b):
    out = np.zeros(w.shape[0])
    for o in range(w.shape[0]):
        out[o] = sum(x[i] * w[o, i] for i in range(w.shape[1])) + b[o]
    return out


def reference_trace(model, image):
    """Every layer's output (float64), with the pool winners, computed from the spec's layers and
    the model's weight values only."""
    sd = {k: v.detach().double().cpu().numpy() for k, v in model.state_dict().items()}
    x = np.asarray(image, dtype=np.float64).reshape(model.spec.channels, *np.shape(image)[-2:])
    outs, winners = [], []
    layers = [*model.spec.layers, Dense(len(model.spec.classes))]  # the implicit votes
    for i, layer in enumerate(layers):
        win = None
        if isinstance(layer, Conv):
            b = sd.get(f"layers.{i}.bias")
            x = ref_conv(x, sd[f"layers.{i}.weight"], b, layer.stride, layer.padding, layer.divide)
        elif isinstance(layer, ReLU):
            x = np.where(x > 0, x, 0.0)
        elif isinstance(layer, MaxPool):
            x, win = ref_pool(x, layer.window, layer.stride)
        elif isinstance(layer, Flatten):
            x = x.reshape(-1)  # channel, then row, then column
        elif isinstance(layer, Dense):
            x = ref_dense(x, sd[f"layers.{i}.weight"], sd[f"layers.{i}.bias"])
        outs.append(x)
        winners.append(win)
    return outs, winners


# ---- networks to check -------------------------------------------------------------------------
def _spec(size, channels, layers, classes=3):
    return NetworkSpec(
        "ref", size, channels, (-1.0, 1.0), tuple(layers), tuple(f"c{i}" for i in range(classes))
    )


CASES = {
    # the deck's shape: 9 -> conv 3 -> 7x7, pooled 2/2 -> 4x4 (last window hangs over)
    "deck-shape": _spec(9, 1, [Conv(4, 3), ReLU(), MaxPool(2, 2), Flatten()]),
    # stride 2 convolution to 5x5, pooled 3/2 -> 2x2
    "stride2-pool3s2": _spec(11, 1, [Conv(3, 3, stride=2), ReLU(), MaxPool(3, 2), Flatten()]),
    # three input channels, padding 1, pooling window 2 with stride 3 (7 -> starts 0, 3, 6)
    "rgb-pad-pool2s3": _spec(
        7,
        3,
        [Conv(5, 3, padding=1), ReLU(), MaxPool(2, 3), Conv(2, 1), Flatten(), Dense(6), ReLU()],
    ),
    # the deck's divide, with a bias, stride 2 and padding
    "divide-bias": _spec(
        8,
        1,
        [Conv(3, 2, stride=2, padding=1, divide=True), ReLU(), MaxPool(3, 2), Flatten()],
        classes=2,
    ),
    # divide without a bias, two channels, 5x5 features padded 2, pooled 3/3 (10 -> 4)
    "divide-nobias": _spec(
        10,
        2,
        [Conv(4, 5, padding=2, divide=True, bias=False), ReLU(), MaxPool(3, 3), Flatten()],
        classes=4,
    ),
    # two blocks and two hidden fully connected layers
    "deep": _spec(
        12,
        1,
        [
            Conv(2, 5),
            ReLU(),
            MaxPool(2, 2),
            Conv(3, 3, padding=1),
            ReLU(),
            MaxPool(3, 2),
            Flatten(),
            Dense(5),
            ReLU(),
            Dense(4),
        ],
    ),
    # pooling with stride 1 (overlapping windows) and a 1x1 window
    "overlap": _spec(6, 1, [Conv(2, 2), MaxPool(2, 1), MaxPool(1, 1), Flatten()]),
}


def _randomised(spec, seed):
    model = build(spec, seed=seed)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():  # biases well away from zero so that dividing them by mistake shows
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.5)
    return model


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_layer_matches_the_reference(case):
    spec = CASES[case]
    model = _randomised(spec, seed=len(case))
    rng = np.random.default_rng(len(case))
    names = [s for s in spec.shapes()]
    for _trial in range(2):
        shape = (
            (spec.input_size,) * 2
            if spec.channels == 1
            else (spec.channels,) + (spec.input_size,) * 2
        )
        image = rng.uniform(-1, 1, shape).astype(np.float32)
        trace = model.trace(image)
        want, want_winners = reference_trace(model, image)
        assert [lt.name for lt in trace.layers] == [s.name for s in names]
        assert [lt.kind for lt in trace.layers] == [s.kind for s in names]
        assert trace.input.shape == (spec.channels, spec.input_size, spec.input_size)
        for lt, s, ref, ref_win in zip(trace.layers, names, want, want_winners, strict=True):
            assert lt.values.dtype == np.float32
            assert lt.values.shape == s.shape == ref.shape, lt.name
            np.testing.assert_allclose(lt.values, ref, rtol=1e-5, atol=1e-5, err_msg=lt.name)
            if lt.kind == "pool":
                assert lt.winners.shape == lt.values.shape and lt.winners.dtype == np.int32
                np.testing.assert_array_equal(lt.winners, ref_win, err_msg=lt.name)
            else:
                assert lt.winners is None
        with torch.inference_mode():
            plain = model(
                torch.from_numpy(image).reshape(1, spec.channels, spec.input_size, spec.input_size)
            )[0].numpy()
        np.testing.assert_allclose(trace.votes, plain, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(
    "case", ["deck-shape", "stride2-pool3s2", "rgb-pad-pool2s3", "divide-nobias", "overlap"]
)
def test_pool_winners_point_at_the_max_of_their_window(case):
    spec = CASES[case]
    model = _randomised(spec, seed=11)
    image = np.random.default_rng(5).uniform(-1, 1, (spec.channels,) + (spec.input_size,) * 2)
    trace = model.trace(image.astype(np.float32))
    checked = 0
    for i, lt in enumerate(trace.layers):
        if lt.kind != "pool":
            continue
        layer = spec.layers[i]
        src = trace.input_of(i)  # (C, H, W): what the pool saw
        c, h, w = src.shape
        for ci in range(c):
            for oi in range(lt.values.shape[1]):
                for oj in range(lt.values.shape[2]):
                    r0, c0 = oi * layer.stride, oj * layer.stride
                    window = src[ci, r0 : r0 + layer.window, c0 : c0 + layer.window]
                    idx = int(lt.winners[ci, oi, oj])
                    r, q = divmod(idx, w)
                    assert r0 <= r < min(r0 + layer.window, h)
                    assert c0 <= q < min(c0 + layer.window, w)
                    assert src[ci, r, q] == window.max() == lt.values[ci, oi, oj]
                    checked += 1
    assert checked > 0


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_preset_trace_equals_plain_forward(name):
    spec = preset(name)
    model = build(spec, seed=4)  # alexnet too: ~58 M parameters, a few seconds
    x = np.random.default_rng(0).uniform(-1, 1, (spec.channels, *spec.input_shape))
    x = x.astype(np.float32)
    trace = model.trace(x)
    with torch.inference_mode():
        plain = model(torch.from_numpy(x)[None])[0].numpy()
    np.testing.assert_allclose(trace.votes, plain, rtol=1e-6, atol=1e-6)
    assert trace.classes == spec.classes
    p = trace.probabilities
    assert p.shape == (len(spec.classes),) and abs(float(p.sum()) - 1) < 1e-5
    assert trace.winner == int(np.argmax(plain))
    np.testing.assert_allclose(
        p, torch.softmax(torch.from_numpy(plain).double(), 0).numpy(), atol=1e-6
    )
    assert [lt.name for lt in trace.layers] == model.names
    assert trace.layer("votes") is trace.layers[-1]
    with pytest.raises(KeyError):
        trace.layer("conv9")


def test_preset_matches_reference_too():
    model = _randomised(preset("shapes"), seed=2)  # the full default network, once
    x = np.random.default_rng(1).uniform(-1, 1, (28, 28)).astype(np.float32)
    want, _ = reference_trace(model, x)
    for lt, ref in zip(model.trace(x).layers, want, strict=True):
        np.testing.assert_allclose(lt.values, ref, rtol=1e-4, atol=1e-4, err_msg=lt.name)


def test_vote_contributions_add_up_to_the_votes():
    model = _randomised(CASES["deep"], seed=3)
    trace = model.trace(np.random.default_rng(2).uniform(-1, 1, (12, 12)).astype(np.float32))
    snap = model.snapshot()
    for cls in range(len(trace.classes)):
        parts, bias = vote_contributions(trace, snap, cls)
        assert parts.shape == trace.input_of(len(trace.layers) - 1).reshape(-1).shape
        assert abs(float(parts.sum()) + bias - float(trace.votes[cls])) < 1e-4


def test_snapshot_is_a_copy():
    model = build(preset("xo"))
    snap = model.snapshot()
    with torch.no_grad():
        model.layers[-1].weight.add_(1.0)
    assert not np.allclose(snap["layers.4.weight"], model.snapshot()["layers.4.weight"])


def test_same_seed_same_weights_and_wrong_input_shape_refused():
    a, b, c = build(preset("shapes"), 5), build(preset("shapes"), 5), build(preset("shapes"), 6)
    sa, sb, sc = a.snapshot(), b.snapshot(), c.snapshot()
    assert all(np.array_equal(sa[k], sb[k]) for k in sa)
    assert not all(np.array_equal(sa[k], sc[k]) for k in sa)
    with pytest.raises(DataError, match=r"input is 1x9x9 but the model 'shapes' takes 1x28x28"):
        a.trace(np.zeros((9, 9), np.float32))
