"""The messages between the window and a training run, one dataclass per kind.

From the run (`JobRunner`, in a trainer process or a thread of the window's) to the window:
  Ready(pid)                the trainer process has imported torch and waits for a job
  Snapshot(weights)         a CPU copy of every weight, just before a Progress
  Started(device)           the device it trains on, e.g. "CPU (2 threads)"
  Progress(progress)        the newest batch plus every loss since the last (TrainProgress)
  Epoch(report)             validation loss and accuracy after each epoch (EpochReport)
  Paused(paused)
  Finished(result, weights) whatever the ending: done, stopped, diverged
  Failed(message, weights)  one line; weights are the last good ones (or None)
  Broken(message)           the trainer read a bad frame and is ending
From the window to a trainer process: Job (its images follow in pieces, see trainer_pipe), Quit.

Each message still reads as the (kind, payload) pair these were before they had types:
`msg[0]` is the kind, `kind, payload = msg` unpacks, and Finished/Failed's payload is
(first, weights). The window's code reads them that way (qt training worker); new code should
match on the class instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from .snapshot import WeightsSnapshot

if TYPE_CHECKING:  # (torch-free here: the window imports this before torch is needed)
    from .train_config import TrainConfig
    from .train_reports import EpochReport, TrainResult

Weights = WeightsSnapshot  # one flat float32 array, its keys and shapes, the network's identity


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
    threads: int = 0  # CPU torch threads training uses now (0 on a GPU); see core/threads.py


class Message:
    """A message's kind and payload, readable as the old (kind, payload) pair."""

    kind: ClassVar[str]

    @property
    def payload(self) -> Any:
        raise NotImplementedError

    def __iter__(self) -> Iterator[Any]:
        return iter((self.kind, self.payload))

    def __getitem__(self, i: int) -> Any:
        return (self.kind, self.payload)[i]

    def __len__(self) -> int:
        return 2


@dataclass
class Ready(Message):
    pid: int
    kind: ClassVar[str] = "ready"

    @property
    def payload(self) -> Any:
        return self.pid


@dataclass
class Started(Message):
    device: str
    kind: ClassVar[str] = "started"

    @property
    def payload(self) -> Any:
        return self.device


@dataclass
class Snapshot(Message):
    weights: Weights
    kind: ClassVar[str] = "snapshot"

    @property
    def payload(self) -> Any:
        return self.weights


@dataclass
class Progress(Message):
    progress: TrainProgress
    kind: ClassVar[str] = "progress"

    @property
    def payload(self) -> Any:
        return self.progress


@dataclass
class Epoch(Message):
    report: EpochReport
    kind: ClassVar[str] = "epoch"

    @property
    def payload(self) -> Any:
        return self.report


@dataclass
class Paused(Message):
    paused: bool
    kind: ClassVar[str] = "paused"

    @property
    def payload(self) -> Any:
        return self.paused


@dataclass
class Finished(Message):
    result: TrainResult
    weights: Weights | None
    kind: ClassVar[str] = "finished"

    @property
    def payload(self) -> tuple[TrainResult, Weights | None]:
        return self.result, self.weights


@dataclass
class Failed(Message):
    message: str
    weights: Weights | None = None
    kind: ClassVar[str] = "failed"

    @property
    def payload(self) -> tuple[str, Weights | None]:
        return self.message, self.weights


@dataclass
class Broken(Message):
    message: str
    kind: ClassVar[str] = "broken"

    @property
    def payload(self) -> Any:
        return self.message


FROM_TRAINER = (Ready, Started, Snapshot, Progress, Epoch, Paused, Finished, Failed, Broken)
ENDINGS = (Finished, Failed)


@dataclass
class Job:
    """One training run for a trainer process; its images follow in pieces (trainer_pipe)."""

    spec_json: str
    weights: Weights
    shape: tuple[int, ...]  # of the images to come, float32
    dtype: str
    labels: np.ndarray
    config: TrainConfig
    threads: int  # the trainer's torch threads, at most (trainer_cores.training_threads)
    interval: float  # seconds between live updates (trainer_cores.live_interval)


@dataclass
class Quit:
    """The window closes an idle trainer process."""
