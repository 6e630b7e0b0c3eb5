"""A Keras 3 `.keras` file -> the same steps the ONNX walk gives (onnx_ops.Step), read as data.

A .keras file is a zip holding config.json (the layers, as JSON) and model.weights.h5 (their
numbers, `layers/NAME/vars/I`). Nothing is executed: the config is JSON read within bounds, the
numbers are HDF5 datasets read with h5py after their shapes are judged, and a link to another
file (HDF5 external links, virtual or external datasets) is refused. TensorFlow is not needed.
Sequential models only so far; Keras data is channels last, so kernels are reordered and the
first Dense after a Flatten has its inputs reordered to convviz's channel-first flatten.
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from ..layers import kind_named, pool_out
from ..limits import IMPORT_MAX_FILE_BYTES, IMPORT_MAX_PARAMETERS, MAX_SPEC_JSON_BYTES
from ..spec_json import loads_bounded
from .onnx_file import ModelRefused
from .onnx_import import Problems
from .onnx_ops import TORCH_BATCHNORM_EPS, Problem, Shape, Step

ACTIVATIONS = {"relu": "relu", "sigmoid": "sigmoid", "tanh": "tanh"}
# the Keras layer classes _steps maps (some only with certain settings, said there)
KNOWN = (
    "Rescaling",
    "Conv2D",
    "MaxPooling2D",
    "AveragePooling2D",
    "GlobalAveragePooling2D",
    "BatchNormalization",
    "Flatten",
    "Dense",
    "Dropout",
    "Activation",
    "ReLU",
    "LeakyReLU",
)


def _member(z: zipfile.ZipFile, name: str, limit: int, path: Path) -> bytes:
    try:
        info = z.getinfo(name)
    except KeyError:
        raise ModelRefused(f"{path}: not a Keras model (no {name} in it)") from None
    if info.file_size > limit:
        raise ModelRefused(
            f"{path}: its {name} is {info.file_size:,} bytes; the limit is {limit:,}"
        )
    return z.read(name)


def read_keras(path: Path):
    """(config dict, the weights' h5py File); ModelRefused for anything else."""
    try:
        size = path.stat().st_size
        if size > IMPORT_MAX_FILE_BYTES:
            raise ModelRefused(
                f"{path}: a model file of {size:,} bytes; convviz opens models "
                f"up to {IMPORT_MAX_FILE_BYTES:,} bytes"
            )
        with zipfile.ZipFile(path) as z:
            config = loads_bounded(
                _member(z, "config.json", MAX_SPEC_JSON_BYTES, path),
                f"{path}: its config.json",
                ModelRefused,
            )
            weights = _member(z, "model.weights.h5", IMPORT_MAX_FILE_BYTES, path)
    except (zipfile.BadZipFile, EOFError):
        raise ModelRefused(
            f"{path}: not a Keras model, or the file is damaged or truncated"
        ) from None
    except OSError as e:
        raise ModelRefused(f"{path}: cannot read it ({e.strerror or type(e).__name__})") from None
    try:
        import h5py
    except ImportError:
        raise ModelRefused(
            f"{path}: opening Keras files needs the package h5py (pip install "
            f"h5py, or convviz[keras])"
        ) from None
    try:
        h5 = h5py.File(io.BytesIO(weights), "r")
    except Exception:  # noqa: BLE001 - h5py raises OSError and others for damaged data
        raise ModelRefused(f"{path}: its weights are damaged or truncated") from None
    if not isinstance(config, dict):
        raise ModelRefused(f"{path}: its config.json is not a model description")
    return config, h5


class KerasWeights:
    """Each layer's numbers by (layer name, index), their shapes judged before any is read."""

    def __init__(self, path: Path, h5):
        self.path, self.h5, self.total = path, h5, 0

    def var(self, layer: str, i: int) -> np.ndarray:
        import h5py

        where = f"layers/{layer}/vars/{i}"
        link = self.h5.get(where, getlink=True)
        if link is None:
            raise ModelRefused(
                f"{self.path}: its weights have no {where[:80]!r}; the file is "
                f"damaged or from another Keras version"
            )
        if not isinstance(link, h5py.HardLink):
            raise ModelRefused(
                f"{self.path}: refused: {where[:80]!r} points to another file "
                f"or place; convviz reads only what is inside the model"
            )
        ds = self.h5.get(where)
        if not isinstance(ds, h5py.Dataset) or ds.is_virtual or ds.external:
            raise ModelRefused(
                f"{self.path}: refused: {where[:80]!r} is not numbers stored in the model"
            )
        self.total += math.prod(ds.shape)
        if self.total > IMPORT_MAX_PARAMETERS:
            raise ModelRefused(
                f"{self.path}: the model has more than {IMPORT_MAX_PARAMETERS:,} parameters"
            )
        if ds.dtype.kind != "f":
            raise ModelRefused(f"{self.path}: {where[:80]!r} holds {ds.dtype} numbers")
        a = np.asarray(ds[()], np.float32)
        if not np.isfinite(a).all():
            raise ModelRefused(f"{self.path}: {where[:80]!r} holds values that are not finite")
        return a


def _pair(v) -> tuple[int, int]:
    return (int(v[0]), int(v[1])) if isinstance(v, (list, tuple)) else (int(v), int(v))


def _one(p):
    return p[0] if p[0] == p[1] else p


def _same_pads(shape: Shape, kernel, strides) -> tuple[int, int]:
    pads = []
    for n, k, s in zip(shape[1:], kernel, strides, strict=True):
        total = max((math.ceil(n / s) - 1) * s + k - n, 0)
        if total % 2:
            raise Problem(
                f"pads 'same' with {total} rows or cols, more on one side than the "
                f"other: not supported"
            )
        pads.append(total // 2)
    return pads[0], pads[1]


def _conv(c: dict, name: str, w: KerasWeights, shape: Shape) -> Step:
    if c.get("groups", 1) != 1:
        raise Problem(f"uses groups={c['groups']}: grouped convolutions are not supported")
    if _pair(c.get("dilation_rate", 1)) != (1, 1):
        raise Problem(f"uses dilation_rate={c['dilation_rate']}: not supported")
    k, s = _pair(c["kernel_size"]), _pair(c.get("strides", 1))
    pad = _same_pads(shape, k, s) if c.get("padding") == "same" else (0, 0)
    for n, kk, ss, p in zip(shape[1:], k, s, pad, strict=True):
        if (n + 2 * p - kk) % ss:
            raise Problem(
                f"does not fit its input evenly (({n} - {kk} + 2*{p})/{ss} + 1 is not "
                f"whole): not supported"
            )
    params = {"weight": w.var(name, 0).transpose(3, 2, 0, 1)}  # (kh, kw, in, out) -> torch's
    if c.get("use_bias", True):
        params["bias"] = w.var(name, 1)
    out = [(n + 2 * p - kk) // ss + 1 for n, kk, ss, p in zip(shape[1:], k, s, pad, strict=True)]
    f = int(c["filters"])
    return Step(
        {
            "kind": "conv",
            "features": f,
            "size": _one(k),
            "stride": _one(s),
            "padding": _one(pad),
            "bias": "bias" in params,
        },
        (f, *out),
        f"{f} features {k[0]}x{k[1]}, stride {_one(s)}, padding {_one(pad)}",
        params,
    )


def _pool(kind: str, c: dict, shape: Shape) -> Step:
    k = _pair(c.get("pool_size", 2))
    s = _pair(c.get("strides") or k)
    ceil = [pool_out(n, kk, ss) for n, kk, ss in zip(shape[1:], k, s, strict=True)]
    if c.get("padding") == "same":  # windows start at 0 and the last hangs over: ceil mode
        same = [math.ceil(n / ss) for n, ss in zip(shape[1:], s, strict=True)]
        starts_at_0 = all(
            max((o - 1) * ss + kk - n, 0) < 2
            for o, n, kk, ss in zip(same, shape[1:], k, s, strict=True)
        )
        if same != ceil or not starts_at_0:
            raise Problem("pads 'same' around its input: not supported for these sizes")
    else:
        floor = [(n - kk) // ss + 1 for n, kk, ss in zip(shape[1:], k, s, strict=True)]
        if floor != ceil:
            raise Problem(
                f"rounds down ('valid') to {floor[0]}x{floor[1]}, where convviz's "
                f"pooling counts the window hanging over the edge and gives "
                f"{ceil[0]}x{ceil[1]}: not supported"
            )
    return Step(
        {"kind": kind, "window": _one(k), "stride": _one(s)},
        (shape[0], *ceil),
        f"window {k[0]}x{k[1]}, stride {_one(s)}",
    )


def _activation(name: str | None, shape: Shape, last: bool) -> Step | None:
    if name in (None, "linear"):
        return None
    if name == "softmax" and last:
        return Step(None, shape, "dropped: the votes are what comes before it")
    if name not in ACTIVATIONS:
        raise Problem(f"uses the activation {str(name)[:40]!r}: not supported")
    return Step({"kind": ACTIVATIONS[name]}, shape, f"activation {name}")


def keras_steps(path: Path):
    """(input shape (C, H, W), [(node, step)], (scale, shift) on the input, problems' path)."""
    config, h5 = read_keras(path)
    with h5:
        return _steps(path, config, KerasWeights(path, h5))


@dataclass
class _Walk:
    """What the layers read so far have made: the shape now, the steps (with their layers), the
    input's folded-in scale and shift (a leading Rescaling), and the maps a Flatten laid out
    channels last (for the next Dense)."""

    shape: Shape
    scale: np.ndarray
    shift: np.ndarray
    steps: list = field(default_factory=list)
    flat_from: Shape | None = None


def _steps(path: Path, config: dict, w: KerasWeights):
    problems = Problems(path)
    layers = _sequential_layers(path, config)
    input_shape = _input_shape(path, layers)
    walk = _Walk(input_shape, np.ones(input_shape[0]), np.zeros(input_shape[0]))
    body = [x for x in layers if x.get("class_name") != "InputLayer"]
    _refuse_unknown_layers(problems, body)  # what no shape changes: before any number is read
    seen: dict[str, int] = {}
    for at, layer in enumerate(body):
        cls, c = str(layer.get("class_name"))[:60], layer.get("config") or {}
        node = SimpleNamespace(op_type=cls, name=str(c.get("name", cls))[:80])
        name = _weights_name(cls, seen)
        try:
            out = _layer_steps(cls, c, name, w, walk, last=at == len(body) - 1)
        except Problem as p:
            problems.add(node, p.reason)
            continue
        for step in out:
            if step is not None:
                walk.steps.append((node, step))
                walk.shape = step.shape
    problems.raise_any()
    return input_shape, walk.steps, (walk.scale, walk.shift)


def _sequential_layers(path: Path, config: dict) -> list:
    if config.get("class_name") != "Sequential":
        raise ModelRefused(
            f"{path}: a {str(config.get('class_name'))[:40]} model; convviz "
            f"imports Sequential Keras models so far"
        )
    layers = (config.get("config") or {}).get("layers") or []
    if not isinstance(layers, list) or not layers or not all(isinstance(x, dict) for x in layers):
        raise ModelRefused(f"{path}: its config.json lists no layers")
    return layers


def _input_shape(path: Path, layers: list) -> Shape:
    """(channels, rows, cols) of the model's input, from Keras's (batch, rows, cols, channels)."""
    first = layers[0].get("config", {})
    batch_shape = (
        first.get("batch_shape")
        or first.get("batch_input_shape")
        or (layers[1].get("build_config", {}).get("input_shape") if len(layers) > 1 else None)
    )
    if not (
        isinstance(batch_shape, list)
        and len(batch_shape) == 4
        and all(isinstance(d, int) and d > 0 for d in batch_shape[1:])
    ):
        raise ModelRefused(
            f"{path}: its input is not one picture of a fixed size (batch, rows, cols, channels)"
        )
    return (batch_shape[3], batch_shape[1], batch_shape[2])


def _refuse_unknown_layers(problems: Problems, body: list) -> None:
    for layer in body:
        cls, c = str(layer.get("class_name"))[:60], layer.get("config") or {}
        node = SimpleNamespace(op_type=cls, name=str(c.get("name", cls))[:80])
        if cls == "Lambda":
            problems.add(
                node, "holds Python code (a Lambda layer); convviz never runs code from a file"
            )
        elif cls not in KNOWN:
            problems.add(node, "is not supported")
    problems.raise_any()


def _weights_name(cls: str, seen: dict[str, int]) -> str:
    # the weights file names a layer by its class and place, not by its name: the first
    # Conv2D is layers/conv2d, the second layers/conv2d_1 (Keras's saving_lib)
    snake = re.sub(r"([a-z])([A-Z])", r"\1_\2", re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", cls))
    k = seen[snake.lower()] = seen.get(snake.lower(), -1) + 1
    return snake.lower() + (f"_{k}" if k else "")


def _layer_steps(
    cls: str, c: dict, name: str, w: KerasWeights, walk: _Walk, last: bool
) -> list[Step | None]:
    """One Keras layer's steps from the shape the walk has reached (Problem: not importable)."""
    shape = walk.shape
    if c.get("data_format", "channels_last") != "channels_last":
        raise Problem("is channels first; convviz reads Keras models channels last")
    out: list[Step | None] = []
    if cls == "Lambda":
        raise Problem("holds Python code (a Lambda layer); convviz never runs code from a file")
    if cls == "Rescaling" and not walk.steps:
        sc, off = float(c.get("scale", 1.0)), float(c.get("offset", 0.0))
        walk.scale, walk.shift = walk.scale * sc, walk.shift * sc + off
        out.append(Step(None, shape, "folded into the input's values"))
    elif cls == "Conv2D":
        made = _conv(c, name, w, shape)
        out += [made, _activation(c.get("activation"), made.shape, last)]
    elif cls in ("MaxPooling2D", "AveragePooling2D"):
        out.append(_pool("pool" if cls.startswith("Max") else "avgpool", c, shape))
    elif cls == "GlobalAveragePooling2D" and not c.get("keepdims"):
        out.append(Step({"kind": "gap"}, (shape[0],), "the average of each map"))
    elif cls == "BatchNormalization":
        out.append(_batch_norm(c, name, w, shape))
    elif cls == "Flatten":
        walk.flat_from = shape if len(shape) == 3 else None
        out.append(
            Step(
                {"kind": "flatten"},
                (math.prod(shape),),
                "channels-last order matched by the next Dense's weights",
            )
        )
    elif cls == "Dense":
        made = _dense(c, name, w, shape, walk.flat_from)
        walk.flat_from = None
        out += [made, _activation(c.get("activation"), made.shape, last)]
    elif cls == "Dropout":
        p = float(c.get("rate", 0.5))
        out.append(
            Step({"kind": "dropout", "p": p}, shape, f"p={p:g}")
            if kind_named("dropout")
            else Step(None, shape, "dropped (active only in training)")
        )
    elif cls == "Activation":
        out.append(_activation(c.get("activation"), shape, last))
    elif (
        cls == "ReLU"
        and not c.get("max_value")
        and not c.get("threshold")
        and not c.get("negative_slope")
    ):
        out.append(Step({"kind": "relu"}, shape, "negative values become 0"))
    elif cls == "LeakyReLU":
        slope = float(c.get("negative_slope", c.get("alpha", 0.3)))
        out.append(Step({"kind": "leakyrelu", "slope": slope}, shape, f"slope {slope:g}"))
    else:
        raise Problem("is not supported")
    return out


def _batch_norm(c: dict, name: str, w: KerasWeights, shape: Shape) -> Step:
    if c.get("axis", -1) not in (-1, 3, [3], [-1]):
        raise Problem(f"normalises over axis {c.get('axis')}; only channels are supported")
    n, i = shape[0], 0
    gamma = beta = None
    if c.get("scale", True):
        gamma, i = w.var(name, i), i + 1
    if c.get("center", True):
        beta, i = w.var(name, i), i + 1
    mean, var = w.var(name, i), w.var(name, i + 1)
    var = var + np.float32(c.get("epsilon", 1e-3) - TORCH_BATCHNORM_EPS)
    return Step(
        {"kind": "batchnorm"},
        shape,
        f"{n} channels, their running statistics",
        {
            "weight": np.ones(n, np.float32) if gamma is None else gamma,
            "bias": np.zeros(n, np.float32) if beta is None else beta,
            "running_mean": mean,
            "running_var": var,
        },
    )


def _dense(c: dict, name: str, w: KerasWeights, shape: Shape, flat_from) -> Step:
    if len(shape) != 1:
        raise Problem("needs flat values; a Flatten is missing before it")
    kernel = w.var(name, 0)  # (inputs, units)
    if kernel.shape[0] != shape[0]:
        raise Problem(f"takes {kernel.shape[0]} values but gets {shape[0]}")
    if flat_from is not None:  # Keras flattened (rows, cols, channels); convviz (channels, ...)
        ch, r, col = flat_from
        kernel = kernel.reshape(r, col, ch, -1).transpose(2, 0, 1, 3).reshape(shape[0], -1)
    units = kernel.shape[1]
    bias = w.var(name, 1) if c.get("use_bias", True) else np.zeros(units, np.float32)
    return Step(
        {"kind": "fc", "neurons": int(units)},
        (int(units),),
        f"{units} neurons",
        {"weight": np.ascontiguousarray(kernel.T), "bias": bias},
    )
