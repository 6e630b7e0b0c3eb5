"""Tanh: every value squeezed into the range -1 to 1, its sign kept."""

from __future__ import annotations

from dataclasses import dataclass, field

from .registry import Shape, register
from .same_shape import SameShapeKind


@dataclass(frozen=True)
class Tanh:
    kind: str = field(default="tanh", init=False)


class TanhKind(SameShapeKind):
    name = "tanh"
    layer_type = Tanh
    label = "tanh"
    after = "after tanh"
    description = (
        "Squeezes every value into the range -1 to 1, keeping its sign: 0 stays 0, "
        "large values end near 1 or -1."
    )

    def rule(self, layer: Tanh) -> str:
        return "tanh(x), between -1 and 1"

    def module(self, layer: Tanh, shape: Shape):
        from torch import nn  # torch only when building: see registry's doc

        return nn.Tanh()


register(TanhKind())
