"""ReLU: negative values become 0, the rest pass unchanged."""

from __future__ import annotations

from dataclasses import dataclass, field

from .registry import LayerKind, Shape, register


@dataclass(frozen=True)
class ReLU:
    kind: str = field(default="relu", init=False)


class ReLUKind(LayerKind):
    name = "relu"
    layer_type = ReLU
    label = "ReLU"
    after = "after ReLU"
    description = "Turns every negative value into 0 and keeps the rest as they are."
    valuewise = True

    def module(self, layer: ReLU, shape: Shape):
        from torch import nn  # torch only when building: see registry's doc

        return nn.ReLU()


register(ReLUKind())
