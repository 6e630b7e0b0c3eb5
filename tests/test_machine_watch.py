"""The machine watch (core/machine_watch.py): the cores other programs take are left out of the
thread counts training may use (mocked CPU times), and the command line and the trainer
process install it."""

import os

import pytest

from convviz.core import machine_watch as mw
from convviz.core.machine_watch import OTHERS_HOLD_S, OTHERS_SAMPLE_S, MachineWatch, watch_machine
from convviz.core.threads import ThreadChooser, lowest


class Cores:
    """A mocked machine: the cores' busy seconds, this process's own, on a clock the test moves."""

    def __init__(self, cores):
        self.now = self.busy = self.own = 0.0
        self.reads = 0
        self.watch = MachineWatch(cores, self._busy, lambda: self.own, clock=lambda: self.now)

    def _busy(self):
        self.reads += 1
        return self.busy

    def run(self, own, others, seconds, step=0.05):
        """This process uses `own` cores and other programs `others` for `seconds`; the watch
        is asked every step. Returns what it said each time."""
        said = []
        for _ in range(round(seconds / step)):
            self.now += step
            self.own += own * step
            self.busy += (own + others) * step
            said.append(self.watch())
        return said


def test_a_core_another_program_uses_is_left_out_and_given_back_after_a_hold():
    m = Cores(2)
    assert set(m.run(own=2.0, others=0.1, seconds=2)) == {2}  # daemons: the count stays
    busy = m.run(own=1.3, others=0.67, seconds=1)  # a busy loop gets ~2/3 core next to 2 threads
    # within two readings (the first may straddle the moment the other program started)
    assert busy[-1] == 1 and busy.index(1) <= 2 * round(OTHERS_SAMPLE_S / 0.05)
    assert m.watch.others == pytest.approx(0.67, abs=0.01)
    after = m.run(own=1.0, others=0.0, seconds=2 * OTHERS_HOLD_S)  # the other program ended
    assert after[0] == 1 and after[-1] == 2
    assert after.count(1) <= (OTHERS_HOLD_S + OTHERS_SAMPLE_S) / 0.05 + 1
    reads = m.reads
    m.run(own=2.0, others=0.0, seconds=1.0, step=0.001)  # asked before every batch
    assert m.reads - reads <= 1.0 / OTHERS_SAMPLE_S + 1  # read at most every OTHERS_SAMPLE_S


def test_it_counts_whole_cores_and_always_leaves_one():
    m = Cores(16)
    assert m.run(own=12.0, others=3.2, seconds=1)[-1] == 13
    assert m.run(own=1.0, others=30.0, seconds=1)[-1] == 1  # never none
    two = Cores(2)
    assert two.run(own=1.0, others=0.4, seconds=1)[-1] == 2  # under half a core: not taken


def test_unreadable_times_leave_the_count_alone():
    clock = [0.0]
    blind = MachineWatch(4, lambda: None, lambda: 1.0, clock=lambda: clock[0])
    for _ in range(20):
        clock[0] += 0.2
        assert blind() == 4


def test_next_to_another_program_the_count_that_needs_its_core_is_never_timed():
    """A 2-thread batch next to another PyTorch program takes many times a 1-thread one (issue
    18: 7 to 28x): under the watch the chooser never runs one, where without it each trial
    (at the start, then every 20 s) spends a batch on it."""
    m = Cores(2)
    m.run(own=1.0, others=1.0, seconds=1)  # the other program is already running
    clock, ran = [m.now], []
    chooser = ThreadChooser(
        2, set_threads=lambda n: None, clock=lambda: clock[0], cap=lowest(None, m.watch)
    )
    for _ in range(500):
        chooser.batch_started()
        ran.append(chooser.threads)
        m.run(own=1.0, others=1.0, seconds=0.1, step=0.1)
        clock[0] = m.now
        chooser.batch_done(64)
    assert set(ran) == {1} and chooser.trials == 0


def test_lowest_reads_every_cap():
    assert lowest(None, None) is None
    one = lambda: 3  # noqa: E731
    assert lowest(one, None) is one
    assert lowest(lambda: 3, lambda: 2)() == 2


@pytest.mark.skipif(not os.path.exists("/proc/stat"), reason="no /proc here: no watch")
def test_the_real_cores_are_read_and_the_watch_can_be_turned_off(monkeypatch):
    busy = mw.cores_busy_seconds(None)
    own = mw.own_cpu_seconds()
    assert busy is not None and busy > 0 and own is not None and own > 0
    if len(os.sched_getaffinity(0)) >= 2:
        assert watch_machine() is not None
    monkeypatch.setenv(mw.WATCH_ENV, "0")
    assert watch_machine() is None


def test_the_command_line_trains_under_the_watch(tmp_path, monkeypatch):
    from convviz.cli import main
    from convviz.core import training
    from convviz.core.shapes_data import write_folder

    sentinel = MachineWatch(2, lambda: 0.0, lambda: 0.0)
    monkeypatch.setattr(mw, "watch_machine", lambda: sentinel)
    seen = {}
    real = training.train

    def spy(*args, **kw):
        seen["cap"] = kw.get("cap")
        return real(*args, **kw)

    monkeypatch.setattr(training, "train", spy)
    write_folder(tmp_path / "data", per_class=4, seed=0, size=28)
    code = main(["train", str(tmp_path / "data"), "--out", str(tmp_path / "m.safetensors"),
                 "--epochs", "1", "--threads", "1"])  # fmt: skip
    assert code == 0 and seen["cap"] is sentinel
