"""Every promise convviz makes holds for every network it knows (issue 13, item 7).

Cases: every preset in core.presets.PRESETS (a preset added later is picked up as it is), and one
small example network for each layer kind the JSON names (an example whose kind is not
registered yet is skipped, the skip naming the kind). For each case:

- `convviz summary --spec` prints every layer; a spec made bad in its first sized layer is
  refused in one line naming the layer, the dimension and the numbers;
- the command line as a person runs it: train (one epoch on a few generated pictures of the
  network's shape and channels), predict, trace, export to .pt and .onnx, predict again from
  each file: identical votes; onnxruntime on the .onnx within 1e-5 of torch;
- a preset traces with its own (bundled, hand-set or random) weights.

A network over HEAVY_PARAMETERS (AlexNet's 58 million) gets the summary, the refusal and the
trace, not the training and exports: the parameter count, not the name, decides.

The commands run in this process through convviz.cli.main (the parser, the checks, the one-line
errors: everything but the interpreter start, which tests/test_cli.py covers), so that the many
cases cost no interpreter starts.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from convviz.cli import main
from convviz.core.layers import kind_names, pair
from convviz.core.presets import PRESETS, preset
from convviz.core.spec import NetworkSpec
from convviz.core.summary import summarise

HEAVY_PARAMETERS = 5_000_000  # above this, no training or exports here (minutes, gigabytes)
PER_CLASS = 3  # pictures per class for the one-epoch training


def _conv(features, size=3, padding=1, **kw):
    return {"kind": "conv", "features": features, "size": size, "padding": padding, **kw}


# One small network per layer kind, 3-channel rectangular where it can be: the JSON names are
# fixed for everyone (PHASEB.md); the built-in kinds are in every preset too.
EXAMPLES = {
    "conv": [_conv(4, [4, 5], padding=[1, 2], stride=[2, 1]), {"kind": "flatten"}],
    # a convolution with edge "drop": (10 - 3)/2 + 1 = 4.5 -> 4 rows, (12 - 3)/2 + 1 = 5.5 -> 5
    "conv-drop": [_conv(4, 3, padding=0, stride=2, edge="drop"), {"kind": "flatten"}],
    "relu": [_conv(3), {"kind": "relu"}, {"kind": "flatten"}],
    "pool": [_conv(3), {"kind": "pool", "window": [2, 3], "stride": 2}, {"kind": "flatten"}],
    "fc": [_conv(2), {"kind": "flatten"}, {"kind": "fc", "neurons": 5}, {"kind": "relu"}],
    "avgpool": [
        _conv(4),
        {"kind": "relu"},
        {"kind": "avgpool", "window": [2, 3], "stride": 2},
        {"kind": "flatten"},
    ],
    "gap": [_conv(4), {"kind": "relu"}, {"kind": "gap"}],
    "batchnorm": [
        _conv(4),
        {"kind": "batchnorm"},
        {"kind": "relu"},
        {"kind": "pool", "window": 2, "stride": 2},
        {"kind": "flatten"},
    ],
    "leakyrelu": [_conv(4), {"kind": "leakyrelu", "slope": 0.1}, {"kind": "flatten"}],
    "sigmoid": [_conv(4), {"kind": "sigmoid"}, {"kind": "flatten"}],
    "tanh": [_conv(4), {"kind": "tanh"}, {"kind": "flatten"}],
    "dropout": [
        _conv(4),
        {"kind": "relu"},
        {"kind": "flatten"},
        {"kind": "dropout", "p": 0.3},
        {"kind": "fc", "neurons": 8},
        {"kind": "relu"},
    ],
    # the pooling kinds with edge "drop": cols 12 by a 3-wide window at stride 2 give 5, not 6
    "pool-drop": [
        _conv(3),
        {"kind": "pool", "window": [2, 3], "stride": 2, "edge": "drop"},
        {"kind": "flatten"},
    ],
    "avgpool-drop": [
        _conv(4),
        {"kind": "relu"},
        {"kind": "avgpool", "window": [2, 3], "stride": 2, "edge": "drop"},
        {"kind": "flatten"},
    ],
    "residual": [
        _conv(4),
        {"kind": "relu"},
        {"kind": "residual", "layers": [_conv(4), {"kind": "relu"}, _conv(6)]},
        {"kind": "relu"},
        {"kind": "gap"},
    ],
}


def _kinds_in(layers) -> set[str]:
    out = set()
    for la in layers:
        out.add(la["kind"])
        out |= _kinds_in(la.get("layers", []))
    return out


def _example(kind: str) -> dict:
    return {
        "name": f"example-{kind}",
        "input_shape": [10, 12],
        "channels": 3,
        "value_range": [-1, 1],
        "layers": EXAMPLES[kind],
        "classes": ["a", "b", "c"],
    }


CASES = [pytest.param(("preset", name), id=f"preset-{name}") for name in PRESETS] + [
    pytest.param(("example", kind), id=f"kind-{kind}") for kind in EXAMPLES
]


@pytest.fixture(params=CASES)
def case(request) -> dict:
    """{"spec": NetworkSpec, "dict": its JSON, "kind": the example's kind (None for a preset),
    "heavy": bool}."""
    source, name = request.param
    if source == "preset":
        spec = preset(name)
        d = spec.to_dict()
    else:
        missing = sorted(_kinds_in(EXAMPLES[name]) - set(kind_names()))
        if missing:
            pytest.skip(f"layer kind {missing[0]!r} is not registered yet")
        d = _example(name)
        spec = NetworkSpec.from_dict(d)
    return {
        "spec": spec,
        "dict": d,
        "kind": None if source == "preset" else name.partition("-")[0],  # "pool-drop": pool
        "heavy": summarise(spec).params > HEAVY_PARAMETERS,
    }


def _out(capsys, argv) -> str:
    """Run `convviz ARGV` here; its stdout, after checking it succeeded without a word on
    stderr but progress."""
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert rc == 0, (argv, err[-2000:])
    assert "Traceback" not in err and "error" not in err, (argv, err[-2000:])
    return out


# A field out of its range, for the kinds that have no size (and a pooling's edge, a word):
# (layer index, field, value).
BAD_FIELDS = {"dropout": (3, "p", 1.5), "leakyrelu": (1, "slope", -1), "pool": (1, "edge", "round")}


def _bad_specs(d: dict, spec: NetworkSpec, kind: str | None) -> list[tuple[dict, list[str]]]:
    """Bad versions of `d` and the words each refusal must name. A size or window made one
    column too wide for its input: the example's own kind's layer where it has one, else (a
    preset) the last layer with a size or a window, so the arithmetic of every layer before it
    is checked too. Plus the kind's field out of range (BAD_FIELDS)."""
    rows = [r for r in summarise(spec).rows if r.depth == 0]  # rows[i]: the input of layer i
    sized = [i for i, la in enumerate(d["layers"]) if "size" in la or "window" in la]
    own = [i for i in sized if d["layers"][i]["kind"] == kind]
    i = (own or sized[:1] if kind else sized[-1:])[0]
    la = d["layers"][i]
    key = "size" if "size" in la else "window"
    _, _, cols = rows[i].shape
    too_wide = cols + 2 * pair(la.get("padding", 0))[1] + 1
    bad = json.loads(json.dumps(d))
    bad["layers"][i][key] = [pair(la[key])[0], too_wide]  # the rows as they were
    bad["layers"][i].pop("fixed", None)  # hand-made features would be refused first
    out = [(bad, [f"layer {i + 1} ", "cols", f"{too_wide} > {cols}"])]
    if kind == "residual":  # a layer inside the block: the block and the inner layer named
        bad = json.loads(json.dumps(d))
        bad["layers"][2]["layers"][0]["size"] = [3, cols + 3]
        out.append((bad, ["layer 3 ", "layer 1 ", "cols", f"{cols + 3} > {cols}"]))
    if kind in BAD_FIELDS:
        j, name, value = BAD_FIELDS[kind]
        bad = json.loads(json.dumps(d))
        assert bad["layers"][j]["kind"] == kind
        bad["layers"][j][name] = value
        out.append((bad, [f"layer {j + 1} ", name, str(value)]))
    return out


def test_summary_and_a_bad_spec_refused_naming_layer_dimension_numbers(case, capsys, tmp_path):
    good = tmp_path / "spec.json"
    good.write_text(json.dumps(case["dict"]))
    text = _out(capsys, ["summary", "--spec", good])
    for row in summarise(case["spec"]).rows:
        name = "  " * row.depth + row.name  # a block's inside rows are indented under it
        assert f"\n{name} " in text or f"\n{name}\n" in text, (row.name, text)
    for bad, words in _bad_specs(case["dict"], case["spec"], case["kind"]):
        path = tmp_path / "bad.json"
        path.write_text(json.dumps(bad))
        assert main(["summary", "--spec", str(path)]) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("convviz: error: "), err
        assert all(w in err for w in words), (words, err)


def _pictures(spec: NetworkSpec, folder) -> list[str]:
    """A few generated sample shapes at the network's size, in colour for 3 channels."""
    from convviz.core.shapes_data import write_folder

    if spec.channels not in (1, 3):
        pytest.skip(f"no sample pictures of {spec.channels} channels")
    write_folder(folder, PER_CLASS, seed=3, size=(spec.rows, spec.cols), colour=spec.channels == 3)
    return [str(p) for p in sorted(folder.rglob("*.png"))[:: PER_CLASS * 2]]


def _votes(text: str) -> np.ndarray:
    return np.array([list(r["votes"].values()) for r in json.loads(text)], np.float64)


def test_train_predict_trace_export_round_trips(case, capsys, tmp_path):
    if case["heavy"]:
        pytest.skip(f"over {HEAVY_PARAMETERS:,} parameters: summary, refusal and trace only")
    spec_path = tmp_path / "spec.json"
    spec_path.write_text(json.dumps(case["dict"]))
    images = _pictures(case["spec"], tmp_path / "data")
    w = tmp_path / "m.safetensors"
    # train: one epoch; batch 4 leaves no batch of one (batch normalisation needs two)
    _out(
        capsys,
        [
            "train",
            tmp_path / "data",
            "--spec",
            spec_path,
            "--out",
            w,
            "--epochs",
            1,
            "--batch-size",
            4,
            "--val-split",
            0,
            "--seed",
            0,
            "--device",
            "cpu",
            "--no-augment",
            "--threads",
            1,
        ],
    )
    votes = _votes(_out(capsys, ["predict", w, *images, "--json"]))
    assert np.isfinite(votes).all()

    trace = json.loads(_out(capsys, ["trace", "--weights", w, images[0], "--json"]))
    from convviz.core.weights import load_model

    model, _ = load_model(w)
    # the trace's layers: the table's top-level rows but the input and the votes
    names = [r.name for r in summarise(model.spec).rows[1:-1] if r.depth == 0]
    assert [la["name"] for la in trace["layers"]][: len(names)] == names
    np.testing.assert_allclose(trace["votes"], votes[0], rtol=0, atol=1e-6)

    for suffix in (".pt", ".onnx"):  # export, then predict from the export: the same votes
        out = tmp_path / f"m{suffix}"
        assert f"wrote {out}" in _out(capsys, ["export", w, "--to", out])
        again = _votes(_out(capsys, ["predict", out, *images, "--json"]))
        np.testing.assert_array_equal(again, votes, err_msg=f"{suffix} round trip")

    ort = pytest.importorskip("onnxruntime")
    import torch

    from convviz.core.imageio import load_input

    spec = model.spec
    x = np.stack(
        [load_input(p, spec.input_shape, spec.value_range, spec.channels) for p in images]
    ).reshape(len(images), spec.channels, spec.rows, spec.cols)
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    with torch.inference_mode():
        want = model(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(session.run(["votes"], {"input": x})[0], want, rtol=0, atol=1e-5)
    np.testing.assert_allclose(want, votes, rtol=0, atol=1e-5)


@pytest.mark.parametrize("name", list(PRESETS))
def test_a_preset_traces_with_its_own_weights(name, capsys, tmp_path):
    spec = preset(name)
    x = np.random.default_rng(0).uniform(*spec.value_range, (spec.channels, spec.rows, spec.cols))
    grid = tmp_path / "input.txt"  # a number grid: channels separated by a blank line
    grid.write_text(
        "\n\n".join("\n".join(" ".join(f"{v:.4f}" for v in row) for row in ch) for ch in x)
    )
    trace = json.loads(_out(capsys, ["trace", "--preset", name, grid, "--json"]))
    shapes = [list(s.shape) for s in spec.shapes()]
    assert [la["shape"] for la in trace["layers"]] == shapes[: len(trace["layers"])]
    assert len(trace["votes"]) == len(spec.classes) and np.isfinite(trace["votes"]).all()
