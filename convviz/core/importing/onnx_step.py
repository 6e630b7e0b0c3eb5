"""The shared parts of mapping a model's operators and layers to convviz's (onnx_ops.py,
onnx_windows.py, onnx_residual.py and the Keras mappings): the `Step` a mapping gives, the
`Problem` it raises, and the checks every mapping makes on a stranger's attributes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

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


def need_maps(shape: Shape, what: str) -> tuple[int, int, int]:
    if len(shape) != 3:
        raise Problem(f"needs maps, but its input is flat {shape}")
    return shape


def one_or_pair(values, what: str) -> int | tuple[int, int]:
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
