"""A typed, JSON-serialisable description of a small CNN, and its shape arithmetic.

A spec lists the input (size, channels, value range), then the hidden layers in order. The last
layer, the class votes, is implicit: a fully connected layer with one neuron per class name. That
way the same layers can be trained on any labelled folder: only `classes` changes.

Every spatial size follows the lesson's formula (W - F + 2P) / S + 1. Convolution refuses a
fractional result; max pooling rounds up, because a window that hangs over the edge still counts
(the deck pools a 7x7 map to 4x4), exactly as torch's `ceil_mode=True` does.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from .budget import Tally, check_description
from .errors import SpecError
from .limits import MAX_CLASSES, MAX_LAYER_NUMBER, MAX_LAYERS, MAX_SPEC_JSON_BYTES
from .spec_json import finite, flag, listed, loads_bounded, show, text_field, whole


@dataclass(frozen=True)
class Conv:
    """Convolution: `features` features of `size` x `size`, moved by `stride`, with `padding`
    rings of zeros around the input.

    `divide` follows the deck: after multiplying and adding, divide by the number of feature
    pixels, so a perfect match gives 1. `fixed` holds hand-made features ([feature][row][col],
    one input channel) that stay as they are during training (the deck's X/O features).
    """

    features: int
    size: int
    stride: int = 1
    padding: int = 0
    divide: bool = False
    bias: bool = True
    fixed: tuple | None = None
    kind: str = field(default="conv", init=False)

    def divisor(self, in_maps: int) -> float:
        """What the sum is divided by: the number of feature pixels over all input maps when
        the layer divides as the deck does, else 1."""
        return float(in_maps * self.size * self.size) if self.divide else 1.0


@dataclass(frozen=True)
class ReLU:
    kind: str = field(default="relu", init=False)


@dataclass(frozen=True)
class MaxPool:
    window: int
    stride: int
    kind: str = field(default="pool", init=False)


@dataclass(frozen=True)
class Flatten:
    kind: str = field(default="flatten", init=False)


@dataclass(frozen=True)
class Dense:
    """A hidden fully connected layer of `neurons` neurons."""

    neurons: int
    kind: str = field(default="fc", init=False)


Layer = Conv | ReLU | MaxPool | Flatten | Dense
_KINDS = {"conv": Conv, "relu": ReLU, "pool": MaxPool, "flatten": Flatten, "fc": Dense}


@dataclass(frozen=True)
class LayerShape:
    """What one layer turns its input into; `shape` is (channels, rows, cols) or (n,)."""

    name: str
    kind: str
    shape: tuple[int, ...]
    params: int


@dataclass(frozen=True)
class NetworkSpec:
    name: str
    input_size: int  # square input, rows == cols
    channels: int
    value_range: tuple[float, float]  # (background, ink)
    layers: tuple[Layer, ...]
    classes: tuple[str, ...]

    # ---- derived ---------------------------------------------------------------------------
    def shapes(self) -> list[LayerShape]:
        """Every layer's output shape, the implicit vote layer last. Raises SpecError."""
        return layer_shapes(self)

    def with_classes(self, classes) -> NetworkSpec:
        return replace(self, classes=tuple(str(c) for c in classes))

    def validate(self) -> NetworkSpec:
        self.shapes()
        return self

    # ---- JSON ------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        d = asdict(self)
        d["value_range"] = list(self.value_range)
        d["classes"] = list(self.classes)
        d["layers"] = [_layer_to_dict(layer) for layer in self.layers]
        return d

    def to_json(self, **kw) -> str:
        return json.dumps(self.to_dict(), **kw)

    @classmethod
    def from_dict(cls, d: dict) -> NetworkSpec:
        """A checked spec from decoded JSON: any other shape of data is a SpecError naming the
        field, never another exception."""
        if not isinstance(d, dict):
            raise SpecError("spec must be a JSON object")
        for key in ("input_size", "layers", "classes"):
            if key not in d:
                raise SpecError(f"spec is missing the field {key!r}")
        value_range = listed(d.get("value_range", [-1.0, 1.0]), "value range", SpecError, 2)
        if len(value_range) != 2:
            raise SpecError(f"value range must be two numbers (background, ink), got "
                            f"{len(value_range)}")
        layers = listed(d["layers"], "layers", SpecError, MAX_LAYERS)
        spec = cls(
            name=text_field(d.get("name", "custom"), "the network's name", SpecError),
            input_size=whole(d["input_size"], "input_size", SpecError, lo=-MAX_LAYER_NUMBER),
            channels=whole(d.get("channels", 1), "channels", SpecError, lo=-MAX_LAYER_NUMBER),
            value_range=(finite(value_range[0], "value range", SpecError),
                         finite(value_range[1], "value range", SpecError)),
            layers=tuple(_layer_from_dict(i, ld) for i, ld in enumerate(layers)),
            classes=tuple(text_field(c, f"class name {i + 1}", SpecError) for i, c in
                          enumerate(listed(d["classes"], "classes", SpecError, MAX_CLASSES))),
        )
        return spec.validate()

    @classmethod
    def from_json(cls, text) -> NetworkSpec:
        """A checked spec from JSON text (str or bytes), its size and depth judged first."""
        return cls.from_dict(loads_bounded(text, "spec", SpecError))


def read_spec(path) -> NetworkSpec:
    """A spec from a JSON file, its size judged before it is read."""
    path = Path(path)
    if path.exists() and not path.is_file():  # a folder, or a pipe that would block the read
        raise SpecError(f"{path}: cannot read it (not a file)")
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size > MAX_SPEC_JSON_BYTES:
                raise SpecError(f"{path}: a network description of {size:,} bytes; the limit is "
                                f"{MAX_SPEC_JSON_BYTES:,}")
            text = f.read(MAX_SPEC_JSON_BYTES + 1)
    except OSError as e:
        raise SpecError(f"{path}: cannot read it ({e.strerror or e})") from None
    try:
        return NetworkSpec.from_json(text)
    except SpecError as e:
        raise SpecError(f"{path}: {e}") from None


def _layer_to_dict(layer: Layer) -> dict:
    d = asdict(layer)
    if d.get("fixed") is None:
        d.pop("fixed", None)
    return d


_REQUIRED: dict[type, tuple[str, ...]] = {
    Conv: ("features", "size"), MaxPool: ("window", "stride"), Dense: ("neurons",), ReLU: (),
    Flatten: ()}
_OPTIONAL: dict[type, tuple[str, ...]] = {Conv: ("stride", "padding", "divide", "bias", "fixed")}


def _layer_from_dict(i: int, d) -> Layer:
    kind = d.get("kind") if isinstance(d, dict) else d
    if not isinstance(d, dict) or not isinstance(kind, str) or kind not in _KINDS:
        raise SpecError(f"layer {i + 1}: unknown kind {show(kind)} (expected one of "
                        f"{', '.join(_KINDS)})")
    kind_cls = _KINDS[d["kind"]]
    where = f"layer {i + 1} ({d['kind']})"
    allowed = _REQUIRED[kind_cls] + _OPTIONAL.get(kind_cls, ())
    for k in d:
        if k != "kind" and k not in allowed:
            raise SpecError(f"{where}: unknown field {show(k)}")
    for k in _REQUIRED[kind_cls]:
        if k not in d:
            raise SpecError(f"{where} is missing the field {k!r}")
    args: dict[str, object] = {}
    for k, v in d.items():
        if k in ("divide", "bias"):
            args[k] = flag(v, f"{where} {k}", SpecError)
        elif k == "fixed":
            args[k] = None if v is None else _fixed(v, where)
        elif k != "kind":
            args[k] = whole(v, f"{where} {k}", SpecError, lo=-MAX_LAYER_NUMBER)
    return kind_cls(**args)


def _fixed(v, where: str) -> tuple:
    """Hand-made features [feature][row][col] as nested tuples of finite numbers; the sizes
    are compared with the layer's in layer_shapes."""
    grids = listed(v, f"{where} fixed", SpecError, MAX_LAYER_NUMBER)
    return tuple(tuple(tuple(finite(x, f"{where} fixed value", SpecError)
                             for x in listed(row, f"{where} fixed row", SpecError,
                                             MAX_LAYER_NUMBER))
                       for row in listed(g, f"{where} fixed feature", SpecError,
                                         MAX_LAYER_NUMBER))
                 for g in grids)


def conv_out(w: int, f: int, s: int, p: int) -> float:
    """(W - F + 2P) / S + 1, unrounded, so a caller can tell a fractional size."""
    return (w - f + 2 * p) / s + 1


def pool_out(w: int, f: int, s: int) -> int:
    """Pooling size with windows hanging over the edge counted (torch ceil_mode=True): the last
    window must still start inside the map."""
    n = math.ceil((w - f) / s) + 1
    if (n - 1) * s >= w:
        n -= 1
    return n


def layer_shapes(spec: NetworkSpec) -> list[LayerShape]:
    check_description(spec)  # the resource budget's first half: before any arithmetic
    if len(spec.classes) < 2:
        raise SpecError(f"a classifier needs at least 2 classes, got {len(spec.classes)}")
    if len(set(spec.classes)) != len(spec.classes):
        raise SpecError("class names must be different from each other")

    tally = Tally()
    out: list[LayerShape] = []
    shape: tuple[int, ...] = (spec.channels, spec.input_size, spec.input_size)
    counts: dict[str, int] = {}
    for i, layer in enumerate(spec.layers):
        counts[layer.kind] = counts.get(layer.kind, 0) + 1
        name = f"{layer.kind}{counts[layer.kind]}"
        where = f"layer {i + 1} ({name})"
        for number in _REQUIRED.get(type(layer), ()) + ("stride", "padding") * isinstance(
                layer, Conv):  # a spec made in Python gets the same checks as one from JSON
            whole(getattr(layer, number), f"{where} {number}", SpecError, lo=-MAX_LAYER_NUMBER)
        shape, params = _layer_out(layer, shape, where)
        tally.add(where, shape, params)  # the budget's second half: before the next layer
        out.append(LayerShape(name, layer.kind, shape, params))

    if len(shape) != 1:
        raise SpecError(f"the last layer gives maps {shape}; end with a flatten layer before the "
                        f"votes")
    n = len(spec.classes)
    tally.add("the votes", (n,), shape[0] * n + n)
    out.append(LayerShape("votes", "votes", (n,), shape[0] * n + n))
    return out


Shape = tuple[int, ...]


def _layer_out(layer: Layer, shape: Shape, where: str) -> tuple[Shape, int]:
    """The shape one layer gives its input `shape`, and its parameter count; SpecError (naming
    `where`) for a layer that cannot take that input."""
    if isinstance(layer, Conv):
        return _conv_out(layer, shape, where)
    if isinstance(layer, MaxPool):
        return _pool_out(layer, shape, where), 0
    if isinstance(layer, Flatten):
        return (math.prod(shape),), 0
    if isinstance(layer, Dense):
        if len(shape) != 1:
            raise SpecError(f"{where}: a fully connected layer needs a flat input; add a "
                            f"flatten layer before it")
        if layer.neurons < 1:
            raise SpecError(f"{where}: needs at least 1 neuron, got {layer.neurons}")
        return (layer.neurons,), shape[0] * layer.neurons + layer.neurons
    if isinstance(layer, ReLU):
        return shape, 0
    raise SpecError(f"{where}: unknown layer {layer!r}")  # (the dataclasses above are all)


def _conv_out(layer: Conv, shape: Shape, where: str) -> tuple[Shape, int]:
    if len(shape) != 3:
        raise SpecError(f"{where}: convolution needs maps, but its input is flat {shape}")
    c, w = shape[0], shape[1]
    if layer.features < 1 or layer.size < 1 or layer.stride < 1 or layer.padding < 0:
        raise SpecError(f"{where}: features, size and stride must be at least 1 and "
                        f"padding at least 0 (got {layer.features}, {layer.size}, "
                        f"{layer.stride}, {layer.padding})")
    if layer.size > w + 2 * layer.padding:
        raise SpecError(f"{where}: a {layer.size}x{layer.size} feature does not fit in a "
                        f"{w}x{w} input with padding {layer.padding}")
    o = conv_out(w, layer.size, layer.stride, layer.padding)
    if o != int(o):
        raise SpecError(f"{where}: (W - F + 2P)/S + 1 = ({w} - {layer.size} + 2*"
                        f"{layer.padding})/{layer.stride} + 1 = {o:.3g} is not a whole "
                        f"number")
    if layer.fixed is not None:
        fx = layer.fixed
        ok = (len(fx) == layer.features and c == 1 and all(
            len(r) == layer.size and all(len(q) == layer.size for q in r) for r in fx))
        if not ok:
            raise SpecError(f"{where}: fixed features must be {layer.features} grids of "
                            f"{layer.size}x{layer.size} on a 1-channel input")
    params = layer.features * c * layer.size ** 2 + (layer.features if layer.bias else 0)
    return (layer.features, int(o), int(o)), params


def _pool_out(layer: MaxPool, shape: Shape, where: str) -> Shape:
    if len(shape) != 3:
        raise SpecError(f"{where}: pooling needs maps, but its input is flat {shape}")
    w = shape[1]
    if layer.window < 1 or layer.stride < 1:
        raise SpecError(f"{where}: window and stride must be at least 1 (got "
                        f"{layer.window}, {layer.stride})")
    if layer.window > w:
        raise SpecError(f"{where}: a {layer.window}x{layer.window} window is larger than "
                        f"its {w}x{w} input")
    o = pool_out(w, layer.window, layer.stride)
    return (shape[0], o, o)
