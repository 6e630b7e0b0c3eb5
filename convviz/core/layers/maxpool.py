"""Max pooling: the largest value of each window. A window hanging over the edge still counts
(edge "keep", the default, as the deck pools 7x7 to 4x4) or is left out (edge "drop", as
Keras's padding="valid" and torch's default ceil_mode=False: the TensorFlow tutorials' 11 -> 5);
see sizes.py."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import SpecError
from .registry import (
    DIMENSIONS,
    Field,
    LayerKind,
    Shape,
    by,
    pair,
    per_dimension,
    register,
    shown,
)
from .sizes import DEFAULT_EDGE, edge_field, per_dimension_text, pool_out

# the pooling kinds' fields (average pooling inherits them): the edge is declared here once
POOL_FIELDS = (
    Field("window", per_dimension("window")),
    Field("stride", per_dimension("stride")),
    edge_field(),
)


@dataclass(frozen=True)
class MaxPool:
    window: int | tuple[int, int]  # W, or (rows, cols)
    stride: int | tuple[int, int]
    edge: str = DEFAULT_EDGE  # "keep" or "drop" a last window hanging over the edge
    kind: str = field(default="pool", init=False)


class MaxPoolKind(LayerKind):
    name = "pool"
    layer_type = MaxPool
    fields = POOL_FIELDS
    label = "max pooling"
    after = "after pooling"
    description = (
        "Keeps the largest value of each window, so the maps shrink but every "
        "strong match survives."
    )

    def out_shape(self, layer: MaxPool, shape: Shape, where: str) -> Shape:
        if len(shape) != 3:
            raise SpecError(f"{where}: pooling needs maps, but its input is flat {shape}")
        c, h, w = shape
        f, s = pair(layer.window), pair(layer.stride)
        if min(f) < 1 or min(s) < 1:
            raise SpecError(
                f"{where}: window and stride must be at least 1 (got "
                f"{shown(layer.window)}, {shown(layer.stride)})"
            )
        for dim, n, fd in zip(DIMENSIONS, (h, w), f, strict=True):
            if fd > n:
                raise SpecError(
                    f"{where}: a {by(layer.window)} window is larger than its "
                    f"{h}x{w} input ({dim}: {fd} > {n})"
                )
        return (c, pool_out(h, f[0], s[0], layer.edge), pool_out(w, f[1], s[1], layer.edge))

    def formula(self, layer: MaxPool, shape: Shape) -> str:
        texts = []
        for n, fd, sd in zip(shape[1:], pair(layer.window), pair(layer.stride), strict=True):
            o, raw = pool_out(n, fd, sd, layer.edge), (n - fd) / sd + 1
            if raw == o:  # whole windows fit exactly: the edge changes nothing
                texts.append(f"({n} - {fd})/{sd} + 1 = {o}")
            elif layer.edge == "drop":  # the window hanging over the edge is left out
                texts.append(f"floor(({n} - {fd})/{sd}) + 1 = {o}")
            else:  # hanging over the edge, counted
                texts.append(f"({n} - {fd})/{sd} + 1 = {raw:.3g} → {o}")
        return per_dimension_text(*texts)

    def module(self, layer: MaxPool, shape: Shape):
        from .modules import Pool  # torch only when building: see registry's doc

        return Pool(layer)

    def trace(self, module, x):
        y, winners = module(x, return_indices=True)  # flat index into each input map
        return y, {"winners": winners}


register(MaxPoolKind())
