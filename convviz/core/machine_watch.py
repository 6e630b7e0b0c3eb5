"""How many cores other programs are taking from training right now: a threads.Cap.

The thread chooser (threads.py) finds the fastest count by timing batches at each count. On a
machine where another program holds a core, timing the count that needs that core is costly:
next to another PyTorch program one 2-thread batch on 2 cores took 7 to 28 times a 1-thread
one, and two convviz trainings started together timed their 2-thread batches at the same
moment, every 20 s. A thread that has no core of its own never wins, so `MachineWatch` leaves
out the counts that would need a core another program is using, and the chooser times only
the rest (with one count left, it times nothing).

It reads the busy time of the cores this process may run on (Linux: /proc/stat) and this
process's own CPU time (/proc/self/stat) every OTHERS_SAMPLE_S; the difference is the other
programs' share. A core counts as taken when they use OTHERS_TAKE of one or more (a busy loop
next to a 2-thread run gets about two thirds of a core: 3 runnable threads on 2 cores); a
lower cap is kept for OTHERS_HOLD_S after the last reading that called for it, so the count
does not flap. Without /proc (macOS, Windows) there is no watch and the chooser times every
count as before. No torch, no Qt.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable

OTHERS_SAMPLE_S = 0.5  # s between two readings (jiffies are 10 ms: 50 a core in a reading)
OTHERS_TAKE = 0.5  # of a core used by other programs: that core is theirs
OTHERS_HOLD_S = 3.0  # s a lower cap stays after the last reading that called for it
WATCH_ENV = "CONVVIZ_MACHINE_WATCH"  # =0: no watch (for measuring what it changes)

Seconds = Callable[[], float | None]


class MachineWatch:
    """The most threads training should use now: its cores less those other programs take.
    `busy_seconds` (the cores' busy time), `own_seconds` (this process's CPU time) and `clock`
    are there for tests."""

    def __init__(
        self,
        cores: int,
        busy_seconds: Seconds,
        own_seconds: Seconds,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.cores, self.busy_seconds, self.own_seconds, self.clock = (
            cores,
            busy_seconds,
            own_seconds,
            clock,
        )
        self._at, self._busy, self._own = clock(), busy_seconds(), own_seconds()
        self.taken = 0  # cores the other programs hold, as last decided
        self.others = 0.0  # their share in the last reading, in cores (a report)
        self._hold_until = float("-inf")

    def __call__(self) -> int:
        now = self.clock()
        if now - self._at >= OTHERS_SAMPLE_S:
            busy, own = self.busy_seconds(), self.own_seconds()
            was_busy, was_own = self._busy, self._own
            if (
                busy is not None
                and own is not None
                and was_busy is not None
                and was_own is not None
            ):
                others = ((busy - was_busy) - (own - was_own)) / (now - self._at)
                self.others = max(0.0, others)
                taken = min(self.cores - 1, math.floor(self.others + 1 - OTHERS_TAKE))
                if taken >= self.taken:
                    if taken > 0:
                        self._hold_until = now + OTHERS_HOLD_S
                    self.taken = taken
                elif now >= self._hold_until:  # fewer taken: only once the hold is over
                    self.taken = taken
            self._at, self._busy, self._own = now, busy, own
        return max(1, self.cores - self.taken)


def watch_machine() -> MachineWatch | None:
    """A MachineWatch over the cores this process may run on; None on one core (nothing to
    leave out), where /proc cannot be read, or with CONVVIZ_MACHINE_WATCH=0."""
    cpus = _my_cpus()
    cores = len(cpus) if cpus else os.cpu_count() or 1
    if cores < 2 or os.environ.get(WATCH_ENV, "") == "0":
        return None
    if cores_busy_seconds(cpus) is None or own_cpu_seconds() is None:
        return None
    return MachineWatch(cores, lambda: cores_busy_seconds(cpus), own_cpu_seconds)


def _my_cpus() -> set[int] | None:
    try:
        return set(os.sched_getaffinity(0))
    except AttributeError:  # not Linux: every core
        return None


def cores_busy_seconds(cpus: set[int] | None) -> float | None:
    """Seconds the cores `cpus` (None: all) spent busy so far: user, nice, system, irq,
    softirq and steal time of their /proc/stat lines. None where it cannot be read."""
    try:
        with open("/proc/stat", "rb") as f:
            lines = f.read(1 << 20).split(b"\n")  # (a line a core: far below 1 MB)
        ticks = 0
        for line in lines:
            if not line.startswith(b"cpu") or line.startswith(b"cpu "):
                continue
            name, *fields = line.split()
            if cpus is None or int(name[3:]) in cpus:
                user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, fields[:8])
                ticks += user + nice + system + irq + softirq + steal
        return ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, AttributeError):
        return None


def own_cpu_seconds() -> float | None:
    """User + system CPU seconds of this process so far, every thread included."""
    try:
        t = os.times()
        return t.user + t.system
    except (OSError, AttributeError):
        return None
