"""In colour too, the QImage decoder gives what the Pillow decoder gives."""

import numpy as np
import pytest
from PIL import Image

from convviz.core.folders import load_folder, pillow_decode
from convviz.core.shapes_data import write_folder
from convviz.qt.training.folder_decode import qimage_decode


def _pictures(tmp_path):
    rng = np.random.default_rng(0)
    rgb = np.zeros((64, 48, 3), np.uint8)
    rgb[:, :24] = (220, 40, 10)
    rgb[16:48, 12:36] = (20, 200, 240)
    rgb = np.clip(rgb.astype(int) + rng.integers(-8, 8, rgb.shape), 0, 255).astype(np.uint8)
    gray = rgb.mean(axis=2).astype(np.uint8)
    files = {}
    for name, img in [
        ("rgb.png", Image.fromarray(rgb)),
        ("gray.png", Image.fromarray(gray)),
        ("gray16.png", Image.fromarray(gray.astype(np.uint16) * 257)),
        ("palette.gif", Image.fromarray(rgb).convert("P", palette=Image.Palette.ADAPTIVE)),
        ("photo.jpg", Image.fromarray(rgb)),
        ("rgb.bmp", Image.fromarray(rgb)),
    ]:
        img.save(tmp_path / name)
        files[name] = tmp_path / name
    rgba = np.dstack([rgb, np.where(gray > 100, 255, 60).astype(np.uint8)])
    Image.fromarray(rgba, "RGBA").save(tmp_path / "alpha.png")
    files["alpha.png"] = tmp_path / "alpha.png"
    return files


@pytest.mark.parametrize("size", [(28, 28), (20, 36), (64, 48), 9])
def test_qimage_and_pillow_agree_in_colour(tmp_path, size):
    for name, path in _pictures(tmp_path).items():
        a = pillow_decode(str(path), size, 3)
        b = qimage_decode(str(path), size, 3)
        assert b.shape == a.shape and b.dtype == np.float32, name
        assert b.min() >= 0 and b.max() <= 1, name
        # the libraries filter slightly differently when shrinking; each channel's picture and
        # brightness are the same
        assert np.abs(a - b).mean() < (0.06 if min(a.shape[1:]) < 20 else 0.03), name
        np.testing.assert_allclose(
            a.mean(axis=(1, 2)), b.mean(axis=(1, 2)), atol=0.02, err_msg=name
        )


def test_a_colour_folder_loads_the_same_through_either_decoder(tmp_path):
    write_folder(tmp_path, per_class=4, seed=3, size=(16, 24), classes=("O", "plus"), colour=True)
    a = load_folder(tmp_path, (16, 24), (-1.0, 1.0), channels=3)
    b = load_folder(tmp_path, (16, 24), (-1.0, 1.0), decoder=qimage_decode, threads=2, channels=3)
    assert a.paths == b.paths and a.X.shape == (8, 3, 16, 24)
    np.testing.assert_allclose(a.X, b.X, atol=1e-6)  # no scaling needed: the same numbers
    assert "loaded in colour (RGB)" in b.report()


def test_the_apps_folder_loader_loads_in_colour_when_asked(tmp_path, qtbot):
    from convviz.qt.training.folder_decode import FolderLoader

    write_folder(tmp_path, per_class=3, seed=1, size=12, classes=("O", "X"), colour=True)
    loader = FolderLoader()
    with qtbot.waitSignal(loader.loaded, timeout=20000) as got:
        loader.start(tmp_path, (12, 12), (0.0, 1.0), 3)
    images = got.args[0]
    assert images.X.shape == (6, 3, 12, 12) and "loaded in colour (RGB)" in images.report()
    with qtbot.waitSignal(loader.loaded, timeout=20000) as got:
        loader.start(tmp_path, 12, (0.0, 1.0))  # a 1-channel network: grayscale, as before
    assert got.args[0].X.shape == (6, 1, 12, 12)
    assert "loaded in grayscale" in got.args[0].report()
    assert loader.wait(5)


@pytest.mark.parametrize("size", [(20, 36), (40, 12)])
def test_qimage_and_pillow_agree_on_rectangles_in_grayscale(tmp_path, size):
    from convviz.core.imageio import ink_from_gray

    for name, path in _pictures(tmp_path).items():
        a = pillow_decode(str(path), size)
        b = ink_from_gray(qimage_decode(str(path), size))  # gray or ink: the loader's rule
        assert a.shape == b.shape == size, name
        assert np.abs(a - b).mean() < 0.03 and abs(a.mean() - b.mean()) < 0.02, name
