"""Flatten: the maps laid out as one list of values, channel by channel, row by row."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .registry import LayerKind, Shape, register


@dataclass(frozen=True)
class Flatten:
    kind: str = field(default="flatten", init=False)


class FlattenKind(LayerKind):
    name = "flatten"
    layer_type = Flatten
    label = "flatten"
    description = "Lays every map out as one long list of values, ready for the votes."

    def out_shape(self, layer: Flatten, shape: Shape, where: str) -> Shape:
        return (math.prod(shape),)

    def module(self, layer: Flatten, shape: Shape):
        from .modules import Flat  # torch only when building: see registry's doc

        return Flat()


register(FlattenKind())
