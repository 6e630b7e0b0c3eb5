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

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .layers import AvgPool, pair
from .layers.residual import SKIP
from .layers.sizes import DEFAULT_EDGE
from .numbers import deck_number  # one formatter for every panel, re-exported (__all__)
from .spec import Conv, MaxPool, NetworkSpec

if TYPE_CHECKING:
    from .trace import Trace

# The layer kinds each stepper steps: "pool" is the pooling family (max and average).
STEP_KINDS = {"conv": ("conv",), "pool": ("pool", "avgpool")}


# ---- which layers can be stepped ----------------------------------------------------------------
@dataclass(frozen=True)
class StepLayer:
    """A steppable layer: the position in model.layers / trace.layers of the layer (or of the
    top-level block holding it), its name as the trace and snapshot give it ("conv1",
    "residual2.conv1"), its spec, and the trace entry it reads (None: the network's input)."""

    index: int
    name: str
    layer: Conv | MaxPool | AvgPool
    in_maps: int  # C of its input
    out_maps: int  # maps it produces
    source: str | None = None  # the trace entry whose values it receives; None: the input

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

    @property
    def label(self) -> str:
        """The name a student reads: "conv1", or "block 2 · conv 1" inside a block."""
        return step_label(self.name)

    def inputs(self, trace: Trace) -> np.ndarray:
        """The (C, H, W) values this layer received in `trace`."""
        return trace.input if self.source is None else trace.layer(self.source).values


_COUNTED = re.compile(r"^([a-z]+)(\d+)$")
# what a block's name and its skip path say in a label (the residual block is the only block)
_LABEL_WORDS = {"residual": "block", SKIP: "skip path"}


def step_label(name: str) -> str:
    """A trace name as a student reads it: a top-level layer keeps its name ("conv1"); inside a
    block each part is spelled out: "residual2.conv1" -> "block 2 · conv 1",
    "residual2.skip" -> "block 2 · skip path"."""
    parts = name.split(".")
    if len(parts) == 1:
        return name
    words = []
    for part in parts:
        m = _COUNTED.match(part)
        word, n = (m.group(1), f" {m.group(2)}") if m else (part, "")
        words.append(_LABEL_WORDS.get(word, word) + n)
    return " · ".join(words)


def steppable_layers(spec: NetworkSpec, kind: str) -> list[StepLayer]:
    """Every layer of `kind` ("conv", or "pool" for max and average pooling) in the order the
    values are made, with the number of maps around it: a residual block's inside layers
    ("residual2.conv1") before the block's later neighbours, and for kind "conv" the 1x1
    convolution on a block's skip path ("residual2.skip") where it has one."""
    out: list[StepLayer] = []
    shape = (spec.channels, *spec.input_shape)
    _collect(spec.layers, spec.shapes(), shape, None, None, STEP_KINDS[kind], out)
    return out


def _collect(layers, rows, shape, source, top, kinds, out: list[StepLayer]) -> None:
    """Append the steppable layers among `layers` (their shapes-table `rows`), the first of
    which receives `shape` from trace entry `source`; `top`: the top-level index of their
    block (None at the top level, where each layer's own index counts)."""
    for i, (layer, row) in enumerate(zip(layers, rows, strict=False)):
        index = i if top is None else top
        inner = getattr(layer, "layers", None)
        if inner:  # a block: its inside reads what the block reads, as does its skip path
            _collect(inner, row.inside, shape, source, index, kinds, out)
            skip = row.inside[-1]
            if "conv" in kinds and skip.params:  # a 1x1 convolution, not the input as it is
                (c, h, w), (f, ho, wo) = shape, skip.shape
                conv = Conv(f, 1, stride=(h // ho, w // wo))
                out.append(StepLayer(index, skip.name, conv, c, f, source))
        elif layer.kind in kinds and isinstance(layer, (Conv, MaxPool, AvgPool)):
            out.append(StepLayer(index, row.name, layer, shape[0], row.shape[0], source))
        if len(row.shape) == 3:
            shape = row.shape
        source = row.name


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
    "step_label",
    "steppable_layers",
]
