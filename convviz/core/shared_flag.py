"""A yes/no flag shared with the trainer process, with the methods of an Event that the trainer
uses (set, clear, is_set, wait), on one byte of shared memory.

multiprocessing's Event is built from five semaphores, registered with its resource tracker.
The app leaves by os._exit as soon as its window has gone (app.leave_now: nothing is left to
save), so those semaphores were never unlinked and every quit after a training run printed
"resource_tracker: There appear to be 10 leaked semaphore objects". A byte of shared memory
needs no semaphore and leaves nothing behind; the trainer only polls the flag (every 50 ms
while paused, once a batch otherwise), so a wait that sleeps in small steps loses nothing.
"""

from __future__ import annotations

import time
from typing import Any

POLL_S = 0.01  # s between two looks at the flag while waiting


class SharedFlag:
    def __init__(self, ctx: Any):
        self._value = ctx.RawValue("b", 0)  # (one byte: reads and writes are whole)

    def set(self) -> None:
        self._value.value = 1

    def clear(self) -> None:
        self._value.value = 0

    def is_set(self) -> bool:
        return bool(self._value.value)

    def wait(self, timeout: float | None = None) -> bool:
        end = None if timeout is None else time.monotonic() + timeout
        while not self.is_set():
            if end is not None and time.monotonic() >= end:
                return False
            time.sleep(POLL_S if end is None else max(0.0, min(POLL_S, end - time.monotonic())))
        return True
