"""The trainer's pipe: frames read within a size limit, the images in pieces, and the checks
that each message holds what its kind carries (limits: core/limits.py, outputs section).

A frame that breaks the protocol (too long, not a known message, not the payload its kind
carries) raises PipeError, one line; whoever reads it ends the run with that line.
"""

from __future__ import annotations

import math
import pickle
from typing import Any

import numpy as np

from . import limits
from .errors import ConvvizError
from .snapshot import WeightsSnapshot
from .trainer_messages import (
    FROM_TRAINER,
    Broken,
    Epoch,
    Failed,
    Finished,
    Job,
    Kept,
    Message,
    Paused,
    Progress,
    Ready,
    Snapshot,
    Started,
    TrainProgress,
)

CHUNK_BYTES = 16 << 20  # the images cross the pipe in pieces this size (see send_array)


class PipeError(ConvvizError):
    """A frame on the trainer's pipe that breaks the protocol: too long, not a known message,
    or not the payload its kind carries. The run ends with this one line."""


def read_frame(conn: Any, max_bytes: int) -> bytes:
    """One frame's bytes; PipeError without reading it if it claims more than max_bytes."""
    try:
        return conn.recv_bytes(max_bytes)
    except OSError as e:
        if "bad message length" not in str(e):
            raise  # the other end went away: EOFError/OSError as before
        raise PipeError(
            f"the trainer's pipe: a message longer than its limit of {max_bytes / 2**20:,.0f} MB"
        ) from None


def read_object(conn: Any, max_bytes: int) -> object:
    """One pickled frame of at most max_bytes, of any kind (the reader checks it)."""
    data = read_frame(conn, max_bytes)
    try:
        return pickle.loads(data)
    except Exception:  # noqa: BLE001 - bytes that are no message at all
        raise PipeError("the trainer's pipe: a message that cannot be read") from None


def read_message(conn: Any, max_bytes: int) -> Message:
    """One message from the trainer, of at most max_bytes (its payload not yet checked: see
    check_from_trainer)."""
    msg = read_object(conn, max_bytes)
    if not isinstance(msg, FROM_TRAINER):
        raise PipeError("the trainer's pipe: a message of no known kind")
    return msg


def send_array(conn: Any, a: np.ndarray) -> None:
    """Write a C-contiguous array's bytes into the pipe in CHUNK_BYTES pieces. Pickling it
    whole would first copy all of it into one bytes object: 0.3 GB more for 100,000 images of
    28x28, in the window and again in the trainer."""
    view = bytes_of(a)
    for start in range(0, len(view), CHUNK_BYTES):
        conn.send_bytes(view[start : start + CHUNK_BYTES])


def bytes_of(a: np.ndarray) -> memoryview:
    """A C-contiguous array's bytes, not a copy; TypeError for arrays of Python objects."""
    return memoryview(a.reshape(-1).view(np.uint8))  # type: ignore[arg-type]  # numpy arrays are buffers; numpy's stubs do not say so for Python 3.10's typing


def recv_array(conn: Any, shape: tuple[int, ...], dtype: str) -> np.ndarray:
    """The other end of send_array: the pieces are copied into the new array as they come
    (recv_bytes_into would read a whole frame first too, however long it claimed to be)."""
    a = np.empty(shape, np.dtype(dtype))
    view = bytes_of(a)
    got = 0
    while got < len(view):
        piece = read_frame(conn, min(CHUNK_BYTES, len(view) - got))
        if not piece:
            raise PipeError("the trainer's pipe: an empty piece of the images")
        view[got : got + len(piece)] = piece
        got += len(piece)
    return a


def check_job(msg: object) -> Job:
    """A job message, its images' announced shape checked before any of them are awaited."""
    if not isinstance(msg, Job):
        kind = str(getattr(msg, "kind", type(msg).__name__))
        raise PipeError(f"the trainer's pipe: expected a job, got {kind[:40]!r}")
    try:
        shape = tuple(int(n) for n in msg.shape)
        ok = np.dtype(msg.dtype) == np.float32 and len(shape) == 4 and min(shape) >= 0
    except (TypeError, ValueError):
        ok = False
    if not ok:  # (labels that do not match the images are training's to refuse)
        header = (msg.shape, msg.dtype)
        raise PipeError(f"the trainer's pipe: images announced as {str(header)[:60]}")
    size = 4 * math.prod(shape)
    if size > limits.PIPE_IMAGES_MAX_BYTES:
        raise PipeError(
            f"the trainer's pipe: {size / 2**30:,.1f} GB of images announced, above "
            f"the limit of {limits.PIPE_IMAGES_MAX_BYTES / 2**30:,.0f} GB"
        )
    msg.shape = shape
    return msg


def check_from_trainer(
    msg: object, weight_shapes: dict[str, tuple], network: str | None = None
) -> Message:
    """PipeError unless msg is a message the trainer sends, with the payload of its kind
    (weights: a snapshot of the job's shapes, and of the job's network when `network` (its
    identity) is given; unpickling a snapshot already checked that its parts agree)."""
    from .train_reports import EpochReport, TrainResult

    if not isinstance(msg, FROM_TRAINER):
        kind = getattr(msg, "kind", type(msg).__name__)
        raise PipeError(f"the trainer's pipe: a message of no known kind ({str(kind)[:40]!r})")

    def weights_fit(w: object) -> bool:
        return (
            isinstance(w, WeightsSnapshot)
            and w.shapes == weight_shapes
            and (network is None or w.network == network)
        )

    if isinstance(msg, Ready):
        ok = isinstance(msg.pid, int)
    elif isinstance(msg, Started):
        ok = isinstance(msg.device, str)
    elif isinstance(msg, Broken):
        ok = isinstance(msg.message, str)
    elif isinstance(msg, Paused):
        ok = isinstance(msg.paused, bool)
    elif isinstance(msg, Snapshot):
        ok = weights_fit(msg.weights)
    elif isinstance(msg, Kept):
        ok = (
            weights_fit(msg.weights)
            and type(msg.end) is bool
            and type(msg.epoch) is int
            and type(msg.step) is int
        )
    elif isinstance(msg, Progress):
        ok = isinstance(msg.progress, TrainProgress)
    elif isinstance(msg, Epoch):
        ok = isinstance(msg.report, EpochReport)
    elif isinstance(msg, Finished):
        ok = isinstance(msg.result, TrainResult) and (
            msg.weights is None or weights_fit(msg.weights)
        )
    else:
        assert isinstance(msg, Failed)
        ok = isinstance(msg.message, str) and (msg.weights is None or weights_fit(msg.weights))
    if not ok:
        raise PipeError(
            f"the trainer's pipe: a {msg.kind!r} message that does not hold what that kind carries"
        )
    return msg
