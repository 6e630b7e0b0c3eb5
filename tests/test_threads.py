"""The training thread count: timed at the start and again after a jump or now and then (mocked
timings), the fastest kept; a forced count always wins."""

import pytest

from convviz.core import threads as threads_mod
from convviz.core.threads import FORCE_ENV, RECENT, ThreadChooser, candidates, forced_threads

IMAGES = 64


class Machine:
    """A mocked machine: each image costs `cost[threads]` seconds on a clock that only moves
    while a batch runs."""

    def __init__(self, cost):
        self.cost, self.now, self.threads, self.sets = dict(cost), 0.0, None, []
        self.ran: list[int] = []  # the thread count of every batch run

    def set_threads(self, n):
        self.threads = n
        self.sets.append(n)

    def clock(self):
        return self.now

    def chooser(self, most, forced=None, **kw):
        return ThreadChooser(most, forced, set_threads=self.set_threads, clock=self.clock, **kw)

    def run(self, chooser, batches, images=IMAGES):
        for _ in range(batches):
            chooser.batch_started()
            assert self.threads == chooser.threads  # torch's count is the one reported
            self.ran.append(self.threads)
            self.now += self.cost[self.threads] * images
            chooser.batch_done(images)


def trial_length(counts):
    # each count is timed for TRIAL_BATCHES batches; each count after the first also has a
    # warm-up batch after the switch
    return len(counts) * threads_mod.TRIAL_BATCHES + len(counts) - 1


def test_it_picks_the_faster_count():
    idle = Machine({1: 2e-4, 2: 1e-4})  # an idle 2-core machine: 2 threads twice as fast
    c = idle.chooser(2)
    assert c.threads == 1 and c.choosing  # times the fewest first (see the next test)
    idle.run(c, trial_length([1, 2]))
    assert not c.choosing and c.threads == 2 and set(c.timings) == {1, 2}
    busy = Machine({1: 2e-4, 2: 1.5e-3})  # another PyTorch program: 2 threads 7x slower
    c = busy.chooser(2)
    busy.run(c, trial_length([1, 2]))
    assert not c.choosing and c.threads == 1 and busy.threads == 1
    assert c.timings[2] == pytest.approx(1.5e-3) and c.timings[1] == pytest.approx(2e-4)
    busy.run(c, 50)  # nothing changes: it stays
    assert c.threads == 1 and c.trials == 1


def test_a_count_far_slower_than_one_timed_already_gets_one_batch_not_four():
    # next to another PyTorch program: 2 threads 7.5x slower than 1
    busy = Machine({1: 2e-4, 2: 1.5e-3})
    c = busy.chooser(2)
    busy.run(c, threads_mod.TRIAL_BATCHES + 1)
    assert not c.choosing and c.threads == 1
    assert busy.ran == [1] * threads_mod.TRIAL_BATCHES + [2]  # the fewest first, then one batch
    busy.now += threads_mod.RECHECK_S  # the periodic check: again one batch at 2 threads
    busy.run(c, 1 + threads_mod.TRIAL_BATCHES + 1)
    assert c.trials == 2 and not c.choosing and c.threads == 1
    assert busy.ran.count(2) == 2
    # on an idle machine 2 threads are faster: timed in full, and kept
    idle = Machine({1: 2e-4, 2: 1.3e-4})
    c = idle.chooser(2)
    idle.run(c, trial_length([1, 2]))
    assert c.threads == 2 and idle.ran.count(2) == threads_mod.TRIAL_BATCHES + 1


def test_on_many_cores_it_tries_halvings_and_keeps_the_fastest():
    m = Machine({1: 8e-4, 2: 4e-4, 4: 2e-4, 8: 3e-4, 16: 5e-4})  # half the cores are busy
    c = m.chooser(16)
    m.run(c, trial_length([1, 2, 4, 8, 16]))
    assert c.threads == 4 and sorted(c.timings) == [1, 2, 4, 8, 16]


def test_it_checks_again_when_the_batch_time_jumps():
    m = Machine({1: 2e-4, 2: 1e-4})
    c = m.chooser(2)
    m.run(c, trial_length([1, 2]) + 10)
    assert c.threads == 2 and c.trials == 1
    m.now += 3.0  # time passes elsewhere (an epoch's validation): not a batch, not counted
    m.cost[2] = 1.5e-3  # someone starts a PyTorch notebook
    m.run(c, RECENT)  # a few slow batches: the median has jumped
    assert c.trials == 2 and c.choosing
    m.run(c, trial_length([1, 2]))
    assert c.threads == 1 and not c.choosing
    m.cost[2] = 1e-4  # the notebook ends: one thread now runs as it did, no jump ...
    m.run(c, 20)
    assert c.trials == 2 and c.threads == 1
    m.now += threads_mod.RECHECK_S  # ... but the periodic check finds the faster count again
    m.run(c, 1 + trial_length([1, 2]))
    assert c.trials == 3 and c.threads == 2


def test_a_faster_machine_is_a_jump_too():
    m = Machine({1: 2e-4, 2: 1e-3})  # busy while it first timed
    c = m.chooser(2)
    m.run(c, trial_length([1, 2]))
    assert c.threads == 1
    m.now += threads_mod.MIN_GAP_S
    m.cost[1] = 5e-5  # the load went away and turbo came back: 4x faster
    m.cost[2] = 3e-5
    m.run(c, RECENT + trial_length([1, 2]))
    assert c.trials == 2 and c.threads == 2


def test_a_single_slow_batch_is_not_a_jump():
    m = Machine({1: 2e-4, 2: 1e-4})
    c = m.chooser(2)
    m.run(c, trial_length([1, 2]) + RECENT)
    m.now += threads_mod.MIN_GAP_S
    cost = m.cost[2]
    m.cost[2] = 5e-3  # one batch held up (a page fault, a repaint)
    m.run(c, 1)
    m.cost[2] = cost
    m.run(c, 2 * RECENT)
    assert c.trials == 1


def test_the_forced_count_wins_whatever_the_timings():
    m = Machine({1: 1e-4, 2: 1e-4, 3: 9e-3})
    c = m.chooser(2, forced=3)
    assert c.threads == 3 and not c.choosing and m.sets == [3]
    m.run(c, 200)
    m.now += 10 * threads_mod.RECHECK_S
    m.run(c, 200)
    assert m.sets == [3] and c.threads == 3 and c.trials == 0
    assert c.describe() == "3 threads (forced)"


def test_one_core_is_never_timed():
    m = Machine({1: 1e-4})
    c = m.chooser(1)
    m.run(c, 100)
    assert m.sets == [1] and c.trials == 0 and c.describe() == "1 thread (one core)"


def test_candidates_halve_down_to_one():
    assert candidates(1) == [1]
    assert candidates(2) == [1, 2]
    assert candidates(3) == [1, 3]
    assert candidates(6) == [1, 3, 6]
    assert candidates(16) == [1, 2, 4, 8, 16]
    assert candidates(0) == [1]


def test_forced_threads_the_option_then_the_environment(monkeypatch):
    monkeypatch.delenv(FORCE_ENV, raising=False)
    assert forced_threads() is None and forced_threads(0) is None
    assert forced_threads(3) == 3
    monkeypatch.setenv(FORCE_ENV, "2")
    assert forced_threads() == 2
    assert forced_threads(5) == 5  # --threads wins over the environment
    monkeypatch.setenv(FORCE_ENV, "100000")  # not a hundred thousand threads
    assert forced_threads() == threads_mod.MAX_THREADS
    for junk in ("0", "-1", "two", ""):
        monkeypatch.setenv(FORCE_ENV, junk)
        assert forced_threads() is None


# ---- the training loop and its callers use it ------------------------------------------------


@pytest.fixture(scope="module")
def small():
    from convviz.core.presets import preset
    from convviz.core.shapes_data import make_arrays

    spec = preset("shapes")
    X, y = make_arrays(spec.classes, 6, spec.input_size, seed=1, value_range=spec.value_range)
    return spec, X, y


def test_training_uses_and_reports_the_forced_count(small, monkeypatch):
    import torch

    from convviz.core.network import build
    from convviz.core.training import TrainConfig, train

    spec, X, y = small
    monkeypatch.delenv(FORCE_ENV, raising=False)
    seen = []
    before = torch.get_num_threads()
    try:
        r = train(
            build(spec, seed=0),
            X,
            y,
            TrainConfig(epochs=1, batch_size=4, val_split=0, device="cpu", threads=1),
            on_batch=lambda rep: seen.append((rep.threads, torch.get_num_threads())),
            max_threads=2,
        )
        assert r.threads == 1 and set(seen) == {(1, 1)}
        monkeypatch.setenv(FORCE_ENV, "1")  # the environment forces it too
        seen.clear()
        r = train(
            build(spec, seed=0),
            X,
            y,
            TrainConfig(epochs=1, batch_size=4, val_split=0, device="cpu"),
            on_batch=lambda rep: seen.append(rep.threads),
            max_threads=2,
        )
        assert r.threads == 1 and set(seen) == {1}
        assert torch.get_num_threads() == before  # the caller's count, as it was
    finally:
        torch.set_num_threads(before)


def test_training_times_the_counts_it_may_use(small, monkeypatch):
    import torch

    from convviz.core import training
    from convviz.core.network import build

    spec, X, y = small
    monkeypatch.delenv(FORCE_ENV, raising=False)
    made = []

    class Recording(ThreadChooser):
        def __init__(self, *a, **kw):
            super().__init__(*a, **kw)
            made.append(self)

    monkeypatch.setattr(training, "ThreadChooser", Recording)
    before = torch.get_num_threads()
    try:
        r = training.train(
            build(spec, seed=0),
            X,
            y,
            training.TrainConfig(epochs=2, batch_size=2, val_split=0, device="cpu"),
            max_threads=2,
        )
    finally:
        torch.set_num_threads(before)
    (c,) = made
    assert c.counts == [1, 2] and c.trials >= 1 and set(c.timings) == {1, 2}
    assert r.threads == c.threads and r.status == "done"


def test_a_forced_count_travels_to_a_trainer_process_started_before(monkeypatch):
    from convviz.core.trainer_cores import with_forced_threads
    from convviz.core.training import TrainConfig

    monkeypatch.delenv(FORCE_ENV, raising=False)
    assert with_forced_threads(TrainConfig()).threads == 0  # left to the trainer's chooser
    monkeypatch.setenv(FORCE_ENV, "1")
    assert with_forced_threads(TrainConfig()).threads == 1
    assert with_forced_threads(TrainConfig(threads=2)).threads == 2


def test_the_command_line_takes_threads_and_says_how_many(tmp_path, capsys, monkeypatch):
    from convviz.cli import main
    from convviz.core.shapes_data import write_folder

    monkeypatch.delenv(FORCE_ENV, raising=False)
    import torch

    write_folder(tmp_path / "data", per_class=4, seed=0, size=28)
    before = torch.get_num_threads()
    try:
        code = main(
            [
                "train",
                str(tmp_path / "data"),
                "--out",
                str(tmp_path / "m.safetensors"),
                "--epochs",
                "1",
                "--threads",
                "1",
            ]
        )
    finally:
        torch.set_num_threads(before)
    err = capsys.readouterr().err
    assert code == 0 and "on 1 CPU thread (forced)" in err
    assert (
        main(["train", str(tmp_path / "data"), "--out", str(tmp_path / "n.pt"), "--threads", "-2"])
        != 0
    )
    assert "threads must be at least 1" in capsys.readouterr().err
    assert (
        main(
            [
                "train",
                str(tmp_path / "data"),
                "--out",
                str(tmp_path / "n.pt"),
                "--threads",
                "100000",
            ]
        )
        != 0
    )
    assert "threads must be at most 256, got 100000" in capsys.readouterr().err
    assert not (tmp_path / "n.pt").exists()


def test_the_trainer_priority_can_be_set_for_measuring(monkeypatch):
    from convviz.core.trainer_cores import TRAINER_NICE, UNWATCHED_NICE, trainer_nice

    monkeypatch.delenv("CONVVIZ_TRAINER_NICE", raising=False)
    assert trainer_nice() == TRAINER_NICE == 0  # it watches its window instead
    assert trainer_nice(watched=False) == UNWATCHED_NICE == 10
    for text, want in (("0", 0), ("5", 5), ("40", 19), ("-3", TRAINER_NICE), ("low", TRAINER_NICE)):
        monkeypatch.setenv("CONVVIZ_TRAINER_NICE", text)
        assert trainer_nice() == want


def test_the_command_lines_progress_line_says_the_threads(capsys):
    from convviz.cli import _Progress
    from convviz.core.training import BatchReport

    p = _Progress()
    p.tty = True  # the line that rewrites itself on a terminal
    p.batch(BatchReport(1, 3, 10, 0.5, 4000.0, 12.0, threads=1))
    assert "4,000 img/s  1 thread  12s left" in capsys.readouterr().err
    p.batch(BatchReport(1, 4, 10, 0.5, 4000.0, 12.0, threads=2))
    assert "2 threads" in capsys.readouterr().err
    p.batch(BatchReport(1, 5, 10, 0.5, 4000.0, 12.0))  # a GPU: no thread count
    assert "thread" not in capsys.readouterr().err


# ---- a cap: the app's trainer leaves a core to its window while the person draws -------------


def test_a_cap_is_followed_at_once_and_the_counts_are_timed_again_when_it_lifts():
    idle = Machine({1: 2e-4, 2: 1e-4})
    cap = [2]
    c = idle.chooser(2, cap=lambda: cap[0])
    idle.run(c, trial_length([1, 2]))
    assert c.threads == 2 and c.trials == 1
    cap[0] = 1  # the window started working
    idle.run(c, 1)  # the batch after the cap came down already runs on one thread
    assert c.threads == 1 == idle.threads and not c.choosing
    idle.run(c, 200)  # while capped: nothing to time, no trial however long it lasts
    assert c.threads == 1 and c.trials == 1
    cap[0] = 2  # the window is idle again: both counts timed again, the faster kept
    idle.run(c, 1)
    assert c.choosing and c.trials == 2
    idle.run(c, trial_length([1, 2]))
    assert not c.choosing and c.threads == 2 == idle.threads


def test_a_cap_that_comes_down_mid_trial_times_only_what_it_allows():
    m = Machine({1: 6e-4, 2: 4e-4, 3: 3e-4})  # 3 cores
    cap = [3]
    c = m.chooser(3, cap=lambda: cap[0])
    assert c.choosing and c.counts == [1, 3]
    m.run(c, threads_mod.TRIAL_BATCHES + 2)  # 1 timed, 3 started
    assert c.threads == 3
    cap[0] = 2  # one core for the window: 1 and 2 are timed (2 is not a halving of 3)
    m.run(c, 1)
    assert c.choosing and c.trials == 2 and c.threads == 2  # 3 left at once
    m.run(c, trial_length([1, 2]) + 1)  # (a warm-up batch after the switch to 2 as well)
    assert not c.choosing and c.threads == 2 and set(c.timings) == {1, 2}
    assert 3 not in m.ran[-trial_length([1, 2]) :]


def test_a_cap_at_the_start_is_followed_from_the_first_batch_and_a_forced_count_ignores_it():
    m = Machine({1: 2e-4, 2: 1e-4})
    c = m.chooser(2, cap=lambda: 1)
    assert c.threads == 1 == m.threads and not c.choosing
    m.run(c, 30)
    assert m.sets == [1] and c.trials == 0
    f = m.chooser(2, forced=2, cap=lambda: 1)
    m.run(f, 30)
    assert f.threads == 2 == m.threads


def test_the_default_cap_is_the_one_the_trainer_process_set(monkeypatch):
    monkeypatch.setattr(threads_mod, "_default_cap", None)
    m = Machine({1: 2e-4, 2: 1e-4})
    c = m.chooser(2)
    m.run(c, trial_length([1, 2]))
    assert c.threads == 2
    threads_mod.set_default_cap(lambda: 1)
    c = m.chooser(2)
    m.run(c, trial_length([1, 2]))
    assert c.threads == 1 and c.trials == 0


class Window:
    """A mocked window process: CPU seconds it has used, on a clock the test moves."""

    def __init__(self):
        self.now, self.cpu, self.reads = 0.0, 0.0, 0

    def cpu_seconds(self):
        self.reads += 1
        return self.cpu

    def work(self, share, seconds, step=0.05):
        """The window uses `share` of a core for `seconds`; the watch is asked every step."""
        got = []
        for _ in range(round(seconds / step)):
            self.now += step
            self.cpu += share * step
            got.append(self.watch())
        return got


def _watched(cores):
    from convviz.core.trainer_cores import WindowWatch

    w = Window()
    w.watch = WindowWatch(cores, w.cpu_seconds, clock=lambda: w.now)
    return w


def test_the_window_watch_leaves_a_core_while_the_person_draws_and_a_little_after():
    from convviz.core.trainer_cores import WINDOW_HOLD_S, WINDOW_SAMPLE_S

    w = _watched(2)
    assert set(w.work(0.03, 2.0)) == {2}  # showing live training updates: idle enough
    drawing = w.work(0.35, 1.0)  # a trace and a repaint 60 times a second
    assert drawing[-1] == 1 and drawing.index(1) <= round(WINDOW_SAMPLE_S / 0.05)
    after = w.work(0.0, 2 * WINDOW_HOLD_S)  # the pen lifted
    assert after[0] == 1 and after[-1] == 2 and after.count(1) <= WINDOW_HOLD_S / 0.05 + 2
    reads = w.reads
    w.work(0.0, 1.0, step=0.001)  # asked before every batch: it reads the window's CPU time
    assert w.reads - reads <= 1.0 / WINDOW_SAMPLE_S + 1  # at most every WINDOW_SAMPLE_S


def test_the_window_watch_on_one_core_or_unreadable_leaves_the_count_alone():
    from convviz.core.trainer_cores import WindowWatch

    assert set(_watched(1).work(1.0, 1.0)) == {1}
    assert set(_watched(16).work(1.0, 1.0)[-3:]) == {15}
    clock = [0.0]
    blind = WindowWatch(2, lambda: None, clock=lambda: clock[0])
    for _ in range(20):
        clock[0] += 0.1
        assert blind() == 2


def test_the_window_process_cpu_time_is_read_from_proc(monkeypatch):
    import os
    import subprocess
    import sys

    from convviz.core.trainer_cores import process_cpu_seconds, watch_window

    if not os.path.exists("/proc/self/stat"):
        pytest.skip("no /proc here: the trainer falls back to a lower priority")
    mine = process_cpu_seconds(os.getpid())
    assert mine is not None and mine > 0
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    assert process_cpu_seconds(gone.pid) is None
    assert watch_window(os.getpid()) is not None
    monkeypatch.setenv("CONVVIZ_TRAINER_WATCH", "0")
    assert watch_window(os.getpid()) is None


@pytest.mark.parametrize("watch, nice", [("", 0), ("0", 10)])
def test_the_trainer_process_runs_at_normal_priority_where_it_watches_its_window(
    monkeypatch, watch, nice
):
    import os
    import time

    from convviz.core.train_process import TrainerProcess

    if not os.path.exists("/proc/self/stat"):
        pytest.skip("no /proc here")
    monkeypatch.delenv("CONVVIZ_TRAINER_NICE", raising=False)
    monkeypatch.setenv("CONVVIZ_TRAINER_WATCH", watch)
    mine = os.getpriority(os.PRIO_PROCESS, 0)
    p = TrainerProcess()
    try:
        t = time.monotonic()
        while not p.ready and time.monotonic() - t < 60:
            p.recv(0.1)
        assert p.ready
        assert os.getpriority(os.PRIO_PROCESS, p.process.pid) == min(19, mine + nice)
    finally:
        p.close()
