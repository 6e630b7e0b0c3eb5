"""The window's handle on training: a TrainingController owns the worker (worker.py) and its
QThread, relays the worker's signals to the GUI thread under the same names, and pauses, resumes
and stops it. Training runs in a trainer process unless `own_process=False` (or
CONVVIZ_TRAIN_IN=thread, or no process can be started): then the worker thread trains.

The window closes cleanly with `request_stop()` then `wait()`: never a thread abort, never a
blocking queued connection.
"""

from __future__ import annotations

import contextlib
import os
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QThread, Signal

from ...core import train_process
from ...core.errors import ConvvizError
from ...core.train_process import use_one_torch_thread_here
from .worker import RunSignals, TrainingWorker, TrainJob, TrainOutcome

if TYPE_CHECKING:
    from ...core.snapshot import WeightsSnapshot


def train_in_own_process_by_default() -> bool:
    return os.environ.get("CONVVIZ_TRAIN_IN", "process") != "thread"


class TrainingController(RunSignals):
    """Owns the worker and its thread. The window connects to these signals (they arrive on the
    GUI thread) and, on close, calls `request_stop()` then `wait()`.

    Training keeps its own worker rather than BackgroundJobs (qt/background.py): a run is one
    long job that streams six kinds of reports, pauses and resumes, and relays a trainer
    process; BackgroundJobs is for short jobs that end with one result, newest wins."""

    started = Signal()
    model_ready = Signal(object)  # TrainOutcome whose model the app should now use

    def __init__(self, parent: QObject | None = None, own_process: bool | None = None):
        super().__init__(parent)
        # own_process: train in a trainer process; None follows CONVVIZ_TRAIN_IN (a trainer
        # process unless it says "thread")
        self.own_process = train_in_own_process_by_default() if own_process is None else own_process
        self._thread: QThread | None = None
        self._worker: TrainingWorker | None = None
        self.outcome: TrainOutcome | None = None

    def start(self, job: TrainJob) -> None:
        if self.is_running():
            raise ConvvizError("a training run is already going; stop it first")
        if self._thread is not None:
            self._thread.wait()  # the last run has ended; its thread is a moment from quitting
        self.outcome = None
        use_one_torch_thread_here()  # called on the GUI thread: its traces stay single-threaded
        thread = QThread()
        thread.setObjectName("convviz-training")
        worker = TrainingWorker(job, self._trainer())
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        for theirs, mine in (
            (worker.started_on, self.started_on),
            (worker.progress, self.progress),
            (worker.epoch_done, self.epoch_done),
            (worker.snapshot, self.snapshot),
            (worker.paused, self.paused),
            (worker.failed, self.failed),
            (worker.moment, self.moment),
        ):
            theirs.connect(mine)  # (finished goes through _on_finished)
        worker.finished.connect(self._on_finished)
        # direct: quit() is thread-safe, and the GUI thread may be blocked in wait() on close
        worker.finished.connect(thread.quit, Qt.ConnectionType.DirectConnection)
        self._thread, self._worker = thread, worker
        thread.start()
        self.started.emit()

    def prepare(self) -> None:
        """Start a trainer process now, so that a run starts at once (e.g. as the Train dialog
        opens: torch imports while the person chooses)."""
        if self.own_process:
            with contextlib.suppress(Exception):  # any failure: start() falls back to a thread
                train_process.prepare()

    def _trainer(self) -> train_process.TrainerProcess | None:
        if not self.own_process:
            return None
        try:
            return train_process.acquire()
        except Exception:  # noqa: BLE001 - no process here (a sandbox...): train in a thread
            return None

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
        """A run is going: started, and its ending not yet delivered."""
        return self._thread is not None and self._thread.isRunning() and self.outcome is None

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
    def last_snapshot(self) -> WeightsSnapshot | None:
        """The newest finite weights, CPU copy (readable while training or after)."""
        return self._worker.last_snapshot if self._worker else None

    @property
    def job(self) -> TrainJob | None:
        return self._worker.job if self._worker else None
