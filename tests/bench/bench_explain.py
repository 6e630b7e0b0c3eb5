"""What each "where it looked" method costs per update, next to the trace's cost, and how often
"fool it" flips the bundled `shapes` network's answer.

    python3 tests/bench/bench_explain.py [--runs 50] [--drawings 60] [--threads 1]

Prints a markdown table (median and 95th percentile, milliseconds, per preset, CPU) and, for
fool it, the fraction flipped within the step limit, the median number of steps and of changed
pixels. The target is the class after the network's answer (not the runner-up): a fixed choice.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from convviz.core.bundled import preset_model  # noqa: E402
from convviz.core.explain import METHODS, explain  # noqa: E402
from convviz.core.fool import DEFAULT_MAX_STEPS, fool  # noqa: E402
from convviz.core.presets import PRESETS  # noqa: E402
from convviz.core.shapes_data import make_arrays  # noqa: E402


def _ms(fn, runs: int) -> list[float]:
    fn()
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return sorted(out)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--drawings", type=int, default=60)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    print(f"CPU, {a.threads} thread(s), {a.runs} runs\n")
    print("| preset | trace | " + " | ".join(METHODS) + " |")
    print("|---" * (2 + len(METHODS)) + "|")
    for name in PRESETS:
        model = preset_model(name)
        x, _ = make_arrays(model.spec.classes[:1] if name != "xo" else ("X",), 1,
                           model.spec.input_size, seed=0)
        image = x[0, 0]
        cells = []
        for fn in [lambda: model.trace(image)] + [
                (lambda m=m: explain(model, image, m)) for m in METHODS]:
            t = _ms(fn, a.runs)
            cells.append(f"{statistics.median(t):.2f} (p95 {t[int(0.95 * (len(t) - 1))]:.2f})")
        print(f"| {name} | " + " | ".join(cells) + " |")

    model = preset_model("shapes")
    per = max(1, a.drawings // len(model.spec.classes))
    x, _ = make_arrays(model.spec.classes, per, model.spec.input_size, seed=2024)
    flipped, steps, changed, t0 = 0, [], [], time.perf_counter()
    for image in x:
        said = model.trace(image).winner
        r = fool(model, image, (said + 1) % len(model.spec.classes))
        flipped += r.fooled
        steps.append(len(r.steps) - 1)
        changed.append(r.changed_pixels)
    secs = time.perf_counter() - t0
    print(f"\nfool it on shapes: flipped {flipped}/{len(x)} ({flipped / len(x):.0%}) within "
          f"{DEFAULT_MAX_STEPS} steps; median {statistics.median(steps):.0f} steps, median "
          f"{statistics.median(changed):.0f} changed pixels of {x[0].size}; "
          f"{secs / len(x) * 1000:.0f} ms a drawing")
    return 0


if __name__ == "__main__":
    sys.exit(main())
