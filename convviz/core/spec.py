"""A typed, JSON-serialisable description of a small CNN, and its shape arithmetic.

A spec lists the input (rows, cols, channels, value range), then the hidden layers in order. The
last layer, the class votes, is implicit: a fully connected layer with one neuron per class name.
That way the same layers can be trained on any labelled folder: only `classes` changes.

Every spatial size follows the lesson's formula (W - F + 2P) / S + 1, for rows and for columns
apart. Convolution refuses a fractional result; max pooling rounds up, because a window that
hangs over the edge still counts (the deck pools a 7x7 map to 4x4), exactly as torch's
`ceil_mode=True` does, unless the layer's edge is "drop" (it rounds down: layers/sizes.py).
What each kind of layer does to a shape is declared once, by the kind (convviz/core/layers/);
this module asks the registry and adds up the budget.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

from .budget import Tally, check_description
from .errors import SpecError
from .layers import (
    Conv,
    Dense,
    Flatten,
    MaxPool,
    ReLU,
    conv_out,
    kind_of,
    layer_from_dict,
    layer_to_dict,
    pool_out,
)
from .limits import MAX_CLASSES, MAX_LAYER_NUMBER, MAX_LAYERS, MAX_SPEC_JSON_BYTES
from .spec_json import finite, listed, loads_bounded, read_bounded, show, text_field, whole

__all__ = [
    "Conv",
    "Dense",
    "Flatten",
    "Layer",
    "LayerShape",
    "MaxPool",
    "NetworkSpec",
    "ReLU",
    "conv_out",
    "layer_shapes",
    "pool_out",
    "read_spec",
]


class Layer(Protocol):
    """Any registered kind's dataclass (core/layers): what a spec holds. The registry, not a
    list here, says which kinds there are, so a new kind needs no line in this module."""

    @property
    def kind(self) -> str: ...


# What a network's input can be: the first is the default (and is not written to JSON).
INPUT_KINDS = ("picture", "spectrogram")


def _input_kind(v) -> str:
    if v not in INPUT_KINDS:
        raise SpecError(f"input_kind must be one of {', '.join(INPUT_KINDS)}, got {show(v)}")
    return v


@dataclass(frozen=True)
class LayerShape:
    """What one layer turns its input into; `shape` is (channels, rows, cols) or (n,)."""

    name: str
    kind: str
    shape: tuple[int, ...]
    params: int
    formula: str = ""  # how the size came about, numbers filled in: "(28 - 5 + 2·2)/1 + 1 = 28"
    inside: tuple[LayerShape, ...] = ()  # a residual block's own rows (inside, skip path)
    # how the parameters add up: "8·1·5·5 = 200 (+8 biases)"; by keyword (a kind's own
    # LayerShape subclass may add positional fields)
    params_formula: str = field(default="", kw_only=True)


def every_row(shapes) -> list[LayerShape]:
    """The shapes table as a person reads it: a block's inside rows before the block's own row
    (its sum). Parameter totals add the top-level rows only (a block's row holds its inside)."""
    rows: list[LayerShape] = []
    for s in shapes:
        rows.extend(every_row(s.inside))
        rows.append(s)
    return rows


@dataclass(frozen=True)
class NetworkSpec:
    name: str
    input_shape: tuple[int, int]  # (rows, cols); a single number n is taken as (n, n)
    channels: int
    value_range: tuple[float, float]  # (background, ink)
    layers: tuple[Layer, ...]
    classes: tuple[str, ...]
    # what the input is, so the window can say so (INPUT_KINDS); "spectrogram": time across,
    # frequency up, made from a sound by core/sounds_data.spectrogram
    input_kind: str = "picture"

    def __post_init__(self):
        shape = self.input_shape
        if isinstance(shape, list):
            shape = tuple(shape)
        elif not isinstance(shape, tuple):  # a square input given by its side
            shape = (shape, shape)
        object.__setattr__(self, "input_shape", shape)

    @property
    def rows(self) -> int:
        return self.input_shape[0]

    @property
    def cols(self) -> int:
        return self.input_shape[1]

    @property
    def input_size(self) -> int:
        """The side of a square input; SpecError for a rectangular one (code that still
        assumes a square asks here, and a rectangular network is refused with this line)."""
        if self.rows != self.cols:
            raise SpecError(
                f"the network {self.name!r} takes {self.rows}x{self.cols} pictures; "
                f"this part of convviz handles only square ones so far"
            )
        return self.rows

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
        # a square input keeps the older "input_size": n, so that a file written now reads
        # byte for byte as before and older convviz versions can still open it
        shape = (
            {"input_size": self.rows}
            if self.rows == self.cols
            else {"input_shape": list(self.input_shape)}
        )
        return {
            "name": self.name,
            **shape,
            "channels": self.channels,
            "value_range": list(self.value_range),
            "layers": [layer_to_dict(layer) for layer in self.layers],
            "classes": list(self.classes),
            # written only when not a picture, so older files read back byte for byte
            **({"input_kind": self.input_kind} if self.input_kind != INPUT_KINDS[0] else {}),
        }

    def to_json(self, **kw) -> str:
        return json.dumps(self.to_dict(), **kw)

    @classmethod
    def from_dict(cls, d: dict) -> NetworkSpec:
        """A checked spec from decoded JSON: any other shape of data is a SpecError naming the
        field, never another exception."""
        if not isinstance(d, dict):
            raise SpecError("spec must be a JSON object")
        for key in ("layers", "classes"):
            if key not in d:
                raise SpecError(f"spec is missing the field {key!r}")
        value_range = listed(d.get("value_range", [-1.0, 1.0]), "value range", SpecError, 2)
        if len(value_range) != 2:
            raise SpecError(
                f"value range must be two numbers (background, ink), got {len(value_range)}"
            )
        layers = listed(d["layers"], "layers", SpecError, MAX_LAYERS)
        spec = cls(
            name=text_field(d.get("name", "custom"), "the network's name", SpecError),
            input_shape=_input_shape(d),
            channels=whole(d.get("channels", 1), "channels", SpecError, lo=-MAX_LAYER_NUMBER),
            value_range=(
                finite(value_range[0], "value range", SpecError),
                finite(value_range[1], "value range", SpecError),
            ),
            layers=tuple(layer_from_dict(ld, f"layer {i + 1}") for i, ld in enumerate(layers)),
            classes=tuple(
                text_field(c, f"class name {i + 1}", SpecError)
                for i, c in enumerate(listed(d["classes"], "classes", SpecError, MAX_CLASSES))
            ),
            input_kind=_input_kind(d.get("input_kind", INPUT_KINDS[0])),
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
    text = read_bounded(path, MAX_SPEC_JSON_BYTES, "a network description", SpecError)
    try:
        return NetworkSpec.from_json(text)
    except SpecError as e:
        raise SpecError(f"{path}: {e}") from None


def _input_shape(d: dict) -> tuple[int, int]:
    """(rows, cols) from "input_shape": [rows, cols], or from the older "input_size": n (a
    square input; weights files and specs written before rectangular inputs)."""
    if "input_shape" in d and "input_size" in d:
        raise SpecError("give the input as input_shape [rows, cols] or as input_size, not both")
    if "input_size" in d:
        n = whole(d["input_size"], "input_size", SpecError, lo=-MAX_LAYER_NUMBER)
        return (n, n)
    if "input_shape" not in d:
        raise SpecError(
            "spec is missing the field 'input_shape' ([rows, cols]; older files: 'input_size')"
        )
    shape = listed(d["input_shape"], "input_shape", SpecError, 2)
    if len(shape) != 2:
        raise SpecError(f"input_shape must be two numbers [rows, cols], got {len(shape)}")
    rows, cols = (
        whole(v, f"input_shape {dim}", SpecError, lo=-MAX_LAYER_NUMBER)
        for v, dim in zip(shape, ("rows", "cols"), strict=True)
    )
    return (rows, cols)


def layer_shapes(spec: NetworkSpec) -> list[LayerShape]:
    check_description(spec)  # the resource budget's first half: before any arithmetic
    if len(spec.classes) < 2:
        raise SpecError(f"a classifier needs at least 2 classes, got {len(spec.classes)}")
    if len(set(spec.classes)) != len(spec.classes):
        raise SpecError("class names must be different from each other")

    tally = Tally()
    out: list[LayerShape] = []
    shape: tuple[int, ...] = (spec.channels, spec.rows, spec.cols)
    counts: dict[str, int] = {}
    for i, layer in enumerate(spec.layers):
        try:
            kind = kind_of(layer)
        except SpecError as e:
            raise SpecError(f"layer {i + 1}: {e}") from None
        counts[kind.name] = counts.get(kind.name, 0) + 1
        name = f"{kind.name}{counts[kind.name]}"
        where = f"layer {i + 1} ({name})"
        kind.check_fields(layer, where)  # a spec made in Python gets the checks JSON gets
        new = kind.out_shape(layer, shape, where)
        params = kind.params(layer, shape)
        inside = kind.inside(layer, shape, name, where, tally)  # a block's rows, each budgeted
        tally.add(where, new, 0 if inside else params)  # the budget's second half, layer by layer
        out.append(
            LayerShape(
                name,
                kind.name,
                new,
                params,
                kind.formula(layer, shape),
                inside,
                params_formula=kind.params_formula(layer, shape),
            )
        )
        shape = new

    if len(shape) != 1:
        raise SpecError(
            f"the last layer gives maps {shape}; end with a flatten layer before the votes"
        )
    n = len(spec.classes)
    votes = Dense(n)
    params = kind_of(votes).params(votes, shape)
    tally.add("the votes", (n,), params)
    out.append(
        LayerShape(
            "votes",
            "votes",
            (n,),
            params,
            params_formula=kind_of(votes).params_formula(votes, shape),
        )
    )
    return out
