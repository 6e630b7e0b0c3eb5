"""The training timeline without Qt (issue 17, part 1): which moments a run sends, how the
window's timeline keeps them within its budget, the companion file, and exporting one moment."""

import threading

import numpy as np
import pytest

from convviz.core.errors import WeightsError
from convviz.core.job_runner import JobRunner
from convviz.core.limits import TIMELINE_FIRST_EPOCH_MOMENTS, TIMELINE_MAX_MOMENTS
from convviz.core.network import build
from convviz.core.presets import preset
from convviz.core.shapes_data import make_arrays
from convviz.core.snapshot import WeightsSnapshot
from convviz.core.timeline import Moment, Timeline, changes, first_epoch_marks
from convviz.core.timeline_file import companion, load_timeline, save_timeline
from convviz.core.trainer_messages import Epoch, Kept, Snapshot
from convviz.core.trainer_pipe import PipeError, check_from_trainer
from convviz.core.training import TrainConfig


def _run(moments=True, epochs=3):
    spec = preset("shapes")
    X, y = make_arrays(spec.classes, 16, spec.input_size, seed=1, value_range=spec.value_range)
    stop, running = threading.Event(), threading.Event()
    running.set()
    got = []
    model = build(spec, seed=0)
    JobRunner(
        model,
        X,
        y,
        TrainConfig(epochs=epochs, batch_size=8, device="cpu", val_split=0.25),
        got.append,
        stop,
        running,
        interval=1e9,
        moments=moments,
    ).run()
    return model, got


def _timeline(got) -> Timeline:
    t = Timeline()
    for m in got:
        if isinstance(m, Kept):
            t.add(Moment(m.weights, m.epoch, m.step, m.end))
        elif isinstance(m, Epoch):
            t.add_epoch_result(m.report.epoch, m.report.confusion, m.report.val_accuracy)
    return t


@pytest.fixture(scope="module")
def run():
    return _run()


def test_first_epoch_marks_are_spread_evenly_without_the_epochs_end():
    assert first_epoch_marks(8, 8) == {1, 2, 3, 4, 5, 6, 7}
    assert first_epoch_marks(100, 4) == {25, 50, 75}
    assert first_epoch_marks(2, 8) == {1}  # a short epoch: fewer, never the end, never 0


def test_a_run_sends_the_start_a_few_first_epoch_moments_and_every_epochs_end(run):
    _model, got = run
    kept = [m for m in got if isinstance(m, Kept)]
    batches = 9  # 72 training images of 96 in batches of 8
    marks = sorted(first_epoch_marks(batches))
    assert [(m.epoch, m.step, m.end) for m in kept] == (
        [(0, 0, False)]
        + [(1, s, False) for s in marks]
        + [(e, e * batches, True) for e in (1, 2, 3)]
    )
    assert len(marks) == TIMELINE_FIRST_EPOCH_MOMENTS - 1
    # the epoch's end is sent before its report, which carries that epoch's confusion table
    order = [type(m) for m in got]
    first_epoch = order.index(Epoch)
    assert got[first_epoch - 1].end and got[first_epoch - 1].epoch == 1
    epochs = [m.report for m in got if isinstance(m, Epoch)]
    assert all(r.confusion.shape == (6, 6) and r.confusion.sum() == 24 for r in epochs)


def test_without_moments_nothing_is_marked_to_keep():
    _, got = _run(moments=False, epochs=1)
    assert not [m for m in got if isinstance(m, Kept)]
    assert [type(m) for m in _run(moments=True, epochs=1)[1]].count(Snapshot) == len(
        [m for m in got if isinstance(m, Snapshot)]
    )  # the live snapshots keep their rhythm
    assert [m.report.confusion.sum() for m in got if isinstance(m, Epoch)] == [24]


def test_the_timeline_keeps_confusions_with_epoch_ends_and_exact_weights(run):
    _, got = run
    t = _timeline(got)
    ends = [m for m in t.moments if m.end]
    assert [m.label for m in ends] == ["end of epoch 1", "end of epoch 2", "end of epoch 3"]
    assert t[0].label == "before training" and t[1].label == "epoch 1, step 1"
    epoch1 = next(m for m in got if isinstance(m, Kept) and m.end)
    assert np.array_equal(ends[0].snapshot.flat, epoch1.weights.flat)
    assert all(m.confusion is not None and m.val_accuracy is not None for m in ends)
    assert t[1].confusion is None
    moved = changes(t[0].snapshot, t[-1].snapshot)
    assert [c.layer for c in moved] == list(t[0].snapshot.weighted_layers)
    assert all(c.relative > 0 for c in moved)
    assert np.array_equal(moved[0].difference, moved[0].b - moved[0].a)


def _snap(value, size=250, network="net"):
    return WeightsSnapshot(
        network, ("votes",), ("layers.0.weight",), ((size,),), np.full(size, value, np.float32)
    )


def test_a_full_timeline_thins_the_first_epochs_extras_first_then_evenly():
    t = Timeline(budget_bytes=10 * 1000)  # 10 moments of 1,000 bytes
    t.add(Moment(_snap(0), 0, 0))
    for s in range(1, 8):
        t.add(Moment(_snap(s), 1, s))
    for e in range(1, 30):
        t.add(Moment(_snap(100 + e), e, 8 * e, end=True))
        assert len(t) <= 10 and t.nbytes <= 10 * 1000
    assert t[0].epoch == 0 and t[-1].epoch == 29  # the start and the newest stay
    assert all(m.end for m in t.moments[1:])  # the extras went first
    epochs = [m.epoch for m in t.moments[1:]]
    assert epochs == [4, 8, 12, 16, 20, 24, 28, 29]  # evenly, not the oldest dropped first
    assert t.thinned == 8 + 29 - len(t) and t.stride == 4


def test_no_timeline_for_a_network_too_large_and_none_mixing_networks():
    assert not Timeline(budget_bytes=2000).add(Moment(_snap(0), 0, 0))  # 2 moments: too few
    t = Timeline()
    assert t.add(Moment(_snap(0), 0, 0))
    assert not t.add(Moment(_snap(0, network="another"), 1, 1))
    assert len(t) == 1 and t.capacity(1) == TIMELINE_MAX_MOMENTS


def test_the_companion_file_round_trips_every_moment_exactly(run, tmp_path):
    model, got = run
    t = _timeline(got)
    weights = tmp_path / "net.safetensors"
    assert save_timeline(t, weights) == companion(weights) == tmp_path / "net.safetensors.timeline"
    back = load_timeline(weights, model.snapshot())
    assert [m.label for m in back.moments] == [m.label for m in t.moments]
    for a, b in zip(t.moments, back.moments, strict=True):
        assert np.array_equal(a.snapshot.flat, b.snapshot.flat)
        assert a.snapshot.network == b.snapshot.network
        assert (a.confusion is None) == (b.confusion is None)
        if a.confusion is not None:
            assert np.array_equal(a.confusion, b.confusion)
            assert a.val_accuracy == b.val_accuracy
    assert load_timeline(tmp_path / "none.safetensors", model.snapshot()) is None
    other = build(preset("lenet5"), seed=0).snapshot()
    with pytest.raises(WeightsError, match="another network"):
        load_timeline(weights, other)
    save_timeline(Timeline(), weights)  # saving weights without a timeline removes the old one
    assert not companion(weights).exists()


def test_the_pipe_refuses_a_moment_that_is_not_typed():
    shapes = {"layers.0.weight": (250,)}
    good = Kept(_snap(0), 1, 3, True)
    assert check_from_trainer(good, shapes, "net") is good
    for bad in (
        Kept(_snap(0), "1", 3),
        Kept(_snap(0), 1.5, 3),
        Kept(_snap(0), 1, None),
        Kept(_snap(0), 1, 3, 1),
        Kept(_snap(0, size=3), 1, 3),
        Kept(_snap(0, network="another"), 1, 3),
    ):
        with pytest.raises(PipeError, match="does not hold"):
            check_from_trainer(bad, shapes, "net")


def test_the_command_line_lists_the_moments_and_exports_one(run, tmp_path, capsys):
    from convviz.cli import main
    from convviz.core.weights import load_model, save_model

    model, got = run
    t = _timeline(got)
    weights = tmp_path / "net.safetensors"
    save_model(model, weights)
    save_timeline(t, weights)
    assert main(["export", str(weights), "--moments"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert len(listed) == len(t) and listed[0].split() == ["0", "before", "training"]
    assert "end of epoch 1  validation accuracy" in listed[_end_index(t, 1)]
    i = _end_index(t, 1)
    out = tmp_path / "epoch1.pt"
    assert main(["export", str(weights), "--moment", str(i), "--to", str(out)]) == 0
    back, info = load_model(out)
    assert np.array_equal(back.snapshot().flat, t[i].snapshot.flat)
    assert info["summary"]["moment"] == "end of epoch 1"
    assert not companion(out).exists()  # one moment has no timeline of its own
    assert "timeline" not in capsys.readouterr().out
    whole = tmp_path / "copy.safetensors"  # a plain export carries the timeline along
    capsys.readouterr()
    assert main(["export", str(weights), "--to", str(whole)]) == 0
    assert len(load_timeline(whole, model.snapshot())) == len(t)
    said = capsys.readouterr().out  # the second file is said, not written without a word
    assert f"wrote {companion(whole)}, its training timeline ({len(t)} moments" in said
    assert main(["export", str(weights)]) != 0
    assert "needs --to" in capsys.readouterr().err


def _end_index(t, epoch):
    return next(i for i, m in enumerate(t.moments) if m.end and m.epoch == epoch)
