"""Convolution ("filtering" in the deck): features slid over every input map.

The lesson's formula (W - F + 2P)/S + 1 must come out whole: a stride that would leave the last
rows or columns out is refused, so a person sees every input cell used. With edge "drop" (the
pooling kinds' field and word) those last rows are left out, as torch's nn.Conv2d and Keras's
Conv2D always do: floor((W - F + 2P)/S) + 1, which is what a ResNet's 3x3 stride-2 downsampling
on an even map (32 -> 16) needs. "keep", the default, is left out of JSON."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import SpecError
from ..limits import MAX_LAYER_NUMBER
from ..spec_json import finite, listed
from .registry import (
    DIMENSIONS,
    Field,
    LayerKind,
    Shape,
    by,
    number,
    pair,
    per_dimension,
    register,
    shown,
    yes_no,
)
from .sizes import DEFAULT_EDGE, conv_out, edge_field, per_dimension_text


@dataclass(frozen=True)
class Conv:
    """Convolution: `features` features of `size` (F, or (rows, cols)), moved by `stride`, with
    `padding` rings of zeros around the input; each of these may differ per dimension.

    `divide` follows the deck: after multiplying and adding, divide by the number of feature
    pixels, so a perfect match gives 1. `fixed` holds hand-made features ([feature][row][col],
    one input channel) that stay as they are during training (the deck's X/O features).
    `edge` "drop" leaves out the last rows/cols a stride does not reach (torch's rounding down);
    "keep" (the default) refuses a size that is not whole.
    """

    features: int
    size: int | tuple[int, int]
    stride: int | tuple[int, int] = 1
    padding: int | tuple[int, int] = 0
    divide: bool = False
    bias: bool = True
    fixed: tuple | None = None
    edge: str = DEFAULT_EDGE  # "drop": the last rows a stride cannot reach are left out
    kind: str = field(default="conv", init=False)

    def divisor(self, in_maps: int) -> float:
        """What the sum is divided by: the number of feature pixels over all input maps when
        the layer divides as the deck does, else 1."""
        r, c = pair(self.size)
        return float(in_maps * r * c) if self.divide else 1.0


def _fixed(v, where: str) -> tuple | None:
    """Hand-made features [feature][row][col] as nested tuples of finite numbers; the sizes
    are compared with the layer's in out_shape."""
    if v is None:
        return None
    grids = listed(v, f"{where} fixed", SpecError, MAX_LAYER_NUMBER)
    return tuple(
        tuple(
            tuple(
                finite(x, f"{where} fixed value", SpecError)
                for x in listed(row, f"{where} fixed row", SpecError, MAX_LAYER_NUMBER)
            )
            for row in listed(g, f"{where} fixed feature", SpecError, MAX_LAYER_NUMBER)
        )
        for g in grids
    )


def kept_out(w: int, f: int, s: int, p: int) -> int:
    """The output size with the windows that do not fit left out: floor((W - F + 2P)/S) + 1
    (torch's, and the formula's own when it is whole)."""
    return (w - f + 2 * p) // s + 1


class ConvKind(LayerKind):
    name = "conv"
    layer_type = Conv
    fields = (
        Field("features", number("features")),
        Field("size", per_dimension("size")),
        Field("stride", per_dimension("stride"), required=False),
        Field("padding", per_dimension("padding"), required=False),
        Field("divide", yes_no("divide"), required=False),
        Field("bias", yes_no("bias"), required=False),
        Field("fixed", _fixed, required=False),
        edge_field(),
    )
    label = "filtering"
    after = "after convolution"
    description = (
        "Slides each feature over the input and, at every place, multiplies and adds "
        "(and divides, as the deck does), giving one map per feature."
    )

    def out_shape(self, layer: Conv, shape: Shape, where: str) -> Shape:
        if len(shape) != 3:
            raise SpecError(f"{where}: convolution needs maps, but its input is flat {shape}")
        c, h, w = shape
        f, s, p = pair(layer.size), pair(layer.stride), pair(layer.padding)
        if layer.features < 1 or min(f) < 1 or min(s) < 1 or min(p) < 0:
            raise SpecError(
                f"{where}: features, size and stride must be at least 1 and "
                f"padding at least 0 (got {layer.features}, {shown(layer.size)}, "
                f"{shown(layer.stride)}, {shown(layer.padding)})"
            )
        out = []
        for dim, n, fd, sd, pd in zip(DIMENSIONS, (h, w), f, s, p, strict=True):
            if fd > n + 2 * pd:
                raise SpecError(
                    f"{where}: a {by(layer.size)} feature does not fit in a "
                    f"{h}x{w} input with padding {shown(layer.padding)} ({dim}: "
                    f"{fd} > {n} + 2*{pd})"
                )
            o = conv_out(n, fd, sd, pd)
            if o != int(o) and layer.edge != "drop":
                raise SpecError(
                    f"{where}: {dim}: (W - F + 2P)/S + 1 = ({n} - {fd} + 2*{pd})/"
                    f"{sd} + 1 = {o:.3g} is not a whole number; \"edge\": \"drop\" leaves "
                    f"the last {dim} out, as torch does"
                )
            out.append(kept_out(n, fd, sd, pd))
        if layer.fixed is not None:
            fx = layer.fixed
            ok = (
                len(fx) == layer.features
                and c == 1
                and all(len(r) == f[0] and all(len(q) == f[1] for q in r) for r in fx)
            )
            if not ok:
                raise SpecError(
                    f"{where}: fixed features must be {layer.features} grids of "
                    f"{by(layer.size)} on a 1-channel input"
                )
        return (layer.features, out[0], out[1])

    def formula(self, layer: Conv, shape: Shape) -> str:
        texts = []
        for n, fd, sd, pd in zip(
            shape[1:], pair(layer.size), pair(layer.stride), pair(layer.padding), strict=True
        ):
            raw, o = conv_out(n, fd, sd, pd), kept_out(n, fd, sd, pd)
            if raw == o:  # whole: the edge changes nothing
                texts.append(f"({n} - {fd} + 2·{pd})/{sd} + 1 = {raw:g}")
            else:  # edge "drop" ("keep" refused it): the windows that do not fit left out
                texts.append(f"floor(({n} - {fd} + 2·{pd})/{sd}) + 1 = {o}")
        return per_dimension_text(*texts)

    def state_shapes(self, layer: Conv, shape: Shape) -> dict[str, Shape]:
        want: dict[str, Shape] = {"weight": (layer.features, shape[0], *pair(layer.size))}
        if layer.bias:
            want["bias"] = (layer.features,)
        return want

    def module(self, layer: Conv, shape: Shape):
        from .modules import DeckConv  # torch only when building: see registry's doc

        return DeckConv(shape[0], layer)


register(ConvKind())
