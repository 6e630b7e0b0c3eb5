"""Unsure, not confident nonsense: thresholds from held-out drawings, kept with the weights, and
used by `predict --json`."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from convviz.core.imageio import save_png
from convviz.core.network import build
from convviz.core.presets import preset
from convviz.core.shapes_data import make_arrays, render_shape
from convviz.core.training import TrainConfig, train
from convviz.core.unsure import QUANTILE, Calibration, calibrate, judge
from convviz.core.weights import load_model, metadata_for, save_model

ROOT = Path(__file__).resolve().parents[1]
RANGE = (-1.0, 1.0)


def test_calibrate_takes_the_held_out_quantiles():
    rng = np.random.default_rng(0)
    votes = rng.normal(0, 3, (500, 4))
    images = np.where(
        rng.uniform(0, 1, (500, 1, 8, 8)) < rng.uniform(0.1, 0.4, (500, 1, 1, 1)), 1.0, -1.0
    )
    cal = calibrate(votes, images, RANGE)
    lse = np.log(np.exp(votes).sum(1))
    prob = np.exp(votes.max(1) - lse)
    assert cal.min_probability == pytest.approx(np.quantile(prob, QUANTILE))
    assert cal.min_logsumexp == pytest.approx(np.quantile(lse, QUANTILE))
    share = (images.reshape(500, -1) > 0).mean(1)
    assert cal.ink_share == (share.min(), share.max()) and cal.held_out == 500
    flagged = [judge(v, im, RANGE, cal)[0] for v, im in zip(votes, images, strict=True)]
    assert np.mean(flagged) <= 2 * QUANTILE


def test_judge_gives_each_reason():
    cal = Calibration(0.9, 3.0, (0.05, 0.3), 100)
    drawing = np.full((8, 8), -1.0)
    drawing[2:4, 1:7] = 1.0  # 12 of 64 pixels: inside the ink range
    assert judge([10, 0, 0], np.full((8, 8), -1.0), RANGE, cal) == (
        True,
        "nothing drawn: the input is blank",
    )
    unsure, why = judge([1.0, 0.9, 0.0], drawing, RANGE, cal)
    assert unsure and "largest probability" in why and "held-out" in why
    unsure, why = judge([2.0, -8.0, -8.0], drawing, RANGE, cal)  # sure of itself, but weak votes
    assert unsure and "weak overall" in why
    unsure, why = judge([10.0, 0, 0], np.ones((8, 8)), RANGE, cal)
    assert unsure and "100% of it is ink" in why
    assert judge([10.0, 0, 0], drawing, RANGE, cal)[0] is False
    assert judge([np.nan, 0, 0], drawing, RANGE, cal) == (
        True,
        "its votes are not finite numbers (NaN or infinity)",
    )
    # no calibration: the default threshold, said so
    unsure, why = judge([1.0, 0.9, 0.0], drawing, RANGE, None)
    assert unsure and "default" in why
    assert judge([10.0, 0, 0], np.ones((8, 8)), RANGE, None)[0] is False


def test_malformed_calibrations_are_dropped():
    for bad in [
        {},
        {"min_probability": "x"},
        {"min_probability": 2.0},
        {"min_probability": 0.5, "min_logsumexp": float("nan")},
        {"min_probability": 0.5, "ink_share": [0.1]},
        [],
        None,
    ]:
        assert Calibration.from_dict(bad) is None, bad
    cal = Calibration(0.5, 1.0, (0.1, 0.2), 7)
    assert Calibration.from_dict(cal.to_dict()) == cal


@pytest.mark.parametrize("suffix", [".safetensors", ".pt"])
def test_training_stores_the_calibration_with_the_weights(tmp_path, suffix):
    spec = preset("xo")
    x, y = make_arrays(spec.classes, 20, spec.input_size, seed=1)
    model = build(spec, seed=0)
    result = train(model, x, y, TrainConfig(epochs=1, batch_size=16, val_split=0.5, device="cpu"))
    assert isinstance(result.calibration, Calibration) and result.calibration.held_out == 20
    assert model.calibration == result.calibration
    save_model(model, tmp_path / f"m{suffix}")
    loaded, _ = load_model(tmp_path / f"m{suffix}")
    assert loaded.calibration == result.calibration


def test_old_files_and_damaged_calibrations_still_open(tmp_path):
    from safetensors.torch import save_file

    model = build(preset("xo"), seed=0)
    save_model(model, tmp_path / "old.safetensors")  # no calibration: as older convviz wrote
    assert load_model(tmp_path / "old.safetensors")[0].calibration is None
    meta = metadata_for(model) | {"unsure": '{"min_probability": "lots"'}
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    save_file(state, tmp_path / "bad.safetensors", metadata=meta)
    assert load_model(tmp_path / "bad.safetensors")[0].calibration is None


def test_predict_json_says_unsure_with_a_reason(tmp_path):
    save_png(tmp_path / "blank.png", np.zeros((28, 28), np.float32))
    save_png(tmp_path / "x.png", render_shape("X", 28, np.random.default_rng(3)))
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "convviz",
            "predict",
            ROOT / "resources" / "shapes.safetensors",
            "blank.png",
            "x.png",
            "--json",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert p.returncode == 0, p.stderr
    blank, x = json.loads(p.stdout)
    assert blank["unsure"] is True and blank["reason"] == "nothing drawn: the input is blank"
    assert x["unsure"] is False and x["class"] == "X" and "held-out drawings" in x["reason"]
