"""Labelled sample shapes, drawn with the deck's "trickier cases" built in.

Each shape is a few pen strokes in unit coordinates (-1..1, y down). Every sample moves, scales
and rotates them, wobbles each point a little like a hand would, and varies the stroke weight.
Strokes are rendered anti-aliased from the distance of each pixel centre to the nearest stroke,
so no drawing library is needed and the result is the same on every machine for a given seed.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np

from .errors import DataError
from .imageio import save_png

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


def render_strokes(strokes, size: int, width: float) -> np.ndarray:
    """Pixel-space polylines -> (size, size) float32 ink coverage in 0..1."""
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float64) + 0.5  # pixel centres
    px, py = xs.ravel(), ys.ravel()
    d = np.full(px.shape, np.inf)
    for line in strokes:
        for a, b in itertools.pairwise(line):
            d = np.minimum(d, _segment_distance(px, py, a, b))
    # coverage falls from 1 to 0 across one pixel at the stroke's edge: anti-aliasing
    ink = np.clip(width / 2 + 0.5 - d, 0.0, 1.0)
    return ink.reshape(size, size).astype(np.float32)


def render_shape(name: str, size: int, rng: np.random.Generator) -> np.ndarray:
    """One randomly varied drawing of `name`: (size, size) float32 ink 0..1."""
    if name not in STROKES:
        raise DataError(f"no sample shape called {name!r} (choose from {', '.join(STROKES)})")
    scale = rng.uniform(0.55, 0.95) * size / 2          # unit coords -> pixels
    angle = np.deg2rad(rng.uniform(-15, 15))
    aspect = rng.uniform(0.85, 1.15)
    cos, sin = np.cos(angle), np.sin(angle)
    extent = max(np.hypot(x, y) for line in STROKES[name] for x, y in line) + 0.08
    scale = min(scale, (size / 2 - 1.5) / extent)        # rotated corners stay on the canvas
    slack = size / 2 - 1 - scale * extent                # room left to move without clipping
    cx = size / 2 + rng.uniform(-1, 1) * max(slack, 0)
    cy = size / 2 + rng.uniform(-1, 1) * max(slack, 0)
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
    width = rng.uniform(0.9, 2.6) * max(size / 28, 0.5) + (0.4 if size < 16 else 0.0)
    return render_strokes(strokes, size, width)


def make_arrays(classes, per_class: int, size: int, seed: int = 0, value_range=(-1.0, 1.0)):
    """(X (N, 1, size, size) float32 in value_range, y (N,) int64), classes in the given order.

    Each class draws from its own random stream, so asking for more samples per class keeps the
    first ones unchanged."""
    if per_class < 1:
        raise DataError(f"need at least 1 image per class, got {per_class}")
    lo, hi = value_range
    xs, ys = [], []
    for ci, name in enumerate(classes):
        rng = np.random.default_rng([seed, ci])
        for _ in range(per_class):
            xs.append(render_shape(name, size, rng))
            ys.append(ci)
    x = np.stack(xs)[:, None] * (hi - lo) + lo
    return x.astype(np.float32), np.asarray(ys, dtype=np.int64)


def write_folder(out_dir, per_class: int = 200, seed: int = 0, size: int = 28,
                 classes=None) -> dict[str, int]:
    """Write a labelled folder: one subfolder per class of PNGs (white ink on black)."""
    classes = tuple(classes or STROKES)
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise DataError(f"cannot create {out}: {e.strerror or e}") from None
    if any(out.iterdir()) and not all((out / c).is_dir() for c in classes if (out / c).exists()):
        raise DataError(f"{out} already holds other files; choose an empty folder")
    counts = {}
    for ci, name in enumerate(classes):
        rng = np.random.default_rng([seed, ci])
        d = out / name
        d.mkdir(exist_ok=True)
        for i in range(per_class):
            save_png(d / f"{name}_{i:05d}.png", render_shape(name, size, rng))
        counts[name] = per_class
    return counts
