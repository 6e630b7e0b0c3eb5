"""The GPU path of the training loop (issue 18), checked on the CPU: what it copies and when it
reads, with a fake device where the real one is needed (pinned memory and CUDA events). The
tests that need a real GPU are in test_training.py and skip without one."""

import math
import sys
import types
from typing import ClassVar

import numpy as np
import pytest
import torch
from torch.overrides import TorchFunctionMode

from convviz.core import train_batches, training
from convviz.core.network import build
from convviz.core.presets import SHAPE_CLASSES, preset
from convviz.core.shapes_data import make_arrays
from convviz.core.training import GPU_LOSS_READ_EVERY, TrainConfig, train


@pytest.fixture(scope="module")
def data():
    return make_arrays(SHAPE_CLASSES, 30, 28, seed=5)


class Reads(TorchFunctionMode):
    """Counts the calls in convviz's code that bring a tensor's values to the host (each one a
    wait for a GPU). (Adam reads its step counts too, but those live on the host.)"""

    HOST = ("cpu", "item", "tolist")

    def __init__(self):
        super().__init__()
        self.calls: list[tuple[str, int]] = []
        self.callers: list[str] = []

    def __torch_function__(self, func, types_, args=(), kwargs=None):
        name = getattr(func, "__name__", "")
        caller = sys._getframe(1).f_globals.get("__name__", "")
        if name in self.HOST and caller.startswith("convviz") and isinstance(args[0], torch.Tensor):
            self.calls.append((name, args[0].numel()))
            self.callers.append(caller)
        return func(*args, **(kwargs or {}))


class FakeCudaEvent:
    log: ClassVar[list[tuple[str, int]]] = []

    def __init__(self):
        self.id = len([e for e in FakeCudaEvent.log if e[0] == "record"])

    def record(self):
        FakeCudaEvent.log.append(("record", self.id))

    def synchronize(self):
        FakeCudaEvent.log.append(("wait", self.id))


@pytest.fixture
def fake_pinned(monkeypatch):
    """train_batches sees a torch whose pinned memory is plain memory (there is no pinned
    allocator without an accelerator) and whose CUDA events only log what is asked of them."""
    pinned = []

    def empty(*shape, pin_memory=False, **kw):
        t = torch.empty(*shape, **kw)
        if pin_memory:
            pinned.append(t)
        return t

    class FakeTorch(types.SimpleNamespace):
        def __getattr__(self, name):  # everything else as torch has it
            return getattr(torch, name)

    fake = FakeTorch(empty=empty, cuda=types.SimpleNamespace(Event=FakeCudaEvent))
    monkeypatch.setattr(train_batches, "torch", fake)
    FakeCudaEvent.log = []
    return pinned


def test_batches_from_the_host_go_through_two_pinned_buffers_each_reused_after_its_copy(
    fake_pinned,
):
    x = torch.arange(10 * 4, dtype=torch.float32).reshape(10, 1, 2, 2)
    staged = train_batches.PinnedBatches(x, 3, torch.device("cpu"))
    assert len(fake_pinned) == 2 and all(b.shape == (3, 1, 2, 2) for b in fake_pinned)
    for sel in ([4, 0, 9], [1, 2, 3], [8, 7, 6], [5]):
        got = staged(torch.tensor(sel))
        assert torch.equal(got, x[sel])  # the batch asked for, the last one shorter
    # each buffer's copy is waited for only before that buffer is filled again, two batches on
    assert FakeCudaEvent.log == [
        ("record", 0),
        ("record", 1),
        ("wait", 0),
        ("record", 2),
        ("wait", 1),
        ("record", 3),
    ]


def test_images_kept_on_the_host_train_exactly_as_images_on_the_device(
    data, fake_pinned, monkeypatch
):
    x, y = data
    cfg = TrainConfig(epochs=2, batch_size=16, val_split=0.2, device="cpu", threads=1)
    on_device = build(preset("shapes"), seed=1)
    r_dev = train(on_device, x, y, cfg)
    assert not fake_pinned  # everything fitted: no staging
    monkeypatch.setattr(training, "_fits_on", lambda device, nbytes: False)
    staged = build(preset("shapes"), seed=1)
    r_host = train(staged, x, y, cfg)
    assert len(fake_pinned) == 2  # staged through the two buffers
    a, b = on_device.snapshot(), staged.snapshot()
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert r_host.val_accuracy == r_dev.val_accuracy
    assert [e.train_loss for e in r_host.epochs] == [e.train_loss for e in r_dev.epochs]


def test_on_a_gpu_the_losses_are_read_once_every_few_batches(data, monkeypatch):
    x, y = data
    monkeypatch.setattr(training, "_loss_read_every", lambda device: GPU_LOSS_READ_EVERY)
    cfg = TrainConfig(epochs=2, batch_size=4, val_split=0, device="cpu", threads=1)
    batches = math.ceil(len(y) / cfg.batch_size)
    reports = []
    with Reads() as reads:
        train(build(preset("shapes"), seed=1), x, y, cfg, on_batch=reports.append)
    assert len(reports) == 2 * batches  # every batch still reported
    loss_reads = [c for c in reads.calls if c[0] in ("item", "tolist")]
    # per epoch: one read per GPU_LOSS_READ_EVERY batches (the last at the epoch's end), no
    # other read of a value mid-epoch
    assert len(loss_reads) == 2 * math.ceil(batches / GPU_LOSS_READ_EVERY), loss_reads


def test_validation_reads_the_device_only_in_evaluate_not_for_the_labels(data, monkeypatch):
    x, y = data
    monkeypatch.setattr(training, "_loss_read_every", lambda device: GPU_LOSS_READ_EVERY)
    cfg = TrainConfig(epochs=3, batch_size=16, val_split=0.25, device="cpu", threads=1)
    with Reads() as reads:
        r = train(build(preset("shapes"), seed=1), x, y, cfg)
    # the loop itself reads only the losses (evaluate, in train_batches, reads its loss and its
    # predictions; the labels of the held-out images are known on the host already)
    own = [c for c, who in zip(reads.calls, reads.callers, strict=True) if who.endswith("training")]
    assert all(name == "tolist" for name, _ in own), own
    assert r.val_accuracy is not None and r.confusion is not None


def test_evaluate_reads_the_device_once_for_its_loss_and_predictions(data):
    x, y = data
    model = build(preset("shapes"), seed=1)
    xt, yt = torch.as_tensor(x), torch.as_tensor(y)
    with Reads() as reads:
        loss, said = train_batches.evaluate(model, xt, yt, batch_size=32)
    assert len(reads.calls) == 1, reads.calls  # (it was two: the loss, then the predictions)
    with torch.no_grad():
        out = model.eval()(xt)
    assert np.array_equal(said, out.argmax(1).numpy()) and said.dtype == np.int64
    assert loss == pytest.approx(torch.nn.functional.cross_entropy(out, yt).item(), rel=1e-5)


def test_a_weight_snapshot_is_one_copy_of_every_weight():
    model = build(preset("resnet"), seed=0)
    with Reads() as reads:
        snap = model.snapshot()
    total = sum(p.numel() for p in model.state_dict().values())
    assert reads.calls == [("cpu", total)]
    assert snap.flat.size == total


def _entries(layers):
    for t in layers:
        yield t.name, "values", t.values
        if t.winners is not None:
            yield t.name, "winners", t.winners
        yield from _entries(t.parts)


@pytest.mark.parametrize("name", ["shapes", "resnet", "spectrogram"])
def test_a_trace_is_one_copy_winners_and_block_insides_included(name, monkeypatch):
    from convviz.core import network

    model = build(preset(name), seed=0)
    spec = model.spec
    image = np.random.default_rng(0).random((spec.channels, spec.rows, spec.cols), np.float32)
    with Reads() as reads:
        trace = model.trace(image)
    assert [c[0] for c in reads.calls] == ["cpu"], reads.calls
    # the same entries, bit for bit and of the same types, as copying each tensor on its own
    monkeypatch.setattr(
        network,
        "_to_host",
        lambda ts: [
            t.cpu().numpy().astype(np.float32 if t.dtype.is_floating_point else np.int32)
            for t in ts
        ],
    )
    one_by_one = model.trace(image)
    got, want = list(_entries(trace.layers)), list(_entries(one_by_one.layers))
    assert [g[:2] for g in got] == [w[:2] for w in want]
    assert any(k == "winners" for _, k, _ in got) or name == "resnet"
    for (layer, key, a), (_, _, b) in zip(got, want, strict=True):
        assert a.dtype == b.dtype and a.shape == b.shape, (layer, key)
        assert np.array_equal(a, b), (layer, key)
