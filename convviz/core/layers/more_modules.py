"""The torch modules of average pooling and batch normalisation (the other new kinds use torch's
own). Imported only when a network is built, as modules.py is: reading a spec needs no torch."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .registry import pair

# torch's defaults for BatchNorm2d: how far each training batch moves the running statistics,
# and what is added to the variance before its square root
BATCHNORM_MOMENTUM = 0.1
BATCHNORM_EPS = 1e-5


class AvgPool(nn.Module):
    def __init__(self, layer):
        super().__init__()
        self.window, self.stride = pair(layer.window), pair(layer.stride)
        self.ceil_mode = layer.edge != "drop"  # max pooling's rule (see modules.Pool)

    def forward(self, x):
        # an overhanging window (edge "keep") is averaged over the cells it covers (avgpool.py)
        return F.avg_pool2d(
            x, self.window, self.stride, ceil_mode=self.ceil_mode, count_include_pad=False
        )


class BatchNorm(nn.Module):
    """Batch normalisation over channels, for maps (N, C, H, W) or flat values (N, C).

    torch's BatchNorm1d/2d minus its `num_batches_tracked` counter: that int64 buffer only
    matters when momentum is None (a cumulative average), which convviz never uses, and every
    weights format convviz reads and writes holds floats only (a counter saved as a float would
    be exact only up to 2^24 batches). The keys are torch's own (weight, bias, running_mean,
    running_var), so a torch BatchNorm's state dict, less that counter, fits."""

    running_mean: torch.Tensor  # buffers (registered below), typed for the reader
    running_var: torch.Tensor

    def __init__(self, channels: int):
        super().__init__()
        self.eps, self.momentum = BATCHNORM_EPS, BATCHNORM_MOMENTUM
        self.weight = nn.Parameter(torch.ones(channels))  # learned scale, γ
        self.bias = nn.Parameter(torch.zeros(channels))  # learned shift, β
        self.register_buffer("running_mean", torch.zeros(channels))
        self.register_buffer("running_var", torch.ones(channels))

    def forward(self, x):
        # a training batch with one value per channel (one image of flat values or of 1x1
        # maps) has no spread to normalise by: it is normalised as when showing
        training = self.training and x.numel() > x.shape[1]
        return F.batch_norm(
            x,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            training,
            self.momentum,
            self.eps,
        )

    def shown(self, x):
        """As the trace shows it: always with the running statistics (eval mode), whatever
        mode the network is in, so showing an image never moves them."""
        return F.batch_norm(
            x, self.running_mean, self.running_var, self.weight, self.bias, False, 0.0, self.eps
        )
