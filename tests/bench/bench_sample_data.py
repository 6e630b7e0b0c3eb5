"""How fast the sample data sets are made: shapes (gray and colour) and sound spectrograms, per
1000 images, in memory (make_arrays) and as PNG files (write_folder); and the mean-colour
baseline on colour shapes (it should be chance, 1/6).

    python3 tests/bench/bench_sample_data.py [--per-class 200]

Prints a markdown table (seconds per 1000 images, one CPU thread: numpy's work here is small
arrays in Python loops).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np

from convviz.core import shapes_data, sounds_data


def _per_1000(fn, n: int) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) / n * 1000


def mean_colour_baseline(per_class: int, seed: int = 123) -> float:
    """Nearest-class-mean on each picture's mean colour per channel, trained on the first half
    of each class, scored on the second."""
    x, y = shapes_data.make_arrays(
        shapes_data.shape_names(), per_class, 32, seed=seed, value_range=(0.0, 1.0), colour=True
    )
    f = x.mean(axis=(2, 3))
    first = np.zeros(len(y), bool)
    for c in range(6):
        idx = np.flatnonzero(y == c)
        first[idx[: len(idx) // 2]] = True
    means = np.stack([f[first & (y == c)].mean(0) for c in range(6)])
    guess = ((f[~first][:, None] - means[None]) ** 2).sum(-1).argmin(1)
    return float((guess == y[~first]).mean())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-class", type=int, default=200)
    args = ap.parse_args()
    k = args.per_class
    names = shapes_data.shape_names()
    rows = []
    for label, colour, size in [
        ("shapes 28x28 gray", False, 28),
        ("shapes 28x28 colour", True, 28),
        ("shapes 64x64 colour", True, 64),
    ]:
        arrays = _per_1000(
            lambda c=colour, s=size: shapes_data.make_arrays(names, k, s, colour=c), 6 * k
        )
        with tempfile.TemporaryDirectory() as d:
            files = _per_1000(
                lambda c=colour, s=size, d=d: shapes_data.write_folder(
                    Path(d) / "x", k, size=s, colour=c
                ),
                6 * k,
            )
        rows.append((label, arrays, files))
    arrays = _per_1000(lambda: sounds_data.make_arrays(per_class=k, rows=32, cols=48), 4 * k)
    with tempfile.TemporaryDirectory() as d:
        files = _per_1000(lambda: sounds_data.write_folder(Path(d) / "s", k), 4 * k)
    rows.append(("sounds 32x48 spectrograms", arrays, files))
    print("| data set | arrays, s / 1000 | PNG folder, s / 1000 |")
    print("| --- | ---: | ---: |")
    for label, a, f in rows:
        print(f"| {label} | {a:.2f} | {f:.2f} |")
    acc = mean_colour_baseline(max(k, 200))
    print(f"\nmean-colour nearest-class-mean on colour shapes: {acc:.1%} (chance {1 / 6:.1%})")


if __name__ == "__main__":
    main()
