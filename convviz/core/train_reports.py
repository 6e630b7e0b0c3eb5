"""What the training loop reports: after each batch, after each epoch, and at its end.

Torch-free, so that the window can read them (and the trainer's pipe check them) before torch
is imported. The loop (training.train) is the one place that counts steps, images seen, pauses,
speed and time left; whoever shows progress reads them here instead of counting again.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np


@dataclass
class BatchReport:
    epoch: int  # 1-based
    batch: int  # 1-based within the epoch
    batches: int  # per epoch
    loss: float
    images_per_second: float  # over the time spent training (pauses excluded)
    seconds_left: float
    threads: int = 0  # CPU torch threads in use (0 on a GPU)
    epochs: int = 0  # in the whole run
    step: int = 0  # batches done in all, this one included
    steps: int = 0  # batches in the whole run
    seen: int = 0  # training images done in all, this batch's included
    paused_seconds: float = 0.0  # spent waiting in should_stop (a paused caller) so far
    train_images: int = 0  # the split: images trained on, and kept for validation
    val_images: int = 0


@dataclass
class EpochReport:
    epoch: int
    train_loss: float
    val_loss: float | None
    val_accuracy: float | None
    # (classes, classes) counts of this epoch's validation, row = true, column = said; None
    # without a validation split or above CONFUSION_TABLE_MAX_CLASSES (the timeline keeps it)
    confusion: np.ndarray | None = None


@dataclass
class TrainResult:
    epochs: list[EpochReport] = field(default_factory=list)
    status: str = "done"  # done | stopped | diverged
    message: str = ""
    val_accuracy: float | None = None  # of the weights kept (the best epoch's, see keep_best)
    best_epoch: int | None = None  # the epoch whose weights were kept (None: the last weights)
    last_val_accuracy: float | None = None  # the last epoch's, for comparison
    confusion: np.ndarray | None = None  # (classes, classes): row = true, column = said; None
    # above CONFUSION_TABLE_MAX_CLASSES (count from val_indices and val_predicted then)
    val_indices: np.ndarray | None = None  # into the X given to train()
    val_predicted: np.ndarray | None = None
    images_per_second: float = 0.0
    seconds: float = 0.0
    device: str = ""
    threads: int = 0  # CPU torch threads at the end (0 on a GPU)
    calibration: object = None  # unsure.Calibration from the held-out part (None without one)
    votes_only: bool = False  # only the votes were trained, every other layer kept as it was

    def summary(self) -> dict:
        """Plain data, for weights metadata."""
        return {
            "status": self.status,
            "val_accuracy": self.val_accuracy,
            "best_epoch": self.best_epoch,
            "last_val_accuracy": self.last_val_accuracy,
            "epochs": len(self.epochs),
            "device": self.device,
            "images_per_second": round(self.images_per_second, 1),
            "trained": "only the votes" if self.votes_only else "every layer",
            "history": [
                {k: v for k, v in asdict(e).items() if k != "confusion"} for e in self.epochs
            ],
        }  # (the epochs' tables: the timeline's)
