"""Which validation images a finished run got wrong, and what it said for each: the plain
computation behind the Results panel's gallery. No Qt."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Mistake:
    index: int  # into the job's X
    truth: int
    said: int
    path: str | None


def mistakes(outcome) -> list[Mistake]:
    """outcome: a finished run (qt.training.worker.TrainOutcome: .job.y, .job.paths, .result)."""
    r = outcome.result
    if r is None or r.val_indices is None:
        return []
    truth = np.asarray(outcome.job.y)[r.val_indices]
    wrong = np.flatnonzero(truth != r.val_predicted)
    paths = outcome.job.paths
    return [
        Mistake(
            int(r.val_indices[i]),
            int(truth[i]),
            int(r.val_predicted[i]),
            paths[r.val_indices[i]] if paths else None,
        )
        for i in wrong
    ]
