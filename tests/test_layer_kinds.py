"""Layer kinds declared once (convviz/core/layers/) and inputs of any shape.

Rectangular convolution and pooling against a float64 numpy reference written with loops; the
refusals naming the dimension; old `input_size` files still read; the bundled weights still
load; a toy kind registered here alone going the whole way (JSON, build, trace, shapes table,
weights saved and loaded); a 3-channel network traced, saved and loaded; ONNX of a rectangular
3-channel network against onnxruntime.
"""

import json
from dataclasses import dataclass, field

import numpy as np
import pytest
import torch
from reference import rect_spec, window_starts

from convviz.core.bundled import bundled_path
from convviz.core.errors import DataError, SpecError
from convviz.core.knobs import Knobs, apply_knobs
from convviz.core.layer_rows import LayerRows
from convviz.core.layers import (
    LayerKind,
    kind_names,
    kind_of,
    layer_from_dict,
    layer_to_dict,
    register,
    unregister,
    words,
)
from convviz.core.layers.registry import Field, number
from convviz.core.network import build, state_shapes
from convviz.core.presets import PRESETS, preset
from convviz.core.spec import Conv, Dense, Flatten, MaxPool, NetworkSpec, ReLU
from convviz.core.spec_json import listed
from convviz.core.weights import load_model, save_model


# ---- the reference (float64, loops), every number given per dimension -------------------------
def ref_conv(x, w, b, stride, pad):
    """x (C, H, W), w (F, C, kh, kw), b (F,), stride and pad (rows, cols) -> (F, Ho, Wo)."""
    c, h, wd = x.shape
    f, _, kh, kw = w.shape
    (sr, sc), (pr, pc) = stride, pad
    xp = np.zeros((c, h + 2 * pr, wd + 2 * pc))
    xp[:, pr : pr + h, pc : pc + wd] = x
    ho, wo = (h + 2 * pr - kh) // sr + 1, (wd + 2 * pc - kw) // sc + 1
    out = np.zeros((f, ho, wo))
    for fi in range(f):
        for i in range(ho):
            for j in range(wo):
                total = 0.0
                for ci in range(c):
                    for u in range(kh):
                        for v in range(kw):
                            total += xp[ci, i * sr + u, j * sc + v] * w[fi, ci, u, v]
                out[fi, i, j] = total + b[fi]
    return out


def ref_pool(x, window, stride):
    """x (C, H, W), window and stride (rows, cols) -> (max, winners as flat index into H x W)."""
    c, h, w = x.shape
    rows, cols = window_starts(h, window[0], stride[0]), window_starts(w, window[1], stride[1])
    out = np.zeros((c, len(rows), len(cols)))
    win = np.zeros(out.shape, np.int64)
    for ci in range(c):
        for i, r0 in enumerate(rows):
            for j, c0 in enumerate(cols):
                best, at = -np.inf, -1
                for r in range(r0, min(r0 + window[0], h)):
                    for q in range(c0, min(c0 + window[1], w)):
                        if x[ci, r, q] > best:
                            best, at = x[ci, r, q], r * w + q
                out[ci, i, j], win[ci, i, j] = best, at
    return out, win


def test_rectangular_conv_and_pool_match_the_float64_reference():
    spec = rect_spec()
    model = build(spec, seed=1)
    image = np.random.default_rng(7).uniform(-1, 1, (3, 11, 16)).astype(np.float32)
    trace = model.trace(image)
    sd = {k: v.double().numpy() for k, v in model.state_dict().items()}
    conv = ref_conv(
        image.astype(np.float64), sd["layers.0.weight"], sd["layers.0.bias"], (2, 1), (1, 2)
    )
    assert trace.layers[0].values.shape == conv.shape == (4, 6, 16)
    np.testing.assert_allclose(trace.layers[0].values, conv, atol=1e-5)
    relu = np.maximum(conv, 0)
    pooled, winners = ref_pool(relu, (2, 3), (2, 2))
    assert trace.layers[2].values.shape == pooled.shape == (4, 3, 8)
    np.testing.assert_allclose(trace.layers[2].values, pooled, atol=1e-5)
    picked = np.take_along_axis(relu.reshape(4, -1), trace.layers[2].winners.reshape(4, -1), 1)
    np.testing.assert_allclose(picked.reshape(pooled.shape), pooled, atol=1e-5)
    assert trace.layers[2].winners.dtype == np.int32
    assert (winners >= 0).all()
    rows = [s.formula for s in spec.shapes()]
    assert rows[0] == "rows: (11 - 3 + 2·1)/2 + 1 = 6; cols: (16 - 5 + 2·2)/1 + 1 = 16"
    assert rows[2] == "rows: (6 - 2)/2 + 1 = 3; cols: (16 - 3)/2 + 1 = 7.5 → 8"
    assert spec.shapes()[0].params == 4 * 3 * 3 * 5 + 4


@pytest.mark.parametrize(
    "layers, words_in",
    [
        (
            (Conv(2, (3, 4), stride=(1, 2)), Flatten()),
            ["layer 1 (conv1)", "cols", "(9 - 4 + 2*0)/2 + 1", "3.5", "whole number"],
        ),
        (
            (Conv(2, (2, 3), stride=(2, 1)), Flatten()),
            ["layer 1 (conv1)", "rows", "(9 - 2 + 2*0)/2 + 1", "4.5"],
        ),
        ((Conv(2, (3, 12)), Flatten()), ["layer 1 (conv1)", "3x12", "9x9", "cols: 12 > 9"]),
        ((MaxPool((10, 2), 1), Flatten()), ["layer 1 (pool1)", "10x2", "9x9", "rows: 10 > 9"]),
        ((Conv(2, 3, padding=(0, -1)), Flatten()), ["layer 1 (conv1)", "(0, -1)"]),
    ],
)
def test_refusals_name_the_layer_and_the_dimension(layers, words_in):
    with pytest.raises(SpecError) as e:
        NetworkSpec("t", 9, 1, (-1.0, 1.0), layers, ("a", "b")).validate()
    assert all(w in str(e.value) for w in words_in), str(e.value)


def test_input_shape_rows_and_cols_and_the_per_dimension_limit():
    spec = rect_spec()
    assert (spec.rows, spec.cols, spec.input_shape) == (11, 16, (11, 16))
    with pytest.raises(SpecError, match="11x16"):  # code that assumes a square is told
        _ = spec.input_size
    assert NetworkSpec("sq", 9, 1, (0.0, 1.0), (Flatten(),), ("a", "b")).input_shape == (9, 9)
    with pytest.raises(SpecError, match="input 5x5000x1 is larger than the limit"):
        NetworkSpec("wide", (5, 5000), 1, (0.0, 1.0), (Flatten(),), ("a", "b")).validate()
    d = spec.to_dict()
    d["input_shape"] = [11, 1.5]
    with pytest.raises(SpecError, match="input_shape cols must be a whole number"):
        NetworkSpec.from_dict(d)
    d["input_size"] = 11
    with pytest.raises(SpecError, match="not both"):
        NetworkSpec.from_dict(d)


def test_old_input_size_json_round_trips_byte_for_byte():
    old = {
        "name": "xo",
        "input_size": 9,
        "channels": 1,
        "value_range": [-1.0, 1.0],
        "layers": [
            {
                "features": 3,
                "size": 3,
                "stride": 1,
                "padding": 0,
                "divide": False,
                "bias": True,
                "kind": "conv",
            },
            {"kind": "relu"},
            {"window": 2, "stride": 2, "kind": "pool"},
            {"kind": "flatten"},
        ],
        "classes": ["X", "O"],
    }
    spec = NetworkSpec.from_json(json.dumps(old))
    assert spec.input_shape == (9, 9)
    assert spec.to_json() == json.dumps(old)  # an int stays an int; a square keeps input_size
    as_shape = dict(old, input_shape=[9, 9])
    del as_shape["input_size"]
    assert NetworkSpec.from_dict(as_shape) == spec


def test_rectangular_numbers_round_trip_as_written():
    spec = rect_spec()
    d = spec.to_dict()
    assert d["input_shape"] == [11, 16] and "input_size" not in d
    assert d["layers"][0]["size"] == [3, 5] and d["layers"][0]["stride"] == [2, 1]
    assert d["layers"][2] == {"window": [2, 3], "stride": 2, "kind": "pool"}
    again = NetworkSpec.from_json(spec.to_json())
    assert again == spec and again.to_json() == spec.to_json()
    bad = json.loads(spec.to_json())
    bad["layers"][0]["size"] = [3, 5, 7]
    with pytest.raises(SpecError, match=r"layer 1 \(conv\) size must be one whole number or two"):
        NetworkSpec.from_dict(bad)


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_bundled_weights_still_load(name):
    path = bundled_path(name)
    if not path.is_file():
        pytest.skip(f"no bundled weights for {name}")
    model, _ = load_model(path)
    assert model.spec.layers == preset(name).layers
    assert model.spec.input_shape == preset(name).input_shape


def test_three_channel_network_traces_saves_and_loads(tmp_path):
    spec = NetworkSpec(
        "colour",
        (8, 12),
        3,
        (0.0, 1.0),
        (Conv(5, 3, padding=1), ReLU(), MaxPool(2, 2), Flatten(), Dense(6), ReLU()),
        ("r", "g", "b"),
    )
    model = build(spec, seed=2)
    assert state_shapes(spec)["layers.0.weight"] == (5, 3, 3, 3)
    image = np.random.default_rng(3).uniform(0, 1, (3, 8, 12)).astype(np.float32)
    trace = model.trace(image)
    assert trace.input.shape == (3, 8, 12) and trace.layers[2].values.shape == (5, 4, 6)
    for suffix in (".safetensors", ".pt"):
        path = save_model(model, tmp_path / f"colour{suffix}")
        again, _ = load_model(path)
        assert again.spec == spec
        np.testing.assert_array_equal(again.trace(image).votes, trace.votes)


def test_onnx_of_a_rectangular_colour_network_matches_onnxruntime(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    from convviz.core.onnx_export import export_onnx

    spec = rect_spec(hidden=7)
    model = build(spec, seed=4)
    out = export_onnx(model, tmp_path / "rect.onnx")
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    x = np.random.default_rng(1).uniform(-1, 1, (5, 3, 11, 16)).astype(np.float32)
    got = session.run(["votes"], {"input": x})[0]
    with torch.no_grad():
        want = model(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(got, want, atol=1e-5, rtol=0)


# ---- a toy kind, registered here alone ---------------------------------------------------------
@dataclass(frozen=True)
class Scale:
    """Multiplies every value by `factor` and adds a learned bias per channel."""

    factor: int = 2
    kind: str = field(default="scale", init=False)


class _ScaleModule(torch.nn.Module):
    def __init__(self, channels, factor):
        super().__init__()
        self.factor = factor
        self.shift = torch.nn.Parameter(torch.zeros(channels))

    def forward(self, x):
        return x * self.factor + self.shift.view(1, -1, 1, 1)


class ScaleKind(LayerKind):
    name = "scale"
    layer_type = Scale
    fields = (Field("factor", number("factor"), required=False),)
    label = "scaling"
    after = "after scaling"
    description = "Multiplies every value by a number and shifts each map by its own amount."

    def out_shape(self, layer, shape, where):
        if len(shape) != 3:
            raise SpecError(f"{where}: scaling needs maps")
        if layer.factor < 1:
            raise SpecError(f"{where}: factor must be at least 1, got {layer.factor}")
        return shape

    def formula(self, layer, shape):
        return f"values x {layer.factor}"

    def state_shapes(self, layer, shape):
        return {"shift": (shape[0],)}

    def module(self, layer, shape):
        return _ScaleModule(shape[0], layer.factor)

    def trace(self, module, x):
        y = module(x)
        return y, {"winners": (y > 0).to(torch.int64)}  # any LayerTrace field


@pytest.fixture
def scale_kind():
    register(ScaleKind())
    yield
    unregister("scale")


def test_a_toy_kind_goes_the_whole_way(scale_kind, tmp_path):
    assert "scale" in kind_names() and words("scale") == ("scaling", "after scaling")
    text = json.dumps(
        {
            "name": "toy",
            "input_shape": [6, 7],
            "channels": 2,
            "value_range": [-1, 1],
            "layers": [
                {"kind": "conv", "features": 3, "size": [3, 2]},
                {"kind": "scale", "factor": 3},
                {"kind": "flatten"},
            ],
            "classes": ["a", "b"],
        }
    )
    spec = NetworkSpec.from_json(text)
    assert spec.layers[1] == Scale(3)
    assert NetworkSpec.from_json(spec.to_json()) == spec  # JSON round trip
    table = spec.shapes()  # the shapes table
    assert (table[1].name, table[1].kind, table[1].shape, table[1].params, table[1].formula) == (
        "scale1",
        "scale",
        (3, 4, 6),
        3,
        "values x 3",
    )
    assert state_shapes(spec)["layers.1.shift"] == (3,)
    model = build(spec, seed=0)
    assert {k: tuple(v.shape) for k, v in model.state_dict().items()} == state_shapes(spec)
    with torch.no_grad():
        model.layers[1].shift.copy_(torch.tensor([0.5, -0.25, 1.0]))
    image = np.random.default_rng(0).uniform(-1, 1, (2, 6, 7)).astype(np.float32)
    trace = model.trace(image)
    np.testing.assert_allclose(
        trace.layers[1].values,
        trace.layers[0].values * 3 + np.array([0.5, -0.25, 1.0])[:, None, None],
        atol=1e-6,
    )
    assert trace.layers[1].winners.dtype == np.int32  # the kind's own trace entry
    for suffix in (".safetensors", ".pt"):  # save and load
        again, _ = load_model(save_model(model, tmp_path / f"toy{suffix}"))
        np.testing.assert_array_equal(again.trace(image).votes, trace.votes)
    with pytest.raises(SpecError, match=r"layer 2 \(scale\): unknown field 'evil'"):
        NetworkSpec.from_json(text.replace('"factor": 3', '"evil": 3'))
    with pytest.raises(SpecError, match=r"layer 2 \(scale1\): factor must be at least 1"):
        NetworkSpec.from_json(text.replace('"factor": 3', '"factor": 0'))


def test_an_unregistered_kind_is_refused_with_the_known_ones():
    with pytest.raises(SpecError, match=r"unknown kind 'scale'.*conv"):
        NetworkSpec.from_json(
            json.dumps({"input_size": 5, "classes": ["a", "b"], "layers": [{"kind": "scale"}]})
        )


def test_knobs_table_reads_the_kinds_formulas():
    spec = apply_knobs(preset("xo"), Knobs((3,), 3, 1, 0, 2, 2))
    result = LayerRows.from_spec(spec).lines()  # the Architecture panel's list
    assert [ln.formula for ln in result.lines][:3] == [
        "(9 - 3 + 2·0)/1 + 1 = 7",
        "",
        "(7 - 2)/2 + 1 = 3.5 → 4",
    ]


# ---- a toy composite kind: a block of layers whose input is added to its output ----------------
@dataclass(frozen=True)
class Block:
    layers: tuple
    kind: str = field(default="block", init=False)


def _inner_layers(v, where):
    return tuple(
        layer_from_dict(d, f"{where} layer {j + 1}")
        for j, d in enumerate(listed(v, f"{where} layers", SpecError, 8))
    )


class _BlockModule(torch.nn.Module):
    def __init__(self, body):
        super().__init__()
        self.body = torch.nn.ModuleList(body)

    def forward(self, x):
        y = x
        for m in self.body:
            y = m(y)
        return x + y


class BlockKind(LayerKind):
    """Every method recurses through the inner layers' own declarations."""

    name = "block"
    layer_type = Block
    fields = (Field("layers", _inner_layers, write=lambda ls: [layer_to_dict(la) for la in ls]),)
    label = "block"
    description = "A run of layers whose input is added to their output."

    def _walk(self, layer, shape):
        """(kind, inner layer, its input shape) for each inner layer (out_shape checked them)."""
        for inner in layer.layers:
            kind = kind_of(inner)
            yield kind, inner, shape
            shape = kind.out_shape(inner, shape, "")

    def out_shape(self, layer, shape, where):
        out = shape
        for j, inner in enumerate(layer.layers):
            out = kind_of(inner).out_shape(inner, out, f"{where} layer {j + 1}")
        if out != shape:
            raise SpecError(f"{where}: the block gives {out}, not its input's {shape}")
        return shape

    def params(self, layer, shape):
        return sum(kind.params(inner, s) for kind, inner, s in self._walk(layer, shape))

    def state_shapes(self, layer, shape):
        return {
            f"body.{j}.{suffix}": t
            for j, (kind, inner, s) in enumerate(self._walk(layer, shape))
            for suffix, t in kind.state_shapes(inner, s).items()
        }

    def module(self, layer, shape):
        return _BlockModule([kind.module(inner, s) for kind, inner, s in self._walk(layer, shape)])


@pytest.fixture
def block_kind():
    register(BlockKind())
    yield
    unregister("block")


def test_a_composite_kind_nests_json_shapes_weights_and_trace(block_kind, tmp_path):
    text = json.dumps(
        {
            "input_shape": [5, 8],
            "channels": 3,
            "classes": ["a", "b"],
            "layers": [
                {
                    "kind": "block",
                    "layers": [
                        {"kind": "conv", "features": 3, "size": [3, 1], "padding": [1, 0]},
                        {"kind": "relu"},
                    ],
                },
                {"kind": "flatten"},
            ],
        }
    )
    spec = NetworkSpec.from_json(text)
    assert spec.layers[0] == Block((Conv(3, (3, 1), padding=(1, 0)), ReLU()))
    assert NetworkSpec.from_json(spec.to_json()) == spec
    assert spec.shapes()[0].params == 3 * 3 * 3 * 1 + 3
    assert state_shapes(spec) == {
        "layers.0.body.0.weight": (3, 3, 3, 1),
        "layers.0.body.0.bias": (3,),
        "layers.2.weight": (2, 120),
        "layers.2.bias": (2,),
    }
    model = build(spec)
    image = np.random.default_rng(0).uniform(-1, 1, (3, 5, 8)).astype(np.float32)
    trace = model.trace(image)
    assert trace.layers[0].values.shape == (3, 5, 8)
    again, _ = load_model(save_model(model, tmp_path / "block.safetensors"))
    np.testing.assert_array_equal(again.trace(image).votes, trace.votes)
    with pytest.raises(SpecError, match=r"layer 1 \(block\) layer 2 \(pool\) is missing"):
        NetworkSpec.from_json(text.replace('{"kind": "relu"}', '{"kind": "pool", "window": 2}'))
    with pytest.raises(SpecError, match=r"layer 1 \(block1\) layer 1: cols: .*not a whole"):
        NetworkSpec.from_json(text.replace('"padding": [1, 0]', '"stride": [1, 2]'))


def test_a_rectangular_colour_network_trains():
    from convviz.core.training import TrainConfig, train

    spec = NetworkSpec(
        "rect",
        (10, 14),
        3,
        (0.0, 1.0),
        (Conv(4, (3, 5), padding=(1, 2)), ReLU(), MaxPool(2, 2), Flatten()),
        ("a", "b"),
    )
    model = build(spec)
    before = model.state_dict()["layers.0.weight"].clone()
    x = np.random.default_rng(0).uniform(0, 1, (40, 3, 10, 14)).astype(np.float32)
    train(model, x, np.arange(40) % 2, TrainConfig(epochs=1, batch_size=8, device="cpu"))
    assert not torch.equal(model.state_dict()["layers.0.weight"], before)


def test_explanations_cover_a_rectangular_colour_input():
    from convviz.core.explain import check_patch, explain

    model = build(rect_spec(), seed=5)
    image = np.random.default_rng(2).uniform(-1, 1, (3, 11, 16)).astype(np.float32)
    for method in ("occlusion", "gradcam", "saliency"):
        assert explain(model, image, method).map.shape == (11, 16), method
    occ = explain(model, image, "occlusion", patch=4, stride=4)
    assert np.isfinite(occ.map).all()  # every pixel covered at least once, both dimensions
    assert check_patch((11, 16), 4, 4) == 3 * 4  # rows 0, 4, 7; cols 0, 4, 8, 12
    with pytest.raises(DataError, match=r"1\.\.11"):
        check_patch((11, 16), 12, 1)
