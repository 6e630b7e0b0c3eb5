"""Labelled sample shapes, drawn with the deck's "trickier cases" built in.

Each shape is a few pen strokes in unit coordinates (-1..1, y down). Every sample moves, scales
and rotates them, wobbles each point a little like a hand would, and varies the stroke weight.
Strokes are rendered anti-aliased from the distance of each pixel centre to the nearest stroke,
so no drawing library is needed and the result is the same on every machine for a given seed.

Sizes are one side (a square) or (rows, cols). In colour, each drawing gets an ink colour and a
background colour drawn per sample from the same distribution for every class, far enough apart
to see the shape: colour alone says nothing about the class, only the shape does.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np

from .errors import DataError
from .imageio import rows_cols, save_png

_CIRCLE = [(0.72 * np.cos(t), 0.72 * np.sin(t)) for t in np.linspace(0, 2 * np.pi, 33)]

# class name -> strokes; each stroke a polyline of (x, y) points
STROKES: dict[str, list[list[tuple[float, float]]]] = {
    "X": [[(-0.7, -0.7), (0.7, 0.7)], [(-0.7, 0.7), (0.7, -0.7)]],
    "O": [_CIRCLE],
    "square": [[(-0.65, -0.65), (0.65, -0.65), (0.65, 0.65), (-0.65, 0.65), (-0.65, -0.65)]],
    "triangle": [[(0.0, -0.75), (0.75, 0.6), (-0.75, 0.6), (0.0, -0.75)]],
    "plus": [[(0.0, -0.75), (0.0, 0.75)], [(-0.75, 0.0), (0.75, 0.0)]],
    "check": [[(-0.72, 0.0), (-0.22, 0.6), (0.75, -0.7)]],
}


def shape_names() -> tuple[str, ...]:
    return tuple(STROKES)


def _segment_distance(px, py, a, b):
    """Distance from points (px, py) to the segment a-b; px, py: (S*S,)."""
    ax, ay = a
    dx, dy = b[0] - ax, b[1] - ay
    length2 = dx * dx + dy * dy
    t = np.clip(((px - ax) * dx + (py - ay) * dy) / max(length2, 1e-12), 0.0, 1.0)
    return np.hypot(px - (ax + t * dx), py - (ay + t * dy))


def render_strokes(strokes, size, width: float) -> np.ndarray:
    """Pixel-space polylines -> (rows, cols) float32 ink coverage in 0..1 (size: a side or
    (rows, cols))."""
    rows, cols = rows_cols(size)
    ys, xs = np.mgrid[0:rows, 0:cols].astype(np.float64) + 0.5  # pixel centres
    px, py = xs.ravel(), ys.ravel()
    d = np.full(px.shape, np.inf)
    for line in strokes:
        for a, b in itertools.pairwise(line):
            d = np.minimum(d, _segment_distance(px, py, a, b))
    # coverage falls from 1 to 0 across one pixel at the stroke's edge: anti-aliasing
    ink = np.clip(width / 2 + 0.5 - d, 0.0, 1.0)
    return ink.reshape(rows, cols).astype(np.float32)


def render_shape(name: str, size, rng: np.random.Generator) -> np.ndarray:
    """One randomly varied drawing of `name`: (rows, cols) float32 ink 0..1. On a rectangle the
    shape is sized by the shorter side and placed anywhere along the longer one; a square draws
    exactly what it always drew for a given seed."""
    if name not in STROKES:
        raise DataError(f"no sample shape called {name!r} (choose from {', '.join(STROKES)})")
    rows, cols = rows_cols(size)
    side = min(rows, cols)
    scale = rng.uniform(0.55, 0.95) * side / 2  # unit coords -> pixels
    angle = np.deg2rad(rng.uniform(-15, 15))
    aspect = rng.uniform(0.85, 1.15)
    cos, sin = np.cos(angle), np.sin(angle)
    extent = max(np.hypot(x, y) for line in STROKES[name] for x, y in line) + 0.08
    scale = min(scale, (side / 2 - 1.5) / extent)  # rotated corners stay on the canvas
    slack_x = cols / 2 - 1 - scale * extent  # room left to move without clipping
    slack_y = rows / 2 - 1 - scale * extent
    cx = cols / 2 + rng.uniform(-1, 1) * max(slack_x, 0)
    cy = rows / 2 + rng.uniform(-1, 1) * max(slack_y, 0)
    wobble = 0.012 if name == "O" else 0.05  # many points on a circle: small steps or it frays
    strokes = []
    for line in STROKES[name]:
        pts = np.asarray(line, dtype=np.float64)
        pts = pts + rng.normal(0, wobble, pts.shape)
        if name == "O" or np.allclose(line[0], line[-1]):  # keep closed shapes closed
            pts[-1] = pts[0]
        x, y = pts[:, 0] * aspect, pts[:, 1] / aspect
        xs, ys = cx + scale * (cos * x - sin * y), cy + scale * (sin * x + cos * y)
        strokes.append(list(zip(xs, ys, strict=True)))
    width = rng.uniform(0.9, 2.6) * max(side / 28, 0.5) + (0.4 if side < 16 else 0.0)
    return render_strokes(strokes, (rows, cols), width)


# Ink and background at least this far apart in RGB (0..1 a channel; the cube's diagonal is
# 1.73): a shape is always plain to see, yet any colour can be ink or background.
MIN_CONTRAST = 0.5


def random_colours(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(ink, background) RGB in 0..1, each uniform over the cube, redrawn until MIN_CONTRAST apart
    (about 3 draws in 4 pass the first time)."""
    while True:
        ink, back = rng.uniform(0.0, 1.0, 3), rng.uniform(0.0, 1.0, 3)
        if np.linalg.norm(ink - back) >= MIN_CONTRAST:
            return ink, back


def colourise(ink: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(rows, cols) ink coverage -> (3, rows, cols) float32 RGB 0..1: random ink colour on a random
    background (random_colours), blended by coverage so edges stay anti-aliased."""
    fore, back = random_colours(rng)
    a = np.asarray(ink, np.float32)[None]
    return (back[:, None, None] * (1 - a) + fore[:, None, None] * a).astype(np.float32)


def _colour_rng(seed: int, ci: int) -> np.random.Generator:
    # a stream apart from the drawing's, so a colour folder draws the same shapes as a gray one
    return np.random.default_rng([seed, ci, 1])


def render_sample(name: str, size, rng, colour_rng=None) -> np.ndarray:
    """(rows, cols) ink, or with `colour_rng` (3, rows, cols) RGB, all 0..1."""
    ink = render_shape(name, size, rng)
    return ink if colour_rng is None else colourise(ink, colour_rng)


def make_arrays(
    classes, per_class: int, size, seed: int = 0, value_range=(-1.0, 1.0), colour: bool = False
):
    """(X (N, C, rows, cols) float32 in value_range, y (N,) int64), classes in the given order;
    C = 3 (RGB) with `colour`, else 1 (ink high). `size`: one side or (rows, cols).

    Each class draws from its own random stream, so asking for more samples per class keeps the
    first ones unchanged."""
    if per_class < 1:
        raise DataError(f"need at least 1 image per class, got {per_class}")
    lo, hi = value_range
    xs, ys = [], []
    for ci, name in enumerate(classes):
        rng = np.random.default_rng([seed, ci])
        crng = _colour_rng(seed, ci) if colour else None
        for _ in range(per_class):
            xs.append(render_sample(name, size, rng, crng))
            ys.append(ci)
    x = np.stack(xs)
    x = (x if colour else x[:, None]) * (hi - lo) + lo
    return x.astype(np.float32), np.asarray(ys, dtype=np.int64)


def output_folder(out_dir, classes) -> Path:
    """The folder a generated data set goes to, made if missing; refused when it holds anything
    but these class folders (nothing already there is overwritten by mistake)."""
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise DataError(f"cannot create {out}: {e.strerror or e}") from None
    if any(out.iterdir()) and not all((out / c).is_dir() for c in classes if (out / c).exists()):
        raise DataError(f"{out} already holds other files; choose an empty folder")
    return out


def write_folder(
    out_dir, per_class: int = 200, seed: int = 0, size=28, classes=None, colour: bool = False
) -> dict[str, int]:
    """Write a labelled folder: one subfolder per class of PNGs, white ink on black (8-bit
    grayscale), or with `colour` random colours (8-bit RGB). The same images as make_arrays."""
    classes = tuple(classes or STROKES)
    out = output_folder(out_dir, classes)
    counts = {}
    for ci, name in enumerate(classes):
        rng = np.random.default_rng([seed, ci])
        crng = _colour_rng(seed, ci) if colour else None
        d = out / name
        d.mkdir(exist_ok=True)
        for i in range(per_class):
            save_png(d / f"{name}_{i:05d}.png", render_sample(name, size, rng, crng))
        counts[name] = per_class
    return counts
