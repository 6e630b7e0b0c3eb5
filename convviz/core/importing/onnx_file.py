"""An ONNX model from another tool, read as data: its size judged before it is read, its tensors'
declared sizes before any is decoded, nothing run and no other file opened.

The `onnx` package is imported here only (about half a second): convviz's own .onnx weights are
read without it (core/onnx_read.py). Only `ModelProto.FromString` and `numpy_helper.to_array`
are used: neither runs code nor follows a path. External data (numbers kept in another file) is
refused whatever it points at, so no file but the one named is ever opened.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConvvizError
from ..limits import (
    IMPORT_ARCHITECTURE_MAX_PARAMETERS,
    IMPORT_MAX_FILE_BYTES,
    IMPORT_MAX_NODES,
    IMPORT_MAX_PARAMETERS,
    IMPORT_MIN_OPSET,
)


class ModelRefused(ConvvizError):
    """A model that cannot be opened as a convviz network; one line saying each reason."""


class ModelTooLarge(ModelRefused):
    """A model that fits convviz but is too large to show and train live: `architecture` is
    the network without its weights (an `Imported` whose state is empty), for the architecture
    view; the line says why."""

    def __init__(self, message: str, architecture=None):
        super().__init__(message)
        self.architecture = architecture


@dataclass
class OnnxGraph:
    """What the importer reads of a model: its nodes in order, the constant tensors (still
    undecoded until `value` asks), the one input and output, and the text metadata."""

    path: Path
    nodes: list[Any]
    constants: dict[str, Any]  # name -> TensorProto (initializers and Constant nodes' values)
    inputs: list[Any]  # ValueInfoProto of each input that is not a constant
    outputs: list[str]
    metadata: dict[str, str]
    opset: int
    too_large: str = ""  # why it is too large to show live ("" when it is not): see _judge_tensors
    _decoded: dict[str, np.ndarray] = field(default_factory=dict)

    def is_constant(self, name: str) -> bool:
        return name in self.constants

    def know(self, name: str, value: np.ndarray) -> None:
        """A value the importer worked out from the graph (a Reshape's computed target)."""
        self.constants[name] = None
        self._decoded[name] = value

    def value(self, name: str) -> np.ndarray:
        """A constant's numbers as float32 (whole numbers kept as int64); sizes were judged when
        the file was opened."""
        if name not in self._decoded:
            from onnx import numpy_helper

            try:
                a = numpy_helper.to_array(self.constants[name])
            except Exception as e:  # noqa: BLE001 - onnx raises several types for bad tensors
                raise ModelRefused(
                    f"{self.path}: the tensor {name[:80]!r} is damaged ({type(e).__name__})"
                ) from None
            a = np.asarray(a)
            if a.dtype.kind == "f":
                a = a.astype(np.float32)
                if not np.isfinite(a).all():
                    raise ModelRefused(
                        f"{self.path}: the tensor {name[:80]!r} holds values that are not finite"
                    )
            self._decoded[name] = a
        return self._decoded[name]


def read_onnx_graph(path) -> OnnxGraph:
    """The model's graph, or ModelRefused with one line: no such file, too large, not a model,
    damaged, external data, too many parameters."""
    path = Path(path)
    if not path.is_file():
        raise ModelRefused(
            f"{path}: no such file"
            if not path.exists()
            else f"{path}: not a file (a folder or a device)"
        )
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size > IMPORT_MAX_FILE_BYTES:
                raise ModelRefused(
                    f"{path}: a model file of {size:,} bytes; convviz opens "
                    f"models up to {IMPORT_MAX_FILE_BYTES:,} bytes "
                    f"({IMPORT_MAX_PARAMETERS:,} parameters)"
                )
            data = f.read(IMPORT_MAX_FILE_BYTES + 1)
    except OSError as e:
        raise ModelRefused(f"{path}: cannot read it ({e.strerror or type(e).__name__})") from None
    model = _parse(path, data)
    return _graph_of(path, model)


def _parse(path: Path, data: bytes):
    import onnx

    try:
        model = onnx.ModelProto.FromString(data)
    except Exception:  # noqa: BLE001 - protobuf's DecodeError, RecursionError for deep nesting
        raise ModelRefused(
            f"{path}: not an ONNX model, or the file is damaged or truncated"
        ) from None
    # protobuf accepts many byte strings as some (empty) message: a model says what it is
    if model.ir_version <= 0 or not model.HasField("graph") or not model.graph.node:
        raise ModelRefused(
            f"{path}: not an ONNX model (no graph in it), or the file is damaged or truncated"
        )
    return model


def _graph_of(path: Path, model) -> OnnxGraph:
    g = model.graph
    opset = max((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), default=0)
    if opset < IMPORT_MIN_OPSET:
        raise ModelRefused(
            f"{path}: written with ONNX opset {opset}; convviz opens opset "
            f"{IMPORT_MIN_OPSET} and up (export it again with a newer tool)"
        )
    if len(g.node) > IMPORT_MAX_NODES:
        raise ModelRefused(
            f"{path}: {len(g.node):,} operators; convviz opens models of up to {IMPORT_MAX_NODES:,}"
        )
    if len(g.sparse_initializer):
        raise ModelRefused(f"{path}: holds sparse tensors; convviz reads dense ones only")
    constants: dict[str, Any] = {t.name: t for t in g.initializer}
    for node in g.node:
        if node.op_type == "Constant" and node.domain in ("", "ai.onnx"):
            for a in node.attribute:
                if a.name == "value" and a.HasField("t"):
                    constants[node.output[0]] = a.t
    too_large = _judge_tensors(path, constants)
    nodes = _without_constant_aliases(list(g.node), constants)
    inputs = [i for i in g.input if i.name not in constants]
    metadata = {p.key: p.value for p in model.metadata_props}
    outputs = [o.name for o in g.output]
    return OnnxGraph(path, nodes, constants, inputs, outputs, metadata, opset, too_large)


def _without_constant_aliases(nodes: list, constants: dict[str, Any]) -> list:
    """The nodes less each Identity of a stored tensor, whose output becomes another name for
    it: torch's exporter (dynamo=False) writes one where two layers hold equal numbers (a shared
    bias), and a layer's weights must be read as stored whichever name it uses."""
    kept = []
    for node in nodes:
        if (
            node.op_type == "Identity"
            and node.domain in ("", "ai.onnx")
            and len(node.input) == 1
            and node.input[0] in constants
            and len(node.output) == 1
        ):
            constants[node.output[0]] = constants[node.input[0]]
        else:
            kept.append(node)
    return kept


def _judge_tensors(path: Path, constants: dict[str, Any]) -> str:
    """External data and the parameter count, from what each tensor declares: before any is
    decoded (a tensor that declares 100,000 x 100,000 numbers is refused, not allocated).

    Over IMPORT_MAX_PARAMETERS (too large to show and train live) the model is still walked
    for its architecture when every tensor really holds the numbers it declares (so decoding
    them takes no more than the file's own size, itself bounded) and there are at most
    IMPORT_ARCHITECTURE_MAX_PARAMETERS: then the line saying so is returned, else ""."""
    total = 0
    for name, t in constants.items():
        if t.data_location == 1 or t.external_data:  # TensorProto.EXTERNAL
            raise ModelRefused(
                f"{path}: refused: the tensor {name[:80]!r} keeps its numbers in "
                f"another file (external data); convviz opens only models whose "
                f"numbers are inside the .onnx file (export with "
                f"external_data=False)"
            )
        if any(d < 0 for d in t.dims):
            raise ModelRefused(f"{path}: the tensor {name[:80]!r} declares a negative size")
        total += math.prod(t.dims)
    if total <= IMPORT_MAX_PARAMETERS:
        return ""
    largest = max(constants, key=lambda n: math.prod(constants[n].dims))
    dims = "x".join(map(str, constants[largest].dims))
    if total <= IMPORT_ARCHITECTURE_MAX_PARAMETERS and all(
        _holds_what_it_declares(t) for t in constants.values()
    ):
        return (
            f"{path}: too large to show live: the model has {total:,} parameters; convviz "
            f"shows and trains models of up to {IMPORT_MAX_PARAMETERS:,} (its architecture "
            f"can still be shown, without the weights)"
        )
    raise ModelRefused(
        f"{path}: the model has more than {IMPORT_MAX_PARAMETERS:,} "
        f"parameters (the tensor {largest[:80]!r} alone declares {dims}); convviz opens "
        f"models up to that size"
    )


def _holds_what_it_declares(t) -> bool:
    """Whether a tensor's stored numbers are as many as its dims say (judged on lengths only)."""
    n = math.prod(t.dims)
    if t.raw_data:
        from onnx import helper

        try:
            itemsize = helper.tensor_dtype_to_np_dtype(t.data_type).itemsize
        except Exception:  # noqa: BLE001 - an unknown data type
            return False
        return len(t.raw_data) == n * itemsize
    stored = max(
        len(t.float_data),
        len(t.int32_data),
        len(t.int64_data),
        len(t.double_data),
        len(t.uint64_data),
        len(t.string_data),
    )
    return stored == n
