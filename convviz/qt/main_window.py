"""The main window: the drawing canvas in the centre, every panel a dock around it.

It only assembles; the state lives in the Session, the drawing in its CanvasModel. Its halves
by role: the menus and the Model menu's state (window_menus), opening and exporting files
(window_files), reopening last time's network at the start (window_reopen), sounds for a
spectrogram network (window_sound), placing and wiring the docks (docks).

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

from PySide6.QtCore import QByteArray, Qt, Signal
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMessageBox, QWidget

from convviz.core.presets import DEFAULT_PRESET, PRESETS

from . import panel_registry, settings, theme
from .docks import TAB_ARROWS_STYLE, DockedPanels, DockPlace, fit_screen
from .import_wiring import WindowImport
from .panel_contract import Services
from .panels.canvas import CanvasPanel
from .session import Session
from .status_line import StatusLine
from .window_files import WindowFiles
from .window_geometry import fit_restored
from .window_menus import WindowMenus
from .window_reopen import WindowReopen, forget_network, remembered_network
from .window_sound import WindowSound

# how long a status-bar line stays: a passing note, and a sentence that matters (time to read it)
STATUS_NOTE_MS = 6000
STATUS_MESSAGE_MS = 10_000


class MainWindow(
    WindowMenus, WindowFiles, WindowReopen, WindowSound, WindowImport, DockedPanels, QMainWindow
):
    closing = Signal()

    def __init__(
        self,
        session: Session | None = None,
        lazy: bool = False,
        restore: bool = True,
        preset: str | None = None,
    ):
        """`lazy`: make the docks now but their panels only in `start()` (the app shows the
        window first). Tests pass lazy=False (the default) to get every panel at once.
        `preset`: open with this network instead of the one remembered from last time."""
        super().__init__()
        store = settings.app_settings()
        if preset is not None and restore:
            forget_network()  # asked for a preset: not last time's file, now or next time
        # a preset named on the command line wins over the network remembered from last time
        self._remembered = None if preset is not None else remembered_network()
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
        self.setDockOptions(
            QMainWindow.AnimatedDocks | QMainWindow.AllowTabbedDocks | QMainWindow.AllowNestedDocks
        )
        self.setCorner(Qt.BottomLeftCorner, Qt.LeftDockWidgetArea)
        self.setCorner(Qt.BottomRightCorner, Qt.RightDockWidgetArea)
        self.canvas_panel = CanvasPanel(self.session.canvas)
        self.canvas_panel.image_dropped.connect(self.open_image)
        self.canvas_panel.set_brush(
            float(store.value(settings.BRUSH_SIZE, 2.0)),
            float(store.value(settings.BRUSH_SOFTNESS, 0.3)),
        )
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
        remembered, self._remembered = self._remembered, None
        if remembered is not None:  # last time's file, read and checked in the background
            self.reopen(remembered)
        elif self.session.load_preset(self.session.preset_name, background=background):
            self.show_preset_opened(self.session.preset_name)

    def _save_brush(self) -> None:
        store = settings.app_settings()
        store.setValue(settings.BRUSH_SIZE, self.session.canvas.brush.size)
        store.setValue(settings.BRUSH_SOFTNESS, self.session.canvas.brush.softness)

    # ---- model -----------------------------------------------------------------------------
    def _on_model_changed(self, spec) -> None:
        self.statusBar().clearMessage()  # a message about the last network no longer applies
        if self.set_aside_note:  # ...but where the trained one set aside for it is still does
            self.tell(self.set_aside_note)
            self.set_aside_note = ""
        self.canvas_panel.show_spec(spec)
        if note := self.canvas_panel.carry_note(spec):
            self.tell(note)
        self.status_line.show_model(spec)
        self.setWindowTitle(f"convviz — {spec.name}")
        self._on_network_changed()

    def _say_when_blank(self, trace) -> None:
        """A blank canvas is not classified: say so once, as it becomes blank."""
        from ..core.blank import is_blank
        from .panels.votes.panel import NOTHING_DRAWN

        blank = is_blank(trace.input, self.session.spec.value_range)
        if blank and self._blank is not True and not self.statusBar().currentMessage():
            self.tell(NOTHING_DRAWN, note=True)  # never over a message that matters
        elif not blank and self._blank and self.statusBar().currentMessage() == NOTHING_DRAWN:
            self.statusBar().clearMessage()
        self._blank = blank

    # ---- messages and help -----------------------------------------------------------------
    def tell(self, text: str, note: bool = False) -> None:
        """A line in the status bar: a passing `note` for STATUS_NOTE_MS, anything that matters
        for STATUS_MESSAGE_MS (panels and extensions say things through this, not the bar)."""
        self.statusBar().showMessage(text, STATUS_NOTE_MS if note else STATUS_MESSAGE_MS)

    def show_error(self, message: str) -> None:
        if self._said is not None:  # reopening last time's network: no dialog at the start
            self._said.append(message)
            return
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
            fit_restored(self)  # saved on a bigger screen, or grown past this one
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
