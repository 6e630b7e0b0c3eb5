"""What "What it learned" costs on the bundled `shapes` network, CPU, one torch thread (as the
window's background jobs run it):

- the picture each feature / class would like best (core.feature_vis, STEPS steps): seconds
  per picture, and how far it rises above the best of 20 random pictures;
- the top images of every convolution feature and every class (core.top_images): images per
  second over generated shape drawings, and the batch it picked.

    python3 tests/bench/bench_learned.py [--images 6000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np
import torch

from convviz.core.bundled import preset_model
from convviz.core.feature_vis import STEPS, Target, target_value, visualise
from convviz.core.shapes_data import make_arrays
from convviz.core.top_images import batch_size_for, find_top_images


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=6000)
    args = parser.parse_args()
    torch.set_num_threads(1)
    model = preset_model("shapes")
    rng = np.random.default_rng(0)
    randoms = torch.tensor(rng.uniform(-1, 1, (20, 1, 28, 28)).astype(np.float32))
    print(f"feature visualisation, {STEPS} steps, shapes network, 1 thread")
    print("| target | seconds (median, max) | best / best random (min, median, max) |")
    print("|---|---|---|")
    groups = {
        "conv1 features": [Target(0, f) for f in range(8)],
        "conv2 features": [Target(3, f) for f in range(16)],
        "classes (vote minus best random)": [Target(None, c) for c in range(6)],
    }
    for name, targets in groups.items():
        times, rises = [], []
        for t in targets:
            with torch.no_grad():
                floor = float(target_value(model, randoms, t).max())
            start = time.perf_counter()
            v = visualise(model, t)
            times.append(time.perf_counter() - start)
            if t.layer is None:
                rises.append(v.value - floor)
            elif v.value > 0:  # a feature nothing wakes is left out
                rises.append(v.value / max(floor, 1e-3))
        print(
            f"| {name} | {statistics.median(times):.2f}, {max(times):.2f} | "
            f"{min(rises):.1f}, {statistics.median(rises):.1f}, {max(rises):.1f} |"
        )
    per_class = max(1, args.images // len(model.spec.classes))
    X, y = make_arrays(model.spec.classes, per_class, 28, seed=0)
    start = time.perf_counter()
    found = find_top_images(model, X, y)
    took = time.perf_counter() - start
    print(
        f"\ntop images of {sum(len(t.indices) for t in found.layers.values())} features and "
        f"{len(model.spec.classes)} classes over {len(X):,} images: {took:.2f} s, "
        f"{len(X) / took:,.0f} images/s, batch {batch_size_for(model)}"
    )


if __name__ == "__main__":
    main()
