"""The architecture editor as a Qt-free model: the input and an ordered list of rows, each a
layer kind with its field values as a person typed them, residual blocks wrapping rows.

    rows = LayerRows.from_spec(spec)        # or LayerRows(base) for an empty list
    path = rows.add("conv"); rows.set_text(path, "features", "8")
    rows.wrap((0,), (1,))                   # rows 1..2 inside a residual block
    rows.lines()                            # every row's shape, parameters, formula or reason
    rows.spec()                             # the NetworkSpec, or SpecError (the first reason)

Which kinds there are and what fields each has comes from the registry (core/layers): a kind
registered anywhere appears here with its fields. A row's place is its path: (2,) is the third
top-level row, (2, 0) the first row inside it. The shapes, parameter counts and refusals are the
spec's own (core/spec.py layer_shapes, asked by core/layer_rows_check.py); how a value reads as
text and back is core/layer_rows_text.py's; this module only keeps the rows and turns their
texts into layers.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field

from .errors import SpecError
from .layer_rows_text import number_text, parse_text, value_text
from .layers import kind_named, kind_names, kind_of, layer_to_dict
from .spec import NetworkSpec

# A kind whose declared fields include this one holds rows of its own (the residual block):
# the editor shows those rows indented under it instead of a text field.
BLOCK_FIELD = "layers"
# What Wrap makes, unless asked for another block kind.
DEFAULT_BLOCK = "residual"
WRAP_REFUSED = "choose rows that follow each other in one list to wrap them"
INPUT_FIELDS = ("rows", "cols", "channels", "low", "high")  # the input line's texts

Path = tuple[int, ...]


def is_block_kind(name: str) -> bool:
    kind = kind_named(name)
    return kind is not None and any(f.name == BLOCK_FIELD for f in kind.fields)


def row_kinds() -> tuple[str, ...]:
    """The kinds a row can be made of (a block is made by wrapping rows)."""
    return tuple(n for n in kind_names() if not is_block_kind(n))


def text_fields(kind_name: str) -> tuple[str, ...]:
    kind = kind_named(kind_name)
    return () if kind is None else tuple(f.name for f in kind.fields if f.name != BLOCK_FIELD)


def default_text(kind_name: str, name: str) -> str:
    """The kind's dataclass default for a field, as text ("" when it has none): shown in an
    empty field, and what an empty field means."""
    kind = kind_named(kind_name)
    for f in dataclasses.fields(kind.layer_type) if kind is not None else ():
        if f.name == name and f.default is not dataclasses.MISSING:
            return value_text(f.default)
    return ""


@dataclass
class Row:
    """One row: a kind, its fields' texts as typed, and for a block the rows inside it.
    `origin`: the name of the loaded network's layer this row came from (its weights can be
    kept when Apply finds the same shapes); None for a row made here."""

    kind: str
    texts: dict[str, str] = field(default_factory=dict)
    rows: list[Row] | None = None
    origin: str | None = None

    @property
    def is_block(self) -> bool:
        return self.rows is not None

    @property
    def inner(self) -> list[Row]:
        """A block's rows (only asked of a block)."""
        assert self.rows is not None, "a plain row has no rows inside"
        return self.rows

    def text(self, name: str) -> str:
        return self.texts.get(name, "")


def row_from_layer(layer, name: str) -> Row:
    """A row holding `layer`'s values as text; `name` its name in the loaded network."""
    kind = kind_of(layer)
    texts = {n: value_text(getattr(layer, n)) for n in text_fields(kind.name)}
    if not is_block_kind(kind.name):
        return Row(kind.name, texts, None, name)
    layers = getattr(layer, BLOCK_FIELD)
    inner = names([Row(kind_of(x).name) for x in layers], f"{name}.")
    return Row(
        kind.name, texts, [row_from_layer(x, n) for x, n in zip(layers, inner, strict=True)], name
    )


def layer_of(row: Row, where: str):
    """The layer a row describes (the kind's own field checks included); SpecError naming
    `where` and the field when a text does not read. An empty text leaves the field out (its
    default). Inside rows are named "inner layer j" as the spec names them."""
    kind = kind_named(row.kind)
    if kind is None:
        raise SpecError(f"{where}: unknown kind {row.kind!r}")
    d: dict = {"kind": row.kind}
    words = {f.name for f in kind.fields if f.choices}  # a word field takes the word as typed
    for name in text_fields(row.kind):
        if row.text(name).strip():
            text = row.text(name)
            d[name] = text.strip() if name in words else parse_text(text, f"{where} {name}")
    if row.is_block:
        inner = names(row.inner)
        d[BLOCK_FIELD] = [
            layer_to_dict(layer_of(r, f"{where} inner layer {j + 1} ({n})"))
            for j, (r, n) in enumerate(zip(row.inner, inner, strict=True))
        ]
    return kind.from_dict(d, where)


def names(rows: list[Row], prefix: str = "") -> list[str]:
    """The rows' names as the spec gives them: the kind and its count (inside a block, counted
    inside it and prefixed with the block's name)."""
    counts: dict[str, int] = {}
    out = []
    for r in rows:
        counts[r.kind] = counts.get(r.kind, 0) + 1
        out.append(f"{prefix}{r.kind}{counts[r.kind]}")
    return out


class LayerRows:
    """The editor's rows and input. `base` gives the name, classes and input kind (the editor
    changes the layers and the input's size, channels and value range)."""

    def __init__(self, base: NetworkSpec, rows: list[Row] | None = None):
        self.base = base
        self.rows: list[Row] = rows if rows is not None else []
        lo, hi = base.value_range
        self.input = dict(
            zip(
                INPUT_FIELDS,
                (
                    str(base.rows),
                    str(base.cols),
                    str(base.channels),
                    number_text(lo),
                    number_text(hi),
                ),
                strict=True,
            )
        )

    @classmethod
    def from_spec(cls, spec: NetworkSpec) -> LayerRows:
        """The rows of `spec`, each named as the spec names its layer (conv1, pool2: the kind
        and its count), whether or not the spec fits together (the quick form's may not)."""
        kinds = [Row(kind_of(x).name) for x in spec.layers]
        rows = [row_from_layer(x, n) for x, n in zip(spec.layers, names(kinds), strict=True)]
        return cls(spec, rows)

    # ---- reading -------------------------------------------------------------------------
    def parent(self, path: Path) -> list[Row]:
        rows = self.rows
        for i in path[:-1]:
            rows = rows[i].inner
        return rows

    def row(self, path: Path) -> Row:
        return self.parent(path)[path[-1]]

    def lines(self):
        from .layer_rows_check import check  # (the checking half lives beside this file)

        return check(self)

    def spec(self) -> NetworkSpec:
        """The network the rows describe; SpecError with the first reason it cannot be."""
        return self.lines().make()

    # ---- changing ------------------------------------------------------------------------
    def set_input(self, name: str, text: str) -> None:
        if name not in INPUT_FIELDS:
            raise KeyError(name)
        self.input[name] = text

    def set_text(self, path: Path, name: str, text: str) -> None:
        self.row(path).texts[name] = text

    def set_kind(self, path: Path, kind: str) -> None:
        """Another kind for a row: fields of the same name keep their text; the weights of the
        layer it came from no longer fit it."""
        row = self.row(path)
        if row.kind == kind or row.is_block or kind not in row_kinds():
            return
        row.texts = {n: row.text(n) for n in text_fields(kind)}
        row.kind, row.origin = kind, None

    def add(self, kind: str, after: Path | None = None) -> Path:
        """A new row of `kind` after the row at `after` (at the end when None); its fields
        start empty (the kind's defaults; a required one is asked for by the row's reason)."""
        if kind not in row_kinds():
            raise SpecError(f"unknown kind {kind!r} (expected one of {', '.join(row_kinds())})")
        new = Row(kind, {n: "" for n in text_fields(kind)})
        if after is None:
            self.rows.append(new)
            return (len(self.rows) - 1,)
        self.parent(after).insert(after[-1] + 1, new)
        return (*after[:-1], after[-1] + 1)

    def remove(self, path: Path) -> None:
        del self.parent(path)[path[-1]]
        self._drop_empty_blocks(self.rows)

    def duplicate(self, path: Path) -> Path:
        """A copy right after the row; it is a new layer (no weights kept for it)."""
        twin = copy.deepcopy(self.row(path))
        _forget_origins(twin)
        self.parent(path).insert(path[-1] + 1, twin)
        return (*path[:-1], path[-1] + 1)

    def move(self, path: Path, step: int) -> Path:
        """One place up (step -1) or down (+1) among its neighbours; from the edge of a block
        it steps out of the block. Returns its new path."""
        rows, i = self.parent(path), path[-1]
        j = i + step
        if 0 <= j < len(rows):
            rows[i], rows[j] = rows[j], rows[i]
            return (*path[:-1], j)
        if len(path) == 1:
            return path
        row = rows.pop(i)
        outer, b = self.parent(path[:-1]), path[-2]
        if rows:
            at = b if step < 0 else b + 1
        else:  # the block's last row left it: the empty block goes
            del outer[b]
            at = b
        outer.insert(at, row)
        return (*path[:-2], at)

    def wrap(self, first: Path, last: Path, kind: str = DEFAULT_BLOCK) -> Path:
        """Rows first..last (neighbours in one list) inside a new block of `kind`."""
        if first[:-1] != last[:-1] or last[-1] < first[-1]:
            raise SpecError(WRAP_REFUSED)
        if not is_block_kind(kind):
            raise SpecError(f"{kind!r} is not a kind of block")
        rows = self.parent(first)
        inside = rows[first[-1] : last[-1] + 1]
        rows[first[-1] : last[-1] + 1] = [Row(kind, {n: "" for n in text_fields(kind)}, inside)]
        return first

    def wrap_chosen(self, paths, kind: str = DEFAULT_BLOCK) -> Path:
        """The rows at `paths` (neighbours in one list, none left out) inside a new block."""
        paths = sorted(paths)
        if not paths or paths[-1][-1] - paths[0][-1] + 1 != len(paths):
            raise SpecError(WRAP_REFUSED)
        return self.wrap(paths[0], paths[-1], kind)

    def unwrap(self, path: Path) -> None:
        """A block's rows take its place."""
        rows, i = self.parent(path), path[-1]
        if rows[i].is_block:
            rows[i : i + 1] = rows[i].inner

    def replace_rows(self, spec: NetworkSpec) -> None:
        """The rows and input of `spec` (the quick form's network). Each row's origin is its
        name there: Apply keeps the weights of a loaded layer of that name and the same shapes."""
        fresh = LayerRows.from_spec(spec)
        self.rows, self.input = fresh.rows, fresh.input

    @staticmethod
    def _drop_empty_blocks(rows: list[Row]) -> None:
        rows[:] = [r for r in rows if not r.is_block or r.rows]
        for r in rows:
            if r.is_block:
                LayerRows._drop_empty_blocks(r.inner)


def _walk(rows):
    for r in rows:
        yield r
        if r.is_block:
            yield from _walk(r.rows)


def _forget_origins(row: Row) -> None:
    for r in _walk([row]):
        r.origin = None
