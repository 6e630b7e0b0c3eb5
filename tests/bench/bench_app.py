"""How fast the desktop app feels. Prints figures; asserts nothing (not a timed test).

    python3 tests/bench/bench_app.py [--events 300] [--seconds 3]

With the shapes preset and every panel open:
1. latency: one mouse-move event on the canvas -> drawing changed, traced, every panel updated
   and repainted (median, p95), against the floor: the same event with only the canvas and the
   trace (no panels);
2. updates per second during a continuous scripted stroke (mouse moves every 2 ms);
3. start-up: process start -> window shown, and -> first classification, against the time
   `import torch` alone takes;
4. stalls: the longest the event loop went without running (a 5 ms probe timer) while the
   window exports ONNX, opens weights, opens and drops a very large image, builds a preset's
   network, applies a big architecture, scans a labelled folder; and how long quitting takes
   (close -> process gone).
Targets on a 2-core CPU: panels add no more than 2x the floor; 60 updates per second; the window
shows in under half the time of `import torch`; no stall over 100 ms. (`--stalls-only` runs 4.)
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import subprocess
import sys
import time

from benchlib import ROOT, open_window, pct  # sets up the path, Qt offscreen and separate settings


def path_point(i: int, n: int):
    """A looping scribble inside the 28x28 grid, in cell units."""
    t = 2 * math.pi * i / 97.0
    return 14 + 9 * math.sin(3 * t), 14 + 9 * math.cos(2 * t)


def move_event(view, x, y):
    from PySide6.QtCore import QEvent, QPointF, Qt
    from PySide6.QtGui import QMouseEvent

    p = view.cell_centre(0, 0)
    cell = view.grid_rect().width() / view.canvas.size
    pos = QPointF(p.x() + (x - 0.5) * cell, p.y() + (y - 0.5) * cell)
    return QMouseEvent(
        QEvent.MouseMove, pos, view.mapToGlobal(pos), Qt.NoButton, Qt.LeftButton, Qt.NoModifier
    )


def press(view, x, y):
    from PySide6.QtCore import QEvent, Qt
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    ev = move_event(view, x, y)
    QApplication.sendEvent(
        view,
        QMouseEvent(
            QEvent.MouseButtonPress,
            ev.position(),
            ev.globalPosition(),
            Qt.LeftButton,
            Qt.LeftButton,
            Qt.NoModifier,
        ),
    )


def bench_latency(events: int):
    from PySide6.QtWidgets import QApplication

    from convviz.core.canvas_model import CanvasModel
    from convviz.qt.widgets.canvas_widget import CanvasWidget

    app, w = open_window()
    w.reset_layout()
    for d in w.docks.values():  # the Training and Results docks start hidden: open them too
        d.show()
    app.processEvents()
    s, view = w.session, w.canvas_panel.view
    assert all(d.isVisible() for d in w.docks.values()), "every panel must be open"

    def full(i):
        t0 = time.perf_counter()
        QApplication.sendEvent(view, move_event(view, *path_point(i, events)))
        s.flush()  # the trace and every panel's update (no frame wait: we time the work)
        app.processEvents()  # every repaint
        return (time.perf_counter() - t0) * 1e3

    # the floor: the same canvas (same size on screen) and the trace, nothing else
    model = s.model
    canvas = CanvasModel(28)
    lone = CanvasWidget(canvas)
    lone.resize(view.size())
    lone.show()

    def floor(i):
        t0 = time.perf_counter()
        QApplication.sendEvent(lone, move_event(lone, *path_point(i, events)))
        model.trace(canvas.as_input())
        app.processEvents()
        return (time.perf_counter() - t0) * 1e3

    press(view, *path_point(0, events))
    press(lone, *path_point(0, events))
    for i in range(20):  # warm up
        full(i), floor(i)
    full_ms, floor_ms = [], []
    for i in range(events):  # interleaved, so background load hits both alike
        full_ms.append(full(i))
        floor_ms.append(floor(i))
    lone.close()
    return w, full_ms, floor_ms


def bench_stroke(w, seconds: float):
    from PySide6.QtCore import QEventLoop, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    s, view = w.session, w.canvas_panel.view
    state = {"i": 0, "moves": 0}

    def step():
        state["i"] += 1
        state["moves"] += 1
        QApplication.sendEvent(view, move_event(view, *path_point(state["i"], 0)))

    pen = QTimer()
    pen.setTimerType(Qt.PreciseTimer)
    pen.timeout.connect(step)
    start_count = s.trace_count
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    t0 = time.perf_counter()
    pen.start(2)
    loop.exec()
    pen.stop()
    elapsed = time.perf_counter() - t0
    return (s.trace_count - start_count) / elapsed, state["moves"] / elapsed, s.frame_ms


CHILD = r"""
import sys, time
t_start = float(sys.argv[1])
from convviz.app import launch
from PySide6.QtCore import QEvent, QObject
marks = {}
class FirstPaint(QObject):
    def eventFilter(self, obj, ev):
        if ev.type() == QEvent.Paint and "shown" not in marks:
            marks["shown"] = time.time()
        return False
app, w = launch()
spy = FirstPaint()
w.canvas_panel.view.installEventFilter(spy)
marks["torch_before_show"] = "torch" in sys.modules
def first(trace):
    if "classified" not in marks:
        marks["classified"] = time.time()
        w.persist = False
        w.close()
        app.quit()
w.session.trace_changed.connect(first)
app.exec()
print(marks["shown"] - t_start, marks["classified"] - t_start, marks["torch_before_show"])
"""


def bench_startup(runs: int = 3):
    env = dict(os.environ, PYTHONPATH=ROOT)
    shown, classified, torch_s = [], [], []
    for _ in range(runs):
        t0 = time.time()
        subprocess.run([sys.executable, "-c", "import torch"], check=True, env=env)
        torch_s.append(time.time() - t0)
        t0 = time.time()
        out = subprocess.run(
            [sys.executable, "-c", CHILD, repr(t0)],
            check=True,
            env=env,
            capture_output=True,
            text=True,
        ).stdout.split()
        shown.append(float(out[0]))
        classified.append(float(out[1]))
        assert out[2] == "False", "torch was imported before the window showed"
    # `import torch` measured the way the app pays for it: interpreter start + the import
    return statistics.median(shown), statistics.median(classified), statistics.median(torch_s)


class StallProbe:
    """Ticks every `interval_ms` on the window's event loop; the longest gap between two ticks
    (less the interval) is the longest the window could not answer."""

    def __init__(self, interval_ms: int = 5):
        from PySide6.QtCore import Qt, QTimer

        self.interval = interval_ms
        self.timer = QTimer()
        self.timer.setTimerType(Qt.PreciseTimer)
        self.timer.timeout.connect(self._tick)

    def _tick(self):
        now = time.perf_counter()
        self.worst = max(self.worst, (now - self.last) * 1e3 - self.interval)
        self.last = now

    def measure(self, start, done, timeout_s: float = 120.0):
        """Run `start()` from the event loop, then the loop until `done()`: (worst stall ms,
        seconds the operation took)."""
        from PySide6.QtCore import QEventLoop, QTimer

        loop = QEventLoop()
        poll = QTimer()
        poll.timeout.connect(lambda: (done() or time.perf_counter() > deadline) and loop.quit())
        self.worst, self.last = 0.0, time.perf_counter()
        deadline = time.perf_counter() + timeout_s
        self.timer.start(self.interval)
        t0 = time.perf_counter()
        QTimer.singleShot(0, start)
        QTimer.singleShot(1, lambda: poll.start(2))
        loop.exec()
        poll.stop()
        self.timer.stop()
        return max(0.0, self.worst), time.perf_counter() - t0


def bench_stalls(tmp: str):
    import numpy as np
    from PIL import Image
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDropEvent

    import convviz.qt.window_files as files
    from convviz.core.shapes_data import write_folder

    app, w = open_window()
    w.jobs.inline = False  # from here on as in the app: slow work in the background
    w._background = True
    app.processEvents()
    probe, rows = StallProbe(), []

    def idle():
        return not w.jobs.running()

    def row(name, start, done=idle):
        stall, took = probe.measure(start, done)
        rows.append((name, stall, took))

    row("idle (nothing running)", lambda: None, lambda: True)
    weights = os.path.join(tmp, "shapes.safetensors")
    w.session.export_weights(weights)
    for ext in ("onnx", "safetensors"):
        out = os.path.join(tmp, f"out.{ext}")
        files.QFileDialog.getSaveFileName = lambda *a, o=out, **k: (o, "")
        row(f"export .{ext}", w.export_weights)
    row("open weights (.safetensors)", lambda: w.open_weights(weights))
    row("open weights (.onnx)", lambda: w.open_weights(os.path.join(tmp, "out.onnx")))
    big = os.path.join(tmp, "huge.png")
    rng = np.random.default_rng(0)
    Image.fromarray((rng.random((6000, 6000)) > 0.5).astype(np.uint8) * 255).save(big)
    row("open a 6000x6000 image", lambda: w.open_image(big))
    view = w.canvas_panel.view

    def drop():
        data = QMimeData()
        data.setUrls([QUrl.fromLocalFile(big)])
        pos = QPointF(view.width() / 2, view.height() / 2)
        view.dropEvent(QDropEvent(pos, Qt.CopyAction, data, Qt.LeftButton, Qt.NoModifier))

    big2 = os.path.join(tmp, "huge2.png")  # another file: nothing cached from the first
    os.link(big, big2)
    big = big2
    row("drop a 6000x6000 image", drop)
    row(
        "choose preset lenet5",
        lambda: w.choose_preset("lenet5"),
        lambda: w.session.ready and idle(),
    )
    row(
        "choose preset shapes",
        lambda: w.choose_preset("shapes"),
        lambda: w.session.ready and idle(),
    )
    arch = w.panels["architecture"]

    def apply_big():  # 63 million parameters: building them takes ~0.2 s on this machine
        arch.blocks.setValue(3)
        for spin in arch.feature_spins:
            spin.setValue(512)
        arch.neurons.setText("4096, 4096")
        arch.apply()

    row(
        "Architecture > Apply (63 M parameters)",
        apply_big,
        lambda: not getattr(arch, "building", False) and idle(),
    )
    folder = os.path.join(tmp, "folder")
    write_folder(folder, per_class=300, seed=1)
    from convviz.qt.training.folder_decode import FolderLoader

    loader = FolderLoader()
    got = []
    loader.loaded.connect(got.append)
    row(
        "scan a labelled folder (1800 images)",
        lambda: loader.start(folder, 28, (-1.0, 1.0)),
        lambda: bool(got),
    )
    w.close()
    return rows


QUIT_CHILD = r"""
import sys, time
from PySide6.QtCore import QTimer
import convviz.app as A
launch = A.launch
def watched(argv=None, preset=None):
    app, w = launch(argv, preset)
    def first(_trace):
        w.session.trace_changed.disconnect(first)
        w.services.training.controller.prepare()
        def close():
            print(time.time(), flush=True)
            w.close()
        QTimer.singleShot(1500, close)
    w.session.trace_changed.connect(first)
    return app, w
A.launch = watched
A.run_app()
"""


def bench_quit(runs: int = 3) -> float:
    """Seconds from the window's close to the process having ended (an idle trainer waiting,
    as after the Train dialog)."""
    env = dict(os.environ, PYTHONPATH=ROOT)
    took = []
    for _ in range(runs):
        p = subprocess.run(
            [sys.executable, "-c", QUIT_CHILD], env=env, capture_output=True, text=True, check=True
        )
        took.append(time.time() - float(p.stdout.split()[0]))
    return statistics.median(took)


def print_stalls():
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        rows = bench_stalls(tmp)
    print("longest event-loop stall during each operation (target < 100 ms):")
    for name, stall, took in rows:
        print(f"  {name:<40} stall {stall:7.1f} ms   operation {took * 1e3:7.0f} ms")
    print(f"quit: window closed -> process gone {bench_quit() * 1e3:6.0f} ms (median of 3)")


def print_why_costs(w, runs: int = 100) -> None:
    """Each "Where it looked" method's cost per update, next to the trace's (issue 16): the
    method alone on the drawing, and one app update (trace + every listener) with the tab in
    front and that method chosen. Covering up only schedules its run in an update; its own
    cost is paid off the window's thread once the pen lifts."""
    from PySide6.QtWidgets import QApplication

    from convviz.core.explain import explain
    from convviz.qt.panels.why.panel import METHODS

    s, panel = w.session, w.panels["why"]
    image = s.trace.input

    def ms(fn):
        fn()
        out = []
        for _ in range(runs):
            t0 = time.perf_counter()
            fn()
            out.append((time.perf_counter() - t0) * 1e3)
        return statistics.median(out), pct(out, 95)

    def update():
        s.refresh()
        QApplication.processEvents()  # the panels' repaint

    print("where it looked, per update (ms, median / p95):")
    t, tp = ms(lambda: s.model.trace(image))
    w.docks["why"].hide()
    QApplication.processEvents()
    base, base_p = ms(update)
    print(
        f"  trace alone {t:6.2f} / {tp:6.2f}   app update, the tab closed (another in front) "
        f"{base:6.2f} / {base_p:6.2f}"
    )
    w.docks["why"].show()
    w.docks["why"].raise_()
    QApplication.processEvents()
    for i, method in enumerate(METHODS):
        panel.method_box.setCurrentIndex(i)
        own, own_p = ms(lambda m=method: explain(s.model, image, m))
        up, up_p = ms(update)
        panel._settle.stop()  # no covering-up run left to start
        panel.wait_for_jobs()
        print(
            f"  {method:<10} alone {own:6.2f} / {own_p:6.2f}   app update with the tab "
            f"{up:6.2f} / {up_p:6.2f}"
        )


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--events", type=int, default=300)
    p.add_argument("--seconds", type=float, default=3.0)
    p.add_argument("--startup-runs", type=int, default=3)
    p.add_argument("--stalls-only", action="store_true")
    args = p.parse_args(argv)
    if args.stalls_only:
        print_stalls()
        return

    print(
        f"convviz app benchmark  (cpus: {os.cpu_count()}, platform: "
        f"{os.environ.get('QT_QPA_PLATFORM')}, preset: shapes, every panel open)"
    )
    w, full_ms, floor_ms = bench_latency(args.events)
    fm, fp = statistics.median(full_ms), pct(full_ms, 95)
    lm, lp = statistics.median(floor_ms), pct(floor_ms, 95)
    print(f"mouse move -> all panels repainted: median {fm:6.2f} ms   p95 {fp:6.2f} ms")
    print(f"floor (trace + canvas repaint):     median {lm:6.2f} ms   p95 {lp:6.2f} ms")
    print(f"panels add {fm - lm:.2f} ms = {(fm - lm) / lm:.2f}x the floor (target <= 2x)")
    ups, mps, frame = bench_stroke(w, args.seconds)
    print(
        f"continuous stroke: {ups:5.1f} updates/s from {mps:5.0f} mouse moves/s "
        f"(frame {frame:.1f} ms; target 60)"
    )
    print_why_costs(w)
    w.close()
    shown, classified, torch_s = bench_startup(args.startup_runs)
    print(
        f"start-up: window shown {shown * 1e3:6.0f} ms, first classification "
        f"{classified * 1e3:6.0f} ms after process start"
    )
    print(
        f"`python -c 'import torch'`: {torch_s * 1e3:6.0f} ms; window/torch = "
        f"{shown / torch_s:.2f} (target < 0.5)"
    )
    print_stalls()


if __name__ == "__main__":
    main()
