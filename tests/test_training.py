"""The training loop: it learns, it stops when asked, it survives a loss that blows up."""

import json
import math
from dataclasses import replace

import numpy as np
import pytest
import torch

from convviz.core.errors import ConvvizError, DataError
from convviz.core.network import build
from convviz.core.presets import SHAPE_CLASSES, preset
from convviz.core.shapes_data import make_arrays
from convviz.core.training import TrainConfig, augment_batch, evaluate, split_indices, train


@pytest.fixture(scope="module")
def shapes_data():
    train_set = make_arrays(SHAPE_CLASSES, 60, 28, seed=3)
    test_set = make_arrays(SHAPE_CLASSES, 30, 28, seed=4)  # drawn apart from the training set
    return train_set, test_set


def _accuracy(model, x, y):
    _, pred = evaluate(model, torch.as_tensor(x), torch.as_tensor(y))
    return float((pred == y).mean())


def test_short_training_clearly_raises_accuracy(shapes_data):
    (x, y), (xt, yt) = shapes_data
    model = build(preset("shapes"), seed=1)
    before = _accuracy(model, xt, yt)
    batches, epochs = [], []
    result = train(
        model,
        x,
        y,
        TrainConfig(epochs=4, batch_size=32, device="cpu"),
        on_batch=batches.append,
        on_epoch=epochs.append,
    )
    after = _accuracy(model, xt, yt)
    assert before < 0.35  # six classes: a fresh network is about as good as a guess
    assert after >= 0.7 and after > before + 0.4, (before, after)
    assert result.status == "done" and result.message == ""
    # callbacks: one report per batch and one per epoch, numbered from 1
    n_train = len(x) - 72  # 20% of 60 per class go to validation
    per_epoch = math.ceil(n_train / 32)
    assert len(batches) == 4 * per_epoch and len(epochs) == 4 == len(result.epochs)
    assert (batches[0].epoch, batches[0].batch, batches[0].batches) == (1, 1, per_epoch)
    assert (batches[-1].epoch, batches[-1].batch) == (4, per_epoch)
    assert batches[-1].seconds_left == 0 and all(b.images_per_second > 0 for b in batches)
    assert epochs[-1].train_loss < epochs[0].train_loss
    assert [e.epoch for e in epochs] == [1, 2, 3, 4]
    # validation: a stratified 20% share, reported as accuracy and a confusion matrix
    assert result.val_accuracy == epochs[-1].val_accuracy and result.val_accuracy >= 0.7
    assert len(result.val_indices) == 72
    assert np.array_equal(np.bincount(y[result.val_indices]), [12] * 6)
    assert result.confusion.shape == (6, 6) and result.confusion.sum() == 72
    assert np.array_equal(result.confusion.sum(1), [12] * 6)  # rows are the true classes
    assert np.trace(result.confusion) == round(result.val_accuracy * 72)
    assert result.images_per_second > 0 and result.seconds > 0 and "CPU" in result.device
    summary = json.loads(json.dumps(result.summary()))  # plain data, fit for metadata
    assert summary["status"] == "done" and summary["epochs"] == 4
    assert len(summary["history"]) == 4
    assert not model.training  # left in eval mode


def test_should_stop_ends_training_after_the_current_batch(shapes_data):
    (x, y), _ = shapes_data
    model = build(preset("shapes"), seed=1)
    seen = []
    result = train(
        model,
        x,
        y,
        TrainConfig(epochs=5, batch_size=16, device="cpu"),
        on_batch=seen.append,
        should_stop=lambda: len(seen) >= 3,
    )
    assert result.status == "stopped" and "epoch 1" in result.message
    assert len(seen) == 3 and result.epochs == []
    assert result.val_accuracy is not None  # the caller still learns where the model stands


def test_stop_before_any_batch_leaves_the_weights_alone(shapes_data):
    (x, y), _ = shapes_data
    model = build(preset("shapes"), seed=1)
    before = model.snapshot()
    result = train(model, x, y, TrainConfig(epochs=2, device="cpu"), should_stop=lambda: True)
    assert result.status == "stopped"
    after = model.snapshot()
    assert all(np.array_equal(before[k], after[k]) for k in before)


def _all_finite(model):
    return all(torch.isfinite(p).all() for p in model.state_dict().values())


def test_huge_learning_rate_diverges_and_keeps_the_last_good_weights(shapes_data):
    (x, y), _ = shapes_data
    x, y = x[::6], y[::6]
    model = build(preset("shapes"), seed=1)
    start = model.snapshot()
    result = train(
        model, x, y, TrainConfig(epochs=3, batch_size=8, lr=1e12, val_split=0, device="cpu")
    )
    assert result.status == "diverged"
    assert "nan" in result.message.lower() or "inf" in result.message.lower()
    assert "smaller learning rate" in result.message and "\n" not in result.message
    assert _all_finite(model)
    # the first step blew the weights up; the loss they gave was the first non-finite one, so
    # the weights kept are the ones from before that step: the starting weights
    end = model.snapshot()
    assert all(np.array_equal(start[k], end[k]) for k in start)


def test_nan_in_the_data_diverges_later_with_the_last_weights_that_gave_a_finite_loss(shapes_data):
    (x, y), _ = shapes_data
    x = x.copy()
    x[5, 0, 10, 10] = np.nan  # one poisoned pixel in one image
    model = build(preset("shapes"), seed=1)
    snaps = [model.snapshot()]  # the weights each batch starts from
    result = train(
        model,
        x,
        y,
        TrainConfig(epochs=2, batch_size=32, val_split=0, device="cpu"),
        on_batch=lambda r: snaps.append(model.snapshot()),
    )
    assert result.status == "diverged" and "nan" in result.message
    assert len(snaps) >= 3  # a few good batches came first (the poisoned one is not first)
    assert _all_finite(model)
    # snaps[-1]: the weights the poisoned batch started from; they never gave a finite loss, so
    # the ones kept are those of the last batch whose loss was finite
    end = model.snapshot()
    assert all(np.array_equal(snaps[-2][k], end[k]) for k in end)
    assert not all(np.array_equal(snaps[0][k], end[k]) for k in end)  # training did happen
    assert result.summary()["status"] == "diverged"


def test_nan_puts_back_the_batch_norm_running_statistics_too():
    from convviz.core.layers import BatchNorm
    from convviz.core.spec import Conv, Flatten, NetworkSpec, ReLU

    spec = NetworkSpec(
        "bn", 8, 1, (-1.0, 1.0), (Conv(3, 3), BatchNorm(), ReLU(), Flatten()), ("a", "b")
    )
    x, y = make_arrays(("X", "O"), 40, 8, seed=3)
    x[50, 0, 4, 4] = np.nan  # one poisoned image, in a later batch
    model = build(spec, seed=0)
    stats = [{k: v.clone() for k, v in model.state_dict().items() if "running" in k}]

    def kept(_report):  # the statistics as each batch with a finite loss left them
        stats.append({k: v.clone() for k, v in model.state_dict().items() if "running" in k})

    cfg = TrainConfig(epochs=1, batch_size=16, val_split=0, device="cpu", augment=False)
    result = train(model, x, y, cfg, on_batch=kept)
    assert result.status == "diverged" and len(stats) >= 2
    end = {k: v for k, v in model.state_dict().items() if "running" in k}
    assert end and all(torch.isfinite(v).all() for v in end.values())
    assert all(torch.equal(end[k], stats[-1][k]) for k in end)


def test_fixed_features_stay_fixed_while_training():
    x, y = make_arrays(("X", "O"), 20, 9, seed=2)
    model = build(preset("xo"), seed=0)
    feats = model.snapshot()["layers.0.weight"]
    votes = model.snapshot()["layers.4.weight"]
    train(model, x, y, TrainConfig(epochs=2, batch_size=8, lr=0.02, device="cpu"))
    assert np.array_equal(model.snapshot()["layers.0.weight"], feats)
    assert not np.array_equal(model.snapshot()["layers.4.weight"], votes)


def test_same_seed_trains_the_same_weights(shapes_data):
    (x, y), _ = shapes_data
    x, y = x[::4], y[::4]
    runs = []
    for _ in range(2):
        model = build(preset("shapes"), seed=2)
        train(model, x, y, TrainConfig(epochs=1, batch_size=16, seed=5, augment=True, device="cpu"))
        runs.append(model.snapshot())
    assert all(np.allclose(runs[0][k], runs[1][k], atol=1e-6) for k in runs[0])


def test_training_matches_a_plain_loop_over_the_training_split(shapes_data):
    """The reference: the split copied out, then shuffled batches of it, Adam, no extras. The
    app's loop gathers each batch from all the images by index instead of copying the split
    (half the memory); the batches, and so the weights, must come out the same."""
    import torch.nn.functional as F

    (x, y), _ = shapes_data
    cfg = TrainConfig(
        epochs=2,
        batch_size=16,
        lr=3e-3,
        val_split=0.25,
        seed=5,
        augment=False,
        device="cpu",
        keep_best=False,
        threads=1,
    )
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the same sums in the same order on both sides
    try:
        model = build(preset("shapes"), seed=2)
        train(model, x, y, cfg)
        ref = build(preset("shapes"), seed=2)
        torch.manual_seed(cfg.seed)
        gen = torch.Generator().manual_seed(cfg.seed)
        tr_idx, _ = split_indices(y, cfg.val_split, cfg.seed)
        x_tr, y_tr = torch.as_tensor(x[tr_idx]), torch.as_tensor(y[tr_idx], dtype=torch.int64)
        opt = torch.optim.Adam(ref.parameters(), lr=cfg.lr)
        ref.train()
        for _ in range(cfg.epochs):
            order = torch.randperm(len(tr_idx), generator=gen)
            for b in range(0, len(order), cfg.batch_size):
                sel = order[b : b + cfg.batch_size]
                loss = F.cross_entropy(ref(x_tr[sel]), y_tr[sel])
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
    finally:
        torch.set_num_threads(threads)
    got, want = model.snapshot(), ref.snapshot()
    assert all(np.array_equal(got[k], want[k]) for k in want)


@pytest.mark.parametrize(
    "change,words",
    [
        ({"epochs": 0}, "epochs must be at least 1, got 0"),
        ({"batch_size": 0}, "batch size must be at least 1, got 0"),
        ({"lr": 0.0}, "learning rate must be a positive number, got 0.0"),
        ({"lr": -1.0}, "learning rate must be a positive number"),
        ({"lr": float("nan")}, "learning rate must be a positive number, got nan"),
        ({"lr": float("inf")}, "learning rate must be a positive number, got inf"),
        ({"val_split": 1.0}, "validation split must be in 0..1"),
        ({"val_split": -0.1}, "validation split must be in 0..1"),
    ],
)
def test_config_validation(change, words):
    cfg = TrainConfig(**change)
    with pytest.raises(ConvvizError) as info:
        cfg.check()
    assert words in str(info.value) and "\n" not in str(info.value)
    x, y = make_arrays(("X", "O"), 2, 9)
    with pytest.raises(ConvvizError, match=words.split(",")[0]):
        train(build(preset("xo")), x, y, cfg)  # train() checks before doing anything


def test_bad_labels_and_device_are_refused():
    x, y = make_arrays(("X", "O"), 3, 9)
    model = build(preset("xo"))
    with pytest.raises(DataError, match="6 images, 5 labels"):
        train(model, x, y[:5], TrainConfig(device="cpu"))
    with pytest.raises(DataError, match=r"labels must be 0\.\.1 for 2 classes"):
        train(model, x, y + 1, TrainConfig(device="cpu"))
    with pytest.raises(DataError, match="0 images"):
        train(model, x[:0], y[:0], TrainConfig(device="cpu"))
    with pytest.raises(ConvvizError, match="unknown device 'tpu'"):
        train(model, x, y, TrainConfig(device="tpu"))


def test_split_is_stratified_and_disjoint():
    y = np.repeat(np.arange(3), [10, 5, 2])
    tr, va = split_indices(y, 0.2, seed=0)
    assert sorted(np.concatenate([tr, va]).tolist()) == list(range(len(y)))
    assert np.bincount(y[va], minlength=3).tolist() == [2, 1, 1]  # at least 1 when possible
    tr, va = split_indices(y, 0.0, seed=0)
    assert len(va) == 0 and len(tr) == len(y)
    single = np.array([0, 1, 1, 1])  # a class with one image gives it to training
    tr, va = split_indices(single, 0.5, seed=0)
    assert 0 in tr and 0 not in va


def test_augment_keeps_the_background_and_the_shape_size():
    gen = torch.Generator().manual_seed(0)
    blank = torch.full((4, 1, 28, 28), -1.0)
    out = augment_batch(blank, -1.0, gen)
    assert out.shape == blank.shape and torch.allclose(out, blank, atol=1e-6)
    x, _ = make_arrays(("plus",), 4, 28, seed=1)
    moved = augment_batch(torch.as_tensor(x), -1.0, gen)
    assert not torch.allclose(moved, torch.as_tensor(x))  # something moved
    ink_before = (torch.as_tensor(x) + 1).sum((1, 2, 3))
    ink_after = (moved + 1).sum((1, 2, 3))
    assert torch.all((ink_after / ink_before - 1).abs() < 0.45)  # scale 0.85..1.15 -> area


# ---- the best epoch is kept ------------------------------------------------------------------


def _epoch_snapshots(model):
    snaps = {}
    return snaps, lambda rep: snaps.__setitem__(rep.epoch, (rep, model.snapshot()))


def test_a_finished_run_keeps_its_best_validation_epoch_and_reports_the_last(shapes_data):
    (x, y), _ = shapes_data
    x, y = x[::3], y[::3]
    cfg = TrainConfig(
        epochs=5, batch_size=16, lr=3e-3, val_split=0.3, device="cpu", augment=False, threads=1
    )
    model = build(preset("shapes"), seed=1)
    snaps, on_epoch = _epoch_snapshots(model)
    result = train(model, x, y, cfg, on_epoch=on_epoch)
    reps = [rep for rep, _ in snaps.values()]
    best = max(reps, key=lambda r: (r.val_accuracy, -r.val_loss)).epoch
    assert best != 5, "this data and seed were chosen for a best epoch before the last"
    assert result.best_epoch == best and result.status == "done"
    end = model.snapshot()
    assert all(np.array_equal(end[k], snaps[best][1][k]) for k in end)
    assert result.val_accuracy == snaps[best][0].val_accuracy  # the kept weights' figure ...
    assert result.last_val_accuracy == snaps[5][0].val_accuracy  # ... and the last epoch's
    assert result.summary()["best_epoch"] == best
    assert result.confusion.sum() == len(result.val_indices)
    # asked not to, it ends with the last epoch's weights
    model = build(preset("shapes"), seed=1)
    snaps, on_epoch = _epoch_snapshots(model)
    result = train(model, x, y, replace(cfg, keep_best=False), on_epoch=on_epoch)
    end = model.snapshot()
    assert result.best_epoch is None
    assert all(np.array_equal(end[k], snaps[5][1][k]) for k in end)


def test_a_stopped_run_keeps_the_weights_it_stopped_with(shapes_data):
    (x, y), _ = shapes_data
    model = build(preset("shapes"), seed=1)
    batches = []
    result = train(
        model,
        x,
        y,
        TrainConfig(epochs=3, batch_size=16, val_split=0.3, device="cpu", threads=1),
        on_batch=lambda r: batches.append(model.snapshot()),
        should_stop=lambda: len(batches) >= 20,
    )
    assert result.status == "stopped" and result.best_epoch is None
    end = model.snapshot()
    assert all(np.array_equal(end[k], batches[-1][k]) for k in end)


# ---- the GPU's way of reading losses, run on the CPU -------------------------------------------


def _run(x, y, cfg, read_every, monkeypatch):
    from convviz.core import training

    monkeypatch.setattr(training, "_loss_read_every", lambda device: read_every)
    model = build(preset("shapes"), seed=1)
    reports = []
    result = train(
        model, x, y, cfg, on_batch=lambda r: reports.append((r.epoch, r.batch, r.batches, r.loss))
    )
    return result, reports, model.snapshot()


def test_losses_read_every_few_batches_give_the_same_points_and_weights(shapes_data, monkeypatch):
    (x, y), _ = shapes_data
    cfg = TrainConfig(epochs=2, batch_size=16, val_split=0.25, device="cpu", threads=1)
    r1, rep1, w1 = _run(x, y, cfg, 1, monkeypatch)
    r4, rep4, w4 = _run(x, y, cfg, 4, monkeypatch)
    assert rep1 == rep4 and len(rep1) == 2 * rep1[0][2]  # every batch, in order, same loss
    assert all(np.array_equal(w1[k], w4[k]) for k in w1)
    assert [e.train_loss for e in r1.epochs] == [e.train_loss for e in r4.epochs]


def test_losses_read_late_still_keep_the_last_weights_that_gave_a_finite_loss(
    shapes_data, monkeypatch
):
    (x, y), _ = shapes_data
    x = x.copy()
    x[5, 0, 10, 10] = np.nan  # one poisoned image: its batch's loss is NaN
    cfg = TrainConfig(epochs=2, batch_size=32, val_split=0, device="cpu", threads=1)
    r1, rep1, w1 = _run(x, y, cfg, 1, monkeypatch)
    r8, rep8, w8 = _run(x, y, cfg, 8, monkeypatch)
    assert r1.status == r8.status == "diverged" and r1.message == r8.message
    assert rep1 == rep8 and all(math.isfinite(r[3]) for r in rep8)  # the NaN is not plotted
    assert all(np.array_equal(w1[k], w8[k]) for k in w1)
    assert _all_finite_snapshot(w8)


def _all_finite_snapshot(snap):
    return all(np.isfinite(v).all() for v in snap.values())


# ---- on a GPU (skipped without one) ----------------------------------------------------------

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


@cuda
def test_images_too_many_for_the_gpu_go_through_pinned_memory_with_the_same_result(
    shapes_data, monkeypatch
):
    from convviz.core import training

    (x, y), _ = shapes_data
    cfg = TrainConfig(epochs=2, batch_size=16, val_split=0.25, device="cuda", augment=False)
    on_device = build(preset("shapes"), seed=1)
    r_dev = train(on_device, x, y, cfg)
    monkeypatch.setattr(training, "DEVICE_SHARE", 0.0)  # nothing fits: staged from the host
    staged = build(preset("shapes"), seed=1)
    r_host = train(staged, x, y, cfg)
    assert r_host.status == r_dev.status == "done"
    a, b = on_device.snapshot(), staged.snapshot()
    for k in a:  # the same batches; cuDNN's backward may still sum in another order
        np.testing.assert_allclose(b[k], a[k], atol=1e-4, rtol=1e-4, err_msg=k)
    assert abs(r_host.val_accuracy - r_dev.val_accuracy) <= 0.02


@cuda
def test_the_gpu_loop_waits_for_the_device_only_every_few_batches(shapes_data):
    import warnings

    from convviz.core.training import GPU_LOSS_READ_EVERY

    (x, y), _ = shapes_data
    cfg = TrainConfig(epochs=1, batch_size=4, val_split=0, device="cuda")
    model = build(preset("shapes"), seed=1).cuda()
    train(model, x[:64], y[:64], replace(cfg, epochs=1))  # warm: first-use work is not counted
    batches = math.ceil(len(x) / cfg.batch_size)
    torch.cuda.set_sync_debug_mode("warn")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            train(model, x, y, cfg)
    finally:
        torch.cuda.set_sync_debug_mode("default")
    syncs = [w for w in caught if "synchroniz" in str(w.message).lower()]
    # the loss reads, the per-epoch order, setting up and the end: far fewer than one a batch
    assert len(syncs) <= batches / GPU_LOSS_READ_EVERY + 12, len(syncs)


def test_each_batch_report_carries_the_runs_own_counts(shapes_data):
    """The loop counts steps, images seen, the split and pauses once; a caller (the trainer's
    progress reports, the command line) reads them instead of counting again (issue 12)."""
    (X, y), _ = shapes_data
    X, y = X[:90], y[:90]
    reports, asked = [], [0]

    def pause_a_little():
        asked[0] += 1
        if asked[0] == 3:  # a paused caller waits inside should_stop: not training time
            import time

            time.sleep(0.2)
        return False

    cfg = TrainConfig(epochs=2, batch_size=16, val_split=0.2, device="cpu", augment=False)
    train(
        build(preset("shapes"), seed=0),
        X,
        y,
        cfg,
        on_batch=reports.append,
        should_stop=pause_a_little,
    )
    n_train = len(split_indices(y, 0.2, 0)[0])
    batches = math.ceil(n_train / 16)
    assert [r.step for r in reports] == list(range(1, 2 * batches + 1))
    assert {r.steps for r in reports} == {2 * batches} and {r.epochs for r in reports} == {2}
    assert {(r.train_images, r.val_images) for r in reports} == {(n_train, 90 - n_train)}
    assert [r.seen for r in reports[:batches]] == [
        min(16 * k, n_train) for k in range(1, batches + 1)
    ]
    assert reports[-1].seen == 2 * n_train
    assert reports[0].paused_seconds < 0.2 <= reports[2].paused_seconds
    assert reports[-1].seconds_left == 0 and all(r.images_per_second > 0 for r in reports)
