"""The window's training worker branches on the message's class (issue 12): each typed message
becomes its signal, and an ending becomes the outcome, with no (kind, payload) unpacking."""

import numpy as np

from convviz.core.network import build
from convviz.core.presets import preset
from convviz.core.train_reports import TrainResult
from convviz.core.trainer_messages import Failed, Finished, Paused, Snapshot, Started
from convviz.core.training import TrainConfig
from convviz.qt.training.worker import TrainingWorker, TrainJob


def _worker():
    spec = preset("shapes")
    job = TrainJob(
        build(spec, seed=0),
        np.zeros((0, 1, 28, 28), np.float32),
        np.zeros(0, np.int64),
        TrainConfig(epochs=1, device="cpu"),
    )
    return TrainingWorker(job)


def test_each_typed_message_becomes_its_signal(qtbot):
    worker = _worker()
    seen = []
    worker.started_on.connect(lambda d: seen.append(("started_on", d)))
    worker.paused.connect(lambda p: seen.append(("paused", p)))
    worker.snapshot.connect(lambda w: seen.append(("snapshot", sorted(w))))
    weights = worker.job.model.snapshot()
    for msg in (Started("CPU (1 thread)"), Snapshot(weights), Paused(True)):
        worker._receive(msg)
    assert seen == [
        ("started_on", "CPU (1 thread)"),
        ("snapshot", sorted(weights)),
        ("paused", True),
    ]
    assert worker.last_snapshot is weights


def test_an_ending_becomes_the_outcome(qtbot):
    worker = _worker()
    failed, finished = [], []
    worker.failed.connect(failed.append)
    worker.finished.connect(finished.append)
    worker._receive(Failed("out of memory", None))
    assert failed == ["out of memory"] and finished[-1].error == "out of memory"
    result = TrainResult(status="stopped", message="stopped")
    worker._receive(Finished(result, None))
    assert finished[-1].result is result and finished[-1].status == "stopped"
