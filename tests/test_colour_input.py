"""Colour and rectangular input: pictures and labelled folders load in colour (RGB) for a network
taking 3 channels and in grayscale for one taking 1; number grids carry one grid a channel."""

import numpy as np
import pytest
from PIL import Image

from convviz.core import limits
from convviz.core.errors import DataError
from convviz.core.folders import load_folder, pillow_decode
from convviz.core.grid_text import load_grids_text
from convviz.core.imageio import decode_rgb, fit_to, load_image, load_input
from convviz.core.shapes_data import make_arrays, write_folder


def _checker(h=32, w=32):
    """Red left half, blue right half, a green square in the middle."""
    a = np.zeros((h, w, 3), np.uint8)
    a[:, : w // 2, 0] = 200
    a[:, w // 2 :, 2] = 180
    a[h // 4 : 3 * h // 4, w // 4 : 3 * w // 4] = (10, 220, 30)
    return a


def test_a_colour_picture_loads_as_rgb_channels_in_the_value_range(tmp_path):
    Image.fromarray(_checker()).save(tmp_path / "c.png")
    x = load_image(tmp_path / "c.png", 16, (-1.0, 1.0), channels=3)
    assert x.shape == (3, 16, 16) and x.dtype == np.float32
    np.testing.assert_allclose(x[:, 1, 1], np.array([200, 0, 0]) / 255 * 2 - 1, atol=1e-5)
    np.testing.assert_allclose(x[:, 1, 14], np.array([0, 0, 180]) / 255 * 2 - 1, atol=1e-5)
    np.testing.assert_allclose(x[:, 8, 8], np.array([10, 220, 30]) / 255 * 2 - 1, atol=1e-5)
    # no polarity rule in colour: a light picture stays light
    Image.fromarray(np.full((8, 8, 3), 250, np.uint8)).save(tmp_path / "light.png")
    assert load_image(tmp_path / "light.png", 8, (0.0, 1.0), channels=3).min() > 0.97
    # the same picture for a 1-channel network: grayscale, as before
    assert load_image(tmp_path / "c.png", 16, (-1.0, 1.0)).shape == (16, 16)
    with pytest.raises(DataError, match=r"1 channel .* or 3 .* the model takes 4"):
        load_image(tmp_path / "c.png", 16, channels=4)


def test_gray_palette_and_transparent_pictures_in_a_colour_load(tmp_path):
    gray = np.arange(64, dtype=np.uint8).reshape(8, 8) * 4
    Image.fromarray(gray).save(tmp_path / "g.png")
    Image.fromarray(gray.astype(np.uint16) * 257).save(tmp_path / "g16.png")
    for name in ("g.png", "g16.png"):
        rgb = decode_rgb(tmp_path / name)
        assert rgb.shape == (8, 8, 3)
        np.testing.assert_allclose(rgb, np.repeat(gray[..., None] / 255, 3, 2), atol=1e-5)
    pal = Image.fromarray(_checker()).convert("P", palette=Image.Palette.ADAPTIVE, colors=4)
    pal.save(tmp_path / "p.gif")
    np.testing.assert_allclose(
        decode_rgb(tmp_path / "p.gif"), np.asarray(pal.convert("RGB")) / 255, atol=1e-6
    )
    rgba = np.zeros((8, 8, 4), np.uint8)
    rgba[..., 0] = 255  # red, half of it see-through, the rest fully transparent
    rgba[:4, :, 3] = 128
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    rgb = decode_rgb(tmp_path / "a.png")
    np.testing.assert_allclose(rgb[6, 0], [1, 1, 1], atol=1e-6)  # transparent: white
    np.testing.assert_allclose(rgb[0, 0], [1, 127 / 255, 127 / 255], atol=2 / 255)  # over white


def test_rectangular_inputs_keep_the_aspect_and_pad(tmp_path):
    Image.fromarray(_checker(20, 40)).save(tmp_path / "wide.png")  # 40 wide, 20 high
    x = load_image(tmp_path / "wide.png", (20, 40), (0.0, 1.0), channels=3)
    assert x.shape == (3, 20, 40)
    np.testing.assert_allclose(x[:, 10, 20], np.array([10, 220, 30]) / 255, atol=1e-5)
    tall = load_image(tmp_path / "wide.png", (20, 20), (0.0, 1.0), channels=3)
    assert tall.shape == (3, 20, 20)
    assert tall[:, :5].max() == 0 and tall[:, 15:].max() == 0  # 20x10 picture, padded black
    g = fit_to(np.ones((4, 8), np.float32), (8, 8))
    assert g.shape == (8, 8) and g[:2].max() == 0 and g[2:6].min() == 1


def test_a_colour_folder_loads_in_colour_and_says_so(tmp_path):
    write_folder(tmp_path, per_class=3, seed=2, size=(12, 16), classes=("O", "X"), colour=True)
    colour = load_folder(tmp_path, (12, 16), (-1.0, 1.0), channels=3)
    assert colour.X.shape == (6, 3, 12, 16)
    assert "loaded in colour (RGB)" in colour.report().splitlines()[0]
    x, _ = make_arrays(("O", "X"), 3, (12, 16), seed=2, value_range=(-1.0, 1.0), colour=True)
    order = {"O": 0, "X": 1}
    for img, label, path in zip(colour.X, colour.y, colour.paths, strict=True):
        i = int(path.split("_")[-1].split(".")[0])
        np.testing.assert_allclose(img, x[order[colour.classes[label]] * 3 + i], atol=1.5 / 255)
    gray = load_folder(tmp_path, (12, 16), (-1.0, 1.0), channels=1)
    assert gray.X.shape == (6, 1, 12, 16)
    assert "loaded in grayscale" in gray.report().splitlines()[0]
    with pytest.raises(DataError, match=r"1 channel .* or 3 .* the network takes 2"):
        load_folder(tmp_path, 12, channels=2)


def test_the_folder_memory_bound_counts_channels(tmp_path, monkeypatch):
    write_folder(tmp_path, per_class=2, size=10, classes=("O", "X"))
    # 4 images of 10x10: 1,600 bytes gray, 4,800 in colour
    monkeypatch.setattr(limits, "FOLDER_MAX_DECODED_BYTES", 3000)
    assert load_folder(tmp_path, 10).X.shape == (4, 1, 10, 10)
    decoded = []
    monkeypatch.setattr(
        "convviz.core.folders.decode_rgb",
        lambda *a, **k: decoded.append(a) or np.zeros((10, 10, 3), np.float32),
    )
    with pytest.raises(DataError, match=r"4 colour images of 10x10 take .* over convviz's limit"):
        load_folder(tmp_path, 10, channels=3)
    assert decoded == []  # refused before any picture was decoded


def test_pillow_decoder_contract_in_colour(tmp_path):
    Image.fromarray(_checker(30, 10)).save(tmp_path / "t.png")
    a = pillow_decode(str(tmp_path / "t.png"), (12, 12), 3)
    assert a.shape == (3, 12, 12) and a.min() >= 0 and a.max() <= 1


# ---- number grids, one a channel ------------------------------------------------------------

RGB_GRIDS = """\
# red
1 0
0 0

# green
0 1
0 0

# blue, then trailing blank lines

0 0
1 0


"""


def test_blank_line_separated_grids_are_channels(tmp_path):
    (tmp_path / "rgb.txt").write_text(RGB_GRIDS)
    g = load_grids_text(tmp_path / "rgb.txt")
    assert g.shape == (3, 2, 2) and g.dtype == np.float32
    assert g[0, 0, 0] == 1 and g[1, 0, 1] == 1 and g[2, 1, 0] == 1 and g.sum() == 3
    np.testing.assert_array_equal(load_input(tmp_path / "rgb.txt", 2, (0.0, 1.0), 3), g)
    # rectangular grids: the model decides whether they fit
    (tmp_path / "wide.txt").write_text("1 2 3\n4 5 6\n\n1 1 1\n1 1 1\n")
    assert load_input(tmp_path / "wide.txt", (2, 3), (0.0, 9.0), 2).shape == (2, 2, 3)
    with pytest.raises(DataError, match=r"the grid is 2x3 but the model takes 3x2"):
        load_input(tmp_path / "wide.txt", (3, 2), (0.0, 9.0), 2)


@pytest.mark.parametrize(
    "text, channels, words",
    [
        (RGB_GRIDS, 2, "3 grids but the model takes 2 channels: give one grid a channel"),
        ("1 0\n0 1\n", 3, "1 grid but the model takes 3 channels: give one grid a channel"),
        (
            RGB_GRIDS,
            1,
            "3 grids of 2x2 separated by blank lines (one a channel) but the model takes "
            "one 2x2 grid (1 channel)",
        ),
        ("1 0\n0 1\n\n1 0 0\n0 1 0\n", 2, "grid 2 is 2x3 but grid 1 is 2x2"),
        ("1 0\n0 1\n\n1 0\n0 1 1\n", 2, "grid 2: rows have different lengths (2, 3)"),
    ],
)
def test_a_wrong_count_or_shape_is_named_in_one_line(tmp_path, text, channels, words):
    (tmp_path / "g.txt").write_text(text)
    with pytest.raises(DataError) as info:
        load_input(tmp_path / "g.txt", 2, (0.0, 1.0), channels)
    message = str(info.value)
    assert words in message and "g.txt" in message and "\n" not in message


def test_a_one_channel_grid_may_hold_blank_lines_as_the_deck_writes_it(tmp_path):
    (tmp_path / "x.txt").write_text("-1 -1 -1\n-1 1 -1\n\n-1 -1 -1\n")
    assert load_input(tmp_path / "x.txt", 3).shape == (3, 3)


def test_grids_over_the_count_and_value_limits_are_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "GRID_MAX_GRIDS", 3)
    (tmp_path / "g.txt").write_text("1\n\n" * 4)
    with pytest.raises(DataError, match="more than 3 grids separated by blank lines"):
        load_grids_text(tmp_path / "g.txt")
    monkeypatch.setattr(limits, "GRID_MAX_VALUES", 5)
    (tmp_path / "v.txt").write_text("1 1\n1 1\n\n1 1\n")
    with pytest.raises(DataError, match="more than 5 numbers"):
        load_grids_text(tmp_path / "v.txt")
