"""Backprop on arrays: the loop the command line, the app's worker and the bundled weights share.

It knows nothing of Qt. A caller watches through plain callbacks: `on_batch` after every batch,
`on_epoch` after every validation, `should_stop` before every batch (return True to stop; a
caller that wants to pause simply waits inside it). `TrainConfig` holds the one set of training
defaults that the command line and the app's Train dialog both read.

On the CPU the thread count follows the machine (threads.ThreadChooser). On a GPU the loop never
waits for the device on a batch of its own: the losses are read every `GPU_LOSS_READ_EVERY`
batches in one copy (on_batch then runs for each of them, in order), and images that do not fit
in the device's free memory stay on the host, each batch gathered into pinned memory and copied
without waiting.
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
from .limits import CONFUSION_TABLE_MAX_CLASSES
from .network import ConvNet
from .threads import ThreadChooser, forced_threads
from .train_config import TrainConfig  # noqa: F401 - the defaults live there, torch-free

GPU_LOSS_READ_EVERY = 16  # batches between two reads of the losses on a GPU (one wait each)
DEVICE_SHARE = 0.5  # images go onto the GPU only if they take at most this share of its free memory


@dataclass
class BatchReport:
    epoch: int  # 1-based
    batch: int  # 1-based within the epoch
    batches: int  # per epoch
    loss: float
    images_per_second: float
    seconds_left: float
    threads: int = 0  # CPU torch threads in use (0 on a GPU)


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
    val_accuracy: float | None = None  # of the weights kept (the best epoch's, see keep_best)
    best_epoch: int | None = None  # the epoch whose weights were kept (None: the last weights)
    last_val_accuracy: float | None = None  # the last epoch's, for comparison
    confusion: np.ndarray | None = None  # (classes, classes): row = true, column = said; None
    # above CONFUSION_TABLE_MAX_CLASSES (count from val_indices and val_predicted then)
    val_indices: np.ndarray | None = None  # into the X given to train()
    val_predicted: np.ndarray | None = None
    images_per_second: float = 0.0
    seconds: float = 0.0
    device: str = ""
    threads: int = 0  # CPU torch threads at the end (0 on a GPU)
    calibration: object = None  # unsure.Calibration from the held-out part (None without one)

    def summary(self) -> dict:
        """Plain data, for weights metadata."""
        return {"status": self.status, "val_accuracy": self.val_accuracy,
                "best_epoch": self.best_epoch, "last_val_accuracy": self.last_val_accuracy,
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
    is on a GPU (images too many for it): each piece is copied over. One wait for the device."""
    was = model.training
    model.eval()
    dev = next(model.parameters()).device
    total, preds = torch.zeros((), device=dev), []
    for i in range(0, len(x), batch_size):
        xb = x[i:i + batch_size].to(dev, non_blocking=True)
        out = model(xb)
        total += F.cross_entropy(out, y[i:i + batch_size].to(dev), reduction="sum")
        preds.append(out.argmax(1))
    model.train(was)
    return total.item() / max(len(x), 1), torch.cat(preds).cpu().numpy()


class _PinnedBatches:
    """Images kept on the host (too many for the GPU): each batch is gathered into one of two
    pinned buffers and copied to the device without waiting; a buffer is reused only once its
    last copy has finished (two batches ago: in practice no wait)."""

    def __init__(self, x_host: torch.Tensor, batch_size: int, device: torch.device):
        self.x, self.device = x_host, device
        shape = (batch_size,) + tuple(x_host.shape[1:])
        self.buffers = [torch.empty(shape, pin_memory=True) for _ in range(2)]
        self.copied = [None, None]
        self.k = 0

    def __call__(self, sel_host: torch.Tensor) -> torch.Tensor:
        k, self.k = self.k, 1 - self.k
        if self.copied[k] is not None:
            self.copied[k].synchronize()
        buf = self.buffers[k][:len(sel_host)]
        torch.index_select(self.x, 0, sel_host, out=buf)
        out = buf.to(self.device, non_blocking=True)
        self.copied[k] = torch.cuda.Event()
        self.copied[k].record()
        return out


def _fits_on(device: torch.device, nbytes: int) -> bool:
    if device.type != "cuda":
        return True  # the CPU; Apple's MPS shares the host's memory
    free, _ = torch.cuda.mem_get_info(device)
    return nbytes <= DEVICE_SHARE * free


def _loss_read_every(device: torch.device) -> int:
    """Batches between two reads of the loss: every batch on the CPU, where reading it costs
    nothing; on a GPU each read waits for the device to finish everything queued."""
    return 1 if device.type == "cpu" else GPU_LOSS_READ_EVERY


def train(model: ConvNet, x: np.ndarray, y: np.ndarray, config: TrainConfig,
          on_batch: Callable[[BatchReport], None] | None = None,
          on_epoch: Callable[[EpochReport], None] | None = None,
          should_stop: Callable[[], bool] | None = None,
          max_threads: int | None = None) -> TrainResult:
    """Train `model` in place on images x (N, C, H, W) in the model's value range, labels y (N,).

    A loss that turns NaN or infinite stops training and puts back the last weights that gave a
    finite loss. A run that ends normally keeps the weights of its best validation epoch
    (config.keep_best). The model stays on the training device. On the CPU the thread count is
    config.threads (or CONVVIZ_TRAIN_THREADS) if set, else chosen while training between 1 and
    `max_threads` (default: torch's count now).
    """
    before = torch.get_num_threads()
    try:
        return _train(model, x, y, config, on_batch, on_epoch, should_stop, max_threads)
    finally:  # the caller's thread count as it was (the chooser changes it while it trains)
        if torch.get_num_threads() != before:
            torch.set_num_threads(before)


def _train(model, x, y, config, on_batch, on_epoch, should_stop, max_threads) -> TrainResult:
    cfg = config.check()
    check_training(model.spec, cfg.batch_size)  # the batch's layer outputs, before any is made
    n_classes = len(model.spec.classes)
    if len(x) != len(y) or len(x) == 0:
        raise DataError(f"need as many labels as images, got {len(x)} images, {len(y)} labels")
    if y.min() < 0 or y.max() >= n_classes:
        raise DataError(f"labels must be 0..{n_classes - 1} for {n_classes} classes")
    device = resolve_device(cfg.device)
    chooser = None
    if device.type == "cpu":
        chooser = ThreadChooser(max_threads or torch.get_num_threads(), forced_threads(cfg.threads))
    model.to(device).train()
    torch.manual_seed(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)
    tr_idx, va_idx = split_indices(np.asarray(y), cfg.val_split, cfg.seed)
    x_host = torch.as_tensor(x, dtype=torch.float32)
    try:
        yt = torch.as_tensor(y, dtype=torch.int64).to(device)
        staged = None if _fits_on(device, x_host.nbytes) else _PinnedBatches(
            x_host, cfg.batch_size, device)
        xt = x_host if staged else x_host.to(device)
    except torch.OutOfMemoryError:
        raise ConvvizError(f"the {device.type} device ran out of memory holding the images") from None
    # batches are gathered from all the images by index: a copy of the training split would
    # double the memory the images take (0.3 GB more for 100,000 of 28x28)
    tr = torch.as_tensor(tr_idx, dtype=torch.int64)  # (n_train,), on the host
    x_va, y_va = xt[va_idx], yt[va_idx]  # the smaller split, evaluated whole each epoch
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=cfg.lr)
    last_good = [p.detach().clone() for p in params]
    background = model.spec.value_range[0]
    read_every = _loss_read_every(device)
    all_finite = torch.ones((), dtype=torch.bool, device=device)  # (losses read later)
    best_score, best_state = None, None

    result = TrainResult(device=describe(device))
    batches = math.ceil(len(tr_idx) / cfg.batch_size)
    total_batches = batches * cfg.epochs
    t0 = time.perf_counter()
    seen = done_batches = 0
    waited = 0.0  # seconds spent paused inside should_stop: not training time
    pending: list[tuple[int, int, torch.Tensor]] = []  # (batch, images, loss) not read yet
    running = [0.0, 0]  # this epoch's summed loss, images

    def read_losses(epoch: int) -> tuple[int, float] | None:
        """Reads the pending losses in one copy and reports each batch; returns (batch,
        value) of the first non-finite one, after which nothing more is reported."""
        nonlocal seen, done_batches
        values = torch.stack([loss for _, _, loss in pending]).tolist() if pending else []
        items, pending[:] = list(pending), []
        for (b, n, _), value in zip(items, values):
            if not math.isfinite(value):
                return b, value
            seen += n
            done_batches += 1
            running[0] += value * n
            running[1] += n
            if on_batch is not None:
                el = time.perf_counter() - t0 - waited
                rate = seen / el if el > 0 else 0.0
                left = el / done_batches * (total_batches - done_batches)
                on_batch(BatchReport(epoch, b, batches, value, rate, left,
                                     chooser.threads if chooser else 0))
        return None

    try:
        for epoch in range(1, cfg.epochs + 1):
            order = tr[torch.randperm(len(tr_idx), generator=gen)]  # image indices, host
            order_dev = order.to(device)
            running[:] = [0.0, 0]
            bad = None
            for b in range(batches):
                if should_stop is not None:
                    t_ask = time.perf_counter()
                    stop = should_stop()
                    waited += time.perf_counter() - t_ask  # a paused caller waits in there
                    if stop:
                        result.status, result.message = "stopped", f"stopped in epoch {epoch}"
                        break
                if chooser:
                    chooser.batch_started()
                part = slice(b * cfg.batch_size, (b + 1) * cfg.batch_size)
                sel = order_dev[part]
                xb = staged(order[part]) if staged else xt[sel]
                yb = yt[sel]
                if cfg.augment:
                    xb = augment_batch(xb, background, gen)
                loss = F.cross_entropy(model(xb), yb)
                if read_every == 1:  # read now, and step only on weights that gave a finite loss
                    value = loss.item()
                    if not math.isfinite(value):
                        bad = (b + 1, value)
                        break
                    with torch.no_grad():
                        torch._foreach_copy_(last_good, params)
                else:  # the same, on the device: last_good follows while every loss is finite
                    with torch.no_grad():
                        all_finite &= torch.isfinite(loss.detach())
                        for keep, p in zip(last_good, params):
                            keep.copy_(torch.where(all_finite, p, keep))
                pending.append((b + 1, len(sel), loss.detach()))
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                if chooser:
                    chooser.batch_done(len(sel))
                if len(pending) >= read_every:
                    bad = read_losses(epoch)
                    if bad:
                        break
            bad = read_losses(epoch) or bad  # what came before the bad one is reported first
            if bad:
                with torch.no_grad():
                    torch._foreach_copy_(params, last_good)
                result.status = "diverged"
                result.message = (f"the loss became {bad[1]} in epoch {epoch}, batch {bad[0]}; "
                                  f"kept the last good weights (try a smaller learning rate)")
            if result.status != "done":
                break
            val_loss = val_acc = None
            if len(va_idx):
                val_loss, pred = evaluate(model, x_va, y_va)
                val_acc = float((pred == y_va.cpu().numpy()).mean())
                score = (val_acc, -val_loss)
                if cfg.keep_best and (best_score is None or score > best_score):
                    best_score, result.best_epoch = score, epoch
                    best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            rep = EpochReport(epoch, running[0] / max(running[1], 1), val_loss, val_acc)
            result.epochs.append(rep)
            if on_epoch is not None:
                on_epoch(rep)
    except torch.OutOfMemoryError:
        raise ConvvizError(f"the {device.type} device ran out of memory; try a smaller batch size "
                           f"than {cfg.batch_size}") from None
    result.seconds = time.perf_counter() - t0 - waited
    result.images_per_second = seen / result.seconds if result.seconds > 0 else 0.0
    result.threads = chooser.threads if chooser else 0
    if result.epochs:
        result.last_val_accuracy = result.epochs[-1].val_accuracy
    if result.status == "done" and best_state is not None:
        model.load_state_dict(best_state)  # the best validation epoch's weights
    else:
        result.best_epoch = None  # stopped or diverged: the weights it ended with are kept
    if len(va_idx):
        _, pred = evaluate(model, x_va, y_va)
        truth = y_va.cpu().numpy()
        result.val_accuracy = float((pred == truth).mean())
        if n_classes <= CONFUSION_TABLE_MAX_CLASSES:  # n^2 counts: 10,000 classes would be 800 MB
            conf = np.zeros((n_classes, n_classes), dtype=np.int64)
            np.add.at(conf, (truth, pred), 1)
            result.confusion = conf
        result.val_indices, result.val_predicted = va_idx, pred
        from .unsure import calibrate_model  # when a drawing is unlike these: stored with weights

        result.calibration = calibrate_model(model, x_va)
        setattr(model, "calibration", result.calibration)  # noqa: B010 - saved with the weights
    model.eval()
    return result
