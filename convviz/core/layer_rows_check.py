"""Every row of the architecture editor (core/layer_rows.py) checked: its output shape, parameter
count and formulas, or the reason it cannot be, and the rows after a refused one unknown.

All numbers and every refusal come from the spec (NetworkSpec.shapes(), core/spec.py): the whole
network is asked first; when it is refused, ever longer beginnings of it (each closed with a
flatten so that it stands alone) find the first row that does not fit, and a refused block's
inside is walked with its kinds' own out_shape to find the row inside that does not fit.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .errors import SpecError
from .layer_rows import BLOCK_FIELD, LayerRows, Path, Row, layer_of, names
from .layer_rows_text import parse_text
from .layers import Flatten, kind_of
from .spec import LayerShape, NetworkSpec
from .spec_json import finite, whole

OK, REFUSED, UNKNOWN = "ok", "refused", "unknown"
# the input's fields in a reason's words
INPUT_WORDS = {
    "rows": "rows",
    "cols": "cols",
    "channels": "channels",
    "low": "background value",
    "high": "ink value",
}
VOTES = "votes"


@dataclass(frozen=True)
class Line:
    """One line of the editor: a row (path set) or a line that is no row of its own (a block's
    skip path, the votes: path None)."""

    path: Path | None
    depth: int
    kind: str  # the row's kind; "residual.skip"; "votes"
    name: str  # conv1, residual1.conv1, residual1.skip, votes
    shape: tuple[int, ...] | None = None
    params: int | None = None
    formula: str = ""  # LayerShape.formula: how the size came about, numbers filled in
    params_formula: str = ""  # LayerShape.params_formula
    reason: str = ""  # why the row cannot be (the SpecError's words, naming layer and dimension)
    state: str = OK  # OK, REFUSED, or UNKNOWN (a row after a refused one)


@dataclass(frozen=True)
class Checked:
    lines: tuple[Line, ...]
    reason: str  # the first reason in reading order ("" when the network can be made)
    input_reason: str  # the input's own reason ("" when it reads)
    spec: NetworkSpec | None  # the network the rows describe; None when refused
    total_params: int | None

    @property
    def ok(self) -> bool:
        return not self.reason

    def make(self) -> NetworkSpec:
        """The network, or SpecError with the first reason."""
        if self.spec is None:
            raise SpecError(self.reason)
        return self.spec

    def refused(self) -> list[Line]:
        return [ln for ln in self.lines if ln.state == REFUSED]


def input_spec(model: LayerRows) -> NetworkSpec:
    """The base spec with the input as typed; SpecError naming the input's field."""
    t = model.input
    for k, text in t.items():
        if not text.strip():
            raise SpecError(f"the input's {INPUT_WORDS[k]} is empty: type a number")
    rows, cols, channels = (
        whole(parse_text(t[k], f"input {k}"), f"input {k}", SpecError, lo=1, hi=1 << 20)
        for k in ("rows", "cols", "channels")
    )
    lo, hi = (
        finite(parse_text(t[k], f"value range {k}"), f"value range {k}", SpecError)
        for k in ("low", "high")
    )
    spec = replace(
        model.base, input_shape=(rows, cols), channels=channels, value_range=(lo, hi), layers=()
    )
    replace(spec, layers=(Flatten(),)).shapes()  # the input's own limits (budget) judged here
    return spec


def check(model: LayerRows) -> Checked:
    try:
        base = input_spec(model)
    except SpecError as e:
        lines = _unknown(model.rows, (), 0, names(model.rows))
        return Checked(
            (*lines, Line(None, 0, VOTES, VOTES, state=UNKNOWN)), str(e), str(e), None, None
        )

    top = names(model.rows)
    layers, bad = [], None  # bad: (index, reason) of the first row whose texts do not read
    for i, (row, name) in enumerate(zip(model.rows, top, strict=True)):
        try:
            layers.append(layer_of(row, f"layer {i + 1} ({name})"))
        except SpecError as e:
            bad = (i, str(e))
            break

    whole_spec = replace(base, layers=tuple(layers))
    if bad is None:
        try:
            shapes = whole_spec.shapes()
            lines = _good(model.rows, shapes, (), 0)
            total = sum(s.params for s in shapes)
            return Checked((*lines, _votes(shapes[-1])), "", "", whole_spec, total)
        except SpecError as e:
            global_reason = str(e)

    # the first beginning of the network that is refused names the first row that does not fit
    good: list[LayerShape] = []
    for k in range(1, len(layers) + 1):
        try:
            good = replace(base, layers=(*layers[:k], Flatten())).shapes()[:k]
        except SpecError as e:
            bad = (k - 1, str(e))
            break
    n = len(good)
    lines = _good(model.rows[:n], good, (), 0)
    if bad is None:  # every row fits: the whole network is refused (no flatten, the budget)
        votes = Line(None, 0, VOTES, VOTES, reason=global_reason, state=REFUSED)
        return Checked((*lines, votes), global_reason, "", None, None)
    i, reason = bad
    shape = good[-1].shape if good else (base.channels, base.rows, base.cols)
    lines += _refused(model.rows[i], top[i], f"layer {i + 1} ({top[i]})", (i,), 0, shape, reason)
    lines += _unknown(model.rows[i + 1 :], (), 0, top[i + 1 :], start=i + 1)
    return Checked((*lines, Line(None, 0, VOTES, VOTES, state=UNKNOWN)), reason, "", None, None)


def _line(path, depth, s: LayerShape) -> Line:
    return Line(path, depth, s.kind, s.name, s.shape, s.params, s.formula, s.params_formula)


def _votes(s: LayerShape) -> Line:
    return _line(None, 0, s)


def _good(rows: list[Row], shapes, prefix: Path, depth: int) -> list[Line]:
    """Lines of rows that fit, from their LayerShapes: a block's own line, its rows, then its
    parts that are no row (the skip path)."""
    out = []
    for i, (row, s) in enumerate(zip(rows, shapes, strict=False)):
        path = (*prefix, i)
        out.append(_line(path, depth, s))
        if row.is_block:
            out += _good(row.inner, s.inside, path, depth + 1)
            # a block kind whose table has no rows for its inside: they fit, numbers not shown
            out += [
                Line((*path, j), depth + 1, r.kind, f"{s.name}.{r.kind}")
                for j, r in enumerate(row.inner[len(s.inside) :], start=len(s.inside))
            ]
            out += [_line(None, depth + 1, p) for p in s.inside[len(row.inner) :]]
    return out


def _unknown(rows: list[Row], prefix: Path, depth: int, row_names, start: int = 0) -> list[Line]:
    out = []
    for j, (row, name) in enumerate(zip(rows, row_names, strict=True)):
        path = (*prefix, start + j)
        out.append(Line(path, depth, row.kind, name, state=UNKNOWN))
        if row.is_block:
            out += _unknown(row.inner, path, depth + 1, names(row.inner, f"{name}."))
    return out


def _refused(
    row: Row, name: str, where: str, path: Path, depth: int, shape, reason: str
) -> list[Line]:
    """The refused row's lines. For a block, its inside is walked with the kinds' own
    out_shape, so that the row inside that does not fit is the one marked."""
    if not row.is_block:
        return [Line(path, depth, row.kind, name, reason=reason, state=REFUSED)]
    inner_names = names(row.inner, f"{name}.")
    inside, s = [], shape
    for j, (r, n) in enumerate(zip(row.inner, inner_names, strict=True)):
        w = f"{where} inner layer {j + 1} ({n.rsplit('.', 1)[-1]})"
        try:
            layer = layer_of(r, w)
            kind = kind_of(layer)
            kind.check_fields(layer, w)
            new = kind.out_shape(layer, s, w)
        except SpecError as e:
            inside += _refused(r, n, w, (*path, j), depth + 1, s, str(e))
            inside += _unknown(row.inner[j + 1 :], path, depth + 1, inner_names[j + 1 :], j + 1)
            # the block says which of its rows: that row says why, once
            said = f"its row {n} does not fit (see below)"
            head = Line(path, depth, row.kind, name, reason=said, state=REFUSED)
            return [head, *inside]
        if r.is_block:  # a block inside that fits as a whole: its rows from the spec's table
            sub = LayerShape(n, r.kind, new, 0)
            inside.append(_line((*path, j), depth + 1, sub))
            inside += _unknown(r.inner, (*path, j), depth + 2, names(r.inner, f"{n}."))
        else:
            inside.append(
                Line(
                    (*path, j),
                    depth + 1,
                    r.kind,
                    n,
                    new,
                    kind.params(layer, s),
                    kind.formula(layer, s),
                    kind.params_formula(layer, s),
                )
            )
        s = new
    # every row inside fits: the block itself does not (its skip path, its own fields)
    return [Line(path, depth, row.kind, name, reason=reason, state=REFUSED), *inside]


__all__ = ["BLOCK_FIELD", "OK", "REFUSED", "UNKNOWN", "Checked", "Line", "check", "names"]
