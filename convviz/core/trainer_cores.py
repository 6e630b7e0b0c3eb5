"""How many torch threads a training run uses, how often it reports, and how nicely its
process yields to the window: the choices that depend on the machine's cores.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .train_config import TrainConfig

# Snapshots and progress go out together, so the window repaints once for both (measured: progress
# at 8 Hz apart from the snapshots, 0.80-0.85x of a bare loop; together at 4 Hz, 0.88-0.98x).
FAST_INTERVAL = 0.25  # s between live updates when the window has a core to itself
SHARED_INTERVAL = 0.5  # ... and when it shares every core with the trainer (see live_interval)
TRAINER_NICE = 10  # the trainer yields to the window: a repaint never waits behind a batch


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
    them all: one of two threads is only ~0.65x of two, and it runs at a lower priority than
    the window, so the window still gets a core the moment it needs one. Training in a thread
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


def trainer_nice() -> int:
    """How much the trainer lowers its priority: TRAINER_NICE, or CONVVIZ_TRAINER_NICE=n (0 to
    19). Measured by tests/bench/bench_busy.py both ways: next to other programs at the normal
    priority a lower one gives them most of a shared core."""
    wanted = os.environ.get("CONVVIZ_TRAINER_NICE", "")
    return min(int(wanted), 19) if wanted.isdigit() else TRAINER_NICE


def with_forced_threads(config: TrainConfig) -> TrainConfig:
    """A count forced here (CONVVIZ_TRAIN_THREADS) travels in the job: a warm trainer process
    started before it was set would not see it."""
    import dataclasses

    from .threads import forced_threads

    forced = forced_threads(config.threads)
    return dataclasses.replace(config, threads=forced) if forced else config
