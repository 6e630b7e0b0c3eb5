"""Training with live reports, in a process of its own (or, as a fallback, in any thread).

Why a process: the window and the training loop share nothing there. In one process they share
the interpreter lock, and on a small CPU every repaint of the window holds up the loop's OpenMP
team at its next barrier; worse, once two threads of one process have each run a multi-threaded
torch op, libgomp counts more busy threads than cores and stops spinning between ops, and every
op then pays for waking its threads (measured on 2 cores: the same loop at ~6,000 images/s in a
second thread, ~10,000 in the main thread). A trainer process trains in its own main thread on
every core, at a lower priority, so the window still gets a core the moment it needs one.

`JobRunner` turns `training.train`'s plain callbacks into messages, `send(kind, payload)`:
  ("started", description)        the device it trains on, e.g. "CPU (2 threads)"
  ("snapshot", weights)           a CPU copy of every weight, just before a progress
  ("progress", TrainProgress)     the newest batch plus every loss since the last
                                  (both every `live_interval()` seconds; progress also at each
                                  epoch's end, with a snapshot if 0.9 of the interval has passed)
  ("epoch", EpochReport)          validation loss and accuracy after each epoch
  ("paused", bool)
  ("finished", (TrainResult, weights))   whatever the ending: done, stopped, diverged
  ("failed", (message, weights))  one line; weights are the last good ones (or None)
Pause, resume and stop are two events (`running` cleared while paused, `stop`), checked before
every batch: threading.Event in a thread, multiprocessing.Event across processes.

`TrainerProcess` is a warm child process that runs one job after another (torch imports once),
and `acquire()`/`release()` keep one idle so that pressing Train starts at once.
"""

from __future__ import annotations

import atexit
import math
import os
import pickle
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from . import limits
from .errors import ConvvizError

# Snapshots and progress go out together, so the window repaints once for both (measured: progress
# at 8 Hz apart from the snapshots, 0.80-0.85x of a bare loop; together at 4 Hz, 0.88-0.98x).
FAST_INTERVAL = 0.25  # s between live updates when the window has a core to itself
SHARED_INTERVAL = 0.5  # ... and when it shares every core with the trainer (see live_interval)
TRAINER_NICE = 10  # the trainer yields to the window: a repaint never waits behind a batch
CHUNK_BYTES = 16 << 20  # the images cross the pipe in pieces this size (see _send_array)


@dataclass
class TrainProgress:
    epoch: int  # 1-based
    epochs: int
    batch: int  # 1-based within the epoch
    batches: int
    step: int  # batches done in all
    steps: int
    loss: float
    images_per_second: float  # over time spent training (pauses excluded)
    seconds_left: float
    losses: list[tuple[int, float]] = field(default_factory=list)  # (step, loss) since last
    threads: int = 0  # CPU torch threads training uses now (0 on a GPU); see core/threads.py


Send = Callable[[str, object], None]


class JobRunner:
    """Runs `train()` on `model` (in place) and reports through `send`. Raises only what `send`
    raises (a closed pipe: nobody is listening any more)."""

    def __init__(self, model, X: np.ndarray, y: np.ndarray, config, send: Send,
                 stop, running, caller_alive: Callable[[], bool] = lambda: True,
                 interval: float = FAST_INTERVAL):
        self.model, self.X, self.y, self.config = model, X, y, config
        self.send, self.stop, self.running = send, stop, running
        self.interval = interval  # seconds between live updates (snapshot + progress)
        self.caller_alive = caller_alive  # a paused run ends if whoever waits for it is gone
        self.last_snapshot: dict[str, np.ndarray] | None = None

    def run(self) -> None:
        from .device import describe, resolve_device
        from .errors import ConvvizError
        from .training import split_indices, train

        self._t0 = time.perf_counter()
        self._paused_for = 0.0
        self._last_progress = self._last_snap = 0.0
        self._pending: list[tuple[int, float]] = []
        self._step = self._seen = 0
        self._take_snapshot()  # the starting weights: panels show them at once
        try:
            cfg = self.config
            self._n_train = len(split_indices(np.asarray(self.y), cfg.val_split, cfg.seed)[0])
            self.send("started", describe(resolve_device(self.config.device)))
            result = train(self.model, self.X, self.y, self.config, on_batch=self._on_batch,
                           on_epoch=lambda rep: self.send("epoch", rep),
                           should_stop=self._should_stop)
        except ConvvizError as e:
            self._fail(str(e))
            return
        except Exception as e:  # a bug, but the window must live on and say what happened
            self._fail(f"training failed: {type(e).__name__}: {e}".split("\n")[0])
            return
        self._flush()
        self._take_snapshot()
        self.send("finished", (result, self.last_snapshot))

    def _fail(self, message: str) -> None:
        self._flush()
        self.send("failed", (message, self.last_snapshot))

    def _take_snapshot(self) -> None:
        try:
            snap = self.model.snapshot()
        except Exception:  # noqa: BLE001 - e.g. a device fault: keep the last good snapshot
            return
        if all(np.isfinite(v).all() for v in snap.values()):
            self.last_snapshot = snap
            self.send("snapshot", snap)
        self._last_snap = time.perf_counter()

    def _should_stop(self) -> bool:
        if not self.running.is_set() and not self.stop.is_set():
            self._flush()
            self.send("paused", True)
            t = time.perf_counter()
            while not self.running.wait(0.05):
                if not self.caller_alive():
                    self.stop.set()
                    break
            self._paused_for += time.perf_counter() - t
            self.send("paused", False)
        return self.stop.is_set()

    def _on_batch(self, rep) -> None:
        bs = self.config.batch_size
        self._seen += min(bs, self._n_train - (rep.batch - 1) * bs)
        self._step += 1
        self._pending.append((self._step, rep.loss))
        self._last = rep
        now = time.perf_counter()
        if now - self._last_progress >= self.interval or rep.batch == rep.batches:
            # a snapshot goes out only with a progress report (and just before it): the window
            # then repaints once for both
            if now - self._last_snap >= 0.9 * self.interval:
                self._take_snapshot()
            self._flush()

    def _flush(self) -> None:
        if not self._pending:
            return
        rep = self._last
        now = time.perf_counter()
        active = max(now - self._t0 - self._paused_for, 1e-9)
        steps = rep.batches * self.config.epochs
        left = active / self._step * (steps - self._step)
        self.send("progress", TrainProgress(
            rep.epoch, self.config.epochs, rep.batch, rep.batches, self._step, steps,
            rep.loss, self._seen / active, left, self._pending, rep.threads))
        self._pending = []
        self._last_progress = now


# ---- torch threads ------------------------------------------------------------------------

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
    shares_cores = (_on_cpu(device)
                    and training_threads(device, own_process) >= _cores_here())
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


def _with_forced_threads(config):
    """A count forced here (CONVVIZ_TRAIN_THREADS) travels in the job: a warm trainer process
    started before it was set would not see it."""
    import dataclasses

    from .threads import forced_threads

    forced = forced_threads(config.threads)
    return dataclasses.replace(config, threads=forced) if forced else config


# ---- the trainer process ------------------------------------------------------------------

def _serve(conn, stop, running) -> None:
    """The trainer process's main loop: one job after another until "quit" or the pipe closes."""
    if hasattr(os, "nice"):
        try:
            os.nice(trainer_nice())
        except OSError:
            pass
    import multiprocessing as mp

    import torch  # imported while the person still fills in the dialog

    conn.send(("ready", os.getpid()))
    parent = mp.parent_process()
    while True:
        try:
            msg = read_message(conn, limits.PIPE_JOB_MAX_BYTES)
            if msg[0] == "quit":
                return
            spec_json, weights, (shape, dtype), y, config, threads, interval = _job(msg)
            X = _recv_array(conn, shape, dtype)  # the images follow the job, in pieces
        except PipeError as e:  # out of step with the window: say so, and end this process
            conn.send(("broken", str(e)))  # (the window starts a fresh one for the next run)
            return
        except (EOFError, OSError):  # the window went away
            return
        try:
            _run_job(conn, stop, running, spec_json, weights, X, y, config, threads, interval,
                     caller_alive=parent.is_alive)
        except (BrokenPipeError, EOFError, OSError):  # the window went away mid-run
            return
        del msg, X, y, weights, config  # the job's data goes now, not when the next one comes
        _give_memory_back()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()  # an idle trainer keeps no GPU memory from the window


def _send_array(conn, a: np.ndarray) -> None:
    """Write a C-contiguous array's bytes into the pipe in CHUNK_BYTES pieces. Pickling it
    whole would first copy all of it into one bytes object: 0.3 GB more for 100,000 images of
    28x28, in the window and again in the trainer."""
    view = _bytes_of(a)
    for start in range(0, len(view), CHUNK_BYTES):
        conn.send_bytes(view[start:start + CHUNK_BYTES])


def _bytes_of(a: np.ndarray) -> memoryview:
    """A C-contiguous array's bytes, not a copy; TypeError for arrays of Python objects."""
    return memoryview(a.reshape(-1).view(np.uint8))


def _recv_array(conn, shape: tuple, dtype: str) -> np.ndarray:
    """The other end of _send_array: the pieces are copied into the new array as they come
    (recv_bytes_into would read a whole frame first too, however long it claimed to be)."""
    a = np.empty(shape, np.dtype(dtype))
    view = _bytes_of(a)
    got = 0
    while got < len(view):
        piece = read_frame(conn, min(CHUNK_BYTES, len(view) - got))
        if not piece:
            raise PipeError("the trainer's pipe: an empty piece of the images")
        view[got:got + len(piece)] = piece
        got += len(piece)
    return a


# ---- the pipe's frames ---------------------------------------------------------------------

class PipeError(ConvvizError):
    """A frame on the trainer's pipe that breaks the protocol: too long, not a known message,
    or not the payload its kind carries. The run ends with this one line."""


FROM_TRAINER = ("ready", "started", "snapshot", "progress", "epoch", "paused", "finished",
                "failed", "broken")  # "broken": the trainer read a bad frame and is ending


def read_frame(conn, max_bytes: int) -> bytes:
    """One frame's bytes; PipeError without reading it if it claims more than max_bytes."""
    try:
        return conn.recv_bytes(max_bytes)
    except OSError as e:
        if "bad message length" not in str(e):
            raise  # the other end went away: EOFError/OSError as before
        raise PipeError(f"the trainer's pipe: a message longer than its limit of "
                        f"{max_bytes / 2**20:,.0f} MB") from None


def read_message(conn, max_bytes: int) -> tuple:
    """One (kind, ...) message of at most max_bytes."""
    data = read_frame(conn, max_bytes)
    try:
        msg = pickle.loads(data)
    except Exception:  # noqa: BLE001 - bytes that are no message at all
        raise PipeError("the trainer's pipe: a message that cannot be read") from None
    if not (isinstance(msg, tuple) and msg and isinstance(msg[0], str)):
        raise PipeError("the trainer's pipe: a message of no known kind")
    return msg


def _job(msg: tuple) -> tuple:
    """A job message's fields, checked before any of its images are awaited."""
    if msg[0] != "job" or len(msg) != 8:
        raise PipeError(f"the trainer's pipe: expected a job, got {str(msg[0])[:40]!r}")
    spec_json, weights, header, y, config, threads, interval = msg[1:]
    try:
        shape, dtype = header
        shape = tuple(int(n) for n in shape)
        ok = np.dtype(dtype) == np.float32 and len(shape) == 4 and min(shape) >= 0
    except (TypeError, ValueError):
        ok = False
    if not ok:  # (labels that do not match the images are training's to refuse)
        raise PipeError(f"the trainer's pipe: images announced as {str(header)[:60]}")
    size = 4 * math.prod(shape)
    if size > limits.PIPE_IMAGES_MAX_BYTES:
        raise PipeError(f"the trainer's pipe: {size / 2**30:,.1f} GB of images announced, above "
                        f"the limit of {limits.PIPE_IMAGES_MAX_BYTES / 2**30:,.0f} GB")
    return spec_json, weights, (shape, dtype), y, config, threads, interval


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


def _run_job(conn, stop, running, spec_json, weights, X, y, config, threads, interval,
             caller_alive) -> None:
    import torch

    from .network import build
    from .spec import NetworkSpec

    def send(kind, payload):
        conn.send((kind, payload))

    try:
        torch.set_num_threads(threads)  # this process's only thread team, at its most: the
        # training loop chooses how many of them to use (core/threads.py)
        model = build(NetworkSpec.from_json(spec_json), seed=None)
        model.load_state_dict({k: torch.from_numpy(v) for k, v in weights.items()})
    except Exception as e:  # noqa: BLE001 - reported, and the process lives on
        send("failed", (f"training could not start: {e}".split("\n")[0], None))
        return
    JobRunner(model, X, y, config, send, stop, running, caller_alive, interval).run()


class TrainerProcess:
    """A child process that trains; talk to it with `submit` then `recv` until an ending."""

    def __init__(self):
        import multiprocessing as mp

        ctx = mp.get_context("spawn")  # never fork a process that runs Qt and OpenMP threads
        self.conn, child = ctx.Pipe()
        self.stop, self.running = ctx.Event(), ctx.Event()
        self.running.set()
        self.process = ctx.Process(target=_serve, args=(child, self.stop, self.running),
                                   name="convviz-trainer", daemon=True)
        self.process.start()
        child.close()
        self.ready = False
        self.frame_limit = limits.PIPE_SLACK_BYTES  # set for each job by submit
        self.weight_shapes: dict[str, tuple] = {}

    def alive(self) -> bool:
        return self.process.is_alive()

    def reset_controls(self) -> None:
        self.stop.clear()
        self.running.set()

    def submit(self, model, X: np.ndarray, y: np.ndarray, config) -> None:
        threads = training_threads(config.device, own_process=True)
        interval = live_interval(config.device, own_process=True)
        config = _with_forced_threads(config)
        X = np.ascontiguousarray(X)
        _bytes_of(X)  # an array that cannot go as bytes fails here, before the trainer waits
        self._expect(model, len(y))
        self.conn.send(("job", model.spec.to_json(), model.snapshot(), (X.shape, X.dtype.str),
                        np.asarray(y), config, threads, interval))
        _send_array(self.conn, X)

    def _expect(self, model, labels: int) -> None:
        """What the trainer may send back for this job: its weights (shapes as here), twice in
        an ending, and per validation image an index and an answer, plus a little."""
        snap = model.snapshot()
        self.weight_shapes = {k: tuple(v.shape) for k, v in snap.items()}
        classes = len(model.spec.classes)
        table = 8 * classes ** 2 if classes <= limits.CONFUSION_TABLE_MAX_CLASSES else 0
        self.frame_limit = (2 * sum(v.nbytes for v in snap.values()) + 16 * labels + table
                            + limits.PIPE_SLACK_BYTES)

    def recv(self, timeout: float):
        """The next message, None if none came within `timeout` s; EOFError if the process
        has gone. Skips the start-up "ready". A frame that breaks the protocol (too long, of
        no known kind, not the payload its kind carries) ends the run: the process is ended
        and the ending is ("failed", (one line, None))."""
        while self.conn.poll(timeout):
            try:
                msg = read_message(self.conn, self.frame_limit)
                self._check(msg)
            except PipeError as e:
                self.kill()  # out of step with it: a next run gets a fresh process
                return ("failed", (f"training ended: {e}", None))
            if msg[0] == "ready":
                self.ready = True
                continue
            if msg[0] == "broken":  # the trainer read a bad frame and is ending itself
                self.process.join(5)
                return ("failed", (f"training ended: {msg[1]}", None))
            return msg
        return None

    def _check(self, msg: tuple) -> None:
        """PipeError unless msg is a message the trainer sends, with the payload of its kind."""
        from .training import EpochReport, TrainResult

        kind = msg[0]
        payload = msg[1] if len(msg) == 2 else None
        if kind not in FROM_TRAINER or len(msg) != 2:
            raise PipeError(f"the trainer's pipe: a message of no known kind ({kind[:40]!r})")
        ok = {"ready": lambda p: isinstance(p, int),
              "started": lambda p: isinstance(p, str),
              "broken": lambda p: isinstance(p, str),
              "paused": lambda p: isinstance(p, bool),
              "snapshot": self._weights_fit,
              "progress": lambda p: isinstance(p, TrainProgress),
              "epoch": lambda p: isinstance(p, EpochReport),
              "finished": lambda p: (isinstance(p, tuple) and len(p) == 2 and
                                     isinstance(p[0], TrainResult) and
                                     (p[1] is None or self._weights_fit(p[1]))),
              "failed": lambda p: (isinstance(p, tuple) and len(p) == 2 and
                                   isinstance(p[0], str) and
                                   (p[1] is None or self._weights_fit(p[1])))}[kind](payload)
        if not ok:
            raise PipeError(f"the trainer's pipe: a {kind!r} message that does not hold what "
                            f"that kind carries")

    def _weights_fit(self, w) -> bool:
        return (isinstance(w, dict) and w.keys() == self.weight_shapes.keys() and
                all(isinstance(v, np.ndarray) and v.dtype == np.float32 and
                    tuple(v.shape) == self.weight_shapes[k] for k, v in w.items()))

    def close(self, timeout: float = 2.0) -> None:
        try:
            self.conn.send(("quit", None))
        except (OSError, ValueError):
            pass
        self.process.join(timeout)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(timeout)
        self.conn.close()

    def kill(self) -> None:
        self.process.kill()
        self.process.join(5)
        self.conn.close()


_idle: list[TrainerProcess] = []
_lock = threading.Lock()


def _drop_dead() -> None:
    """Close idle processes that have died (call with _lock held)."""
    for p in [p for p in _idle if not p.alive()]:
        _idle.remove(p)
        p.conn.close()


def prepare() -> None:
    """Start a trainer process now (torch imports while the person chooses settings)."""
    if unusable:
        return
    with _lock:
        _drop_dead()
        if not _idle:
            _idle.append(TrainerProcess())


def acquire() -> TrainerProcess:
    """An idle, live trainer process (started now if none is waiting). Raises RuntimeError
    once trainer processes have proved unusable here (see `mark_unusable`)."""
    if unusable:
        raise RuntimeError("trainer processes do not start here")
    with _lock:
        _drop_dead()
        if _idle:
            p = _idle.pop()
            p.reset_controls()
            return p
    return TrainerProcess()


def release(p: TrainerProcess, healthy: bool = True) -> None:
    """Give a process back after its job ended; a broken one (or a second idle one) is closed."""
    with _lock:
        _drop_dead()
        if healthy and p.alive() and not _idle:
            _idle.append(p)
            return
    p.close() if p.alive() else p.conn.close()


unusable = False  # a trainer died before it was ready: train in threads from then on


def mark_unusable() -> None:
    global unusable
    unusable = True


@atexit.register
def _close_idle() -> None:
    while _idle:
        _idle.pop().close(0.5)
