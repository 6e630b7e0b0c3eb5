"""The messages between the window and a training run, one dataclass per kind.

From the run (`JobRunner`, in a trainer process or a thread of the window's) to the window:
  Ready(pid)                the trainer process has imported torch and waits for a job
  Snapshot(weights)         a CPU copy of every weight, just before a Progress
  Kept(weights, epoch, ..)  a moment for the timeline: the start, each epoch's end, a few more
  Started(device)           the device it trains on, e.g. "CPU (2 threads)"
  Progress(progress)        the newest batch plus every loss since the last (TrainProgress)
  Epoch(report)             validation loss and accuracy after each epoch (EpochReport)
  Paused(paused)
  Finished(result, weights) whatever the ending: done, stopped, diverged
  Failed(message, weights)  one line; weights are the last good ones (or None)
  Broken(message)           the trainer read a bad frame and is ending
From the window to a trainer process: Job (its images follow in pieces, see trainer_pipe), Quit.

Receivers branch on the message's class. `kind` is only the message's name in an error line
(a bad frame on the trainer's pipe).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

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
    """A message from a training run; receivers branch on its class."""

    kind: ClassVar[str]  # its name in an error line: the class's, in lower case

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.kind = cls.__name__.lower()


@dataclass
class Ready(Message):
    pid: int


@dataclass
class Started(Message):
    device: str


@dataclass
class Snapshot(Message):
    weights: Weights


@dataclass
class Kept(Message):
    """A moment for the training timeline (core/timeline.py): the window keeps these weights.
    Apart from Snapshot, whose rhythm is the window's repaints: epoch 0 is the start, `end`
    an epoch's end (just before its Epoch), else a moment within the first epoch."""

    weights: Weights
    epoch: int
    step: int  # batches done in all
    end: bool = False


@dataclass
class Progress(Message):
    progress: TrainProgress


@dataclass
class Epoch(Message):
    report: EpochReport


@dataclass
class Paused(Message):
    paused: bool


@dataclass
class Finished(Message):
    result: TrainResult
    weights: Weights | None


@dataclass
class Failed(Message):
    message: str
    weights: Weights | None = None


@dataclass
class Broken(Message):
    message: str


FROM_TRAINER = (Ready, Started, Snapshot, Progress, Epoch, Paused, Finished, Failed, Broken, Kept)
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
