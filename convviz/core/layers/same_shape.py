"""Kinds whose output has their input's shape (batch normalisation, leaky ReLU, sigmoid, tanh,
dropout): the shapes table shows their rule, numbers filled in, and "same shape: 8x14x14"."""

from __future__ import annotations

from .registry import LayerKind, Shape


def same_shape_text(shape: Shape) -> str:
    return f"same shape: {'x'.join(map(str, shape))}"


class SameShapeKind(LayerKind):
    """A LayerKind that keeps the shape; `rule` is what it does to each value, for a person."""

    valuewise = True

    def rule(self, layer) -> str:
        return ""

    def formula(self, layer, shape: Shape) -> str:
        rule = self.rule(layer)
        return f"{rule}; {same_shape_text(shape)}" if rule else same_shape_text(shape)
