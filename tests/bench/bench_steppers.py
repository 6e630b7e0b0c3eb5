"""How much a step of the pooling / filtering animation costs: the step's arithmetic plus a full
synchronous repaint of the panel (what the QTimer pays each tick at full speed), and the cost
of following a new drawing mid-animation. Prints figures; asserts nothing.

    python3 tests/bench/bench_steppers.py
"""

import os
import statistics
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", ".."))

import numpy as np
from PySide6.QtWidgets import QApplication

from convviz.core.network import build
from convviz.core.presets import preset
from convviz.qt.panels.filtering import FilteringPanel
from convviz.qt.panels.pooling import PoolingPanel

STEPS = 200


def per_step_ms(panel, n=STEPS):
    times = []
    for _ in range(n):
        t = time.perf_counter()
        if panel.current_step >= panel.n_steps - 1:
            panel.seek(0)
        else:
            panel.step_forward()
        panel.repaint()  # paint now, as the event loop would after the timer tick
        times.append((time.perf_counter() - t) * 1000)
    return times


def new_drawing_ms(panel, net, n=20):
    rng = np.random.default_rng(0)
    s = net.spec.input_size
    traces = [net.trace(rng.uniform(-1, 1, (s, s)).astype(np.float32)) for _ in range(n)]
    times = []
    for tr in traces:
        t = time.perf_counter()
        panel.show_trace(tr)
        panel.repaint()
        times.append((time.perf_counter() - t) * 1000)
    return times


def fmt(times):
    times = sorted(times)
    p95 = times[int(0.95 * len(times)) - 1]
    return (
        f"median {statistics.median(times):6.2f} ms   p95 {p95:6.2f} ms   max {times[-1]:6.2f} ms"
    )


def main():
    app = QApplication.instance() or QApplication([])
    cases = [
        ("xo", "pool1", 0, 0),
        ("xo", "conv1", 0, 1),
        ("shapes", "pool1", 0, 0),
        ("shapes", "conv2", 3, 5),
        ("lenet5", "conv1", 0, 2),
        ("lenet5", "pool2", 4, 0),
    ]
    print(
        f"{STEPS} steps each at full speed, panel 1100x760, offscreen, "
        f"{QApplication.platformName()}"
    )
    for name, layer, m, f in cases:
        net = build(preset(name))
        panel = (FilteringPanel if layer.startswith("conv") else PoolingPanel)()
        panel.resize(1100, 760)
        panel.set_model(net.spec, net.snapshot())
        s = net.spec.input_size
        panel.show_trace(
            net.trace(np.random.default_rng(1).uniform(-1, 1, (s, s)).astype(np.float32))
        )
        panel.select(layer, m, f)
        panel.show()
        app.processEvents()
        per_step_ms(panel, 20)  # warm up
        print(f"{name:7s} {layer:6s} step+repaint: {fmt(per_step_ms(panel))}")
        print(f"{name:7s} {layer:6s} new drawing:  {fmt(new_drawing_ms(panel, net))}")
        panel.close()
    print("full speed = one step per 16 ms timer tick (60 steps/s)")


if __name__ == "__main__":
    main()
