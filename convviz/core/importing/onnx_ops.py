"""What each supported ONNX operator becomes in a convviz network: one declaration per operator.

A mapping gets the node, the graph (for its constant inputs) and the shape coming in ((C, H, W)
maps or (n,) values, batch left out), and gives a `Step`: the convviz layer as JSON (None when
the operator changes nothing convviz shows, e.g. Identity), its tensors keyed by the layer's own
parameter names, the shape going out, and a few words for the report. A node it cannot map is a
`Problem` saying why, in the words the report shows.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..layers import kind_named, pool_out
from ..limits import MAX_LAYER_NUMBER
from .onnx_file import OnnxGraph

Shape = tuple[int, ...]
# torch's BatchNorm2d default, which convviz's "batchnorm" kind keeps; a model's own epsilon is
# folded into the running variance (var + eps is all the layer uses), so any epsilon maps exactly
TORCH_BATCHNORM_EPS = 1e-5


# What reading a stranger's settings can raise past the checks made on them (a Keras "rate" of
# "x", an ONNX attribute of the wrong length): the layer's problem, said as such, never a
# traceback (onnx_import and keras_import turn it into a Problem naming the layer).
UNREADABLE = (TypeError, ValueError, KeyError, IndexError, ZeroDivisionError, OverflowError)


class Problem(Exception):
    """This node cannot be mapped: `reason` completes "Conv 'name' ..."."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class Step:
    layer: dict | None  # convviz layer JSON; None: dropped (changes nothing convviz shows)
    shape: Shape
    note: str  # what it became, for the report
    params: dict[str, np.ndarray] = field(default_factory=dict)
    consumed: int = 1  # nodes this step took (MatMul + Add: 2)
    # a residual block's inside, for the report: (node, its step, its index inside or None)
    parts: list = field(default_factory=list)


def attributes(node) -> dict[str, Any]:
    from onnx import helper

    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def constant(graph: OnnxGraph, node, index: int, what: str) -> np.ndarray:
    if index >= len(node.input) or not node.input[index]:
        raise Problem(f"has no {what}")
    name = node.input[index]
    if not graph.is_constant(name):
        raise Problem(f"computes its {what} in the graph; convviz needs it stored in the file")
    return graph.value(name)


def _maps(shape: Shape, what: str) -> tuple[int, int, int]:
    if len(shape) != 3:
        raise Problem(f"needs maps, but its input is flat {shape}")
    return shape


def _one(values, what: str) -> int | tuple[int, int]:
    """[3, 3] -> 3; [3, 5] -> (3, 5): an int when rows and cols agree, as a spec writes it."""
    r, c = (int(v) for v in values)
    return r if r == c else (r, c)


def whole_numbers(a: dict, key: str, default: list[int], least: int) -> list[int]:
    """An attribute giving a number a side (kernel_shape, strides; pads: 4): as many whole
    numbers as `default` has, each from `least` to MAX_LAYER_NUMBER, else a Problem."""
    values = a.get(key, default)
    if not (
        isinstance(values, (list, tuple))
        and len(values) == len(default)
        and all(isinstance(v, int) and least <= v <= MAX_LAYER_NUMBER for v in values)
    ):
        raise Problem(
            f"has {key}={str(values)[:40]}: not {len(default)} whole numbers from {least} up"
        )
    return [int(v) for v in values]


def fits(kernel, shape: Shape, out: list[int]) -> None:
    """A window larger than what it slides over gives no output: said, not passed on."""
    if min(out) < 1:
        raise Problem(
            f"has a {kernel[0]}x{kernel[1]} window over {shape[1]}x{shape[2]} maps: too large"
        )


def _plain_window(a: dict, node_what: str) -> None:
    if any(d != 1 for d in a.get("dilations", [1, 1])):
        raise Problem(
            f"uses dilations={list(a['dilations'])}: dilated {node_what} are not supported"
        )


def _raw_pads(a: dict, shape: Shape, kernel, strides) -> tuple[list[int], list[int]]:
    """(begin, end) padding of rows and cols, from pads or auto_pad."""
    auto = a.get("auto_pad", b"NOTSET")
    auto = auto.decode() if isinstance(auto, bytes) else str(auto)
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        pads = []
        for n, k, s in zip(shape[1:], kernel, strides, strict=True):
            total = max((math.ceil(n / s) - 1) * s + k - n, 0)
            half = (total // 2, total - total // 2)  # SAME_UPPER: the extra one at the end
            pads.append(half if auto == "SAME_UPPER" else half[::-1])
        return [p[0] for p in pads], [p[1] for p in pads]
    if auto == "VALID":
        return [0, 0], [0, 0]
    p = whole_numbers(a, "pads", [0, 0, 0, 0], 0)
    return p[:2], p[2:]


def _symmetric_pads(a: dict, shape: Shape, kernel, strides) -> tuple[int, int]:
    """(rows, cols) padding on both sides giving exactly the windows of the node's padding;
    Problem when there is none (see exact_symmetric)."""
    begin, end = _raw_pads(a, shape, kernel, strides)
    same = [
        exact_symmetric(int(n), int(k), int(s), int(b), int(e))
        for n, k, s, b, e in zip(shape[1:], kernel, strides, begin, end, strict=True)
    ]
    rows, cols = same
    if rows is None or cols is None:
        raise Problem(
            f"pads {list(begin)} before and {list(end)} after: convviz pads both sides "
            f"alike, and no such padding gives the same windows here: not supported"
        )
    return rows, cols


def exact_symmetric(n: int, k: int, s: int, begin: int, end: int) -> int | None:
    """The padding p on both sides whose windows are exactly those of (begin, end), else None.

    Only p = begin can start the windows at the same place; it gives the same windows when
    they land evenly ((n + 2p - k) / s whole, as convviz asks) and the last one ends within
    what (begin, end) padded: the rest of the end padding (less than a stride) is never
    reached, as when a converter pads 'SAME' with the extra row at the end."""
    if begin == end:
        return begin
    if end < begin or (n + 2 * begin - k) % s or n + 2 * begin < k:
        return None
    return begin if (n + begin + end - k) // s == (n + 2 * begin - k) // s else None


def conv(graph: OnnxGraph, node, shape: Shape) -> Step:
    a = attributes(node)
    if a.get("group", 1) != 1:
        raise Problem(f"uses groups={a['group']}: grouped convolutions are not supported")
    _plain_window(a, "convolutions")
    c, h, w = _maps(shape, "maps")
    weight = constant(graph, node, 1, "weights")
    if weight.ndim != 4:
        raise Problem(f"has {weight.ndim}-d weights; convviz convolutions are 2-d")
    features, in_maps, kh, kw = weight.shape
    if min(weight.shape) < 1:
        raise Problem(f"has weights of shape {weight.shape}, with no numbers")
    if in_maps != c:
        raise Problem(f"takes {in_maps} maps but gets {c}")
    strides = whole_numbers(a, "strides", [1, 1], 1)
    pad = _symmetric_pads(a, shape, (kh, kw), strides)
    params = {"weight": weight}
    if len(node.input) > 2 and node.input[2]:
        params["bias"] = constant(graph, node, 2, "bias").reshape(features)
    sizes = list(zip((h, w), pad, (kh, kw), strides, strict=True))
    out = [(n + 2 * p - k) // s + 1 for n, p, k, s in sizes]  # ONNX's (and torch's) floor
    fits((kh, kw), shape, out)
    layer = {
        "kind": "conv",
        "features": int(features),
        "size": _one((kh, kw), "size"),
        "stride": _one(strides, "stride"),
        "padding": _one(pad, "padding"),
        "bias": "bias" in params,
    }
    # a stride that leaves the last rows out (ResNet's 3x3 at stride 2 on 32: 16.5 -> 16):
    # convviz's edge "drop"; where the sizes are whole, the default, left out as before
    dropped = ""
    if any((n + 2 * p - k) % s for n, p, k, s in sizes):
        layer["edge"], dropped = "drop", ", the last rows/cols left out"
    return Step(
        layer,
        (int(features), *out),
        f"{features} features {kh}x{kw}, stride {_one(strides, '')}, padding {_one(pad, '')}"
        f"{dropped}",
        params,
    )


def _pool(kind: str, graph: OnnxGraph, node, shape: Shape) -> Step:
    a = attributes(node)
    _plain_window(a, "poolings")
    c, h, w = _maps(shape, "maps")
    if "kernel_shape" not in a:
        raise Problem("has no kernel_shape")
    kernel = whole_numbers(a, "kernel_shape", [1, 1], 1)
    strides = whole_numbers(a, "strides", [1, 1], 1)
    begin, end = _raw_pads(a, shape, kernel, strides)
    if any(begin + end):
        raise Problem("pads its input; convviz's pooling has no padding")
    if len([o for o in node.output if o]) > 1:
        raise Problem("also gives the winners' indices as an output; not supported")
    ceil = [pool_out(n, k, s) for n, k, s in zip((h, w), kernel, strides, strict=True)]
    fits(kernel, shape, ceil)
    out, edge = ceil, "keep"
    if not a.get("ceil_mode", 0):  # rounding down leaves a window hanging over the edge out:
        floor = [pool_out(n, k, s, "drop") for n, k, s in zip((h, w), kernel, strides, strict=True)]
        if floor != ceil:  # convviz's edge "drop" where that changes the size
            out, edge = floor, "drop"
    layer = {"kind": kind, "window": _one(kernel, ""), "stride": _one(strides, "")}
    if edge == "drop":  # "keep" is the default, left out as before
        layer["edge"] = edge
    dropped = ", the window over the edge dropped" if edge == "drop" else ""
    return Step(
        layer,
        (c, *out),
        f"window {kernel[0]}x{kernel[1]}, stride {_one(strides, '')}{dropped}",
    )


def max_pool(graph: OnnxGraph, node, shape: Shape) -> Step:
    return _pool("pool", graph, node, shape)


def average_pool(graph: OnnxGraph, node, shape: Shape) -> Step:
    return _pool("avgpool", graph, node, shape)


def global_average_pool(graph: OnnxGraph, node, shape: Shape) -> Step:
    c, _, _ = _maps(shape, "maps")
    return Step({"kind": "gap"}, (c,), f"the average of each of {c} maps")


def reduce_mean(graph: OnnxGraph, node, shape: Shape) -> Step:
    a = attributes(node)
    axes = a.get("axes")
    if axes is None and len(node.input) > 1 and node.input[1]:
        axes = constant(graph, node, 1, "axes").tolist()
    if sorted(int(x) % 4 for x in (axes or [])) != [2, 3]:
        raise Problem(
            f"averages over axes {axes}; only the average of each whole map (axes "
            f"2 and 3) is supported"
        )
    return global_average_pool(graph, node, shape)


def batch_norm(graph: OnnxGraph, node, shape: Shape) -> Step:
    a = attributes(node)
    if a.get("training_mode", 0) or len([o for o in node.output if o]) > 1:
        raise Problem("is in training mode; export the model in eval mode")
    n = shape[0]
    scale, bias, mean, var = (
        constant(graph, node, i, w).reshape(-1)
        for i, w in enumerate(("scale", "bias", "mean", "variance"), 1)
    )
    if not all(len(t) == n for t in (scale, bias, mean, var)):
        raise Problem(f"has statistics for another number of channels than its {n}")
    var = var + np.float32(a.get("epsilon", 1e-5) - TORCH_BATCHNORM_EPS)  # see the constant
    if not (var > 0).all():  # (NaN is not above 0 either: an epsilon of NaN)
        raise Problem("has a running variance that is not positive")
    return Step(
        {"kind": "batchnorm"},
        shape,
        f"{n} channels, their running statistics",
        {"weight": scale, "bias": bias, "running_mean": mean, "running_var": var},
    )


def _flatten_step(shape: Shape) -> Step:
    if len(shape) == 1:
        return Step(None, shape, "dropped: the values are already flat")
    return Step({"kind": "flatten"}, (math.prod(shape),), f"{math.prod(shape)} values")


def flatten(graph: OnnxGraph, node, shape: Shape) -> Step:
    if attributes(node).get("axis", 1) != 1:
        raise Problem(
            f"flattens from axis {attributes(node)['axis']}; only the flatten of "
            f"each picture (axis 1) is supported"
        )
    return _flatten_step(shape)


def reshape(graph: OnnxGraph, node, shape: Shape) -> Step:
    target = [int(v) for v in constant(graph, node, 1, "target shape").reshape(-1)]
    n = math.prod(shape)
    flat = (
        len(target) == 2 and target[0] in (1, 0, -1) and target[1] in (n, -1) and target != [-1, -1]
    )
    if not flat:
        raise Problem(
            f"reshapes to {target}; only the reshape that flattens each picture "
            f"(to [1, {n}] or [-1, {n}]) is supported"
        )
    return _flatten_step(shape)


def _fc(weight: np.ndarray, bias: np.ndarray | None, shape: Shape, consumed: int = 1) -> Step:
    if len(shape) != 1:
        raise Problem(f"needs flat values, but its input is maps {shape}; a flatten is missing")
    out, inp = weight.shape
    if inp != shape[0]:
        raise Problem(f"takes {inp} values but gets {shape[0]}")
    if bias is None:
        bias = np.zeros(out, np.float32)
    else:  # one bias a neuron, or one for all of them
        bias = np.full(out, bias.reshape(-1)[0]) if bias.size == 1 else bias.reshape(out)
    return Step(
        {"kind": "fc", "neurons": int(out)},
        (int(out),),
        f"{out} neurons",
        {"weight": np.ascontiguousarray(weight, np.float32), "bias": bias.astype(np.float32)},
        consumed,
    )


def gemm(graph: OnnxGraph, node, shape: Shape) -> Step:
    a = attributes(node)
    if a.get("transA", 0):
        raise Problem("transposes its input (transA=1); not supported")
    b = constant(graph, node, 1, "weights")
    if b.ndim != 2:
        raise Problem(f"has {b.ndim}-d weights")
    weight = (b if a.get("transB", 0) else b.T) * np.float32(a.get("alpha", 1.0))
    bias = None
    if len(node.input) > 2 and node.input[2]:
        c = constant(graph, node, 2, "bias")
        if c.size not in (1, weight.shape[0]):
            raise Problem(f"adds a bias of {c.size} values to {weight.shape[0]} neurons")
        bias = c * np.float32(a.get("beta", 1.0))
    return _fc(weight, bias, shape)


def matmul(graph: OnnxGraph, node, shape: Shape, following=None) -> Step:
    b = constant(graph, node, 1, "weights")
    if b.ndim != 2:
        raise Problem(f"has {b.ndim}-d weights")
    if following is not None:  # MatMul + Add of a stored bias: one fully connected layer
        bias_name = [i for i in following.input if graph.is_constant(i)]
        if bias_name:
            c = graph.value(bias_name[0])
            if c.size in (1, b.shape[1]):
                return _fc(b.T, c, shape, consumed=2)
    return _fc(b.T, None, shape)


def _activation(kind: str, note: str, **fields_of: Callable[[dict], Any]):
    def mapping(graph: OnnxGraph, node, shape: Shape) -> Step:
        a = attributes(node)
        layer = {"kind": kind, **{k: f(a) for k, f in fields_of.items()}}
        return Step(layer, shape, note.format(**layer))

    return mapping


def dropout(graph: OnnxGraph, node, shape: Shape) -> Step:
    if len([o for o in node.output if o]) > 1:
        raise Problem("also gives its mask as an output; not supported")
    a = attributes(node)
    p = float(a.get("ratio", 0.5))
    if len(node.input) > 1 and node.input[1]:
        p = float(constant(graph, node, 1, "ratio").reshape(-1)[0])
    if kind_named("dropout") is None:  # it changes nothing when the network is used
        return Step(
            None,
            shape,
            f"dropped (p={p:g}: active only in training, and this "
            f"convviz has no dropout layer yet)",
        )
    return Step({"kind": "dropout", "p": p}, shape, f"p={p:g}, active only while training")


def identity(graph: OnnxGraph, node, shape: Shape) -> Step:
    return Step(None, shape, "dropped: passes its input on unchanged")


# One declaration per operator: op_type -> mapping. Softmax/LogSoftmax (at the very end),
# Transpose (channels-last input), MatMul + Add and Add are handled by the walk (onnx_import.py),
# because whether they fit depends on where they are.
MAPPINGS: dict[str, Callable[..., Step]] = {
    "Conv": conv,
    "Relu": _activation("relu", "negative values become 0"),
    "LeakyRelu": _activation(
        "leakyrelu",
        "slope {slope:g} for negative values",
        slope=lambda a: float(a.get("alpha", 0.01)),
    ),
    "Sigmoid": _activation("sigmoid", "squashed into 0..1"),
    "Tanh": _activation("tanh", "squashed into -1..1"),
    "MaxPool": max_pool,
    "AveragePool": average_pool,
    "GlobalAveragePool": global_average_pool,
    "ReduceMean": reduce_mean,
    "BatchNormalization": batch_norm,
    "Flatten": flatten,
    "Reshape": reshape,
    "Gemm": gemm,
    "MatMul": matmul,
    "Dropout": dropout,
    "Identity": identity,
}

# Operators known not to fit, with the reason the report gives (others: "not supported").
KNOWN_UNSUPPORTED = {
    "LSTM": "recurrent layers are not supported",
    "GRU": "recurrent layers are not supported",
    "RNN": "recurrent layers are not supported",
    "ConvTranspose": "transposed convolutions are not supported",
    "Concat": "joining paths side by side (concatenation) is not supported",
    "If": "control flow is not supported",
    "Loop": "control flow is not supported",
    "Scan": "control flow is not supported",
    "Attention": "attention layers are not supported",
    "MultiHeadAttention": "attention layers are not supported",
    "LayerNormalization": "layer normalisation is not supported",
}
