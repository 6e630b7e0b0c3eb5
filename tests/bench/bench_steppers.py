"""How much a step of the pooling / filtering animation costs: the step's arithmetic plus a full
synchronous repaint of the panel (what the QTimer pays each tick at full speed), and the cost
of following a new drawing mid-animation. Prints figures; asserts nothing.

    python3 tests/bench/bench_steppers.py             # the deck's networks (xo, shapes, lenet5)
    python3 tests/bench/bench_steppers.py cs231n tinyvgg   # these presets' first and last
                                                           # convolution and first pooling
"""

import os
import statistics
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", ".."))

import numpy as np
from PySide6.QtWidgets import QApplication

from convviz.core.bundled import preset_model
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


def picture(spec, rng):
    """A random input of the network's shape (colour and rectangular ones too)."""
    x = rng.uniform(*spec.value_range, (spec.channels, *spec.input_shape)).astype(np.float32)
    return x[0] if spec.channels == 1 else x


def preset_cases(name):
    """(name, layer, map, feature): the first and last convolution, the first pooling."""
    from convviz.core.stepper import steppable_layers

    spec = preset(name)
    convs, pools = steppable_layers(spec, "conv"), steppable_layers(spec, "pool")
    picks = {sl.name: sl for sl in [*convs[:1], *convs[-1:], *pools[:1]]}
    return [(name, sl.name, 0, min(1, sl.out_maps - 1)) for sl in picks.values()]


def new_drawing_ms(panel, net, n=20):
    rng = np.random.default_rng(0)
    traces = [net.trace(picture(net.spec, rng)) for _ in range(n)]
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
    names = sys.argv[1:]
    cases = [case for name in names for case in preset_cases(name)] or [
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
        net = preset_model(name)
        panel = (FilteringPanel if layer.startswith("conv") else PoolingPanel)()
        panel.resize(1100, 760)
        panel.set_model(net.spec, net.snapshot())
        panel.show_trace(net.trace(picture(net.spec, np.random.default_rng(1))))
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
