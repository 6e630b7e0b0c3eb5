"""A Keras 3 `.keras` file -> the same steps the ONNX walk gives (onnx_ops.Step), read as data.

A .keras file is a zip holding config.json (the layers, as JSON) and model.weights.h5 (their
numbers, `layers/NAME/vars/I`). Nothing is executed: the config is JSON read within bounds, the
numbers are HDF5 datasets read with h5py after their shapes are judged, and a link to another
file (HDF5 external links, virtual or external datasets) is refused. TensorFlow is not needed.
Sequential models only so far; Keras data is channels last, so kernels are reordered and the
first Dense after a Flatten has its inputs reordered to convviz's channel-first flatten.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..layers import kind_named, pool_out
from .keras_file import (
    KerasWeights,
    _h5_where,
    _keras_where,
    class_based_names,
    read_h5,
    read_keras,
)
from .keras_graph import Block, node_of, plan
from .onnx_file import ModelRefused
from .onnx_import import Problems
from .onnx_ops import TORCH_BATCHNORM_EPS, Problem, Shape, Step, exact_symmetric
from .onnx_residual import BlockProblem, check_skip_stride, skip_conv_params

KERAS_EPSILON = 1e-7  # keras.backend.epsilon(), the least std a Normalization divides by
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
    "Normalization",
    "Add",  # only where it joins a residual block (keras_graph.py)
)


def _pair(v) -> tuple[int, int]:
    return (int(v[0]), int(v[1])) if isinstance(v, (list, tuple)) else (int(v), int(v))


def _one(p):
    return p[0] if p[0] == p[1] else p


def _same_pads(shape: Shape, kernel, strides) -> tuple[int, int]:
    pads = []
    for n, k, s in zip(shape[1:], kernel, strides, strict=True):
        total = max((math.ceil(n / s) - 1) * s + k - n, 0)
        p = exact_symmetric(n, k, s, total // 2, total - total // 2)
        if p is None:
            raise Problem(
                f"pads 'same' with {total} rows or cols, more at the end than at the start, "
                f"and no padding alike on both sides gives the same windows: not supported"
            )
        pads.append(p)
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
    """(input shape (C, H, W), [(node, step)], (scale, shift) on the input)."""
    if path.suffix.lower() == ".h5":
        config, h5 = read_h5(path)
        config = _legacy_top(config)
        where = _h5_where
    else:
        config, h5 = read_keras(path)
        where = None
    with h5:
        listed, order = plan(path, config)
        if where is None:
            where = _keras_where(class_based_names(listed))
        return _steps(path, listed, order, KerasWeights(path, h5, where))


def _legacy_top(config: dict) -> dict:
    # Keras 2 wrote some Sequential configs as a bare list of layers
    c = config.get("config")
    if config.get("class_name") == "Sequential" and isinstance(c, list):
        return {"class_name": "Sequential", "config": {"layers": c}}
    return config


@dataclass
class _Walk:
    """What the layers read so far have made: the shape now, the steps (with their layers), the
    input's folded-in scale and shift (a Rescaling or Normalization before any other layer), and
    the maps a Flatten laid out channels last (for the next Dense). A block's inside is walked
    with its own _Walk (at_input False: nothing there is folded into the input)."""

    shape: Shape
    scale: np.ndarray
    shift: np.ndarray
    steps: list = field(default_factory=list)
    flat_from: Shape | None = None
    at_input: bool = True


def _steps(path: Path, listed: list, order: list, w: KerasWeights):
    problems = Problems(path)
    input_shape = _input_shape(path, [x for x in order if isinstance(x, dict)])
    walk = _Walk(input_shape, np.ones(input_shape[0]), np.zeros(input_shape[0]))
    body = [x for x in order if not (isinstance(x, dict) and x.get("class_name") == "InputLayer")]
    # what no shape changes, before any number is read
    _refuse_unknown_layers(problems, [x for x in listed if x.get("class_name") != "InputLayer"])
    for at, entry in enumerate(body):
        last = at == len(body) - 1
        if isinstance(entry, Block):
            try:
                step = _block_step(entry, w, walk.shape)
            except BlockProblem as bp:
                problems.add(bp.node or node_of(entry.add), bp.reason)
                continue
            walk.steps.append((node_of(entry.add), step))
            walk.shape, walk.flat_from = step.shape, None
            continue
        node = node_of(entry)
        try:
            out = _layer_steps(node.op_type, entry.get("config") or {}, node.name, w, walk, last)
        except Problem as p:
            problems.add(node, p.reason)
            continue
        for made in out:
            if made is not None:
                walk.steps.append((node, made))
                walk.shape = made.shape
        walk.at_input = walk.at_input and not any(s and s.layer for s in out)
    problems.raise_any()
    return input_shape, walk.steps, (walk.scale, walk.shift)


def _block_step(block: Block, w: KerasWeights, shape: Shape) -> Step:
    """A residual block's Step: its inside walked as the main path is, its skip checked and its
    batch norm folded as in onnx_residual.py."""
    if len(shape) != 3:
        raise BlockProblem(None, f"forks flat values {shape}; a residual block needs maps")
    inner = _Walk(shape, np.ones(1), np.zeros(1), at_input=False)
    layers: list[dict] = []
    params: dict = {}
    parts: list = []
    for layer in block.inside:
        node = node_of(layer)
        try:
            out = _layer_steps(node.op_type, layer.get("config") or {}, node.name, w, inner, False)
        except Problem as p:
            raise BlockProblem(node, p.reason) from None
        for step in (s for s in out if s is not None):
            index = None
            if step.layer is not None:
                index = len(layers)
                layers.append(step.layer)
                params.update({f"inner.{index}.{k}": v for k, v in step.params.items()})
            parts.append((node, step, index))
            inner.shape = step.shape
    inside = inner.shape
    if not layers or len(inside) != 3:
        raise BlockProblem(None, "has an inside that changes nothing or gives flat values")
    if not block.skip:
        if inside != shape:
            raise BlockProblem(
                None, f"adds the block's input as it is to an output of another shape {inside}"
            )
        said = "skip path: the block's input as it is"
    else:
        params.update(_skip(block.skip, w, shape, inside))
        said = "skip path " + " + ".join(
            f"{n.op_type} {n.name!r}" for n in map(node_of, block.skip)
        )
        said += " (batch norm folded in)" if len(block.skip) == 2 else ""
    return Step(
        {"kind": "residual", "layers": layers}, inside, f"inside + {said}", params, parts=parts
    )


def _skip(skip: list, w: KerasWeights, shape: Shape, inside: Shape) -> dict:
    node, c = node_of(skip[0]), skip[0].get("config") or {}
    if c.get("groups", 1) != 1 or _pair(c.get("dilation_rate", 1)) != (1, 1):
        raise BlockProblem(node, "is a grouped or dilated skip convolution: not supported")
    if c.get("activation") not in (None, "linear"):
        raise BlockProblem(node, f"applies {str(c['activation'])[:30]!r} on the skip path")
    if inside == shape:
        raise BlockProblem(
            node,
            "is a skip convolution where the inside keeps the block's shape; convviz adds "
            "the input as it is there",
        )
    check_skip_stride(node, _pair(c.get("strides", 1)), shape, inside)
    weight = w.var(node.name, 0).transpose(3, 2, 0, 1)  # (1, 1, in, out) -> torch's
    if weight.shape != (inside[0], shape[0], 1, 1):
        raise BlockProblem(node, f"has weights {weight.shape} for {shape[0]} maps to {inside[0]}")
    bias = w.var(node.name, 1) if c.get("use_bias", True) else np.zeros(inside[0], np.float32)
    bn = None
    if len(skip) == 2:
        try:
            bn = _batch_norm(skip[1].get("config") or {}, node_of(skip[1]).name, w, inside).params
        except Problem as p:
            raise BlockProblem(node_of(skip[1]), p.reason) from None
    return skip_conv_params(weight, bias, bn)


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
        node = node_of(layer)
        if node.op_type == "Lambda":
            problems.add(
                node, "holds Python code (a Lambda layer); convviz never runs code from a file"
            )
        elif node.op_type not in KNOWN:
            problems.add(node, "is not supported")
    problems.raise_any()


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
    if cls in ("Rescaling", "Normalization") and not walk.at_input:
        raise Problem("rescales values after the first layer; only at the input is supported")
    if cls == "Rescaling" and walk.at_input:
        sc, off = (
            _per_channel(c.get("scale", 1.0), shape),
            _per_channel(c.get("offset", 0.0), shape),
        )
        walk.scale, walk.shift = walk.scale * sc, walk.shift * sc + off
        out.append(Step(None, shape, "folded into the input's values"))
    elif cls == "Normalization" and walk.at_input:
        mean, r = _normalization(c, name, w, shape)
        walk.scale, walk.shift = walk.scale * r, (walk.shift - mean) * r
        out.append(Step(None, shape, "(x - mean) / std, folded into the input's values"))
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


def _per_channel(value, shape: Shape) -> np.ndarray:
    """A number, or one a channel, from a layer's config (Rescaling's scale and offset)."""
    try:
        v = np.asarray(value, np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise Problem("has a scale or offset that is not numbers") from None
    if v.size not in (1, shape[0]) or not np.isfinite(v).all():
        raise Problem(f"has {v.size} numbers for {shape[0]} channels")
    return np.broadcast_to(v, shape[0]).astype(np.float64)


def _normalization(c: dict, name: str, w: KerasWeights, shape: Shape):
    """(mean, 1/std) per channel of a Normalization layer: from its config when it was given
    them, else its stored (adapted) numbers. Keras divides by max(sqrt(variance), 1e-7)."""
    if c.get("invert"):
        raise Problem("undoes a normalisation (invert=True): not supported")
    if c.get("axis", -1) not in (-1, 3, [-1], [3], None):
        raise Problem(f"normalises over axis {c.get('axis')}; only channels are supported")
    if c.get("mean") is not None and c.get("variance") is not None:
        mean, var = _per_channel(c["mean"], shape), _per_channel(c["variance"], shape)
    else:
        mean, var = (_per_channel(w.var(name, i), shape) for i in (0, 1))
    if (var < 0).any():
        raise Problem("has a negative variance")
    return mean, 1 / np.maximum(np.sqrt(var), KERAS_EPSILON)


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
