"""`convviz explain` end to end, as a person runs it, on the bundled `shapes` weights."""

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from convviz.core.explain import explain
from convviz.core.imageio import load_input, save_png
from convviz.core.shapes_data import render_shape
from convviz.core.weights import load_model

ROOT = Path(__file__).resolve().parents[1]
WEIGHTS = ROOT / "resources" / "shapes.safetensors"


def run(cwd, *args):
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1")
    return subprocess.run(
        [sys.executable, "-m", "convviz", *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )


def run_all(cwd, commands: dict) -> dict:
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {k: pool.submit(run, cwd, *a) for k, a in commands.items()}
        return {k: f.result() for k, f in futures.items()}


def ok(p):
    assert p.returncode == 0 and "Traceback" not in p.stderr, p.stderr[-2000:]
    return p


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    d = tmp_path_factory.mktemp("explain")
    save_png(d / "x.png", render_shape("X", 28, np.random.default_rng(1)))
    w = str(WEIGHTS)
    return d, run_all(
        d,
        {
            "gradcam": ("explain", w, "x.png", "--method", "gradcam", "--out", "g.png", "--json"),
            "occlusion": (
                "explain",
                w,
                "x.png",
                "--method",
                "occlusion",
                "--class",
                "O",
                "--patch",
                3,
                "--stride",
                1,
                "--json",
            ),
            "saliency": ("explain", w, "x.png", "--method", "saliency", "--out", "s.png"),
            "conv1": ("explain", w, "x.png", "--method", "gradcam", "--layer", "conv1", "--json"),
            "no_class": ("explain", w, "x.png", "--method", "saliency", "--class", "dog", "--json"),
            "not_conv": (
                "explain",
                w,
                "x.png",
                "--method",
                "gradcam",
                "--layer",
                "relu1",
                "--json",
            ),
            "no_out": ("explain", w, "x.png", "--method", "saliency"),
            "not_png": ("explain", w, "x.png", "--method", "saliency", "--out", "map.jpg"),
        },
    )


def test_json_is_the_core_explanation(work):
    d, r = work
    model, _ = load_model(WEIGHTS)
    image = load_input(d / "x.png", 28, model.spec.value_range)
    for key, method, kw in [
        ("gradcam", "gradcam", {}),
        ("conv1", "gradcam", {"layer": "conv1"}),
        ("occlusion", "occlusion", {"cls": "O", "patch": 3, "stride": 1}),
    ]:
        out = json.loads(ok(r[key]).stdout)
        want = explain(model, image, method, **kw)
        assert out["method"] == method and out["class"] == want.class_name
        assert out["class_index"] == want.cls and out["shape"] == [28, 28]
        np.testing.assert_allclose(
            np.array(out["map"], dtype=float), want.map, rtol=1e-5, atol=1e-6
        )
    assert json.loads(r["gradcam"].stdout)["class"] == "X"  # the answer, by default
    assert json.loads(r["gradcam"].stdout)["layer"] == "conv2"  # the last conv, by default
    assert json.loads(r["conv1"].stdout)["layer"] == "conv1"
    occ = json.loads(r["occlusion"].stdout)
    assert occ["class"] == "O" and (occ["patch"], occ["stride"]) == (3, 1)


def test_pictures_are_written(work):
    d, r = work
    for name in ("g.png", "s.png"):
        with Image.open(d / name) as im:
            assert im.mode == "RGB" and im.size[0] >= 256 and im.size[0] == im.size[1]
            a = np.asarray(im)
        assert a[..., 0].astype(int).sum() > a[..., 2].astype(int).sum()  # orange heat shows
    assert "saliency for X: wrote s.png" in ok(r["saliency"]).stdout


@pytest.mark.parametrize(
    "key,words",
    [
        ("no_class", ["no class called 'dog'", "choose from X, O"]),
        ("not_conv", ["'relu1' is not a convolution layer", "conv1, conv2"]),
        ("no_out", ["--out", "--json"]),
        ("not_png", [".png"]),
    ],
)
def test_mistakes_are_one_line(work, key, words):
    p = work[1][key]
    lines = p.stderr.strip().splitlines()
    assert p.returncode == 1 and len(lines) == 1 and lines[0].startswith("convviz: error: ")
    for w in words:
        assert w in lines[0]
    assert p.stdout == ""


def test_non_finite_numbers_become_null():
    from convviz.explain_cli import _grid, _number

    grid = _grid(np.array([[np.nan, 1.5], [np.inf, -np.inf]], np.float32))
    assert grid == [[None, 1.5], [None, None]]
    assert _number(float("nan")) is None and _number(2.0) == 2.0
    json.dumps({"map": grid}, allow_nan=False)  # valid JSON


def test_the_commands_method_names_are_the_cores():
    """Written twice (the parser must not import torch): the two lists must not drift apart."""
    from convviz.core.explain import METHODS
    from convviz.explain_cli import METHOD_NAMES

    assert METHOD_NAMES == METHODS
