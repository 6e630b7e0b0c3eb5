"""Training off the GUI thread: one run's job and outcome, and the worker QObject that a
TrainingController (controller.py) moves to a QThread.

By default the training itself runs in a trainer process (convviz.core.train_process says why)
and the worker thread only relays its messages as signals; with `own_process=False` (or
CONVVIZ_TRAIN_IN=thread, or when no process can be started) the worker thread trains. The
signals are the same either way:
- `started_on`: where it trains, e.g. "CPU (2 threads)";
- `progress`: TrainProgress (the newest batch, plus every batch loss since the last one) 2 or 4
  times a second (train_process.live_interval), so a fast loop never floods the event loop;
- `snapshot`: a CPU copy of the weights, just before a progress report, for the panels (they
  never touch the model being trained);
- `epoch_done`: validation loss and accuracy after each epoch;
- `finished`: a TrainOutcome, whatever the ending (done, stopped, diverged); `failed`: one line.
The job's model ends with the weights training ended on (the last good ones after a fault).

Pause, resume and stop are events that the loop checks before every batch; while paused it waits
there.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot

from ...core import train_process
from ...core.trainer_messages import (
    ENDINGS,
    Epoch,
    Failed,
    Finished,
    Kept,
    Message,
    Paused,
    Progress,
    Ready,
    Snapshot,
    Started,
)

if TYPE_CHECKING:  # torch loads only when training starts: the window shows first
    from ...core.network import ConvNet
    from ...core.snapshot import WeightsSnapshot
    from ...core.training import TrainConfig, TrainResult

STOP_GRACE_S = 30.0  # a stopped trainer process silent this long is ended by force


@dataclass
class TrainJob:
    """Everything one training run needs; the model ends with the trained weights."""

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
class TrainOutcome:
    job: TrainJob
    result: TrainResult | None  # None when training failed
    snapshot: WeightsSnapshot | None  # last good weights, CPU copy
    error: str = ""

    @property
    def model(self) -> ConvNet:
        return self.job.model

    @property
    def status(self) -> str:
        return "failed" if self.result is None else self.result.status


def _stopped_before_start():
    from ...core.training import TrainResult

    return TrainResult(status="stopped", message="stopped before training began")


class RunSignals(QObject):
    """What a run tells, declared once: the worker emits these on its thread, the controller
    relays them to the window's thread under the same names."""

    started_on = Signal(str)  # where it trains: "CPU (2 threads)", "CUDA (...)"
    progress = Signal(object)  # TrainProgress
    epoch_done = Signal(object)  # EpochReport
    snapshot = Signal(object)  # WeightsSnapshot, CPU weights for the panels
    moment = Signal(object)  # trainer_messages.Kept: a moment for the timeline
    paused = Signal(bool)
    finished = Signal(object)  # TrainOutcome, whatever the ending
    failed = Signal(str)  # one line: out of memory, bad settings...


class TrainingWorker(RunSignals):
    def __init__(self, job: TrainJob, trainer: train_process.TrainerProcess | None = None):
        super().__init__()
        self.job = job
        self.trainer = trainer  # None: train in this worker's thread
        if trainer is not None:
            self._stop, self._running = trainer.stop, trainer.running
        else:
            self._stop, self._running = threading.Event(), threading.Event()
            self._running.set()
        self.last_snapshot: WeightsSnapshot | None = None
        self.outcome: TrainOutcome | None = None

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
        if self.trainer is None:
            self._train_here()
        else:
            self._relay()

    def _train_here(self) -> None:
        job = self.job
        try:
            import torch

            torch.set_num_threads(train_process.training_threads(job.config.device, False))
            train_process.JobRunner(
                job.model,
                job.X,
                job.y,
                job.config,
                self._receive,
                self._stop,
                self._running,
                interval=train_process.live_interval(job.config.device, False),
            ).run()
        except Exception as e:  # noqa: BLE001 - the ending must come, or the thread never quits
            if self.outcome is None:
                self._receive(
                    Failed(
                        f"training failed: {type(e).__name__}: {e}".split("\n")[0],
                        self.last_snapshot,
                    )
                )

    def _relay(self) -> None:
        """Send the job to the trainer process and turn its messages into signals."""
        trainer, job = self.trainer, self.job
        ending: Message | None = None
        from_trainer = False
        try:
            state = self._wait_until_ready()
            if state == "stopped":  # stopped (or the window closed) while torch loaded
                ending = Finished(_stopped_before_start(), None)
                from_trainer = True  # no job was sent: the process is idle for sure
            elif state == "dead":  # this machine cannot run trainer processes: train here,
                train_process.mark_unusable()  # now and from now on
                self._detach()
                self.trainer = None  # (the process is closed on the way out, below)
                self._train_here()
                return
            else:
                trainer.submit(job.model, job.X, job.y, job.config)
            quiet_since = None  # a stopped run that sends nothing this long is ended by force
            while ending is None:
                msg = trainer.recv(0.1)
                if msg is not None:
                    quiet_since = None
                    if isinstance(msg, ENDINGS):
                        ending, from_trainer = msg, True
                    else:
                        self._receive(msg)
                elif not trainer.alive():
                    raise EOFError
                elif self._stop.is_set():
                    quiet_since = quiet_since or time.monotonic()
                    if time.monotonic() - quiet_since > STOP_GRACE_S:
                        trainer.kill()
                        ending = Failed(
                            "training did not stop when asked; its process was ended",
                            self.last_snapshot,
                        )
        except (EOFError, OSError):  # the process died: a crash, or killed
            trainer.process.join(1)  # reaped, so that its exit code is known
            ending = Failed(
                f"the training process stopped unexpectedly (exit code {trainer.process.exitcode})",
                self.last_snapshot,
            )
        except Exception as e:  # noqa: BLE001 - e.g. the job could not be sent
            ending = Failed(f"training could not start: {e}".split("\n")[0], self.last_snapshot)
        finally:
            self._detach()
            # back to the pool before anyone hears of the ending, so a next run reuses it;
            # only a process that said how its job ended is idle for sure
            train_process.release(trainer, healthy=from_trainer and trainer.alive())
        self._receive(ending)

    def _wait_until_ready(self) -> str:
        """Wait for the trainer to import torch: returns "ready", or "stopped" if a stop came
        first, or "dead" if the process ended. (A job sent before it listens would block this
        thread in the pipe, beyond the reach of a stop.)"""
        trainer = self.trainer
        while not trainer.ready:
            if self._stop.is_set():
                return "stopped"
            try:
                if trainer.conn.poll(0.1):  # (a bad frame: PipeError, the run ends in one line)
                    trainer.ready = isinstance(
                        train_process.read_message(
                            trainer.conn, train_process.limits.PIPE_SLACK_BYTES
                        ),
                        Ready,
                    )
                elif not trainer.alive():
                    return "dead"
            except (EOFError, OSError):
                return "dead"
        return "ready"

    def _detach(self) -> None:
        """Stop steering the pooled process: its events serve its next job, maybe another
        window's. Pause and stop requests from now on land on private events."""
        stop, running = threading.Event(), threading.Event()
        if self._stop.is_set():
            stop.set()
        if self._running.is_set():
            running.set()
        self._stop, self._running = stop, running

    def _receive(self, msg: Message) -> None:
        """One message from the loop (any thread): a signal, or the ending."""
        if isinstance(msg, Snapshot):
            self.last_snapshot = msg.weights
            self.snapshot.emit(msg.weights)
        elif isinstance(msg, Kept):
            self.moment.emit(msg)
        elif isinstance(msg, Progress):
            self.progress.emit(msg.progress)
        elif isinstance(msg, Epoch):
            self.epoch_done.emit(msg.report)
        elif isinstance(msg, Paused):
            self.paused.emit(msg.paused)
        elif isinstance(msg, Started):
            self.started_on.emit(msg.device)
        elif isinstance(msg, ENDINGS):
            if msg.weights is not None:
                self.last_snapshot = msg.weights
                self._load_into_model(msg.weights)
            if isinstance(msg, Finished):
                self.outcome = TrainOutcome(self.job, msg.result, self.last_snapshot)
                # the "unsure" thresholds from the held-out part travel with the result
                self.job.model.calibration = getattr(msg.result, "calibration", None)
            else:
                self.outcome = TrainOutcome(self.job, None, self.last_snapshot, msg.message)
                self.failed.emit(msg.message)
            self.finished.emit(self.outcome)

    def _load_into_model(self, weights: WeightsSnapshot) -> None:
        """The job's model ends as training left it (in a thread it already is)."""
        if self.trainer is None:
            return
        model = self.job.model
        model.load_snapshot(weights)
        model.eval()
