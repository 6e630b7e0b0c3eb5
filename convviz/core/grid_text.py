"""Number grids as text in: a file of numbers, one row a line, like the deck's grids.

One grid is one channel; several grids separated by blank lines are one a channel, in the
network's channel order. Every read is bounded before and while reading (the limits.GRID_*
constants). imageio.load_input takes a picture or one of these.
"""

from __future__ import annotations

import numpy as np

from . import limits
from .errors import DataError
from .imageio import _mb, check_regular_file, shown


def _grid_blocks(path) -> list[list[np.ndarray]]:
    """A text file of whitespace- or comma-separated numbers, one row a line, like the deck's
    grids -> its blocks of rows (float64), a block ending at a blank line (or a line of
    separators); comment lines (#) end nothing.

    Bounded before reading (limits.GRID_MAX_FILE_BYTES), then as it is read: at most
    GRID_MAX_SIDE numbers a row and rows a block, GRID_MAX_GRIDS blocks and GRID_MAX_VALUES
    numbers in all; every number finite as float32."""
    check_regular_file(path, limits.GRID_MAX_FILE_BYTES, "a number grid")
    name = shown(path)
    try:
        with open(path, "rb") as f:
            data = f.read(limits.GRID_MAX_FILE_BYTES + 1)  # the file may have grown since
        text = data.decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise DataError(f"{name}: cannot read it as text ({e.__class__.__name__})") from None
    if len(data) > limits.GRID_MAX_FILE_BYTES:
        raise DataError(
            f"{name}: the file is over convviz's limit of "
            f"{_mb(limits.GRID_MAX_FILE_BYTES)} for a number grid"
        )
    side = limits.GRID_MAX_SIDE
    top = float(np.finfo(np.float32).max)
    blocks: list[list[np.ndarray]] = []
    current: list[np.ndarray] = []
    values = 0
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if line.startswith("#"):
            continue
        words = line.replace(",", " ").split()
        if not words:  # blank, or separators only: the end of a grid
            current = []
            continue
        if len(words) > side:
            raise DataError(
                f"{name}: line {n} holds {len(words)} numbers, over convviz's limit of {side} a row"
            )
        if not current:
            if len(blocks) == limits.GRID_MAX_GRIDS:
                raise DataError(
                    f"{name}: more than {limits.GRID_MAX_GRIDS} grids separated by "
                    f"blank lines (convviz's limit)"
                )
            blocks.append(current)
        if len(current) == side:
            raise DataError(f"{name}: more than {side} rows of numbers (convviz's limit)")
        values += len(words)
        if values > limits.GRID_MAX_VALUES:
            raise DataError(
                f"{name}: more than {limits.GRID_MAX_VALUES:,} numbers (convviz's "
                f"limit for a number grid)"
            )
        try:
            row = np.array([float(v) for v in words], dtype=np.float64)
        except ValueError:
            raise DataError(f"{name}: line {n} holds something that is not a number") from None
        if not (np.abs(row) <= top).all():  # NaN, infinity, or infinite once made float32
            raise DataError(
                f"{name}: line {n} holds a value that is not finite (or too large "
                f"for 32-bit floats)"
            )
        current.append(row)
    if not blocks:
        raise DataError(f"{name}: no numbers in the file")
    return blocks


def _one_grid(name: str, rows: list[np.ndarray], which: str = "") -> np.ndarray:
    widths = {len(r) for r in rows}
    if len(widths) != 1:
        lengths = ", ".join(map(str, sorted(widths)))
        raise DataError(f"{name}: {which}rows have different lengths ({lengths})")
    return np.array(rows, dtype=np.float32)


def load_grid_text(path) -> np.ndarray:
    """One (H, W) float32 grid: every row of the file, blank lines ignored (the deck writes a
    grid with blank lines in it)."""
    return _joined(path, _grid_blocks(path))


def _joined(path, blocks: list[list[np.ndarray]]) -> np.ndarray:
    rows = [r for b in blocks for r in b]
    if len(rows) > limits.GRID_MAX_SIDE:
        raise DataError(
            f"{shown(path)}: more than {limits.GRID_MAX_SIDE} rows of numbers (convviz's limit)"
        )
    return _one_grid(shown(path), rows)


def load_grids_text(path) -> np.ndarray:
    """(C, H, W) float32: C grids of the same shape separated by blank lines, one a channel (in
    the network's channel order: red, green, blue for a colour network)."""
    name = shown(path)
    blocks = _grid_blocks(path)
    grids = [
        _one_grid(name, b, f"grid {i + 1}: " if len(blocks) > 1 else "")
        for i, b in enumerate(blocks)
    ]
    for i, g in enumerate(grids[1:], 2):
        if g.shape != grids[0].shape:
            raise DataError(
                f"{name}: grid {i} is {g.shape[0]}x{g.shape[1]} but grid 1 is "
                f"{grids[0].shape[0]}x{grids[0].shape[1]}; every channel's grid "
                f"must be the same size"
            )
    return np.stack(grids)


def _channels_word(n: int) -> str:
    return f"{n} channel{'s' if n != 1 else ''}"


def load_grid_input(path, rows: int, cols: int, channels: int) -> np.ndarray:
    """A number grid for a network taking (channels, rows, cols): (rows, cols) for one channel,
    where blank lines inside the grid are ignored as the deck writes them, else (channels, rows,
    cols) from that many grids separated by blank lines."""
    name = shown(path)
    if channels == 1:
        blocks = _grid_blocks(path)
        shapes = {(len(b), len(r)) for b in blocks for r in b}
        joined = _joined(path, blocks)
        if joined.shape != (rows, cols) and len(blocks) > 1 and len(shapes) == 1:
            ((h, w),) = shapes  # several grids of one size: meant as channels
            raise DataError(
                f"{name}: {len(blocks)} grids of {h}x{w} separated by blank lines "
                f"(one a channel) but the model takes one {rows}x{cols} grid "
                f"(1 channel)"
            )
        grid = joined[None]
    else:
        grid = load_grids_text(path)
        if len(grid) != channels:
            raise DataError(
                f"{name}: {len(grid)} grid{'s' if len(grid) != 1 else ''} but the "
                f"model takes {_channels_word(channels)}: give one grid a channel, "
                f"in channel order, separated by blank lines"
            )
    if grid.shape[1:] != (rows, cols):
        raise DataError(
            f"{name}: the grid is {grid.shape[1]}x{grid.shape[2]} but the model takes {rows}x{cols}"
        )
    return grid[0] if channels == 1 else grid
