"""Pictures and number grids in: every PNG flavour decodes with ink high; bad grids say why."""

import numpy as np
import pytest
from PIL import Image

from convviz.core.errors import DataError
from convviz.core.grid_text import load_grid_text
from convviz.core.imageio import (
    decode_gray,
    fit_to,
    ink_from_gray,
    load_image,
    load_input,
    save_png,
    to_range,
)

SIZE = 16


def _ink_mask(size=SIZE):
    """A plus sign: the ink we draw in every format below."""
    m = np.zeros((size, size), dtype=bool)
    m[3:13, 7:9] = True
    m[7:9, 3:13] = True
    return m


def _check_ink_high(path, mask=None):
    mask = _ink_mask() if mask is None else mask
    a = load_image(path, SIZE, (-1.0, 1.0))
    assert a.shape == (SIZE, SIZE) and a.dtype == np.float32
    assert a.min() >= -1.0 and a.max() <= 1.0
    np.testing.assert_allclose(a[mask], 1.0, atol=0.02)
    np.testing.assert_allclose(a[~mask], -1.0, atol=0.02)
    return a


def test_8bit_gray_white_on_black(tmp_path):
    Image.fromarray(np.where(_ink_mask(), 255, 0).astype(np.uint8), "L").save(tmp_path / "a.png")
    _check_ink_high(tmp_path / "a.png")


def test_8bit_light_background_is_inverted(tmp_path):
    Image.fromarray(np.where(_ink_mask(), 0, 255).astype(np.uint8), "L").save(tmp_path / "a.png")
    _check_ink_high(tmp_path / "a.png")  # dark pen on paper: still ink high


def test_16bit_png(tmp_path):
    img = Image.fromarray(np.where(_ink_mask(), 65535, 0).astype(np.uint16))
    img.save(tmp_path / "a.png")
    with Image.open(tmp_path / "a.png") as check:
        assert check.mode.startswith("I")  # really stored with 16 bits
    _check_ink_high(tmp_path / "a.png")
    g = decode_gray(tmp_path / "a.png")
    assert g.max() == pytest.approx(1.0) and g.min() == 0.0
    # 16-bit dark on light too
    Image.fromarray(np.where(_ink_mask(), 0, 65535).astype(np.uint16)).save(tmp_path / "b.png")
    _check_ink_high(tmp_path / "b.png")


def test_palette_png(tmp_path):
    rgb = np.zeros((SIZE, SIZE, 3), dtype=np.uint8)
    rgb[~_ink_mask()] = (250, 250, 240)  # cream paper
    rgb[_ink_mask()] = (0, 0, 0)  # black ink
    Image.fromarray(rgb, "RGB").convert("P", palette=Image.Palette.ADAPTIVE, colors=4).save(
        tmp_path / "p.png"
    )
    with Image.open(tmp_path / "p.png") as check:
        assert check.mode == "P"
    a = load_image(tmp_path / "p.png", SIZE)
    assert (a[_ink_mask()] > 0.95).all() and (a[~_ink_mask()] < -0.9).all()


def test_rgba_with_transparent_background(tmp_path):
    rgba = np.zeros((SIZE, SIZE, 4), dtype=np.uint8)  # transparent black everywhere...
    rgba[_ink_mask()] = (20, 20, 120, 255)  # ...but a dark blue opaque stroke
    Image.fromarray(rgba, "RGBA").save(tmp_path / "t.png")
    a = load_image(tmp_path / "t.png", SIZE)
    # the transparent background counts as paper (white), so the dark stroke is the ink
    assert (a[~_ink_mask()] == -1.0).all()
    assert (a[_ink_mask()] > 0.6).all()


def test_palette_with_transparency(tmp_path):
    # index 0: transparent (black, but see-through), index 1: opaque black ink
    img = Image.fromarray(np.where(_ink_mask(), 1, 0).astype(np.uint8), "P")
    img.putpalette([0, 0, 0] * 256)
    img.save(tmp_path / "pt.png", transparency=0)
    with Image.open(tmp_path / "pt.png") as check:
        assert check.mode == "P" and check.info.get("transparency") == 0
    _check_ink_high(tmp_path / "pt.png")


def test_rgb_and_gray_with_alpha(tmp_path):
    la = np.zeros((SIZE, SIZE, 2), dtype=np.uint8)
    la[..., 1] = np.where(_ink_mask(), 255, 0)  # black, opaque only where the ink is
    Image.fromarray(la, "LA").save(tmp_path / "la.png")
    _check_ink_high(tmp_path / "la.png")
    rgb = np.repeat(np.where(_ink_mask(), 255, 0).astype(np.uint8)[..., None], 3, 2)
    Image.fromarray(rgb, "RGB").save(tmp_path / "rgb.jpg", quality=100)
    a = load_image(tmp_path / "rgb.jpg", SIZE)
    assert (a[_ink_mask()] > 0.8).all() and (a[~_ink_mask()] < -0.8).all()


def test_resizing_keeps_the_aspect_and_thin_strokes(tmp_path):
    wide = np.zeros((20, 40), dtype=np.uint8)
    wide[9:11, :] = 255  # a 2-pixel horizontal line across a wide picture
    Image.fromarray(wide, "L").save(tmp_path / "w.png")
    a = load_image(tmp_path / "w.png", 10, (0.0, 1.0))
    assert a.shape == (10, 10)
    rows = a.sum(1)
    assert rows.argmax() in (4, 5) and rows.max() > 2  # the line survives shrinking by 4
    assert a[0].max() == 0 and a[-1].max() == 0  # padded with background, not stretched
    small = fit_to(np.ones((2, 2), np.float32), 8)  # growing: bilinear, stays in 0..1
    assert small.shape == (8, 8) and small.min() >= 0 and small.max() <= 1


def test_value_range_mapping():
    np.testing.assert_allclose(to_range(np.array([0.0, 0.5, 1.0]), (-1, 1)), [-1, 0, 1])
    np.testing.assert_allclose(to_range(np.array([0.0, 1.0]), (0, 255)), [0, 255])
    g = np.ones((5, 5), np.float32)
    g[2, 2] = 0
    np.testing.assert_array_equal(ink_from_gray(g), 1 - g)  # light border: inverted
    np.testing.assert_array_equal(ink_from_gray(1 - g), 1 - g)  # dark border: as is


def test_save_png_round_trip(tmp_path):
    ink = np.linspace(0, 1, 64, dtype=np.float32).reshape(8, 8)
    save_png(tmp_path / "s.png", ink)
    np.testing.assert_allclose(decode_gray(tmp_path / "s.png"), ink, atol=1 / 255)


def test_unreadable_images(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        load_image(tmp_path / "none.png", 8)
    (tmp_path / "text.png").write_text("not a picture")
    with pytest.raises(DataError, match="not an image convviz can read"):
        load_image(tmp_path / "text.png", 8)
    Image.fromarray(np.zeros((64, 64), np.uint8)).save(tmp_path / "whole.png")
    (tmp_path / "cut.png").write_bytes((tmp_path / "whole.png").read_bytes()[:60])
    with pytest.raises(DataError) as info:
        load_image(tmp_path / "cut.png", 8)
    assert "cut.png" in str(info.value) and "\n" not in str(info.value)


# ---- grids ------------------------------------------------------------------------------------
DECK_STYLE = """\
# the deck's X, 1 = ink
-1 -1 -1
-1  1 -1

-1 -1 -1
"""


def test_grid_text_like_the_deck(tmp_path):
    (tmp_path / "g.txt").write_text(DECK_STYLE)
    g = load_grid_text(tmp_path / "g.txt")
    assert g.dtype == np.float32 and g.shape == (3, 3) and g[1, 1] == 1 and g.sum() == -7
    (tmp_path / "c.csv").write_text("0.5, -0.25\n1,0\n")
    np.testing.assert_array_equal(load_grid_text(tmp_path / "c.csv"), [[0.5, -0.25], [1, 0]])
    np.testing.assert_array_equal(load_input(tmp_path / "g.txt", 3), g)


@pytest.mark.parametrize(
    "text,words",
    [
        ("1 2\n3 x\n", "line 2 holds something that is not a number"),
        ("1 2 3\n4 5\n", "rows have different lengths (2, 3)"),
        ("# only a comment\n\n", "no numbers in the file"),
        ("1 nan\n1 1\n", "not finite"),
        ("1 inf\n1 1\n", "not finite"),
    ],
)
def test_grid_text_errors(tmp_path, text, words):
    (tmp_path / "g.txt").write_text(text)
    with pytest.raises(DataError) as info:
        load_grid_text(tmp_path / "g.txt")
    assert words in str(info.value) and "g.txt" in str(info.value)
    assert "\n" not in str(info.value)


def test_grid_file_problems(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        load_grid_text(tmp_path / "none.txt")
    (tmp_path / "bin.txt").write_bytes(b"\xff\xfe\x00\x80 binary")
    with pytest.raises(DataError, match="cannot read it as text"):
        load_grid_text(tmp_path / "bin.txt")


def test_grid_must_fit_the_model(tmp_path):
    (tmp_path / "g.txt").write_text(DECK_STYLE)
    with pytest.raises(DataError, match=r"the grid is 3x3 but the model takes 9x9"):
        load_input(tmp_path / "g.txt", 9)
    (tmp_path / "big.txt").write_text("2 0\n0 0\n")
    with pytest.raises(DataError, match=r"values must lie in -1\.\.1, found 0\.\.2"):
        load_input(tmp_path / "big.txt", 2)


# ---- hostile shapes and names (the process-level cases are in tests/hostile/) ---------------
def test_fit_to_scales_before_it_pads():
    thin = np.ones((20000, 1), np.float32)  # padded first, this was a 20000 x 20000 array
    out = fit_to(thin, 28)
    assert out.shape == (28, 28)
    assert out[:, 13].min() > 0.0  # one centred column of ink, the rest background
    assert np.delete(out, 13, axis=1).max() == 0.0
    wide = fit_to(np.ones((3, 300), np.float32), 30)
    assert wide.shape == (30, 30) and wide[:, 0].sum() == pytest.approx(wide[14, 0])


def test_shown_names_are_one_printable_line():
    from convviz.core.imageio import shown

    assert shown("plain/name.png") == "plain/name.png"
    assert shown("caf\udce9.png") == "caf\\xe9.png"  # a Latin-1 byte, as os.listdir gives it
    assert shown(b"caf\xe9") == "caf\\xe9"
    assert shown("a\nb\tc") == "a\\nb\\tc"
    assert shown("\ud800x") == "\\ud800x"  # a lone surrogate that is not from the file system


def test_only_listed_formats_are_decoded_whatever_the_suffix(tmp_path):
    pic = Image.fromarray(np.where(_ink_mask(), 255, 0).astype(np.uint8), "L")
    pic.save(tmp_path / "png.jpg", format="PNG")  # a listed format under another suffix: read
    _check_ink_high(tmp_path / "png.jpg")
    pic.save(tmp_path / "pgm.png", format="PPM")  # Pillow reads it; convviz does not list it
    (tmp_path / "eps.png").write_text("%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 8 8\n")
    for name in ("pgm.png", "eps.png"):
        with pytest.raises(DataError, match="not an image convviz can read"):
            load_image(tmp_path / name, SIZE)


def test_pixel_and_file_limits_are_checked_from_the_header(tmp_path, monkeypatch):
    from convviz.core import limits

    Image.new("L", (300, 200)).save(tmp_path / "a.png")
    monkeypatch.setattr(limits, "IMAGE_MAX_PIXELS", 300 * 200 - 1)
    with pytest.raises(DataError, match=r"300x200 pixels, over convviz's limit of 0\.059999"):
        load_image(tmp_path / "a.png", SIZE)
    monkeypatch.setattr(limits, "IMAGE_MAX_PIXELS", 300 * 200)
    assert load_image(tmp_path / "a.png", SIZE).shape == (SIZE, SIZE)
    monkeypatch.setattr(limits, "IMAGE_MAX_FILE_BYTES", 10)
    with pytest.raises(DataError, match="over convviz's limit of 0 MB for an image"):
        load_image(tmp_path / "a.png", SIZE)
    with pytest.raises(DataError, match="not a file"):
        load_image(tmp_path, SIZE)


def test_large_pictures_are_reduced_like_direct_area_averaging(tmp_path):
    rng = np.random.default_rng(1)
    big = (rng.random((900, 1200)) > 0.7).astype(np.uint8) * 255
    Image.fromarray(big).save(tmp_path / "big.png")
    reduced = load_image(tmp_path / "big.png", 28, (0.0, 1.0))
    direct = fit_to(ink_from_gray(big.astype(np.float32) / 255), 28)
    assert np.abs(reduced - direct).max() < 0.02


def test_16bit_big_endian_tiff(tmp_path):
    ink = np.where(_ink_mask(), 65535, 0).astype(">u2")
    Image.frombuffer("I;16B", (SIZE, SIZE), ink.tobytes(), "raw", "I;16B", 0, 1).save(
        tmp_path / "b.tif"
    )
    with Image.open(tmp_path / "b.tif") as check:
        assert check.mode == "I;16B"
    _check_ink_high(tmp_path / "b.tif")


def test_one_list_of_image_suffixes_agrees_with_the_decoded_formats_and_pillow():
    """Folders, the Open dialog and drag-and-drop read one list (issue 12): every suffix in it is,
    for Pillow too, a format convviz decodes, and every such format has a suffix."""
    from PIL import Image

    from convviz.core import limits
    from convviz.core.imageio import IMAGE_FILTER, IMAGE_SUFFIXES, is_image_path

    Image.init()
    pillow = Image.registered_extensions()
    assert {pillow[s] for s in IMAGE_SUFFIXES} == set(limits.IMAGE_FORMATS)
    assert all(f"*{s}" in IMAGE_FILTER for s in IMAGE_SUFFIXES)
    assert is_image_path("A.JPEG") and not is_image_path("a.ppm") and not is_image_path("a.eps")
