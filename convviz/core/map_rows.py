"""The rows of the Feature maps panel, worked out from a network's shapes (plain Python, no Qt).

Top to bottom: the input's channels (a colour picture's red, green and blue, each on its own
colour ramp, then the picture as seen; a drawing or a spectrogram as one map), then every layer
on maps in network order. A residual block gives its inside rows, its skip path and its sum, each
titled as such (a person must see where the skip path joins). A layer with very many maps
(AlexNet's 96, 256, 384) shows its first MAX_MAPS_SHOWN, and its title says how many there are:
a wall of 384 tiles is neither readable nor cheap to repaint on every stroke.
"""

from __future__ import annotations

from dataclasses import dataclass

from .layers import words
from .mosaic import MAX_UNITS, MosaicLayout, tile_columns
from .spec import NetworkSpec

INPUT = "input"  # the input row's name (no layer is named so: names end in a number)
MAX_MAPS_SHOWN = 48  # six rows of eight; the rest are named in the title
INPUT_MIN_UNITS = 2.0  # the input's tiles are up to this wide (a drawing: two units)
COLOUR_LABELS = ("R", "G", "B")
AS_SEEN = "colour"  # the true-colour thumbnail's label

# roles: how a row is titled and drawn
INPUT_ROLE, MAPS, INSIDE, SKIP, SUM = "input", "maps", "inside", "skip", "sum"


@dataclass(frozen=True)
class MapRow:
    name: str  # INPUT or the layer's trace name ("conv1", "residual1.skip", "residual1")
    heading: str  # the title drawn above the row
    layout: MosaicLayout
    tile_units: float  # a tile's width in units (a square map's tile is one unit)
    role: str  # INPUT_ROLE, MAPS, INSIDE, SKIP or SUM
    depth: int = 0  # how many residual blocks hold it (inside rows and skip paths: 1 or more)
    labels: tuple[str, ...] = ()  # painted on each tile (the input's R, G, B)
    menu: str = ""  # the Layers menu's words for it
    total: int = 0  # maps the layer has (the layout may show fewer)


def _dims(shape) -> str:
    return " × ".join(map(str, shape))


def _layout(count: int, h: int, w: int, least_units: float = 1.0) -> tuple[MosaicLayout, float]:
    cols, t = tile_columns(count, h, w)
    if t < least_units:  # wider tiles, fewer columns
        t = min(least_units, float(MAX_UNITS))
        cols = max(1, min(count, int(MAX_UNITS // t)))
    return MosaicLayout(count, h, w, cols), t


def input_row(spec: NetworkSpec, widest: float = MAX_UNITS) -> MapRow:
    c, h, w = spec.channels, spec.rows, spec.cols
    colour = c == 3
    count = c + 1 if colour else c  # a colour picture: its channels, then as seen
    layout, t = _layout(count, h, w, max(1.0, min(widest / count, INPUT_MIN_UNITS)))
    if spec.input_kind == "spectrogram":
        what = "the spectrogram: time across, frequency up"
    elif colour:
        what = "red, green, blue, then the picture"
    elif c == 1:
        what = "the drawing"
    else:
        what = f"its {c} channels"
    labels = (
        (*COLOUR_LABELS, AS_SEEN)
        if colour
        else (() if c == 1 else tuple(str(k + 1) for k in range(c)))
    )
    return MapRow(
        INPUT,
        f"input   {_dims((c, h, w))}   {what}",
        layout,
        t,
        INPUT_ROLE,
        labels=labels,
        menu="input  (what the network reads)",
        total=c,
    )


def map_rows(spec: NetworkSpec) -> list[MapRow]:
    """Every row of the panel for `spec`, the input first: as wide as the widest layer's row,
    so the input never makes every layer's maps narrower (at least a unit a tile, at most
    INPUT_MIN_UNITS)."""
    rows = _rows(spec.shapes(), (spec.channels, spec.rows, spec.cols), 0)
    widest = max((r.layout.cols * r.tile_units for r in rows), default=MAX_UNITS)
    return [input_row(spec, widest), *rows]


def _rows(shapes, in_shape, depth: int) -> list[MapRow]:
    rows: list[MapRow] = []
    for s in shapes:
        if s.inside:  # a residual block: its inside, its skip path, then the sum
            rows.extend(_block_rows(s, in_shape, depth))
        elif len(s.shape) == 3:
            rows.append(_maps_row(s, MAPS if depth == 0 else INSIDE, depth, words(s.kind)[1]))
        in_shape = s.shape
    return rows


def _block_rows(block, in_shape, depth: int) -> list[MapRow]:
    inside = [s for s in block.inside if not s.kind.endswith(".skip")]
    skips = [s for s in block.inside if s.kind.endswith(".skip")]
    rows = _rows(inside, in_shape, depth + 1)
    for s in skips:
        how = (
            "the block's input, as it is"
            if tuple(s.shape) == tuple(in_shape)
            else "a 1×1 convolution of the block's input"
        )
        rows.append(_maps_row(s, SKIP, depth + 1, f"skip path: {how}", words_first=True))
    rows.append(_maps_row(block, SUM, depth, "sum: inside + skip path", words_first=True))
    return rows


def _maps_row(s, role: str, depth: int, said: str, words_first: bool = False) -> MapRow:
    c, h, w = s.shape
    shown = min(c, MAX_MAPS_SHOWN)
    layout, t = _layout(shown, h, w)
    dims = _dims(s.shape) + (f" ({shown} shown)" if shown < c else "")
    heading = f"{s.name}   {said}   {dims}" if words_first else f"{s.name}   {dims}   {said}"
    label = words(s.kind)[0] or s.kind
    return MapRow(s.name, heading, layout, t, role, depth, menu=f"{s.name}  ({label})", total=c)
