"""Training in a process of its own, and the pool that keeps one warm.

Why a process: the window and the training loop share nothing there. In one process they share
the interpreter lock, and on a small CPU every repaint of the window holds up the loop's OpenMP
team at its next barrier; worse, once two threads of one process have each run a multi-threaded
torch op, libgomp counts more busy threads than cores and stops spinning between ops, and every
op then pays for waking its threads (measured on 2 cores: the same loop at ~6,000 images/s in a
second thread, ~10,000 in the main thread). A trainer process trains in its own main thread on
every core, and leaves one to the window while the window works (trainer_cores.WindowWatch:
the person draws), so the window still gets a core the moment it needs one.

The run itself is a JobRunner (core/job_runner.py); its messages (core/trainer_messages.py) cross
the pipe checked by core/trainer_pipe.py; the thread counts and the live interval come from
core/trainer_cores.py. `TrainerProcess` is a warm child process that runs one job after another
(torch imports once); `TrainerPool` keeps one idle so that pressing Train starts at once.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import threading
from typing import Any

import numpy as np

from . import limits
from .job_runner import JobRunner, Send
from .machine_watch import watch_machine
from .shared_flag import SharedFlag
from .threads import lowest, set_default_cap
from .trainer_cores import (
    live_interval,
    trainer_nice,
    training_threads,
    use_one_torch_thread_here,
    watch_window,
    with_forced_threads,
)
from .trainer_messages import Broken, Failed, Job, Message, Quit, Ready, TrainProgress
from .trainer_pipe import (
    PipeError,
    bytes_of,
    check_from_trainer,
    check_job,
    read_message,
    read_object,
    recv_array,
    send_array,
)

__all__ = [  # (what the window reads from here; each lives in the module named above)
    "JobRunner",
    "PipeError",
    "Send",
    "TrainProgress",
    "TrainerPool",
    "TrainerProcess",
    "acquire",
    "limits",
    "live_interval",
    "mark_unusable",
    "prepare",
    "read_message",
    "release",
    "training_threads",
    "use_one_torch_thread_here",
]


def _serve(conn: Any, stop: Any, running: Any) -> None:
    """The trainer process's main loop: one job after another until Quit or the pipe closes."""
    import multiprocessing as mp

    parent = mp.parent_process()
    watch = watch_window(parent.pid) if parent is not None and parent.pid is not None else None
    # every run's thread chooser leaves the window a core as it works, and never times a count
    # that needs a core another program is using
    set_default_cap(lowest(watch, watch_machine()))
    if hasattr(os, "nice"):
        with contextlib.suppress(OSError):
            os.nice(trainer_nice(watched=watch is not None))

    import torch  # imported while the person still fills in the dialog

    conn.send(Ready(os.getpid()))
    alive = parent.is_alive if parent is not None else (lambda: True)
    while True:
        try:
            msg = read_object(conn, limits.PIPE_JOB_MAX_BYTES)
            if isinstance(msg, Quit):
                return
            job = check_job(msg)
            X = recv_array(conn, job.shape, job.dtype)  # the images follow the job, in pieces
        except PipeError as e:  # out of step with the window: say so, and end this process
            conn.send(Broken(str(e)))  # (the window starts a fresh one for the next run)
            return
        except (EOFError, OSError):  # the window went away
            return
        try:
            _run_job(conn, stop, running, job, X, caller_alive=alive)
        except (BrokenPipeError, EOFError, OSError):  # the window went away mid-run
            return
        del msg, job, X  # the job's data goes now, not when the next one comes
        _give_memory_back()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()  # an idle trainer keeps no GPU memory from the window


def _give_memory_back() -> None:
    """An idle trainer should hold about what torch itself needs, not the last job's images:
    collect the job's reference cycles, then let glibc hand freed heap pages back (its mmap
    threshold grows as a run frees big blocks, so they end up in the heap)."""
    import gc

    gc.collect()
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc (macOS, Windows, musl): nothing to do
        pass


def _run_job(
    conn: Any, stop: Any, running: Any, job: Job, X: np.ndarray, caller_alive: Any
) -> None:
    import torch

    from .network import build
    from .spec import NetworkSpec

    try:
        torch.set_num_threads(job.threads)  # this process's only thread team, at its most:
        # the training loop chooses how many of them to use (core/threads.py)
        model = build(NetworkSpec.from_json(job.spec_json), seed=None)
        model.load_snapshot(job.weights)
    except Exception as e:  # noqa: BLE001 - reported, and the process lives on
        conn.send(Failed(f"training could not start: {e}".split("\n")[0], None))
        return
    JobRunner(
        model, X, job.labels, job.config, conn.send, stop, running, caller_alive, job.interval
    ).run()


class TrainerProcess:
    """A child process that trains; talk to it with `submit` then `recv` until an ending."""

    def __init__(self) -> None:
        import multiprocessing as mp

        ctx = mp.get_context("spawn")  # never fork a process that runs Qt and OpenMP threads
        self.conn, child = ctx.Pipe()
        self.stop, self.running = SharedFlag(ctx), SharedFlag(ctx)  # (no semaphores to leak)
        self.running.set()
        self.process = ctx.Process(
            target=_serve,
            args=(child, self.stop, self.running),
            name="convviz-trainer",
            daemon=True,
        )
        self.process.start()
        child.close()
        self.ready = False
        self.frame_limit = limits.PIPE_SLACK_BYTES  # set for each job by submit
        self.weight_shapes: dict[str, tuple] = {}
        self.network: str | None = None  # the identity of the job's network (its weights')

    def alive(self) -> bool:
        return self.process.is_alive()

    def reset_controls(self) -> None:
        self.stop.clear()
        self.running.set()

    def submit(self, model, X: np.ndarray, y: np.ndarray, config) -> None:
        threads = training_threads(config.device, own_process=True)
        interval = live_interval(config.device, own_process=True)
        config = with_forced_threads(config)
        X = np.ascontiguousarray(X)
        bytes_of(X)  # an array that cannot go as bytes fails here, before the trainer waits
        self._expect(model, len(y))
        self.conn.send(
            Job(
                model.spec.to_json(),
                model.snapshot(),
                X.shape,
                X.dtype.str,
                np.asarray(y),
                config,
                threads,
                interval,
            )
        )
        send_array(self.conn, X)

    def _expect(self, model, labels: int) -> None:
        """What the trainer may send back for this job: its weights (shapes as here), twice in
        an ending, and per validation image an index and an answer, plus a little."""
        snap = model.snapshot()
        self.weight_shapes, self.network = snap.shapes, snap.network
        classes = len(model.spec.classes)
        table = 8 * classes**2 if classes <= limits.CONFUSION_TABLE_MAX_CLASSES else 0
        self.frame_limit = 2 * snap.nbytes + 16 * labels + table + limits.PIPE_SLACK_BYTES

    def recv(self, timeout: float) -> Message | None:
        """The next message, None if none came within `timeout` s; EOFError if the process
        has gone. Skips the start-up Ready. A frame that breaks the protocol (too long, of no
        known kind, not the payload its kind carries) ends the run: the process is ended and
        the ending is Failed(one line)."""
        while self.conn.poll(timeout):
            try:
                msg = check_from_trainer(
                    read_message(self.conn, self.frame_limit), self.weight_shapes, self.network
                )
            except PipeError as e:
                self.kill()  # out of step with it: a next run gets a fresh process
                return Failed(f"training ended: {e}")
            if isinstance(msg, Ready):
                self.ready = True
                continue
            if isinstance(msg, Broken):  # the trainer read a bad frame and is ending itself
                self.process.join(5)
                return Failed(f"training ended: {msg.message}")
            return msg
        return None

    def close(self, timeout: float = 2.0) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.conn.send(Quit())
        self.process.join(timeout)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(timeout)
        self.conn.close()

    def kill(self) -> None:
        self.process.kill()
        self.process.join(5)
        self.conn.close()


class TrainerPool:
    """Keeps one idle trainer process warm for the next run, and remembers when trainer
    processes have proved unusable on this machine (then every run trains in a thread)."""

    def __init__(self) -> None:
        self.idle: list[TrainerProcess] = []
        self.lock = threading.Lock()
        self.unusable = False  # a trainer died before it was ready

    def _drop_dead(self) -> None:
        """Close idle processes that have died (call with the lock held)."""
        for p in [p for p in self.idle if not p.alive()]:
            self.idle.remove(p)
            p.conn.close()

    def prepare(self) -> None:
        """Start a trainer process now (torch imports while the person chooses settings)."""
        if self.unusable:
            return
        with self.lock:
            self._drop_dead()
            if not self.idle:
                self.idle.append(TrainerProcess())

    def acquire(self) -> TrainerProcess:
        """An idle, live trainer process (started now if none is waiting). RuntimeError once
        trainer processes have proved unusable here (see `mark_unusable`)."""
        if self.unusable:
            raise RuntimeError("trainer processes do not start here")
        with self.lock:
            self._drop_dead()
            if self.idle:
                p = self.idle.pop()
                p.reset_controls()
                return p
        return TrainerProcess()

    def release(self, p: TrainerProcess, healthy: bool = True) -> None:
        """Give a process back after its job ended; a broken one (or a second idle one) is
        closed."""
        with self.lock:
            self._drop_dead()
            if healthy and p.alive() and not self.idle:
                self.idle.append(p)
                return
        if p.alive():
            p.close()
        else:
            p.conn.close()

    def mark_unusable(self) -> None:
        self.unusable = True

    def close_idle(self) -> None:
        while self.idle:
            self.idle.pop().close(0.5)


POOL = TrainerPool()  # the app's one pool; closed as the interpreter exits
atexit.register(POOL.close_idle)


# The window calls these (and tests replace `acquire` to hand it a fake trainer).
def prepare() -> None:
    POOL.prepare()


def acquire() -> TrainerProcess:
    return POOL.acquire()


def release(p: TrainerProcess, healthy: bool = True) -> None:
    POOL.release(p, healthy)


def mark_unusable() -> None:
    POOL.mark_unusable()
