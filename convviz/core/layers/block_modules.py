"""Torch modules of the global average pooling and residual kinds (gap.py, residual.py).

Imported only when a network is built, so reading and checking a spec needs no torch.
"""

from __future__ import annotations

from torch import nn


class GlobalAverage(nn.Module):
    def forward(self, x):  # (N, C, H, W) -> (N, C); ONNX: ReduceMean over rows and cols
        return x.mean(dim=(2, 3))


class Residual(nn.Module):
    """inner(x) + skip(x): `inner` the block's layers in order, `skip` None (the input as it is)
    or a 1x1 convolution that brings the input to the inside's shape.

    Its state keys are `inner.{j}.{param}` and `skip.{param}` (core/snapshot.py names them).
    `steps` and `part_names` (the inner layers' kinds and names) let the trace walk the inside.
    """

    def __init__(
        self, inner: list[nn.Module], skip: nn.Module | None, steps: list, part_names: list[str]
    ):
        super().__init__()
        self.inner = nn.ModuleList(inner)
        self.skip = skip
        self.steps, self.part_names = steps, part_names

    def forward(self, x):
        y = x
        for m in self.inner:
            y = m(y)
        return y + (x if self.skip is None else self.skip(x))
