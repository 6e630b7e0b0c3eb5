"""Leaky ReLU: negative values are multiplied by a small slope instead of becoming 0."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import SpecError
from ..spec_json import finite
from .registry import Field, Shape, register
from .same_shape import SameShapeKind

DEFAULT_SLOPE = 0.01  # torch's default, and the one most texts use


def _slope(v, where: str) -> float:
    slope = finite(v, f"{where} slope", SpecError)
    # 0 is ReLU and 1 passes everything; outside that the shape of the function changes
    if not 0.0 <= slope <= 1.0:
        raise SpecError(f"{where} slope must be between 0 and 1, got {slope:g}")
    return slope


@dataclass(frozen=True)
class LeakyReLU:
    slope: float = DEFAULT_SLOPE
    kind: str = field(default="leakyrelu", init=False)


class LeakyReLUKind(SameShapeKind):
    name = "leakyrelu"
    layer_type = LeakyReLU
    fields = (Field("slope", _slope, required=False),)
    label = "leaky ReLU"
    after = "after leaky ReLU"
    description = (
        "Like ReLU, but a negative value is multiplied by a small slope instead of "
        "becoming 0, so it still passes on a little."
    )

    def rule(self, layer: LeakyReLU) -> str:
        return f"x if x > 0, else {layer.slope:g}·x"

    def module(self, layer: LeakyReLU, shape: Shape):
        from torch import nn  # torch only when building: see registry's doc

        return nn.LeakyReLU(layer.slope)


register(LeakyReLUKind())
