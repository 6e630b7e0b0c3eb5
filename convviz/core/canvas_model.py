"""The drawing behind the canvas: a grid of pixels, brush strokes, undo/redo and the deck's
"trickier cases" (shift, rotate, scale, thicken, thin). Plain numpy: no Qt, no torch.

The grid is (rows, cols), square or not, with 1 channel or 3:
- 1 channel: ink, (rows, cols) float32 in 0..1 (0 = background, 1 = full ink); a stroke keeps the
  most ink any dab laid, erasing the least.
- 3 channels: an RGB picture, (3, rows, cols) in 0..1, with a `colour` for the brush and a
  `background`; a stroke blends the brush colour in with the brush's alpha, erasing blends the
  background back, clearing fills it. The tools act on colour (canvas_colour.py).
The brush's geometry is in canvas_brush.py; what counts as a blank input, in blank.py.
The network sees it mapped into its own value range by `as_input()` (the deck's -1..1 for xo).
Every whole stroke or tool is one undo step. Listeners are plain callables, called after each
change, so a Qt view (or a test) can follow the drawing.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from .canvas_brush import Brush, brush_alpha
from .canvas_colour import (
    ink_of,
    recolour,
    resample_picture,
    resize_picture,
    shift_picture,
    spread,
    to_channels,
)
from .errors import DataError
from .imageio import rows_cols

UNDO_LIMIT = 200  # steps; small grids (28x28 floats = 3 KiB) keep them all
UNDO_BYTES = 48 * 2**20  # a large colour grid (227x227x3 = 600 KiB a step) keeps fewer steps
CANVAS_CHANNELS = (1, 3)  # grayscale ink, or RGB colour
BLACK, WHITE = (0.0, 0.0, 0.0), (1.0, 1.0, 1.0)


def check_channels(channels: int) -> int:
    if int(channels) not in CANVAS_CHANNELS:
        raise DataError(
            f"the canvas draws 1-channel (grayscale) or 3-channel (colour) pictures, "
            f"not {channels}-channel ones"
        )
    return int(channels)


class CanvasModel:
    """A grid of pixels with stroke-level undo/redo.

    Drawing: `begin_stroke(x, y, erase)`, `stroke_to(x, y)` for each pen move, `end_stroke()`.
    Tools (each one undo step): clear, set_ink, set_input, set_background, shift, rotate,
    scale, thicken, thin.
    """

    def __init__(self, size, value_range=(-1.0, 1.0), channels: int = 1, kind: str | None = None):
        self.kind = kind  # what the input means (NetworkSpec.input_kind); None: not said
        self.rows, self.cols = rows_cols(size)
        self.channels = check_channels(channels)
        self.value_range = (float(value_range[0]), float(value_range[1]))
        self.colour = WHITE  # the brush's, RGB 0..1 (colour canvases)
        self.background = BLACK  # RGB 0..1 (colour canvases; ink 0 on a grayscale one)
        self.pixels = self._blank()
        self.brush = Brush()
        self._undo: list[tuple[np.ndarray, tuple]] = []  # (pixels, background) before a step
        self._redo: list[tuple[np.ndarray, tuple]] = []
        self._pen: tuple[float, float] | None = None
        self._erasing = False
        self._stroke_alpha: np.ndarray | None = None  # a colour stroke's alpha so far
        self._listeners: list[Callable[[], None]] = []
        # a drawing of another input kind set aside (resize): (pixels, background, undo, redo)
        self._aside: dict[str, tuple[np.ndarray, tuple, list, list]] = {}
        self.left_behind, self.brought_back = "", False  # what the last resize did with kinds

    # ---- shape and colours -----------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, int]:
        return self.rows, self.cols

    @property
    def size(self) -> int:
        """The side of a square grid (the longer side of a rectangular one)."""
        return max(self.rows, self.cols)

    @property
    def colourful(self) -> bool:
        return self.channels == 3

    def _bg(self) -> tuple:
        """The background per channel: ink 0, or the background colour."""
        return self.background if self.colourful else (0.0,)

    def _fg(self) -> tuple:
        return self.colour if self.colourful else (1.0,)

    def _blank(self) -> np.ndarray:
        bg = np.asarray(self._bg(), np.float32).reshape(-1, 1, 1)
        return np.broadcast_to(bg, (self.channels, self.rows, self.cols)).copy()

    @property
    def ink(self) -> np.ndarray:
        """(rows, cols) in 0..1: the drawing itself (1 channel), or how far each pixel is from
        the background colour (colour). Read it; change the drawing through the methods."""
        return self.pixels[0] if not self.colourful else ink_of(self.pixels, self.background)

    # ---- listening -------------------------------------------------------------------------
    def subscribe(self, callback: Callable[[], None]) -> None:
        self._listeners.append(callback)

    def _changed(self) -> None:
        for cb in list(self._listeners):
            cb()

    def resize(
        self, size, value_range, channels: int | None = None, kind: str | None = None
    ) -> None:
        """Follow a new model's input (`size` one side or (rows, cols)): the drawing and its
        undo history are fitted to the new grid (aspect kept, crisp: whole-cell blocks growing,
        the most ink of each block shrinking) and turned into the new channel count (gray ink
        laid in the brush colour, colour read as ink) rather than thrown away.

        Not so across input kinds (`kind`, NetworkSpec.input_kind; None: the same as before): a
        sound's picture read as a drawing (or the other way) gets a confident, meaningless
        answer. The drawing and its history are set aside under their kind (`left_behind` says
        which, "" when carried) and the canvas starts blank with no history, since an undo
        would only bring that meaningless picture back, or with what was set aside when a
        network of the new kind was last in use (`brought_back`)."""
        self.end_stroke()
        self.value_range = (float(value_range[0]), float(value_range[1]))
        shape = rows_cols(size)
        channels = self.channels if channels is None else check_channels(channels)
        pixels: np.ndarray | None = self.pixels
        self.left_behind, self.brought_back = "", False
        if kind is not None and kind != self.kind:
            if self.kind is not None:
                # one drawing per kind at most (two kinds): held within twice the budget
                self._aside[self.kind] = (self.pixels, self.background, self._undo, self._redo)
                self.left_behind = self.kind
                back = self._aside.pop(kind, None)
                self.brought_back = back is not None
                if back is None:
                    pixels, self._undo, self._redo = None, [], []
                else:
                    pixels, self.background, self._undo, self._redo = back
            self.kind = kind
        self.rows, self.cols = shape
        self.channels = channels
        if pixels is None:
            self.pixels = self._blank()
        elif pixels.shape != (channels, *shape):
            # the history cut to what the new size may keep before any of it is converted: 200
            # steps of 28x28 grown to 227x227 colour would hold 118 MiB against UNDO_BYTES
            keep = self._undo_limit(channels * shape[0] * shape[1] * 4)
            del self._undo[:-keep], self._redo[:-keep]

            def convert(pixels):
                p = to_channels(pixels, channels, self.background, self.colour)
                return resize_picture(p, shape, self._bg())

            self.pixels = convert(pixels)
            self._undo = [(convert(p), self.background) for p, _ in self._undo]
            self._redo = [(convert(p), self.background) for p, _ in self._redo]
        else:
            self.pixels = pixels
        self._changed()

    # ---- what the network sees -------------------------------------------------------------
    def as_input(self) -> np.ndarray:
        """The picture in the model's value range, 0..1 mapped to low..high: (rows, cols) for
        one channel (background low, ink high), (3, rows, cols) for colour."""
        lo, hi = self.value_range
        values = (lo + self.pixels * (hi - lo)).astype(np.float32)
        return values[0] if self.channels == 1 else values

    # ---- undo ------------------------------------------------------------------------------
    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    def _undo_limit(self, step_bytes: int | None = None) -> int:
        step = self.pixels.nbytes if step_bytes is None else step_bytes
        return max(1, min(UNDO_LIMIT, UNDO_BYTES // max(1, step)))

    def _remember(self) -> None:
        self._undo.append((self.pixels.copy(), self.background))
        del self._undo[: -self._undo_limit()]
        self._redo.clear()

    def _swap(self, src: list, dst: list) -> bool:
        if self._pen is not None:
            self.end_stroke()
        if not src:
            return False
        dst.append((self.pixels, self.background))
        self.pixels, self.background = src.pop()
        self._changed()
        return True

    def undo(self) -> bool:
        return self._swap(self._undo, self._redo)

    def redo(self) -> bool:
        return self._swap(self._redo, self._undo)

    # ---- strokes ---------------------------------------------------------------------------
    @property
    def drawing(self) -> bool:
        return self._pen is not None

    def begin_stroke(self, x: float, y: float, erase: bool = False) -> None:
        """Put the pen down at (x, y) in cell units; the whole stroke is one undo step."""
        if self._pen is not None:
            self.end_stroke()
        self._remember()
        self._erasing = erase
        self._pen = (x, y)
        self._stroke_alpha = np.zeros(self.shape, np.float32) if self.colourful else None
        self._dab(x, y, x, y)

    def stroke_to(self, x: float, y: float) -> None:
        if self._pen is None:
            return
        x0, y0 = self._pen
        self._pen = (x, y)
        self._dab(x0, y0, x, y)

    def end_stroke(self) -> None:
        self._pen = None
        self._stroke_alpha = None

    def _dab(self, x0, y0, x1, y1) -> None:
        alpha = brush_alpha(self.shape, x0, y0, x1, y1, self.brush)
        if not self.colourful:
            ink = self.pixels[0]
            if self._erasing:
                np.minimum(ink, 1.0 - alpha, out=ink)
            else:
                np.maximum(ink, alpha, out=ink)
        else:
            # the stroke's alpha is the most any dab laid, blended over the picture as it was
            # when the pen went down: a slow stroke does not darken where its dabs overlap
            assert self._stroke_alpha is not None  # begin_stroke made it for a colour canvas
            np.maximum(self._stroke_alpha, alpha, out=self._stroke_alpha)
            base = self._undo[-1][0]
            target = np.asarray(self.background if self._erasing else self.colour, np.float32)
            a = self._stroke_alpha[None]
            self.pixels = (base * (1.0 - a) + target.reshape(3, 1, 1) * a).astype(np.float32)
        self._changed()

    # ---- whole-drawing tools ---------------------------------------------------------------
    def _apply(self, pixels: np.ndarray) -> None:
        self.end_stroke()
        self._remember()
        self.pixels = np.clip(np.asarray(pixels, np.float32), 0.0, 1.0).copy()
        self._changed()

    def clear(self) -> None:
        """Everything background again (one undo step)."""
        self._apply(self._blank())

    def _check_shape(self, shape) -> None:
        if tuple(shape) != self.shape:
            raise ValueError(
                f"drawing must be {self.rows}x{self.cols}, got {'x'.join(map(str, shape))}"
            )

    def set_ink(self, ink: np.ndarray) -> None:
        """Replace the drawing with (rows, cols) ink in 0..1 (e.g. an opened image), laid in the
        brush colour on the background on a colour canvas."""
        ink = np.asarray(ink, np.float32)
        self._check_shape(ink.shape)
        self._apply(to_channels(ink[None], self.channels, self.background, self.colour))

    def set_input(self, image: np.ndarray) -> None:
        """Replace the drawing with an image already in the model's value range: (rows, cols)
        or (channels, rows, cols); a gray one on a colour canvas is repeated in R, G and B."""
        lo, hi = self.value_range
        a = (np.asarray(image, np.float32) - lo) / (hi - lo)
        if a.ndim == 2:
            a = a[None]
        self._check_shape(a.shape[1:])
        if len(a) == 1 and self.channels == 3:
            a = np.repeat(a, 3, axis=0)
        if len(a) != self.channels:
            raise ValueError(f"the drawing has {self.channels} channels, got {len(a)}")
        self._apply(a)

    def set_background(self, colour) -> None:
        """A new background colour (colour canvases): the drawing's background changes with it,
        strokes keep their colour (one undo step)."""
        colour = tuple(float(v) for v in colour)
        if not self.colourful or colour == self.background:
            self.background = colour  # a grayscale canvas keeps it for when it turns colour
            return
        old = self.background
        self.end_stroke()
        self._remember()
        self.pixels = recolour(self.pixels, old, colour)
        self.background = colour
        self._changed()

    def shift(self, dx: int, dy: int) -> None:
        """Move the drawing by whole cells (dx right, dy down); what leaves the grid is lost."""
        self._apply(shift_picture(self.pixels, self._bg(), int(dy), int(dx)))

    def rotate(self, degrees: float) -> None:
        """Turn the drawing about the grid centre, clockwise on screen for positive degrees."""
        t = math.radians(degrees)
        # output point p reads input R(-t) p; rows grow downwards, so this turns clockwise
        m = np.array([[math.cos(t), math.sin(t)], [-math.sin(t), math.cos(t)]])
        self._apply(resample_picture(self.pixels, self._bg(), m))

    def scale(self, factor: float) -> None:
        """Grow (factor > 1) or shrink the drawing about the grid centre."""
        self._apply(resample_picture(self.pixels, self._bg(), np.eye(2) / float(factor)))

    def thicken(self) -> None:
        """Strokes one cell wider on every side, in the colour of the nearest ink."""
        self._apply(spread(self.pixels, self._bg(), thicker=True))

    def thin(self) -> None:
        """Strokes one cell narrower on every side."""
        self._apply(spread(self.pixels, self._bg(), thicker=False))
