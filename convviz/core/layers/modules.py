"""The torch modules of the built-in kinds that torch has no ready module for.

Imported only when a network is built (the kinds import it inside `module`), so reading and
checking a spec needs no torch.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .registry import pair


class DeckConv(nn.Conv2d):
    """A convolution that can divide by the number of feature pixels, as the deck's filtering
    does (multiply, add, divide), so a feature that matches perfectly scores exactly 1."""

    def __init__(self, in_ch: int, layer):
        super().__init__(
            in_ch,
            layer.features,
            pair(layer.size),
            pair(layer.stride),
            pair(layer.padding),
            bias=layer.bias,
        )
        self.divisor = layer.divisor(in_ch)
        if layer.fixed is not None:
            w = torch.tensor(layer.fixed, dtype=torch.float32).unsqueeze(1)  # (F, 1, kh, kw)
            with torch.no_grad():
                self.weight.copy_(w)
            self.weight.requires_grad_(False)  # hand-made features stay as the deck drew them

    def forward(self, x):
        y = super().forward(x)
        if self.divisor != 1.0:
            if self.bias is not None:  # divide the sum only; the bias is added after
                b = self.bias.view(1, -1, 1, 1)
                return (y - b) / self.divisor + b
            return y / self.divisor
        return y


class Pool(nn.Module):
    def __init__(self, layer):
        super().__init__()
        self.window, self.stride = pair(layer.window), pair(layer.stride)
        # ceil_mode: a window hanging over the edge still counts (7x7 -> 4x4 in the deck),
        # unless the layer drops it (edge "drop": 11x11 -> 5x5, as Keras's "valid")
        self.ceil_mode = layer.edge != "drop"

    def forward(self, x, return_indices: bool = False):
        window, stride, ceil = self.window, self.stride, self.ceil_mode
        if return_indices:  # (two calls: torch's overloads tell the two results apart)
            return F.max_pool2d(x, window, stride, ceil_mode=ceil, return_indices=True)
        return F.max_pool2d(x, window, stride, ceil_mode=ceil)


class Flat(nn.Module):
    def forward(self, x):  # (N, C, H, W) -> (N, C*H*W), channel-major like the trace
        return x.flatten(1)
