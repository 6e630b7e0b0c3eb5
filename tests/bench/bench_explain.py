"""What each "where it looked" method costs per update, next to the trace's cost, and how often
"fool it" flips the bundled `shapes` network's answer.

    python3 tests/bench/bench_explain.py [--runs 50] [--drawings 60] [--threads 1] [--no-app]

Prints a markdown table (median and 95th percentile, milliseconds, per preset, CPU) and, for
fool it, the fraction flipped within the step limit, the median number of steps and of changed
pixels. The target is the class after the network's answer (not the runner-up): a fixed choice.
Then what "unsure" flags, and what the app's "Where it looked" tab adds to one update.
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
from convviz.core.explain import METHODS, explain
from convviz.core.fool import DEFAULT_MAX_STEPS, fool
from convviz.core.presets import PRESETS
from convviz.core.shapes_data import make_arrays

# square grayscale sample shapes below: the presets the window shows
WINDOW_PRESETS = [n for n, p in PRESETS.items() if p.in_window]


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
    ap.add_argument("--no-app", action="store_true", help="skip the Qt panel figures")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    print(f"CPU, {a.threads} thread(s), {a.runs} runs\n")
    print("| preset | trace | " + " | ".join(METHODS) + " |")
    print("|---" * (2 + len(METHODS)) + "|")
    for name in WINDOW_PRESETS:
        model = preset_model(name)
        x, _ = make_arrays(
            model.spec.classes[:1] if name != "xo" else ("X",), 1, model.spec.input_size, seed=0
        )
        image = x[0, 0]
        cells = []
        for fn in [lambda model=model, image=image: model.trace(image)] + [
            (lambda m=m, model=model, image=image: explain(model, image, m)) for m in METHODS
        ]:
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
    print(
        f"\nfool it on shapes: flipped {flipped}/{len(x)} ({flipped / len(x):.0%}) within "
        f"{DEFAULT_MAX_STEPS} steps; median {statistics.median(steps):.0f} steps, median "
        f"{statistics.median(changed):.0f} changed pixels of {x[0].size}; "
        f"{secs / len(x) * 1000:.0f} ms a drawing"
    )
    unsure_figures(model)
    if not a.no_app:
        app_figures(a.runs)
    return 0


def app_figures(runs: int) -> None:
    """What the "Where it looked" tab adds to an update in the app (offscreen Qt): the
    session's trace plus every listener, with the tab listening and each method chosen."""
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from convviz.qt.panels.why.panel import METHODS as PANEL_METHODS
    from convviz.qt.panels.why.panel import WhyPanel
    from convviz.qt.session import Session

    app = QApplication.instance() or QApplication([])
    print("\napp update (session.refresh: trace + listeners), ms, median (p95):")
    for name in WINDOW_PRESETS:
        session = Session(name)
        session.load_preset(name, background=False)
        x, _ = make_arrays(("X",), 1, session.spec.input_size, seed=0)
        session.canvas.set_input(x[0, 0])
        alone = []
        for _ in range(runs):
            session.refresh()
            alone.append(session.last_update_ms)
        panel = WhyPanel(session)
        session.trace_changed.connect(panel.show_trace)
        cells = [f"trace alone {statistics.median(alone):.2f} ({pct(alone):.2f})"]
        for i, method in enumerate(PANEL_METHODS):
            panel.method_box.setCurrentIndex(i)
            t = []
            for _ in range(runs):
                session.refresh()
                t.append(session.last_update_ms)
            cells.append(f"{method} {statistics.median(t):.2f} ({pct(t):.2f})")
        session.trace_changed.disconnect(panel.show_trace)
        panel._settle.stop()  # no covering-up run left to start
        panel.wait_for_jobs()
        app.processEvents()
        print(f"  {name}: " + ", ".join(cells))
    print(
        "  (covering up only schedules its run here; the run itself, off the window's "
        "thread, costs the occlusion column above)"
    )


def pct(t, q=0.95):
    t = sorted(t)
    return t[int(q * (len(t) - 1))]


def unsure_figures(model) -> None:
    """Calibrate on one set of fresh drawings, then count what is flagged among other fresh
    drawings and among things that are not shapes at all."""
    from convviz.core.shapes_data import render_strokes
    from convviz.core.unsure import calibrate, judge

    def votes(x):
        with torch.inference_mode():
            return model(torch.tensor(x).reshape(len(x), 1, 28, 28)).numpy()

    vr = model.spec.value_range
    cal_x, _ = make_arrays(model.spec.classes, 100, 28, seed=999)
    cal = calibrate(votes(cal_x), cal_x, vr)
    rng = np.random.default_rng(0)
    fresh, _ = make_arrays(model.spec.classes, 100, 28, seed=31337)

    def scribbles(k):
        return np.array(
            [
                render_strokes(
                    [list(map(tuple, rng.uniform(3, 25, (k, 2))))], 28, rng.uniform(1, 2.5)
                )
                * 2
                - 1
                for _ in range(100)
            ]
        )

    sets = {
        "other fresh shapes": fresh[:, 0],
        "uniform noise": rng.uniform(-1, 1, (100, 28, 28)),
        "sparse dots (10% ink)": np.where(rng.uniform(0, 1, (100, 28, 28)) < 0.1, 1.0, -1.0),
        "3-point scribbles": scribbles(3),
        "6-point scribbles": scribbles(6),
        "one dot": np.array(
            [
                render_strokes([[tuple(c), tuple(c + 0.1)]], 28, 3) * 2 - 1
                for c in rng.uniform(5, 23, (100, 2))
            ]
        ),
        "filled canvas": np.ones((10, 28, 28)),
    }
    print(
        f"\nunsure on shapes, calibrated on {cal.held_out} fresh drawings "
        f"(min probability {cal.min_probability:.3f}, min log-sum-exp "
        f"{cal.min_logsumexp:.2f}, ink {cal.ink_share[0]:.0%}..{cal.ink_share[1]:.0%}):"
    )
    for name, x in sets.items():
        x = x.astype(np.float32)
        v = votes(x)
        flagged = np.mean([judge(vi, xi, vr, cal)[0] for vi, xi in zip(v, x, strict=True)])
        plain = np.mean([judge(vi, xi, vr, None)[0] for vi, xi in zip(v, x, strict=True)])
        print(f"  {name}: {flagged:.0%} flagged (without calibration: {plain:.0%})")


if __name__ == "__main__":
    sys.exit(main())
