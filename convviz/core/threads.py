"""How many torch threads training uses: the count that trains fastest on this machine right now.

Torch's threads wait for each other at the end of every op. On an idle machine every core helps;
once anything else takes a core (a busy program, a notebook training, a second convviz), the
thread that lost its core holds up the whole team at every op, and with OpenMP's spinning waits
another PyTorch program makes it far worse (measured on 2 cores, the `shapes` network: 2 threads
fell from about 6,000 to 850 images/s next to another 2-thread PyTorch program, where 1 thread
kept 4,700). No fixed count is right for both, so `ThreadChooser` times a few batches at each
candidate count when training starts, keeps the fastest, and times them again every
`RECHECK_S` seconds or as soon as the batch time jumps (the machine got busier or quieter).

OpenMP's waiting policy (OMP_WAIT_POLICY) is read once, when the OpenMP runtime loads with torch,
so it cannot follow the machine: it is left at the runtime's default. PASSIVE waits help a team
of 2 threads next to another PyTorch program (850 -> 3,100 images/s) but one thread does better
still (4,700), which the chooser finds by itself, and passive waits slow every op of an idle run.

A cap can lower the most it may use while training: the app's trainer process leaves a core to
its window while the person draws (trainer_cores.WindowWatch, installed by train_process), and
every run leaves out the cores other programs are using (machine_watch.MachineWatch: the
command line and the trainer process install it), so the counts that would need them are not
even timed. A
forced count (`--threads N`, TrainConfig.threads, CONVVIZ_TRAIN_THREADS=n) is used as it is,
cap or not. This module imports no torch until a count is set, and no Qt.
"""

from __future__ import annotations

import os
import statistics
import time
from collections import deque
from collections.abc import Callable

FORCE_ENV = "CONVVIZ_TRAIN_THREADS"
MAX_THREADS = 256  # a forced count above this is refused (--threads) or cut to it (environment)
TRIAL_BATCHES = 3  # timed batches per candidate count (the median counts)
RECHECK_S = 20.0  # s of training between two trials even when nothing seems to change
JUMP = 1.5  # the batch time moved by this factor from the trial's figure: time them again
RECENT = 5  # batches whose median is compared with the trial's figure
MIN_GAP_S = 2.0  # s at least between two trials started by a jump (no trial storms)
EARLY_OUT = 2.0  # a count whose batch took this many times the best count's per image is timed no
# further (its median could not win): next to another PyTorch program a 2-thread batch can take
# 7 to 28 times a 1-thread one, and a trial would spend 4 such batches on it (the warm-up and 3)

Cap = Callable[[], int]  # the most threads training may use right now (read before each batch)
_default_cap: Cap | None = None  # the trainer process's window watch (set_default_cap); else none


def set_default_cap(cap: Cap | None) -> None:
    """The cap every ThreadChooser made from now on in this process follows (None: no cap).
    Only the app's trainer process sets one: its window's watch (train_process._serve)."""
    global _default_cap
    _default_cap = cap


def lowest(*caps: Cap | None) -> Cap | None:
    """One cap from several (None: no cap): the lowest of them, read together."""
    present = [c for c in caps if c is not None]
    if len(present) < 2:
        return present[0] if present else None
    return lambda: min(c() for c in present)


def forced_threads(asked: int = 0) -> int | None:
    """The count the person forced, or None to let the chooser decide. `asked` (from
    `--threads` / TrainConfig.threads) wins over the environment variable."""
    if asked and asked > 0:
        return int(asked)
    wanted = os.environ.get(FORCE_ENV, "")
    if wanted.isdigit() and int(wanted) > 0:
        return min(int(wanted), MAX_THREADS)
    return None


def candidates(most: int) -> list[int]:
    """The counts worth timing, fewest first: `most`, then halving down to 1 (16 cores: 1, 2,
    4, 8, 16). Counts in between differ little from their neighbours."""
    counts, n = set(), max(1, most)
    while True:
        counts.add(n)
        if n == 1:
            return sorted(counts)
        n //= 2


def _set_torch_threads(n: int) -> None:
    import torch

    if torch.get_num_threads() != n:
        torch.set_num_threads(n)


class ThreadChooser:
    """Times training batches and sets the thread count that trains fastest.

    The loop calls `batch_started()` before each batch and `batch_done(images)` after it (only
    the batch itself: not the callbacks, not validation). `threads` is the count in use.
    `cap` (default: set_default_cap's) lowers the most it may use for as long as it says so: a
    count above it is left at once, and the counts under it are timed again when it changes.
    `set_threads` and `clock` are there for tests (mocked timings)."""

    def __init__(
        self,
        most: int,
        forced: int | None = None,
        *,
        set_threads: Callable[[int], None] = _set_torch_threads,
        clock: Callable[[], float] = time.perf_counter,
        trial_batches: int = TRIAL_BATCHES,
        recheck_s: float = RECHECK_S,
        jump: float = JUMP,
        cap: Cap | None = None,
    ):
        self.forced = forced
        self.counts = [forced] if forced else candidates(most)
        self._cap = None if forced or len(self.counts) == 1 else cap or _default_cap
        self._limit = self._cap() if self._cap else None
        self._set, self._clock = set_threads, clock
        self.trial_batches, self.recheck_s, self.jump = trial_batches, recheck_s, jump
        self.trials = 0  # how many times the candidates were timed (a report, and for tests)
        self.timings: dict[int, float] = {}  # count -> s per image, from the latest trial
        self._queue: list[int] = []
        self._samples: list[float] = []
        self._warm_up = False
        self._recent: deque[float] = deque(maxlen=RECENT)
        self._baseline = 0.0
        self._t = 0.0
        self._checked_at = clock()
        # the first trial times the fewest first: on a busy machine the most can be many times
        # slower, and once a faster count has been timed one batch of it is enough (EARLY_OUT)
        self.threads = self._allowed()[0]
        self._set(self.threads)
        if len(self._allowed()) > 1:
            self._start_trial()

    @property
    def choosing(self) -> bool:
        return bool(self._queue)

    def describe(self) -> str:
        n = self.threads
        how = "forced" if self.forced else "chosen" if len(self.counts) > 1 else "one core"
        return f"{n} thread{'s' if n != 1 else ''} ({how})"

    def _allowed(self) -> list[int]:
        """The counts it may use now: the candidates up to the cap, and the cap itself (3
        cores, one left to the window: 1 and 2)."""
        if self._limit is None or self._limit >= self.counts[-1]:
            return self.counts
        limit = max(1, self._limit)
        return sorted({c for c in self.counts if c <= limit} | {limit})

    def _follow_cap(self, now: float) -> bool:
        """Read the cap; True if it changed (the counts it may use are timed again, or the one
        left is used at once)."""
        assert self._cap is not None  # only called with a cap
        limit = self._cap()
        if limit == self._limit:
            return False
        self._limit = limit
        allowed = self._allowed()
        if len(allowed) > 1:
            self._start_trial()
        else:
            self._queue = []
            self._switch(allowed[0])
            self._recent.clear()
            self._checked_at = now
        return True

    def batch_started(self) -> None:
        self._t = self._clock()

    def batch_done(self, images: int) -> None:
        if len(self.counts) == 1 or images <= 0:
            return
        now = self._clock()
        per_image = (now - self._t) / images
        if self._cap is not None and self._follow_cap(now):
            return
        if self._queue:
            self._trial_step(per_image, now)
            return
        if len(self._allowed()) == 1:  # (capped to one count: nothing to compare it with)
            return
        self._recent.append(per_image)
        if now - self._checked_at >= self.recheck_s:
            self._start_trial()
        elif len(self._recent) == RECENT and now - self._checked_at >= MIN_GAP_S:
            typical = statistics.median(self._recent)
            if not self._baseline / self.jump <= typical <= self._baseline * self.jump:
                self._start_trial()

    # ---- the trial: each candidate for a few batches, the current one first, a slow one left
    # after its first batch ------------------------------------------------------------------
    def _start_trial(self) -> None:
        self.trials += 1
        # the current count first: it needs no switch, so no warm-up batch
        allowed = self._allowed()
        first = self.threads if self.threads in allowed else allowed[-1]
        self._queue = [first] + [c for c in allowed if c != first]
        self._samples, self._warm_up = [], False
        self.timings = {}
        if first != self.threads:  # (the cap came down under the count in use)
            self._switch(first)
            self._warm_up = True

    def _trial_step(self, per_image: float, now: float) -> None:
        best = min(self.timings.values(), default=None)
        if best is not None and per_image > EARLY_OUT * best:  # far slower: not worth timing on
            self._samples = [per_image]  # (a warm-up batch's team start costs well under 2x)
        elif self._warm_up:  # the first batch after a switch also starts the new thread team
            self._warm_up = False
            return
        else:
            self._samples.append(per_image)
            if len(self._samples) < self.trial_batches:
                return
        self._warm_up = False
        self.timings[self._queue.pop(0)] = statistics.median(self._samples)
        self._samples = []
        if self._queue:
            self._switch(self._queue[0])
            self._warm_up = True
            return
        best = min(self.timings, key=self.timings.__getitem__)
        self._switch(best)
        self._baseline = self.timings[best]
        self._recent.clear()
        self._checked_at = now

    def _switch(self, n: int) -> None:
        if n != self.threads:
            self.threads = n
            self._set(n)
