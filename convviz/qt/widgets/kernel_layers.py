"""What the Features (kernels) panel shows for each convolution, worked out from the network
(no widgets): which layers (the top-level convolutions, with the maps each reads), how a layer's
kernels are tiled (core/mosaic.MosaicLayout), and its title in three lengths for the room there
is. Split from panels/kernels.py, which draws them (kept among the widgets: a module in panels/
counts as a panel, and panels do not import each other)."""

from __future__ import annotations

import math

import numpy as np

from ...core.mosaic import MosaicLayout

MAX_COLS = 16
MAX_FEATURES_SHOWN = 32  # columns of a layer reading many maps (AlexNet's conv2: 256)
MAX_INPUTS_SHOWN = 16  # rows of it (AlexNet's conv2 reads 96 maps)


def conv_names(spec) -> list[str]:
    """The name of every convolution, in order."""
    return [s.name for s in spec.shapes() if s.kind == "conv"]


def kernel_grid(weight: np.ndarray) -> np.ndarray:
    """(F, C, kh, kw) weights -> (C * F, kh, kw) tiles ordered row = input map, column =
    feature."""
    f, c, kh, kw = weight.shape
    return weight.transpose(1, 0, 2, 3).reshape(c * f, kh, kw)


def conv_layers(spec):
    """(name, layer, input maps) of every top-level convolution, in order."""
    shapes = spec.shapes()
    channels = spec.channels
    for layer, s in zip(spec.layers, shapes, strict=False):
        if s.kind == "conv":
            yield s.name, layer, channels
        if len(s.shape) == 3:
            channels = s.shape[0]


def kernel_layout(f: int, c: int, kh: int, kw: int, colour: bool) -> MosaicLayout:
    """The tiles of `f` features over `c` input maps: a row per input map, a column per
    feature; a colour first layer: one picture per feature, in a grid about as wide as tall
    (the dock is about square, and one long row made each picture a few pixels wide)."""
    if colour:
        return MosaicLayout(f, kh, kw, min(math.ceil(math.sqrt(f)), MAX_COLS))
    return MosaicLayout(f * c, kh, kw, min(f, MAX_COLS) if c == 1 else f)


def title_texts(name: str, shape, total, level: float, colour: bool) -> tuple[str, str, str]:
    """A layer's title, whole, short and tiny (the scale matters more than the shape): the
    panel shows the longest that fits. `shape` (features shown, inputs shown, (kh, kw)),
    `total` (features, inputs)."""
    (f, c, (kh, kw)), (f_all, c_all) = shape, total
    inputs = "R, G, B as colour" if colour else f"input{'s' if c_all > 1 else ''}"
    cut = f"  (first {f} × {c} shown)" if (f, c) != (f_all, c_all) else ""
    full = f"{name}   {f_all} features × {c_all} {inputs} × {kh}×{kw}   scale ±{level:.2g}{cut}"
    short = f"{name}  {f_all}×{c_all}×{kh}×{kw}  ±{level:.2g}"
    tiny = f"{name}  ±{level:.2g}"
    return full, short, tiny
