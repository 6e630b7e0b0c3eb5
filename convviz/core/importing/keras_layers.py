"""What each Keras layer becomes in a convviz network, with its numbers reordered from Keras's
channels-last layout: one function a layer class (keras_import.py walks the model and calls
them). A setting convviz cannot follow is a `Problem` saying why, as onnx_ops.py's are.
"""

from __future__ import annotations

import math

import numpy as np

from ..layers import conv_out, pool_out
from ..limits import MAX_LAYER_NUMBER
from .keras_file import KerasWeights
from .onnx_step import TORCH_BATCHNORM_EPS, Problem, Shape, Step
from .onnx_windows import exact_symmetric

KERAS_EPSILON = 1e-7  # keras.backend.epsilon(), the least std a Normalization divides by
ACTIVATIONS = {"relu": "relu", "sigmoid": "sigmoid", "tanh": "tanh"}


def pair(v, setting: str = "a size") -> tuple[int, int]:
    """A Keras size setting (kernel_size, strides, pool_size, dilation_rate): one whole number or
    two, each from 1 to MAX_LAYER_NUMBER; a Problem for anything else (a stranger's JSON)."""
    both = v if isinstance(v, (list, tuple)) else [v, v]
    if len(both) != 2 or not all(type(n) is int and 1 <= n <= MAX_LAYER_NUMBER for n in both):
        raise Problem(f"has {setting} of {str(v)[:40]}: not one or two whole numbers from 1 up")
    return both[0], both[1]


def _padding(c: dict) -> None:
    if c.get("padding", "valid") not in ("valid", "same"):
        raise Problem(f"pads {str(c.get('padding'))[:30]!r}: only 'valid' and 'same' exist")


def _fits(k, shape: Shape, out: list[int]) -> None:
    if min(out) < 1:
        raise Problem(f"has a {k[0]}x{k[1]} window over {shape[1]}x{shape[2]} maps: too large")


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


def _maps(shape: Shape) -> None:
    if len(shape) != 3:
        raise Problem(f"needs maps but gets flat values {shape}")


def conv(c: dict, name: str, w: KerasWeights, shape: Shape) -> Step:
    _maps(shape)
    if c.get("groups", 1) != 1:
        raise Problem(f"uses groups={c['groups']}: grouped convolutions are not supported")
    if pair(c.get("dilation_rate", 1), "dilation_rate") != (1, 1):
        raise Problem(f"uses dilation_rate={c['dilation_rate']}: not supported")
    k, s = pair(c.get("kernel_size"), "kernel_size"), pair(c.get("strides", 1), "strides")
    _padding(c)
    pad = _same_pads(shape, k, s) if c.get("padding") == "same" else (0, 0)
    kernel = w.var(name, 0)
    if kernel.shape[:3] != (*k, shape[0]) or kernel.ndim != 4:
        raise Problem(f"has a kernel of {kernel.shape} for {k[0]}x{k[1]} over {shape[0]} maps")
    params = {"weight": kernel.transpose(3, 2, 0, 1)}  # (kh, kw, in, out) -> torch's
    if c.get("use_bias", True):
        params["bias"] = w.var(name, 1)
    sizes = list(zip(shape[1:], k, s, pad, strict=True))
    out = [(n + 2 * p - kk) // ss + 1 for n, kk, ss, p in sizes]  # Keras's floor
    _fits(k, shape, out)
    f = int(kernel.shape[3])  # (the config's "filters" says the same unless it is damaged)
    layer = {
        "kind": "conv",
        "features": f,
        "size": _one(k),
        "stride": _one(s),
        "padding": _one(pad),
        "bias": "bias" in params,
    }
    # 'valid' with a stride that does not divide (3x3 at stride 2 on 28: 13.5 -> 13) leaves the
    # last rows out: convviz's edge "drop"; whole sizes keep the default, left out as before
    dropped = ""
    if any(not conv_out(n, kk, ss, p).is_integer() for n, kk, ss, p in sizes):
        layer["edge"], dropped = "drop", ", the last rows/cols left out"
    return Step(
        layer,
        (f, *out),
        f"{f} features {k[0]}x{k[1]}, stride {_one(s)}, padding {_one(pad)}{dropped}",
        params,
    )


def pool(kind: str, c: dict, shape: Shape) -> Step:
    _maps(shape)
    k = pair(c.get("pool_size", 2), "pool_size")
    s = pair(c.get("strides") or k, "strides")
    _padding(c)
    ceil = [pool_out(n, kk, ss) for n, kk, ss in zip(shape[1:], k, s, strict=True)]
    if c.get("padding") == "same":  # windows start at 0 and the last hangs over: ceil mode
        same = [math.ceil(n / ss) for n, ss in zip(shape[1:], s, strict=True)]
        starts_at_0 = all(
            max((o - 1) * ss + kk - n, 0) < 2
            for o, n, kk, ss in zip(same, shape[1:], k, s, strict=True)
        )
        if same != ceil or not starts_at_0:
            raise Problem("pads 'same' around its input: not supported for these sizes")
        return _pool_step(kind, k, s, shape, ceil, "keep")
    # 'valid' leaves a window hanging over the edge out: convviz's edge "drop" where that
    # changes the size (the tutorials' 11 -> 5); where it does not, the usual "keep"
    floor = [pool_out(n, kk, ss, "drop") for n, kk, ss in zip(shape[1:], k, s, strict=True)]
    return _pool_step(kind, k, s, shape, floor, "keep" if floor == ceil else "drop")


def _pool_step(kind: str, k, s, shape: Shape, out: list[int], edge: str) -> Step:
    _fits(k, shape, out)
    layer = {"kind": kind, "window": _one(k), "stride": _one(s)}
    if edge == "drop":
        layer["edge"] = edge
    dropped = ", the window over the edge dropped" if edge == "drop" else ""
    return Step(layer, (shape[0], *out), f"window {k[0]}x{k[1]}, stride {_one(s)}{dropped}")


def activation(name: str | None, shape: Shape, last: bool) -> Step | None:
    if not isinstance(name, (str, type(None))):
        raise Problem(f"uses the activation {str(name)[:40]}: not one Keras names")
    if name in (None, "linear"):
        return None
    if name == "softmax" and last:
        return Step(None, shape, "dropped: the votes are what comes before it")
    if name not in ACTIVATIONS:
        raise Problem(f"uses the activation {str(name)[:40]!r}: not supported")
    return Step({"kind": ACTIVATIONS[name]}, shape, f"activation {name}")


def per_channel(value, shape: Shape) -> np.ndarray:
    """A number, or one a channel, from a layer's config (Rescaling's scale and offset)."""
    try:
        v = np.asarray(value, np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise Problem("has a scale or offset that is not numbers") from None
    if v.size not in (1, shape[0]) or not np.isfinite(v).all():
        raise Problem(f"has {v.size} numbers for {shape[0]} channels")
    return np.broadcast_to(v, shape[0]).astype(np.float64)


def normalization(c: dict, name: str, w: KerasWeights, shape: Shape):
    """(mean, 1/std) per channel of a Normalization layer: from its config when it was given
    them, else its stored (adapted) numbers. Keras divides by max(sqrt(variance), 1e-7)."""
    if c.get("invert"):
        raise Problem("undoes a normalisation (invert=True): not supported")
    if c.get("axis", -1) not in (-1, 3, [-1], [3], None):
        raise Problem(f"normalises over axis {c.get('axis')}; only channels are supported")
    if c.get("mean") is not None and c.get("variance") is not None:
        mean, var = per_channel(c["mean"], shape), per_channel(c["variance"], shape)
    else:
        mean, var = (per_channel(w.var(name, i), shape) for i in (0, 1))
    if (var < 0).any():
        raise Problem("has a negative variance")
    return mean, 1 / np.maximum(np.sqrt(var), KERAS_EPSILON)


def batch_norm(c: dict, name: str, w: KerasWeights, shape: Shape) -> Step:
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


def dense(c: dict, name: str, w: KerasWeights, shape: Shape, flat_from) -> Step:
    if len(shape) != 1:
        raise Problem("needs flat values; a Flatten is missing before it")
    kernel = w.var(name, 0)  # (inputs, units)
    if kernel.ndim != 2:
        raise Problem(f"has a kernel of {kernel.ndim} dimensions; a Dense layer's has 2")
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
