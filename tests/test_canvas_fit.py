"""Switching networks carries the drawing onto the new grid crisp (core/canvas_colour.resize_picture
through CanvasModel.resize): whole-cell blocks growing, the most ink of each block shrinking, so a
one-cell line stays a line both ways and colours are never mixed."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from convviz.core.canvas_colour import cell_groups, resize_ink
from convviz.core.canvas_model import CanvasModel

RED, BLUE, GREEN, WHITE = (1.0, 0.0, 0.0), (0.0, 0.0, 1.0), (0.0, 1.0, 0.0), (1.0, 1.0, 1.0)


def one_pixel_lines(n: int) -> np.ndarray:
    """A row line and a column line, one cell wide, meeting in an L."""
    ink = np.zeros((n, n), np.float32)
    ink[n // 2, 1 : n - 1] = 1
    ink[1 : n - 1, n // 3] = 1
    return ink


def test_a_one_pixel_line_on_28_is_crisp_on_64_and_the_same_line_back_on_28():
    c = CanvasModel(28, (0.0, 1.0))
    c.set_ink(one_pixel_lines(28))
    c.resize(64, (0.0, 1.0))
    big = c.ink
    assert set(np.unique(big).tolist()) == {0.0, 1.0}  # only ink and background: no blur
    widths = {int(n) for n in big[:, 40:50].sum(axis=0)}  # the row line, a few columns of it
    assert widths <= {2, 3}  # 64 / 28 = 2.3: every grid cell became a block of 2 or 3
    c.resize(28, (0.0, 1.0))
    np.testing.assert_array_equal(c.ink, one_pixel_lines(28))  # the round trip is exact


def test_a_tiny_drawing_grows_in_whole_blocks():
    ink = np.zeros((7, 7), np.float32)
    ink[3, 3] = 1
    big = resize_ink(ink, 64)
    assert set(np.unique(big).tolist()) == {0.0, 1.0}
    rows, cols = np.nonzero(big)
    side = rows.max() - rows.min() + 1
    assert side in (9, 10) and cols.max() - cols.min() + 1 == side  # 64 / 7 = 9.1
    assert big.sum() == side * side  # one solid square block
    np.testing.assert_array_equal(resize_ink(big, 7), ink)


def test_a_one_pixel_line_anywhere_on_64_survives_on_28_at_full_ink():
    for n_big, n_small in ((64, 28), (227, 28), (48, 32)):
        for r in range(n_big):
            ink = np.zeros((n_big, n_big), np.float32)
            ink[r, 1:-1] = 1
            small = resize_ink(ink, n_small)
            assert small.max() == 1.0, (n_big, r)  # an average or a sample could lose it
            assert (small.max(axis=1) == 1).sum() == 1  # and it stays one row thin


def test_colour_drawings_keep_their_exact_colours_both_ways():
    c = CanvasModel(28, (0.0, 1.0), channels=3)
    c.background, c.colour = BLUE, RED
    c.clear()
    c.set_ink(one_pixel_lines(28))
    before = c.pixels.copy()
    c.resize(64, (0.0, 1.0), channels=3)
    colours = {tuple(c.pixels[:, i, j].tolist()) for i in range(64) for j in range(64)}
    assert colours == {RED, BLUE}  # no purple fringe
    c.resize(28, (0.0, 1.0), channels=3)
    np.testing.assert_array_equal(c.pixels, before)


def test_a_thin_coloured_stroke_shrinks_in_its_own_colour():
    c = CanvasModel(64, (0.0, 1.0), channels=3)
    c.background, c.colour = WHITE, GREEN
    c.clear()
    ink = np.zeros((64, 64), np.float32)
    ink[:, 31] = 1  # a one-cell green column on white paper
    c.set_ink(ink)
    c.resize(28, (0.0, 1.0), channels=3)
    colours = {tuple(c.pixels[:, i, j].tolist()) for i in range(28) for j in range(28)}
    assert colours == {GREEN, WHITE}
    assert (c.pixels[0] == 0).any(axis=0).sum() == 1  # one column of green


def test_a_wide_spectrogram_fits_a_square_grid_letterboxed_and_crisp():
    c = CanvasModel((32, 48), (0.0, 1.0))
    ink = np.zeros((32, 48), np.float32)
    ink[10, :] = 1  # a steady whistle across the whole clip
    c.set_ink(ink)
    c.resize(28, (0.0, 1.0))
    assert set(np.unique(c.ink).tolist()) == {0.0, 1.0}
    rows = np.nonzero(c.ink.max(axis=1))[0]
    assert len(rows) == 1 and c.ink[rows[0]].sum() == 28  # all the way across, one row thin


@given(st.integers(1, 300), st.integers(1, 300))
def test_cell_groups_read_every_cell_once_shrinking_and_grow_in_even_blocks(n_in, n_out):
    groups = cell_groups(n_in, n_out)
    assert groups.shape[0] == n_out and groups.min() >= 0 and groups.max() < n_in
    if n_out < n_in:
        cells = np.concatenate([np.unique(g) for g in groups])
        np.testing.assert_array_equal(cells, np.arange(n_in))  # each once, in order
    else:
        blocks = np.bincount(groups[:, 0], minlength=n_in)
        assert blocks.min() >= 1 and blocks.max() - blocks.min() <= 1
        # shrinking back reads exactly the blocks growing made
        back = cell_groups(n_out, n_in)
        for i, g in enumerate(back):
            assert set(groups[np.unique(g), 0].tolist()) == {i}


def _sound_picture(c: CanvasModel) -> np.ndarray:
    """Bands across the grid, as a spectrogram draws a sound."""
    ink = np.zeros(c.shape, np.float32)
    ink[4:8, :] = ink[20:22, 3:] = 1
    c.set_ink(ink)
    return ink


def test_a_drawing_is_not_carried_to_a_network_that_reads_another_kind_and_comes_back_after():
    c = CanvasModel((32, 48), (0.0, 1.0), kind="spectrogram")
    sound = _sound_picture(c)
    c.shift(1, 0)  # a second step: the whole history comes back with the picture
    c.resize(28, (-1.0, 1.0), kind="picture")
    assert c.left_behind == "spectrogram" and not c.brought_back
    assert c.shape == (28, 28) and not c.ink.any()  # blank: no meaningless picture to read
    assert not c.can_undo and not c.undo()  # an undo would bring the sound's picture back
    c.set_ink(one_pixel_lines(28))
    c.resize(64, (-1.0, 1.0), kind="picture")  # the same kind: carried, crisp, as before
    assert c.left_behind == "" and c.ink.shape == (64, 64) and c.ink.any() and c.can_undo
    c.resize((32, 48), (0.0, 1.0), kind="spectrogram")  # back: the sound's picture is back
    assert c.left_behind == "picture" and c.brought_back
    np.testing.assert_array_equal(c.ink, np.roll(sound, 1, axis=1) * (np.arange(48) > 0))
    assert c.undo() and c.undo() and not c.can_undo
    np.testing.assert_array_equal(c.ink, 0)
    c.redo()
    np.testing.assert_array_equal(c.ink, sound)
    c.resize(28, (-1.0, 1.0), kind="picture")  # and the drawing, fitted back onto 28x28
    assert c.brought_back
    np.testing.assert_array_equal(c.ink, one_pixel_lines(28))


def test_a_set_aside_drawing_comes_back_on_a_grid_of_another_size_and_colour():
    c = CanvasModel(28, (0.0, 1.0), kind="picture")
    c.set_ink(one_pixel_lines(28))
    c.resize((32, 48), (0.0, 1.0), kind="spectrogram")
    c.resize(64, (0.0, 1.0), 3, kind="picture")  # tinyvgg: 64x64 colour
    assert c.brought_back and c.pixels.shape == (3, 64, 64)
    c.resize(28, (0.0, 1.0), 1)  # kind not said: the same as before, carried
    np.testing.assert_array_equal(c.ink, one_pixel_lines(28))
