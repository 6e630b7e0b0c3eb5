"""Which input pixels a layer's output position can see: its receptive field, worked out from
the spec alone (kernel sizes, strides and padding), rows and columns separately.

Along one axis every layer maps output position i to the previous layer's positions
[i*stride - padding, i*stride - padding + kernel - 1]. Composed down to the input, position i of
layer L sees input pixels [i*jump + offset, i*jump + offset + size - 1]: `jump` is the product of
the strides, `offset` starts at 0 and moves back by padding*jump at each padded layer, and `size`
grows by (kernel - 1)*jump. Pooling pads nothing (ceil mode only adds windows at the far edge,
which the clipping to the image covers). Element-wise layers (ReLU) change nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import SpecError


@dataclass(frozen=True)
class Axis:
    """One axis of a receptive field: output position i sees input [i*jump + offset, ... +
    size - 1], clipped to the image."""

    jump: int
    offset: int
    size: int

    def then(self, kernel: int, stride: int, padding: int) -> Axis:
        return Axis(
            self.jump * stride,
            self.offset - padding * self.jump,
            self.size + (kernel - 1) * self.jump,
        )

    def span(self, i: int, extent: int) -> tuple[int, int]:
        """[start, stop) of the input pixels position i sees, clipped to 0..extent."""
        start = i * self.jump + self.offset
        return max(start, 0), min(start + self.size, extent)


@dataclass(frozen=True)
class Field:
    rows: Axis
    cols: Axis

    def patch(self, row: int, col: int, height: int, width: int) -> tuple[int, int, int, int]:
        """(top, bottom, left, right), bottom and right exclusive: the input pixels output
        position (row, col) sees, inside a height x width input."""
        top, bottom = self.rows.span(row, height)
        left, right = self.cols.span(col, width)
        return top, bottom, left, right


def _pair(value) -> tuple[int, int]:
    """A size given once for both axes, or as (rows, cols)."""
    if isinstance(value, (tuple, list)):
        rows, cols = value
        return int(rows), int(cols)
    return int(value), int(value)


def _geometry(layer) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int]] | None:
    """(kernel, stride, padding), each (rows, cols), of a layer that moves a window over its
    input; None for one that works pixel by pixel."""
    kind = layer.kind
    if kind == "conv":
        return _pair(layer.size), _pair(layer.stride), _pair(layer.padding)
    if kind == "pool":
        return _pair(layer.window), _pair(layer.stride), (0, 0)
    return None


def receptive_fields(spec) -> list[Field | None]:
    """One entry per hidden layer of `spec` (in order): the receptive field of its output
    positions, or None from the first layer that has no positions (flatten and after)."""
    fields: list[Field | None] = []
    current: Field | None = Field(Axis(1, 0, 1), Axis(1, 0, 1))
    for layer in spec.layers:
        if current is not None and layer.kind in ("flatten", "fc"):
            current = None
        elif current is not None:
            geometry = _geometry(layer)
            if geometry is not None:
                (kr, kc), (sr, sc), (pr, pc) = geometry
                current = Field(current.rows.then(kr, sr, pr), current.cols.then(kc, sc, pc))
        fields.append(current)
    return fields


def receptive_field(spec, layer_index: int) -> Field:
    """The receptive field of hidden layer `layer_index`; SpecError for a layer without
    positions."""
    fields = receptive_fields(spec)
    if not 0 <= layer_index < len(fields) or fields[layer_index] is None:
        raise SpecError(
            f"layer {layer_index} of {spec.name!r} has no receptive field (it is "
            f"not a map of positions)"
        )
    found = fields[layer_index]
    assert found is not None
    return found
