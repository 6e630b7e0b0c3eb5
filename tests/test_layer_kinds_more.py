"""The layer kinds added by issue 13 (item 4): average pooling, batch normalisation, leaky ReLU,
sigmoid, tanh and dropout.

Each against a float64 numpy reference (the trace's own input to the layer, so every kind is
judged alone); each the whole way: JSON round trip, build, trace, shapes table (shape,
parameters, formula), weights saved and loaded (.safetensors, .pt, .onnx) with identical votes,
and onnxruntime within 1e-5. Batch normalisation's running statistics are buffers: saved and
loaded, not counted as parameters, never moved by the trace. Refusals name the layer, the field
and the number.
"""

import json

import numpy as np
import pytest
import torch
from reference import window_starts

from convviz.core.errors import SpecError
from convviz.core.knobs import is_plain, knobs_from_spec
from convviz.core.layers import (
    AvgPool,
    BatchNorm,
    Dropout,
    LeakyReLU,
    Sigmoid,
    Tanh,
    description,
    kind_named,
    words,
)
from convviz.core.network import build, state_shapes
from convviz.core.spec import Conv, Dense, Flatten, MaxPool, NetworkSpec, ReLU
from convviz.core.weights import load_model, read_weights, save_model

NEW_KINDS = ("avgpool", "batchnorm", "leakyrelu", "sigmoid", "tanh", "dropout")


# ---- float64 references, one layer at a time ----------------------------------------------------
def ref_avgpool(x, window, stride):
    """x (C, H, W) -> the mean of each window over the cells it covers inside the map (an
    overhanging window's divisor is the number of those cells, not window rows x cols)."""
    c, h, w = x.shape
    rows, cols = window_starts(h, window[0], stride[0]), window_starts(w, window[1], stride[1])
    out = np.zeros((c, len(rows), len(cols)))
    for ci in range(c):
        for i, r0 in enumerate(rows):
            for j, c0 in enumerate(cols):
                cells = [
                    x[ci, r, q]
                    for r in range(r0, min(r0 + window[0], h))
                    for q in range(c0, min(c0 + window[1], w))
                ]
                out[ci, i, j] = sum(cells) / len(cells)
    return out


def ref_batchnorm(x, gamma, beta, mean, var, eps=1e-5):
    """x (C, ...) with the running statistics (eval mode), channel by channel."""
    shape = (-1,) + (1,) * (x.ndim - 1)
    return (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps) * gamma.reshape(
        shape
    ) + beta.reshape(shape)


def ref_leakyrelu(x, slope):
    return np.where(x > 0, x, slope * x)


def ref_sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


# ---- one small grayscale square network per kind (the window can show them all) -----------------
NETWORKS = {
    # 9x9 -> conv 3x3 pad 1 -> 9x9 -> 2x2 windows at stride 2: 5x5, the last row and column of
    # windows hanging over the edge (each of those averages 2 cells, the corner 1)
    "avgpool": (Conv(3, 3, padding=1), ReLU(), AvgPool(2, 2), Flatten()),
    # after a convolution (the ONNX optimizer would fold it in) and on flat values
    "batchnorm": (Conv(3, 3), BatchNorm(), ReLU(), Flatten(), Dense(6), BatchNorm()),
    "leakyrelu": (Conv(3, 3), LeakyReLU(0.2), Flatten(), Dense(5), LeakyReLU()),
    "sigmoid": (Conv(3, 3), Sigmoid(), Flatten()),
    "tanh": (Conv(3, 3), Tanh(), Flatten()),
    "dropout": (Conv(3, 3), ReLU(), Dropout(0.4), Flatten(), Dense(5), Dropout()),
}


def network(kind: str) -> NetworkSpec:
    return NetworkSpec(f"with-{kind}", 9, 1, (-1.0, 1.0), NETWORKS[kind], ("a", "b", "c"))


def with_running_stats(model, seed=0):
    """Batch normalisation's statistics and scale made non-trivial (fresh ones are 0, 1, 1, 0)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.layers:
            if hasattr(m, "running_mean"):
                n = m.running_mean.shape[0]
                m.running_mean.copy_(torch.rand(n, generator=g) * 2 - 1)
                m.running_var.copy_(torch.rand(n, generator=g) * 3 + 0.2)
                m.weight.copy_(torch.rand(n, generator=g) + 0.5)
                m.bias.copy_(torch.rand(n, generator=g) - 0.5)
    return model


def image(seed=0, shape=(9, 9)):
    return np.random.default_rng(seed).uniform(-1, 1, shape).astype(np.float32)


def layer_index(spec, kind):
    return [i for i, layer in enumerate(spec.layers) if layer.kind == kind]


def test_every_new_kind_is_registered_with_its_words():
    for name in NEW_KINDS:
        kind = kind_named(name)
        assert kind is not None, name
        label, after = words(name)
        assert label and after.startswith("after ") and description(name).endswith("."), name
    assert words("avgpool") == ("average pooling", "after average pooling")
    assert words("batchnorm") == ("batch normalisation", "after batch normalisation")


# ---- references -------------------------------------------------------------------------------
def test_average_pooling_matches_the_reference_with_windows_over_the_edge():
    spec = network("avgpool")
    model = build(spec, seed=1)
    trace = model.trace(image(1))
    x = trace.input_of(2).astype(np.float64)
    want = ref_avgpool(x, (2, 2), (2, 2))
    got = trace.layers[2].values
    assert got.shape == want.shape == (3, 5, 5)
    np.testing.assert_allclose(got, want, atol=1e-6)
    # the overhanging corner window covers one cell: it is that cell, not a quarter of it
    np.testing.assert_allclose(got[:, 4, 4], x[:, 8, 8], atol=1e-6)
    np.testing.assert_allclose(got[:, 4, 0], x[:, 8, 0:2].mean(1), atol=1e-6)
    assert trace.layers[2].winners is None  # every cell counts: nothing to point at
    row = spec.shapes()[2]
    assert (row.kind, row.shape, row.params) == ("avgpool", (3, 5, 5), 0)
    assert row.formula == "(9 - 2)/2 + 1 = 4.5 → 5"  # max pooling's rule, per dimension


def test_average_pooling_rectangular_and_torch_divisors_agree():
    """A rectangular window and stride on a rectangular colour input, against the reference;
    with no padding torch divides an overhanging window by the cells inside whether or not it
    counts padding (count_include_pad), so the rule does not hang on that flag."""
    spec = NetworkSpec(
        "rect", (7, 11), 3, (-1.0, 1.0), (AvgPool((3, 2), (2, 3)), Flatten()), ("a", "b")
    )
    shapes = spec.shapes()
    assert shapes[0].shape == (3, 3, 4)  # rows 0, 2, 4 (4..6); cols 0, 3, 6, 9 (9..10)
    assert shapes[0].formula == "rows: (7 - 3)/2 + 1 = 3; cols: (11 - 2)/3 + 1 = 4"
    x = np.random.default_rng(4).uniform(-1, 1, (3, 7, 11))
    got = build(spec).trace(x.astype(np.float32)).layers[0].values
    np.testing.assert_allclose(got, ref_avgpool(x, (3, 2), (2, 3)), atol=1e-6)
    t = torch.from_numpy(x)[None]
    a = torch.nn.functional.avg_pool2d(t, (3, 2), (2, 3), ceil_mode=True, count_include_pad=True)
    b = torch.nn.functional.avg_pool2d(t, (3, 2), (2, 3), ceil_mode=True, count_include_pad=False)
    np.testing.assert_allclose(a[0].numpy(), ref_avgpool(x, (3, 2), (2, 3)), atol=1e-12)
    np.testing.assert_allclose(b[0].numpy(), ref_avgpool(x, (3, 2), (2, 3)), atol=1e-12)


def test_batch_normalisation_in_eval_mode_matches_the_reference():
    spec = network("batchnorm")
    model = with_running_stats(build(spec, seed=2))
    trace = model.trace(image(2))
    sd = {k: v.double().numpy() for k, v in model.state_dict().items()}
    for i in layer_index(spec, "batchnorm"):
        x = trace.input_of(i).astype(np.float64)
        p = [sd[f"layers.{i}.{k}"] for k in ("weight", "bias", "running_mean", "running_var")]
        assert not np.allclose(p[2], 0) and not np.allclose(p[3], 1)  # non-trivial statistics
        np.testing.assert_allclose(trace.layers[i].values, ref_batchnorm(x, *p), atol=1e-5)


def test_the_trace_uses_running_statistics_and_never_moves_them():
    """A network left in training mode (a trace while it trains) still shows the running
    statistics' answer, and showing an image changes no buffer."""
    spec = network("batchnorm")
    model = with_running_stats(build(spec, seed=3))
    shown = model.trace(image(3))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    model.train()
    again = model.trace(image(3))
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k]), k
    np.testing.assert_array_equal(again.votes, shown.votes)


def test_batch_normalisation_trains_as_torchs_own():
    """In training mode: each batch's statistics, and the running ones moved by torch's momentum
    (0.1, unbiased variance), exactly as torch.nn.BatchNorm2d / BatchNorm1d do."""
    from convviz.core.layers.batchnorm import EPS_TEXT
    from convviz.core.layers.more_modules import BATCHNORM_EPS, BATCHNORM_MOMENTUM, BatchNorm

    assert float(EPS_TEXT) == BATCHNORM_EPS
    for shape, theirs in (
        ((6, 4, 5, 3), torch.nn.BatchNorm2d(4)),
        ((6, 4), torch.nn.BatchNorm1d(4)),
    ):
        ours = BatchNorm(4)
        assert theirs.momentum == BATCHNORM_MOMENTUM and theirs.eps == BATCHNORM_EPS
        theirs.load_state_dict({**ours.state_dict(), "num_batches_tracked": torch.tensor(0)})
        x = torch.randn(*shape, generator=torch.Generator().manual_seed(5)) * 3 + 1
        for m in (ours, theirs):
            m.train()
        torch.testing.assert_close(ours(x), theirs(x))
        torch.testing.assert_close(ours.running_mean, theirs.running_mean)
        torch.testing.assert_close(ours.running_var, theirs.running_var)
        assert "num_batches_tracked" not in ours.state_dict()
    one = BatchNorm(4).train()
    x = torch.randn(1, 4)
    torch.testing.assert_close(one(x), x / (1 + 1e-5) ** 0.5)  # one value a channel: as shown


def test_leaky_relu_sigmoid_and_tanh_match_the_reference():
    for kind, ref in (("leakyrelu", None), ("sigmoid", ref_sigmoid), ("tanh", np.tanh)):
        spec = network(kind)
        trace = build(spec, seed=4).trace(image(4))
        for i in layer_index(spec, kind):
            x = trace.input_of(i).astype(np.float64)
            want = ref_leakyrelu(x, spec.layers[i].slope) if ref is None else ref(x)
            np.testing.assert_allclose(trace.layers[i].values, want, atol=1e-6, err_msg=kind)
            if kind == "leakyrelu":
                assert (x < 0).any()  # the slope was exercised
    slopes = [layer.slope for layer in network("leakyrelu").layers if layer.kind == "leakyrelu"]
    assert slopes == [0.2, 0.01]  # given, and the default


def test_dropout_only_while_training():
    spec = network("dropout")
    model = build(spec, seed=5)
    trace = model.trace(image(5))
    for i in layer_index(spec, "dropout"):
        np.testing.assert_array_equal(trace.layers[i].values, trace.input_of(i))
    m = model.layers[2]
    x = torch.ones(1, 3, 7, 7)
    m.eval()
    assert torch.equal(m(x), x)
    m.train()
    y = m(x)
    kept = y != 0
    assert 0 < int(kept.sum()) < x.numel()  # some dropped, some kept ...
    torch.testing.assert_close(y[kept], torch.full_like(y[kept], 1 / 0.6))  # ... scaled up
    model.train()  # a trace while training still drops nothing
    np.testing.assert_array_equal(model.trace(image(5)).votes, trace.votes)


# ---- the whole way, kind by kind --------------------------------------------------------------
@pytest.mark.parametrize("kind", NEW_KINDS)
def test_each_kind_goes_the_whole_way(kind, tmp_path):
    ort = pytest.importorskip("onnxruntime")
    spec = network(kind)
    text = spec.to_json()
    assert NetworkSpec.from_json(text) == spec and NetworkSpec.from_json(text).to_json() == text
    table = spec.shapes()
    for i in layer_index(spec, kind):
        row = table[i]
        assert row.kind == kind and row.name.startswith(kind)
        if kind != "avgpool":  # the others keep the shape and say so
            assert row.shape == table[i - 1].shape
            assert row.formula.endswith(f"same shape: {'x'.join(map(str, row.shape))}")
    model = with_running_stats(build(spec, seed=6)).eval()  # as load_model gives it
    assert {k: tuple(v.shape) for k, v in model.state_dict().items()} == state_shapes(spec)
    assert sum(r.params for r in table) == sum(p.numel() for p in model.parameters())
    x = np.random.default_rng(6).uniform(-1, 1, (4, 1, 9, 9)).astype(np.float32)
    with torch.no_grad():
        want = model(torch.from_numpy(x)).numpy()
    trace = model.trace(x[0, 0])
    assert [t.kind for t in trace.layers[:-1]] == [la.kind for la in spec.layers]
    np.testing.assert_allclose(trace.votes, want[0], atol=1e-5)
    for suffix in (".safetensors", ".pt", ".onnx"):
        path = save_model(model, tmp_path / f"{kind}{suffix}")
        again, _ = load_model(path)
        assert again.spec == spec
        for k, v in model.state_dict().items():  # buffers included
            assert torch.equal(again.state_dict()[k], v), (suffix, k)
        np.testing.assert_array_equal(again.trace(x[0, 0]).votes, trace.votes)
    session = ort.InferenceSession(
        str(tmp_path / f"{kind}.onnx"), providers=["CPUExecutionProvider"]
    )
    got = session.run(["votes"], {"input": x})[0]
    np.testing.assert_allclose(got, want, atol=1e-5, rtol=0)


def test_batch_normalisation_counts_two_parameters_a_channel_and_saves_four_tensors(tmp_path):
    spec = network("batchnorm")
    table = spec.shapes()
    assert table[1].params == 2 * 3 and table[5].params == 2 * 6
    assert table[1].formula == ("(x - mean)/√(var + 0.00001)·γ + β per channel; same shape: 3x7x7")
    assert {k: v for k, v in state_shapes(spec).items() if k.startswith("layers.1.")} == {
        "layers.1.weight": (3,),
        "layers.1.bias": (3,),
        "layers.1.running_mean": (3,),
        "layers.1.running_var": (3,),
    }
    model = with_running_stats(build(spec))
    state, _ = read_weights(save_model(model, tmp_path / "bn.safetensors"))
    torch.testing.assert_close(state["layers.1.running_var"], model.layers[1].running_var)
    snap = model.snapshot()  # the panels' and the trainer's copy carries the buffers too
    np.testing.assert_array_equal(
        snap["layers.5.running_mean"], model.layers[5].running_mean.numpy()
    )
    fresh = build(spec, seed=9)
    fresh.load_snapshot(snap)
    np.testing.assert_array_equal(fresh.trace(image()).votes, model.trace(image()).votes)


def test_a_file_missing_the_running_statistics_is_refused(tmp_path):
    from safetensors.torch import save_file

    from convviz.core.errors import WeightsError
    from convviz.core.weights import metadata_for

    model = build(network("batchnorm"))
    state = {
        k: v.contiguous() for k, v in model.state_dict().items() if k != "layers.1.running_var"
    }
    path = tmp_path / "short.safetensors"
    save_file(state, str(path), metadata=metadata_for(model))
    with pytest.raises(WeightsError, match=r"layers\.1\.running_var is missing"):
        load_model(path)


def test_many_batch_normalisations_fit_a_weights_file(tmp_path):
    """Four tensors a layer: the number of tensors a file may hold allows for it."""
    from convviz.core.limits import MAX_LAYERS

    layers = (Conv(2, 3),) + (BatchNorm(),) * (MAX_LAYERS - 2) + (Flatten(),)
    spec = NetworkSpec("deep", 5, 1, (-1.0, 1.0), layers, ("a", "b"))
    model = build(spec)
    assert len(model.state_dict()) == 2 + 4 * (MAX_LAYERS - 2) + 2
    for suffix in (".safetensors", ".pt"):
        again, _ = load_model(save_model(model, tmp_path / f"deep{suffix}"))
        assert again.spec == spec


def test_training_leaves_no_validation_images_in_the_running_statistics():
    """The calibration after training runs the network as shown (eval mode): its thresholds are
    those the trained network gives, and batch normalisation's statistics stay the training's."""
    from convviz.core.training import TrainConfig, train
    from convviz.core.unsure import calibrate_model

    spec = NetworkSpec(
        "bn",
        8,
        1,
        (-1.0, 1.0),
        (Conv(3, 3, padding=1), BatchNorm(), ReLU(), Dropout(0.5), Flatten()),
        ("a", "b"),
    )
    model = build(spec)
    x = np.random.default_rng(0).uniform(-1, 1, (40, 1, 8, 8)).astype(np.float32)
    result = train(
        model,
        x,
        np.arange(40) % 2,
        TrainConfig(epochs=1, batch_size=8, device="cpu", val_split=0.25),
    )
    assert not model.training
    idx = np.asarray(result.val_indices)
    again = calibrate_model(model, torch.from_numpy(x[idx]))
    assert again == result.calibration


# ---- refusals ---------------------------------------------------------------------------------
def _spec_json(layer: dict) -> str:
    return json.dumps(
        {
            "name": "t",
            "input_size": 9,
            "classes": ["a", "b"],
            "layers": [{"kind": "conv", "features": 2, "size": 3}, layer, {"kind": "flatten"}],
        }
    )


@pytest.mark.parametrize(
    "layer, words_in",
    [
        (
            {"kind": "leakyrelu", "slope": 1.5},
            ["layer 2 (leakyrelu)", "slope", "between 0 and 1", "1.5"],
        ),
        ({"kind": "leakyrelu", "slope": -0.1}, ["layer 2 (leakyrelu)", "slope", "-0.1"]),
        ({"kind": "leakyrelu", "slope": "a"}, ["layer 2 (leakyrelu)", "slope", "'a'"]),
        ({"kind": "leakyrelu", "slope": float("nan")}, ["layer 2 (leakyrelu)", "slope"]),
        ({"kind": "dropout", "p": 1}, ["layer 2 (dropout)", "p", "less than 1", "got 1"]),
        ({"kind": "dropout", "p": -0.5}, ["layer 2 (dropout)", "p", "-0.5"]),
        ({"kind": "dropout", "rate": 0.5}, ["layer 2 (dropout)", "unknown field 'rate'"]),
        (
            {"kind": "batchnorm", "momentum": 0.1},
            ["layer 2 (batchnorm)", "unknown field 'momentum'"],
        ),
        ({"kind": "sigmoid", "x": 1}, ["layer 2 (sigmoid)", "unknown field 'x'"]),
        ({"kind": "avgpool", "window": 2}, ["layer 2 (avgpool)", "missing the field 'stride'"]),
        (
            {"kind": "avgpool", "window": [8, 2], "stride": 1},
            ["layer 2 (avgpool1)", "8x2", "7x7", "rows: 8 > 7"],
        ),
        ({"kind": "avgpool", "window": 2, "stride": 0}, ["layer 2 (avgpool1)", "at least 1"]),
    ],
)
def test_refusals_name_the_layer_the_field_and_the_number(layer, words_in):
    with pytest.raises(SpecError) as e:
        NetworkSpec.from_json(_spec_json(layer)).validate()
    said = str(e.value)
    assert "\n" not in said and all(w in said for w in words_in), said


@pytest.mark.parametrize(
    "layers, words_in",
    [
        ((Flatten(), AvgPool(2, 2)), ["layer 2 (avgpool1)", "flat"]),
        ((Conv(2, 3), LeakyReLU(2.0), Flatten()), ["layer 2 (leakyrelu1) slope", "2"]),
        ((Conv(2, 3), Dropout(float("inf")), Flatten()), ["layer 2 (dropout1) p"]),
    ],
)
def test_layers_made_in_python_get_the_same_checks(layers, words_in):
    with pytest.raises(SpecError) as e:
        NetworkSpec("t", 9, 1, (-1.0, 1.0), layers, ("a", "b")).validate()
    assert all(w in str(e.value) for w in words_in), str(e.value)


def test_defaults_are_written_back_and_read_as_given():
    spec = NetworkSpec.from_json(_spec_json({"kind": "dropout"}))
    assert spec.layers[1] == Dropout(0.5)
    assert spec.to_dict()["layers"][1] == {"p": 0.5, "kind": "dropout"}
    spec = NetworkSpec.from_json(_spec_json({"kind": "leakyrelu", "slope": 0}))
    assert spec.layers[1] == LeakyReLU(0.0) and spec.shapes()[1].formula.startswith(
        "x if x > 0, else 0·x"
    )
    assert NetworkSpec.from_json(_spec_json({"kind": "batchnorm"})).layers[1] == BatchNorm()
    assert NetworkSpec.from_json(_spec_json({"kind": "tanh"})).layers[1] == Tanh()


def test_the_architecture_editor_says_in_one_line_it_rebuilds_such_a_network():
    """The knobs describe plain stacks (convolution, ReLU, max pooling): a network with a new
    kind is not one, and applying the knobs rebuilds it (the panel's note says so in one line)."""
    for kind in NEW_KINDS:
        spec = network(kind)
        assert not is_plain(spec), kind
        knobs_from_spec(spec)  # reads what it can; nothing raises
    plain = NetworkSpec(
        "p", 9, 1, (-1.0, 1.0), (Conv(3, 3), ReLU(), MaxPool(2, 2), Flatten()), ("a", "b")
    )
    assert is_plain(plain)


def test_torchs_batch_counter_is_not_kept_and_a_file_with_it_is_refused(tmp_path):
    """convviz keeps no num_batches_tracked (an int64 counter used only when momentum is None):
    a file carrying one, e.g. from torch's own BatchNorm2d, is refused in one line naming it."""
    from convviz.core.errors import WeightsError
    from convviz.core.weights import metadata_for

    model = build(network("batchnorm"))
    assert not any(k.endswith("num_batches_tracked") for k in model.state_dict())
    state = {**model.state_dict(), "layers.1.num_batches_tracked": torch.tensor(7)}
    path = tmp_path / "counter.pt"
    torch.save({"state_dict": state, "metadata": metadata_for(model)}, path)
    with pytest.raises(WeightsError) as e:
        load_model(path)
    assert "unexpected tensor layers.1.num_batches_tracked" in str(e.value)
    assert "\n" not in str(e.value)
