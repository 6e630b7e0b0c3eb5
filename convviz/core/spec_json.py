"""JSON from strangers, read within bounds, and the typed fields a network description is made of.

`loads_bounded` checks the size of the text before `json.loads` sees it and its nesting depth
with a flat scan (no recursion), and turns every failure into the caller's error class with one
line. NaN and Infinity (and 1e309, which Python reads as infinity) get through the parser, so
that the field readers below can refuse them naming the field. Those readers refuse a wrong
type or a number out of range, so that a mutated description never reaches arithmetic.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat

import numpy as np

from .limits import (
    MAX_CLASS_NAME_CHARS,
    MAX_JSON_DEPTH,
    MAX_LAYER_NUMBER,
    MAX_SPEC_JSON_BYTES,
    MAX_VALUE_MAGNITUDE,
)

# a JSON string, escapes included; brackets inside strings do not nest anything
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_CHUNK = 1 << 20


def json_depth(text: str) -> int:
    """The deepest nesting of [ and { in `text`, counted in a flat pass (never recursing)."""
    bare = np.frombuffer(_STRING.sub("", text).encode("utf-8", "replace"), np.uint8)
    deepest = level = 0
    for at in range(0, len(bare), _CHUNK):
        part = bare[at : at + _CHUNK]
        step = ((part == ord("[")) | (part == ord("{"))).astype(np.int64) - (
            (part == ord("]")) | (part == ord("}"))
        ).astype(np.int64)
        if len(step):
            run = level + np.cumsum(step)
            deepest = max(deepest, int(run.max()))
            level = int(run[-1])
    return deepest


def open_regular(path, error):
    """`path` opened for reading as a binary file object, only when it is a plain file: a FIFO
    (which would wait for a writer for ever), a device (/dev/zero never ends) or a folder is
    `error` with one line. Opened without blocking and judged by what was opened, so that one
    swapped in after any earlier check is refused too."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except IsADirectoryError:
        raise error(f"{path}: not a file (a folder)") from None
    except OSError as e:
        raise error(f"{path}: cannot read it ({e.strerror or type(e).__name__})") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise error(f"{path}: not a file (a folder, a pipe or a device)")
    return open(fd, "rb")


def read_bounded(path, limit: int, what: str, error) -> bytes:
    """A small file's bytes (a network description, a class list), its size judged before a
    byte is read; `error` (one line naming the file) when it is larger than `limit` bytes,
    is not a plain file (open_regular) or cannot be read."""
    with open_regular(path, error) as f:
        size = os.fstat(f.fileno()).st_size
        if size > limit:
            raise error(f"{path}: {what} of {size:,} bytes; the limit is {limit:,}")
        try:
            return f.read(limit + 1)
        except OSError as e:
            raise error(f"{path}: cannot read it ({e.strerror or type(e).__name__})") from None


def loads_bounded(text, what: str, error=ValueError, max_bytes: int = MAX_SPEC_JSON_BYTES):
    """json.loads(text) for text from a file: at most `max_bytes` long and MAX_JSON_DEPTH deep.
    Raises `error` with one line starting with `what`."""
    if isinstance(text, (bytes, bytearray)):
        if len(text) > max_bytes:
            raise error(f"{what} is {len(text):,} bytes; the limit is {max_bytes:,}")
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError:
            raise error(f"{what} is not UTF-8 text") from None
    if not isinstance(text, str):
        raise error(f"{what} must be JSON text, got {type(text).__name__}")
    if len(text) > max_bytes:  # characters: at least as many bytes
        raise error(f"{what} is {len(text):,} characters; the limit is {max_bytes:,}")
    depth = json_depth(text)
    if depth > MAX_JSON_DEPTH:
        raise error(f"{what} is nested {depth} levels deep; the limit is {MAX_JSON_DEPTH}")
    try:
        return json.loads(text)  # NaN, Infinity, 1e309: refused by the field readers below
    except json.JSONDecodeError as e:
        raise error(f"{what} is not valid JSON: {e.msg} at line {e.lineno}") from None
    except (ValueError, RecursionError) as e:  # a 5,000-digit number
        reason = (str(e).splitlines() or [type(e).__name__])[0][:120]
        raise error(f"{what} is not valid JSON: {reason}") from None


# ---- typed fields -------------------------------------------------------------------------------
def whole(v, what: str, error, lo: int = 0, hi: int = MAX_LAYER_NUMBER) -> int:
    """A whole number in lo..hi: an int, or a float with no fraction (5.0); never a bool, NaN,
    an infinity or a string."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise error(f"{what} must be a whole number, got {show(v)}")
    if isinstance(v, float) and not (math.isfinite(v) and v == int(v)):
        raise error(f"{what} must be a whole number, got {show(v)}")
    if not lo <= v <= hi:
        raise error(f"{what} must be between {lo:,} and {hi:,}, got {show(v)}")
    return int(v)


def finite(v, what: str, error, bound: float = MAX_VALUE_MAGNITUDE) -> float:
    """A finite number of magnitude at most `bound`."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise error(f"{what} must be a number, got {show(v)}")
    if not (math.isfinite(v) and abs(v) <= bound):
        raise error(
            f"{what} must be a finite number between {-bound:g} and {bound:g}, got {show(v)}"
        )
    return float(v)


def flag(v, what: str, error) -> bool:
    if not isinstance(v, bool):
        raise error(f"{what} must be true or false, got {show(v)}")
    return v


def text_field(v, what: str, error, max_chars: int = MAX_CLASS_NAME_CHARS) -> str:
    if not isinstance(v, str):
        raise error(f"{what} must be text, got {show(v)}")
    if len(v) > max_chars:
        raise error(f"{what} is {len(v):,} characters long; the limit is {max_chars:,}")
    return v


def listed(v, what: str, error, max_items: int) -> list:
    """A JSON list (or tuple) of at most `max_items` items."""
    if not isinstance(v, (list, tuple)):
        raise error(f"{what} must be a list, got {show(v)}")
    if len(v) > max_items:
        raise error(f"{what} has {len(v):,} items; the limit is {max_items:,}")
    return list(v)


def show(v) -> str:
    """A short picture of a value for a message: never a megabyte of it."""
    if isinstance(v, (dict, list, tuple)):
        return f"a {'list' if not isinstance(v, dict) else 'JSON object'} ({len(v)} items)"
    r = repr(v)
    return r if len(r) <= 40 else r[:37] + "..."
