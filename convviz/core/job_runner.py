"""One training run with live reports: `training.train`'s callbacks turned into messages
(core/trainer_messages.py), in a trainer process or in any thread.

Snapshots and progress go out together, every `interval` seconds (trainer_cores.live_interval),
so the window repaints once for both; progress also at each epoch's end, with a snapshot if 0.9
of the interval has passed. The counts in a progress report (step, speed, time left, pauses
excluded) are the training loop's own (BatchReport): nothing is counted twice.

Pause, resume and stop are two events (`running` cleared while paused, `stop`), checked before
every batch: threading.Event in a thread, shared_flag.SharedFlag across processes.

The training timeline (core/timeline.py): with `moments` (the default) the weights of the
start, of every epoch's end (just before its Epoch report) and of a few batches of the first
epoch (timeline.first_epoch_marks) go out as Kept messages, apart from the live snapshots; the
window keeps them. Each costs one CPU copy of the weights (tests/bench/bench_timeline.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from .errors import ConvvizError
from .timeline import FirstEpochMoments
from .train_reports import BatchReport, EpochReport
from .trainer_cores import FAST_INTERVAL
from .trainer_messages import (
    Epoch,
    Failed,
    Finished,
    Kept,
    Message,
    Paused,
    Progress,
    Snapshot,
    Started,
    TrainProgress,
    Weights,
)

Send = Callable[[Message], None]


class Flag(Protocol):
    """threading.Event or shared_flag.SharedFlag: the part a run reads and sets."""

    def is_set(self) -> bool: ...
    def set(self) -> None: ...
    def wait(self, timeout: float | None = ...) -> bool: ...


class JobRunner:
    """Runs `train()` on `model` (in place) and reports through `send`, one Message at a time.
    Raises only what `send` raises (a closed pipe: nobody is listening any more)."""

    def __init__(
        self,
        model: Any,
        X: np.ndarray,
        y: np.ndarray,
        config: Any,
        send: Send,
        stop: Flag,
        running: Flag,
        caller_alive: Callable[[], bool] = lambda: True,
        interval: float = FAST_INTERVAL,
        moments: bool = True,
    ):
        self.model, self.X, self.y, self.config = model, X, y, config
        self.send = send
        self.stop, self.running = stop, running
        self.interval = interval  # seconds between live updates (snapshot + progress)
        self.caller_alive = caller_alive  # a paused run ends if whoever waits for it is gone
        self.last_snapshot: Weights | None = None
        self._pending: list[tuple[int, float]] = []  # (step, loss) not yet sent
        self._last: BatchReport | None = None
        self._last_progress = self._last_snap = 0.0
        self.moments = moments  # send the timeline's moments (see above)
        self._wanted = FirstEpochMoments()  # batches of the first epoch kept as moments

    def run(self) -> None:
        from .device import describe, resolve_device
        from .training import train

        self._take_snapshot()  # the starting weights: panels show them at once
        try:
            self.send(Started(describe(resolve_device(self.config.device))))
            if self.moments and self.last_snapshot is not None:
                self.send(Kept(self.last_snapshot, 0, 0))  # the timeline's start
            result = train(
                self.model,
                self.X,
                self.y,
                self.config,
                on_batch=self._on_batch,
                on_epoch=self._on_epoch,
                should_stop=self._should_stop,
            )
        except ConvvizError as e:
            self._fail(str(e))
            return
        except Exception as e:  # noqa: BLE001 - a bug, but the window must live on and say what happened
            self._fail(f"training failed: {type(e).__name__}: {e}".split("\n")[0])
            return
        self._flush()
        self._take_snapshot()
        self.send(Finished(result, self.last_snapshot))

    def _fail(self, message: str) -> None:
        self._flush()
        self.send(Failed(message, self.last_snapshot))

    def _take_snapshot(self) -> None:
        try:
            snap = self.model.snapshot()
        except Exception:  # noqa: BLE001 - e.g. a device fault: keep the last good snapshot
            return
        if snap.all_finite():
            self.last_snapshot = snap
            self.send(Snapshot(snap))
        self._last_snap = time.perf_counter()

    def _keep(self, epoch: int, step: int, end: bool = False) -> None:
        """A moment for the timeline: these weights, as they are now (finite ones only)."""
        try:
            snap = self.model.snapshot()
        except Exception:  # noqa: BLE001 - a device fault: this moment is not kept
            return
        if snap.all_finite():
            self.send(Kept(snap, epoch, step, end))

    def _on_epoch(self, rep: EpochReport) -> None:
        if self.moments:  # the weights its validation judged, kept before its report
            self._keep(rep.epoch, self._last.step if self._last else 0, end=True)
        self.send(Epoch(rep))

    def _should_stop(self) -> bool:
        if not self.running.is_set() and not self.stop.is_set():
            self._flush()
            self.send(Paused(True))
            while not self.running.wait(0.05):
                if not self.caller_alive():
                    self.stop.set()
                    break
            self.send(Paused(False))
        return self.stop.is_set()

    def _on_batch(self, rep: BatchReport) -> None:
        self._pending.append((rep.step, rep.loss))
        self._last = rep
        if self.moments and self._wanted(rep.epoch, rep.batch, rep.batches):
            self._keep(1, rep.step)
        now = time.perf_counter()
        if now - self._last_progress >= self.interval or rep.batch == rep.batches:
            # a snapshot goes out only with a progress report (and just before it): the window
            # then repaints once for both
            if now - self._last_snap >= 0.9 * self.interval:
                self._take_snapshot()
            self._flush()

    def _flush(self) -> None:
        rep = self._last
        if not self._pending or rep is None:
            return
        self.send(
            Progress(
                TrainProgress(
                    rep.epoch,
                    rep.epochs,
                    rep.batch,
                    rep.batches,
                    rep.step,
                    rep.steps,
                    rep.loss,
                    rep.images_per_second,
                    rep.seconds_left,
                    self._pending,
                    rep.threads,
                )
            )
        )
        self._pending = []
        self._last_progress = time.perf_counter()
