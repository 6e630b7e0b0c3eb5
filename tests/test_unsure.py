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
from convviz.core.unsure import QUANTILE, SCORE_MARGIN, Calibration, calibrate, judge
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
    for got, scores in ((cal.min_probability, prob), (cal.min_logsumexp, lse)):
        low = np.quantile(scores, QUANTILE)  # lowered a little for 500: SCORE_MARGIN/sqrt(500)
        margin = (np.median(scores) - low) * SCORE_MARGIN / np.sqrt(500)
        assert got == pytest.approx(low - margin)
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


def test_a_small_held_out_set_does_not_flag_the_training_images_for_their_ink():
    """Calibrated on 12 held-out drawings (3% to 12% ink), `predict` called 24 of the network's
    own 72 training images unsure ("16% of it is ink"). The range seen is widened by a margin
    that shrinks with more drawings; a dot and a filled canvas stay outside it."""
    from convviz.core.unsure import accepted_ink

    classes = ("X", "O", "square", "triangle", "plus", "check")
    images, _ = make_arrays(classes, 200, 28, seed=3, value_range=RANGE)
    sure_votes = np.array([12.0, 0, 0, 0, 0, 0])  # only the ink can make it unsure
    rng = np.random.default_rng(0)
    for n in (12, 30):
        for _ in range(5):  # a few small held-out sets drawn from the 1,200
            held = images[rng.choice(len(images), n, replace=False)]
            cal = calibrate(np.tile(sure_votes, (n, 1)), held, RANGE)
            flagged = [judge(sure_votes, im[0], RANGE, cal) for im in images]
            share = np.mean([unsure for unsure, _ in flagged])
            assert share <= 0.02, (n, share, [w for u, w in flagged if u][:1])
            dot = np.full((28, 28), -1.0)
            dot[13:15, 13:15] = 1.0  # 4 pixels of 784
            for far in (dot, np.ones((28, 28))):
                unsure, why = judge(sure_votes, far, RANGE, cal)
                assert unsure and "of it is ink" in why
    # the margin shrinks as the held-out set grows: with 10,000 little more than what was seen
    lo, hi = accepted_ink(Calibration(0.5, None, (0.03, 0.2), 10_000))
    assert 0.029 < lo < 0.03 and 0.2 < hi < 0.206
    lo, hi = accepted_ink(Calibration(0.5, None, (0.03, 0.12), 12))
    assert lo < 0.02 and hi > 0.2


def test_a_small_held_out_set_gives_thresholds_that_pass_drawings_like_it():
    """The 1% point of 12 drawings' scores is about their lowest, which 1 in 13 new drawings
    like them falls below, for each sign: lowered by a margin that shrinks with more drawings."""
    rng = np.random.default_rng(1)

    def drawings(n):
        votes = rng.normal(0, 3, (n, 4))
        images = np.where(rng.uniform(0, 1, (n, 1, 8, 8)) < 0.25, 1.0, -1.0)
        return votes, images

    new_votes, new_images = drawings(2000)
    shares = []
    for _ in range(10):
        cal = calibrate(*drawings(12), RANGE)
        flagged = [judge(v, im, RANGE, cal) for v, im in zip(new_votes, new_images, strict=True)]
        shares.append(np.mean([unsure for unsure, _ in flagged]))
    assert np.mean(shares) <= 0.06, shares  # 0.2 without the margins
    cal = calibrate(*drawings(12), RANGE)
    assert judge([0.3, 0.2, 0.1, 0.0], new_images[0], RANGE, cal)[0]  # no clear favourite
