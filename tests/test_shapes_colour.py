"""Colour sample shapes: random ink and background colours that never give the class away,
any size including rectangles, the same for a seed."""

import numpy as np
import pytest
from PIL import Image

from convviz.core.presets import SHAPE_CLASSES
from convviz.core.shapes_data import (
    MIN_CONTRAST,
    make_arrays,
    render_shape,
    rows_cols,
    write_folder,
)


def _nearest_class_mean_accuracy(features, y, classes: int) -> float:
    """Train on the first half of each class, score on the held-out second half."""
    train = np.zeros(len(y), bool)
    for c in range(classes):
        idx = np.flatnonzero(y == c)
        train[idx[: len(idx) // 2]] = True
    means = np.stack([features[train & (y == c)].mean(axis=0) for c in range(classes)])
    test = ~train
    d = ((features[test][:, None, :] - means[None]) ** 2).sum(axis=-1)
    return float((d.argmin(axis=1) == y[test]).mean())


def test_mean_colour_alone_does_no_better_than_chance():
    x, y = make_arrays(SHAPE_CLASSES, 400, 16, seed=11, value_range=(0.0, 1.0), colour=True)
    assert x.shape == (6 * 400, 3, 16, 16)
    mean_colour = x.mean(axis=(2, 3))  # (N, 3): all a colour-only classifier gets
    acc = _nearest_class_mean_accuracy(mean_colour, y, 6)
    print(f"mean-colour nearest-class-mean accuracy: {acc:.3f} (chance {1 / 6:.3f})")
    assert abs(acc - 1 / 6) < 0.04
    # the same classifier on the pictures themselves does see the shapes (the test can fail)
    gray, gy = make_arrays(SHAPE_CLASSES, 400, 16, seed=11, value_range=(0.0, 1.0))
    assert _nearest_class_mean_accuracy(gray.reshape(len(gy), -1), gy, 6) > 0.4


def test_ink_and_background_are_far_enough_apart_to_see_the_shape():
    x, _ = make_arrays(SHAPE_CLASSES, 20, 24, seed=2, value_range=(0.0, 1.0), colour=True)
    ink, _ = make_arrays(SHAPE_CLASSES, 20, 24, seed=2, value_range=(0.0, 1.0))
    for rgb, cover in zip(x, ink[:, 0], strict=True):
        back = rgb[:, cover == 0].mean(axis=1)
        p = np.unravel_index(cover.argmax(), cover.shape)  # rgb = back + cover * (fore - back)
        fore = back + (rgb[:, p[0], p[1]] - back) / cover[p]
        assert np.linalg.norm(fore - back) >= MIN_CONTRAST - 1e-5
    # colours vary: not one fixed palette
    assert len({tuple(np.round(rgb[:, 0, 0], 3)) for rgb in x}) > 100


def test_colour_draws_the_same_shapes_as_gray_and_is_deterministic():
    a, ya = make_arrays(("X", "O"), 5, 20, seed=3, value_range=(0.0, 1.0), colour=True)
    b, _ = make_arrays(("X", "O"), 5, 20, seed=3, value_range=(0.0, 1.0), colour=True)
    c, _ = make_arrays(("X", "O"), 5, 20, seed=4, value_range=(0.0, 1.0), colour=True)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    gray, yg = make_arrays(("X", "O"), 5, 20, seed=3, value_range=(0.0, 1.0))
    np.testing.assert_array_equal(ya, yg)
    # where the gray picture has no ink, the colour one is one flat background colour
    for rgb, g in zip(a, gray[:, 0], strict=True):
        assert np.ptp(rgb[:, g == 0], axis=1).max() < 1e-6
    m1, _ = make_arrays(("X", "O"), 5, 20, seed=3, value_range=(-1.0, 1.0), colour=True)
    np.testing.assert_allclose(m1, a * 2 - 1, atol=1e-6)


@pytest.mark.parametrize("size", [(20, 36), (40, 12), (16, 16)])
def test_rectangular_drawings_stay_on_the_canvas(size):
    rows, cols = rows_cols(size)
    rng = np.random.default_rng(0)
    for name in SHAPE_CLASSES:
        for _ in range(5):
            a = render_shape(name, size, rng)
            assert a.shape == (rows, cols)
            assert a.max() > 0.5
            assert a[0].max() < 0.6 and a[-1].max() < 0.6  # no stroke cut by an edge
            assert a[:, 0].max() < 0.6 and a[:, -1].max() < 0.6
    x, _ = make_arrays(("plus",), 2, size, colour=True)
    assert x.shape == (2, 3, rows, cols)


def test_a_wide_canvas_places_shapes_along_its_length():
    rng = np.random.default_rng(1)
    centres = []
    for _ in range(30):
        a = render_shape("O", (16, 64), rng)
        cols = np.flatnonzero(a.max(axis=0) > 0.5)
        centres.append((cols.min() + cols.max()) / 2)
    assert min(centres) < 24 and max(centres) > 40


def test_a_square_draws_what_it_always_drew():
    # the rectangle support must not move a square's drawings (bundled weights, fixed tests)
    a = render_shape("triangle", 28, np.random.default_rng(5))
    b = render_shape("triangle", (28, 28), np.random.default_rng(5))
    np.testing.assert_array_equal(a, b)
    assert float(a.sum()) == pytest.approx(TRIANGLE_28_SEED_5_INK, rel=1e-6)


TRIANGLE_28_SEED_5_INK = 134.9937286376953  # measured with the code before rectangles


def test_write_folder_in_colour_writes_rgb_pngs_of_the_arrays(tmp_path):
    write_folder(tmp_path / "a", per_class=2, seed=7, size=(12, 20), colour=True)
    write_folder(tmp_path / "b", per_class=2, seed=7, size=(12, 20), colour=True)
    x, _ = make_arrays(SHAPE_CLASSES, 2, (12, 20), seed=7, value_range=(0.0, 1.0), colour=True)
    for ci, name in enumerate(SHAPE_CLASSES):
        for i in range(2):
            p = tmp_path / "a" / name / f"{name}_{i:05d}.png"
            assert p.read_bytes() == (tmp_path / "b" / name / p.name).read_bytes()
            with Image.open(p) as im:
                assert im.mode == "RGB" and im.size == (20, 12)
                rgb = np.asarray(im, np.float32).transpose(2, 0, 1) / 255
            np.testing.assert_allclose(rgb, x[ci * 2 + i], atol=0.5 / 255 + 1e-6)
