"""Global average pooling ("gap") and the residual block ("residual"): shapes table, refusals,
a float64 numpy reference (identity skip and 1x1 projection skip), the trace's inside/skip/sum
entries, weights by dotted name, safetensors/.pt/ONNX round trips."""

import json

import numpy as np
import pytest
import torch

from convviz.core.errors import SpecError
from convviz.core.layers import GlobalAvgPool, Residual, words
from convviz.core.limits import MAX_RESIDUAL_DEPTH, MAX_RESIDUAL_LAYERS
from convviz.core.network import build, state_shapes
from convviz.core.presets import preset
from convviz.core.spec import Conv, NetworkSpec, ReLU, every_row
from convviz.core.weights import load_model, save_model


def spec_of(layers, side=8, channels=3):
    return NetworkSpec("r", (side, side), channels, (-1.0, 1.0), tuple(layers), ("a", "b"))


IDENTITY = Residual((Conv(4, 3, padding=1), ReLU(), Conv(4, 3, padding=1)))
PROJECT = Residual((Conv(6, 2, stride=2), ReLU()))
NET = spec_of([Conv(4, 3, padding=1), ReLU(), IDENTITY, PROJECT, GlobalAvgPool()])


def _jiggled(spec, seed=3):
    model = build(spec, seed=seed)
    with torch.no_grad():  # move every weight so nothing matches by luck (biases included)
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    return model


# ---- float64 reference --------------------------------------------------------------------------
def ref_conv(x, w, b, stride=1, pad=0):
    c, h, wd = x.shape
    f, _, kh, kw = w.shape
    xp = np.zeros((c, h + 2 * pad, wd + 2 * pad))
    xp[:, pad : pad + h, pad : pad + wd] = x
    ho, wo = (h + 2 * pad - kh) // stride + 1, (wd + 2 * pad - kw) // stride + 1
    out = np.zeros((f, ho, wo))
    for fi in range(f):
        for i in range(ho):
            for j in range(wo):
                patch = xp[:, i * stride : i * stride + kh, j * stride : j * stride + kw]
                out[fi, i, j] = float((patch * w[fi]).sum()) + b[fi]
    return out


def test_reference_identity_and_projection_skip_and_gap():
    model = _jiggled(NET)
    snap = model.snapshot()
    w = {k: v.astype(np.float64) for k, v in snap.items()}
    x = np.random.default_rng(0).uniform(-1, 1, (3, 8, 8))

    def conv(name, h, stride=1, pad=1):
        return ref_conv(
            h, snap.weight(name).astype(np.float64), snap.bias(name).astype(np.float64), stride, pad
        )

    stem = np.maximum(conv("conv1", x), 0)
    inner = conv("residual1.conv2", np.maximum(conv("residual1.conv1", stem), 0))
    res1 = inner + stem  # identity skip
    inner2 = np.maximum(conv("residual2.conv1", res1, stride=2, pad=0), 0)
    skip2 = conv("residual2.skip", res1, stride=2, pad=0)  # 1x1, stride 8/4 = 2
    res2 = inner2 + skip2
    gap = res2.mean(axis=(1, 2))
    votes = w["layers.5.weight"] @ gap + w["layers.5.bias"]

    trace = model.trace(x.astype(np.float32))
    got = {lt.name: lt.values for lt in trace.walk()}
    for name, want in [
        ("conv1", conv("conv1", x)),
        ("residual1.conv2", inner),
        ("residual1.skip", stem),
        ("residual1", res1),
        ("residual2.relu1", inner2),
        ("residual2.skip", skip2),
        ("residual2", res2),
        ("gap1", gap),
        ("votes", votes),
    ]:
        np.testing.assert_allclose(got[name], want, atol=1e-5, err_msg=name)
    with torch.no_grad():
        plain = model(torch.as_tensor(x, dtype=torch.float32)[None])[0].numpy()
    np.testing.assert_allclose(trace.votes, plain, atol=1e-6)


# ---- shapes table and refusals ------------------------------------------------------------------
def test_shapes_table_has_the_inside_the_skip_and_the_sum():
    rows = every_row(NET.shapes())
    table = [(r.name, r.kind, r.shape, r.params) for r in rows]
    assert table == [
        ("conv1", "conv", (4, 8, 8), 112),
        ("relu1", "relu", (4, 8, 8), 0),
        ("residual1.conv1", "conv", (4, 8, 8), 148),
        ("residual1.relu1", "relu", (4, 8, 8), 0),
        ("residual1.conv2", "conv", (4, 8, 8), 148),
        ("residual1.skip", "residual.skip", (4, 8, 8), 0),
        ("residual1", "residual", (4, 8, 8), 296),
        ("residual2.conv1", "conv", (6, 4, 4), 102),
        ("residual2.relu1", "relu", (6, 4, 4), 0),
        ("residual2.skip", "residual.skip", (6, 4, 4), 4 * 6 + 6),
        ("residual2", "residual", (6, 4, 4), 132),
        ("gap1", "gap", (6,), 0),
        ("votes", "votes", (2,), 14),
    ]
    text = {r.name: r.formula for r in rows}
    assert text["residual2.skip"] == ("1×1 convolution, 6 features, stride 2×2: 8/2 = 4, 8/2 = 4")
    assert text["residual1.skip"].startswith("the block's input as it is")
    assert text["gap1"] == "the mean of each 4×4 map: 6 maps → 6 values"
    # the top-level rows add up to the network's parameters; the block's row holds its inside
    assert sum(s.params for s in NET.shapes()) == sum(p.numel() for p in build(NET).parameters())
    assert words("residual.skip")[0] == "skip path" and words("residual")[0] == "residual block"


@pytest.mark.parametrize(
    "layers, words_",
    [
        (
            [Residual((Conv(4, 3),))],
            "rows: the inside gives 6 from 8; a 1x1 skip convolution needs",
        ),
        (
            [Residual((Conv(4, 3, stride=2),))],
            "inner layer 1 (conv1): rows: (W - F + 2P)/S + 1 = (8 - 3 + 2*0)/2 + 1 = 3.5 is not",
        ),
        ([Residual(())], "needs at least one layer inside"),
        ([GlobalAvgPool(), Residual((ReLU(),))], "a residual block needs maps"),
        ([GlobalAvgPool(), GlobalAvgPool()], "global average pooling needs maps"),
    ],
)
def test_refusals_name_the_block_and_the_numbers(layers, words_):
    tail = [] if isinstance(layers[-1], GlobalAvgPool) else [GlobalAvgPool()]
    with pytest.raises(SpecError, match="layer") as e:
        spec_of(layers + tail).shapes()
    assert words_ in str(e.value)


def test_nesting_and_layer_count_are_bounded_before_anything_is_worked_out():
    block = Residual((ReLU(),))
    for _ in range(MAX_RESIDUAL_DEPTH - 1):
        block = Residual((block,))
    spec_of([block, GlobalAvgPool()]).shapes()  # at the limit: fine
    with pytest.raises(SpecError, match=f"nested {MAX_RESIDUAL_DEPTH + 1} deep; the limit is"):
        spec_of([Residual((block,)), GlobalAvgPool()]).shapes()
    half = tuple(ReLU() for _ in range(MAX_RESIDUAL_LAYERS // 2 + 1))
    many = Residual((Residual(half), *half))  # each list within the limit, together over it
    with pytest.raises(SpecError, match=f"more than {MAX_RESIDUAL_LAYERS} layers inside"):
        spec_of([many, GlobalAvgPool()]).shapes()


def test_the_budget_counts_the_inside():
    big = Residual((Conv(500, 1), ReLU(), Conv(500, 1)))  # 500 maps of 64x64: 2M values each
    with pytest.raises(SpecError, match=r"inner layer 2 \(relu1\).*layer outputs would be"):
        spec_of([big, GlobalAvgPool()], side=64).shapes()


def test_training_memory_counts_the_inside_and_the_skip_too():
    from convviz.core.budget import activation_values

    # NET on 8x8x3: conv 4x8x8, relu 4x8x8, IDENTITY (inside 3 rows of 4x8x8, sum 4x8x8),
    # PROJECT (inside 2 rows of 6x4x4, 1x1-conv skip 6x4x4, sum 6x4x4), gap 6, votes 2
    rows = every_row(NET.shapes())
    assert any(s.name.endswith(".skip") for s in rows)
    assert activation_values(NET) == sum(int(np.prod(s.shape)) for s in rows)
    assert activation_values(NET) > sum(int(np.prod(s.shape)) for s in NET.shapes())


def test_json_round_trip_nested_and_unknown_fields():
    nested = spec_of([Residual((IDENTITY, ReLU())), GlobalAvgPool()])
    d = json.loads(nested.to_json())
    assert d["layers"][0] == {
        "layers": [
            {"layers": d["layers"][0]["layers"][0]["layers"], "kind": "residual"},
            {"kind": "relu"},
        ],
        "kind": "residual",
    }
    assert NetworkSpec.from_json(nested.to_json()) == nested
    d["layers"][0]["layers"][1] = {"kind": "relu", "slope": 2}
    with pytest.raises(SpecError, match=r"layer 1 \(residual\) inner layer 2 \(relu\): unknown"):
        NetworkSpec.from_dict(d)
    d["layers"][0] = {"kind": "residual"}
    with pytest.raises(SpecError, match="missing the field 'layers'"):
        NetworkSpec.from_dict(d)


# ---- torch, trace, weights ----------------------------------------------------------------------
def test_state_keys_are_nested_and_read_by_dotted_name():
    model = _jiggled(NET)
    assert state_shapes(NET) == {k: tuple(v.shape) for k, v in model.state_dict().items()}
    assert "layers.2.inner.2.weight" in model.state_dict()
    assert "layers.3.skip.weight" in model.state_dict()
    assert "layers.2.skip.weight" not in model.state_dict()  # identity: no skip weights
    snap = model.snapshot()
    assert np.array_equal(
        snap.weight("residual1.conv2"), model.layers[2].inner[2].weight.detach().numpy()
    )
    assert np.array_equal(
        snap.weight("residual2.skip"), model.layers[3].skip.weight.detach().numpy()
    )
    assert snap.bias("residual2.skip").shape == (6,)
    assert snap.has_weights("residual1.conv1") and not snap.has_weights("residual1.skip")
    import pickle

    again = pickle.loads(pickle.dumps(snap))  # the trainer's pipe
    assert np.array_equal(again.weight("residual2.conv1"), snap.weight("residual2.conv1"))


def test_trace_order_inside_then_skip_then_sum_and_layers_stay_one_per_layer():
    trace = _jiggled(NET).trace(np.zeros((3, 8, 8), np.float32))
    assert [lt.name for lt in trace.layers] == [
        "conv1",
        "relu1",
        "residual1",
        "residual2",
        "gap1",
        "votes",
    ]
    assert [lt.name for lt in trace.walk()][2:7] == [
        "residual1.conv1",
        "residual1.relu1",
        "residual1.conv2",
        "residual1.skip",
        "residual1",
    ]
    assert trace.layer("residual2.skip").kind == "residual.skip"
    assert trace.layer("residual2").values.shape == (6, 4, 4)


@pytest.mark.parametrize("suffix", [".safetensors", ".pt"])
def test_weights_files_round_trip_gives_identical_outputs(tmp_path, suffix):
    model = _jiggled(NET)
    path = save_model(model, tmp_path / f"r{suffix}")
    back, _ = load_model(path)
    x = torch.from_numpy(np.random.default_rng(1).uniform(-1, 1, (4, 3, 8, 8)).astype(np.float32))
    with torch.no_grad():
        assert torch.equal(back(x), model(x))
    assert back.spec == NET


def test_onnxruntime_matches_torch_for_residual_and_gap(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    from convviz.core.onnx_export import export_onnx, read_onnx

    for spec in (NET, preset("resnet")):
        model = _jiggled(spec)
        out = export_onnx(model, tmp_path / f"{spec.name}.onnx")
        session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
        x = np.random.default_rng(2).uniform(-1, 1, (5, 3, spec.rows, spec.cols))
        x = x.astype(np.float32)
        with torch.no_grad():
            want = model(torch.from_numpy(x)).numpy()
        np.testing.assert_allclose(session.run(["votes"], {"input": x})[0], want, atol=1e-5)
        state, meta = read_onnx(out)
        rebuilt = build(NetworkSpec.from_json(meta["spec"]), seed=99)
        rebuilt.load_state_dict(state)
        with torch.no_grad():
            torch.testing.assert_close(rebuilt(torch.from_numpy(x)), model(torch.from_numpy(x)))


def test_resnet_preset_layout():
    spec = preset("resnet")
    rows = {r.name: r for r in every_row(spec.shapes())}
    assert spec.channels == 3 and spec.input_shape == (32, 32)
    assert rows["residual1.skip"].params == 0  # the input as it is
    assert rows["conv1"].shape == (16, 16, 16) and rows["residual1"].shape == (16, 16, 16)
    assert rows["residual2"].shape == (32, 8, 8) and rows["residual2.skip"].params == 32 * 16 + 32
    assert rows["residual3"].shape == (32, 4, 4) and rows["gap1"].shape == (32,)
