"""A convolution's edge: "keep" (the default: (W - F + 2P)/S + 1 must be whole, else the layer
is refused, the refusal saying how to accept it) or "drop" (the last rows or columns that a
stride cannot reach are left out: floor, as torch's nn.Conv2d and Keras's Conv2D do, and as a
ResNet's 3x3 stride-2 downsampling on 32x32 needs: 16.5 -> 16). JSON (the default left out, so
earlier files read and write byte for byte), the refusals, shapes and formulas, the trace
against torch, weights files and ONNX, the filtering stepper, a residual block around such a
convolution, and the architecture editor.
"""

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from convviz.cli import main
from convviz.core.errors import SpecError
from convviz.core.layer_rows import LayerRows, default_text, text_fields
from convviz.core.network import build
from convviz.core.presets import PRESETS, preset
from convviz.core.spec import Conv, Flatten, NetworkSpec, ReLU
from convviz.core.stepper import ConvStepper
from convviz.core.summary import summarise
from convviz.core.weights import load_model, save_model

RESNET_DOWN = Conv(8, 3, stride=2, padding=1, edge="drop")  # 32 -> 16 (16.5 rounded down)


def strided(edge: str = "drop", rows: int = 32, cols: int = 32) -> NetworkSpec:
    """A 3x3 convolution at stride 2, padding 1 (ResNet's downsampling), then a 4x5 one at
    stride (1, 3), padding 0: per dimension, rows fit and cols leave one out."""
    return NetworkSpec(
        "conv-edge",
        (rows, cols),
        3,
        (-1.0, 1.0),
        (
            Conv(8, 3, stride=2, padding=1, edge=edge),
            ReLU(),
            Conv(4, (4, 5), stride=(1, 3), edge=edge),
            Flatten(),
        ),
        ("a", "b", "c"),
    )


def image(seed: int, rows: int = 32, cols: int = 32) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1, 1, (3, rows, cols)).astype(np.float32)


# ---- JSON and refusals ---------------------------------------------------------------------------
def test_keep_is_left_out_of_json_and_drop_is_written():
    for name in PRESETS:  # every file written so far reads and writes back as it was
        d = preset(name).to_dict()
        assert json.dumps(NetworkSpec.from_dict(d).to_dict()) == json.dumps(d)
        assert "edge" not in json.dumps(d), name
    d = strided().to_dict()
    assert d["layers"][0] == {
        "features": 8,
        "size": 3,
        "stride": 2,
        "padding": 1,
        "divide": False,
        "bias": True,
        "edge": "drop",
        "kind": "conv",
    }
    assert NetworkSpec.from_dict(d) == strided()
    del d["input_size"]
    d["input_shape"] = [31, 31]  # whole sizes: 16, 13x4 (the first kept, the second dropped)
    d["layers"][0]["edge"] = "keep"  # said outright: the default, written back without it
    assert "edge" not in NetworkSpec.from_dict(d).to_dict()["layers"][0]


@pytest.mark.parametrize("value", ["round", "Drop", 1, None, ["drop"]])
def test_a_bad_edge_is_refused_in_one_line_naming_the_layer(value):
    d = strided().to_dict()
    d["layers"][2]["edge"] = value
    with pytest.raises(SpecError) as e:
        NetworkSpec.from_dict(d)
    text = str(e.value)
    assert "\n" not in text and text.startswith("layer 3 (conv) edge must be 'keep' or 'drop'")


def test_a_bad_edge_made_in_python_gets_the_same_check():
    with pytest.raises(SpecError, match=r"layer 1 \(conv1\).*edge must be 'keep' or 'drop'"):
        strided(edge="floor").shapes()


def test_without_the_edge_a_fraction_is_still_refused_and_the_refusal_says_how(tmp_path, capsys):
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(strided("keep").to_dict()))
    assert main(["summary", "--spec", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert "layer 1 (conv1): rows: (W - F + 2P)/S + 1 = " in err
    assert "(32 - 3 + 2*1)/2 + 1 = 16.5 is not a whole number" in err
    assert '"edge": "drop" leaves the last rows out, as torch does' in err


# ---- shapes and formulas -------------------------------------------------------------------------
def test_shapes_and_formulas_round_down_per_dimension():
    rows = {s.name: s for s in strided().shapes()}
    assert rows["conv1"].shape == (8, 16, 16)
    assert rows["conv1"].formula == "floor((32 - 3 + 2·1)/2) + 1 = 16"
    assert rows["conv2"].shape == (4, 13, 4)  # rows (16-4)/1+1 = 13; cols floor(11/3)+1 = 4
    assert rows["conv2"].formula == (
        "rows: (16 - 4 + 2·0)/1 + 1 = 13; cols: floor((16 - 5 + 2·0)/3) + 1 = 4"
    )
    # a size that comes out whole is the same with either edge, and so is its formula
    for edge in ("keep", "drop"):
        layers = (Conv(8, 3, 2, 1, edge=edge), Flatten())
        row = NetworkSpec("one", (31, 31), 3, (-1.0, 1.0), layers, ("a", "b")).shapes()[0]
        assert (row.shape, row.formula) == ((8, 16, 16), "(31 - 3 + 2·1)/2 + 1 = 16")


def test_the_summary_shows_the_formula(tmp_path, capsys):
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(strided().to_dict()))
    assert main(["summary", "--spec", str(path)]) == 0
    assert "floor((32 - 3 + 2·1)/2) + 1 = 16" in capsys.readouterr().out


# ---- the trace, weights files, ONNX --------------------------------------------------------------
def test_the_trace_is_torchs_convolution():
    net = build(strided(), seed=1)
    snap = net.snapshot()
    trace = net.trace(image(1))
    x = torch.from_numpy(image(1))[None]
    w, b = (torch.from_numpy(snap[f"layers.0.{k}"]) for k in ("weight", "bias"))
    want = F.conv2d(x, w, b, stride=2, padding=1)
    assert want.shape[2:] == (16, 16)
    np.testing.assert_allclose(trace.layers[0].values, want[0].numpy(), atol=1e-5)
    assert trace.layers[2].values.shape == (4, 13, 4)


def test_weights_files_keep_the_edge_and_onnx_agrees(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    from convviz.core.onnx_export import export_onnx

    model = build(strided(), seed=2)
    x = np.stack([image(3), image(4)])
    with torch.inference_mode():
        votes = model(torch.from_numpy(x)).numpy()
    for suffix in (".safetensors", ".pt"):
        path = save_model(model, tmp_path / f"m{suffix}")
        again, _ = load_model(path)
        assert again.spec == strided(), suffix
        with torch.inference_mode():
            np.testing.assert_array_equal(again(torch.from_numpy(x)).numpy(), votes)
    export_onnx(model, tmp_path / "m.onnx")
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(session.run(["votes"], {"input": x})[0], votes, atol=1e-5, rtol=0)


# ---- the filtering stepper -----------------------------------------------------------------------
@pytest.mark.parametrize("layer, index", [("conv1", 0), ("conv2", 2)])
def test_the_stepper_steps_only_the_kept_windows(layer, index):
    spec = strided()
    net = build(spec, seed=3)
    trace = net.trace(image(5))
    st = ConvStepper.from_trace(spec, trace, net.snapshot(), layer, feature=1)
    assert st.out_shape == trace.layers[index].values.shape[1:]
    assert st.n_steps == int(np.prod(st.out_shape))
    np.testing.assert_allclose(st.output, trace.layers[index].values[1], atol=1e-5)
    (kr, kc), (pr, pc) = st.window, st.padding
    h, w = st.inputs.shape[1:]
    last = st.step(st.n_steps - 1)
    # the last window lies inside the padded input: none reaches past it
    assert last.top + kr <= h + pr and last.left + kc <= w + pc
    assert last.value == pytest.approx(float(trace.layers[index].values[1, -1, -1]), abs=1e-5)
    with pytest.raises(IndexError):
        st.step(st.n_steps)


# ---- a residual block around a dropping convolution ---------------------------------------------
def test_a_resnet_block_with_a_dropping_convolution_gets_its_skip_stride():
    block = {
        "kind": "residual",
        "layers": [
            {"kind": "conv", "features": 8, "size": 3, "stride": 2, "padding": 1, "edge": "drop"},
            {"kind": "relu"},
            {"kind": "conv", "features": 8, "size": 3, "padding": 1},
        ],
    }
    d = {
        "name": "block",
        "input_shape": [32, 32],
        "channels": 3,
        "layers": [block, {"kind": "gap"}],
        "classes": ["a", "b"],
    }
    spec = NetworkSpec.from_dict(d)
    rows = {r.name: r for r in summarise(spec).rows}
    assert rows["residual1.conv1"].shape == (8, 16, 16)
    assert rows["residual1.skip"].shape == (8, 16, 16)
    assert "stride 2×2" in rows["residual1.skip"].formula
    net = build(spec, seed=0)
    assert net.trace(image(6)).layers[0].values.shape == (8, 16, 16)
    # padding 0: 32 -> 15, which no 1x1 skip convolution gives exactly: refused, numbers named
    block["layers"][0]["padding"] = 0
    with pytest.raises(SpecError, match=r"rows: the inside gives 15 from 32.*32/15"):
        NetworkSpec.from_dict(d)


# ---- the architecture editor ---------------------------------------------------------------------
def test_the_architecture_editor_offers_the_edge():
    assert text_fields("conv")[-1] == "edge"
    assert default_text("conv", "edge") == "keep"
    rows = LayerRows.from_spec(strided())
    assert rows.row((0,)).text("edge") == "drop"
    assert rows.spec() == strided()
    rows.set_text((0,), "edge", "")  # empty: the default, which refuses 16.5
    assert "16.5 is not a whole number" in rows.lines().reason
    rows.set_text((0,), "edge", " drop ")
    assert rows.lines().lines[0].formula == "floor((32 - 3 + 2·1)/2) + 1 = 16"
    rows.set_text((0,), "edge", "round")
    assert rows.lines().reason == "layer 1 (conv1) edge must be 'keep' or 'drop', got 'round'"
