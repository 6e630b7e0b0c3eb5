"""What every benchmark here shares: the repository on the import path, Qt offscreen, settings
kept away from the person's own, and percentiles. Import it before convviz or Qt."""

import os
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("CONVVIZ_SETTINGS_ORG", "convviz-bench")
os.environ.setdefault("CONVVIZ_SETTINGS_DIR", tempfile.mkdtemp(prefix="convviz-bench-"))


def pct(values, q):
    """The q-th percentile (nearest rank) of values."""
    s = sorted(values)
    return s[min(len(s) - 1, round(q / 100 * (len(s) - 1)))]


class WindowRefused(Exception):
    """The window would not show this preset (its one-line reason is the message)."""


def open_window(preset: str = "shapes"):
    """(app, window): the app's main window on the `preset` network at its default size, shown,
    panels built and the network loaded in place; closing it leaves the settings alone.
    WindowRefused (no dialog) when the window refuses that network."""
    from convviz.app import _application
    from convviz.core.errors import ConvvizError
    from convviz.qt.main_window import MainWindow
    from convviz.qt.session import Session
    from convviz.qt.settings import DEFAULT_WINDOW

    app = _application()
    try:
        session = Session(preset)
    except ConvvizError as e:  # e.g. a canvas the window cannot draw yet
        raise WindowRefused(str(e)) from None
    said: list[str] = []
    window = MainWindow(session, restore=False)
    session.failed.disconnect(window.show_error)  # a modal dialog would stop the benchmark
    session.failed.connect(said.append)
    window.persist = False
    window.resize(*DEFAULT_WINDOW)
    window.show()
    window.start(background=False)
    if said or session.model is None:
        window.close()
        raise WindowRefused(said[0] if said else "the network did not load")
    session.failed.connect(window.show_error)
    session.failed.disconnect(said.append)
    return app, window


# ---- a busy machine: plain busy loops pinned to cores (bench_busy, bench_app --busy) ----------


def busy_cores() -> list[int]:
    """The cores a "busy" load takes: one, or on 4 or more cores half of them (the last ones)."""
    cores = sorted(os.sched_getaffinity(0))
    return cores[-(len(cores) // 2 if len(cores) >= 4 else 1) :]


def die_with_parent() -> None:
    """A load or worker must never outlive the benchmark that started it (killed, timed out)."""
    try:
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


# What a busy-load process runs (python -c, so that it imports nothing of the benchmark): dies
# with its parent, pins itself to the core it is given and spins.
BUSY_LOOP = """
import ctypes, os, signal, sys
try:
    ctypes.CDLL("libc.so.6").prctl(1, signal.SIGKILL)
except (OSError, AttributeError):
    pass
os.sched_setaffinity(0, {int(sys.argv[1])})
while True:
    pass
"""


def start_busy(cores=None) -> list:
    """Start one busy-loop process pinned to each of `cores` (default busy_cores()); end them
    with stop(). Plain Python (no torch): each is spinning within a few tens of ms."""
    import subprocess

    return [
        subprocess.Popen([sys.executable, "-c", BUSY_LOOP, str(c)])
        for c in (busy_cores() if cores is None else cores)
    ]


def stop(procs) -> None:
    for p in procs:
        p.kill()
        p.wait()


def sample_arrays(name: str, per_class: int):
    """The generated sample shapes at preset `name`'s input (in colour for a 3-channel
    network), labelled with the sample classes: (spec, X, y)."""
    from convviz.core.presets import preset
    from convviz.core.shapes_data import make_arrays, shape_names

    spec = preset(name).with_classes(shape_names())
    X, y = make_arrays(
        spec.classes,
        per_class,
        spec.input_shape,
        seed=0,
        value_range=spec.value_range,
        colour=spec.channels == 3,
    )
    return spec, X, y
