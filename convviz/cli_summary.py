"""`convviz summary`: the shapes table of the architecture panel, printed (or as JSON).

    convviz summary (--preset NAME | --weights FILE | --spec SPEC.json) [--json]

The rows come from convviz.core.summary, the same ones the window shows. For --preset and --spec
nothing is built and torch is not imported; for --weights the file gets the checks every weights
file gets when it is opened (header, metadata and declared tensors judged against the network it
describes), which import torch, but no tensor is read and nothing is built.

JSON (stable keys): {"name", "input": {"channels", "rows", "cols"}, "classes": [...],
"rows": [{"name", "kind", "label", "shape": [...], "params", "formula", "params_formula",
"depth"}, ...] (the
input first, the votes last, as in the table; depth 1 for a row inside a residual block, which
comes before the block's own row, whose params include its inside's), "totals": {"params",
"params_bytes", "activations", "activations_bytes"}}; bytes as float32, activations the numbers
one image makes, the input included.
"""

from __future__ import annotations

import json
import sys
import textwrap

from .core.summary import Summary, byte_text, summarise

WIDTH = 80  # a terminal's classic width: the table fits it
MIN_FORMULA = 26  # narrower than this, the formulas go on lines of their own below each row
HEADINGS = ("layer", "kind", "output", "parameters", "how")
# for a terminal that cannot show them (an old Windows code page, PYTHONIOENCODING=ascii)
PLAIN = str.maketrans({"×": "x", "·": "*", "→": "->", "…": "...", "\u00a0": " "})


def add_parser(sub) -> None:
    s = sub.add_parser(
        "summary",
        help="print every layer's output shape, parameters and formula, "
        "and the totals (builds nothing)",
    )
    g = s.add_mutually_exclusive_group(required=True)
    g.add_argument("--preset", help="a preset's layers")
    g.add_argument("--weights", metavar="FILE", help="the network a weights file describes")
    g.add_argument("--spec", metavar="SPEC.json", help="a network description (JSON)")
    s.add_argument("--json", action="store_true", help="print JSON (keys: see the README)")


def cmd_summary(args) -> int:
    if args.preset is not None:
        from .core.presets import preset

        spec = preset(args.preset)
    elif args.weights is not None:
        from .core.weights import network_of  # imports torch: see the module doc

        spec = network_of(args.weights)
    else:
        from .core.spec import read_spec

        spec = read_spec(args.spec)
    summary = summarise(spec)
    _print(json.dumps(as_dict(summary), indent=2) if args.json else table_text(summary))
    return 0


def as_dict(summary: Summary) -> dict:
    spec = summary.spec
    return {
        "name": spec.name,
        "input": {"channels": spec.channels, "rows": spec.rows, "cols": spec.cols},
        "classes": list(spec.classes),
        "rows": [
            {
                "name": r.name,
                "kind": r.kind,
                "label": r.label,
                "shape": list(r.shape),
                "params": r.params,
                "formula": r.formula,
                "params_formula": r.params_formula,
                "depth": r.depth,
            }
            for r in summary.rows
        ],
        "totals": {
            "params": summary.params,
            "params_bytes": summary.params_bytes,
            "activations": summary.activations,
            "activations_bytes": summary.activations_bytes,
        },
    }


def table_text(summary: Summary, width: int = WIDTH) -> str:
    spec = summary.spec
    cells = [
        (
            "  " * r.depth + r.name,
            r.label if r.label != r.name else "",
            r.shape_text,
            r.params_text,
            r.how,
        )
        for r in summary.rows
    ]
    widths = [max(len(c[j]) for c in [HEADINGS, *cells]) for j in range(4)]
    start = sum(widths) + 2 * 4  # two spaces between columns
    room = width - start
    own_lines = room < MIN_FORMULA  # too narrow: each formula under its row, indented
    room = width - 4 if own_lines else room
    indent = " " * (4 if own_lines else start)

    def line(c) -> str:
        return "  ".join(
            (
                c[0].ljust(widths[0]),
                c[1].ljust(widths[1]),
                c[2].ljust(widths[2]),
                c[3].rjust(widths[3]),
            )
        )

    out = [
        f"{spec.name}: {spec.rows}x{spec.cols} input, {spec.channels} channel"
        f"{'s' if spec.channels != 1 else ''}, {len(spec.classes)} classes",
        "",
    ]
    out.append((line(HEADINGS) + "  " + ("" if own_lines else HEADINGS[4])).rstrip())
    for c in cells:
        parts = wrap_formula(c[4], room)
        if own_lines:
            out.append(line(c).rstrip())
            out += [indent + p for p in parts]
        else:
            out.append((line(c) + "  " + (parts[0] if parts else "")).rstrip())
            out += [indent + p for p in parts[1:]]
    out += [
        "",
        f"parameters: {summary.params:,} ({byte_text(summary.params_bytes)} as float32)",
        f"activation values: {summary.activations:,} "
        f"({byte_text(summary.activations_bytes)} as float32)",
        "  (every layer's output for one image, and the input)",
    ]
    return "\n".join(out)


def wrap_formula(text: str, room: int) -> list[str]:
    """A formula in lines of at most `room` characters: a per-dimension formula breaks between
    its rows and cols parts first, then, if still too long, between words."""
    lines: list[str] = []
    for part in text.split("; "):
        lines += textwrap.wrap(part, room, break_on_hyphens=False) or [part]
    return [p for p in lines if p]


def _print(text: str) -> None:
    try:
        text.encode(sys.stdout.encoding or "utf-8")
    except (UnicodeEncodeError, LookupError):
        text = text.translate(PLAIN).encode("ascii", "replace").decode("ascii")
    print(text)
