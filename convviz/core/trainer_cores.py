"""How many torch threads a training run uses, how often it reports, and how nicely its
process yields to the window: the choices that depend on the machine's cores.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .train_config import TrainConfig

# Snapshots and progress go out together, so the window repaints once for both (measured: progress
# at 8 Hz apart from the snapshots, 0.80-0.85x of a bare loop; together at 4 Hz, 0.88-0.98x).
FAST_INTERVAL = 0.25  # s between live updates when the window has a core to itself
SHARED_INTERVAL = 0.5  # ... and when it shares every core with the trainer (see live_interval)
TRAINER_NICE = 0  # where the trainer watches its window (WindowWatch): normal priority
UNWATCHED_NICE = 10  # where it cannot (no /proc): it yields to the window at every repaint
# Measured on 2 cores (tests/bench/bench_busy.py, bench_app.py --load train-niceN): at nice 10 the
# window drew as fast while the trainer trained as on an idle machine, but the trainer took only
# about a tenth of any core another program at normal priority also wanted (next to another
# PyTorch program, 0.03x of its idle speed against 0.23x at nice 0). Watching the window and
# leaving it a core while the person draws gives the window its core without that loss.
WINDOW_BUSY_SHARE = 0.15  # of a core: the window is working (drawing: 0.3 of a core at 60 traces
# a second on 2 cores; showing the live training updates: 0.02 to 0.06)
WINDOW_SAMPLE_S = 0.1  # s between two readings of the window's CPU time
WINDOW_HOLD_S = 1.0  # s the trainer keeps the core free after the window last worked: a stroke
# pauses between moves, and each switch of the thread count costs a batch
WATCH_ENV = "CONVVIZ_TRAINER_WATCH"  # =0: no watch (for measuring), and UNWATCHED_NICE


def cores() -> int:
    omp = os.environ.get("OMP_NUM_THREADS", "")
    if omp.isdigit() and int(omp) > 0:  # the user's choice for the whole process
        return int(omp)
    return _cores_here()


def training_threads(device: str, own_process: bool) -> int:
    """The most torch threads training may use (threads.ThreadChooser picks the fastest count
    up to it as it trains). CONVVIZ_TRAIN_THREADS=n: exactly n.

    Torch's threads wait for each other at every op, so when the window takes a core from one of
    them, the whole team waits: each millisecond of window work costs the run about one
    millisecond of every thread. With 4 or more cores the trainer leaves one core to the window
    (one thread fewer costs little on a small network). On fewer cores a trainer process takes
    them all: one of two threads is only ~0.65x of two, and it leaves one to the window while
    the person draws (WindowWatch; or, where it cannot watch, runs at a lower priority than
    the window). Training in a thread
    of the window's process always leaves one core to the window: there it also shares
    Python's lock with every repaint."""
    from .threads import forced_threads

    forced = forced_threads()
    if forced:
        return forced
    n = cores()
    if not _on_cpu(device):
        return n
    if own_process and n < 4 and hasattr(os, "nice"):  # (no nice on Windows: leave a core)
        return n
    return max(1, n - 1)


def live_interval(device: str, own_process: bool) -> float:
    """Seconds between the trainer's live updates (new weights for the panels, loss points).

    Each update costs the window ~8 ms of CPU on a 2-core machine (new weights, a trace of the
    drawing, a repaint of every panel on screen). Where the window has a core of its own (a
    trainer that leaves one, see training_threads, or one that trains on a GPU) that is free:
    4 updates a second. Where the trainer's threads take every core, each millisecond of window
    work stops the whole thread team for about a millisecond, so 4 a second cost ~4% of the
    training speed; 2 a second halve that (measured on 2 cores: 1.04x the speed at 2 a second
    than at 4, median of 14 back-to-back pairs) and still show the features form.
    CONVVIZ_LIVE_INTERVAL=seconds overrides it."""
    try:
        wanted = float(os.environ.get("CONVVIZ_LIVE_INTERVAL", ""))
    except ValueError:  # unset, or not a number
        wanted = 0.0
    if wanted > 0:
        return wanted
    shares_cores = _on_cpu(device) and training_threads(device, own_process) >= _cores_here()
    return SHARED_INTERVAL if shares_cores else FAST_INTERVAL


def _cores_here() -> int:
    """The cores this process may run on, whatever OMP_NUM_THREADS says (with 1 there, a
    trainer on one thread leaves the window a core)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _on_cpu(device: str) -> bool:
    import torch

    if device == "auto":
        return not (torch.cuda.is_available() or torch.backends.mps.is_available())
    return device == "cpu"


def use_one_torch_thread_here() -> None:
    """Run this thread's torch work (the window's one-image traces) on one thread.

    A single 28x28 image gains nothing from a second thread, and a thread team of its own would
    compete with training for the cores. Call it before the thread's first torch op: torch's
    count is per thread but read lazily from the last count set anywhere, so `get_num_threads`
    first fixes this thread's count, then it is set to 1 for this thread only."""
    import torch

    if torch.get_num_threads() != 1:
        torch.set_num_threads(1)


def trainer_nice(watched: bool = True) -> int:
    """How much the trainer lowers its priority: TRAINER_NICE where it watches its window,
    UNWATCHED_NICE where it cannot, or CONVVIZ_TRAINER_NICE=n (0 to 19). Measured by
    tests/bench/bench_busy.py: next to other programs at the normal priority a lower one gives
    them most of a shared core."""
    wanted = os.environ.get("CONVVIZ_TRAINER_NICE", "")
    if wanted.isdigit():
        return min(int(wanted), 19)
    return TRAINER_NICE if watched else UNWATCHED_NICE


class WindowWatch:
    """The most torch threads the trainer should use now (a threads.Cap): every core while its
    window is idle, all but one while the window works (the person draws: a trace and a
    repaint 60 times a second) and for WINDOW_HOLD_S after. Each thread of a team waits for the
    others at every op, so a window that takes a core from one of them stalls the whole team,
    and the window's repaint waits for a core too; one thread fewer leaves it one.

    It reads the window process's CPU time (Linux: /proc) at most every WINDOW_SAMPLE_S, so it
    costs nothing per batch. `cpu_seconds` and `clock` are there for tests."""

    def __init__(
        self,
        cores: int,
        cpu_seconds: Callable[[], float | None],
        clock: Callable[[], float] = time.monotonic,
    ):
        self.cores, self.cpu_seconds, self.clock = cores, cpu_seconds, clock
        self._at, self._used = clock(), cpu_seconds()
        self._busy_until = float("-inf")

    def __call__(self) -> int:
        now = self.clock()
        if now - self._at >= WINDOW_SAMPLE_S:
            used = self.cpu_seconds()
            was = self._used
            if (
                used is not None
                and was is not None
                and (used - was) / (now - self._at) >= WINDOW_BUSY_SHARE
            ):
                self._busy_until = now + WINDOW_HOLD_S
            self._at, self._used = now, used
        return max(1, self.cores - 1) if now < self._busy_until else self.cores


def watch_window(pid: int) -> WindowWatch | None:
    """A WindowWatch on the window process `pid`; None where its CPU time cannot be read (not
    Linux), or with CONVVIZ_TRAINER_WATCH=0."""
    if os.environ.get(WATCH_ENV, "") == "0" or process_cpu_seconds(pid) is None:
        return None
    return WindowWatch(_cores_here(), lambda: process_cpu_seconds(pid))


def process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of process `pid` so far (all its threads); None if unreadable."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
        fields = stat[stat.rindex(b")") + 2 :].split()  # (the name may hold spaces)
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return None


def with_forced_threads(config: TrainConfig) -> TrainConfig:
    """A count forced here (CONVVIZ_TRAIN_THREADS) travels in the job: a warm trainer process
    started before it was set would not see it."""
    import dataclasses

    from .threads import forced_threads

    forced = forced_threads(config.threads)
    return dataclasses.replace(config, threads=forced) if forced else config
