"""Hostile number grids (`trace`'s text INPUT): huge files, endless or blocking files, and random
text. A grid is bounded before it is read (limits.GRID_MAX_FILE_BYTES, GRID_MAX_SIDE rows and
numbers a row); whatever the text, the answer is a finite float32 grid or one DataError line."""

from __future__ import annotations

import math
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from convviz.core import limits
from convviz.core.errors import DataError
from convviz.core.grid_text import load_grid_text

from .harness import assert_refused, convviz_cli

# ---- in a bounded process ---------------------------------------------------------------------


def test_a_huge_grid_file_is_refused_before_it_is_read(tmp_path):
    # 100 MB of "0 0 0 ...": parsed into Python floats it took gigabytes
    big = tmp_path / "big.txt"
    line = ("0 " * 1000 + "\n").encode()
    with open(big, "wb") as f:
        for _ in range(100 * 2**20 // len(line)):
            f.write(line)
    out = convviz_cli("trace", "--preset", "xo", big, cwd=tmp_path)
    assert_refused(out, "big.txt", "limit")


@pytest.mark.parametrize("kind", ["device", "fifo"])
def test_an_endless_or_blocking_input_is_refused(tmp_path, kind):
    if kind == "device":
        path = "/dev/zero"  # reading it never ends
    else:
        path = tmp_path / "pipe.txt"  # opening it waits for a writer for ever
        os.mkfifo(path)
    out = convviz_cli("trace", "--preset", "xo", path, cwd=tmp_path, timeout=20)
    assert_refused(out, "not a file")


# ---- in this process ----------------------------------------------------------------------------


def _grid(tmp_path, data: bytes):
    p = tmp_path / "g.txt"
    p.write_bytes(data)
    return load_grid_text(p)


def test_rows_and_columns_over_the_limit_are_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "GRID_MAX_SIDE", 4)
    with pytest.raises(DataError, match="line 1 holds 5 numbers, over convviz's limit of 4"):
        _grid(tmp_path, b"1 2 3 4 5\n")
    with pytest.raises(DataError, match="more than 4 rows"):
        _grid(tmp_path, b"1\n" * 5)
    assert _grid(tmp_path, b"1 2 3 4\n" * 4).shape == (4, 4)


def test_a_line_of_separators_is_blank(tmp_path):
    with pytest.raises(DataError, match="no numbers in the file"):
        _grid(tmp_path, b",\n , ,\n")  # gave an empty 1x0 grid
    assert _grid(tmp_path, b"1, 2\n,,\n3 4\n").shape == (2, 2)


def test_values_too_large_for_float32_are_refused(tmp_path):
    with pytest.raises(DataError, match="line 2 holds a value that is not finite"):
        _grid(tmp_path, b"1 2\n1e39 0\n")


def _check_outcome(tmp_path, data: bytes):
    """Random input gives a finite float32 grid within the limits, or one DataError line."""
    try:
        g = _grid(tmp_path, data)
    except DataError as e:
        text = str(e)
        assert text and "\n" not in text and "g.txt" in text
        return None
    assert g.dtype == np.float32 and g.ndim == 2 and g.size > 0
    assert max(g.shape) <= limits.GRID_MAX_SIDE
    assert np.isfinite(g).all()
    return g


SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
NUMBERISH = st.sampled_from(
    [
        "0",
        "1",
        "-1",
        "0.5",
        "1e3",
        "nan",
        "inf",
        "-inf",
        "1e39",
        "x",
        ",",
        " ",
        "\t",
        "\n",
        "#",
        "\r\n",
        "1_0",
        "\u00a0",
        "\x00",
        "\ufeff",
        "\u2028",
        "+",
        ".",
    ]
)


@SETTINGS
@given(st.binary(max_size=400))
def test_random_bytes_give_a_grid_or_one_line(tmp_path, data):
    _check_outcome(tmp_path, data)


@SETTINGS
@given(st.text(max_size=300))
def test_random_text_gives_a_grid_or_one_line(tmp_path, text):
    _check_outcome(tmp_path, text.encode("utf-8", "surrogatepass"))


@SETTINGS
@given(st.lists(NUMBERISH, max_size=80))
def test_number_like_text_gives_a_grid_or_one_line(tmp_path, parts):
    _check_outcome(tmp_path, "".join(parts).encode("utf-8"))


@SETTINGS
@given(
    st.integers(1, 12).flatmap(
        lambda w: st.lists(
            st.lists(
                st.floats(allow_nan=False, allow_infinity=False, width=32), min_size=w, max_size=w
            ),
            min_size=1,
            max_size=12,
        )
    )
)
def test_finite_grids_read_back_exactly(tmp_path, rows):
    text = "\n".join(" ".join(repr(v) for v in r) for r in rows) + "\n"
    g = _check_outcome(tmp_path, text.encode())
    assert g is not None
    np.testing.assert_array_equal(g, np.array(rows, dtype=np.float32))
    assert all(math.isfinite(v) for r in rows for v in r)
