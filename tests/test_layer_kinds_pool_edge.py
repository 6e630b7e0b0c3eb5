"""A pooling's edge: "keep" (the default: a window hanging over the edge counts, torch's
ceil_mode=True, the deck's 7x7 -> 4x4) or "drop" (it is left out: floor, as torch's default and
Keras's padding="valid" pool, the TensorFlow MNIST tutorial's 11x11 -> 5x5), for max and average
pooling alike: JSON (the default left out, so earlier files read and write byte for byte), the
refusal of a bad value, shapes and formulas, the trace (winners included) against torch's own
floor pooling, weights files and ONNX, the pooling stepper and the architecture editor.
"""

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from convviz.cli import main
from convviz.core.errors import SpecError
from convviz.core.layer_rows import LayerRows, default_text, text_fields
from convviz.core.layers import AvgPool
from convviz.core.network import build
from convviz.core.presets import PRESETS, preset
from convviz.core.spec import Conv, Flatten, MaxPool, NetworkSpec, ReLU
from convviz.core.stepper import PoolStepper
from convviz.core.weights import load_model, save_model


def tutorial(edge: str = "drop", avg_edge: str = "drop") -> NetworkSpec:
    """The MNIST tutorial's second half on an 11x11 map: max pooling 2 (11 -> 5 or 6), then an
    average pooling 2 at stride (1, 2) (rows 5 -> 4; cols 5 -> 2, the window over the
    edge dropped)."""
    return NetworkSpec(
        "edge",
        (11, 11),
        3,
        (-1.0, 1.0),
        (
            Conv(4, 3, padding=1),
            ReLU(),
            MaxPool(2, 2, edge),
            AvgPool(2, (1, 2), avg_edge),
            Flatten(),
        ),
        ("a", "b", "c"),
    )


def image(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1, 1, (3, 11, 11)).astype(np.float32)


# ---- JSON ---------------------------------------------------------------------------------------
def test_keep_is_left_out_of_json_and_drop_is_written():
    for name in PRESETS:  # every file written so far reads and writes back as it was
        d = preset(name).to_dict()
        assert json.dumps(NetworkSpec.from_dict(d).to_dict()) == json.dumps(d)
        assert "edge" not in json.dumps(d), name
    d = tutorial("keep", "drop").to_dict()
    assert d["layers"][2] == {"window": 2, "stride": 2, "kind": "pool"}
    assert d["layers"][3] == {"window": 2, "stride": [1, 2], "edge": "drop", "kind": "avgpool"}
    assert NetworkSpec.from_dict(d) == tutorial("keep", "drop")
    d["layers"][2]["edge"] = "keep"  # said outright: the same layer, written back without it
    assert NetworkSpec.from_dict(d).to_dict()["layers"][2] == {
        "window": 2,
        "stride": 2,
        "kind": "pool",
    }


@pytest.mark.parametrize("value", ["round", "Drop", 1, None, ["drop"]])
def test_a_bad_edge_is_refused_in_one_line_naming_the_layer(value):
    d = tutorial().to_dict()
    d["layers"][3]["edge"] = value
    with pytest.raises(SpecError) as e:
        NetworkSpec.from_dict(d)
    text = str(e.value)
    assert "\n" not in text and text.startswith("layer 4 (avgpool) edge must be 'keep' or 'drop'")


def test_a_bad_edge_made_in_python_gets_the_same_check():
    with pytest.raises(SpecError, match=r"layer 3 \(pool1\).*edge must be 'keep' or 'drop'"):
        tutorial(edge="floor").shapes()


# ---- shapes and formulas -------------------------------------------------------------------------
def test_shapes_and_formulas_follow_the_edge():
    rows = {s.name: s for s in tutorial("keep", "keep").shapes()}
    assert rows["pool1"].shape == (4, 6, 6)
    assert rows["pool1"].formula == "(11 - 2)/2 + 1 = 5.5 → 6"
    assert rows["avgpool1"].shape == (4, 5, 3)
    rows = {s.name: s for s in tutorial("drop", "drop").shapes()}
    assert rows["pool1"].shape == (4, 5, 5)
    assert rows["pool1"].formula == "floor((11 - 2)/2) + 1 = 5"
    assert rows["avgpool1"].shape == (4, 4, 2)  # per dimension: rows fit, cols round down
    assert rows["avgpool1"].formula == "rows: (5 - 2)/1 + 1 = 4; cols: floor((5 - 2)/2) + 1 = 2"


def test_the_summary_shows_the_formula(tmp_path, capsys):
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(tutorial().to_dict()))
    assert main(["summary", "--spec", str(path)]) == 0
    assert "floor((11 - 2)/2) + 1 = 5" in capsys.readouterr().out


# ---- the trace, weights files, ONNX --------------------------------------------------------------
def test_the_trace_is_torchs_floor_pooling_winners_included():
    trace = build(tutorial(), seed=1).trace(image(1))
    x = torch.from_numpy(trace.input_of(2))[None]
    want, winners = F.max_pool2d(x, 2, 2, ceil_mode=False, return_indices=True)
    np.testing.assert_array_equal(trace.layers[2].values, want[0].numpy())
    np.testing.assert_array_equal(trace.layers[2].winners, winners[0].numpy())
    picked = np.take_along_axis(
        x[0].numpy().reshape(4, -1), trace.layers[2].winners.reshape(4, -1), 1
    )
    np.testing.assert_array_equal(picked.reshape(4, 5, 5), trace.layers[2].values)
    avg = F.avg_pool2d(want, 2, (1, 2), ceil_mode=False)
    np.testing.assert_allclose(trace.layers[3].values, avg[0].numpy(), atol=1e-6)
    assert trace.layers[3].values.shape == (4, 4, 2)


def test_weights_files_keep_the_edge_and_onnx_agrees(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    from convviz.core.onnx_export import export_onnx

    model = build(tutorial(), seed=2)
    x = np.stack([image(3), image(4)])
    with torch.inference_mode():
        votes = model(torch.from_numpy(x)).numpy()
    for suffix in (".safetensors", ".pt"):
        path = save_model(model, tmp_path / f"m{suffix}")
        again, _ = load_model(path)
        assert again.spec == tutorial(), suffix
        with torch.inference_mode():
            np.testing.assert_array_equal(again(torch.from_numpy(x)).numpy(), votes)
    export_onnx(model, tmp_path / "m.onnx")
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(session.run(["votes"], {"input": x})[0], votes, atol=1e-5, rtol=0)


# ---- the pooling stepper and the architecture editor --------------------------------------------
@pytest.mark.parametrize("layer, mode", [("pool1", "max"), ("avgpool1", "avg")])
def test_the_stepper_steps_only_the_whole_windows(layer, mode):
    spec = tutorial()
    trace = build(spec, seed=1).trace(image(5))
    st = PoolStepper.from_trace(spec, trace, layer, map_index=1)
    i = 2 if layer == "pool1" else 3
    assert (st.mode, st.edge) == (mode, "drop")
    assert st.out_shape == trace.layers[i].values.shape[1:]
    assert st.n_steps == int(np.prod(st.out_shape))
    np.testing.assert_allclose(st.output, trace.layers[i].values[1], atol=1e-6)
    steps = [st.step(k) for k in range(st.n_steps)]
    assert not any(s.overhangs for s in steps)
    np.testing.assert_allclose([s.value for s in steps], st.output.reshape(-1), atol=1e-6)
    if mode == "max":  # each winner holds its window's value, where torch's index says
        win = trace.layers[i].winners[1].reshape(-1)
        assert [s.winner[0] * 11 + s.winner[1] for s in steps] == list(win)
    # the same map with the edge kept: one more row and column of windows, hanging over
    kept = PoolStepper(st.values, st.window, st.stride, mode, "keep")
    assert kept.n_steps > st.n_steps and kept.step(kept.n_steps - 1).overhangs
    with pytest.raises(ValueError, match="edge"):
        PoolStepper(st.values, 2, 2, mode, "round")


def test_the_architecture_editor_offers_the_edge():
    assert text_fields("pool")[-1] == text_fields("avgpool")[-1] == "edge"
    assert default_text("pool", "edge") == "keep"
    rows = LayerRows.from_spec(tutorial("keep", "drop"))
    assert rows.row((2,)).text("edge") == "keep" and rows.row((3,)).text("edge") == "drop"
    assert rows.spec() == tutorial("keep", "drop")
    rows.set_text((2,), "edge", " drop ")
    line = rows.lines().lines[2]
    assert line.shape == (4, 5, 5) and line.formula == "floor((11 - 2)/2) + 1 = 5"
    assert rows.spec() == tutorial("drop", "drop")
    rows.set_text((2,), "edge", "")  # empty: the default
    assert rows.spec() == tutorial("keep", "drop")
    rows.set_text((2,), "edge", "round")
    assert rows.lines().reason == "layer 3 (pool1) edge must be 'keep' or 'drop', got 'round'"
