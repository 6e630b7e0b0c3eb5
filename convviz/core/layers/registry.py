"""The layer-kind registry: every kind of layer declares itself once, in one LayerKind.

A kind says, in one class: its JSON name and fields (each with its check), its output shape for
an input shape (a SpecError naming the layer and the dimension when it cannot take it), the
formula a person is shown with the numbers filled in, its parameter count, its state-dict tensor
shapes, its torch module, its trace entries and its words for the panels. The spec, the network,
the shapes table, weights I/O and the panels ask the registry (`kind_of(layer)`,
`kind_named(name)`); nothing else tells kinds apart.

Adding a kind: a frozen dataclass for its numbers (ending, as the built-ins do, with
`kind: str = field(default="NAME", init=False)`: callers read `layer.kind`), a LayerKind subclass
beside it, and `register(TheKind())` (see convviz/core/layers/__init__.py for the built-ins).
A composite kind (a block holding its own layers) calls `kind_of(inner)` for each inner layer in
its own methods: every method takes the input shape and returns what it gives, so they recurse.

Torch is imported only inside `module` and `trace`: reading, checking and summarising a spec
(`convviz summary`, the settings, the architecture editor) never needs it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from ..errors import SpecError
from ..limits import MAX_LAYER_NUMBER
from ..spec_json import flag, show, whole

Shape = tuple[int, ...]
DIMENSIONS = ("rows", "cols")


# ---- per-dimension numbers: an int (the same for rows and cols) or (rows, cols) ----------------
def pair(v) -> tuple[int, int]:
    """5 -> (5, 5); (3, 5) -> (3, 5)."""
    if isinstance(v, (tuple, list)):
        return int(v[0]), int(v[1])
    return int(v), int(v)


def by(v) -> str:
    """How a person reads a window or feature size: 5 -> '5x5', (3, 5) -> '3x5'."""
    r, c = pair(v)
    return f"{r}x{c}"


def shown(v) -> str:
    """A number as written in the spec: 2 -> '2', (1, 2) -> '(1, 2)'."""
    return str(tuple(v)) if isinstance(v, (tuple, list)) else str(v)


def per_dimension(what: str, error=SpecError, lo: int = -MAX_LAYER_NUMBER):
    """A field reader for a number that may differ per dimension: a whole number, or a list of
    two ([rows, cols]). An int stays an int, so an old file is written back as it was."""

    def read(v, where: str):
        if isinstance(v, (list, tuple)):
            if len(v) != 2:
                raise error(
                    f"{where} {what} must be one whole number or two ([rows, cols]), got {len(v):,}"
                )
            return tuple(
                whole(x, f"{where} {what} {d}", error, lo=lo)
                for x, d in zip(v, DIMENSIONS, strict=True)
            )
        return whole(v, f"{where} {what}", error, lo=lo)

    return read


def square(v, what: str) -> int:
    """The one number of a square size, for code that shows square windows only so far (the
    steppers); SpecError naming the size for a rectangular one."""
    r, c = pair(v)
    if r != c:
        raise SpecError(f"the {what} is {r}x{c}; this view shows square ones only so far")
    return r


def number(what: str, lo: int = -MAX_LAYER_NUMBER):
    """A field reader for one whole number (its range is judged with the shapes, by the kind)."""
    return lambda v, where: whole(v, f"{where} {what}", SpecError, lo=lo)


def yes_no(what: str):
    return lambda v, where: flag(v, f"{where} {what}", SpecError)


def one_of(what: str, choices: tuple[str, ...]):
    """A field reader for one word out of `choices` (a pooling's edge: "keep" or "drop")."""

    def read(v, where: str) -> str:
        if not isinstance(v, str) or v not in choices:
            raise SpecError(
                f"{where} {what} must be {' or '.join(map(repr, choices))}, got {show(v)}"
            )
        return v

    return read


def _to_json(v):
    return [_to_json(x) for x in v] if isinstance(v, (tuple, list)) else v


@dataclass(frozen=True)
class Field:
    """One JSON field of a kind: its name (the dataclass attribute's), how a value read from
    JSON is checked and turned into the dataclass value, and whether it may be left out.

    An optional field holding `default` is left out of JSON: a field added to a kind later
    (a pooling's edge) keeps the files written before it byte for byte. `choices`: the words a
    field takes, when it takes words (the architecture editor passes a typed word on as it is).
    """

    name: str
    read: Callable[[Any, str], Any]  # (JSON value, "layer 3 (conv)") -> value, or SpecError
    required: bool = True
    write: Callable[[Any], Any] = _to_json  # dataclass value -> JSON value
    default: Any = None  # an optional field holding this is left out of JSON
    choices: tuple[str, ...] = ()


class LayerKind:
    """The one declaration of a kind of layer. Subclasses set the class attributes and override
    the methods that differ from "keeps the shape, no parameters"."""

    name: ClassVar[str]  # in JSON ("kind") and in layer names (conv1, pool2, ...)
    layer_type: ClassVar[type]  # the frozen dataclass that holds one layer's numbers
    fields: ClassVar[tuple[Field, ...]] = ()
    label: ClassVar[str]  # a short name for the panels ("filtering", "max pooling")
    after: ClassVar[str] = ""  # a feature map's heading: "after convolution"; "" if none
    description: ClassVar[str]  # one sentence for a person
    # a composite kind's rows that are no layer of their own (the residual block's "skip"):
    # their table/trace kind is "NAME.PART", and these are their (label, after-words)
    part_words: ClassVar[dict[str, tuple[str, str]]] = {}
    # each output value comes from the input value in the same place alone (ReLU, sigmoid,
    # batch norm, dropout): what comes out can be named after what went in
    valuewise: ClassVar[bool] = False

    # ---- JSON ---------------------------------------------------------------------------------
    def from_dict(self, d: dict, where: str):
        """The layer from its JSON object; unknown or missing fields are refused by name."""
        known = {f.name: f for f in self.fields}
        for k in d:
            if k != "kind" and k not in known:
                raise SpecError(f"{where}: unknown field {show(k)}")
        for f in self.fields:
            if f.required and f.name not in d:
                raise SpecError(f"{where} is missing the field {f.name!r}")
        args = {k: known[k].read(v, where) for k, v in d.items() if k != "kind"}
        return self.layer_type(**args)

    def to_dict(self, layer) -> dict:
        """The layer as JSON, its fields in order; an optional field left None, or holding its
        declared default, is left out."""
        d: dict[str, Any] = {}
        for f in self.fields:
            v = getattr(layer, f.name)
            if not f.required and (v is None or (f.default is not None and v == f.default)):
                continue
            d[f.name] = f.write(v)
        d["kind"] = self.name
        return d

    def check_fields(self, layer, where: str) -> None:
        """A layer made in Python gets the same field checks as one read from JSON."""
        for f in self.fields:
            v = getattr(layer, f.name)
            if v is not None or f.required:
                f.read(f.write(v), where)

    # ---- shapes -------------------------------------------------------------------------------
    def out_shape(self, layer, shape: Shape, where: str) -> Shape:
        """What the layer gives an input of `shape`; SpecError naming `where` (and, for a size
        that does not work out, the dimension) when it cannot take it."""
        return shape

    def formula(self, layer, shape: Shape) -> str:
        """How the output size comes about, numbers filled in; "" when nothing to show."""
        return ""

    def state_shapes(self, layer, shape: Shape) -> dict[str, Shape]:
        """The module's state-dict tensors by key suffix ("weight", "bias"), from the numbers
        alone (a weights file is compared with these before any tensor is read)."""
        return {}

    def params_formula(self, layer, shape: Shape) -> str:
        """How the parameter count comes about, as the lesson counts AlexNet's first layer:
        "96·3·11·11 = 34,848 (+96 biases)"; "" for a kind without a weight tensor of
        two or more dimensions (the lesson's formula is for filters and neurons)."""
        state = self.state_shapes(layer, shape)
        weight = state.get("weight", ())
        if len(weight) < 2:
            return ""
        text = f"{'·'.join(map(str, weight))} = {math.prod(weight):,}"
        if "bias" in state:
            # (a no-break space: a narrow table wraps before the parenthesis, not inside it)
            text += f" (+{math.prod(state['bias']):,}\u00a0biases)"
        return text

    def params(self, layer, shape: Shape) -> int:
        """Learnable numbers; by default every state tensor (a kind with buffers overrides)."""
        return sum(math.prod(s) for s in self.state_shapes(layer, shape).values())

    def inside(self, layer, shape: Shape, name: str, where: str, tally) -> tuple:
        """A composite kind's own rows of the shapes table (LayerShape), named "name.inner",
        each added to `tally` (the budget) as it is worked out; () for a plain kind."""
        return ()

    def part_keys(self, layer) -> tuple[tuple[str, str], ...]:
        """A composite kind's (name inside it, state-key prefix inside it) pairs, for weights
        read by name (core/snapshot.py); () for a plain kind."""
        return ()

    # ---- torch --------------------------------------------------------------------------------
    def module(self, layer, shape: Shape):
        """The torch module for an input of `shape` (import torch inside: see the module doc)."""
        raise NotImplementedError(self.name)

    def trace(self, module, x) -> tuple[Any, dict[str, Any]]:
        """One step of the trace: (output, extra tensors by LayerTrace field, batch first)."""
        return module(x), {}


_BY_NAME: dict[str, LayerKind] = {}
_BY_TYPE: dict[type, LayerKind] = {}


def register(kind: LayerKind) -> LayerKind:
    """Make `kind` known to the spec, the network and the panels; its name must be new."""
    if kind.name in _BY_NAME and type(_BY_NAME[kind.name]) is not type(kind):
        raise ValueError(f"a layer kind named {kind.name!r} is already registered")
    _BY_NAME[kind.name] = kind
    _BY_TYPE[kind.layer_type] = kind
    return kind


def unregister(name: str) -> None:
    """Forget a kind (for tests that register a toy one)."""
    kind = _BY_NAME.pop(name, None)
    if kind is not None:
        _BY_TYPE.pop(kind.layer_type, None)


def kind_names() -> tuple[str, ...]:
    return tuple(_BY_NAME)


def kind_named(name: str) -> LayerKind | None:
    return _BY_NAME.get(name)


def kind_of(layer) -> LayerKind:
    try:
        return _BY_TYPE[type(layer)]
    except KeyError:
        raise SpecError(f"unknown layer {show(layer)}") from None


def layer_from_dict(d, where: str):
    """A layer from its JSON object; `where` is "layer 3" (the kind is added to it)."""
    kind_name = d.get("kind") if isinstance(d, dict) else d
    kind = kind_named(kind_name) if isinstance(kind_name, str) else None
    if not isinstance(d, dict) or kind is None:
        raise SpecError(
            f"{where}: unknown kind {show(kind_name)} (expected one of {', '.join(_BY_NAME)})"
        )
    return kind.from_dict(d, f"{where} ({kind.name})")


def layer_to_dict(layer) -> dict:
    return kind_of(layer).to_dict(layer)


def words(kind_name: str) -> tuple[str, str]:
    """(label, after-words) for a panel, "votes", a part ("residual.skip") and unknown names
    included."""
    base, _, part = kind_name.partition(".")
    kind = kind_named(base)
    if kind is None:
        return kind_name, ""
    if part:
        return kind.part_words.get(part, (kind_name, ""))
    return kind.label, kind.after


def description(kind_name: str) -> str:
    """The kind's one sentence for a person ("" for the votes or an unknown name)."""
    kind = kind_named(kind_name)
    return kind.description if kind is not None else ""
