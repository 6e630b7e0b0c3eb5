"""The command line end to end, as a person runs it: `python -m convviz ...` in a fresh process.

Starting Python with torch costs about 2 s per command, so independent commands run side by side
and each test checks several things.
"""

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from convviz.core.imageio import load_input
from convviz.core.timeline_file import load_timeline
from convviz.core.weights import load_model

ROOT = Path(__file__).resolve().parents[1]

# the deck's X, written as a person would type it
DECK_X_GRID = """\
# the X from the lesson: 1 is ink, -1 is background
-1 -1 -1 -1 -1 -1 -1 -1 -1
-1  1 -1 -1 -1 -1 -1  1 -1
-1 -1  1 -1 -1 -1  1 -1 -1
-1 -1 -1  1 -1  1 -1 -1 -1
-1 -1 -1 -1  1 -1 -1 -1 -1
-1 -1 -1  1 -1  1 -1 -1 -1
-1 -1  1 -1 -1 -1  1 -1 -1
-1  1 -1 -1 -1 -1 -1  1 -1
-1 -1 -1 -1 -1 -1 -1 -1 -1
"""


def _env():
    # one thread each: several commands run at once on a small machine
    return dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1")


def run(cwd, *args, timeout=240):
    return subprocess.run(
        [sys.executable, "-m", "convviz", *map(str, args)],
        cwd=cwd,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def run_all(cwd, commands: dict):
    """Run {key: args} side by side; {key: CompletedProcess}. A list of several args runs them
    one after the other (the later ones need the earlier ones) and gives a list of results."""

    def one(args):
        if isinstance(args, list):
            return [run(cwd, *a) for a in args]
        return run(cwd, *args)

    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {k: pool.submit(one, args) for k, args in commands.items()}
        return {k: f.result() for k, f in futures.items()}


def _ok(proc):
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stderr[-2000:]}"
    assert "Traceback" not in proc.stderr
    return proc


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    """shapes -> train, then everything that needs the trained weights, run once."""
    d = tmp_path_factory.mktemp("cli")
    shapes = _ok(run(d, "shapes", "data", "--per-class", 30, "--seed", 1))
    train = _ok(
        run(
            d,
            "train",
            "data",
            "--out",
            "model.safetensors",
            "--epochs",
            2,
            "--seed",
            0,
            "--device",
            "cpu",
        )
    )
    (d / "x.txt").write_text(DECK_X_GRID)
    images = ["data/X/X_00000.png", "data/O/O_00001.png", "data/square/square_00002.png"]
    later = run_all(
        d,
        {
            "predict": ("predict", "model.safetensors", *images, "--json"),
            "trace": ("trace", "--weights", "model.safetensors", images[1], "--json"),
            "trace_xo": ("trace", "--preset", "xo", "x.txt", "--json"),
            "export_onnx": ("export", "model.safetensors", "--to", "model.onnx"),
            "pt": [
                ("export", "model.safetensors", "--to", "model.pt"),
                ("predict", "model.pt", *images, "--json"),
            ],
        },
    )
    later["export_pt"], later["predict_pt"] = later.pop("pt")
    return {"dir": d, "shapes": shapes, "train": train, "images": images, **later}


def test_shapes_writes_a_labelled_folder(work):
    d = work["dir"] / "data"
    assert sorted(p.name for p in d.iterdir()) == sorted(
        ["X", "O", "square", "triangle", "plus", "check"]
    )
    assert all(len(list((d / c).glob("*.png"))) == 30 for c in ("X", "check"))
    assert "wrote 180 images of 6 classes" in work["shapes"].stdout


def test_train_reports_and_saves(work):
    out, err = work["train"].stdout, work["train"].stderr
    assert "saved model.safetensors" in out and "final validation accuracy:" in out
    assert "epoch 1:" in err and "epoch 2:" in err and "training shapes on CPU" in err
    model, info = load_model(work["dir"] / "model.safetensors")
    assert set(model.spec.classes) == {"X", "O", "square", "triangle", "plus", "check"}
    assert info["summary"]["epochs"] == 2 and info["summary"]["folder"] == "data"
    assert info["summary"]["status"] == "done"
    # its training timeline beside it: the start, the first epoch's extras, both epochs' ends
    timeline = load_timeline(work["dir"] / "model.safetensors", model.snapshot())
    assert [m.epoch for m in timeline.moments if m.end] == [1, 2]
    assert [(m.epoch, m.step, m.end) for m in timeline.moments] == [  # 144 images, batches
        (0, 0, False),
        (1, 1, False),
        (1, 2, False),
        (1, 3, True),
        (2, 6, True),
    ]  # of 64
    assert all(m.confusion is not None for m in timeline.moments if m.end)


def test_predict_json(work):
    rows = json.loads(_ok(work["predict"]).stdout)
    model, _ = load_model(work["dir"] / "model.safetensors")
    classes = list(model.spec.classes)
    assert [r["path"] for r in rows] == work["images"]
    for r in rows:
        assert set(r) == {"path", "class", "votes", "probabilities", "unsure", "reason"}
        assert list(r["votes"]) == classes and list(r["probabilities"]) == classes
        assert abs(sum(r["probabilities"].values()) - 1) < 1e-5
        assert r["class"] == max(r["votes"], key=r["votes"].get)
        t = model.trace(load_input(work["dir"] / r["path"], 28, model.spec.value_range))
        np.testing.assert_allclose(list(r["votes"].values()), t.votes, atol=1e-6)


def _check_trace_json(out, model, x):
    t = model.trace(x)
    assert out["model"] == model.spec.name and out["classes"] == list(model.spec.classes)
    assert [layer["name"] for layer in out["layers"]] == model.names
    assert [layer["kind"] for layer in out["layers"]] == model.kinds
    for layer, lt in zip(out["layers"], t.layers, strict=True):
        values = np.array(layer["values"], dtype=np.float32)
        assert layer["shape"] == list(lt.values.shape) == list(values.shape)
        if lt.values.ndim == 3:  # nested [channel][row][col]
            c, h, w = lt.values.shape
            assert len(layer["values"]) == c and len(layer["values"][0]) == h
            assert len(layer["values"][0][0]) == w
        np.testing.assert_allclose(values, lt.values, atol=1e-6, err_msg=layer["name"])
    np.testing.assert_allclose(out["votes"], t.votes, atol=1e-6)
    np.testing.assert_allclose(out["probabilities"], t.probabilities, atol=1e-6)
    np.testing.assert_allclose(np.array(out["input"])[0], x, atol=1e-6)
    return t


def test_trace_json_matches_the_core(work):
    out = json.loads(_ok(work["trace"]).stdout)
    model, _ = load_model(work["dir"] / "model.safetensors")
    x = load_input(work["dir"] / work["images"][1], 28, model.spec.value_range)
    _check_trace_json(out, model, x)
    assert [layer["name"] for layer in out["layers"]][:3] == ["conv1", "relu1", "pool1"]


def test_trace_of_the_decks_grid(work, capsys):
    from convviz.core.bundled import preset_model

    out = json.loads(_ok(work["trace_xo"]).stdout)
    x = load_input(work["dir"] / "x.txt", 9)
    _check_trace_json(out, preset_model("xo"), x)
    conv = {layer["name"]: layer for layer in out["layers"]}
    assert conv["conv1"]["shape"] == [3, 7, 7] and conv["pool1"]["shape"] == [3, 4, 4]
    assert abs(conv["conv1"]["values"][0][0][0] - 0.77) < 0.01  # the deck's first number
    assert abs(conv["pool1"]["values"][2][0][3] - 0.77) < 0.01
    assert out["classes"][int(np.argmax(out["votes"]))] == "X"
    from convviz.cli import main  # the text form, in this process

    assert main(["trace", "--preset", "xo", str(work["dir"] / "x.txt")]) == 0
    text = capsys.readouterr().out
    assert "conv1 (conv) 3x7x7" in text and "pool1 (pool) 3x4x4" in text
    assert "  0.78" in text or "  0.77" in text
    assert text.rstrip().endswith("answer: X")


def test_export_and_predict_with_the_exports(work, capsys):
    d = work["dir"]
    assert "wrote model.pt" in _ok(work["export_pt"]).stdout
    assert "wrote model.onnx" in _ok(work["export_onnx"]).stdout
    assert not list(d.glob("*.data")) and not list(d.glob(".*.tmp"))
    original, _ = load_model(d / "model.safetensors")
    pt, _ = load_model(d / "model.pt")
    assert pt.spec == original.spec
    # the exported .pt predicts exactly what the original did
    assert json.loads(_ok(work["predict_pt"]).stdout) == json.loads(work["predict"].stdout)
    # the .onnx file opens again too (in this process: one more interpreter start saved)
    from convviz.cli import main

    assert (
        main(["predict", str(d / "model.onnx"), *(str(d / p) for p in work["images"]), "--json"])
        == 0
    )
    rows = json.loads(capsys.readouterr().out)
    want = json.loads(work["predict"].stdout)
    assert [r["class"] for r in rows] == [r["class"] for r in want]
    for r, w in zip(rows, want, strict=True):
        np.testing.assert_allclose(list(r["votes"].values()), list(w["votes"].values()), atol=1e-5)
    ort = pytest.importorskip("onnxruntime")
    session = ort.InferenceSession(str(d / "model.onnx"), providers=["CPUExecutionProvider"])
    x = np.stack([load_input(d / p, 28) for p in work["images"]])[:, None]
    import torch

    with torch.inference_mode():
        want = original(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(session.run(["votes"], {"input": x})[0], want, atol=1e-5)


def test_errors_are_one_line_without_traceback(work, tmp_path, capsys):
    d = tmp_path
    model = work["dir"] / "model.safetensors"
    data = work["dir"] / "data"
    img = data / "X" / "X_00000.png"
    (d / "bad.png").write_text("this is not a picture")
    (d / "grid5.txt").write_text("\n".join(["-1 1 -1 1 -1"] * 5))
    (d / "x.txt").write_text(DECK_X_GRID)
    (d / "empty").mkdir()
    (d / "single" / "cats").mkdir(parents=True)
    (d / "single" / "cats" / "a.png").write_bytes(img.read_bytes())
    (d / "notes.safetensors").write_text("just some notes\n")
    (d / "bad.json").write_text('{"input_size": 28, "layers": [')
    (d / "frac.json").write_text(
        json.dumps(
            {
                "input_size": 28,
                "classes": ["a", "b"],
                "layers": [
                    {"kind": "conv", "features": 4, "size": 4, "stride": 5},
                    {"kind": "flatten"},
                ],
            }
        )
    )
    cases = {
        "missing file": (("predict", model, d / "missing.png"), "missing.png: no such file"),
        "bad image": (("predict", model, d / "bad.png"), "not an image convviz can read"),
        "wrong grid size": (
            ("trace", "--preset", "xo", d / "grid5.txt"),
            "the grid is 5x5 but the model takes 9x9",
        ),
        "unknown preset": (("trace", "--preset", "nope", d / "x.txt"), "unknown preset 'nope'"),
        "empty folder": (("train", d / "empty", "--out", d / "m.pt"), "no class folders"),
        "single class": (("train", d / "single", "--out", d / "m.pt"), "only one class folder"),
        "not weights": (("predict", d / "notes.safetensors", img), "notes.safetensors"),
        "bad spec json": (
            ("train", data, "--spec", d / "bad.json", "--out", d / "m.pt"),
            "spec is not valid JSON",
        ),
        "bad spec numbers": (
            ("train", data, "--spec", d / "frac.json", "--out", d / "m.pt"),
            "layer 1 (conv1)",
        ),
        "unwritable out folder": (("train", data, "--out", d / "nowhere" / "m.pt"), "the folder"),
        "unknown out format": (("train", data, "--out", d / "m.h5"), "unknown weights format"),
        "bad epochs": (
            ("train", data, "--out", d / "m.pt", "--epochs", 0),
            "--epochs must be between 1 and",
        ),
    }
    problems = []

    def judge(name, code, stderr, words):
        lines = [line for line in stderr.splitlines() if line.strip()]
        if code == 0:
            problems.append(f"{name}: exit 0")
        if "Traceback" in stderr:
            problems.append(f"{name}: traceback\n{stderr[-1500:]}")
        if len(lines) != 1 or not lines[0].startswith("convviz: error: "):
            problems.append(f"{name}: stderr is not one error line: {stderr[-500:]!r}")
        elif words not in lines[0]:
            problems.append(f"{name}: {words!r} not in {lines[0]!r}")

    # every case in this process: an exception other than the one-line kind would fail the test
    from convviz.cli import main

    for name, (args, words) in cases.items():
        code = main([str(a) for a in args])
        judge(name, code, capsys.readouterr().err, words)
    # and a few as a person runs them, in a fresh interpreter
    chosen = ("missing file", "bad image", "single class", "bad spec json", "not weights")
    results = run_all(d, {k: cases[k][0] for k in chosen})
    for name in chosen:
        judge(
            f"{name} (subprocess)", results[name].returncode, results[name].stderr, cases[name][1]
        )
    assert not problems, "\n".join(problems)
    # nothing was written by the failed trainings
    assert not list(d.glob("m.*")) and not list(d.glob(".*.tmp"))


def test_the_app_without_a_display_says_so_in_one_line(tmp_path):
    env = {
        k: v
        for k, v in _env().items()
        if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    }
    proc = subprocess.run(
        [sys.executable, "-m", "convviz"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode != 0
    assert proc.stderr.strip().startswith("convviz: error:") and "display" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr


def test_train_options_map_onto_the_one_train_config():
    """`convviz train` builds its TrainConfig from the options named like its fields (issue 12):
    at the defaults it is TrainConfig(), and each option lands in its field."""
    from convviz.cli import _parser, train_config
    from convviz.core.train_config import TrainConfig

    base = ["train", "FOLDER", "--out", "w.safetensors"]
    assert train_config(_parser().parse_args(base)) == TrainConfig()
    args = _parser().parse_args(
        [
            *base,
            "--epochs",
            "3",
            "--batch-size",
            "7",
            "--lr",
            "0.01",
            "--val-split",
            "0.3",
            "--seed",
            "9",
            "--device",
            "cpu",
            "--no-augment",
            "--threads",
            "2",
        ]
    )
    assert train_config(args) == TrainConfig(
        epochs=3,
        batch_size=7,
        lr=0.01,
        val_split=0.3,
        seed=9,
        device="cpu",
        augment=False,
        threads=2,
    )
