"""Reading weights files in two steps: what the file declares, then (only once that has been
judged) the tensors.

`open_weights(path)` reads no more than a file's header: its metadata and, for every tensor, a
name, a dtype and a shape (`Declared`). weights.py judges the network description in the
metadata against the resource budget and compares the declared tensors with what that network
needs; only then does `Declared.read()` read the tensors, as float32. So a small file cannot make
convviz allocate what its header asks for, and a compressed `.pt` storage is judged by the size
it declares before it is inflated.

- safetensors is read here (8-byte header length, JSON header, raw little-endian data), not by
  the safetensors package: that refuses any path that is not UTF-8, and parses a header of up
  to 100 MB before anyone can judge it.
- .pt: `torch.load(weights_only=True)` only, first onto the "meta" device (shapes and dtypes,
  no data read), then for real, after the zip members' declared sizes were compared with the
  tensors' sizes.
- .onnx: onnx_read.read_onnx_declared (protobuf read without the onnx package; external data
  refused, nothing outside the file read).
"""

from __future__ import annotations

import math
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from .errors import WeightsError
from .limits import MAX_LAYERS, MAX_PARAMETERS, MAX_WEIGHTS_HEADER_BYTES
from .spec_json import loads_bounded

ITEM_BYTES = {"float32": 4, "float64": 8, "float16": 2, "bfloat16": 2}
_SAFETENSORS_DTYPES = {"F32": "float32", "F64": "float64", "F16": "float16", "BF16": "bfloat16"}
_TORCH_DTYPES = {
    torch.float32: "float32",
    torch.float64: "float64",
    torch.float16: "float16",
    torch.bfloat16: "bfloat16",
}
MAX_TENSORS = 4 * MAX_LAYERS + 2  # per layer at most 4 (batch normalisation), and the votes
_SMALL_MEMBER = 4096  # a .pt's version, byteorder and id records are a few bytes each


@dataclass
class Tensor:
    dtype: str  # one of WEIGHT_DTYPES, or the file's own name for another type
    shape: tuple[int, ...]

    @property
    def nbytes(self) -> int:
        return math.prod(self.shape) * ITEM_BYTES.get(self.dtype, 8)


@dataclass
class Declared:
    """A weights file's metadata and declared tensors; `read()` gives the tensors as float32."""

    kind: str  # ".safetensors", ".pt", ".onnx"
    metadata: dict
    tensors: dict[str, Tensor]
    read: Callable[[], dict[str, torch.Tensor]] = field(repr=False)


def open_weights(path: Path, kind: str) -> Declared:
    """`kind`: the format sniffed from the content (else the suffix)."""
    if kind == ".safetensors":
        return _safetensors(path)
    if kind == ".pt":
        return _pt(path)
    if kind == ".onnx":
        from .onnx_read import read_onnx_declared

        return read_onnx_declared(path)
    raise WeightsError(
        f"{path}: not a weights file convviz can read (expected .safetensors, .pt or .onnx)"
    )


# ---- safetensors -------------------------------------------------------------------------------
def _safetensors(path: Path) -> Declared:
    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(8)
        n = int.from_bytes(head, "little") if len(head) == 8 else -1
        if n < 2 or 8 + n > size:
            raise WeightsError(
                f"{path}: the file is damaged or not weights (its header would run past the end)"
            )
        if n > MAX_WEIGHTS_HEADER_BYTES:
            raise WeightsError(
                f"{path}: a header of {n:,} bytes; the limit is {MAX_WEIGHTS_HEADER_BYTES:,}"
            )
        header = loads_bounded(
            f.read(n), f"{path}: the header", WeightsError, MAX_WEIGHTS_HEADER_BYTES
        )
    if not isinstance(header, dict):
        raise WeightsError(f"{path}: the file is damaged (its header is not a JSON object)")
    meta = header.pop("__metadata__", None) or {}
    if len(header) > MAX_TENSORS:
        raise WeightsError(
            f"{path}: holds {len(header):,} tensors; a network has at most {MAX_TENSORS}"
        )
    data_start, data_size = 8 + n, size - 8 - n
    tensors, spans = {}, {}
    for name, entry in header.items():
        try:
            dtype, shape, (begin, end) = entry["dtype"], entry["shape"], entry["data_offsets"]
            ok = (
                isinstance(dtype, str)
                and isinstance(shape, list)
                and all(type(d) is int and d >= 0 for d in shape)
                and type(begin) is int
                and type(end) is int
                and 0 <= begin <= end <= data_size
            )
        except (TypeError, KeyError, ValueError):
            ok = False
        if not ok:
            raise WeightsError(
                f"{path}: the file is damaged (tensor {name[:80]!r} is described "
                f"wrongly or lies past the end)"
            )
        t = Tensor(_dtype_name(dtype), tuple(shape))
        if t.dtype in ITEM_BYTES and t.nbytes != end - begin:
            raise WeightsError(
                f"{path}: the file is damaged (tensor {name[:80]!r} has "
                f"{end - begin:,} bytes for {t.nbytes:,})"
            )
        tensors[name], spans[name] = t, (data_start + begin, end - begin)

    def read() -> dict[str, torch.Tensor]:
        out = {}
        with open(path, "rb") as f:
            for name, t in tensors.items():
                start, count = spans[name]
                f.seek(start)
                buf = bytearray(count)  # writable: float32 data becomes the tensor, uncopied
                if f.readinto(buf) != count:
                    raise WeightsError(f"{path}: the file is damaged or truncated")
                out[name] = _from_little_endian(buf, t)
        return out

    return Declared(".safetensors", meta, tensors, read)


def _dtype_name(dtype: str) -> str:
    """safetensors' F32, I64, U8, BOOL ... as torch names them: float32, int64, uint8, bool."""
    if dtype in _SAFETENSORS_DTYPES:
        return _SAFETENSORS_DTYPES[dtype]
    m = re.fullmatch(r"([IUF])(\d+)", dtype)
    return {"I": "int", "U": "uint", "F": "float"}[m[1]] + m[2] if m else dtype.lower()[:20]


def _from_little_endian(buf: bytearray, t: Tensor) -> torch.Tensor:
    """Raw little-endian bytes of one of WEIGHT_DTYPES -> a float32 tensor of t's shape."""
    if t.dtype == "bfloat16":  # the top half of a float32
        a = (np.frombuffer(buf, "<u2").astype(np.uint32) << 16).view(np.float32)
    else:
        a = np.frombuffer(buf, {"float32": "<f4", "float64": "<f8", "float16": "<f2"}[t.dtype])
    return torch.from_numpy(a.astype(np.float32, copy=False).reshape(t.shape))


# ---- .pt (torch's zip format) ------------------------------------------------------------------
def _pt(path: Path) -> Declared:
    if not zipfile.is_zipfile(path):
        return _legacy_pt(path)
    with zipfile.ZipFile(path) as z:
        members = z.infolist()
    if len(members) > MAX_TENSORS + 16:
        raise WeightsError(
            f"{path}: holds {len(members):,} records; a network has at most {MAX_TENSORS} tensors"
        )
    storages = [m for m in members if "/data/" in m.filename]
    for m in members:
        limit = MAX_WEIGHTS_HEADER_BYTES if m.filename.endswith(".pkl") else _SMALL_MEMBER
        if m not in storages and m.file_size > limit:
            raise WeightsError(
                f"{path}: its record {m.filename[:80]} declares {m.file_size:,} "
                f"bytes; the limit is {limit:,}"
            )
    # the meta device: shapes and dtypes from the pickle, not one byte of tensor data read
    meta, tensors = _pt_declared(path)

    def read() -> dict[str, torch.Tensor]:
        # judged against the sizes of the tensors the network needs (compared before this is
        # called), so a 3 MB file cannot inflate a storage to gigabytes
        implied = sum(t.nbytes for t in tensors.values())
        declared = sum(m.file_size for m in storages)
        if declared > implied:
            raise WeightsError(
                f"{path}: its storages declare {declared:,} bytes where the "
                f"network's weights take {implied:,} bytes"
            )
        return _pt_load(path)

    return Declared(".pt", meta, tensors, read)


def _legacy_pt(path: Path) -> Declared:
    """torch's pre-1.6 format (one pickle, storages stored raw after it): never written by
    convviz; its storages are as large as the file, so the file's size is what is judged."""
    most = MAX_PARAMETERS * 8 + MAX_WEIGHTS_HEADER_BYTES
    if path.stat().st_size > most:
        raise WeightsError(
            f"{path}: {path.stat().st_size:,} bytes, more than any network "
            f"convviz can open ({most:,})"
        )
    meta, tensors = _pt_declared(path)

    def read() -> dict[str, torch.Tensor]:
        implied = sum(t.nbytes for t in tensors.values()) + MAX_WEIGHTS_HEADER_BYTES
        if path.stat().st_size > implied:
            raise WeightsError(
                f"{path}: {path.stat().st_size:,} bytes, more than the network's weights take"
            )
        return _pt_load(path)

    return Declared(".pt", meta, tensors, read)


def _pt_load(path: Path) -> dict[str, torch.Tensor]:
    with open(path, "rb") as f:
        loaded = torch.load(f, map_location="cpu", weights_only=True)
    return {k: v.float() for k, v in loaded["state_dict"].items()}


def _pt_declared(path: Path) -> tuple[dict, dict[str, Tensor]]:
    with open(path, "rb") as f:
        obj = torch.load(f, map_location="meta", weights_only=True)
    if not (isinstance(obj, dict) and isinstance(obj.get("state_dict"), dict)):
        raise WeightsError(
            f"{path}: a PyTorch file, but not one convviz wrote (no state_dict with metadata)"
        )
    meta = obj.get("metadata") or {}
    tensors = {}
    for name, v in obj["state_dict"].items():
        if not (isinstance(name, str) and isinstance(v, torch.Tensor)):
            raise WeightsError(
                f"{path}: its state_dict holds {type(v).__name__} under "
                f"{str(name)[:80]!r}; convviz reads only tensors"
            )
        tensors[name] = Tensor(
            _TORCH_DTYPES.get(v.dtype, str(v.dtype).replace("torch.", "")), tuple(v.shape)
        )
    return meta, tensors
