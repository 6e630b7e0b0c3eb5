"""The one set of training defaults, read by the command line (`convviz train`) and the app's
Train dialog alike. No torch here: the command line's parser reads it on every start."""

from __future__ import annotations

import math
from dataclasses import dataclass

from .errors import ConvvizError
from .threads import MAX_THREADS


@dataclass
class TrainConfig:
    epochs: int = 8
    batch_size: int = 64
    lr: float = 3e-3  # Adam: forgiving for people who do not tune learning rates
    val_split: float = 0.2
    seed: int = 0
    device: str = "auto"
    # the deck's trickier cases: shift, rotate, scale a little. On by default: on one labelled
    # folder the same network reached 98.9% with it and 95.5% without (issue 19)
    augment: bool = True
    keep_best: bool = True  # end with the weights of the epoch with the best validation
    threads: int = 0  # CPU torch threads; 0: the fastest count, chosen as it trains (threads.py)
    # "keep what it learned, retrain the votes": every layer but the last fully connected one
    # (the votes) is frozen, batch normalisation's statistics included (training.py)
    votes_only: bool = False

    def check(self) -> TrainConfig:
        if self.epochs < 1:
            raise ConvvizError(f"epochs must be at least 1, got {self.epochs}")
        if self.batch_size < 1:
            raise ConvvizError(f"batch size must be at least 1, got {self.batch_size}")
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise ConvvizError(f"learning rate must be a positive number, got {self.lr}")
        if not 0 <= self.val_split < 1:
            raise ConvvizError(
                f"validation split must be in 0..1 (exclusive), got {self.val_split}"
            )
        if self.threads < 0:
            raise ConvvizError(f"threads must be at least 1 (or 0 to choose), got {self.threads}")
        if self.threads > MAX_THREADS:
            raise ConvvizError(f"threads must be at most {MAX_THREADS}, got {self.threads}")
        return self
