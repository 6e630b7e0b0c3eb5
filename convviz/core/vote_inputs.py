"""A readable name for every input of the vote layer (a map cell after flatten, or a neuron of
the hidden layer before): the Votes panel's "which inputs pushed hardest" lists these. No Qt."""

from __future__ import annotations


def input_names(spec, xo_names=None) -> list[str]:
    """A readable name for every input of the vote layer: a map cell (after flatten) or a
    neuron of the hidden layer before."""
    shapes = spec.shapes()
    last = len(shapes) - 1
    # walk back over ReLUs to the layer that made the values
    j = last - 1
    while j > 0 and shapes[j].kind == "relu":
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

