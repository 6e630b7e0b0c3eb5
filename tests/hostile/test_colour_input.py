"""Hostile multi-channel input: a text INPUT of endless grids or numbers, and a colour folder whose
decoded images would not fit, are refused in one line before anything that size is allocated
(limits.GRID_MAX_GRIDS, GRID_MAX_VALUES; FOLDER_MAX_DECODED_BYTES counted with 3 channels)."""

from __future__ import annotations

import numpy as np
from PIL import Image

from convviz.core import limits

from .harness import assert_refused, convviz_cli, python_snippet


def test_a_text_input_of_millions_of_grids_is_refused(tmp_path):
    many = tmp_path / "grids.txt"
    many.write_bytes(b"1\n\n" * (limits.GRID_MAX_FILE_BYTES // 3))  # 5.6 million 1x1 grids
    out = convviz_cli("trace", "--preset", "xo", many, cwd=tmp_path)
    assert_refused(out, "grids.txt", f"more than {limits.GRID_MAX_GRIDS} grids", "limit")


def test_a_text_input_of_too_many_numbers_is_refused(tmp_path):
    # 5 grids of 1000 x 1000: every row and grid within its own limit, 5 million numbers in all
    wide = tmp_path / "wide.txt"
    row = b"0 " * 1000 + b"\n"
    with open(wide, "wb") as f:
        for _ in range(5):
            f.write(row * 1000 + b"\n")
    assert wide.stat().st_size <= limits.GRID_MAX_FILE_BYTES
    out = convviz_cli("trace", "--preset", "xo", wide, cwd=tmp_path)
    assert_refused(out, "wide.txt", f"more than {limits.GRID_MAX_VALUES:,} numbers")


def test_a_colour_folder_over_the_memory_limit_is_refused_before_decoding(tmp_path):
    # 1x1 pictures, asked for at 1024x1024 in colour: 12 MB each decoded, so 200 of them take
    # 2.3 GB (over the 2 GB limit; the same folder in grayscale would take 0.8 GB and load)
    root = tmp_path / "data"
    for c in ("a", "b"):
        (root / c).mkdir(parents=True)
        for i in range(100):
            Image.fromarray(np.full((1, 1, 3), i, np.uint8)).save(root / c / f"{i}.png")
    code = (
        "import convviz.core.folders as f\n"
        "from convviz.core.errors import ConvvizError\n"
        "def never(*a, **k):\n"
        "    raise SystemExit('decoded a picture before refusing')\n"
        "f.decode_rgb = never\n"
        "try:\n"
        f"    f.load_folder({str(root)!r}, (1024, 1024), channels=3)\n"
        "except ConvvizError as e:\n"
        "    raise SystemExit(str(e))\n"
    )
    out = python_snippet(code, cwd=tmp_path)
    assert_refused(out, "200 colour images of 1024x1024", "2.3 GB", "limit of 2 GB")
