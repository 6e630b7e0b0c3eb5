"""Global average pooling ("gap"): each map averaged into one number, (C, H, W) -> (C,).

It ends the maps part of a network without a flatten: ResNet's last maps, however large, become
one value per feature, ready for the votes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import SpecError
from .registry import LayerKind, Shape, register


@dataclass(frozen=True)
class GlobalAvgPool:
    kind: str = field(default="gap", init=False)


class GapKind(LayerKind):
    name = "gap"
    layer_type = GlobalAvgPool
    label = "global average pooling"
    after = "after global average pooling"
    description = (
        "Averages each map into one number: C maps become C values, one per "
        "feature, ready for the votes."
    )

    def out_shape(self, layer: GlobalAvgPool, shape: Shape, where: str) -> Shape:
        if len(shape) != 3:
            raise SpecError(
                f"{where}: global average pooling needs maps, but its input is flat {shape}"
            )
        return (shape[0],)

    def formula(self, layer: GlobalAvgPool, shape: Shape) -> str:
        c, h, w = shape
        return f"the mean of each {h}×{w} map: {c} maps → {c} values"

    def module(self, layer: GlobalAvgPool, shape: Shape):
        from .block_modules import GlobalAverage  # torch only when building: see registry's doc

        return GlobalAverage()


register(GapKind())
