"""How fast the desktop app feels. Prints figures; asserts nothing (not a timed test).

    python3 tests/bench/bench_app.py [--events 300] [--seconds 3] [--busy] [--quick]
                                     [--preset NAME ...] [--load train-niceN ...]

With the shapes preset (or each `--preset`; one the window refuses is skipped, saying why in one
line) and every panel open:
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
`--busy` measures 1. and 2. also with a busy loop pinned to one core (half of them on 4 or more,
as bench_busy.py does), in blocks that take turns with the idle ones, and reports how many torch
threads the window's thread traces on (issue 18: it stays on one). `--load train-nice0 --load
train-nice10-unwatched` does the same while the app's trainer process trains at those
priorities (paused outside its own blocks; "-unwatched": not leaving the window a core while it
works), and says how fast it trained meanwhile. `--quick` runs 1. and 2. only,
with 80 events and a 1 s stroke (unless given).
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import re
import statistics
import subprocess
import sys
import time

from benchlib import (  # sets up the path, Qt offscreen and separate settings
    ROOT,
    WindowRefused,
    open_window,
    pct,
    start_busy,
    stop,
)


def path_point(i: int, n: int, shape=(28, 28)):
    """A looping scribble inside a (rows, cols) grid (28x28 by default), in cell units (x, y)."""
    t = 2 * math.pi * i / 97.0
    rows, cols = shape
    return cols / 28 * (14 + 9 * math.sin(3 * t)), rows / 28 * (14 + 9 * math.cos(2 * t))


def move_event(view, x, y):
    from PySide6.QtCore import QEvent, QPointF, Qt
    from PySide6.QtGui import QMouseEvent

    p = view.cell_centre(0, 0)
    cell = view.cell_px()
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


def window_with_every_panel(preset: str):
    """The main window on `preset` with every panel open (WindowRefused if it will not show it)."""
    app, w = open_window(preset)
    w.reset_layout()
    for d in w.docks.values():  # the Training and Results docks start hidden: open them too
        d.show()
    app.processEvents()
    assert all(d.isVisible() for d in w.docks.values()), "every panel must be open"
    return app, w


def floor_canvas(s):
    """A canvas like the window's, for the floor (the canvas and the trace, no panels)."""
    from convviz.core.canvas_model import CanvasModel

    return CanvasModel((s.spec.rows, s.spec.cols), s.spec.value_range, s.spec.channels)


class Training:
    """The app's trainer process (core/train_process.py) training the shapes network, at nice
    `nice` (None: the app's default), watching its window (leaving it a core while it works:
    trainer_cores.WindowWatch) unless `watch` is False, paused except while its load's block
    runs: the window's latency while its own trainer trains. A thread here reads its messages,
    as the window's controller would, without applying them (the panels' cost of live updates
    is bench_training.py's)."""

    def __init__(self, nice: int | None, watch: bool = True):
        import threading

        from convviz.core.network import build
        from convviz.core.presets import preset
        from convviz.core.shapes_data import make_arrays, shape_names
        from convviz.core.train_process import TrainerProcess
        from convviz.core.training import TrainConfig

        classes = shape_names()
        X, y = make_arrays(classes, 300, 28, seed=0)
        model = build(preset("shapes").with_classes(classes), seed=0)
        was = dict(os.environ)
        if nice is not None:  # read by the process as it starts
            os.environ["CONVVIZ_TRAINER_NICE"] = str(nice)
        if not watch:
            os.environ["CONVVIZ_TRAINER_WATCH"] = "0"
        try:
            self.p = TrainerProcess()
        finally:
            os.environ.clear()
            os.environ.update(was)
        cfg = TrainConfig(epochs=100_000, batch_size=64, val_split=0, device="cpu", augment=False)
        self.p.submit(model, X, y, cfg)
        self.progress, self.ended = None, threading.Event()
        self.started = threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        if not self.started.wait(120):
            raise RuntimeError("the trainer did not start training")
        self.p.running.clear()  # paused until its block

    def _read(self):
        from convviz.core.trainer_messages import Failed, Finished, Progress

        while not self.ended.is_set():
            msg = self.p.recv(0.2)
            if isinstance(msg, Progress):
                self.progress = msg.progress
                self.started.set()
            elif isinstance(msg, Failed | Finished):
                self.ended.set()

    def close(self):
        self.p.stop.set()
        self.p.running.set()
        self.ended.wait(10)
        self.ended.set()
        self.reader.join(2)
        self.p.close()


LOADS = {"idle": "nothing else", "busy": "a busy loop pinned to one core (half on 4+)"}


def check_load(name: str) -> str:
    """`name` if it is a load this benchmark knows: idle, busy, train (the app's trainer as the
    app starts it), train-niceN (at nice N), train-niceN-unwatched (at nice N, not watching its
    window); argparse's error otherwise."""
    if name in LOADS or re.fullmatch(r"train(-nice(1[0-9]|[0-9])(-unwatched)?)?", name):
        return name
    raise argparse.ArgumentTypeError(f"unknown load {name!r}")


@contextlib.contextmanager
def load(name: str, trainers: dict | None = None):
    """Run the block with the machine as `name` says: "idle" (nothing started), "busy" (a busy
    loop pinned to one core, half the cores on 4 or more: benchlib.start_busy), or "train..."
    (that trainer, from `trainers`, resumed for the block)."""
    procs = start_busy() if name == "busy" else []
    trainer = (trainers or {}).get(name)
    try:
        if trainer:
            trainer.p.running.set()
        if procs or trainer:
            time.sleep(0.2)  # spinning (training) before the first event
        yield
    finally:
        stop(procs)
        if trainer:
            trainer.p.running.clear()


def bench_latency(w, events: int, loads=("idle",), blocks: int = 4, trainers=None):
    """{load: (full ms list, floor ms list)}: each load gets `events` events, in `blocks` blocks
    that take turns with the other loads' (the order flips every block), so a slower minute of
    the machine hits every load alike."""
    from PySide6.QtWidgets import QApplication

    from convviz.qt.widgets.canvas_widget import CanvasWidget

    app = QApplication.instance()
    s, view = w.session, w.canvas_panel.view
    size = view.canvas.shape

    def full(i):
        t0 = time.perf_counter()
        QApplication.sendEvent(view, move_event(view, *path_point(i, events, size)))
        s.flush()  # the trace and every panel's update (no frame wait: we time the work)
        app.processEvents()  # every repaint
        return (time.perf_counter() - t0) * 1e3

    # the floor: the same canvas (same size on screen) and the trace, nothing else
    model = s.model
    canvas = floor_canvas(s)
    lone = CanvasWidget(canvas)
    lone.resize(view.size())
    lone.show()

    def floor(i):
        t0 = time.perf_counter()
        QApplication.sendEvent(lone, move_event(lone, *path_point(i, events, size)))
        model.trace(canvas.as_input())
        app.processEvents()
        return (time.perf_counter() - t0) * 1e3

    press(view, *path_point(0, events, size))
    press(lone, *path_point(0, events, size))
    for i in range(20):  # warm up
        full(i), floor(i)
    got = {name: ([], []) for name in loads}
    per_block = max(1, events // blocks)
    i = 0
    for block in range(blocks):
        for name in loads if block % 2 == 0 else loads[::-1]:
            with load(name, trainers):
                full_ms, floor_ms = got[name]
                for _ in range(per_block):  # interleaved, so background load hits both alike
                    full_ms.append(full(i))
                    floor_ms.append(floor(i))
                    i += 1
    lone.close()
    return got


def window_threads() -> tuple[int, int]:
    """(torch threads of the window's thread, OS threads in this process). The window traces
    on one thread (trainer_cores.use_one_torch_thread_here): a second would start an OpenMP
    team, one more OS thread, that waits for a core at every op of a busy machine."""
    import torch

    try:
        tasks = len(os.listdir("/proc/self/task"))
    except OSError:  # not Linux
        tasks = 0
    return torch.get_num_threads(), tasks


def bench_stroke(w, seconds: float):
    from PySide6.QtCore import QEventLoop, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    s, view = w.session, w.canvas_panel.view
    state = {"i": 0, "moves": 0}
    size = view.canvas.shape

    def step():
        state["i"] += 1
        state["moves"] += 1
        QApplication.sendEvent(view, move_event(view, *path_point(state["i"], 0, size)))

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


def print_window(preset: str, args, trainers: dict) -> bool:
    """Latency and stroke on `preset` under each of args.loads, side by side; False when the
    window refuses the preset (said in one line)."""
    try:
        _app, w = window_with_every_panel(preset)
    except WindowRefused as e:
        print(f"{preset}: not measured: the window refuses it ({e})")
        return False
    loads = args.loads
    threads_before = window_threads()
    got = bench_latency(w, args.events, loads, trainers=trainers)
    print(
        f"{preset}: mouse move -> every panel repainted, against the floor (trace + canvas "
        "repaint), ms:"
    )
    idle = statistics.median(got[loads[0]][0])
    for name in loads:
        full_ms, floor_ms = got[name]
        fm, lm = statistics.median(full_ms), statistics.median(floor_ms)
        print(
            f"  {name:<12} all panels median {fm:6.2f} p95 {pct(full_ms, 95):6.2f}   floor "
            f"median {lm:6.2f} p95 {pct(floor_ms, 95):6.2f}   panels add {(fm - lm) / lm:4.2f}x "
            f"the floor (target <= 2x); {fm / idle:4.2f}x {loads[0]}'s"
        )
    for name in loads:
        with load(name, trainers):
            ups, mps, frame = bench_stroke(w, args.seconds)
        print(
            f"  {name:<12} continuous stroke: {ups:5.1f} updates/s from {mps:5.0f} mouse "
            f"moves/s (frame {frame:.1f} ms; target 60)"
        )
    after = window_threads()
    print(
        f"  the window's thread traces on {after[0]} torch thread(s) (target 1); OS threads in "
        f"the process {threads_before[1]} before the runs, {after[1]} after"
    )
    if preset == args.preset[0] and not args.quick:
        print_why_costs(w)
    w.close()
    return True


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--events", type=int, help="per load (default 300; 80 with --quick)")
    p.add_argument("--seconds", type=float, help="stroke per load (default 3; 1 with --quick)")
    p.add_argument("--startup-runs", type=int, default=3)
    p.add_argument("--stalls-only", action="store_true")
    p.add_argument(
        "--busy", action="store_true", help="also with one core busy (half of them on 4+ cores)"
    )
    p.add_argument(
        "--load",
        dest="extra_loads",
        action="append",
        type=check_load,
        default=[],
        help="also under this load (again for several): busy, train (the app's trainer "
        "process training, as the app starts it), train-niceN (at nice N), "
        "train-niceN-unwatched (not leaving the window a core while it works)",
    )
    p.add_argument(
        "--preset",
        action="append",
        help="the network (again for several; default shapes); one the window refuses is "
        "skipped, saying why",
    )
    p.add_argument(
        "--quick", action="store_true", help="fewer events, a 1 s stroke, no start-up or stalls"
    )
    args = p.parse_args(argv)
    args.preset = args.preset or ["shapes"]
    args.loads = ["idle"]
    for name in ["busy"] * args.busy + args.extra_loads:
        if name not in args.loads:
            args.loads.append(name)
    args.events = args.events or (80 if args.quick else 300)
    args.seconds = args.seconds or (1.0 if args.quick else 3.0)
    if args.stalls_only:
        print_stalls()
        return

    print(
        f"convviz app benchmark  (cpus: {os.cpu_count()}, platform: "
        f"{os.environ.get('QT_QPA_PLATFORM')}, every panel open, loads {', '.join(args.loads)}; "
        f"load average {os.getloadavg()[0]:.2f})"
    )
    trainers = {}
    try:
        for name in args.loads:
            if name.startswith("train"):
                nice = re.search(r"nice(\d+)", name)
                trainers[name] = Training(
                    int(nice.group(1)) if nice else None, watch="unwatched" not in name
                )
        for preset in args.preset:
            print_window(preset, args, trainers)
    finally:
        for name, t in trainers.items():
            got = t.progress
            print(
                f"{name}: the trainer trained at {got.images_per_second:,.0f} images/s while "
                f"its blocks ran, on {got.threads} thread(s) at the end"
            )
            t.close()
    print(f"(load average {os.getloadavg()[0]:.2f} at the end)")
    if args.quick:
        return
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
