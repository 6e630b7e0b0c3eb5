"""Training in a trainer process, without Qt: the messages, pause and stop across processes,
and the same weights as training in this process."""

import threading
import time
from pathlib import Path

import numpy as np
import pytest

from convviz.core import train_process, trainer_cores, trainer_pipe
from convviz.core.network import build
from convviz.core.presets import preset
from convviz.core.shapes_data import make_arrays
from convviz.core.train_process import JobRunner, TrainerProcess, TrainProgress
from convviz.core.trainer_messages import ENDINGS, Finished, Paused, Progress, Snapshot
from convviz.core.training import TrainConfig, train

ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]
WAIT = 60.0  # s: a cold process imports torch first


@pytest.fixture(scope="module")
def trainer():
    p = TrainerProcess()
    yield p
    p.close()


@pytest.fixture(scope="module")
def data():
    spec = preset("shapes")
    X, y = make_arrays(spec.classes, 12, spec.input_size, seed=3, value_range=spec.value_range)
    return spec, X, y


def _messages_until_the_end(trainer, on_message=None):
    got, t = [], time.monotonic()
    while time.monotonic() - t < WAIT:
        msg = trainer.recv(0.1)
        if msg is None:
            continue
        got.append(msg)
        if on_message is not None:
            on_message(msg)
        if isinstance(msg, ENDINGS):
            return got
    raise AssertionError(f"no ending within {WAIT} s; got {[m.kind for m in got]}")


def test_a_process_trains_exactly_as_this_process_does(trainer, data, monkeypatch):
    import torch

    spec, X, y = data
    config = TrainConfig(epochs=2, batch_size=16, val_split=0.25, device="cpu", seed=5)
    model = build(spec, seed=1)
    monkeypatch.setenv("CONVVIZ_TRAIN_THREADS", "1")  # both sides on one thread: same sums
    trainer.submit(model, X, y, config)
    got = _messages_until_the_end(trainer)
    kinds = [m.kind for m in got]
    assert kinds[0] == "snapshot" and kinds[1] == "started" and kinds[-1] == "finished"
    assert kinds.count("epoch") == 2
    steps = [s for m in got if isinstance(m, Progress) for s, _ in m.progress.losses]
    assert steps == list(range(1, 2 * 4 + 1))  # 54 training images / 16: 4 batches an epoch
    result, weights = got[-1].result, got[-1].weights
    here = build(spec, seed=1)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        expected = train(here, X, y, config)
    finally:
        torch.set_num_threads(threads)
    assert result.status == "done" and result.val_accuracy == expected.val_accuracy
    for k, v in here.state_dict().items():  # same seed, same data: the same weights
        np.testing.assert_allclose(weights[k], v.numpy(), rtol=1e-5, atol=1e-6)
    assert model.snapshot()["layers.0.weight"].tolist() != weights["layers.0.weight"].tolist()


@pytest.mark.parametrize("interval", [0.25, 0.5])
def test_snapshots_travel_with_progress_reports_at_the_live_interval(
    trainer, data, monkeypatch, interval
):
    spec, X, y = data
    monkeypatch.setenv("CONVVIZ_LIVE_INTERVAL", str(interval))  # read here, sent with the job
    trainer.reset_controls()
    trainer.submit(
        build(spec), X, y, TrainConfig(epochs=1000, batch_size=4, val_split=0, device="cpu")
    )
    kinds, times = [], []

    def stop_after_a_while(msg):
        kinds.append(msg.kind)
        times.append(time.monotonic())
        if isinstance(msg, Progress) and kinds.count("snapshot") >= 7:
            trainer.stop.set()

    _messages_until_the_end(trainer, stop_after_a_while)
    snaps = [i for i, k in enumerate(kinds) if k == "snapshot"][1:-1]  # not the first, last
    assert len(snaps) >= 4
    assert all(kinds[i + 1] == "progress" for i in snaps)  # one repaint in the window for both
    gaps = np.diff([times[i] for i in snaps])
    # (epochs here are a few ms long: each one's end may send an update sooner, never before
    # 0.9 of the interval since the last snapshot)
    assert 0.8 * interval < np.median(gaps) < 1.6 * interval


def test_pause_and_stop_reach_across_processes(trainer, data):
    spec, X, y = data
    trainer.reset_controls()
    trainer.submit(
        build(spec, seed=0), X, y, TrainConfig(epochs=500, batch_size=4, val_split=0, device="cpu")
    )
    events = []

    def steer(msg):
        events.append(f"paused={msg.paused}" if isinstance(msg, Paused) else msg.kind)
        if isinstance(msg, Progress) and "paused=True" not in events:
            trainer.running.clear()  # pause
        elif msg == Paused(True):
            trainer.stop.set()  # stop while paused: it must wake up to stop
            trainer.running.set()

    got = _messages_until_the_end(trainer, steer)
    assert "paused=True" in events and "paused=False" in events
    result, weights = got[-1].result, got[-1].weights
    assert result.status == "stopped" and len(result.epochs) < 500
    assert weights is not None


def test_a_job_that_cannot_start_fails_with_one_line_and_the_process_lives_on(trainer, data):
    spec, X, y = data
    trainer.reset_controls()
    trainer.submit(build(spec), X, y[:5], TrainConfig(epochs=1, device="cpu"))  # 5 labels
    got = _messages_until_the_end(trainer)
    assert got[-1].kind == "failed"
    message = got[-1].message
    assert "as many labels as images" in message and "\n" not in message
    assert trainer.alive()


def test_a_job_with_no_images_fails_in_one_line_without_raising(trainer, data):
    spec, X, y = data
    got = []
    stop, running = threading.Event(), threading.Event()
    running.set()
    JobRunner(
        build(spec), X[:0], y[:0], TrainConfig(epochs=1, device="cpu"), got.append, stop, running
    ).run()  # must not raise
    assert got[-1].kind == "failed" and "\n" not in got[-1].message
    trainer.reset_controls()
    trainer.submit(build(spec), X[:0], y[:0], TrainConfig(epochs=1, device="cpu"))
    ending = _messages_until_the_end(trainer)[-1]
    assert ending.kind == "failed" and ending.message == got[-1].message
    assert trainer.alive()


def test_a_paused_trainer_whose_window_dies_ends_too(tmp_path):
    import os
    import subprocess
    import sys

    script = tmp_path / "window.py"
    script.write_text(f"""
import os, sys, time
sys.path.insert(0, {str(ROOT)!r})
from convviz.core.network import build
from convviz.core.presets import preset
from convviz.core.shapes_data import make_arrays
from convviz.core.train_process import TrainerProcess
from convviz.core.trainer_messages import Paused
from convviz.core.training import TrainConfig

if __name__ == "__main__":
    spec = preset("shapes")
    X, y = make_arrays(spec.classes, 4, 28, seed=0, value_range=spec.value_range)
    p = TrainerProcess()
    p.submit(build(spec), X, y, TrainConfig(epochs=10000, batch_size=4, device="cpu"))
    while True:
        msg = p.recv(1.0)
        if msg and msg.kind == "progress":
            p.running.clear()  # pause
        if msg == Paused(True):
            print(p.process.pid, flush=True)
            os._exit(0)  # the window dies without a word
""")
    window = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    pid = int(window.stdout.readline())  # the trainer's, printed just before the window dies
    window.wait(30)
    window.stdout.close()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        if Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z":  # ended, not yet reaped
            break
        time.sleep(0.2)
    else:
        os.kill(pid, 9)
        raise AssertionError("the paused trainer outlived its window")


def test_the_runner_reports_the_same_in_a_thread(data):
    spec, X, y = data
    got = []
    stop, running = threading.Event(), threading.Event()
    running.set()
    model = build(spec, seed=2)
    JobRunner(
        model,
        X,
        y,
        TrainConfig(epochs=1, batch_size=8, val_split=0, device="cpu"),
        got.append,
        stop,
        running,
    ).run()
    assert got[-1].kind == "finished"
    progress = [m.progress for m in got if isinstance(m, Progress)]
    assert all(isinstance(p, TrainProgress) for p in progress)
    assert progress[-1].step == progress[-1].steps == 9  # 72 images / 8
    weights = got[-1].weights
    np.testing.assert_array_equal(weights["layers.0.weight"], model.snapshot()["layers.0.weight"])


def test_the_pool_forgets_a_dead_idle_process():
    train_process.prepare()
    dead = train_process.POOL.idle[0]
    dead.kill()
    train_process.prepare()  # a fresh one instead of the dead
    assert len(train_process.POOL.idle) == 1 and train_process.POOL.idle[0] is not dead
    fresh = train_process.POOL.idle[0]
    other = train_process.TrainerProcess()
    train_process.release(other)  # the pool has its idle one: this one is closed
    other.process.join(10)
    assert train_process.POOL.idle == [fresh] and not other.alive()


def test_the_pool_keeps_one_warm_process_and_closes_the_rest():
    first = train_process.acquire()
    second = train_process.acquire()
    try:
        assert first.process.pid != second.process.pid
        train_process.release(first)
        train_process.release(second)  # a second idle one is not kept
        assert train_process.POOL.idle == [first]
        second.process.join(10)
        assert not second.alive()
        assert train_process.acquire() is first  # reused, controls reset
        assert first.running.is_set() and not first.stop.is_set()
    finally:
        train_process.release(first)


@pytest.mark.parametrize(
    "cores, in_process, in_thread", [(1, 1, 1), (2, 2, 1), (3, 3, 2), (4, 3, 3), (16, 15, 15)]
)
def test_training_threads_leave_the_window_a_core_where_that_pays(
    monkeypatch, cores, in_process, in_thread
):
    monkeypatch.delenv("CONVVIZ_TRAIN_THREADS", raising=False)
    monkeypatch.setattr(trainer_cores, "cores", lambda: cores)
    assert train_process.training_threads("cpu", own_process=True) == in_process
    assert train_process.training_threads("cpu", own_process=False) == in_thread
    monkeypatch.setenv("CONVVIZ_TRAIN_THREADS", "5")
    assert train_process.training_threads("cpu", own_process=True) == 5


def test_without_a_lower_priority_the_trainer_leaves_the_window_a_core(monkeypatch):
    import os

    monkeypatch.delenv("CONVVIZ_TRAIN_THREADS", raising=False)
    monkeypatch.setattr(trainer_cores, "cores", lambda: 2)
    monkeypatch.delattr(os, "nice")  # as on Windows
    assert train_process.training_threads("cpu", own_process=True) == 1


@pytest.mark.parametrize(
    "cores, in_process, in_thread",
    [
        (1, "shared", "shared"),
        (2, "shared", "fast"),
        (3, "shared", "fast"),
        (4, "fast", "fast"),
        (16, "fast", "fast"),
    ],
)
def test_live_updates_slow_down_only_where_the_window_shares_every_core(
    monkeypatch, cores, in_process, in_thread
):
    monkeypatch.delenv("CONVVIZ_TRAIN_THREADS", raising=False)
    monkeypatch.delenv("CONVVIZ_LIVE_INTERVAL", raising=False)
    monkeypatch.setattr(trainer_cores, "cores", lambda: cores)
    monkeypatch.setattr(trainer_cores, "_cores_here", lambda: cores)
    rate = {"fast": trainer_cores.FAST_INTERVAL, "shared": trainer_cores.SHARED_INTERVAL}
    assert train_process.live_interval("cpu", own_process=True) == rate[in_process]
    assert train_process.live_interval("cpu", own_process=False) == rate[in_thread]
    # on a GPU the trainer's threads mostly wait for it: the window has room
    assert train_process.live_interval("cuda", own_process=True) == rate["fast"]
    monkeypatch.setenv("CONVVIZ_TRAIN_THREADS", "1")  # the person left cores free
    assert (
        train_process.live_interval("cpu", own_process=True)
        == rate["fast" if cores > 1 else "shared"]
    )
    monkeypatch.delenv("CONVVIZ_TRAIN_THREADS")
    monkeypatch.setattr(trainer_cores, "cores", lambda: 1)  # OMP_NUM_THREADS=1 on this machine
    assert (
        train_process.live_interval("cpu", own_process=True)
        == rate["fast" if cores > 1 else "shared"]
    )
    monkeypatch.setenv("CONVVIZ_LIVE_INTERVAL", "0.1")
    assert train_process.live_interval("cpu", own_process=True) == 0.1
    monkeypatch.setenv("CONVVIZ_LIVE_INTERVAL", "often")  # not a number: ignored
    assert train_process.live_interval("cpu", own_process=True) in rate.values()


def test_the_runner_sends_updates_at_its_interval_and_at_every_epochs_end(data):
    spec, X, y = data  # 72 images, 9 batches of 8 an epoch
    for interval, most in ((1e9, 3), (0.0, 27)):
        got = []
        stop, running = threading.Event(), threading.Event()
        running.set()
        JobRunner(
            build(spec, seed=2),
            X,
            y,
            TrainConfig(epochs=3, batch_size=8, val_split=0, device="cpu"),
            got.append,
            stop,
            running,
            interval=interval,
        ).run()
        progress = [m.progress for m in got if isinstance(m, Progress)]
        assert len(progress) == most  # never less often than each epoch's end
        assert sum(len(p.losses) for p in progress) == 27  # every batch's loss, once


def test_the_images_cross_to_the_trainer_without_a_copy_of_them_all(trainer, data):
    import tracemalloc

    spec, _, _ = data
    X = np.random.default_rng(0).random((20000, 1, 28, 28), dtype=np.float32)  # 63 MB
    y = np.zeros(len(X), np.int64)
    trainer.reset_controls()
    trainer.stop.set()  # stops before its first batch: only the sending matters here
    tracemalloc.start()
    try:
        trainer.submit(build(spec), X, y, TrainConfig(epochs=1, device="cpu"))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < X.nbytes / 8  # pickled whole, it was a second copy: more than X.nbytes
    got = _messages_until_the_end(trainer)
    assert got[-1].kind == "finished" and got[-1].result.status == "stopped"
    trainer.reset_controls()


def test_an_array_crosses_the_pipe_in_pieces_and_comes_out_whole(monkeypatch):
    import multiprocessing as mp

    monkeypatch.setattr(trainer_pipe, "CHUNK_BYTES", 1000)
    a, b = mp.Pipe()
    rng = np.random.default_rng(1)
    for X in (
        rng.random((37, 1, 28, 28), dtype=np.float32),  # 117 pieces, the last one short
        np.empty((0, 1, 28, 28), np.float32),  # nothing to send
        rng.integers(0, 255, (5, 3, 9, 9), dtype=np.uint8),
    ):
        sender = threading.Thread(target=trainer_pipe.send_array, args=(a, X))
        sender.start()
        got = trainer_pipe.recv_array(b, X.shape, X.dtype.str)
        sender.join()
        assert got.dtype == X.dtype and np.array_equal(got, X)
        assert not b.poll(0)  # every piece taken, nothing left over for the next message


def test_images_that_cannot_be_sent_fail_before_the_trainer_waits_for_them(trainer, data):
    spec, X, y = data
    trainer.reset_controls()
    with pytest.raises(TypeError):
        trainer.submit(build(spec), X.astype(object), y, TrainConfig(epochs=1, device="cpu"))
    trainer.submit(build(spec), X, y, TrainConfig(epochs=1, val_split=0, device="cpu"))
    got = _messages_until_the_end(trainer)  # the trainer was not left waiting for bytes
    assert got[-1].kind == "finished" and got[-1].result.status == "done"


# ---- the pipe, read by the window: a bad frame ends the run with one line -----------------


class _FakeTrainer(train_process.TrainerProcess):
    """A TrainerProcess whose "process" is this test: it writes the trainer's end of the pipe."""

    def __init__(self, model, labels):
        import multiprocessing as mp

        self.conn, self.trainer_end = mp.Pipe()
        self.process = _NoProcess()
        self.stop, self.running = threading.Event(), threading.Event()
        self.ready = True
        self._expect(model, labels)


class _NoProcess:
    exitcode = None

    def __init__(self):
        self.killed = False

    def is_alive(self):
        return not self.killed

    def kill(self):
        self.killed = True

    terminate = kill

    def join(self, timeout=None):
        pass


def _bad_frames(spec):
    import pickle

    model = build(spec, seed=0)
    good = model.snapshot()
    shrunk = {k: v[..., :1] for k, v in good.items()}
    return {
        "longer than its limit": lambda fake: fake.trainer_end.send_bytes(
            b"x" * (fake.frame_limit + 1)
        ),
        "no known kind": lambda fake: fake.trainer_end.send(("dance", 1)),
        "cannot be read": lambda fake: fake.trainer_end.send_bytes(b"not a pickle"),
        "does not hold": lambda fake: fake.trainer_end.send(Snapshot(shrunk)),
        "does not hold ": lambda fake: fake.trainer_end.send(Finished("done", good)),
        "no known kind ": lambda fake: fake.trainer_end.send_bytes(pickle.dumps([1, 2])),
    }, model


def test_a_bad_frame_from_the_trainer_ends_the_run_in_one_line(data, monkeypatch):
    spec, _X, y = data
    cases, model = _bad_frames(spec)
    for words, send in cases.items():
        fake = _FakeTrainer(model, len(y))
        if "limit" in words:
            fake.frame_limit = 4096  # (the real one is at least 64 MB: too much for a test)
        sender = threading.Thread(target=send, args=(fake,))
        sender.start()
        end = fake.recv(5)
        sender.join()
        line, weights = end.message, end.weights
        assert end.kind == "failed" and weights is None, words
        assert line.startswith("training ended: the trainer's pipe") and words.strip() in line
        assert "\n" not in line and fake.process.killed, words  # a fresh process next time
    fake = _FakeTrainer(model, len(y))  # and the good messages still pass
    sender = threading.Thread(
        target=lambda: [
            fake.trainer_end.send(Snapshot(model.snapshot())),
            fake.trainer_end.send(Paused(True)),
        ]
    )
    sender.start()
    assert isinstance(fake.recv(5), Snapshot) and fake.recv(5) == Paused(True)
    sender.join()


def test_the_limit_on_the_trainers_frames_follows_the_job(data):
    from convviz.core import limits

    spec, _X, y = data
    model = build(spec, seed=0)
    fake = _FakeTrainer(model, len(y))
    weights = sum(v.nbytes for v in model.snapshot().values())
    assert fake.frame_limit == (
        2 * weights + 16 * len(y) + 8 * len(spec.classes) ** 2 + limits.PIPE_SLACK_BYTES
    )
