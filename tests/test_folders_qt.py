"""The QImage decoder gives what the Pillow decoder gives, for every kind of file a folder holds."""

import numpy as np
import pytest
from PIL import Image
from test_folders_helpers import draw, make_folder

from convviz.core.errors import DataError
from convviz.core.folders import load_folder, pillow_decode
from convviz.core.imageio import ink_from_gray
from convviz.qt.training.folder_decode import qimage_decode


def _variants(tmp_path):
    pic = np.asarray(draw("x", size=64), np.uint8)
    files = {}
    for name, img in [
        ("eight.png", Image.fromarray(pic)),
        ("sixteen.png", Image.fromarray(pic.astype(np.uint16) * 257)),
        ("palette.gif", Image.fromarray(pic).convert("P")),
        ("rgb.bmp", Image.fromarray(pic).convert("RGB")),
        ("photo.jpg", Image.fromarray(255 - pic).convert("RGB")),
        ("lossless.webp", Image.fromarray(pic).convert("RGB")),
        ("scan.tiff", Image.fromarray(255 - pic)),
    ]:
        img.save(tmp_path / name, **({"lossless": True} if name.endswith("webp") else {}))
        files[name] = tmp_path / name
    rgba = np.zeros((*pic.shape, 4), np.uint8)
    rgba[..., 3] = pic  # black ink on a transparent background
    Image.fromarray(rgba, "RGBA").save(tmp_path / "alpha.png")
    files["alpha.png"] = tmp_path / "alpha.png"
    Image.fromarray(255 - pic[16:48]).save(tmp_path / "wide.png")  # 64 x 32: padded
    files["wide.png"] = tmp_path / "wide.png"
    return files


@pytest.mark.parametrize("size", [28, 9, 100])
def test_qimage_and_pillow_decoders_agree(tmp_path, size):
    for name, path in _variants(tmp_path).items():
        a = pillow_decode(str(path), size)
        b = ink_from_gray(qimage_decode(str(path), size))  # gray or ink: the loader's rule
        assert b.shape == (size, size) and b.dtype == np.float32, name
        assert b.min() >= 0.0 and b.max() <= 1.0, name
        # the two libraries filter slightly differently when shrinking (most at 64 -> 9); the
        # picture and its overall brightness are the same
        assert np.abs(a - b).mean() < (0.06 if size < 20 else 0.03), name
        assert abs(a.mean() - b.mean()) < 0.02, name


def test_qimage_decoder_refuses_a_corrupt_file(tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\ngarbage")
    with pytest.raises(DataError, match="not an image convviz can read"):  # Pillow says why
        qimage_decode(str(bad), 28)


def test_qimage_decoder_loads_a_folder_like_pillow(tmp_path):
    make_folder(tmp_path, per_class=20)
    (tmp_path / "o" / "broken.png").write_bytes(b"nope")
    a = load_folder(tmp_path, 28, (-1.0, 1.0))
    b = load_folder(tmp_path, 28, (-1.0, 1.0), decoder=qimage_decode, threads=2)
    assert a.paths == b.paths and (a.y == b.y).all()
    assert [s.path for s in b.skipped] == ["o/broken.png"]
    assert np.abs(a.X - b.X).mean() < 0.02


def test_small_pictures_decode_on_one_thread_and_large_ones_on_two(tmp_path):
    from PIL import Image

    from convviz.qt.training.folder_decode import decode_threads

    def folder(name, side, n=5):
        paths = []
        for i in range(n):
            p = tmp_path / f"{name}{i}.png"
            Image.new("L", (side, side), 255).save(p)
            paths.append(str(p))
        return paths

    small, large = folder("s", 28), folder("l", 512)
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a png")
    assert decode_threads(small) == 1
    assert decode_threads(large) == 2
    assert decode_threads(small + large[:1]) == 2  # any large picture among those sampled
    assert decode_threads([str(broken)]) == 1 and decode_threads([]) == 1


def test_the_apps_cancel_reaches_the_listing(qtbot, tmp_path, monkeypatch):

    import convviz.qt.training.folder_decode as fd
    from convviz.core.folders import LoadCancelled

    asked = []

    def listing(root, should_cancel=None):
        loader.cancel()  # Cancel pressed while the folder is being listed
        asked.append(should_cancel())
        raise LoadCancelled()

    monkeypatch.setattr(fd, "list_folder", listing)
    loader = fd.FolderLoader()
    with qtbot.waitSignal(loader.cancelled, timeout=1000):
        loader.start(tmp_path, 28, (0.0, 1.0))
    assert asked == [True]


def test_the_qt_decoder_goes_by_content_not_suffix(tmp_path):
    pic = draw("x")
    pic.save(tmp_path / "png.jpg", format="PNG")  # listed formats under another suffix: read
    pic.convert("RGB").save(tmp_path / "jpeg.tif", format="JPEG")
    for name in ("png.jpg", "jpeg.tif"):
        assert qimage_decode(str(tmp_path / name), 28).shape == (28, 28)
    (tmp_path / "svg.jpg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="8" '
        'height="8"><rect width="8" height="8"/></svg>'
    )
    (tmp_path / "xpm.tif").write_text(
        '/* XPM */\nstatic char *x[] = {"1 1 1 1", "a c #fff", "a"};\n'
    )
    for name in ("svg.jpg", "xpm.tif"):  # formats Qt reads but convviz does not list
        with pytest.raises(DataError, match="not an image convviz can read"):
            qimage_decode(str(tmp_path / name), 28)
