"""What a run puts back when its loss turns NaN (core/last_good.py): the weights kept in one flat
tensor per dtype, followed on the device in a fixed number of operations whatever the network."""

import math

import numpy as np
import pytest
import torch
from torch.overrides import TorchFunctionMode

from convviz.core import training
from convviz.core.last_good import LastGood
from convviz.core.network import build
from convviz.core.presets import SHAPE_CLASSES, preset
from convviz.core.shapes_data import make_arrays
from convviz.core.training import TrainConfig, train


class Calls(TorchFunctionMode):
    def __init__(self):
        super().__init__()
        self.names: list[str] = []

    def __torch_function__(self, func, types_, args=(), kwargs=None):
        self.names.append(getattr(func, "__name__", str(func)))
        return func(*args, **(kwargs or {}))


def _weights():
    return [
        torch.arange(6, dtype=torch.float32).reshape(2, 3),
        torch.ones(4, dtype=torch.float64),
        torch.full((2, 2, 1, 1), 5.0),
    ]


def test_follow_keeps_the_weights_while_every_loss_is_finite_and_holds_them_after():
    live = _weights()
    kept = LastGood(live)
    for t in live:
        t.add_(1.0)
    kept.follow(torch.tensor(True))  # finite so far: the new weights are kept
    assert all(torch.equal(k, t) for k, t in zip(kept.kept, live, strict=True))
    good = [t.clone() for t in live]
    for t in live:
        t.fill_(math.nan)
    kept.follow(torch.tensor(False))  # a loss turned NaN: the kept ones stay
    kept.restore()
    assert all(torch.equal(t, g) and t.dtype == g.dtype for t, g in zip(live, good, strict=True))


def test_take_copies_the_weights_now():
    live = _weights()
    kept = LastGood(live)
    live[1].mul_(3)
    kept.take()
    live[1].zero_()
    kept.restore()
    assert torch.equal(live[1], torch.full((4,), 3.0, dtype=torch.float64))


@pytest.mark.parametrize("name", ["shapes", "resnet"])
def test_following_costs_the_same_few_operations_whatever_the_network(name):
    model = build(preset(name), seed=0)
    tensors = list(model.parameters()) + [b for b in model.buffers() if b.is_floating_point()]
    kept = LastGood(tensors)
    with Calls() as calls:
        kept.follow(torch.tensor(True))
    # per dtype: a view of each weight to concatenate (no kernel), one cat and one where
    assert calls.names.count("cat") == 1 and calls.names.count("where") == 1, calls.names
    assert len(tensors) > 5  # (many weight tensors: it was a where and a copy for each)


def test_losses_read_late_put_back_batch_norm_statistics_bit_for_bit(monkeypatch):
    """resnet (batch norm) with a poisoned image in a later batch: the run that judges the loss
    on the device (the GPU's way, read every 8 batches) ends on the very weights and running
    statistics of the run that reads every loss at once."""
    x, y = make_arrays(SHAPE_CLASSES, 12, 32, seed=3)
    x = np.repeat(x, 3, axis=1)  # resnet takes colour
    x[40, 0, 4, 4] = np.nan
    spec = preset("resnet").with_classes(SHAPE_CLASSES)
    cfg = TrainConfig(epochs=1, batch_size=8, val_split=0, device="cpu", threads=1, augment=False)
    states = []
    for every in (1, 8):
        monkeypatch.setattr(training, "_loss_read_every", lambda device, n=every: n)
        model = build(spec, seed=2)
        r = train(model, x, y, cfg)
        assert r.status == "diverged"
        states.append({k: v.clone() for k, v in model.state_dict().items()})
    a, b = states
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert all(torch.isfinite(v).all() for v in b.values() if v.is_floating_point())
