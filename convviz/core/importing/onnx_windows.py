"""The ONNX operators that slide a window over maps: Conv, MaxPool and AveragePool, with their
padding (explicit pads or auto_pad) turned into convviz's padding on both sides alike.
"""

from __future__ import annotations

import math

from ..layers import conv_out, pool_out
from .onnx_file import OnnxGraph
from .onnx_step import (
    Problem,
    Shape,
    Step,
    attributes,
    constant,
    fits,
    need_maps,
    one_or_pair,
    whole_numbers,
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
    c, h, w = need_maps(shape, "maps")
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
        "size": one_or_pair((kh, kw), "size"),
        "stride": one_or_pair(strides, "stride"),
        "padding": one_or_pair(pad, "padding"),
        "bias": "bias" in params,
    }
    # a stride that leaves the last rows out (ResNet's 3x3 at stride 2 on 32: 16.5 -> 16):
    # convviz's edge "drop"; where the sizes are whole, the default, left out as before
    dropped = ""
    if any(not conv_out(n, k, s, p).is_integer() for n, p, k, s in sizes):
        layer["edge"], dropped = "drop", ", the last rows/cols left out"
    return Step(
        layer,
        (int(features), *out),
        f"{features} features {kh}x{kw}, stride {one_or_pair(strides, '')}, "
        f"padding {one_or_pair(pad, '')}{dropped}",
        params,
    )


def _pool(kind: str, graph: OnnxGraph, node, shape: Shape) -> Step:
    a = attributes(node)
    _plain_window(a, "poolings")
    c, h, w = need_maps(shape, "maps")
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
    layer = {"kind": kind, "window": one_or_pair(kernel, ""), "stride": one_or_pair(strides, "")}
    if edge == "drop":  # "keep" is the default, left out as before
        layer["edge"] = edge
    dropped = ", the window over the edge dropped" if edge == "drop" else ""
    return Step(
        layer,
        (c, *out),
        f"window {kernel[0]}x{kernel[1]}, stride {one_or_pair(strides, '')}{dropped}",
    )


def max_pool(graph: OnnxGraph, node, shape: Shape) -> Step:
    return _pool("pool", graph, node, shape)


def average_pool(graph: OnnxGraph, node, shape: Shape) -> Step:
    return _pool("avgpool", graph, node, shape)
