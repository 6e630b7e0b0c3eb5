"""Sample shapes: varied, reproducible drawings written as a labelled folder of PNGs."""

import hashlib

import numpy as np
import pytest

from convviz.core.errors import DataError
from convviz.core.folders import load_folder
from convviz.core.imageio import decode_gray
from convviz.core.presets import SHAPE_CLASSES
from convviz.core.shapes_data import make_arrays, render_shape, shape_names, write_folder


def _digest(folder):
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_the_shapes_are_the_presets_classes():
    assert shape_names() == SHAPE_CLASSES


@pytest.mark.parametrize("name", SHAPE_CLASSES)
def test_render_shape_gives_ink_in_0_1_inside_the_canvas(name):
    rng = np.random.default_rng(0)
    for size in (9, 28, 32):
        a = render_shape(name, size, rng)
        assert a.shape == (size, size) and a.dtype == np.float32
        assert a.min() >= 0 and a.max() <= 1
        assert a.max() > 0.8 and 0.03 < a.mean() < 0.6  # drawn, but not a blot
        if size >= 28:  # the shape stays off the border (on 9x9 a thick stroke may touch it)
            assert a[0].max() < 0.1 and a[-1].max() < 0.1
            assert a[:, 0].max() < 0.1 and a[:, -1].max() < 0.1


def test_drawings_vary_and_repeat_with_the_seed():
    a = render_shape("X", 28, np.random.default_rng(1))
    b = render_shape("X", 28, np.random.default_rng(1))
    c = render_shape("X", 28, np.random.default_rng(2))
    assert np.array_equal(a, b) and not np.allclose(a, c)


def test_unknown_shape():
    with pytest.raises(DataError, match="no sample shape called 'star'"):
        render_shape("star", 28, np.random.default_rng(0))


def test_make_arrays():
    x, y = make_arrays(("O", "plus"), 5, 12, seed=3, value_range=(-1.0, 1.0))
    assert x.shape == (10, 1, 12, 12) and x.dtype == np.float32 and y.dtype == np.int64
    assert y.tolist() == [0] * 5 + [1] * 5
    assert x.min() == -1.0 and x.max() <= 1.0 and x.max() > 0.8
    more, _ = make_arrays(("O", "plus"), 8, 12, seed=3)
    np.testing.assert_array_equal(more[:5], x[:5])  # more per class keeps the first ones
    np.testing.assert_array_equal(more[8:13], x[5:10])
    other, _ = make_arrays(("O", "plus"), 5, 12, seed=4)
    assert not np.allclose(other, x)
    x01, _ = make_arrays(("O",), 2, 12, seed=3, value_range=(0.0, 1.0))
    np.testing.assert_allclose(x01, (x[:2] + 1) / 2, atol=1e-6)
    with pytest.raises(DataError, match="at least 1 image per class, got 0"):
        make_arrays(("O",), 0, 12)


def test_write_folder_is_deterministic_and_complete(tmp_path):
    counts = write_folder(tmp_path / "a", per_class=3, seed=5, size=16)
    write_folder(tmp_path / "b", per_class=3, seed=5, size=16)
    write_folder(tmp_path / "c", per_class=3, seed=6, size=16)
    assert counts == {name: 3 for name in SHAPE_CLASSES}
    a, b, c = _digest(tmp_path / "a"), _digest(tmp_path / "b"), _digest(tmp_path / "c")
    assert a == b  # same seed: the same bytes
    assert a.keys() == c.keys() and a != c
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == sorted(SHAPE_CLASSES)
    for name in SHAPE_CLASSES:
        files = sorted((tmp_path / "a" / name).iterdir())
        assert [f.name for f in files] == [f"{name}_{i:05d}.png" for i in range(3)]
        for f in files:
            assert f.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # the pictures are the arrays' drawings, white ink on black
    x, _ = make_arrays(SHAPE_CLASSES, 3, 16, seed=5, value_range=(0.0, 1.0))
    png = decode_gray(tmp_path / "a" / "square" / "square_00001.png")
    np.testing.assert_allclose(png, x[2 * 3 + 1, 0], atol=1 / 255 + 1e-6)


def test_written_folder_loads_as_a_labelled_folder(tmp_path):
    write_folder(tmp_path, per_class=2, seed=1, size=28, classes=("X", "O"))
    data = load_folder(tmp_path, 28, (-1.0, 1.0))
    assert sorted(data.classes) == ["O", "X"] and len(data.y) == 4
    x, y = make_arrays(("X", "O"), 2, 28, seed=1)
    order = {c: i for i, c in enumerate(("X", "O"))}
    for img, label in zip(data.X, data.y, strict=True):
        same = x[y == order[data.classes[label]]]
        assert min(np.abs(img - s).max() for s in same) < 0.02


def test_write_folder_refuses_a_folder_with_other_files(tmp_path):
    (tmp_path / "X").write_text("a file where a class folder would go")
    with pytest.raises(DataError, match="already holds other files"):
        write_folder(tmp_path, per_class=1)
    (tmp_path / "blocker").write_text("x")
    with pytest.raises(DataError, match="cannot create"):
        write_folder(tmp_path / "blocker" / "out", per_class=1)
