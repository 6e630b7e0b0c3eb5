"""A layer field's value as a person reads and types it in the architecture editor, and back:
5, 3x5, 0.5, yes, no (core/layer_rows.py keeps the rows; the kinds' own checks judge the value).
Plain Python, no Qt; split from layer_rows.py (`value_text`, `number_text` and `parse_text` are
still importable from there)."""

from __future__ import annotations

import json
import re

from .errors import SpecError
from .limits import MAX_SPEC_JSON_BYTES
from .spec_json import loads_bounded


def value_text(v) -> str:
    """A field's value as a person reads and types it: 5, 3x5, 0.5, yes, no; "" for none."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return number_text(v)
    if isinstance(v, (tuple, list)):
        if len(v) == 2 and all(isinstance(x, int) and not isinstance(x, bool) for x in v):
            return f"{v[0]}x{v[1]}"
        return _json_text(v)
    return str(v)


def number_text(v: float) -> str:
    """0.5 -> "0.5", -1.0 -> "-1"; never rounded (a value read back must be the same)."""
    short = f"{v:g}"
    return short if float(short) == v else repr(v)


def _json_text(v) -> str:
    def plain(x):
        return [plain(y) for y in x] if isinstance(x, (tuple, list)) else x

    return json.dumps(plain(v), separators=(",", ":"))


_PAIR = re.compile(r"^\s*(-?\d+)\s*[x×X,]\s*(-?\d+)\s*$")
_WORDS = {"yes": True, "no": False, "true": True, "false": False}


def parse_text(text: str, where: str):
    """A typed value as JSON would give it: "5" -> 5, "3x5" or "3, 5" -> [3, 5], "yes" -> True,
    anything else read as JSON (bounded); SpecError naming `where` when it reads as nothing.
    The kind's own field check then judges the value."""
    if len(text) > MAX_SPEC_JSON_BYTES:  # judged before anything reads it
        raise SpecError(f"{where}: {len(text):,} characters is more than a field can hold")
    t = text.strip()
    if t.lower() in _WORDS:
        return _WORDS[t.lower()]
    m = _PAIR.match(t)
    if m:
        return [int(m.group(1)), int(m.group(2))]
    try:
        return loads_bounded(t, where, SpecError)
    except SpecError:
        raise SpecError(f"{where}: cannot read {t[:40]!r} as a number") from None
