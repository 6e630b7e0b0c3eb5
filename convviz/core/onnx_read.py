"""Reading a model file `export_onnx` wrote, without the `onnx` package.

Why not `onnx.load`: importing `onnx` takes about half a second, most of it one C extension
(ml_dtypes) starting up while it holds Python's lock, so the first .onnx opened froze the window
for ~480 ms even from a background thread. What convviz needs from the file is small: the
metadata strings and the `layers.*` initializers (name, type, shape, numbers). Those are read here
straight from protobuf's wire format, which is a short, fixed recipe (field number + wire type,
varints, length-prefixed bytes).

Only the few messages on that path are walked (ModelProto -> GraphProto -> TensorProto and the
key/value entries), each at a known depth: no recursion a file could deepen. Every length is
checked against what is left of its message before it is used, so a truncated or lying file gives
one line. Nothing outside the file is read: an initializer keeping its numbers elsewhere
("external data") is refused, naming it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from .errors import WeightsError

# ONNX's TensorProto.DataType numbers: the weight types convviz reads, by their numpy layout
_READABLE = {
    1: ("float32", "<f4"),
    11: ("float64", "<f8"),
    10: ("float16", "<f2"),
    16: ("bfloat16", "<u2"),
}
# the others, named as onnx names them, only so a refusal can say what the file holds
_OTHER_TYPES = {
    2: "uint8",
    3: "int8",
    4: "uint16",
    5: "int16",
    6: "int32",
    7: "int64",
    8: "string",
    9: "bool",
    12: "uint32",
    13: "uint64",
    14: "complex64",
    15: "complex128",
}
_EXTERNAL = 1  # TensorProto.DataLocation.EXTERNAL


class _Damaged(Exception):
    """The bytes do not follow protobuf's wire format (turned into one WeightsError line)."""


def _varint(buf: memoryview, i: int, end: int) -> tuple[int, int]:
    value, shift = 0, 0
    while True:
        if i >= end or shift > 63:  # a varint is at most 10 bytes
            raise _Damaged
        b = buf[i]
        i += 1
        value |= (b & 0x7F) << shift
        if b < 0x80:
            return value, i
        shift += 7


def _fields(buf: memoryview, start: int, end: int):
    """(field number, wire type, value) for each field of the message in buf[start:end]; the
    value of a length-delimited field is its (start, end), of a fixed-size field its bytes."""
    i = start
    value: Any
    while i < end:
        tag, i = _varint(buf, i, end)
        number, wire = tag >> 3, tag & 7
        if number == 0:
            raise _Damaged
        if wire == 0:
            value, i = _varint(buf, i, end)
        elif wire == 2:
            n, i = _varint(buf, i, end)
            if n > end - i:
                raise _Damaged
            value, i = (i, i + n), i + n
        elif wire in (1, 5):
            n = 8 if wire == 1 else 4
            if n > end - i:
                raise _Damaged
            value, i = bytes(buf[i : i + n]), i + n
        else:  # 3 and 4 (groups) are not used by ONNX; 6 and 7 do not exist
            raise _Damaged
        yield number, wire, value


def _text(buf: memoryview, span) -> str:
    try:
        return bytes(buf[span[0] : span[1]]).decode("utf-8")
    except UnicodeDecodeError:
        raise _Damaged from None


def _entry(buf: memoryview, span) -> tuple[str, str]:
    """A StringStringEntryProto: key = 1, value = 2."""
    key = value = ""
    for number, wire, v in _fields(buf, *span):
        if wire == 2 and number in (1, 2):
            if number == 1:
                key = _text(buf, v)
            else:
                value = _text(buf, v)
    return key, value


class _Initializer:
    """The parts of one TensorProto convviz uses."""

    def __init__(self, buf: memoryview, span):
        self.name, self.data_type, self.dims = "", 0, []
        self.raw = None  # (start, end) of raw_data
        self.packed: list = []  # float_data / double_data / int32_data spans or values
        self.external: dict[str, str] = {}
        self.location = 0
        for number, wire, v in _fields(buf, *span):
            if number == 1:  # dims: int64, packed or one per field
                for d in _packed_varints(buf, v) if wire == 2 else [v]:
                    self.dims.append(d - (1 << 64) if d >= 1 << 63 else d)
            elif number == 2 and wire == 0:
                self.data_type = v
            elif number == 8 and wire == 2:
                self.name = _text(buf, v)
            elif number == 9 and wire == 2:
                self.raw = v
            elif number in (4, 5, 10):  # float_data, int32_data, double_data
                self.packed.append((number, wire, v))
            elif number == 13 and wire == 2:
                k, val = _entry(buf, v)
                self.external[k] = val
            elif number == 14 and wire == 0:
                self.location = v


def _packed_varints(buf: memoryview, span) -> list[int]:
    out, i = [], span[0]
    while i < span[1]:
        v, i = _varint(buf, i, span[1])
        out.append(v)
    return out


def _numbers(buf: memoryview, init: _Initializer) -> np.ndarray:
    """The initializer's numbers as float32, from raw_data or from the typed repeated fields."""
    if init.data_type not in _READABLE:
        raise _Damaged
    dtype = _READABLE[init.data_type][1]
    # which repeated field may hold which type (TensorProto's comments in onnx.proto)
    allowed = {1: 4, 11: 10, 10: 5, 16: 5}[init.data_type]
    if any(number != allowed for number, _, _ in init.packed):
        raise _Damaged
    if init.raw is not None:
        raw = bytes(buf[init.raw[0] : init.raw[1]])
        if len(raw) % np.dtype(dtype).itemsize:
            raise _Damaged
        a = np.frombuffer(raw, dtype=dtype)
    else:
        parts = []
        for number, wire, v in init.packed:
            if number == 5:  # float16 / bfloat16 bit patterns, one per int32 varint
                parts.append(
                    np.array(_packed_varints(buf, v) if wire == 2 else [v], dtype=np.uint64)
                    .astype(np.uint16)
                    .view("<f2" if init.data_type == 10 else "<u2")
                )
            else:
                item = "<f4" if number == 4 else "<f8"
                parts.append(np.frombuffer(bytes(buf[v[0] : v[1]]) if wire == 2 else v, item))
        a = np.concatenate(parts) if parts else np.zeros(0, np.float32)
    if init.data_type == 16:  # bfloat16: the high half of a float32
        a = (a.astype(np.uint32) << 16).view(np.float32)
    return a.astype(np.float32)


def _read_bounded(path: Path) -> memoryview:
    """The whole file, its size judged first against the largest network convviz can open."""
    from .limits import MAX_PARAMETERS, MAX_WEIGHTS_HEADER_BYTES

    most = MAX_PARAMETERS * 8 + MAX_WEIGHTS_HEADER_BYTES
    with open(path, "rb") as f:  # any path, and one size judged first
        size = os.fstat(f.fileno()).st_size
        if size > most:
            raise WeightsError(
                f"{path}: {size:,} bytes, more than any network convviz can open ({most:,})"
            )
        buf = memoryview(f.read())
    return buf


def _metadata_and_layers(path: Path, buf: memoryview) -> tuple[dict, dict]:
    """(metadata_props, {name: initializer} of the layers.* initializers); WeightsError for one
    kept in another file, too many tensors, or a damaged file."""
    from .weights_read import MAX_TENSORS

    try:
        meta, inits = {}, {}
        for number, wire, v in _fields(buf, 0, len(buf)):
            if number == 14 and wire == 2:  # metadata_props
                k, val = _entry(buf, v)
                meta[k] = val
            elif number == 7 and wire == 2:  # graph
                for gnum, gwire, gv in _fields(buf, *v):
                    if gnum == 5 and gwire == 2:  # initializer
                        init = _Initializer(buf, gv)
                        if init.location == _EXTERNAL or init.external:
                            where = init.external.get("location", "?")
                            raise WeightsError(
                                f"{path}: refused: its initializer {init.name[:80]!r} keeps its "
                                f"numbers in another file ({where[:80]!r}); convviz reads only "
                                f"what is inside the model file"
                            )
                        if init.name.startswith("layers."):
                            inits[init.name] = init
                            if len(inits) > MAX_TENSORS:
                                raise WeightsError(
                                    f"{path}: holds more than {MAX_TENSORS} "
                                    f"tensors; a network has at most that many"
                                )
    except _Damaged:
        raise WeightsError(f"{path}: the ONNX file is damaged or truncated") from None
    return meta, inits


def read_onnx_declared(path: Path):
    """The model's metadata and its layers.* initializers' names, types and shapes; `read()`
    turns them into float32 tensors. The exporter keeps each parameter's name (layers.0.weight
    ...) on its initializer, so the network rebuilt from the "spec" metadata loads them as they
    are."""
    import torch

    from .weights_read import Declared, Tensor

    path = Path(path)
    buf = _read_bounded(path)
    meta, inits = _metadata_and_layers(path, buf)
    if any(d < 0 for i in inits.values() for d in i.dims):
        raise WeightsError(f"{path}: the ONNX file is damaged (a negative dimension)")
    tensors = {
        name: Tensor(
            _READABLE[i.data_type][0]
            if i.data_type in _READABLE
            else _OTHER_TYPES.get(i.data_type, f"onnx type {i.data_type}"),
            tuple(i.dims),
        )
        for name, i in inits.items()
    }
    if not tensors or "spec" not in meta:
        raise WeightsError(
            f"{path}: an ONNX file, but not one convviz wrote (no network "
            f"description in its metadata)"
        )

    def read() -> dict:
        out = {}
        for name, init in inits.items():  # shapes and types were compared with the network's
            t = tensors[name]
            try:
                a = _numbers(buf, init)
            except _Damaged:
                a = None
            if a is None or a.size != int(np.prod(t.shape, dtype=np.int64)):
                held = "an uneven number of bytes" if a is None else f"{a.size:,} numbers"
                raise WeightsError(
                    f"{path}: the file is damaged ({name} holds {held} "
                    f"for {'x'.join(map(str, t.shape))})"
                )
            out[name] = torch.from_numpy(a.reshape(t.shape).copy())
        return out

    return Declared(".onnx", meta, tensors, read)
