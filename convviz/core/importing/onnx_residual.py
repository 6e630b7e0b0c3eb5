"""A residual addition in an ONNX graph -> convviz's `residual` block (core/layers/residual.py).

Where the path forks, both branches are followed to the Add that joins them. One branch is the
skip path: nothing (the block's input as it is), or a 1x1 convolution, with or without a
BatchNormalization after it (torchvision's `downsample`), which is folded into the convolution
exactly (a 1x1 convolution with no padding: every output is one weighted sum plus a bias). The
other branch is the block's inside, mapped operator by operator as on the main path. convviz's
skip convolution moves by input size / inside size, a whole number: a skip whose shape cannot be
said that way (a 3x3 skip, padding, another stride, a skip where convviz adds the input as it
is) is refused with the node's name and why. A branch inside a branch is refused (not yet).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..layers.registry import DIMENSIONS
from .onnx_file import OnnxGraph
from .onnx_ops import batch_norm
from .onnx_step import TORCH_BATCHNORM_EPS, Problem, Shape, Step, attributes, constant


@dataclass
class BlockProblem(Exception):
    """A Problem with the node it belongs to (inside a block, not the walk's current node)."""

    node: object
    reason: str


def _is_join(graph: OnnxGraph, node) -> bool:
    return (
        node.op_type == "Add"
        and len(node.input) == 2
        and not any(graph.is_constant(i) for i in node.input)
    )


def _branch(graph: OnnxGraph, consumers, first, limit: int) -> tuple[list, Any]:
    """(the nodes from `first` up to the joining Add, that Add)."""
    chain: list = []
    node = first
    for _ in range(limit):
        if _is_join(graph, node):
            return chain, node
        chain.append(node)
        after = consumers.get(node.output[0], [])
        if len(after) != 1:
            raise BlockProblem(
                node,
                "forks again inside a branch: a residual block inside another is not imported yet"
                if after
                else "ends a branch that no Add joins again: not supported",
            )
        node = after[0]
    raise BlockProblem(first, "starts a branch that never joins again: not supported")


def _is_skip_conv(graph: OnnxGraph, chain: list) -> bool:
    if not chain or chain[0].op_type != "Conv" or len(chain) > 2:
        return False
    if len(chain) == 2 and chain[1].op_type != "BatchNormalization":
        return False
    w = graph.value(chain[0].input[1]) if graph.is_constant(chain[0].input[1]) else None
    return w is not None and w.ndim == 4 and w.shape[2:] == (1, 1)


def split(graph: OnnxGraph, consumers, users: list):
    """(the inside's nodes, the skip path's nodes, the joining Add); BlockProblem otherwise."""
    if len(users) != 2:
        raise BlockProblem(
            None,
            f"has a value feeding {len(users)} operators; convviz joins two paths "
            f"(a residual block) only",
        )
    a, b = (_branch(graph, consumers, u, len(graph.nodes)) for u in users)
    if a[1] is not b[1]:
        raise BlockProblem(users[0], "starts a branch that another Add joins: not supported")
    join = a[1]
    chains = [a[0], b[0]]
    # the skip: the branch that reaches the Add as its second input (torch's `out += identity`)
    # when it has a skip's form, else the other one
    order = sorted(
        range(2), key=lambda i: (chains[i][-1].output[0] if chains[i] else None) != join.input[1]
    )
    for i in order:
        if not chains[i] or _is_skip_conv(graph, chains[i]):
            return chains[1 - i], chains[i], join
    raise BlockProblem(
        join,
        "joins two paths, neither of which is the block's input as it is or a 1x1 "
        "convolution (with batch normalisation): convviz's skip path is one of those",
    )


def skip_params(graph: OnnxGraph, skip: list, shape: Shape, inside: Shape) -> dict:
    """The skip convolution's weight and bias (batch norm folded in); {} for the input as it is.
    BlockProblem when convviz's skip path cannot be the same."""
    join_words = f"the block's input ({'x'.join(map(str, shape))})"
    if not skip:
        if inside != shape:
            raise BlockProblem(
                None,
                f"adds {join_words} as it is to its inside's output of another shape "
                f"({'x'.join(map(str, inside))})",
            )
        return {}
    conv = skip[0]
    a = attributes(conv)
    if a.get("group", 1) != 1 or any(d != 1 for d in a.get("dilations", [1, 1])):
        raise BlockProblem(conv, "is a grouped or dilated skip convolution: not supported")
    if any(int(p) for p in a.get("pads", [0, 0, 0, 0])) or a.get("auto_pad", b"NOTSET") not in (
        b"NOTSET",
        b"VALID",
        "NOTSET",
        "VALID",
    ):
        raise BlockProblem(conv, "pads the skip path; convviz's 1x1 skip convolution has none")
    if inside == shape:
        raise BlockProblem(
            conv,
            "is a skip convolution where the inside keeps the block's shape; convviz adds "
            "the input as it is there",
        )
    weight = constant(graph, conv, 1, "weights").astype(np.float64)
    if weight.shape[:2] != (inside[0], shape[0]):
        raise BlockProblem(
            conv,
            f"takes {weight.shape[1]} maps to {weight.shape[0]}; the block needs "
            f"{shape[0]} to {inside[0]}",
        )
    check_skip_stride(conv, [int(s) for s in a.get("strides", [1, 1])], shape, inside)
    bias = np.zeros(inside[0], np.float64)
    if len(conv.input) > 2 and conv.input[2]:
        bias = constant(graph, conv, 2, "bias").astype(np.float64).reshape(-1)
    bn = None
    if len(skip) == 2:
        try:
            bn = batch_norm(graph, skip[1], inside).params
        except Problem as p:
            raise BlockProblem(skip[1], p.reason) from None
    return skip_conv_params(weight, bias, bn)


def check_skip_stride(node, strides, shape: Shape, inside: Shape) -> None:
    """BlockProblem unless convviz's skip convolution (moved by input/inside) is this one."""
    for dim, n, m, s in zip(DIMENSIONS, shape[1:], inside[1:], strides, strict=True):
        if n % m or s != n // m:
            raise BlockProblem(
                node,
                f"{dim}: the inside gives {m} from {n} and this skip convolution moves by "
                f"{s}; convviz's skip convolution moves by input/inside ({n}/{m}), which must "
                f"be a whole number and this stride: not supported",
            )


def skip_conv_params(weight: np.ndarray, bias: np.ndarray, bn: dict | None) -> dict:
    """The skip convolution's tensors, a batch norm after it (its variance at torch's epsilon,
    as onnx_ops.batch_norm gives it) folded in: x -> (x - mean) / sqrt(var + eps) * scale +
    shift, per output map, is one more weight and bias on a 1x1 convolution."""
    weight, bias = weight.astype(np.float64), bias.astype(np.float64).reshape(-1)
    if bn is not None:
        factor = bn["weight"].astype(np.float64) / np.sqrt(
            bn["running_var"].astype(np.float64) + TORCH_BATCHNORM_EPS
        )
        weight = weight * factor[:, None, None, None]
        bias = (bias - bn["running_mean"]) * factor + bn["bias"]
    return {"skip.weight": weight.astype(np.float32), "skip.bias": bias.astype(np.float32)}


def residual_step(graph: OnnxGraph, inside_chain: list, skip: list, shape: Shape, map_node):
    """The block's Step (its `parts`: [(node, step, index inside or None)] for the report)."""
    if len(shape) != 3:
        raise BlockProblem(None, f"forks flat values {shape}; a residual block needs maps")
    layers: list[dict] = []
    params: dict = {}
    parts: list = []
    s = shape
    for node in inside_chain:
        try:
            step = map_node(node, s)
        except Problem as p:
            raise BlockProblem(node, p.reason) from None
        index = None
        if step.layer is not None:
            index = len(layers)
            layers.append(step.layer)
            params.update({f"inner.{index}.{k}": v for k, v in step.params.items()})
        parts.append((node, step, index))
        s = step.shape
    if not layers:
        raise BlockProblem(None, "joins a branch that changes nothing to the block's input")
    if len(s) != 3:
        raise BlockProblem(None, f"has an inside that gives flat values {s}; it must give maps")
    params.update(skip_params(graph, skip, shape, s))
    if skip:
        names = " + ".join(f"{n.op_type} {n.name!r}" for n in skip)
        said = f"skip path {names}" + (" (batch norm folded in)" if len(skip) == 2 else "")
    else:
        said = "skip path: the block's input as it is"
    return Step({"kind": "residual", "layers": layers}, s, f"inside + {said}", params, parts=parts)
