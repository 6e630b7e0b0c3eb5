"""The messages of a training run are typed (one dataclass per kind, issue 12): receivers branch
on the class; there is no (kind, payload) view left to read them by."""

import multiprocessing as mp
import threading

import numpy as np
import pytest

from convviz.core.job_runner import JobRunner
from convviz.core.network import build
from convviz.core.presets import preset
from convviz.core.shapes_data import make_arrays
from convviz.core.snapshot import WeightsSnapshot
from convviz.core.train_reports import TrainResult
from convviz.core.trainer_messages import (
    Epoch,
    Failed,
    Finished,
    Kept,
    Paused,
    Progress,
    Snapshot,
    Started,
    TrainProgress,
)
from convviz.core.trainer_pipe import PipeError, check_from_trainer, read_message
from convviz.core.training import TrainConfig


def _run(receiver, epochs=2):
    spec = preset("shapes")
    X, y = make_arrays(spec.classes, 8, spec.input_size, seed=1, value_range=spec.value_range)
    stop, running = threading.Event(), threading.Event()
    running.set()
    JobRunner(
        build(spec, seed=0),
        X,
        y,
        TrainConfig(epochs=epochs, batch_size=8, device="cpu"),
        receiver,
        stop,
        running,
        interval=0.0,
    ).run()


def test_a_run_sends_one_dataclass_per_kind_with_the_loops_own_counts():
    got = []
    _run(got.append)  # the receiver gets the messages themselves
    kinds = {type(m) for m in got}
    assert kinds == {Snapshot, Started, Progress, Epoch, Finished, Kept}
    progress = [m.progress for m in got if isinstance(m, Progress)]
    assert all(isinstance(p, TrainProgress) for p in progress)
    assert [s for p in progress for s, _ in p.losses] == list(range(1, progress[-1].steps + 1))
    assert progress[-1].step == progress[-1].steps and progress[-1].epochs == 2
    end = got[-1]
    assert isinstance(end, Finished) and isinstance(end.result, TrainResult)
    assert end.weights is not None and end.weights.keys() == got[0].weights.keys()


def test_a_message_is_no_longer_a_kind_and_payload_pair():
    assert Paused(True) == Paused(True) and Failed("no").message == "no"
    for msg in (Paused(True), Failed("no")):
        assert not hasattr(msg, "payload")
        with pytest.raises(TypeError):
            tuple(msg)
        with pytest.raises(TypeError):
            msg[0]


def test_the_pipe_takes_only_typed_messages_holding_what_their_kind_carries():
    a, b = mp.Pipe()
    a.send(("paused", True))  # the old untyped pair: no known kind now
    with pytest.raises(PipeError, match="no known kind"):
        read_message(b, 4096)
    a.send(Paused(True))
    assert check_from_trainer(read_message(b, 4096), {}) == Paused(True)
    shapes = {"w": (2, 2)}

    def snap(shape, network="net"):
        return WeightsSnapshot(
            network, ("votes",), ("w",), (shape,), np.zeros(int(np.prod(shape)), np.float32)
        )

    good = snap((2, 2))
    assert check_from_trainer(Snapshot(good), shapes, "net").weights is good
    for bad in (
        Paused("yes"),
        Snapshot(snap((3, 2))),
        Snapshot({"w": np.zeros((2, 2))}),
        Snapshot(snap((2, 2), "another net")),
        Finished("done", good),
        Failed(3),
        Progress({"loss": 1.0}),
    ):
        with pytest.raises(PipeError, match="does not hold"):
            check_from_trainer(bad, shapes, "net")


def test_each_message_is_named_in_error_lines_by_its_class():
    from convviz.core.trainer_messages import FROM_TRAINER

    assert [m.kind for m in FROM_TRAINER] == [
        "ready",
        "started",
        "snapshot",
        "progress",
        "epoch",
        "paused",
        "finished",
        "failed",
        "broken",
        "kept",
    ]
