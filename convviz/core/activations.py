"""What the Activation view shows, without Qt: every activation layer on maps (a residual block's
inside included), the values it received and gave, its function and the words for it.

The function of each kind is written here once more, in numpy, for the curve a person sees
(f(x) over the values the layer received); tests check that the trace's after-values, made by
torch, are this function of its before-values.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .layers import Residual
from .spec import NetworkSpec
from .trace import LayerTrace, Trace

ACTIVATIONS = ("relu", "leakyrelu", "sigmoid", "tanh")
SATURATED = 2.0  # |x| past this: sigmoid and tanh are nearly flat (within 12% of their limit)


@dataclass(frozen=True)
class ActivationLayer:
    name: str  # the trace's name: "relu1", "residual1.relu1"
    kind: str  # one of ACTIVATIONS
    maps: int
    slope: float = 0.0  # leaky ReLU's slope for negative values (0 for ReLU)


def activation_layers(spec: NetworkSpec) -> list[ActivationLayer]:
    """Every activation layer on maps, in the order the values are made (a block's inside
    before what follows it)."""
    out: list[ActivationLayer] = []
    _collect(spec.layers, spec.shapes(), out)
    return out


def _collect(layers, shapes, out) -> None:
    rows = [s for s in shapes if not s.kind.endswith(".skip")]
    for layer, s in zip(layers, rows, strict=False):
        if isinstance(layer, Residual):
            _collect(layer.layers, s.inside, out)
        elif s.kind in ACTIVATIONS and len(s.shape) == 3:
            out.append(
                ActivationLayer(s.name, s.kind, s.shape[0], float(getattr(layer, "slope", 0.0)))
            )


def before_values(trace: Trace) -> dict[str, np.ndarray]:
    """Each entry's input by name: the entry made just before it in its own run of layers (a
    block's first inside layer: the block's input)."""
    out: dict[str, np.ndarray] = {}
    _before(trace.layers, trace.input, out)
    return out


def _before(entries: tuple[LayerTrace, ...] | list[LayerTrace], given, out) -> None:
    prev = given
    for lt in entries:
        out[lt.name] = prev
        if lt.parts:
            inside = [p for p in lt.parts if not p.kind.endswith(".skip")]
            _before(inside, prev, out)
        prev = lt.values


def apply(kind: str, x: np.ndarray, slope: float = 0.0) -> np.ndarray:
    """The activation `kind` of the values x (float64 for the curve's accuracy)."""
    x = np.asarray(x, np.float64)
    if kind == "relu":
        return np.maximum(x, 0.0)
    if kind == "leakyrelu":
        return np.where(x > 0, x, slope * x)
    if kind == "sigmoid":
        return 0.5 * (1.0 + np.tanh(0.5 * x))  # = 1 / (1 + e^-x), with no overflow
    if kind == "tanh":
        return np.tanh(x)
    raise ValueError(f"not an activation: {kind!r}")


def changed_cells(kind: str, before: np.ndarray) -> np.ndarray:
    """The cells the view marks: those ReLU zeroes or leaky ReLU scales (negative), those
    sigmoid and tanh squash flat (beyond ±SATURATED)."""
    if kind in ("relu", "leakyrelu"):
        return before < 0
    return np.abs(before) > SATURATED


def explanation(layer: ActivationLayer) -> str:
    """The words for the layer's function."""
    return {
        "relu": "ReLU keeps the arithmetic from running away: every negative value becomes 0 "
        "and everything else stays as it is. A red line surrounds the cells that change.",
        "leakyrelu": f"Leaky ReLU lets a little of each negative value through: negatives are "
        f"multiplied by the slope {layer.slope:g}, everything else stays as it is (so a "
        "feature that is off can still learn). A red line surrounds the negative cells.",
        "sigmoid": "Sigmoid squashes every value into 0..1: 0 becomes 0.5, large negatives "
        "end near 0 and large positives near 1. A red line surrounds the cells beyond ±2, "
        "where the curve is nearly flat.",
        "tanh": "tanh squashes every value into −1..1, keeping its sign: 0 stays 0, large "
        "values end near ±1. A red line surrounds the cells beyond ±2, where the curve is "
        "nearly flat.",
    }[layer.kind]


def caption(kind: str, before: np.ndarray) -> str:
    """One line about the cells marked."""
    n, total = int(changed_cells(kind, before).sum()), before.size
    if kind == "relu":
        return (
            f"<b>{n}</b> of {total} cells were negative and became 0"
            if n
            else "No cell was negative: nothing changes."
        )
    if kind == "leakyrelu":
        return (
            f"<b>{n}</b> of {total} cells were negative and were scaled down by the slope"
            if n
            else "No cell was negative: nothing changes."
        )
    limit = "0 or 1" if kind == "sigmoid" else "−1 or 1"
    return (
        f"<b>{n}</b> of {total} cells were beyond ±{SATURATED:g}: squashed close to {limit}"
        if n
        else f"Every cell was within ±{SATURATED:g}, where the curve still slopes."
    )
