"""The arithmetic of one window at a time, as the deck's slides walk through it (Qt-free).

A *step* is one position of the window: step `i` produces output cell (i // cols, i % cols), the
windows moving left to right, then top to bottom, by the layer's stride (rows and columns may
have their own window size, stride and padding). For every step a dataclass holds everything a
panel shows: where the window sits (in input coordinates, negative or past the edge where it
hangs over or sits on padding), the cells under it, the winner (max pooling), the sum and count
(average pooling) or every channel's products and sums and the bias (filtering), and the value
that lands in the output cell. The panels only display these numbers.

Everything is computed from a trace's input to the layer and a weight snapshot (plain numpy), so
a stepper never touches a model that may be training in another thread.

This module holds what both steppers share (which layers can be stepped, the play head);
stepper_pool.py (PoolStepper) and stepper_conv.py (ConvStepper) hold the two kinds' arithmetic
and are re-exported here, so `from convviz.core.stepper import ConvStepper` reads as before.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .layers import AvgPool, pair
from .layers.sizes import DEFAULT_EDGE
from .numbers import deck_number  # one formatter for every panel, re-exported (__all__)
from .spec import Conv, MaxPool, NetworkSpec

# The layer kinds each stepper steps: "pool" is the pooling family (max and average).
STEP_KINDS = {"conv": ("conv",), "pool": ("pool", "avgpool")}


# ---- which layers can be stepped ----------------------------------------------------------------
@dataclass(frozen=True)
class StepLayer:
    """A steppable layer: its position in model.layers / trace.layers, its name and spec."""

    index: int
    name: str
    layer: Conv | MaxPool | AvgPool
    in_maps: int  # C of its input
    out_maps: int  # maps it produces

    @property
    def window(self) -> tuple[int, int]:
        """(rows, cols) of the feature or pooling window."""
        return pair(self.layer.size if isinstance(self.layer, Conv) else self.layer.window)

    @property
    def stride(self) -> tuple[int, int]:
        return pair(self.layer.stride)

    @property
    def padding(self) -> tuple[int, int]:
        return pair(self.layer.padding) if isinstance(self.layer, Conv) else (0, 0)

    @property
    def edge(self) -> str:
        """A pooling's edge ("keep" or "drop" a window hanging over it); "keep" for the rest."""
        return getattr(self.layer, "edge", DEFAULT_EDGE)

    @property
    def is_average(self) -> bool:
        return isinstance(self.layer, AvgPool)


def steppable_layers(spec: NetworkSpec, kind: str) -> list[StepLayer]:
    """Every top-level layer of `kind` ("conv", or "pool" for max and average pooling) in order,
    with the number of maps around it. Layers inside a residual block are not listed: the trace
    keeps their inputs only inside the block (see inner_layers)."""
    kinds = STEP_KINDS[kind]
    shapes = spec.shapes()
    out: list[StepLayer] = []
    in_maps = spec.channels
    for i, (layer, s) in enumerate(zip(spec.layers, shapes, strict=False)):
        if layer.kind in kinds and isinstance(layer, (Conv, MaxPool, AvgPool)):
            out.append(StepLayer(i, s.name, layer, in_maps, s.shape[0]))
        if len(s.shape) == 3:
            in_maps = s.shape[0]
    return out


def inner_layers(spec: NetworkSpec, kind: str) -> int:
    """How many layers of `kind` sit inside blocks (residual), where the steppers do not go."""
    kinds = STEP_KINDS[kind]

    def count(layers, top: bool) -> int:
        n = 0
        for layer in layers:
            inner = getattr(layer, "layers", None)
            if inner:
                n += count(inner, False)
            elif not top and layer.kind in kinds:
                n += 1
        return n

    return count(spec.layers, True)


def find_layer(spec: NetworkSpec, kind: str, name: str) -> StepLayer:
    layers = steppable_layers(spec, kind)
    for sl in layers:
        if sl.name == name:
            return sl
    known = ", ".join(sl.name for sl in layers) or "none"
    raise ValueError(f"no {kind} layer named {name!r} in {spec.name!r} (it has: {known})")


def conv_divisor(in_maps: int, layer: Conv) -> float:
    """What the deck divides the sum by (the rule network.DeckConv uses, from the spec)."""
    return layer.divisor(in_maps)


def grid_origin(step: int, out_cols: int, stride: tuple[int, int], padding: tuple[int, int]):
    """(out_row, out_col, top, left) of step `step`: the window's top-left in input cells."""
    r, c = divmod(step, out_cols)
    return r, c, r * stride[0] - padding[0], c * stride[1] - padding[1]


def check_step(step: int, n: int) -> None:
    if not 0 <= step < n:
        raise IndexError(f"step {step} is outside 0..{n - 1}")


def filled_upto(full: np.ndarray, i: int) -> np.ndarray:
    """The output map as it stands after step `i`: later cells are NaN (not yet filled);
    i = -1 gives an empty map."""
    out = np.full(full.shape, np.nan, np.float32)
    n = max(0, min(i + 1, full.size))
    out.reshape(-1)[:n] = full.reshape(-1)[:n]
    return out


# ---- the play head --------------------------------------------------------------------------
class Playhead:
    """Which step is shown, out of how many; every move is clamped to 0..n_steps-1."""

    def __init__(self, n_steps: int = 0):
        self.n_steps, self.current = max(0, int(n_steps)), 0

    def resize(self, n_steps: int) -> None:
        """A new layer or network: keep the step if it still exists."""
        self.n_steps = max(0, int(n_steps))
        self.current = min(self.current, max(0, self.n_steps - 1))

    def seek(self, i: int) -> bool:
        new = min(max(0, int(i)), max(0, self.n_steps - 1))
        moved, self.current = new != self.current, new
        return moved

    def forward(self) -> bool:
        return self.seek(self.current + 1)

    def back(self) -> bool:
        return self.seek(self.current - 1)

    @property
    def at_end(self) -> bool:
        return self.current >= self.n_steps - 1


# The two steppers live in their own modules (they import the helpers above, so they come last).
from .stepper_conv import ConvStep, ConvStepper  # noqa: E402
from .stepper_pool import PoolStep, PoolStepper  # noqa: E402

__all__ = [
    "ConvStep",
    "ConvStepper",
    "Playhead",
    "PoolStep",
    "PoolStepper",
    "StepLayer",
    "conv_divisor",
    "deck_number",
    "find_layer",
    "inner_layers",
    "steppable_layers",
]
