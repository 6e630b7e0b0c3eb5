"""Backprop on arrays: the loop the command line, the app's worker and the bundled weights share.

It knows nothing of Qt. A caller watches through plain callbacks: `on_batch` after every batch,
`on_epoch` after every validation, `should_stop` before every batch (return True to stop; a
caller that wants to pause simply waits inside it).
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from .budget import check_training
from .device import describe, resolve_device
from .errors import ConvvizError, DataError
from .network import ConvNet


@dataclass
class TrainConfig:
    epochs: int = 8
    batch_size: int = 64
    lr: float = 3e-3  # Adam: forgiving for people who do not tune learning rates
    val_split: float = 0.2
    seed: int = 0
    device: str = "auto"
    augment: bool = False  # the deck's trickier cases: shift, rotate, scale a little

    def check(self) -> "TrainConfig":
        if self.epochs < 1:
            raise ConvvizError(f"epochs must be at least 1, got {self.epochs}")
        if self.batch_size < 1:
            raise ConvvizError(f"batch size must be at least 1, got {self.batch_size}")
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise ConvvizError(f"learning rate must be a positive number, got {self.lr}")
        if not 0 <= self.val_split < 1:
            raise ConvvizError(f"validation split must be in 0..1 (exclusive), got {self.val_split}")
        return self


@dataclass
class BatchReport:
    epoch: int  # 1-based
    batch: int  # 1-based within the epoch
    batches: int  # per epoch
    loss: float
    images_per_second: float
    seconds_left: float


@dataclass
class EpochReport:
    epoch: int
    train_loss: float
    val_loss: float | None
    val_accuracy: float | None


@dataclass
class TrainResult:
    epochs: list[EpochReport] = field(default_factory=list)
    status: str = "done"  # done | stopped | diverged
    message: str = ""
    val_accuracy: float | None = None
    confusion: np.ndarray | None = None  # (classes, classes): row = true, column = said
    val_indices: np.ndarray | None = None  # into the X given to train()
    val_predicted: np.ndarray | None = None
    images_per_second: float = 0.0
    seconds: float = 0.0
    device: str = ""
    calibration: object = None  # unsure.Calibration from the held-out part (None without one)

    def summary(self) -> dict:
        """Plain data, for weights metadata."""
        return {"status": self.status, "val_accuracy": self.val_accuracy,
                "epochs": len(self.epochs), "device": self.device,
                "images_per_second": round(self.images_per_second, 1),
                "history": [asdict(e) for e in self.epochs]}


def split_indices(y: np.ndarray, val_split: float, seed: int):
    """A stratified split: each class gives the same share to validation (at least one image
    when it has two or more)."""
    rng = np.random.default_rng(seed)
    train, val = [], []
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        k = int(round(len(idx) * val_split))
        if val_split > 0 and len(idx) >= 2:
            k = min(max(k, 1), len(idx) - 1)
        else:
            k = 0
        val.append(idx[:k])
        train.append(idx[k:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(val))


def augment_batch(x: torch.Tensor, background: float, gen: torch.Generator) -> torch.Tensor:
    """Random shift (up to 2/28 of the width), rotation (+-12 deg) and scale (0.85..1.15) per
    image, in one grid_sample. x: (N, C, H, W) -> same."""
    n = x.shape[0]
    r = torch.rand((n, 4), generator=gen, device="cpu").to(x.device)
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
    """(mean loss, predicted classes as a numpy array)."""
    was = model.training
    model.eval()
    total, preds = 0.0, []
    for i in range(0, len(x), batch_size):
        out = model(x[i:i + batch_size])
        total += F.cross_entropy(out, y[i:i + batch_size], reduction="sum").item()
        preds.append(out.argmax(1))
    model.train(was)
    return total / max(len(x), 1), torch.cat(preds).cpu().numpy()


def train(model: ConvNet, x: np.ndarray, y: np.ndarray, config: TrainConfig,
          on_batch: Callable[[BatchReport], None] | None = None,
          on_epoch: Callable[[EpochReport], None] | None = None,
          should_stop: Callable[[], bool] | None = None) -> TrainResult:
    """Train `model` in place on images x (N, C, H, W) in the model's value range, labels y (N,).

    A loss that turns NaN or infinite stops training and puts back the last weights that gave a
    finite loss. The model stays on the training device.
    """
    cfg = config.check()
    check_training(model.spec, cfg.batch_size)  # the batch's layer outputs, before any is made
    n_classes = len(model.spec.classes)
    if len(x) != len(y) or len(x) == 0:
        raise DataError(f"need as many labels as images, got {len(x)} images, {len(y)} labels")
    if y.min() < 0 or y.max() >= n_classes:
        raise DataError(f"labels must be 0..{n_classes - 1} for {n_classes} classes")
    device = resolve_device(cfg.device)
    model.to(device).train()
    torch.manual_seed(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)
    tr_idx, va_idx = split_indices(np.asarray(y), cfg.val_split, cfg.seed)
    try:
        xt = torch.as_tensor(x, dtype=torch.float32).to(device)
        yt = torch.as_tensor(y, dtype=torch.int64).to(device)
    except torch.OutOfMemoryError:
        raise ConvvizError(f"the {device.type} device ran out of memory holding the images") from None
    # batches are gathered from all the images by index: a copy of the training split would
    # double the memory the images take (0.3 GB more for 100,000 of 28x28)
    tr = torch.as_tensor(tr_idx, dtype=torch.int64).to(device)  # (n_train,)
    x_va, y_va = xt[va_idx], yt[va_idx]  # the smaller split, evaluated whole each epoch
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=cfg.lr)
    last_good = [p.detach().clone() for p in params]
    background = model.spec.value_range[0]

    result = TrainResult(device=describe(device))
    batches = math.ceil(len(tr_idx) / cfg.batch_size)
    total_batches = batches * cfg.epochs
    t0 = time.perf_counter()
    seen = done_batches = 0
    waited = 0.0  # seconds spent paused inside should_stop: not training time
    try:
        for epoch in range(1, cfg.epochs + 1):
            order = tr[torch.randperm(len(tr_idx), generator=gen).to(device)]  # image indices
            running, count = 0.0, 0
            for b in range(batches):
                if should_stop is not None:
                    t_ask = time.perf_counter()
                    stop = should_stop()
                    waited += time.perf_counter() - t_ask  # a paused caller waits in there
                    if stop:
                        result.status, result.message = "stopped", f"stopped in epoch {epoch}"
                        break
                sel = order[b * cfg.batch_size:(b + 1) * cfg.batch_size]
                xb, yb = xt[sel], yt[sel]
                if cfg.augment:
                    xb = augment_batch(xb, background, gen)
                loss = F.cross_entropy(model(xb), yb)
                value = loss.item()
                if not math.isfinite(value):
                    with torch.no_grad():
                        torch._foreach_copy_(params, last_good)
                    result.status = "diverged"
                    result.message = (f"the loss became {value} in epoch {epoch}, batch {b + 1}; "
                                      f"kept the last good weights (try a smaller learning rate)")
                    break
                with torch.no_grad():  # these weights gave a finite loss: keep them
                    torch._foreach_copy_(last_good, params)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                seen += len(sel)
                done_batches += 1
                running += value * len(sel)
                count += len(sel)
                if on_batch is not None:
                    el = time.perf_counter() - t0 - waited
                    rate = seen / el if el > 0 else 0.0
                    left = el / done_batches * (total_batches - done_batches)
                    on_batch(BatchReport(epoch, b + 1, batches, value, rate, left))
            if result.status != "done":
                break
            val_loss = val_acc = None
            if len(va_idx):
                val_loss, pred = evaluate(model, x_va, y_va)
                val_acc = float((pred == y_va.cpu().numpy()).mean())
            rep = EpochReport(epoch, running / max(count, 1), val_loss, val_acc)
            result.epochs.append(rep)
            if on_epoch is not None:
                on_epoch(rep)
    except torch.OutOfMemoryError:
        raise ConvvizError(f"the {device.type} device ran out of memory; try a smaller batch size "
                           f"than {cfg.batch_size}") from None
    result.seconds = time.perf_counter() - t0 - waited
    result.images_per_second = seen / result.seconds if result.seconds > 0 else 0.0
    if len(va_idx):
        _, pred = evaluate(model, x_va, y_va)
        truth = y_va.cpu().numpy()
        result.val_accuracy = float((pred == truth).mean())
        conf = np.zeros((n_classes, n_classes), dtype=np.int64)
        np.add.at(conf, (truth, pred), 1)
        result.confusion, result.val_indices, result.val_predicted = conf, va_idx, pred
        from .unsure import calibrate_model  # when a drawing is unlike these: stored with weights

        result.calibration = model.calibration = calibrate_model(model, x_va)
    model.eval()
    return result
