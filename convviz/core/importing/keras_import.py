"""A Keras model (.keras or legacy .h5) -> the same steps the ONNX walk gives (onnx_step.Step).

keras_file.py reads the file as data (nothing executed, TensorFlow not needed), keras_graph.py
puts the layers in running order with the residual blocks marked, keras_layers.py maps each
layer. Here the layers are walked from the input: a Rescaling or Normalization before any other
layer is folded into the input's values, each block's inside is walked as the main path is, and
its skip path (the input as it is, or a 1x1 Conv2D with or without a BatchNormalization, folded)
checked as onnx_residual.py checks ONNX ones.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..layers import kind_named
from .inputs import judge_input
from .keras_file import (
    KerasWeights,
    class_based_names,
    h5_where,
    keras_where,
    read_h5,
    read_keras,
)
from .keras_graph import Block, node_of, plan
from .keras_layers import (
    activation,
    batch_norm,
    conv,
    dense,
    normalization,
    pair,
    per_channel,
    pool,
)
from .onnx_file import ModelRefused
from .onnx_import import Problems
from .onnx_residual import BlockProblem, check_skip_stride, skip_conv_params
from .onnx_step import UNREADABLE, Problem, Shape, Step

# the Keras layer classes _layer_steps maps (some only with certain settings, said there)
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
    "Sequential",  # only one that holds nothing but TRAINING_ONLY layers (data augmentation)
)
# Layers that pass their input on unchanged when the model is used (they act only while
# training): the data augmentation of TensorFlow's tutorials, noise. Dropped, and said so.
TRAINING_ONLY = (
    "RandomFlip",
    "RandomRotation",
    "RandomZoom",
    "RandomTranslation",
    "RandomContrast",
    "RandomBrightness",
    "GaussianNoise",
    "GaussianDropout",
    "SpatialDropout2D",
)


def keras_steps(path: Path):
    """(input shape (C, H, W), [(node, step)], (scale, shift) on the input, the line saying
    it is too large to show live or "")."""
    if path.suffix.lower() == ".h5":
        config, h5 = read_h5(path)
        config = _legacy_top(config)
        where = h5_where
    else:
        config, h5 = read_keras(path)
        where = None
    with h5:
        listed, order = plan(path, config)
        if where is None:
            where = keras_where(class_based_names(listed))
        weights = KerasWeights(path, h5, where)
        return (*_steps(path, listed, order, weights), weights.too_large())


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
        # The walk stops at the first layer it cannot map: the ones after it would be judged
        # against a shape that layer never gave, and their reasons ("takes 144 values but gets
        # 400") would only be consequences of the first (every unknown layer kind was named above).
        if isinstance(entry, Block):
            try:
                step = _block_step(entry, w, walk.shape)
            except BlockProblem as bp:
                problems.add(bp.node or node_of(entry.add), bp.reason)
                problems.unchecked = len(body) - at - 1
                break
            walk.steps.append((node_of(entry.add), step))
            walk.shape, walk.flat_from = step.shape, None
            continue
        node = node_of(entry)
        try:
            out = _layer_steps(node.op_type, entry.get("config") or {}, node.name, w, walk, last)
        except Problem as p:
            problems.add(node, p.reason)
            problems.unchecked = len(body) - at - 1
            break
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
    if c.get("groups", 1) != 1 or pair(c.get("dilation_rate", 1)) != (1, 1):
        raise BlockProblem(node, "is a grouped or dilated skip convolution: not supported")
    if c.get("activation") not in (None, "linear"):
        raise BlockProblem(node, f"applies {str(c['activation'])[:30]!r} on the skip path")
    if inside == shape:
        raise BlockProblem(
            node,
            "is a skip convolution where the inside keeps the block's shape; convviz adds "
            "the input as it is there",
        )
    check_skip_stride(node, pair(c.get("strides", 1)), shape, inside)
    weight = w.var(node.name, 0).transpose(3, 2, 0, 1)  # (1, 1, in, out) -> torch's
    if weight.shape != (inside[0], shape[0], 1, 1):
        raise BlockProblem(node, f"has weights {weight.shape} for {shape[0]} maps to {inside[0]}")
    bias = w.var(node.name, 1) if c.get("use_bias", True) else np.zeros(inside[0], np.float32)
    bn = None
    if len(skip) == 2:
        try:
            bn = batch_norm(skip[1].get("config") or {}, node_of(skip[1]).name, w, inside).params
        except Problem as p:
            raise BlockProblem(node_of(skip[1]), p.reason) from None
    return skip_conv_params(weight, bias, bn)


def _augmentation_block(c: dict, shape: Shape) -> Step:
    """A Sequential inside the model (the tutorials' `data_augmentation`): dropped when it holds
    only layers that act while training."""
    inner = c.get("layers") if isinstance(c.get("layers"), list) else None
    classes = [str(x.get("class_name"))[:40] for x in inner or [] if isinstance(x, dict)]
    others = sorted({k for k in classes if k not in TRAINING_ONLY and k != "InputLayer"})
    if inner is None or others:
        raise Problem(
            f"is a model inside the model (with {', '.join(others[:4]) or 'no layers'}): only "
            f"one of data augmentation layers, which act while training, is supported"
        )
    shown = [k for k in classes if k != "InputLayer"][:6]
    return Step(None, shape, f"dropped: {', '.join(shown)}, active only in training")


def _input_shape(path: Path, layers: list) -> Shape:
    """(channels, rows, cols) of the model's input, from Keras's (batch, rows, cols, channels)."""
    first = layers[0].get("config") or {}
    build = (layers[1].get("build_config") if len(layers) > 1 else None) or {}
    batch_shape = (
        first.get("batch_shape")
        or first.get("batch_input_shape")
        or (build.get("input_shape") if isinstance(build, dict) else None)
    )
    if not (
        isinstance(batch_shape, list)
        and len(batch_shape) == 4
        and all(type(d) is int and d > 0 for d in batch_shape[1:])
    ):
        raise ModelRefused(
            f"{path}: its input is not one picture of a fixed size (batch, rows, cols, channels)"
        )
    rows, cols, channels = batch_shape[1:]
    judge_input(path, channels, rows, cols)
    return (channels, rows, cols)


def _refuse_unknown_layers(problems: Problems, body: list) -> None:
    for layer in body:
        node = node_of(layer)
        if node.op_type == "Lambda":
            problems.add(
                node, "holds Python code (a Lambda layer); convviz never runs code from a file"
            )
        elif node.op_type not in KNOWN and node.op_type not in TRAINING_ONLY:
            problems.add(node, "is not supported")
    problems.raise_any()


def _layer_steps(
    cls: str, c: dict, name: str, w: KerasWeights, walk: _Walk, last: bool
) -> list[Step | None]:
    """One Keras layer's steps from the shape the walk has reached (Problem: not importable)."""
    try:
        return _mapped(cls, c, name, w, walk, last)
    except UNREADABLE as e:
        raise Problem(f"has settings or numbers convviz cannot read ({type(e).__name__})") from None


def _mapped(cls: str, c: dict, name: str, w: KerasWeights, walk: _Walk, last: bool) -> list:
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
            per_channel(c.get("scale", 1.0), shape),
            per_channel(c.get("offset", 0.0), shape),
        )
        walk.scale, walk.shift = walk.scale * sc, walk.shift * sc + off
        out.append(Step(None, shape, "folded into the input's values"))
    elif cls == "Normalization" and walk.at_input:
        mean, r = normalization(c, name, w, shape)
        walk.scale, walk.shift = walk.scale * r, (walk.shift - mean) * r
        out.append(Step(None, shape, "(x - mean) / std, folded into the input's values"))
    elif cls == "Conv2D":
        made = conv(c, name, w, shape)
        out += [made, activation(c.get("activation"), made.shape, last)]
    elif cls in ("MaxPooling2D", "AveragePooling2D"):
        out.append(pool("pool" if cls.startswith("Max") else "avgpool", c, shape))
    elif cls == "GlobalAveragePooling2D" and not c.get("keepdims"):
        out.append(Step({"kind": "gap"}, (shape[0],), "the average of each map"))
    elif cls == "BatchNormalization":
        out.append(batch_norm(c, name, w, shape))
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
        made = dense(c, name, w, shape, walk.flat_from)
        walk.flat_from = None
        out += [made, activation(c.get("activation"), made.shape, last)]
    elif cls == "Dropout":
        p = float(c.get("rate", 0.5))
        out.append(
            Step({"kind": "dropout", "p": p}, shape, f"p={p:g}")
            if kind_named("dropout")
            else Step(None, shape, "dropped (active only in training)")
        )
    elif cls in TRAINING_ONLY:
        out.append(Step(None, shape, "dropped: active only in training"))
    elif cls == "Sequential":
        out.append(_augmentation_block(c, shape))
    elif cls == "Activation":
        out.append(activation(c.get("activation"), shape, last))
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
