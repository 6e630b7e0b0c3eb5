"""A fully connected layer: every neuron weighs every value of a flat input (the votes are one)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import SpecError
from .registry import Field, LayerKind, Shape, number, register


@dataclass(frozen=True)
class Dense:
    """A hidden fully connected layer of `neurons` neurons."""

    neurons: int
    kind: str = field(default="fc", init=False)


class DenseKind(LayerKind):
    name = "fc"
    layer_type = Dense
    fields = (Field("neurons", number("neurons")),)
    label = "fully connected"
    description = "Every neuron multiplies every input value by its own weight and adds them up."

    def out_shape(self, layer: Dense, shape: Shape, where: str) -> Shape:
        if len(shape) != 1:
            raise SpecError(
                f"{where}: a fully connected layer needs a flat input; add a "
                f"flatten layer before it"
            )
        if layer.neurons < 1:
            raise SpecError(f"{where}: needs at least 1 neuron, got {layer.neurons}")
        return (layer.neurons,)

    def state_shapes(self, layer: Dense, shape: Shape) -> dict[str, Shape]:
        return {"weight": (layer.neurons, shape[0]), "bias": (layer.neurons,)}

    def module(self, layer: Dense, shape: Shape):
        from torch import nn  # torch only when building: see registry's doc

        return nn.Linear(shape[0], layer.neurons)


register(DenseKind())
