"""Starting the app: the window shows before torch or pyqtgraph load; screenshots."""

import subprocess
import sys
from pathlib import Path

import pytest


def test_window_shows_before_torch_and_pyqtgraph_load(tmp_path):
    code = """
import sys
from convviz.app import launch
app, w = launch()
heavy = [m for m in ("torch", "pyqtgraph") if m in sys.modules]
print("visible" if w.isVisible() else "hidden", heavy)
w.persist = False
w.start(background=False)  # then the panels and the network come alive
print(sorted(w.panels), w.session.ready, "torch" in sys.modules)
w.close()
"""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    ).stdout.splitlines()
    assert out[0] == "visible []"
    from convviz.qt.panel_registry import PANELS  # every registered panel, made after showing

    assert out[1] == f"{sorted(e.key for e in PANELS)} True True"


def test_screenshot_saves_the_whole_window(qapp, tmp_path, capsys):
    from PySide6.QtGui import QImage

    from convviz.app import screenshot

    out = tmp_path / "xo.png"
    assert screenshot(str(out), preset="xo", size="1100x760") == 0
    img = QImage(str(out))
    assert (img.width(), img.height()) == (1100, 760)
    # not a blank picture: the canvas's ink and the panels' colours are in it
    colours = {img.pixel(x, y) for x in range(0, 1100, 7) for y in range(0, 760, 7)}
    assert len(colours) > 50


@pytest.mark.parametrize(
    "kwargs,message",
    [
        (dict(size="big"), "--size must look like 1600x1000"),
        (dict(size="10x10"), "out of range"),
        (dict(preset="nope"), "unknown preset 'nope'"),
        (dict(panel="nope"), "no panel called 'nope'"),
    ],
)
def test_screenshot_refuses_bad_options_in_one_line(tmp_path, capsys, kwargs, message):
    from convviz.app import screenshot

    assert screenshot(str(tmp_path / "x.png"), **kwargs) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err and err.startswith("convviz: error:")


def test_screenshot_of_a_stepper_shows_it_half_way(qapp, tmp_path, monkeypatch):
    from PySide6.QtGui import QImage

    import convviz.app as app_module
    from convviz.qt.main_window import MainWindow

    seen = {}
    grab = MainWindow.grab

    def spy(window):  # look at the window just before its picture is taken
        panel = window.panels["pooling"]
        seen.update(
            step=panel.current_step,
            steps=panel.n_steps,
            hidden=window.docks["pooling"].visibleRegion().isEmpty(),
        )
        return grab(window)

    monkeypatch.setattr(MainWindow, "grab", spy)
    out = tmp_path / "pool.png"
    assert app_module.screenshot(str(out), preset="xo", panel="pooling") == 0
    assert QImage(str(out)).width() == 1600
    assert seen == {"step": 8, "steps": 16, "hidden": False}  # 7x7 pooled 2/2: 16 windows


def test_quitting_saves_then_leaves_without_the_interpreters_teardown(tmp_path):
    """Quitting took seconds: after the window had gone, Python unloaded torch object by object
    and joined the idle trainer process while it unloaded torch too. Now the window saves and
    stops every thread as it closes, and the process then ends at once."""
    import os
    import time

    code = """
import atexit, os, sys
from PySide6.QtCore import QTimer
import convviz.app as A
launch = A.launch
def watched(argv=None, preset=None):
    app, w = launch(argv, preset)
    atexit.register(lambda: open(sys.argv[1], "w").write("torn down"))
    def first(_trace):
        w.session.trace_changed.disconnect(first)
        # an idle trainer process, as after the Train dialog
        w.services.training.controller.prepare()
        import multiprocessing
        print(*[p.pid for p in multiprocessing.active_children()], flush=True)
        QTimer.singleShot(100, w.close)
    w.session.trace_changed.connect(first)
    return app, w
A.launch = watched
sys.exit(A.run_app(preset="xo"))
"""
    marker = tmp_path / "marker"
    run = subprocess.run(
        [sys.executable, "-c", code, str(marker)],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ, CONVVIZ_SETTINGS_DIR=str(tmp_path / "settings")),
    )
    assert run.returncode == 0, run.stderr
    assert not marker.exists()  # no teardown ran after the window went
    saved = (tmp_path / "settings" / "convviz-tests-convviz.ini").read_text()
    assert "preset=xo" in saved  # the settings were saved first
    trainer = int(run.stdout.split()[0])
    for _ in range(100):  # the idle trainer was told to end (a zombie until init reaps it)
        try:
            status = Path(f"/proc/{trainer}/status").read_text()
            state = status.split("State:")[1].split()[0]
        except (FileNotFoundError, IndexError):
            break
        if state == "Z":
            break
        time.sleep(0.05)
    else:
        raise AssertionError("the trainer process outlived the app")
