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
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .budget import check_training
from .device import describe, resolve_device
from .errors import ConvvizError, DataError
from .last_good import LastGood
from .limits import CONFUSION_TABLE_MAX_CLASSES
from .network import ConvNet
from .threads import Cap, ThreadChooser, forced_threads
from .train_batches import PinnedBatches, augment_batch, evaluate, split_indices
from .train_config import TrainConfig
from .train_reports import BatchReport, EpochReport, TrainResult

__all__ = [
    "BatchReport",
    "EpochReport",
    "TrainConfig",
    "TrainResult",
    "augment_batch",
    "evaluate",
    "split_indices",
    "train",
    "with_new_votes",
]  # (the reports and defaults: read from here too)

GPU_LOSS_READ_EVERY = 16  # batches between two reads of the losses on a GPU (one wait each)
DEVICE_SHARE = 0.5  # images go onto the GPU only if they take at most this share of its free memory


def _fits_on(device: torch.device, nbytes: int) -> bool:
    if device.type != "cuda":
        return True  # the CPU; Apple's MPS shares the host's memory
    free, _ = torch.cuda.mem_get_info(device)
    return nbytes <= DEVICE_SHARE * free


def _loss_read_every(device: torch.device) -> int:
    """Batches between two reads of the loss: every batch on the CPU, where reading it costs
    nothing; on a GPU each read waits for the device to finish everything queued."""
    return 1 if device.type == "cpu" else GPU_LOSS_READ_EVERY


def train(
    model: ConvNet,
    x: np.ndarray,
    y: np.ndarray,
    config: TrainConfig,
    on_batch: Callable[[BatchReport], None] | None = None,
    on_epoch: Callable[[EpochReport], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    max_threads: int | None = None,
    cap: Cap | None = None,
) -> TrainResult:
    """Train `model` in place on images x (N, C, H, W) in the model's value range, labels y (N,).

    A loss that turns NaN or infinite stops training and puts back the last weights that gave a
    finite loss. A run that ends normally keeps the weights of its best validation epoch
    (config.keep_best). The model stays on the training device. On the CPU the thread count is
    config.threads (or CONVVIZ_TRAIN_THREADS) if set, else chosen while training between 1 and
    `max_threads` (default: torch's count now), and under `cap` (threads.Cap: the most it may
    use at each batch; default: threads.set_default_cap's).
    """
    before = torch.get_num_threads()
    try:
        cfg = config.check()
        _check_inputs(model, x, y, cfg)
        return _Run(model, x, y, cfg, on_batch, on_epoch, should_stop, max_threads, cap).run()
    finally:  # the caller's thread count as it was (the chooser changes it while it trains)
        if torch.get_num_threads() != before:
            torch.set_num_threads(before)
        for p in model.parameters():  # a votes-only run's freezing ends with it
            p.requires_grad_(True)


def frozen_parts(model: ConvNet) -> nn.ModuleList:
    """The layers a votes-only run keeps as they are: all but the last (the votes)."""
    return model.layers[:-1]


def _freeze(model: ConvNet) -> None:
    """Votes-only: no gradient for the kept layers, so the optimiser never sees them."""
    for p in frozen_parts(model).parameters():
        p.requires_grad_(False)


def _train_mode(model: ConvNet, votes_only: bool) -> None:
    """Training mode; in a votes-only run the kept layers' batch normalisation stays in eval
    mode, so that its running statistics (buffers, not parameters: no gradient involved) do not
    move either. Dropout before the votes stays on: it is the votes' own regularisation."""
    model.train()
    if votes_only:
        for m in frozen_parts(model).modules():
            if hasattr(m, "running_mean"):
                m.eval()


def with_new_votes(model: ConvNet, classes, seed: int | None = 0) -> ConvNet:
    """The same network voting for other `classes`: every layer's weights kept, the votes made
    anew (seeded as `build` makes them) for the new count. For a votes-only run on a folder whose
    classes differ from the network's."""
    from .network import build

    fresh = build(model.spec.with_classes(tuple(classes)).validate(), seed=seed)
    votes = f"layers.{len(fresh.layers) - 1}."
    kept = {k: v for k, v in model.state_dict().items() if not k.startswith(votes)}
    fresh.load_state_dict(kept, strict=False)
    for attr in ("calibration",):  # made for the old votes: not carried over
        if hasattr(fresh, attr):
            delattr(fresh, attr)
    return fresh.eval()


def _confusion(classes: int, truth: np.ndarray, said: np.ndarray) -> np.ndarray | None:
    """Counts of every (true, said) pair; None above CONFUSION_TABLE_MAX_CLASSES (n^2 counts:
    10,000 classes would be 800 MB)."""
    if classes > CONFUSION_TABLE_MAX_CLASSES:
        return None
    conf = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(conf, (truth, said), 1)
    return conf


def _check_inputs(model: ConvNet, x: np.ndarray, y: np.ndarray, cfg: TrainConfig) -> None:
    check_training(model.spec, cfg.batch_size)  # the batch's layer outputs, before any is made
    n_classes = len(model.spec.classes)
    if len(x) != len(y) or len(x) == 0:
        raise DataError(f"need as many labels as images, got {len(x)} images, {len(y)} labels")
    if y.min() < 0 or y.max() >= n_classes:
        raise DataError(f"labels must be 0..{n_classes - 1} for {n_classes} classes")


class _Run:
    """One call of train(): the state its epochs and batches share, and the one count of steps,
    images seen, pauses, speed and time left that every report reads."""

    def __init__(
        self,
        model: ConvNet,
        x: np.ndarray,
        y: np.ndarray,
        cfg: TrainConfig,
        on_batch: Callable[[BatchReport], None] | None,
        on_epoch: Callable[[EpochReport], None] | None,
        should_stop: Callable[[], bool] | None,
        max_threads: int | None,
        cap: Cap | None = None,
    ):
        self.model, self.cfg = model, cfg
        self.on_batch, self.on_epoch, self.should_stop = on_batch, on_epoch, should_stop
        self.device = device = resolve_device(cfg.device)
        self.chooser = None
        if device.type == "cpu":
            self.chooser = ThreadChooser(
                max_threads or torch.get_num_threads(), forced_threads(cfg.threads), cap=cap
            )
        model.to(device)
        if cfg.votes_only:
            _freeze(model)
        _train_mode(model, cfg.votes_only)
        torch.manual_seed(cfg.seed)
        self.gen = torch.Generator().manual_seed(cfg.seed)
        self.tr_idx, self.va_idx = split_indices(np.asarray(y), cfg.val_split, cfg.seed)
        self._place_images(x, y)
        self.params: list[torch.Tensor] = [p for p in model.parameters() if p.requires_grad]
        self.opt = torch.optim.Adam(self.params, lr=cfg.lr)
        # what a loss turning NaN puts back: the weights, and the batch norm running statistics
        # (buffers the forward pass itself updates, before the loss can be judged)
        self.last_good = LastGood(
            self.params + [b for b in model.buffers() if b.is_floating_point()]
        )
        self.background = model.spec.value_range[0]
        self.read_every = _loss_read_every(device)
        self.all_finite = torch.ones((), dtype=torch.bool, device=device)  # (losses read later)
        self.best_score: tuple[float, float] | None = None
        self.best_state: dict[str, torch.Tensor] | None = None
        self.result = TrainResult(device=describe(device), votes_only=cfg.votes_only)
        self.batches = math.ceil(len(self.tr_idx) / cfg.batch_size)
        self.steps = self.batches * cfg.epochs
        self.step = self.seen = 0  # batches and training images done (losses read)
        self.waited = 0.0  # seconds spent paused inside should_stop: not training time
        self.pending: list[tuple[int, int, torch.Tensor]] = []  # (batch, images, loss) unread
        self.epoch_loss = [0.0, 0]  # this epoch's summed loss, images
        self.t0 = time.perf_counter()

    def _place_images(self, x: np.ndarray, y: np.ndarray) -> None:
        """The images on the device, or (too many for it) on the host, staged batch by batch.
        Batches are gathered from all the images by index: a copy of the training split would
        double the memory the images take (0.3 GB more for 100,000 of 28x28)."""
        device, x_host = self.device, torch.as_tensor(x, dtype=torch.float32)
        try:
            self.yt = torch.as_tensor(y, dtype=torch.int64).to(device)
            self.staged = (
                None
                if _fits_on(device, x_host.nbytes)
                else PinnedBatches(x_host, self.cfg.batch_size, device)
            )
            self.xt = x_host if self.staged else x_host.to(device)
        except torch.OutOfMemoryError:
            raise ConvvizError(
                f"the {device.type} device ran out of memory holding the images"
            ) from None
        self.tr = torch.as_tensor(self.tr_idx, dtype=torch.int64)  # (n_train,), on the host
        self.x_va, self.y_va = self.xt[self.va_idx], self.yt[self.va_idx]  # evaluated whole
        self.truth = np.asarray(y, dtype=np.int64)[self.va_idx]  # (on the host: no device read)

    def run(self) -> TrainResult:
        try:
            for epoch in range(1, self.cfg.epochs + 1):
                if not self._epoch(epoch):
                    break
        except torch.OutOfMemoryError:
            raise ConvvizError(
                f"the {self.device.type} device ran out of memory; try a smaller "
                f"batch size than {self.cfg.batch_size}"
            ) from None
        return self._finish()

    def _epoch(self, epoch: int) -> bool:
        """One pass over the training split, then validation; False once the run must end."""
        order = self.tr[torch.randperm(len(self.tr_idx), generator=self.gen)]  # indices, host
        order_dev = order.to(self.device)
        self.epoch_loss[:] = [0.0, 0]
        bad = None
        for b in range(self.batches):
            if self._stop_asked():
                self.result.status, self.result.message = "stopped", f"stopped in epoch {epoch}"
                break
            bad = self._batch(epoch, b, order, order_dev)
            if bad:
                break
        bad = self._read_losses(epoch) or bad  # what came before the bad one is reported first
        if bad:
            self.last_good.restore()
            self.result.status = "diverged"
            self.result.message = (
                f"the loss became {bad[1]} in epoch {epoch}, batch {bad[0]}; "
                f"kept the last good weights (try a smaller learning rate)"
            )
        if self.result.status != "done":
            return False
        self._validate(epoch)
        return True

    def _stop_asked(self) -> bool:
        if self.should_stop is None:
            return False
        t_ask = time.perf_counter()
        stop = self.should_stop()
        self.waited += time.perf_counter() - t_ask  # a paused caller waits in there
        return stop

    def _batch(
        self, epoch: int, b: int, order: torch.Tensor, order_dev: torch.Tensor
    ) -> tuple[int, float] | None:
        """One step; (batch, loss) if a loss read now is not finite (the step is not taken)."""
        if self.chooser:
            self.chooser.batch_started()
        part = slice(b * self.cfg.batch_size, (b + 1) * self.cfg.batch_size)
        sel = order_dev[part]
        xb = self.staged(order[part]) if self.staged else self.xt[sel]
        if self.cfg.augment:
            xb = augment_batch(xb, self.background, self.gen)
        loss = F.cross_entropy(self.model(xb), self.yt[sel])
        if self.read_every == 1:  # read now, and step only on weights that gave a finite loss
            value = loss.item()
            if not math.isfinite(value):
                return b + 1, value
            self.last_good.take()
        else:  # the same, on the device: last_good follows while every loss is finite
            self.all_finite &= torch.isfinite(loss.detach())
            self.last_good.follow(self.all_finite)
        self.pending.append((b + 1, len(sel), loss.detach()))
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        if self.chooser:
            self.chooser.batch_done(len(sel))
        if len(self.pending) >= self.read_every:
            return self._read_losses(epoch)
        return None

    def _read_losses(self, epoch: int) -> tuple[int, float] | None:
        """Reads the pending losses in one copy and reports each batch; returns (batch,
        value) of the first non-finite one, after which nothing more is reported."""
        pending, self.pending = self.pending, []
        values = torch.stack([loss for _, _, loss in pending]).tolist() if pending else []
        for (b, n, _), value in zip(pending, values, strict=True):
            if not math.isfinite(value):
                return b, value
            self.seen += n
            self.step += 1
            self.epoch_loss[0] += value * n
            self.epoch_loss[1] += n
            if self.on_batch is not None:
                self.on_batch(self._report(epoch, b, value))
        return None

    def _report(self, epoch: int, b: int, loss: float) -> BatchReport:
        el = time.perf_counter() - self.t0 - self.waited
        return BatchReport(
            epoch,
            b,
            self.batches,
            loss,
            self.seen / el if el > 0 else 0.0,
            el / self.step * (self.steps - self.step),
            self.chooser.threads if self.chooser else 0,
            epochs=self.cfg.epochs,
            step=self.step,
            steps=self.steps,
            seen=self.seen,
            paused_seconds=self.waited,
            train_images=len(self.tr_idx),
            val_images=len(self.va_idx),
        )

    def _validate(self, epoch: int) -> None:
        val_loss = val_acc = conf = None
        if len(self.va_idx):
            val_loss, pred = evaluate(self.model, self.x_va, self.y_va)
            _train_mode(self.model, self.cfg.votes_only)  # evaluate put every part back in train
            val_acc = float((pred == self.truth).mean())
            conf = _confusion(len(self.model.spec.classes), self.truth, pred)
            score = (val_acc, -val_loss)
            if self.cfg.keep_best and (self.best_score is None or score > self.best_score):
                self.best_score, self.result.best_epoch = score, epoch
                self.best_state = {
                    k: v.detach().clone() for k, v in self.model.state_dict().items()
                }
        rep = EpochReport(
            epoch, self.epoch_loss[0] / max(self.epoch_loss[1], 1), val_loss, val_acc, conf
        )
        self.result.epochs.append(rep)
        if self.on_epoch is not None:
            self.on_epoch(rep)

    def _finish(self) -> TrainResult:
        result, model = self.result, self.model
        result.seconds = time.perf_counter() - self.t0 - self.waited
        result.images_per_second = self.seen / result.seconds if result.seconds > 0 else 0.0
        result.threads = self.chooser.threads if self.chooser else 0
        if result.epochs:
            result.last_val_accuracy = result.epochs[-1].val_accuracy
        if result.status == "done" and self.best_state is not None:
            model.load_state_dict(self.best_state)  # the best validation epoch's weights
        else:
            result.best_epoch = None  # stopped or diverged: the weights it ended with are kept
        # from here on the network as shown: calibrated without dropout, and on (never moving)
        # batch normalisation's running statistics rather than the held-out images' own
        model.eval()
        if len(self.va_idx):
            _, pred = evaluate(model, self.x_va, self.y_va)
            truth = self.truth
            result.val_accuracy = float((pred == truth).mean())
            result.confusion = _confusion(len(model.spec.classes), truth, pred)
            result.val_indices, result.val_predicted = self.va_idx, pred
            from .unsure import calibrate_model  # when a drawing is unlike these: kept with weights

            result.calibration = calibrate_model(model, self.x_va)
            setattr(model, "calibration", result.calibration)  # noqa: B010 - saved with weights
        model.eval()
        return result
