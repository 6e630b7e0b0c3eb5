"""The main window: the drawing canvas in the centre, every panel a dock around it.

It only assembles; the state lives in the Session, the drawing in its CanvasModel.

Plugging in (for panels and tools written elsewhere):

- A dock: add a line to `panel_registry.PANELS` (built lazily, after the window shows), or at
  run time call `window.add_panel(title, widget, area="right", key=None, tabify_with=None)`,
  which makes the dock, puts its toggle in the View menu, includes it in the saved layout and
  View > Reset layout, and wires the widget's `set_model(spec, snapshot)`,
  `show_weights(snapshot)` and `show_trace(trace)` to the session: the widget must keep
  panel_contract.Panel (all three), or PanelContractError says what is wrong.
- What an extension installs for others: `window.services` (panel_contract.Services).
- Menu items: `window.train_menu` (the Train menu) and `window.view_menu` are plain QMenus.
- The status bar: `window.tell(text, note=False)`, for as long as STATUS_NOTE_MS or
  STATUS_MESSAGE_MS say.
- Closing: `window.close_guards` is a list of callables asked first, in order; one returning
  False keeps the window open (e.g. the person cancelled a question). Then `window.closing` is
  emitted before the window goes (stop worker threads there and wait() for them); the window's
  own background jobs (`window.jobs`, see background.py) are cancelled and waited for last.
- Slow work (opening files, exporting, building networks) goes through `window.jobs.submit`:
  off the window's thread, newest request wins, shown in the status bar with Cancel.
- The session: `window.session` (see session.py): set_model(), apply_snapshot(), canvas, ...
"""

from __future__ import annotations

import os

from PySide6.QtCore import QByteArray, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QMainWindow,
    QMessageBox,
    QWidget,
)

from convviz.core.errors import ConvvizError
from convviz.core.imageio import IMAGE_FILTER  # exactly what the decoder reads
from convviz.core.presets import DEFAULT_PRESET, PRESETS

from . import panel_registry, settings, theme
from .docks import TAB_ARROWS_STYLE, DockedPanels, DockPlace, fit_screen
from .panel_contract import Services
from .panels.canvas import CanvasPanel
from .session import Session
from .status_line import StatusLine

PRESET_TITLES = {"xo": "X or O (9×9, the classroom example)", "shapes": "Shapes (28×28)",
                 "lenet5": "LeNet-5 (32×32)"}
DEVICES = [("auto", "Automatic"), ("cpu", "CPU"), ("cuda", "CUDA (NVIDIA GPU)"),
           ("mps", "MPS (Apple GPU)")]
# how long a status-bar line stays: a passing note, and a sentence that matters (time to read it)
STATUS_NOTE_MS = 6000
STATUS_MESSAGE_MS = 10_000
WEIGHTS_FILTER = "Weights (*.safetensors *.pt *.onnx);;All files (*)"
EXPORT_FILTERS = "Safetensors (*.safetensors);;PyTorch (*.pt);;ONNX (*.onnx)"


class MainWindow(DockedPanels, QMainWindow):
    closing = Signal()

    def __init__(self, session: Session | None = None, lazy: bool = False, restore: bool = True,
                 preset: str | None = None):
        """`lazy`: make the docks now but their panels only in `start()` (the app shows the
        window first). Tests pass lazy=False (the default) to get every panel at once.
        `preset`: open with this network instead of the one remembered from last time."""
        super().__init__()
        store = settings.app_settings()
        if preset is not None and restore:
            store.remove(settings.WEIGHTS)  # asked for a preset: not last time's weights file
        # a preset named on the command line wins over the network remembered from last time
        self._pending_weights = ("" if preset is not None
                                 else str(store.value(settings.WEIGHTS, "") or ""))
        preset = preset or str(store.value(settings.PRESET, DEFAULT_PRESET))
        if preset not in PRESETS:
            preset = DEFAULT_PRESET
        self.session = session or Session(preset, parent=self)
        self.session.device_name = str(store.value(settings.DEVICE, "auto"))
        self.docks: dict[str, QDockWidget] = {}
        self.panels: dict[str, QWidget] = {}
        self._places: dict[str, DockPlace] = {}
        self.jobs = self.session.jobs  # opening, exporting, building: off this thread
        self._started = False
        self._extended = False  # the registry's EXTENSIONS have run
        self.tour = None  # the guided tour's controller while one is open
        self._background = True  # load networks in a thread (tests load them in place)
        self.persist = True  # False: closing leaves the saved settings alone (screenshots)
        self.close_guards: list = []  # callables -> bool, asked before closing; False refuses
        self.services = Services()  # what the extensions install for each other

        self._make_frame(store)
        self._make_menus()
        self.status_line = StatusLine(self.statusBar(), self.jobs)

        for entry in panel_registry.PANELS:
            self._make_dock(entry.key, entry.title, entry.area, entry.visible, entry.tabify_with)
        self.resize(*fit_screen(self, settings.DEFAULT_WINDOW))
        self._layout_pending = True  # the default layout, made for the size the window shows at
        if restore:
            self._restore_window(store)

        self._blank = None  # whether the last trace read a blank canvas
        self._listen()
        self._on_model_changed(self.session.spec)
        if not lazy:
            self.build_panels()

    def _make_frame(self, store) -> None:
        """The window itself: title, dock behaviour, and the canvas in the centre."""
        self.setWindowTitle("convviz")
        self.setStyleSheet(TAB_ARROWS_STYLE)
        self.setDockOptions(QMainWindow.AnimatedDocks | QMainWindow.AllowTabbedDocks
                            | QMainWindow.AllowNestedDocks)
        self.setCorner(Qt.BottomLeftCorner, Qt.LeftDockWidgetArea)
        self.setCorner(Qt.BottomRightCorner, Qt.RightDockWidgetArea)
        self.canvas_panel = CanvasPanel(self.session.canvas)
        self.canvas_panel.image_dropped.connect(self.open_image)
        self.canvas_panel.set_brush(float(store.value(settings.BRUSH_SIZE, 2.0)),
                                    float(store.value(settings.BRUSH_SOFTNESS, 0.3)))
        self.canvas_panel.brush_changed.connect(self._save_brush)
        self.setCentralWidget(self.canvas_panel)

    def _listen(self) -> None:
        """The session's and the background jobs' news, shown in the window's own parts."""
        s = self.session
        s.model_changed.connect(self._on_model_changed)
        s.device_changed.connect(self.status_line.show_device)
        s.weights_changed.connect(self._on_weights_ready)
        s.updated.connect(self.status_line.show_update_time)
        s.failed.connect(self.show_error)
        s.network_changed.connect(self._on_network_changed)
        s.trace_changed.connect(self._say_when_blank)
        s.lock_changed.connect(self._on_lock_changed)
        self.jobs.failed.connect(self.show_error)

    def build_panels(self) -> None:
        """Make every registered panel that is still a placeholder, then run the extensions."""
        theme.configure_pyqtgraph()  # once, before the panels that plot
        for entry in panel_registry.PANELS:
            if entry.key not in self.panels:
                widget = panel_registry.resolve(entry.factory)(self.session)
                self.add_panel(entry.title, widget, entry.area, entry.key)
        if not self._extended:  # once: build_panels runs again from start()
            self._extended = True
            for ext in panel_registry.EXTENSIONS:
                panel_registry.resolve(ext)(self)

    @property
    def background(self) -> bool:
        """Networks load in a thread (False in tests, which load them in place)."""
        return self._background

    def start(self, background: bool = True) -> None:
        """Build the panels (if lazy) and load the network: the app calls this once the window
        is on screen."""
        if self._started:
            return
        self._started = True
        self._background = background
        self.jobs.inline = not background
        self.build_panels()
        self.session.load_preset(self.session.preset_name, background=background)

    # ---- menus -----------------------------------------------------------------------------
    def _action(self, menu, text, slot, shortcut=None, tip=None) -> QAction:
        a = QAction(text, self)
        if shortcut is not None:
            a.setShortcut(QKeySequence(shortcut))
        if tip:
            a.setStatusTip(tip)
        a.triggered.connect(slot)
        menu.addAction(a)
        return a

    def _make_menus(self) -> None:
        bar = self.menuBar()
        self._make_file_menu(bar.addMenu("&File"))
        self._make_edit_menu(bar.addMenu("&Edit"))
        self._make_model_menu(bar.addMenu("&Model"))
        self.train_menu = bar.addMenu("&Train")
        self._train_placeholder = self.train_menu.addAction("No training tools installed")
        self._train_placeholder.setEnabled(False)
        self.train_menu.aboutToShow.connect(self._tidy_train_menu)

        self.view_menu = bar.addMenu("&View")
        self._view_separator = self.view_menu.addSeparator()
        self._action(self.view_menu, "Reset layout", self.reset_layout, "Ctrl+Shift+R")
        self._action(self.view_menu, "Full screen", self.toggle_full_screen,
                     QKeySequence.FullScreen)

        m = bar.addMenu("&Help")
        self._action(m, "How convviz works", self.show_guide, QKeySequence.HelpContents)
        self._action(m, "Guided tour", self.start_tour, None,
                     "Walk through the app in the order of the lesson, panel by panel")
        self._action(m, "About convviz", self.show_about)

    def _make_file_menu(self, m) -> None:
        self._action(m, "Open image…", self.choose_image, QKeySequence.Open,
                     "Put a picture on the canvas, scaled to the grid")
        self.open_weights_action = self._action(
            m, "Open weights…", self.choose_weights, "Ctrl+Shift+O",
            "Load a trained network (.safetensors, .pt, .onnx)")
        m.setToolTipsVisible(True)
        self._action(m, "Export weights…", self.export_weights, "Ctrl+E",
                     "Save the network's weights")
        m.addSeparator()
        self._action(m, "Quit", self.close, QKeySequence.Quit)

    def _make_edit_menu(self, m) -> None:
        acts = self.canvas_panel.actions
        m.addActions([acts["undo"], acts["redo"]])
        m.addSeparator()
        m.addAction(acts["clear"])
        tricky = m.addMenu("Trickier cases")
        for key in ("shift_left", "shift_right", "shift_up", "shift_down", "rotate_left",
                    "rotate_right", "scale_up", "scale_down", "thicken", "thin"):
            tricky.addAction(acts[key])
        self.addActions(list(acts.values()))  # shortcuts work wherever the focus is

    def _make_model_menu(self, m) -> None:
        """Presets and devices; a greyed note at the top while training locks the network."""
        m.setToolTipsVisible(True)  # a switch that is off says why
        self.model_menu = m
        self.lock_note = m.addAction("")  # "Training is running: ..." while the network is locked
        self.lock_note.setEnabled(False)
        self.lock_note.setVisible(False)
        m.addSection("Preset")
        self.preset_actions = {}
        group = QActionGroup(self)
        # none checked while the network is not a preset's (one trained or opened from a file)
        group.setExclusionPolicy(QActionGroup.ExclusionPolicy.ExclusiveOptional)
        self._preset_group = group
        for name in PRESETS:
            a = self._action(m, PRESET_TITLES.get(name, name), lambda _=False, n=name:
                             self.choose_preset(n))
            a.setCheckable(True)
            group.addAction(a)
            self.preset_actions[name] = a
        m.addSection("Device")
        self.device_actions = {}
        group = QActionGroup(self)
        for name, title in DEVICES:
            a = self._action(m, title, lambda _=False, n=name: self.choose_device(n))
            a.setCheckable(True)
            a.setEnabled(name in ("auto", "cpu"))  # the rest once torch has looked
            group.addAction(a)
            self.device_actions[name] = a

    def _tidy_train_menu(self) -> None:
        self._train_placeholder.setVisible(len(self.train_menu.actions()) == 1)

    def _save_brush(self) -> None:
        store = settings.app_settings()
        store.setValue(settings.BRUSH_SIZE, self.session.canvas.brush.size)
        store.setValue(settings.BRUSH_SOFTNESS, self.session.canvas.brush.softness)

    # ---- model -----------------------------------------------------------------------------
    def _on_model_changed(self, spec) -> None:
        self.status_line.show_model(spec)
        self.setWindowTitle(f"convviz — {spec.name}")
        self._on_network_changed()

    def _on_network_changed(self) -> None:
        """The Model menu checks a preset only while that preset's own network is in use."""
        s = self.session
        showing = s.source if s.model is not None else s.preset_name
        for name, a in self.preset_actions.items():
            a.setChecked(name == showing and s.spec.name == name)

    def _say_when_blank(self, trace) -> None:
        """A blank canvas is not classified: say so once, as it becomes blank."""
        from ..core.canvas_model import is_blank
        from .panels.votes import NOTHING_DRAWN

        blank = is_blank(trace.input, self.session.spec.value_range)
        if blank and self._blank is not True and not self.statusBar().currentMessage():
            self.tell(NOTHING_DRAWN, note=True)  # never over a message that matters
        elif not blank and self._blank and self.statusBar().currentMessage() == NOTHING_DRAWN:
            self.statusBar().clearMessage()
        self._blank = blank

    def _on_lock_changed(self, reason: str) -> None:
        """While a run trains the network, nothing may switch it: the switches say why."""
        self.lock_note.setText(reason[:1].upper() + reason[1:] if reason else "")
        self.lock_note.setVisible(bool(reason))
        switches = [*self.preset_actions.values(), self.open_weights_action]
        for a in switches:
            a.setEnabled(not reason)
            a.setToolTip(reason or a.text())
        if reason:
            self.tell(reason[:1].upper() + reason[1:])

    def _on_weights_ready(self, _snapshot) -> None:
        from .session import available_devices  # torch is imported by now

        present = set(available_devices())
        for name, a in self.device_actions.items():
            a.setEnabled(name == "auto" or name in present)
        self.device_actions.get(self.session.device_name, self.device_actions["auto"]) \
            .setChecked(True)
        if self._pending_weights:
            path, self._pending_weights = self._pending_weights, ""
            if os.path.exists(path):
                QTimer.singleShot(0, lambda: self.open_weights(path, quiet=True))

    def choose_preset(self, name: str) -> None:
        if not self.session.load_preset(name, background=self._background):
            self._on_network_changed()  # refused (a run goes): the menu shows what is in use
            return
        self._pending_weights = ""
        settings.app_settings().setValue(settings.PRESET, name)
        settings.app_settings().remove(settings.WEIGHTS)

    def choose_device(self, name: str) -> None:
        try:
            self.session.set_device(name)
        except (ConvvizError, RuntimeError) as e:
            self.show_error(str(e))
            return
        settings.app_settings().setValue(settings.DEVICE, name)

    # ---- files -----------------------------------------------------------------------------
    def choose_image(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open image", "", IMAGE_FILTER)
        if path:
            self.open_image(path)

    def open_image(self, path: str) -> None:
        """Put a picture on the canvas; decoding (seconds for a huge picture) runs in the
        background, and the newest picture asked for wins."""
        from convviz.core.imageio import load_image

        c = self.session.canvas
        size, value_range = c.size, tuple(c.value_range)

        def done(values):
            if (c.size, tuple(c.value_range)) != (size, value_range):
                self.open_image(path)  # the network changed meanwhile: read it for the new grid
                return
            c.set_input(values)

        self.jobs.submit("image", lambda _job: load_image(path, size, value_range), done,
                         lambda message: self.show_error(
                             f"could not open {os.path.basename(path)}: {message}"),
                         text=f"Opening {os.path.basename(path)}…")

    def choose_weights(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open weights", "", WEIGHTS_FILTER)
        if path:
            self.open_weights(path)

    def open_weights(self, path: str, quiet: bool = False) -> None:
        """Open a weights file in the background; it becomes the network when read (unless a
        later choice came first). `quiet`: a problem goes to the status bar, not a dialog."""
        from .session import weights_job

        if self.session.locked_reason:
            self.show_error(self.session.locked_reason)
            return

        def failed(message):
            message = f"could not open {os.path.basename(path)}: {message}"
            if quiet:  # the remembered file: forget it, so it is not refused at every start
                settings.app_settings().remove(settings.WEIGHTS)
                self.tell(message + " (forgotten)")
            else:
                self.show_error(message)

        def done(loaded):
            if self.session.use_loaded(loaded, path):
                settings.app_settings().setValue(settings.WEIGHTS, os.path.abspath(path))

        self.jobs.submit("network", weights_job(path), done, failed,
                         text=f"Opening {os.path.basename(path)}…")

    def export_weights(self) -> None:
        path, _chosen = QFileDialog.getSaveFileName(self, "Export weights",
                                                   f"{_file_name(self.session.spec.name)}"
                                                   ".safetensors", EXPORT_FILTERS)
        if not path:
            return
        try:
            work = self.session.export_job(path)
        except (ConvvizError, RuntimeError) as e:
            self.show_error(f"could not export the weights: {e}")
            return
        self.jobs.submit(
            f"export {os.path.abspath(path)}", work,
            lambda _path: self.tell(f"Saved {path}", note=True),
            lambda message: self.show_error(f"could not export the weights: {message}"),
            text=f"Exporting {os.path.basename(path)}…", cancellable=False)

    # ---- messages and help -----------------------------------------------------------------
    def tell(self, text: str, note: bool = False) -> None:
        """A line in the status bar: a passing `note` for STATUS_NOTE_MS, anything that matters
        for STATUS_MESSAGE_MS (panels and extensions say things through this, not the bar)."""
        self.statusBar().showMessage(text, STATUS_NOTE_MS if note else STATUS_MESSAGE_MS)

    def show_error(self, message: str) -> None:
        QMessageBox.warning(self, "convviz", message)

    def show_guide(self) -> None:
        from .deck.help_dialog import HelpDialog

        HelpDialog.show_guide(self)

    def start_tour(self):
        """Open the guided tour (or bring back the one already open); returns its controller."""
        from .deck.tour import GuidedTour

        if self.tour is None:
            self.tour = GuidedTour(self)
            self.tour.ended.connect(self._tour_ended)
        self.tour.start()
        return self.tour

    def _tour_ended(self) -> None:
        self.tour = None

    def show_about(self) -> None:
        from .deck.help_text import about_html

        QMessageBox.about(self, "About convviz", about_html())

    def toggle_full_screen(self) -> None:
        self.showNormal() if self.isFullScreen() else self.showFullScreen()

    # ---- persistence -----------------------------------------------------------------------
    def _restore_window(self, store) -> None:
        geometry, state = store.value(settings.GEOMETRY), store.value(settings.STATE)
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.restoreState(state)
            self.whole_tab_titles()
            self._layout_pending = False

    def save_settings(self) -> None:
        store = settings.app_settings()
        store.setValue(settings.GEOMETRY, self.saveGeometry())
        store.setValue(settings.STATE, self.saveState())
        store.setValue(settings.PRESET, self.session.preset_name)
        store.setValue(settings.DEVICE, self.session.device_name)
        store.sync()

    def showEvent(self, event):
        super().showEvent(event)
        if self._layout_pending:  # no saved layout: the default one, for the size shown at
            self.reset_layout()
        rate = self.screen().refreshRate() if self.screen() else 0
        if rate >= 30:  # one trace per frame of this screen
            self.session.frame_ms = 1000.0 / rate

    def closeEvent(self, event):
        if not all(may_close() for may_close in self.close_guards):  # stops at a refusal
            event.ignore()
            return
        self.closing.emit()
        if self.persist:
            self.save_settings()
        # no thread outlives the window; an export under way finishes writing its file
        self.jobs.shutdown()
        super().closeEvent(event)


def _file_name(name: str) -> str:
    """A network's name as a file name: path separators and the like become "-"."""
    safe = "".join(ch if ch.isalnum() or ch in " ._-" else "-" for ch in name).strip(" .")
    return safe[:80] or "network"
