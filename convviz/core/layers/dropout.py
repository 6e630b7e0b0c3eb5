"""Dropout: while training, a random share of the values is set to 0 (the rest scaled up to keep
the total); when showing or predicting it passes everything unchanged."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import SpecError
from ..spec_json import finite
from .registry import Field, Shape, register
from .same_shape import SameShapeKind

DEFAULT_P = 0.5


def _p(v, where: str) -> float:
    p = finite(v, f"{where} p", SpecError)
    if not 0.0 <= p < 1.0:  # p = 1 would drop everything (and scale the rest by 1/0)
        raise SpecError(f"{where} p must be at least 0 and less than 1, got {p:g}")
    return p


@dataclass(frozen=True)
class Dropout:
    p: float = DEFAULT_P  # the share of values set to 0 while training
    kind: str = field(default="dropout", init=False)


class DropoutKind(SameShapeKind):
    name = "dropout"
    layer_type = Dropout
    fields = (Field("p", _p, required=False),)
    label = "dropout"
    after = "after dropout"
    description = (
        "While training, switches off a random share of the values so the network "
        "cannot lean on any single one; when showing or predicting it does nothing."
    )

    def rule(self, layer: Dropout) -> str:
        keep = 1.0 - layer.p
        return (
            f"training: {layer.p:g} of the values set to 0, the rest x {1 / keep:.3g}; "
            f"otherwise unchanged"
        )

    def module(self, layer: Dropout, shape: Shape):
        from torch import nn  # torch only when building: see registry's doc

        return nn.Dropout(layer.p)

    def trace(self, module, x):
        return x, {}  # the trace shows the network at work, never training: nothing dropped


register(DropoutKind())
