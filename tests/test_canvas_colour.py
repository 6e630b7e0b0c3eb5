"""The colour and rectangular canvas (core/canvas_model + canvas_colour, no Qt): a stroke blends
the brush colour in, erasing and clearing paint the background, the trickier-case tools bring
in background and carry the ink's colour, and blank means "little difference from the
background"."""

import numpy as np
import pytest

from convviz.core.blank import is_blank
from convviz.core.canvas_brush import Brush
from convviz.core.canvas_model import CanvasModel
from convviz.core.errors import DataError

RED, GREEN, BLUE = (1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0)


def colour_canvas(shape=(6, 10), value_range=(0.0, 1.0)):
    c = CanvasModel(shape, value_range, channels=3)
    c.brush = Brush(size=1, softness=0.0)
    return c


def line(c, x0, y0, x1, y1, erase=False):
    c.begin_stroke(x0, y0, erase=erase)
    c.stroke_to(x1, y1)
    c.end_stroke()


def test_a_red_stroke_raises_red_where_drawn_and_nothing_else():
    c = colour_canvas(value_range=(-1.0, 1.0))
    c.colour = RED
    line(c, 1.5, 2.5, 8.5, 2.5)  # row 2, columns 1..8 of a 6x10 grid
    x = c.as_input()
    assert x.shape == (3, 6, 10)
    drawn = np.zeros((6, 10), bool)
    drawn[2, 1:9] = True
    np.testing.assert_array_equal(x[0], np.where(drawn, 1.0, -1.0))
    assert (x[1:] == -1.0).all()  # green and blue stay at the black background's value


def test_a_soft_colour_stroke_blends_by_the_brushs_alpha_once():
    c = colour_canvas()
    c.set_background(BLUE)
    c.colour = RED
    c.brush = Brush(size=4, softness=1.0)
    c.begin_stroke(5.0, 3.0)
    for _ in range(5):
        c.stroke_to(5.0, 3.0)  # the pen resting: overlapping dabs do not darken the fringe
    c.end_stroke()
    edge = c.pixels[:, 3, 6]
    alpha = edge[0]
    assert 0 < alpha < 1 and edge[2] == pytest.approx(1 - alpha) and edge[1] == 0


def test_erasing_and_clearing_paint_the_background_and_undo_brings_colours_back():
    c = colour_canvas()
    c.set_background((1.0, 1.0, 0.0))
    c.colour = BLUE
    line(c, 0.5, 0.5, 9.5, 0.5)
    line(c, 4.5, 0.5, 4.5, 0.5, erase=True)
    np.testing.assert_array_equal(c.pixels[:, 0, 4], [1, 1, 0])
    np.testing.assert_array_equal(c.pixels[:, 0, 3], [0, 0, 1])
    drawn = c.pixels.copy()
    c.clear()
    assert (c.pixels == np.array([1, 1, 0], np.float32)[:, None, None]).all()
    c.undo()
    np.testing.assert_array_equal(c.pixels, drawn)


def test_a_new_background_recolours_the_background_and_keeps_the_strokes():
    c = colour_canvas()
    c.colour = RED
    line(c, 0.5, 1.5, 9.5, 1.5)
    c.set_background((1.0, 1.0, 1.0))
    np.testing.assert_array_equal(c.pixels[:, 1, 3], RED)
    np.testing.assert_array_equal(c.pixels[:, 4, 3], [1, 1, 1])
    c.undo()
    assert c.background == (0.0, 0.0, 0.0) and c.pixels[:, 4, 3].max() == 0


def test_shift_brings_in_the_background_colour_at_the_edge():
    c = colour_canvas()
    c.set_background(GREEN)
    c.colour = RED
    line(c, 0.5, 0.5, 0.5, 5.5)  # column 0
    c.shift(-1, 0)  # off the left edge: gone, background comes in on the right
    assert (c.pixels == np.array(GREEN, np.float32)[:, None, None]).all()


def test_rotate_and_scale_keep_the_background_colour_outside_the_drawing():
    c = colour_canvas((9, 9))
    c.set_background(BLUE)
    c.colour = RED
    line(c, 2.5, 4.5, 6.5, 4.5)
    c.rotate(90)
    assert c.pixels[0, 2:7, 4].min() > 0.9 and c.pixels[0, 4, 2] < 0.1  # now upright
    np.testing.assert_allclose(c.pixels[:, 0, 0], BLUE)
    c.scale(0.5)
    np.testing.assert_allclose(c.pixels[:, 0, 0], BLUE, atol=1e-6)


def test_thicken_spreads_the_nearest_inks_colour_and_thin_takes_it_back():
    c = colour_canvas((7, 7))
    c.set_background((1.0, 1.0, 1.0))
    c.colour = RED
    line(c, 1.5, 3.5, 2.5, 3.5)  # red at columns 1..2
    c.colour = BLUE
    line(c, 4.5, 3.5, 5.5, 3.5)  # blue at columns 4..5
    c.thicken()
    np.testing.assert_array_equal(c.pixels[:, 2, 1], RED)  # the red stroke grew, in red
    np.testing.assert_array_equal(c.pixels[:, 4, 5], BLUE)
    np.testing.assert_array_equal(c.pixels[:, 0, 3], [1, 1, 1])  # two away: still paper
    c.thin()
    np.testing.assert_array_equal(c.pixels[:, 2, 1], [1, 1, 1])
    np.testing.assert_array_equal(c.pixels[:, 3, 1], RED)


def test_rectangular_grids_take_strokes_in_rows_and_columns():
    c = CanvasModel((4, 12), (0.0, 1.0))
    c.brush = Brush(size=1, softness=0.0)
    line(c, 10.5, 0.5, 10.5, 3.5)  # column 10, every row
    assert c.as_input().shape == (4, 12) and c.ink[:, 10].tolist() == [1.0] * 4
    assert c.ink.sum() == 4 and c.size == 12 and c.shape == (4, 12)


def test_switching_networks_fits_the_drawing_and_turns_gray_into_colour_and_back():
    c = CanvasModel(8, (0.0, 1.0))
    c.brush = Brush(size=1, softness=0.0)
    line(c, 0.5, 0.5, 7.5, 7.5)
    c.colour = RED
    c.resize((8, 16), (0.0, 1.0), channels=3)
    assert c.pixels.shape == (3, 8, 16)
    assert c.pixels[0, :, 4:12].max() == 1 and c.pixels[1].max() == 0  # laid in red, centred
    assert c.pixels[:, :, :4].max() == 0  # the sides letterboxed with the background
    c.undo()  # the history came along too
    assert c.pixels.shape == (3, 8, 16) and c.pixels.max() == 0
    c.redo()
    c.resize(8, (0.0, 1.0), channels=1)
    assert c.as_input().shape == (8, 8) and c.ink.max() == 1  # halved: the line kept, crisp


def test_a_gray_picture_set_on_a_colour_canvas_shows_in_all_three_channels():
    c = colour_canvas((2, 3), (-1.0, 1.0))
    c.set_input(np.array([[-1, 0, 1], [1, 1, -1]], np.float32))
    np.testing.assert_array_equal(c.as_input()[2], [[-1, 0, 1], [1, 1, -1]])
    assert (c.as_input()[0] == c.as_input()[1]).all()
    with pytest.raises(ValueError, match="3 channels, got 2"):
        c.set_input(np.zeros((2, 2, 3), np.float32))


def test_other_channel_counts_are_refused_in_one_line():
    with pytest.raises(DataError, match=r"1-channel .* or 3-channel .* not 2-channel"):
        CanvasModel(8, channels=2)


def test_blank_for_colour_means_little_difference_from_the_background():
    c = colour_canvas((28, 28), (-1.0, 1.0))
    c.set_background((0.2, 0.6, 0.9))
    assert is_blank(c.as_input(), c.value_range)  # a plain coloured page is blank
    c.colour = (0.2, 0.6, 0.0)
    c.brush = Brush(size=3, softness=0.0)
    line(c, 3.5, 14.5, 24.5, 14.5)
    assert not is_blank(c.as_input(), c.value_range)
    assert is_blank(c.as_input()[:1], c.value_range) is False  # one channel: ink high, as before


def test_a_large_colour_grid_keeps_undo_within_its_memory_budget():
    from convviz.core.canvas_model import UNDO_BYTES

    c = colour_canvas((227, 227))
    for i in range(120):
        c.shift(1 if i % 2 else -1, 0)
    assert len(c._undo) * c.pixels.nbytes <= UNDO_BYTES and c.can_undo


def test_switching_to_a_large_colour_grid_keeps_the_newest_history_within_its_budget():
    from convviz.core.canvas_model import UNDO_BYTES, UNDO_LIMIT

    c = CanvasModel(28, (0.0, 1.0))
    c.brush = Brush(size=1, softness=0.0)
    for i in range(UNDO_LIMIT):
        line(c, 0.5 + i % 28, 0.5 + i // 28, 0.5 + i % 28, 0.5 + i // 28)  # one dot a step
    c.undo()  # and one step to redo
    c.resize((227, 227), (0.0, 1.0), channels=3)
    held = (len(c._undo) + len(c._redo)) * c.pixels.nbytes
    assert len(c._undo) * c.pixels.nbytes <= UNDO_BYTES and held <= UNDO_BYTES + c.pixels.nbytes
    assert c.redo() and c.ink.sum() > 0  # the newest steps kept, redo included
    c.undo()
    c.undo()
    assert c.ink.shape == (227, 227) and c.can_undo
