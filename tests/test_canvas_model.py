"""The drawing model behind the canvas: brush, undo/redo and the trickier-case tools (no Qt)."""

import subprocess
import sys

import numpy as np
import pytest

from convviz.core.canvas_brush import Brush, brush_alpha
from convviz.core.canvas_colour import resize_ink
from convviz.core.canvas_model import CanvasModel


def hard(size=1):
    return Brush(size=size, softness=0.0)


def line(c: CanvasModel, x0, y0, x1, y1):
    c.begin_stroke(x0, y0)
    c.stroke_to(x1, y1)
    c.end_stroke()


def test_hard_brush_inks_exactly_the_cells_under_a_stroke():
    c = CanvasModel(9)
    c.brush = hard()
    line(c, 1.5, 4.5, 6.5, 4.5)  # row 4, columns 1..6, through cell centres
    want = np.zeros((9, 9), np.float32)
    want[4, 1:7] = 1
    np.testing.assert_array_equal(c.ink, want)


def test_value_range_mapping_and_erasing():
    c = CanvasModel(9, (-1.0, 1.0))
    c.brush = hard()
    line(c, 0.5, 0.5, 8.5, 0.5)
    assert c.as_input()[0].tolist() == [1.0] * 9
    assert c.as_input()[1:].max() == -1.0
    c.begin_stroke(4.5, 0.5, erase=True)
    c.end_stroke()
    assert c.ink[0, 4] == 0 and c.ink[0, 3] == 1


def test_soft_brush_fades_and_never_exceeds_one():
    a = brush_alpha(15, 7.5, 7.5, 7.5, 7.5, Brush(size=4, softness=1.0))
    assert a.max() == pytest.approx(1.0) and 0 < a[7, 9] < 1 and a[7, 10] == 0
    assert a[7, 7] > a[7, 8] > a[7, 9]  # falls off with distance


def test_fast_stroke_leaves_no_gaps():
    c = CanvasModel(28)
    c.brush = hard()
    line(c, 0.5, 0.5, 27.5, 27.5)
    assert all(c.ink[i, i] == 1 for i in range(28))


def test_undo_redo_whole_strokes():
    c = CanvasModel(9)
    c.brush = hard()
    line(c, 0.5, 0.5, 8.5, 0.5)
    first = c.ink.copy()
    line(c, 0.5, 8.5, 8.5, 8.5)
    second = c.ink.copy()
    assert c.undo() and np.array_equal(c.ink, first)
    assert c.undo() and not c.ink.any()
    assert not c.undo()
    assert c.redo() and np.array_equal(c.ink, first)
    assert c.redo() and np.array_equal(c.ink, second)
    assert not c.redo()
    c.undo()
    c.clear()  # a new change drops the redo history
    assert not c.can_redo and not c.ink.any()
    assert c.undo() and np.array_equal(c.ink, first)


def plus(n=9):
    ink = np.zeros((n, n), np.float32)
    ink[n // 2, 2 : n - 2] = 1
    ink[2 : n - 2, n // 2] = 1
    return ink


def test_shift_moves_one_pixel_each_way():
    c = CanvasModel(9)
    c.set_ink(plus())
    for dx, dy in [(1, 0), (-1, 0), (0, 1), (0, -1)]:
        c.shift(dx, dy)
        np.testing.assert_array_equal(c.ink, np.roll(np.roll(plus(), dy, 0), dx, 1))
        c.undo()


def test_shift_off_the_edge_is_lost():
    c = CanvasModel(5)
    ink = np.zeros((5, 5), np.float32)
    ink[:, 4] = 1
    c.set_ink(ink)
    c.shift(1, 0)
    assert not c.ink.any()


def _centroid(a):
    ys, xs = np.nonzero(a > 0.25)
    w = a[ys, xs]
    return (ys * w).sum() / w.sum(), (xs * w).sum() / w.sum()


def test_rotate_turns_clockwise_and_back():
    c = CanvasModel(28)
    ink = np.zeros((28, 28), np.float32)
    ink[13:15, 14:26] = 1  # a bar from the centre to the right
    c.set_ink(ink)
    c.rotate(20)
    y, _x = _centroid(c.ink)
    assert y > 14.5  # clockwise on screen: the right-hand end goes down
    c.undo()
    c.rotate(-20)
    assert _centroid(c.ink)[0] < 13.5
    c.rotate(20)  # and back again, close to where it started
    assert np.abs(c.ink - ink).mean() < 0.05


def test_rotating_a_centred_dot_keeps_it():
    c = CanvasModel(9)
    ink = np.zeros((9, 9), np.float32)
    ink[4, 4] = 1
    c.set_ink(ink)
    c.rotate(10)
    assert np.argmax(c.ink) == 40 and c.ink[4, 4] > 0.8


def test_scale_up_and_down_change_the_extent():
    c = CanvasModel(28)
    ink = np.zeros((28, 28), np.float32)
    ink[9:19, 9:19] = 1
    c.set_ink(ink)
    c.scale(1.5)
    rows = np.nonzero(c.ink.max(1) > 0.5)[0]
    assert rows.min() < 9 and rows.max() > 18
    c.undo()
    c.scale(1 / 1.5)
    rows = np.nonzero(c.ink.max(1) > 0.5)[0]
    assert rows.min() > 9 and rows.max() < 18


def test_thicken_and_thin():
    c = CanvasModel(9)
    c.set_ink(plus())
    c.thicken()
    assert (c.ink >= plus()).all() and c.ink.sum() > plus().sum()
    assert c.ink[3, 3] == 1 and c.ink[0, 0] == 0  # one pixel around every ink pixel
    c.thin()  # erosion after dilation gives back the plus
    np.testing.assert_array_equal(c.ink, plus())
    c.thin()  # a one-pixel line thins to nothing
    assert not c.ink.any()


def test_listeners_hear_every_change():
    c = CanvasModel(9)
    calls = []
    c.subscribe(lambda: calls.append(1))
    line(c, 0.5, 0.5, 3.5, 0.5)
    c.shift(1, 0)
    c.undo()
    assert len(calls) == 4  # dab, dab, shift, undo


def test_resize_keeps_drawing_and_history():
    c = CanvasModel(28)
    c.set_ink(plus(28))
    c.resize(9, (-1.0, 1.0))
    assert c.ink.shape == (9, 9) and c.ink[4, 4] > 0.5 and c.can_undo
    c.undo()
    assert c.ink.shape == (9, 9) and not c.ink.any()
    assert resize_ink(np.ones((4, 4)), 8).min() == 1


def test_wrong_size_is_refused_in_one_line():
    with pytest.raises(ValueError, match="drawing must be 9x9, got 8x8"):
        CanvasModel(9).set_ink(np.zeros((8, 8)))


def test_canvas_model_imports_neither_torch_nor_qt():
    code = (
        "import sys, convviz.core.canvas_model, convviz.core.mosaic;"
        "bad=[m for m in ('torch','PySide6') if m in sys.modules]; print(bad)"
    )
    # convviz/__init__ and convviz/core/__init__ must stay light for this to hold
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
