"""What each supported ONNX operator becomes in a convviz network: one declaration per operator.

A mapping gets the node, the graph (for its constant inputs) and the shape coming in ((C, H, W)
maps or (n,) values, batch left out), and gives a `Step`: the convviz layer as JSON (None when
the operator changes nothing convviz shows, e.g. Identity), its tensors keyed by the layer's own
parameter names, the shape going out, and a few words for the report. A node it cannot map is a
`Problem` saying why, in the words the report shows. The shared parts are in onnx_step.py,
the window operators (Conv, MaxPool, AveragePool) in onnx_windows.py.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..layers import kind_named
from .onnx_file import OnnxGraph
from .onnx_step import TORCH_BATCHNORM_EPS, Problem, Shape, Step, attributes, constant, need_maps
from .onnx_windows import average_pool, conv, max_pool


def global_average_pool(graph: OnnxGraph, node, shape: Shape) -> Step:
    c, _, _ = need_maps(shape, "maps")
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
