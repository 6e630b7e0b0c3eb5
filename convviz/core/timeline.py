"""A training run's film: the weights kept at chosen moments, to replay and compare afterwards.

Which moments (the trainer decides, job_runner.py): the starting weights, every epoch's end (with
that epoch's confusion matrix), and `TIMELINE_FIRST_EPOCH_MOMENTS - 1` more spread evenly over
the first epoch, when most of the change happens. The window keeps them here, within a fixed
memory budget (limits.TIMELINE_MAX_BYTES, TIMELINE_MAX_MOMENTS): when a new moment would pass
it, the timeline is thinned evenly: every other moment of the first epoch's extras first, then
the epochs on a grid twice as coarse (every 2nd epoch, then every 4th...), so the kept epochs
stay evenly spaced however long the run; the start and the newest always stay.

Qt-free: the window's view (qt/training/timeline_view.py), the companion file
(timeline_file.py) and the command line (`convviz export --moment N`) read it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .limits import TIMELINE_FIRST_EPOCH_MOMENTS, TIMELINE_MAX_BYTES, TIMELINE_MAX_MOMENTS
from .snapshot import WeightsSnapshot


@dataclass
class Moment:
    """The weights at one point of a run. epoch 0: before training; `end`: at the end of
    `epoch` (its validation follows it: confusion and val_accuracy, when there was one)."""

    snapshot: WeightsSnapshot
    epoch: int
    step: int  # batches done in all when it was taken
    end: bool = False
    confusion: np.ndarray | None = None  # (classes, classes): row = true, column = said
    val_accuracy: float | None = None

    @property
    def label(self) -> str:
        if self.epoch == 0:
            return "before training"
        return f"end of epoch {self.epoch}" if self.end else f"epoch {self.epoch}, step {self.step}"


def first_epoch_marks(batches: int, moments: int = TIMELINE_FIRST_EPOCH_MOMENTS) -> set[int]:
    """The batches (1-based) of the first epoch after which the trainer keeps a moment: evenly
    spread, the epoch's own end excluded (that one is kept as every epoch's is)."""
    return {round(k * batches / moments) for k in range(1, moments)} - {0, batches}


class FirstEpochMoments:
    """`wanted(epoch, batch, batches)`: is this batch kept as a moment (besides the start and
    every epoch's end)? The one rule the trainer (job_runner) and `convviz train` follow."""

    def __init__(self) -> None:
        self._marks: set[int] | None = None

    def __call__(self, epoch: int, batch: int, batches: int) -> bool:
        if epoch != 1:
            return False
        if self._marks is None:
            self._marks = first_epoch_marks(batches)
        return batch in self._marks


class Recorder:
    """A timeline filled from `training.train`'s callbacks in the same process (`convviz
    train`): call `start()`, then `batch(report)` and `epoch(report)` from the loop's."""

    def __init__(self, model) -> None:
        self.model, self.timeline, self.wanted = model, Timeline(), FirstEpochMoments()
        self.step = 0

    def _keep(self, epoch: int, end: bool = False) -> None:
        snap = self.model.snapshot()
        if snap.all_finite():
            self.timeline.add(Moment(snap, epoch, self.step, end))

    def start(self) -> None:
        self._keep(0)

    def batch(self, rep) -> None:
        self.step = rep.step
        if self.wanted(rep.epoch, rep.batch, rep.batches):
            self._keep(1)

    def epoch(self, rep) -> None:
        self._keep(rep.epoch, end=True)
        self.timeline.add_epoch_result(rep.epoch, rep.confusion, rep.val_accuracy)


class Timeline:
    """The kept moments of one network's training, oldest first."""

    def __init__(
        self, budget_bytes: int = TIMELINE_MAX_BYTES, max_moments: int = TIMELINE_MAX_MOMENTS
    ):
        self.budget_bytes, self.max_moments = budget_bytes, max_moments
        self.moments: list[Moment] = []
        self.thinned = 0  # moments given up to stay within the budget
        self.stride = 1  # epochs kept: those that are a multiple of it (and the newest)

    # ---- reading -----------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.moments)

    def __getitem__(self, i: int) -> Moment:
        return self.moments[i]

    @property
    def network(self) -> str | None:
        return self.moments[0].snapshot.network if self.moments else None

    @property
    def nbytes(self) -> int:
        return sum(m.snapshot.nbytes for m in self.moments)

    def capacity(self, snapshot_bytes: int) -> int:
        """How many moments of this size the budget holds (0: the network is too large for a
        timeline at all; at least 3 are needed to show a change over time)."""
        n = min(self.max_moments, self.budget_bytes // max(snapshot_bytes, 1))
        return n if n >= 3 else 0

    # ---- keeping -----------------------------------------------------------------------------
    def add(self, moment: Moment) -> bool:
        """Keep `moment` (a copy of nothing: snapshots are never changed once made); thins the
        timeline evenly first when it is full. False when the network is too large to keep any,
        or `moment` belongs to another network than the moments kept (a new run starts a new
        timeline)."""
        cap = self.capacity(moment.snapshot.nbytes)
        if cap == 0 or (self.moments and moment.snapshot.network != self.network):
            return False
        if len(self.moments) > 1 and self._off_grid(self.moments[-1]):
            self.moments.pop()  # the newest was kept only as the newest: this one is newer
            self.thinned += 1
        while len(self.moments) >= cap:
            self._thin()
        self.moments.append(moment)
        return True

    def _off_grid(self, m: Moment) -> bool:
        return m.end and m.epoch % self.stride != 0

    def add_epoch_result(
        self, epoch: int, confusion: np.ndarray | None, val_accuracy: float | None
    ) -> None:
        """An epoch's validation, kept with that epoch's end (a table of another size than the
        network's classes is not kept: it cannot be shown under their names)."""
        for m in reversed(self.moments):
            if m.end and m.epoch == epoch:
                classes = len(m.snapshot.weight(m.snapshot.weighted_layers[-1]))
                if confusion is not None and np.shape(confusion) == (classes, classes):
                    m.confusion = np.asarray(confusion, np.int64)
                m.val_accuracy = val_accuracy
                return

    def _thin(self) -> None:
        """Give up every other of the first epoch's extras while there are any, else the
        epochs off a grid twice as coarse; the first and the newest stay."""
        inner = range(1, len(self.moments) - 1)
        drop = set([i for i in inner if not self.moments[i].end][::2])
        while not drop:  # (the capacity is at least 3, so a coarser grid always frees one)
            self.stride *= 2
            drop = {i for i in inner if self._off_grid(self.moments[i])}
        self.thinned += len(drop)
        self.moments = [m for i, m in enumerate(self.moments) if i not in drop]


@dataclass
class Change:
    """What changed in one layer's weights from moment a to moment b."""

    layer: str
    a: np.ndarray
    b: np.ndarray

    @property
    def difference(self) -> np.ndarray:
        return self.b - self.a

    @property
    def relative(self) -> float:
        """|b - a| / |a| (Frobenius norms): 0.1 means the weights moved by a tenth of their
        size."""
        base = float(np.linalg.norm(self.a))
        return float(np.linalg.norm(self.difference)) / base if base > 0 else 0.0


def changes(a: WeightsSnapshot, b: WeightsSnapshot) -> list[Change]:
    """Every weighted layer's weights at a and at b, in the network's order."""
    if a.network != b.network:
        raise ValueError("two moments of different networks cannot be compared")
    return [Change(name, a.weight(name), b.weight(name)) for name in a.weighted_layers]
