"""What the training timeline costs. Prints figures; asserts nothing (not a timed test).

    python3 tests/bench/bench_timeline.py [--per-class 1000] [--epochs 3] [--pairs 7]
                                          [--steps 60]

1. Training speed with the timeline's moments (job_runner.JobRunner(moments=True): the start,
   7 more in the first epoch, every epoch's end) against without them, the same run back to back
   in pairs (ABAB: the machine's speed drifts), in this process on every core, the shapes
   network, 6,000 images of 28x28, batches of 32. Target: under 2% slower. Also the cost of one
   kept moment itself (a CPU copy of the weights), which is what the difference is made of.
2. Memory: the moments of that run, and what the budget (limits.TIMELINE_MAX_BYTES) holds.
3. Scrubbing: one step of the Timeline's slider in the app's window (every panel open, a
   drawing on the canvas): the session shows the moment (every panel updated and the drawing
   traced under those weights), then every panel that changed repaints (the events that
   follow, as bench_app.py counts a mouse move). Target: one screen frame (16.7 ms).
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time

from benchlib import open_window, pct  # sets up the path, Qt offscreen and separate settings


def one_run(spec, X, y, epochs: int, moments: bool):
    """(images per second, the Kept messages) of one JobRunner run."""
    from convviz.core.job_runner import JobRunner
    from convviz.core.network import build
    from convviz.core.trainer_messages import Finished, Kept
    from convviz.core.training import TrainConfig

    got = []
    stop, running = threading.Event(), threading.Event()
    running.set()
    JobRunner(
        build(spec, seed=0),
        X,
        y,
        TrainConfig(epochs=epochs, batch_size=32, device="cpu", augment=False),
        got.append,
        stop,
        running,
        moments=moments,
    ).run()
    end = next(m for m in got if isinstance(m, Finished))
    return end.result.images_per_second, [m for m in got if isinstance(m, Kept)]


def training_cost(per_class: int, epochs: int, pairs: int):
    import torch

    from convviz.core.limits import TIMELINE_MAX_BYTES
    from convviz.core.network import build
    from convviz.core.presets import preset
    from convviz.core.shapes_data import make_arrays
    from convviz.core.timeline import Moment, Timeline
    from convviz.core.trainer_cores import cores

    torch.set_num_threads(cores())
    spec = preset("shapes")
    X, y = make_arrays(
        spec.classes, per_class, spec.input_size, seed=0, value_range=spec.value_range
    )
    one_run(spec, X[:600], y[:600], 1, True)  # warm up
    ratios, with_, without = [], [], []
    kept = []
    for _ in range(pairs):
        a, kept = one_run(spec, X, y, epochs, True)
        b, _ = one_run(spec, X, y, epochs, False)
        with_.append(a)
        without.append(b)
        ratios.append(a / b)
    print(f"1. training, {len(X):,} images x {epochs} epochs, {pairs} back-to-back pairs:")
    print(f"   with the timeline    {statistics.median(with_):8,.0f} images/s (median)")
    print(f"   without              {statistics.median(without):8,.0f} images/s (median)")
    print(
        f"   ratio with/without   median {statistics.median(ratios):.3f}, "
        f"range {min(ratios):.3f} to {max(ratios):.3f}; pooled "
        f"{sum(with_) / sum(without):.3f}"
    )
    model = build(spec, seed=0)
    times = []
    for _ in range(200):
        t0 = time.perf_counter()
        model.snapshot()
        times.append(time.perf_counter() - t0)
    per = statistics.median(times)
    run_s = len(X) * 0.8 * epochs / statistics.median(without)
    print(
        f"   one kept moment (a CPU copy of {model.snapshot().nbytes / 1024:.0f} KB): "
        f"{per * 1e3:.2f} ms; {len(kept)} in this run = {len(kept) * per * 1e3:.1f} ms of "
        f"a {run_s:.1f} s run ({len(kept) * per / run_s:.3%})"
    )
    t = Timeline()
    for m in kept:
        t.add(Moment(m.weights, m.epoch, m.step, m.end))
    print(
        f"2. memory: {len(t)} moments, {t.nbytes / 1024**2:.1f} MB; the budget "
        f"({TIMELINE_MAX_BYTES / 1024**2:.0f} MB) holds {t.capacity(kept[0].weights.nbytes)} "
        f"moments of this network, then thins them evenly"
    )
    return kept


def scrub_cost(kept, steps: int) -> None:
    from convviz.core.timeline import Moment, Timeline

    app, window = open_window()
    s = window.session
    spec_id = s.snapshot.network
    # the run's weights, as moments of the window's own network (the same shapes preset)
    t = Timeline()
    for m in kept:
        if m.weights.network == spec_id:
            t.add(Moment(m.weights, m.epoch, m.step, m.end))
    s.set_timeline(t)
    dock = window.docks["timeline"]
    dock.show()
    c = s.canvas
    for i in range(6, 22):  # a drawing on the canvas: every panel has something to show
        c.begin_stroke(i + 0.5, i + 0.5)
        c.end_stroke()
    s.flush()
    app.processEvents()
    view = window.panels["timeline"]
    update, paint = [], []
    for k in range(steps):
        t0 = time.perf_counter()
        view.scrub.setValue(k % len(t) if k % len(t) != view.scrub.value() else (k + 1) % len(t))
        t1 = time.perf_counter()
        app.processEvents()  # every repaint the step asked for (as bench_app.py counts them)
        t2 = time.perf_counter()
        update.append((t1 - t0) * 1e3)
        paint.append((t2 - t0) * 1e3)
    print(
        f"3. scrubbing, {steps} steps over {len(t)} moments, every panel open "
        f"({window.width()}x{window.height()}):"
    )
    print(
        f"   panels updated + drawing traced   p50 {pct(update, 50):.1f} ms, "
        f"p95 {pct(update, 95):.1f} ms"
    )
    print(
        f"   ... and the window repainted       p50 {pct(paint, 50):.1f} ms, "
        f"p95 {pct(paint, 95):.1f} ms (one frame: 16.7 ms)"
    )
    window.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-class", type=int, default=1000)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--pairs", type=int, default=7)
    ap.add_argument("--steps", type=int, default=60)
    a = ap.parse_args()
    kept = training_cost(a.per_class, a.epochs, a.pairs)
    scrub_cost(kept, a.steps)


if __name__ == "__main__":
    main()
