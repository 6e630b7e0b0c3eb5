"""Average pooling: the mean of each window; a window hanging over the edge still counts, or is
left out with edge "drop" (max pooling's field).

The sizes follow max pooling's rule (a window may hang over the bottom and right edges; none
starts outside the map: torch's ceil_mode=True with no padding; with edge "drop",
ceil_mode=False), so the fields, the shapes, the checks and the formula are max pooling's own
(this kind inherits them). A window that hangs over
the edge is averaged over the cells it covers inside the map: nothing outside counts as a zero
(torch's count_include_pad=False; with no padding torch divides by the cells inside either way,
and so does onnxruntime's AveragePool: the ONNX test checks it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .maxpool import MaxPoolKind
from .registry import Shape, register
from .sizes import DEFAULT_EDGE


@dataclass(frozen=True)
class AvgPool:
    window: int | tuple[int, int]  # W, or (rows, cols)
    stride: int | tuple[int, int]
    edge: str = DEFAULT_EDGE  # "keep" or "drop" a last window hanging over the edge
    kind: str = field(default="avgpool", init=False)


class AvgPoolKind(MaxPoolKind):
    name = "avgpool"
    # its numbers are max pooling's (window, stride, edge): the inherited methods read only those
    layer_type = AvgPool  # type: ignore[assignment]
    label = "average pooling"
    after = "after average pooling"
    description = (
        "Replaces each window by the average of its values, so the maps shrink and "
        "every value in the window has its say, not only the largest."
    )

    def module(self, layer, shape: Shape):  # layer: an AvgPool
        from .more_modules import AvgPool as AvgPoolModule  # torch only when building

        return AvgPoolModule(layer)

    def trace(self, module, x):
        return module(x), {}  # every cell of a window counts: no winners to show


register(AvgPoolKind())
