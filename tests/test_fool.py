"""Fool it: small gradient steps change the bundled `shapes` network's answer on generated
drawings."""

import numpy as np
import pytest
import torch

from convviz.core.bundled import preset_model
from convviz.core.errors import DataError
from convviz.core.fool import CHANGED, FoolStep, fool
from convviz.core.shapes_data import make_arrays


@pytest.fixture(scope="module")
def shapes():
    return preset_model("shapes")


def test_fool_flips_most_generated_drawings_within_the_step_limit(shapes):
    spec = shapes.spec
    x, _ = make_arrays(spec.classes, 3, spec.input_size, seed=2024)  # 18 drawings
    flipped = 0
    for image in x:
        said = shapes.trace(image).winner
        target = (said + 1) % len(spec.classes)  # not the runner-up: a fixed, harder choice
        r = fool(shapes, image, target, max_steps=60)
        assert r.steps[0].said == said and len(r.steps) <= 61
        assert r.final.min() >= -1.0 and r.final.max() <= 1.0  # inside the value range
        if r.fooled:
            flipped += 1
            assert shapes.trace(r.final[0]).winner == target
            assert r.steps[-1].said == target and r.steps[-1].image is not None
            assert r.changed_pixels > 0
    assert flipped >= 0.8 * len(x), flipped


def test_fool_reports_steps_and_changes_honestly(shapes):
    x, _ = make_arrays(shapes.spec.classes, 1, 28, seed=7)
    image = x[1, 0]  # an O
    seen: list[FoolStep] = []
    r = fool(shapes, image, "square", on_step=seen.append)
    assert seen == r.steps and [s.number for s in seen] == list(range(len(seen)))
    np.testing.assert_array_equal(r.original[0], image)  # the original is kept untouched
    np.testing.assert_array_equal(seen[0].image[0], image)
    moved = np.abs(r.final - r.original).max(0)
    assert r.changed_pixels == int((moved > CHANGED * 2.0).sum())
    assert r.largest_change == pytest.approx(float(moved.max()))
    assert r.target_name == "square" and r.target == 2


def test_fool_stops_when_told_and_refuses_bad_settings(shapes):
    image = np.full((28, 28), -1.0, np.float32)
    r = fool(shapes, image, 0, should_stop=lambda: True)
    assert (len(r.steps) == 1 and not r.fooled) or r.steps[0].said == 0
    with pytest.raises(DataError, match="step limit"):
        fool(shapes, image, 0, max_steps=100_000)
    with pytest.raises(DataError, match="step must be"):
        fool(shapes, image, 0, step=0.0)
    with pytest.raises(DataError, match="no class called"):
        fool(shapes, image, "dog")


def test_fool_works_from_inside_inference_mode(shapes):
    x, _ = make_arrays(shapes.spec.classes, 1, 28, seed=3)
    with torch.inference_mode():
        r = fool(shapes, x[0, 0], "plus")
    assert r.fooled
