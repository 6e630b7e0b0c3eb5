"""Work that can take longer than the ~100 ms a person notices, off the window's thread: the one
pattern every such job in the window uses (opening weights or images, exporting, building a
preset's network).

    jobs.submit(kind, work, done, failed=None, text="Exporting…", cancellable=False,
                cancelled=None)

`work(job)` runs on a thread of its own and returns a result; `done(result)` then runs on the
window's thread, or `failed(message)` with one line (ConvvizError's text, or the exception's
type and first line). Newest request wins: submitting a job of a kind already running cancels
the older one (its `job.cancelled()` turns true, its result is dropped; `cancelled()`, when
given, runs instead once its thread has ended). A job may report
`job.progress(done, total)`. `busy(text, cancellable)` tells the window what runs ("" when
nothing does), for its status bar. `shutdown()` cancels everything and waits for every thread:
the window calls it when it closes, so no thread outlives it.

Plain Python threads: each job only emits a signal when it ends, which Qt queues to the window's
thread (the receiver lives there). Torch and the image decoders release the GIL while they work;
pure-Python work yields it every few milliseconds, so the window keeps painting.
With `inline=True` (tests and screenshots that want results at once) jobs run in place.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, Signal

from convviz.core.errors import ConvvizError


@dataclass(eq=False)
class Job:
    kind: str
    text: str
    cancellable: bool
    done: Callable[[Any], None]
    failed: Callable[[str], None] | None
    on_cancelled: Callable[[], None] | None = None
    _cancel: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None

    def cancel(self) -> None:
        self._cancel.set()

    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def progress(self, done: int, total: int) -> None:
        """Called from the job's thread; the owner relays it (set by BackgroundJobs)."""


def one_line(e: BaseException) -> str:
    if isinstance(e, ConvvizError):
        return str(e)
    first = (str(e).strip().splitlines() or [""])[0][:200]
    return f"{type(e).__name__}: {first}" if first else type(e).__name__


class BackgroundJobs(QObject):
    busy = Signal(str, bool)  # what runs now ("" when idle), whether it can be cancelled
    progress = Signal(int, int)  # of the newest job that reports any
    failed = Signal(str)  # a failure no job asked to handle itself
    _ended = Signal(object, object, object)  # job, result, error message (None when it worked)

    def __init__(self, parent: QObject | None = None, inline: bool = False):
        super().__init__(parent)
        self.inline = inline
        self._jobs: list[Job] = []  # started and not yet delivered, oldest first
        self._shut = False  # after shutdown() nothing new starts (the window is closing)
        self._ended.connect(self._deliver)

    # ---- asking ----------------------------------------------------------------------------
    def submit(
        self,
        kind: str,
        work: Callable[[Job], Any],
        done: Callable[[Any], None],
        failed: Callable[[str], None] | None = None,
        text: str = "",
        cancellable: bool = True,
        cancelled: Callable[[], None] | None = None,
    ) -> Job:
        for older in self._jobs:
            if older.kind == kind:
                older.cancel()  # newest wins: its result will be dropped
        job = Job(kind, text, cancellable, done, failed, cancelled)
        job.progress = lambda d, t: self.progress.emit(int(d), int(t))  # type: ignore[method-assign]
        if self._shut:  # e.g. a timer that fired while the window closed: a thread started
            job.cancel()  # now would outlive the window; the job is dropped, unrun
            return job
        if self.inline:
            self._deliver(job, *self._run(job, work))
            return job
        self._jobs.append(job)
        job.thread = threading.Thread(
            target=self._in_thread, args=(job, work), daemon=True, name=f"convviz-{kind}"
        )
        job.thread.start()
        self._announce()
        return job

    def running(self, kind: str | None = None) -> list[Job]:
        return [j for j in self._jobs if kind is None or j.kind == kind]

    def cancel(self, kind: str | None = None) -> None:
        """Cancel the jobs that may be cancelled (all kinds when `kind` is None)."""
        for job in self.running(kind):
            if job.cancellable:
                job.cancel()
        self._announce()

    def shutdown(self, timeout_s: float | None = None) -> bool:
        """Cancel every job and wait for every thread (the window is closing). True when all
        have ended."""
        self._shut = True
        jobs, self._jobs = self._jobs, []
        for job in jobs:
            job.cancel()
        for job in jobs:
            if job.thread is not None:
                job.thread.join(timeout_s)
        self._announce()
        return not any(j.thread is not None and j.thread.is_alive() for j in jobs)

    def wait(self, kind: str | None = None) -> None:
        """Block until the jobs of `kind` have ended and deliver their results now (tests,
        screenshots)."""
        for job in self.running(kind):
            if job.thread is not None:
                job.thread.join()
        from PySide6.QtCore import QCoreApplication

        while self.running(kind):
            QCoreApplication.processEvents()

    # ---- the thread and the delivery -------------------------------------------------------
    @staticmethod
    def _run(job: Job, work) -> tuple[Any, str | None]:
        try:
            return work(job), None
        except Exception as e:  # noqa: BLE001 - said in one line, never a crash
            return None, one_line(e)

    def _in_thread(self, job: Job, work) -> None:
        result, error = self._run(job, work)
        # RuntimeError: the owner was deleted while this job ran, nobody to tell
        with contextlib.suppress(RuntimeError):
            self._ended.emit(job, result, error)

    def _deliver(self, job: Job, result, error) -> None:
        if job in self._jobs:
            self._jobs.remove(job)
        self._announce()
        if job.cancelled():
            if job.on_cancelled is not None:
                job.on_cancelled()
            return
        if error is None:
            job.done(result)
        elif job.failed is not None:
            job.failed(error)
        else:
            self.failed.emit(error)

    def _announce(self) -> None:
        live = [j for j in self._jobs if not j.cancelled()]
        newest = live[-1] if live else None
        self.busy.emit(newest.text if newest else "", bool(newest and newest.cancellable))
