"""A picture of another aspect than the input: letterboxed whole (bars of background) or cropped
to fill (the overhang cut, centred), in colour for a colour network (core/imageio)."""

import numpy as np
import pytest
from PIL import Image

from convviz.core.errors import DataError
from convviz.core.imageio import crop_to_aspect, load_image


def wide_photo(tmp_path):
    """60 x 20 pixels: red left third, green middle, blue right third."""
    a = np.zeros((20, 60, 3), np.uint8)
    a[:, :20, 0] = a[:, 20:40, 1] = a[:, 40:, 2] = 255
    path = tmp_path / "wide.png"
    Image.fromarray(a, "RGB").save(path)
    return path


def test_crop_to_aspect_keeps_the_centre():
    a = np.arange(2 * 4 * 10, dtype=np.float32).reshape(2, 4, 10)
    np.testing.assert_array_equal(crop_to_aspect(a, (4, 4)), a[:, :, 3:7])
    np.testing.assert_array_equal(crop_to_aspect(a[0].T, (4, 4)), a[0].T[3:7])  # tall: rows
    assert crop_to_aspect(a, (4, 10)).shape == (2, 4, 10)  # the aspect already: untouched
    assert crop_to_aspect(np.ones((1, 500)), (50, 1)).shape == (1, 1)  # never empty


def test_a_wide_colour_photo_letterboxed_keeps_all_three_colours_and_bars(tmp_path):
    x = load_image(wide_photo(tmp_path), (12, 12), (0.0, 1.0), channels=3)
    assert x.shape == (3, 12, 12)
    assert x[:, :4].max() == 0 and x[:, -4:].max() == 0  # background bars above and below
    np.testing.assert_allclose(x[:, 6, 1], [1, 0, 0])  # red at the left ...
    np.testing.assert_allclose(x[:, 6, 6], [0, 1, 0])
    np.testing.assert_allclose(x[:, 6, 10], [0, 0, 1])  # ... blue at the right


def test_a_wide_colour_photo_cropped_fills_the_input_with_its_middle(tmp_path):
    x = load_image(wide_photo(tmp_path), (12, 12), (-1.0, 1.0), channels=3, fit="crop")
    # the middle 20 x 20 of the photo is all green: it fills every cell
    np.testing.assert_allclose(x[1], 1.0)
    np.testing.assert_allclose(x[[0, 2]], -1.0)


def test_cropping_to_a_rectangular_input(tmp_path):
    x = load_image(wide_photo(tmp_path), (10, 15), (0.0, 1.0), channels=3, fit="crop")
    assert x.shape == (3, 10, 15) and x.min() >= 0 and x.sum(axis=0).min() > 0.99  # no bars


def test_an_unknown_fit_is_refused_in_one_line(tmp_path):
    with pytest.raises(DataError, match="letterbox or crop"):
        load_image(wide_photo(tmp_path), 8, fit="stretch")
