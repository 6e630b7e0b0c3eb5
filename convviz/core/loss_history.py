"""The training run's loss curve as plain numbers: every batch loss, its smoothed trend and the
per-epoch validation figures. No Qt: the Training panel plots views of these arrays."""

from __future__ import annotations

import math

import numpy as np

SMOOTHING = 0.9  # exponential moving average of the batch loss: the trend through the noise


class _Series:
    """A float64 array that grows at its end (capacity doubles): a plot takes a view of it
    with no copy, so an update costs the new points, not the whole run (a list turned into
    an array every update took ~7 ms at 20,000 batches)."""

    def __init__(self):
        self._data = np.empty(256, np.float64)
        self._n = 0

    def extend(self, values) -> None:
        values = np.asarray(values, np.float64)
        need = self._n + len(values)
        if need > len(self._data):
            grown = np.empty(max(need, 2 * len(self._data)), np.float64)
            grown[: self._n] = self._data[: self._n]
            self._data = grown
        self._data[self._n : need] = values
        self._n = need

    @property
    def values(self) -> np.ndarray:
        return self._data[: self._n]


class LossHistory:
    """Every batch loss, its smoothed trend, and per-epoch validation figures."""

    def __init__(self):
        self.clear()

    def clear(self) -> None:
        self._steps, self._losses, self._smoothed = _Series(), _Series(), _Series()
        self.epoch_steps: list[int] = []  # step at which each epoch ended
        self.val_loss: list[float] = []
        self.val_accuracy: list[float] = []
        self._ema: float | None = None

    # (N,) float64 views, valid until the next add_batches
    steps = property(lambda self: self._steps.values)
    losses = property(lambda self: self._losses.values)
    smoothed = property(lambda self: self._smoothed.values)

    def add_batches(self, points) -> None:
        steps, losses, smoothed = [], [], []
        for step, loss in points:
            if not math.isfinite(loss):
                continue  # a NaN is reported in words; it would wreck the plot's range
            ema = self._ema
            self._ema = loss if ema is None else SMOOTHING * ema + (1 - SMOOTHING) * loss
            steps.append(step)
            losses.append(loss)
            smoothed.append(self._ema)
        self._steps.extend(steps)
        self._losses.extend(losses)
        self._smoothed.extend(smoothed)

    def add_epoch(self, val_loss: float | None, val_accuracy: float | None) -> None:
        if val_loss is None:
            return
        self.epoch_steps.append(int(self.steps[-1]) if len(self.steps) else 0)
        self.val_loss.append(val_loss)
        self.val_accuracy.append(val_accuracy if val_accuracy is not None else float("nan"))
