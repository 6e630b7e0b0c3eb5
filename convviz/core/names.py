"""Readable names the panels show: every input of the vote layer (a map cell after flatten, or
a neuron of the hidden layer before), for the Votes panel's "which inputs pushed hardest"; and a
layer's maps (the deck's feature names for the xo network), for the stepper panels. No Qt."""

from __future__ import annotations

from .layers.registry import kind_named
from .presets import XO_FEATURE_NAMES
from .spec import NetworkSpec


def map_names(spec: NetworkSpec | None, n: int) -> list[str]:
    """Names for the maps of a layer: the deck's feature names for the xo network's maps."""
    if spec is not None and spec.name == "xo" and n == len(XO_FEATURE_NAMES):
        return [f"{i + 1}: {name}" for i, name in enumerate(XO_FEATURE_NAMES)]
    return [f"map {i + 1}" for i in range(n)]


def input_names(spec, xo_names=None) -> list[str]:
    """A readable name for every input of the vote layer: a map cell (after flatten) or a
    neuron of the hidden layer before."""
    shapes = spec.shapes()
    last = len(shapes) - 1
    # walk back over ReLUs, dropout, batch norm and the like to the layer that made the values
    j = last - 1
    while j > 0 and getattr(kind_named(shapes[j].kind), "valuewise", False):
        j -= 1
    src = shapes[j]
    if src.kind == "flatten" and j > 0 and len(shapes[j - 1].shape) == 3:
        c, h, w = shapes[j - 1].shape
        maps = shapes[j - 1].name
        names = []
        for k in range(c * h * w):
            m, rc = divmod(k, h * w)
            r, col = divmod(rc, w)
            label = xo_names[m] if xo_names and m < len(xo_names) else f"{maps} map {m + 1}"
            names.append(f"{label} ({r + 1},{col + 1})")
        return names
    return [f"{src.name} neuron {k + 1}" for k in range(shapes[last - 1].shape[0])]
