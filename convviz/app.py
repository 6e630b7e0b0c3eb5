"""Starting the desktop app, and `convviz --screenshot`.

The window must appear before anything heavy loads: this module imports only PySide6 at the top;
the window is built from the network's spec (plain Python), shown, and only then are the panels
made (pyqtgraph) and the network built (torch, in a loader thread).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import sys
import time


def _quiet_qt_messages() -> None:
    """Keep Qt's platform chatter that means nothing to a person (the offscreen plugin warns
    about size hints on every dock) off the terminal; everything else still prints."""
    from PySide6.QtCore import QtMsgType, qInstallMessageHandler

    def handler(kind, _context, message):
        if "propagateSizeHints" in message:
            return
        if kind != QtMsgType.QtDebugMsg:
            sys.stderr.write(message + "\n")

    qInstallMessageHandler(handler)


def _application(argv=None):
    from PySide6.QtWidgets import QApplication

    _quiet_qt_messages()

    app = QApplication.instance()
    if app is None:
        app = QApplication(list(argv) if argv else ["convviz"])
    app.setApplicationName("convviz")
    app.setApplicationDisplayName("convviz")
    from convviz.qt import theme

    theme.apply(app)
    return app


def window_preset(name: str) -> None:
    """SpecError (one line) unless the window can open the preset `name` (every preset it
    knows: an unknown name is refused with the choices)."""
    from convviz.core.presets import preset as preset_spec

    preset_spec(name)


def launch(argv=None, preset=None):
    """Create the application and show the main window at once; the panels and the network
    follow from the event loop. Returns (app, window)."""
    if preset is not None:
        window_preset(preset)  # an unknown name or one the window cannot show: one line
    app = _application(argv)
    from convviz.qt.main_window import MainWindow

    window = MainWindow(lazy=True, preset=preset)
    window.show()
    _after_first_paint(window.canvas_panel.view, window.start)
    return app, window


def _after_first_paint(widget, then, fallback_ms: int = 400) -> None:
    """Run `then` once `widget` has painted (so the person sees the window before the panels
    and torch load), or after `fallback_ms` if no paint comes (a minimised window)."""
    from PySide6.QtCore import QEvent, QObject, QTimer

    done = []

    def go():
        if not done:
            done.append(True)
            widget.removeEventFilter(watcher)
            then()

    class Watcher(QObject):
        def eventFilter(self, obj, event):
            if event.type() == QEvent.Paint:
                QTimer.singleShot(0, go)  # after this paint has reached the screen
            return False

    watcher = Watcher(widget)
    widget.installEventFilter(watcher)
    QTimer.singleShot(fallback_ms, go)


def run_app(argv=None, preset=None) -> int:
    """The desktop app; returns the exit status. `preset` opens that network (xo, shapes,
    lenet5) instead of last time's."""
    if preset is not None:
        window_preset(preset)  # before the display is looked for: the more useful line
    if (
        sys.platform.startswith("linux")
        and not os.environ.get("QT_QPA_PLATFORM")
        and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    ):
        # Qt would abort the whole process; say what is wrong instead
        print(
            "convviz: error: no display to open the window on (DISPLAY and WAYLAND_DISPLAY "
            "are unset); `convviz --screenshot OUT.png` works without one",
            file=sys.stderr,
        )
        return 1
    app, _window = launch(argv, preset)
    status = app.exec()
    leave_now(status)
    return status  # not reached


def leave_now(status: int) -> None:
    """End the process as soon as the window has gone. By now the window has saved its
    settings, stopped any training run and waited for every thread it started (its close event
    does), and every file it writes is written atomically. What is left is the interpreter's
    own teardown: unloading torch and freeing every object one by one (0.5 s here, seconds on a
    slow machine), plus joining an idle trainer process, which only waits for it to unload
    torch too. None of that saves anything, so skip it: the idle trainers are told to end
    (they hold nothing of the person's), output is flushed, and the process exits."""
    import multiprocessing

    for child in multiprocessing.active_children():  # the idle trainer processes
        child.terminate()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(status)


# ---- screenshots ---------------------------------------------------------------------------
def _parse_size(size) -> tuple[int, int]:
    if size is None:
        from convviz.qt.settings import DEFAULT_WINDOW

        return DEFAULT_WINDOW
    if isinstance(size, (tuple, list)):
        w, h = size
    else:
        try:
            w, h = (int(v) for v in str(size).lower().split("x"))
        except ValueError:
            raise ValueError(f"--size must look like 1600x1000, got {size!r}") from None
    if not (320 <= int(w) <= 8000 and 240 <= int(h) <= 8000):
        raise ValueError(f"--size {w}x{h} is out of range (320x240 to 8000x8000)")
    return int(w), int(h)


def draw_demo(canvas, preset: str) -> None:
    """A drawing the preset knows: the deck's X on the 9x9 grid, a hand-drawn triangle on the
    larger ones (drawn with the brush, as a person would)."""
    import numpy as np

    from convviz.core.presets import deck_x
    from convviz.core.presets import preset as preset_spec

    if preset == "xo":
        canvas.set_ink((deck_x() > 0).astype(np.float32))  # ink 0..1, as a brush lays it
        return
    if canvas.channels == 3:  # a colour network: a colour drawing on a coloured page
        canvas.set_background((0.08, 0.16, 0.42))
        canvas.colour = (1.0, 0.62, 0.1)
    # a triangle in a 28x28 square, scaled to the grid's shorter side and centred; a rising
    # tone across a spectrogram
    k = min(canvas.rows, canvas.cols) / 28.0
    dx, dy = (canvas.cols - 28 * k) / 2, (canvas.rows - 28 * k) / 2
    canvas.brush.size, canvas.brush.softness = 2.4 * k, 0.35
    pts = [(14, 4.5), (23.5, 22), (4.5, 22), (14, 4.5)]
    if preset_spec(preset).input_kind == "spectrogram":
        k, dx, dy = canvas.cols / 28.0, 0.0, (canvas.rows - 28 * canvas.cols / 28.0) / 2
        pts = [(2, 21), (26, 7)]
        canvas.brush.size = 2.0
    canvas.begin_stroke(dx + pts[0][0] * k, dy + pts[0][1] * k)
    for (x0, y0), (x1, y1) in itertools.pairwise(pts):
        for t in np.linspace(0, 1, 12)[1:]:
            canvas.stroke_to(dx + (x0 + (x1 - x0) * t) * k, dy + (y0 + (y1 - y0) * t) * k)
    canvas.end_stroke()


def _bring_forward(window, panel: str, width: int) -> bool:
    """The dock `panel` in front with half the window's width, a stepper half way across its
    map; False when there is no such dock."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    from convviz.qt.panel_registry import panel_key

    panel = panel_key(panel) or ""  # its key ("relu") or its tab's title ("activations")
    if panel not in window.docks:
        return False
    dock = window.docks[panel]
    dock.show()
    dock.raise_()
    if not dock.isFloating():  # give the chosen panel room: half the window's width
        window.resizeDocks([dock], [width // 2], Qt.Horizontal)
    QApplication.processEvents()
    shown = window.panels[panel]
    if hasattr(shown, "seek") and getattr(shown, "n_steps", 0):  # the stepper panels
        shown.seek(shown.n_steps // 2)  # mid-animation: the middle window of the map
    return True


def screenshot(out, preset=None, size=None, panel=None) -> int:
    """Open the window, draw a demo shape, let every panel update, save the whole window as a
    picture, and return an exit status (problems print one line). `panel` (a dock's key or its
    tab's title, e.g. pooling or activations) is brought to the front; a stepper stops half way
    across its map."""
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    try:
        width, height = _parse_size(size)
        from convviz.core.presets import DEFAULT_PRESET
        from convviz.core.presets import preset as preset_spec

        name = preset or DEFAULT_PRESET
        preset_spec(name)  # an unknown name fails here, with the choices
        window_preset(name)
    except Exception as e:  # noqa: BLE001 - ValueError or SpecError: one line each
        print(f"convviz: error: {e}", file=sys.stderr)
        return 2
    _application()
    from PySide6.QtWidgets import QApplication

    from convviz.qt.main_window import MainWindow
    from convviz.qt.panel_registry import panel_names
    from convviz.qt.session import Session

    # `preset`, when named, wins over the network remembered from last time
    window = MainWindow(Session(name), restore=False, preset=preset)
    window.persist = False  # a screenshot leaves the person's saved layout alone
    window.resize(width, height)
    window.show()
    window.start(background=False)
    draw_demo(window.session.canvas, name)
    maps = window.panels.get("feature_maps")
    first = [n for n in getattr(maps, "layers", ()) if n != "input"]  # a layer, not the input
    if first:
        maps.select_map(first[0], 0)
    window.session.flush()
    if panel is not None and not _bring_forward(window, panel, width):
        window.close()
        print(
            f"convviz: error: no panel called {panel!r} (choose from {panel_names()})",
            file=sys.stderr,
        )
        return 2
    deadline = time.perf_counter() + 0.6  # let layouts settle and every panel repaint
    while time.perf_counter() < deadline:
        QApplication.processEvents()
        time.sleep(0.01)
    window.session.refresh()  # once more, warm: the status bar shows a typical update time
    QApplication.processEvents()
    picture = window.grab()
    ok = picture.save(str(out))
    window.close()
    window.deleteLater()
    if not ok:
        print(f"convviz: error: could not write {out}", file=sys.stderr)
        return 1
    print(f"saved {out} ({picture.width()}x{picture.height()}, preset {name})")
    return 0
