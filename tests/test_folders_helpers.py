"""Small labelled folders drawn with Pillow, for the folder and training tests (no tests here)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

SIZE = 28


def draw(kind: str, size: int = SIZE, rng=None, dark_on_light: bool = False) -> Image.Image:
    """A white-on-black (or black-on-white) drawing of an 'X', an 'O' or a bar, jittered."""
    rng = rng or np.random.default_rng(0)
    bg, ink = (255, 0) if dark_on_light else (0, 255)
    im = Image.new("L", (size, size), bg)
    d = ImageDraw.Draw(im)
    m = int(rng.integers(3, 7))
    w = max(1, size // 12)
    if kind == "x":
        d.line([m, m, size - m, size - m], fill=ink, width=w)
        d.line([m, size - m, size - m, m], fill=ink, width=w)
    elif kind == "o":
        d.ellipse([m, m, size - m, size - m], outline=ink, width=w)
    else:
        y = size // 2 + int(rng.integers(-3, 4))
        d.line([m, y, size - m, y], fill=ink, width=w + 1)
    return im


def make_folder(
    root: Path, per_class: int = 12, classes=("o", "x"), seed: int = 0, suffix: str = ".png"
) -> Path:
    rng = np.random.default_rng(seed)
    for c in classes:
        (root / c).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            draw(c, rng=rng, dark_on_light=bool(i % 2)).save(root / c / f"{c}{i:03d}{suffix}")
    return root
