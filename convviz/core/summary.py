"""The shapes table a person sees: one row per layer (the input first, the votes last) and the
totals. The architecture panel shows these rows and `convviz summary` prints them, so what each
kind of layer does to a shape is read from its declaration (LayerShape, worked out by the spec)
in this one place.

Nothing here builds the network or imports torch: a summary of AlexNet's layer sizes costs a
few arithmetic operations, not the gigabytes its weights would take.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .layers import description, words
from .spec import LayerShape, NetworkSpec

FLOAT32_BYTES = 4  # what one parameter or activation value takes in memory, as convviz runs it


@dataclass(frozen=True)
class SummaryRow:
    name: str  # "input", "conv1", "pool2", ..., "votes"
    kind: str  # the JSON kind name ("conv"); "input" and "votes" for the first and last rows
    label: str  # the kind's words for a person ("filtering")
    shape: tuple[int, ...]  # (channels, rows, cols) or (n,)
    params: int
    formula: str  # how the size came about, numbers filled in; "" when nothing to show
    description: str  # the kind's one sentence ("" for the input and the votes)
    params_formula: str = ""  # how the parameters add up ("" where nothing to show)
    depth: int = 0  # 1 for a row inside a block (a residual block's layers), 2 deeper, ...

    @property
    def title(self) -> str:
        """How the window names the row: "conv1 (filtering)"; "input" and "votes" alone."""
        return self.name if self.label == self.name else f"{self.name} ({self.label})"

    @property
    def shape_text(self) -> str:
        return "×".join(map(str, self.shape))

    @property
    def params_text(self) -> str:
        return f"{self.params:,}" if self.params else ""

    @property
    def how(self) -> str:
        """The size's formula and the parameters' sum, as the table's last column shows them."""
        return "; ".join(t for t in (self.formula, self.params_formula) if t)

    @property
    def values(self) -> int:
        """How many numbers the layer gives for one image."""
        return math.prod(self.shape)


def input_row(spec: NetworkSpec) -> SummaryRow:
    return SummaryRow("input", "input", "input", (spec.channels, spec.rows, spec.cols), 0, "", "")


def table_rows(spec: NetworkSpec, shapes: list[LayerShape]) -> list[SummaryRow]:
    """The input's row, then one row for each of `shapes` (all of spec.shapes(), or the layers
    before a refused one, as the architecture editor has them); a block's inside rows (its
    LayerShape.inside, where a kind has them) come before the block's own row, its sum."""
    return [input_row(spec), *_rows(shapes, 0)]


def _rows(shapes, depth: int) -> list[SummaryRow]:
    out: list[SummaryRow] = []
    for s in shapes:
        out += _rows(getattr(s, "inside", ()), depth + 1)  # () for a kind without an inside
        out.append(
            SummaryRow(
                s.name,
                s.kind,
                words(s.kind)[0],
                s.shape,
                s.params,
                s.formula,
                description(s.kind),
                s.params_formula,
                depth,
            )
        )
    return out


@dataclass(frozen=True)
class Summary:
    spec: NetworkSpec
    rows: list[SummaryRow]

    @property
    def params(self) -> int:
        """A block's own row counts its inside's parameters: the top-level rows add up."""
        return sum(r.params for r in self.rows if r.depth == 0)

    @property
    def activations(self) -> int:
        """Every number one image makes, the input and a block's inside included: what a trace
        of it holds."""
        return sum(r.values for r in self.rows)

    @property
    def params_bytes(self) -> int:
        return self.params * FLOAT32_BYTES

    @property
    def activations_bytes(self) -> int:
        return self.activations * FLOAT32_BYTES


def summarise(spec: NetworkSpec) -> Summary:
    """The whole table for a valid spec; SpecError (naming the layer) for one that is not."""
    return Summary(spec, table_rows(spec, spec.shapes()))


def byte_text(n: int) -> str:
    """1536 -> '1.5 KiB'; sizes in powers of 1024, as memory is counted."""
    size = float(n)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{n:,} bytes" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n:,} bytes"  # not reached
