"""Labelled folders: listing, decoding, polarity, and every way a folder can be unusable."""

import itertools
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image
from test_folders_helpers import draw, make_folder

from convviz.core.errors import DataError
from convviz.core.folders import LoadCancelled, list_folder, load_folder, pillow_decode, to_ink
from convviz.core.imageio import ink_from_gray, load_image


def test_core_module_imports_no_qt():
    code = (
        "import sys; import convviz.core.folders; "
        "bad = [m for m in sys.modules if m.startswith(('PySide6', 'pyqtgraph'))]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_loads_classes_counts_and_value_range(tmp_path):
    make_folder(tmp_path, per_class=5, classes=("o", "x", "bar"))
    data = load_folder(tmp_path, 28, (-1.0, 1.0))
    assert data.classes == ("bar", "o", "x")  # sorted, as ImageFolder does
    assert data.counts() == {"bar": 5, "o": 5, "x": 5}
    assert data.X.shape == (15, 1, 28, 28) and data.X.dtype == np.float32
    assert data.y.dtype == np.int64 and sorted(set(data.y.tolist())) == [0, 1, 2]
    assert data.X.min() >= -1.0 and data.X.max() <= 1.0
    # the background (border) is the low end, whatever the picture's polarity
    border = np.concatenate([data.X[:, 0, 0], data.X[:, 0, -1]], axis=1)
    assert np.all(border.mean(axis=1) < -0.8)
    assert data.paths[0].startswith("bar/")
    assert data.skipped == []


def test_light_and_dark_backgrounds_give_the_same_ink(tmp_path):
    rng1, rng2 = np.random.default_rng(3), np.random.default_rng(3)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    draw("x", rng=rng1).save(tmp_path / "a" / "white_on_black.png")
    draw("x", rng=rng2, dark_on_light=True).save(tmp_path / "b" / "black_on_white.png")
    data = load_folder(tmp_path, 28)
    np.testing.assert_allclose(data.X[0], data.X[1], atol=1e-6)
    assert data.X[0].max() == pytest.approx(1.0)  # ink high


def test_to_ink_is_imageios_rule_for_a_stack_and_idempotent():
    rng = np.random.default_rng(0)
    stack = rng.random((6, 7, 7)).astype(np.float32)
    stack[:3, 0] = 0.95  # light top rows: these three are inverted
    ink = to_ink(stack)
    for g, i in zip(stack, ink, strict=True):
        np.testing.assert_array_equal(i, ink_from_gray(g))
    np.testing.assert_array_equal(to_ink(ink), ink)


def test_folder_images_are_what_the_app_makes_of_each_picture(tmp_path):
    make_folder(tmp_path, per_class=3)
    wide = np.zeros((20, 40), np.uint8)  # not square: padded, not stretched
    wide[5:15, 5:35] = 255
    Image.fromarray(255 - wide).save(tmp_path / "x" / "wide.png")
    data = load_folder(tmp_path, 28, (-1.0, 1.0))
    for x, rel in zip(data.X, data.paths, strict=True):
        np.testing.assert_allclose(x[0], load_image(tmp_path / rel, 28, (-1.0, 1.0)), atol=1e-6)
    wide_x = data.X[data.paths.index("x/wide.png"), 0]
    assert (wide_x[:6] == -1).all() and (wide_x[-6:] == -1).all()  # background bands


def test_every_image_type_in_any_letter_case(tmp_path):
    pic = draw("o")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    names = ["p.png", "j.JPG", "k.jpeg", "b.BMP", "g.gif", "w.WebP", "t.tif", "u.TIFF"]
    for n in names:
        pic.convert("RGB" if n.lower().endswith(("jpg", "jpeg")) else "L").save(tmp_path / "a" / n)
    pic.save(tmp_path / "b" / "one.png")
    data = load_folder(tmp_path, 28)
    assert data.counts() == {"a": len(names), "b": 1}
    assert data.skipped == []
    ref = data.X[data.paths.index("b/one.png")]
    for i, p in enumerate(data.paths):  # lossy JPEG aside, every format decodes the same picture
        assert np.abs(data.X[i] - ref).mean() < 0.03, p


def test_sixteen_bit_palette_and_rgba_are_decoded(tmp_path):
    pic = np.asarray(draw("x"), np.uint8)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    Image.fromarray(pic).save(tmp_path / "a" / "eight.png")
    Image.fromarray(pic.astype(np.uint16) * 257).save(tmp_path / "a" / "sixteen.png")
    Image.fromarray(pic).convert("P").save(tmp_path / "a" / "palette.png")
    rgba = np.zeros((*pic.shape, 4), np.uint8)  # black ink on a transparent background
    rgba[..., 3] = pic
    Image.fromarray(rgba, "RGBA").save(tmp_path / "b" / "alpha.png")
    with Image.open(tmp_path / "a" / "sixteen.png") as im:
        assert im.mode.startswith("I")  # really a 16-bit file
    data = load_folder(tmp_path, 28)
    X = {p: x[0] for p, x in zip(data.paths, data.X, strict=True)}
    ref = X["a/eight.png"]
    for name in ("a/sixteen.png", "a/palette.png", "b/alpha.png"):
        assert np.abs(X[name] - ref).max() < 0.02, name


def test_hidden_files_and_folders_are_left_out(tmp_path):
    make_folder(tmp_path, per_class=3)
    (tmp_path / ".git").mkdir()
    draw("x").save(tmp_path / ".git" / "x.png")
    (tmp_path / "o" / ".thumbs").mkdir()
    draw("x").save(tmp_path / "o" / ".thumbs" / "x.png")
    (tmp_path / "o" / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    draw("x").save(tmp_path / "x" / "._resource.png")
    data = load_folder(tmp_path, 28)
    assert data.classes == ("o", "x")
    assert data.counts() == {"o": 3, "x": 3}
    assert data.skipped == []


def test_nested_folders_count_for_their_class(tmp_path):
    make_folder(tmp_path, per_class=2)
    (tmp_path / "o" / "more").mkdir()
    draw("o").save(tmp_path / "o" / "more" / "extra.png")
    assert load_folder(tmp_path, 28).counts() == {"o": 3, "x": 2}


def test_corrupt_and_non_image_files_are_skipped_and_listed(tmp_path):
    make_folder(tmp_path, per_class=4)
    (tmp_path / "o" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    (tmp_path / "x" / "empty.jpg").write_bytes(b"")
    (tmp_path / "x" / "notes.txt").write_text("hello")
    (tmp_path / "README.md").write_text("top level file")
    data = load_folder(tmp_path, 28)
    assert data.counts() == {"o": 4, "x": 4}
    why = {s.path: s.reason for s in data.skipped}
    assert set(why) == {"o/broken.png", "x/empty.jpg", "x/notes.txt", "README.md"}
    assert why["x/notes.txt"] == "not an image type"
    assert why["README.md"] == "not inside a class folder"
    assert "\n" not in why["o/broken.png"] and why["o/broken.png"]
    report = data.report()
    assert "8 images in 2 classes" in report and "4 files skipped" in report
    assert "o/broken.png" in report


def test_a_decoder_that_crashes_on_one_file_is_not_fatal(tmp_path):
    make_folder(tmp_path, per_class=3)

    def picky(path, size):
        if path.endswith("x001.png"):
            raise RuntimeError("boom")
        return pillow_decode(path, size)

    data = load_folder(tmp_path, 28, decoder=picky)
    assert data.counts() == {"o": 3, "x": 2}
    assert [s.path for s in data.skipped] == ["x/x001.png"]
    assert "boom" in data.skipped[0].reason


@pytest.mark.parametrize(
    "setup, message",
    [
        ("missing", "folder not found"),
        ("file", "not a folder"),
        ("empty", "no class folders"),
        ("flat", "no class folders"),
        ("one_class", "only one class folder ('x')"),
        ("class_without_images", "class folder 'x' has no images"),
        ("class_all_corrupt", "class folder 'x' has no usable image"),
        ("nothing_readable", "no readable images"),
    ],
)
def test_unusable_folders_are_refused_with_one_line(tmp_path, setup, message):
    root = tmp_path / "data"
    if setup == "file":
        root.write_text("x")
    elif setup != "missing":
        root.mkdir()
    if setup == "flat":
        draw("x").save(root / "a.png")
    elif setup == "one_class":
        make_folder(root, per_class=3, classes=("x",))
    elif setup == "class_without_images":
        make_folder(root, per_class=3, classes=("o",))
        (root / "x").mkdir()
        (root / "x" / "notes.txt").write_text("no pictures here")
    elif setup == "class_all_corrupt":
        make_folder(root, per_class=3, classes=("o",))
        (root / "x").mkdir()
        (root / "x" / "bad.png").write_bytes(b"garbage")
    elif setup == "nothing_readable":
        for c in ("o", "x"):
            (root / c).mkdir()
            (root / c / "bad.png").write_bytes(b"garbage")
    with pytest.raises(DataError) as err:
        load_folder(root, 28)
    text = str(err.value)
    assert message in text and "\n" not in text


def test_progress_reaches_the_total_and_cancel_stops(tmp_path):
    make_folder(tmp_path, per_class=150)  # 300 images: three chunks at least
    seen = []
    load_folder(tmp_path, 28, progress=lambda d, t: seen.append((d, t)))
    assert seen[0] == (0, 300) and seen[-1] == (300, 300)
    assert all(a[0] <= b[0] for a, b in itertools.pairwise(seen))

    calls = []

    def cancel_after_first():
        calls.append(1)
        return len(calls) > 1

    with pytest.raises(LoadCancelled):
        load_folder(tmp_path, 28, should_cancel=cancel_after_first, threads=1)


def test_listing_reports_counts_before_decoding(tmp_path):
    make_folder(tmp_path, per_class=4, classes=("o", "x"))
    listing = list_folder(tmp_path)
    assert listing.counts() == {"o": 4, "x": 4}
    data = load_folder(tmp_path, 9, (-1.0, 1.0), listing=listing)
    assert data.X.shape == (8, 1, 9, 9)
