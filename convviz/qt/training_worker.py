"""Training off the GUI thread: a worker QObject moved to a QThread, and the controller the window
talks to.

The worker wraps convviz.core.training.train and turns its plain callbacks into signals:
- `progress`: TrainProgress (the newest batch, plus every batch loss since the last one) at most
  8 times a second, so a fast loop never floods the event loop;
- `snapshot`: a CPU copy of the weights a few times a second, for the panels (they never touch
  the model being trained);
- `epoch_done`: validation loss and accuracy after each epoch;
- `finished`: a TrainOutcome, whatever the ending (done, stopped, diverged); `failed`: one line.

Pause, resume and stop are thread-safe flags (threading.Event) that `should_stop` checks before
every batch; while paused the worker waits inside that callback. The window closes cleanly with
`request_stop()` then `wait()`: never a thread abort, never a blocking queued connection.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from ..core.errors import ConvvizError

if TYPE_CHECKING:  # torch loads only when training starts: the window shows first
    from ..core.network import ConvNet
    from ..core.training import BatchReport, EpochReport, TrainConfig, TrainResult

PROGRESS_INTERVAL = 1 / 8  # seconds between progress signals (loss points are batched): each
# repaints the loss plot and its axes (~10 ms of GUI time, taken from training on a small CPU)
SNAPSHOT_INTERVAL = 0.25  # seconds between weight snapshots: "a few times a second"


@dataclass
class TrainJob:
    """Everything one training run needs; the model is trained in place (pass a copy)."""

    model: ConvNet
    X: np.ndarray  # (N, C, H, W) float32 in the model's value range
    y: np.ndarray  # (N,) int64
    config: TrainConfig
    source: str = ""  # "folder /path" or "sample shapes", for the report
    paths: list[str] | None = None  # where each image came from (folder runs)
    scan_report: str = ""

    @property
    def classes(self) -> tuple[str, ...]:
        return self.model.spec.classes


@dataclass
class TrainProgress:
    epoch: int  # 1-based
    epochs: int
    batch: int  # 1-based within the epoch
    batches: int
    step: int  # batches done in all
    steps: int
    loss: float
    images_per_second: float  # over time spent training (pauses excluded)
    seconds_left: float
    losses: list[tuple[int, float]] = field(default_factory=list)  # (step, loss) since last


@dataclass
class TrainOutcome:
    job: TrainJob
    result: TrainResult | None  # None when training failed
    snapshot: dict[str, np.ndarray] | None  # last good weights, CPU copy
    error: str = ""

    @property
    def model(self) -> ConvNet:
        return self.job.model

    @property
    def status(self) -> str:
        return "failed" if self.result is None else self.result.status


class TrainingWorker(QObject):
    progress = Signal(object)  # TrainProgress
    epoch_done = Signal(object)  # EpochReport
    snapshot = Signal(object)  # dict[str, np.ndarray]
    paused = Signal(bool)
    finished = Signal(object)  # TrainOutcome
    failed = Signal(str)

    def __init__(self, job: TrainJob):
        super().__init__()
        self.job = job
        self._stop = threading.Event()
        self._running = threading.Event()  # cleared while paused
        self._running.set()
        self.last_snapshot: dict[str, np.ndarray] | None = None
        self.outcome: TrainOutcome | None = None
        from ..core.training import split_indices

        n_train = len(split_indices(np.asarray(job.y), job.config.val_split, job.config.seed)[0])
        self._n_train = n_train

    # ---- called from any thread ------------------------------------------------------------
    def request_stop(self) -> None:
        self._stop.set()
        self._running.set()  # a paused run must wake up to stop

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def is_paused(self) -> bool:
        return not self._running.is_set()

    # ---- the worker thread -----------------------------------------------------------------
    @Slot()
    def run(self) -> None:
        from ..core.training import train

        job = self.job
        self._t0 = time.perf_counter()
        self._paused_for = 0.0
        self._last_progress = self._last_snap = 0.0
        self._pending: list[tuple[int, float]] = []
        self._step = 0
        self._seen = 0
        self._take_snapshot()  # the starting weights: panels show them at once
        _set_training_threads(job.config.device)  # this thread only: the GUI keeps its own
        try:
            result = train(job.model, job.X, job.y, job.config, on_batch=self._on_batch,
                           on_epoch=self._on_epoch, should_stop=self._should_stop)
        except ConvvizError as e:
            self._fail(str(e))
            return
        except Exception as e:  # a bug, but the window must live on and say what happened
            self._fail(f"training failed: {type(e).__name__}: {e}".split("\n")[0])
            return
        self._flush(force=True)
        self._take_snapshot()
        self.outcome = TrainOutcome(job, result, self.last_snapshot)
        self.finished.emit(self.outcome)

    def _fail(self, message: str) -> None:
        self._flush(force=True)
        self.outcome = TrainOutcome(self.job, None, self.last_snapshot, message)
        self.failed.emit(message)
        self.finished.emit(self.outcome)

    def _take_snapshot(self) -> None:
        try:
            snap = self.job.model.snapshot()
        except Exception:  # noqa: BLE001 - e.g. a device fault: keep the last good snapshot
            return
        if all(np.isfinite(v).all() for v in snap.values()):
            self.last_snapshot = snap
            self.snapshot.emit(snap)
        self._last_snap = time.perf_counter()

    def _should_stop(self) -> bool:
        if not self._running.is_set() and not self._stop.is_set():
            self._flush(force=True)
            self.paused.emit(True)
            t = time.perf_counter()
            while not self._running.wait(0.05):
                pass
            self._paused_for += time.perf_counter() - t
            self.paused.emit(False)
        return self._stop.is_set()

    def _on_batch(self, rep: BatchReport) -> None:
        bs = self.job.config.batch_size
        self._seen += min(bs, self._n_train - (rep.batch - 1) * bs)
        self._step += 1
        self._pending.append((self._step, rep.loss))
        self._last = rep
        now = time.perf_counter()
        if now - self._last_snap >= SNAPSHOT_INTERVAL:
            self._take_snapshot()
        if now - self._last_progress >= PROGRESS_INTERVAL or rep.batch == rep.batches:
            self._flush()

    def _flush(self, force: bool = False) -> None:
        if not self._pending:
            return
        rep = self._last
        now = time.perf_counter()
        active = max(now - self._t0 - self._paused_for, 1e-9)
        steps = rep.batches * self.job.config.epochs
        left = active / self._step * (steps - self._step)
        self.progress.emit(TrainProgress(
            rep.epoch, self.job.config.epochs, rep.batch, rep.batches, self._step, steps,
            rep.loss, self._seen / active, left, self._pending))
        self._pending = []
        self._last_progress = now

    def _on_epoch(self, rep: EpochReport) -> None:
        self.epoch_done.emit(rep)


def _set_training_threads(device: str) -> int:
    """Set the training thread's torch thread count; returns it. CONVVIZ_TRAIN_THREADS=n: n.

    On the CPU, one core is left for the GUI: torch's threads wait for each other at every op,
    so a team that shares its cores with the GUI (or anything else) stalls at each barrier, and
    the GUI stutters (on 2 cores, all-core training measured p99 event-loop gaps of ~50-110 ms;
    one thread ~35-42 ms, but ~6,000 images/s instead of ~9,000-11,000). torch's count is kept
    per OS thread once set there, so this leaves the GUI thread's count alone; a QThread starts
    with whatever the process last set, so the worker always sets its own."""
    import os

    import torch

    wanted = os.environ.get("CONVVIZ_TRAIN_THREADS", "")
    if wanted.isdigit() and int(wanted) > 0:
        n = int(wanted)
    elif os.environ.get("CONVVIZ_TRAIN_ALL_CORES") or not _on_cpu(device):
        n = _cores()
    else:
        n = max(1, _cores() - 1)
    torch.set_num_threads(n)
    return n


def _on_cpu(device: str) -> bool:
    import torch

    if device == "auto":
        return not (torch.cuda.is_available() or torch.backends.mps.is_available())
    return device == "cpu"


def _cores() -> int:
    import os

    omp = os.environ.get("OMP_NUM_THREADS", "")
    if omp.isdigit() and int(omp) > 0:  # the user's choice for the whole process
        return int(omp)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def use_one_torch_thread_here() -> None:
    """Run this thread's torch work (the GUI's one-image traces) on one thread.

    A single 28x28 image gains nothing from a second thread; with two, every small op waits at an
    OpenMP barrier for a partner thread that the trainer's threads (or any other busy process)
    keep off the core: a trace+panel refresh took 73 ms instead of 5 ms here (2 cores). Only
    the calling thread changes (see `_set_training_threads`)."""
    import torch

    if torch.get_num_threads() != 1:
        torch.set_num_threads(1)


class TrainingController(QObject):
    """Owns the worker and its thread. The window connects to these signals (they arrive on the
    GUI thread) and, on close, calls `request_stop()` then `wait()`."""

    started = Signal()
    progress = Signal(object)  # TrainProgress
    epoch_done = Signal(object)  # EpochReport
    snapshot = Signal(object)  # dict[str, np.ndarray], CPU weights for the panels
    paused = Signal(bool)
    finished = Signal(object)  # TrainOutcome, whatever the ending
    failed = Signal(str)  # one line: out of memory, bad settings...
    model_ready = Signal(object)  # TrainOutcome whose model the app should now use

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._thread: QThread | None = None
        self._worker: TrainingWorker | None = None
        self.outcome: TrainOutcome | None = None

    def start(self, job: TrainJob) -> None:
        if self.is_running():
            raise ConvvizError("a training run is already going; stop it first")
        self.outcome = None
        use_one_torch_thread_here()  # called on the GUI thread: its traces stay single-threaded
        thread = QThread()
        thread.setObjectName("convviz-training")
        worker = TrainingWorker(job)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.progress.connect(self.progress)
        worker.epoch_done.connect(self.epoch_done)
        worker.snapshot.connect(self.snapshot)
        worker.paused.connect(self.paused)
        worker.failed.connect(self.failed)
        worker.finished.connect(self._on_finished)
        # direct: quit() is thread-safe, and the GUI thread may be blocked in wait() on close
        worker.finished.connect(thread.quit, Qt.ConnectionType.DirectConnection)
        self._thread, self._worker = thread, worker
        thread.start()
        self.started.emit()

    def _on_finished(self, outcome: TrainOutcome) -> None:
        self.outcome = outcome
        self.finished.emit(outcome)
        if outcome.result is not None and outcome.status in ("done", "diverged"):
            self.model_ready.emit(outcome)

    def adopt(self) -> None:
        """Use what a stopped run learned (the panel's "Keep" button)."""
        if self.outcome is not None and self.outcome.result is not None:
            self.model_ready.emit(self.outcome)

    # ---- control ---------------------------------------------------------------------------
    def is_running(self) -> bool:
        return self._thread is not None and self._thread.isRunning()

    def pause(self) -> None:
        if self._worker:
            self._worker.pause()

    def resume(self) -> None:
        if self._worker:
            self._worker.resume()

    def is_paused(self) -> bool:
        return bool(self._worker and self._worker.is_paused and self.is_running())

    def request_stop(self) -> None:
        if self._worker:
            self._worker.request_stop()

    def wait(self, timeout_ms: int = -1) -> bool:
        """Block until the thread has ended (True) or the timeout passed (False)."""
        if self._thread is None:
            return True
        return self._thread.wait() if timeout_ms < 0 else self._thread.wait(timeout_ms)

    def stop_and_wait(self) -> TrainOutcome | None:
        """For closing the window: stop within one batch, join the thread, and return what was
        learned (its `snapshot` holds the last good weights), or None if nothing ran."""
        self.request_stop()
        self.wait()
        return self._worker.outcome if self._worker else self.outcome

    @property
    def last_snapshot(self) -> dict[str, np.ndarray] | None:
        """The newest finite weights, CPU copy (readable while training or after)."""
        return self._worker.last_snapshot if self._worker else None

    @property
    def job(self) -> TrainJob | None:
        return self._worker.job if self._worker else None
