"""Batch normalisation: each channel shifted and scaled to values around 0 with a spread of about
1, then given a learned scale (γ) and shift (β).

While training, each batch's own mean and variance are used and a running average of them is
kept; when showing or predicting (the trace, the votes, exported files) the running averages are
used, so one image's answer never depends on the others in its batch. Those running statistics
are buffers, not parameters: learned by averaging, not by gradients, so the parameter count is
2 per channel, but they are saved and loaded with the weights (state_shapes lists all four).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import SpecError
from .registry import Shape, register
from .same_shape import SameShapeKind

# what the formula shows as added to the variance: more_modules.BATCHNORM_EPS, written without
# importing torch (a test checks the two agree)
EPS_TEXT = "0.00001"


@dataclass(frozen=True)
class BatchNorm:
    kind: str = field(default="batchnorm", init=False)


class BatchNormKind(SameShapeKind):
    name = "batchnorm"
    layer_type = BatchNorm
    label = "batch normalisation"
    after = "after batch normalisation"
    description = (
        "Rescales each map so its values sit around 0 with a spread of about 1 "
        "(using averages learned in training), then applies a learned scale and "
        "shift per map."
    )

    def out_shape(self, layer: BatchNorm, shape: Shape, where: str) -> Shape:
        if len(shape) not in (1, 3):  # (C, H, W) maps or (C,) flat values
            raise SpecError(f"{where}: batch normalisation needs maps or flat values, got {shape}")
        return shape

    def rule(self, layer: BatchNorm) -> str:
        return f"(x - mean)/√(var + {EPS_TEXT})·γ + β per channel"

    def state_shapes(self, layer: BatchNorm, shape: Shape) -> dict[str, Shape]:
        c = (shape[0],)
        return {"weight": c, "bias": c, "running_mean": c, "running_var": c}

    def params(self, layer: BatchNorm, shape: Shape) -> int:
        return 2 * shape[0]  # γ and β; the running mean and variance are buffers (see above)

    def module(self, layer: BatchNorm, shape: Shape):
        from .more_modules import BatchNorm as BatchNormModule  # torch only when building

        return BatchNormModule(shape[0])

    def trace(self, module, x):
        return module.shown(x), {}  # the running statistics, even in a network left training


register(BatchNormKind())
