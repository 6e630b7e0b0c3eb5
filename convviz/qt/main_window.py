"""The main window: the drawing canvas in the centre, every panel a dock around it.

It only assembles; the state lives in the Session, the drawing in its CanvasModel.

Plugging in (for panels and tools written elsewhere):

- A dock: add a line to `panel_registry.PANELS` (built lazily, after the window shows), or at
  run time call `window.add_panel(title, widget, area="right", key=None, tabify_with=None)`,
  which makes the dock, puts its toggle in the View menu, includes it in the saved layout and
  View > Reset layout, and wires the widget's optional `set_model(spec, snapshot)`,
  `show_weights(snapshot)` and `show_trace(trace)` to the session.
- Menu items: `window.train_menu` (the Train menu) and `window.view_menu` are plain QMenus.
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
import time
from dataclasses import dataclass

from PySide6.QtCore import QByteArray, QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (QDockWidget, QFileDialog, QFrame, QLabel, QMainWindow,
                               QMessageBox, QProgressBar, QScrollArea, QTabBar, QToolButton,
                               QWidget)

from convviz.core.errors import ConvvizError
from convviz.core.presets import DEFAULT_PRESET, PRESETS

from . import panel_registry, settings
from .canvas_panel import CanvasPanel
from .session import Session

AREAS = {"left": Qt.LeftDockWidgetArea, "right": Qt.RightDockWidgetArea,
         "top": Qt.TopDockWidgetArea, "bottom": Qt.BottomDockWidgetArea}
PRESET_TITLES = {"xo": "X or O (9×9, the classroom example)", "shapes": "Shapes (28×28)",
                 "lenet5": "LeNet-5 (32×32)"}
DEVICES = [("auto", "Automatic"), ("cpu", "CPU"), ("cuda", "CUDA (NVIDIA GPU)"),
           ("mps", "MPS (Apple GPU)")]
STATUS_INTERVAL_S = 0.25
# A dock tab bar is at least two scroll arrows + 75 px wide; slim arrows keep a tab group from
# widening the smallest layout (which must fit an 800 px screen).
# (exactly the 16 px Qt leaves for each arrow, no border: a wider arrow hung off the window)
TAB_ARROWS_STYLE = ("QTabBar QToolButton { min-width: 16px; max-width: 16px; padding: 0px; "
                    "border: none; }")
SCROLL_WIDER_THAN = 240  # px: a panel needing more than this at its narrowest gets scroll bars
# px: a panel needing more height than this scrolls instead of making its dock (and the whole
# window) taller; a column of docks on a 768 px projector must fit below the menu bar
SCROLL_TALLER_THAN = 220


class SidewaysScroll(QScrollArea):
    """Holds a large panel in a dock: it scrolls when the dock is narrower or lower than the
    panel's minimum, and otherwise fills the dock exactly. (A plain resizable scroll area sizes
    a panel with wrapped text by its preferred height for the width, which can push the
    panel's bottom row, the stepper controls, out of sight.) The dock asks for no more than
    SCROLL_TALLER_THAN px of height, so Reset layout fits a 1024x768 screen."""

    def __init__(self, widget: QWidget):
        super().__init__()
        self.setFrameShape(QFrame.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarAsNeeded)
        self.setWidgetResizable(False)
        self.setWidget(widget)
        widget.installEventFilter(self)  # its minimum grows (a longer step count): refit

    def _fit(self) -> None:
        w = self.widget()
        if w is not None:
            vp, least = self.viewport().size(), w.minimumSizeHint()
            w.resize(max(vp.width(), least.width()), max(vp.height(), least.height()))

    def viewportEvent(self, event):  # noqa: N802 - Qt's name
        if event.type() == QEvent.Resize:
            self._fit()
        return super().viewportEvent(event)

    def eventFilter(self, obj, event):  # noqa: N802 - Qt's name
        if obj is self.widget() and event.type() == QEvent.LayoutRequest:
            self._fit()
        return False

    def minimumSizeHint(self):  # noqa: N802 - the panel's height up to a cap, narrow as asked
        hint = super().minimumSizeHint()
        if self.widget() is not None:
            hint.setHeight(max(hint.height(), min(SCROLL_TALLER_THAN,
                                                  self.widget().minimumSizeHint().height())))
        return hint

DEFAULT_WINDOW = (1600, 980)


def fit_screen(window: QWidget, size: tuple[int, int]) -> tuple[int, int]:
    """`size`, made no larger than the screen's free area (less the window frame's room). The
    offscreen platform's pretend 800x800 screen is left out: nobody looks at it, and tests and
    screenshots set their own sizes."""
    from PySide6.QtGui import QGuiApplication

    screen = window.screen()
    if screen is None or QGuiApplication.platformName() == "offscreen":
        return size
    free = screen.availableGeometry()
    return min(size[0], free.width()), min(size[1], free.height() - FRAME_ROOM)


FRAME_ROOM = 30  # px: a title bar the window manager adds above the window


def default_dock_widths(window_width: int) -> tuple[int, int]:
    """The left and right dock columns' widths after Reset layout: shares of the window (420
    and 680 px from 1800 px up), never narrower than 270 and 360 px (the votes' names, the
    steppers' controls); the canvas keeps the rest (about 380 px of a 1024 px projector,
    where fixed 420 + 680 px docks squeezed it, or it them)."""
    left = int(min(420, max(270, 0.26 * window_width - 16)))
    right = int(min(680, max(360, 0.42 * window_width - 50)))
    return left, right


IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp *.gif *.pgm *.ppm *.tif *.tiff *.webp)"
WEIGHTS_FILTER = "Weights (*.safetensors *.pt *.onnx);;All files (*)"
EXPORT_FILTERS = "Safetensors (*.safetensors);;PyTorch (*.pt);;ONNX (*.onnx)"


@dataclass
class _DockPlace:
    area: str
    visible: bool
    tabify_with: str | None


class MainWindow(QMainWindow):
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
        self._places: dict[str, _DockPlace] = {}
        self.jobs = self.session.jobs  # opening, exporting, building: off this thread
        self._started = False
        self._extended = False  # the registry's EXTENSIONS have run
        self.tour = None  # the guided tour's controller while one is open
        self._background = True  # load networks in a thread (tests load them in place)
        self.persist = True  # False: closing leaves the saved settings alone (screenshots)
        self.close_guards: list = []  # callables -> bool, asked before closing; False refuses

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
        self._make_menus()
        self._make_status_bar()

        for entry in panel_registry.PANELS:
            self._make_dock(entry.key, entry.title, entry.area, entry.visible, entry.tabify_with)
        self.resize(*fit_screen(self, DEFAULT_WINDOW))
        self._layout_pending = True  # the default layout, made for the size the window shows at
        if restore:
            self._restore_window(store)

        s = self.session
        s.model_changed.connect(self._on_model_changed)
        s.device_changed.connect(lambda d: self.device_label.setText(f"Classifying on: {d}"))
        s.weights_changed.connect(self._on_weights_ready)
        s.updated.connect(self._show_update_time)
        s.failed.connect(self.show_error)
        s.network_changed.connect(self._on_network_changed)
        s.trace_changed.connect(self._say_when_blank)
        self._blank = None  # whether the last trace read a blank canvas
        s.lock_changed.connect(self._on_lock_changed)
        self.jobs.busy.connect(self._show_busy)
        self.jobs.progress.connect(self._show_progress)
        self.jobs.failed.connect(self.show_error)
        self._on_model_changed(s.spec)
        if not lazy:
            self.build_panels()

    # ---- docks -----------------------------------------------------------------------------
    def _make_dock(self, key, title, area="right", visible=True, tabify_with=None) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(key)
        dock.setFeatures(QDockWidget.DockWidgetClosable | QDockWidget.DockWidgetMovable
                         | QDockWidget.DockWidgetFloatable)
        waiting = QLabel("Loading…", alignment=Qt.AlignCenter)
        waiting.setObjectName("hint")
        dock.setWidget(waiting)
        self.docks[key] = dock
        self._places[key] = _DockPlace(area, visible, tabify_with)
        self._place_dock(key)
        dock.dockLocationChanged.connect(self.whole_tab_titles)  # dragged onto another dock
        toggle = dock.toggleViewAction()
        toggle.setText(title)
        self.view_menu.insertAction(self._view_separator, toggle)
        return dock

    def _place_dock(self, key: str) -> None:
        dock, place = self.docks[key], self._places[key]
        dock.setFloating(False)
        if place.tabify_with in self.docks:
            self.tabifyDockWidget(self.docks[place.tabify_with], dock)
            self.docks[self._tab_root(key)].raise_()  # the group's first tab stays in front
        else:
            self.addDockWidget(AREAS[place.area], dock)
        dock.setVisible(place.visible)
        self.whole_tab_titles()

    def whole_tab_titles(self) -> None:
        """Tabs of docks stacked together show their whole titles and scroll when they do not
        fit: Qt's default cuts every title short instead ("F…", "P…" on a laptop screen)."""
        for bar in self.findChildren(QTabBar, options=Qt.FindChildOption.FindDirectChildrenOnly):
            bar.setElideMode(Qt.TextElideMode.ElideNone)
            bar.setUsesScrollButtons(True)

    def _tab_root(self, key: str) -> str:
        """The dock a chain of `tabify_with` ends at (the first tab of the group)."""
        seen = set()
        while key not in seen and self._places[key].tabify_with in self.docks:
            seen.add(key)
            key = self._places[key].tabify_with
        return key

    def add_panel(self, title: str, widget: QWidget, area: str = "right", key: str | None = None,
                  visible: bool = True, tabify_with: str | None = None) -> QDockWidget:
        """Put `widget` in a dock (made if new) and connect it to the session. See the module
        docstring for the calls a panel may define."""
        key = key or title.lower().replace(" ", "_")
        dock = self.docks.get(key) or self._make_dock(key, title, area, visible, tabify_with)
        least = widget.minimumSizeHint()
        if least.width() > SCROLL_WIDER_THAN or least.height() > SCROLL_TALLER_THAN:
            # a large panel scrolls in a small dock instead of growing the window past the
            # screen (a tab group is as wide as its widest tab's minimum, a column of docks as
            # tall as their minimums together)
            dock.setWidget(SidewaysScroll(widget))
        else:
            dock.setWidget(widget)
        self.panels[key] = widget
        self._connect_panel(widget, dock)
        return dock

    def _connect_panel(self, widget, dock: QDockWidget) -> None:
        """Session -> panel. A panel nobody can see (a tab behind another, a closed dock) gets
        only the newest weights and trace once it is shown, so hidden panels cost nothing while
        the person draws or the network trains."""
        s = self.session
        pending: dict = {}  # "show_weights" / "show_trace" -> newest argument, while hidden

        def deliver(name, arg):
            # a tab behind another stays "visible" to Qt, but nothing of it is on screen
            if self.isVisible() and (not widget.isVisible() or dock.visibleRegion().isEmpty()):
                pending[name] = arg
            else:
                getattr(widget, name)(arg)

        def on_shown(visible: bool):
            if visible:
                for name in ("show_weights", "show_trace"):  # weights before the trace
                    if name in pending:
                        getattr(widget, name)(pending.pop(name))

        dock.visibilityChanged.connect(on_shown)
        if hasattr(widget, "set_model"):
            def set_model(spec):
                pending.clear()  # the session sends the new network's weights and trace next
                widget.set_model(spec, s.snapshot)
            s.model_changed.connect(set_model)
        if hasattr(widget, "show_weights"):
            s.weights_changed.connect(lambda snap: deliver("show_weights", snap))
            if s.snapshot is not None:
                widget.show_weights(s.snapshot)
        if hasattr(widget, "show_trace"):
            s.trace_changed.connect(lambda trace: deliver("show_trace", trace))
            if s.trace is not None:
                widget.show_trace(s.trace)

    def build_panels(self) -> None:
        """Make every registered panel that is still a placeholder, then run the extensions."""
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

    def reset_layout(self) -> None:
        """The default layout, sized for the window as it is now. (Large panels scroll in their
        docks, so no column of docks is taller than a 768 px projector.)"""
        self._layout_pending = False
        for dock in self.docks.values():
            dock.setFloating(False)
            self.removeDockWidget(dock)
        for key in self.docks:
            self._place_dock(key)
        left, right = default_dock_widths(self.width())
        self.resizeDocks([d for k, d in self.docks.items() if self._places[k].area == "left"][:1],
                         [left], Qt.Horizontal)
        self.resizeDocks([d for k, d in self.docks.items() if self._places[k].area == "right"][:1],
                         [right], Qt.Horizontal)
        left_column = [d for k, d in self.docks.items() if self._places[k].area == "left"
                       and self._places[k].tabify_with is None and self._places[k].visible]
        if len(left_column) == 2:  # the votes over the kernels: the votes get the larger part
            self.resizeDocks(left_column, [int(self.height() * 0.62), int(self.height() * 0.38)],
                             Qt.Vertical)

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
        m = bar.addMenu("&File")
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

        m = bar.addMenu("&Edit")
        acts = self.canvas_panel.actions
        m.addActions([acts["undo"], acts["redo"]])
        m.addSeparator()
        m.addAction(acts["clear"])
        tricky = m.addMenu("Trickier cases")
        for key in ("shift_left", "shift_right", "shift_up", "shift_down", "rotate_left",
                    "rotate_right", "scale_up", "scale_down", "thicken", "thin"):
            tricky.addAction(acts[key])
        self.addActions(list(acts.values()))  # shortcuts work wherever the focus is

        m = bar.addMenu("&Model")
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

    def _tidy_train_menu(self) -> None:
        self._train_placeholder.setVisible(len(self.train_menu.actions()) == 1)

    def _save_brush(self) -> None:
        store = settings.app_settings()
        store.setValue(settings.BRUSH_SIZE, self.session.canvas.brush.size)
        store.setValue(settings.BRUSH_SOFTNESS, self.session.canvas.brush.softness)

    def _show_update_time(self, ms: float) -> None:
        # a few times a second is readable; every frame would only cost repaints
        now = time.perf_counter()
        if now - self._status_time >= STATUS_INTERVAL_S or self.update_label.text().endswith("—"):
            self._status_time = now
            self.update_label.setText(f"Last update: {ms:.1f} ms")

    def _make_status_bar(self) -> None:
        bar = self.statusBar()
        from .live_text import ElidedLabel  # ten class names do not fit a projector's width

        self.model_label, self.classes_label = QLabel(), ElidedLabel()
        self.device_label = QLabel("Classifying on: loading…")
        self.device_label.setToolTip("Where the network reads your drawing. A training run "
                                     "says where it trains in the Training panel.")
        self.update_label = QLabel("Last update: —")
        self._status_time = 0.0
        # what runs in the background: its name, a busy bar and Cancel (hidden when idle)
        self.busy_label, self.busy_bar = QLabel(), QProgressBar()
        self.busy_bar.setRange(0, 0)  # busy until a job reports how far it is
        self.busy_bar.setMaximumWidth(120)
        self.busy_cancel = QToolButton(text="Cancel")
        self.busy_cancel.clicked.connect(lambda: self.jobs.cancel())
        for w in (self.busy_label, self.busy_bar, self.busy_cancel):
            bar.addWidget(w)
            w.setVisible(False)
        for lab in (self.model_label, self.classes_label, self.device_label, self.update_label):
            bar.addPermanentWidget(lab, 1 if lab is self.classes_label else 0)
        # new figures 4 times a second: at a fixed size (room for the longest) a new text only
        # repaints the label instead of laying out the whole window again
        self.update_label.setText("Last update: 8888.8 ms")
        self.update_label.ensurePolished()
        self.update_label.setFixedSize(self.update_label.sizeHint())
        self.update_label.setText("Last update: —")

    def _show_busy(self, text: str, cancellable: bool) -> None:
        self.busy_label.setText(text)
        self.busy_bar.setRange(0, 0)
        for w in (self.busy_label, self.busy_bar):
            w.setVisible(bool(text))
        self.busy_cancel.setVisible(bool(text) and cancellable)

    def _show_progress(self, done: int, total: int) -> None:
        if total > 0:
            self.busy_bar.setRange(0, total)
            self.busy_bar.setValue(done)

    # ---- model -----------------------------------------------------------------------------
    def _on_model_changed(self, spec) -> None:
        n = spec.input_size
        self.model_label.setText(f"Model: {spec.name} ({n}×{n})")
        self.classes_label.setText("Classes: " + ", ".join(spec.classes))
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
        from .canvas_model import is_blank
        from .votes_panel import NOTHING_DRAWN

        blank = is_blank(trace.input, self.session.spec.value_range)
        if blank and self._blank is not True and not self.statusBar().currentMessage():
            self.statusBar().showMessage(NOTHING_DRAWN, 6000)  # never over a message that matters
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
            self.statusBar().showMessage(reason[:1].upper() + reason[1:], 8000)

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
                self.statusBar().showMessage(message + " (forgotten)", 8000)
            else:
                self.show_error(message)

        def done(loaded):
            if self.session.use_loaded(loaded, path):
                settings.app_settings().setValue(settings.WEIGHTS, os.path.abspath(path))

        self.jobs.submit("network", weights_job(path), done, failed,
                         text=f"Opening {os.path.basename(path)}…")

    def export_weights(self) -> None:
        path, chosen = QFileDialog.getSaveFileName(self, "Export weights",
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
            lambda _path: self.statusBar().showMessage(f"Saved {path}", 6000),
            lambda message: self.show_error(f"could not export the weights: {message}"),
            text=f"Exporting {os.path.basename(path)}…", cancellable=False)

    # ---- messages and help -----------------------------------------------------------------
    def show_error(self, message: str) -> None:
        QMessageBox.warning(self, "convviz", message)

    def show_guide(self) -> None:
        from .help_dialog import HelpDialog

        HelpDialog.show_guide(self)

    def start_tour(self):
        """Open the guided tour (or bring back the one already open); returns its controller."""
        from .tour import GuidedTour

        if self.tour is None:
            self.tour = GuidedTour(self)
            self.tour.ended.connect(self._tour_ended)
        self.tour.start()
        return self.tour

    def _tour_ended(self) -> None:
        self.tour = None

    def show_about(self) -> None:
        from .help_text import about_html

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
