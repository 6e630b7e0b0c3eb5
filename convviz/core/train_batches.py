"""The pieces of a training run that do not steer it: the validation split, augmentation,
evaluation, and batches gathered on the host for a GPU."""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from .network import ConvNet


def split_indices(y: np.ndarray, val_split: float, seed: int):
    """A stratified split: each class gives the same share to validation (at least one image
    when it has two or more)."""
    rng = np.random.default_rng(seed)
    train, val = [], []
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        k = round(len(idx) * val_split)
        k = min(max(k, 1), len(idx) - 1) if val_split > 0 and len(idx) >= 2 else 0
        val.append(idx[:k])
        train.append(idx[k:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(val))


def augment_batch(x: torch.Tensor, background: float, gen: torch.Generator) -> torch.Tensor:
    """Random shift (up to 2/28 of the width), rotation (+-12 deg) and scale (0.85..1.15) per
    image, in one grid_sample. x: (N, C, H, W) -> same."""
    n = x.shape[0]
    r = torch.rand((n, 4), generator=gen, device="cpu")
    if x.device.type == "cuda":  # a copy from pinned memory does not wait for the GPU
        r = r.pin_memory().to(x.device, non_blocking=True)
    else:
        r = r.to(x.device)
    angle = (r[:, 0] - 0.5) * math.radians(24)
    scale = 0.85 + 0.3 * r[:, 1]
    tx, ty = (r[:, 2] - 0.5) * 0.3, (r[:, 3] - 0.5) * 0.3
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos, -sin, tx], 1), torch.stack([sin, cos, ty], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    # grid_sample fills outside with 0: shift so that the background is 0 while sampling
    return F.grid_sample(x - background, grid, align_corners=False) + background


@torch.inference_mode()
def evaluate(model: ConvNet, x: torch.Tensor, y: torch.Tensor, batch_size: int = 512):
    """(mean loss, predicted classes as a numpy array). x may sit on the host while the model
    is on a GPU (images too many for it): each piece is copied over. One read of the device:
    the loss and the predictions come back in one copy (as float32: exact for class numbers
    below 2**24, far above limits.MAX_CLASSES)."""
    was = model.training
    model.eval()
    dev = next(model.parameters()).device
    total, preds = torch.zeros((), device=dev), []
    for i in range(0, len(x), batch_size):
        xb = x[i : i + batch_size].to(dev, non_blocking=True)
        out = model(xb)
        total += F.cross_entropy(out, y[i : i + batch_size].to(dev), reduction="sum")
        preds.append(out.argmax(1))
    model.train(was)
    said = torch.cat(preds) if preds else torch.zeros(0, dtype=torch.int64, device=dev)
    both = torch.cat([total.reshape(1).float(), said.float()]).cpu().numpy()
    return float(both[0]) / max(len(x), 1), both[1:].astype(np.int64)


class PinnedBatches:
    """Images kept on the host (too many for the GPU): each batch is gathered into one of two
    pinned buffers and copied to the device without waiting; a buffer is reused only once its
    last copy has finished (two batches ago: in practice no wait)."""

    def __init__(self, x_host: torch.Tensor, batch_size: int, device: torch.device):
        self.x, self.device = x_host, device
        shape = (batch_size, *x_host.shape[1:])
        self.buffers = [torch.empty(shape, pin_memory=True) for _ in range(2)]
        self.copied: list[torch.cuda.Event | None] = [None, None]
        self.k = 0

    def __call__(self, sel_host: torch.Tensor) -> torch.Tensor:
        k, self.k = self.k, 1 - self.k
        last = self.copied[k]
        if last is not None:
            last.synchronize()
        buf = self.buffers[k][: len(sel_host)]
        torch.index_select(self.x, 0, sel_host, out=buf)
        out = buf.to(self.device, non_blocking=True)
        copied = self.copied[k] = torch.cuda.Event()
        copied.record()
        return out
