"""Sigmoid: every value squeezed into the range 0 to 1."""

from __future__ import annotations

from dataclasses import dataclass, field

from .registry import Shape, register
from .same_shape import SameShapeKind


@dataclass(frozen=True)
class Sigmoid:
    kind: str = field(default="sigmoid", init=False)


class SigmoidKind(SameShapeKind):
    name = "sigmoid"
    layer_type = Sigmoid
    label = "sigmoid"
    after = "after sigmoid"
    description = (
        "Squeezes every value into the range 0 to 1: large negative values end near "
        "0, large positive ones near 1, and 0 becomes 0.5."
    )

    def rule(self, layer: Sigmoid) -> str:
        return "1/(1 + e^-x), between 0 and 1"

    def module(self, layer: Sigmoid, shape: Shape):
        from torch import nn  # torch only when building: see registry's doc

        return nn.Sigmoid()


register(SigmoidKind())
