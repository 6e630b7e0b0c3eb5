"""The main window's menus: File, Edit, Model, Train, View and Help, and the Model menu's state
(which preset and device are checked, which switches a training run locks).

WindowMenus is the main window's half that does this; it expects the window to set `session`
and `canvas_panel`, and to have the slots its menus name (the files' half, window_files, and
the window's own: tell, show_error, show_guide, start_tour, show_about, toggle_full_screen,
reset_layout, close).
"""

from __future__ import annotations

from PySide6.QtGui import QAction, QActionGroup, QKeySequence

from convviz.core.errors import ConvvizError
from convviz.core.presets import PRESETS

from . import settings
from .window_reopen import forget_network

DEVICES = [
    ("auto", "Automatic"),
    ("cpu", "CPU"),
    ("cuda", "CUDA (NVIDIA GPU)"),
    ("mps", "MPS (Apple GPU)"),
]


class WindowMenus:
    """The menus of a QMainWindow (mixed into MainWindow)."""

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
        self._action(
            self.view_menu, "Full screen", self.toggle_full_screen, QKeySequence.FullScreen
        )

        m = bar.addMenu("&Help")
        self._action(m, "How convviz works", self.show_guide, QKeySequence.HelpContents)
        self._action(
            m,
            "Guided tour",
            self.start_tour,
            None,
            "Walk through the app in the order of the lesson, panel by panel",
        )
        self._action(m, "About convviz", self.show_about)

    def _make_file_menu(self, m) -> None:
        self._action(
            m,
            "Open image…",
            self.choose_image,
            QKeySequence.Open,
            "Put a picture on the canvas, scaled to the grid",
        )
        self._add_open_sound(m)  # window_sound: only for a spectrogram network
        fits = m.addMenu("Pictures of another shape")
        group = QActionGroup(self)
        self.picture_fit_actions = {}
        for fit, text in (
            ("letterbox", "Keep the whole picture (bars at the sides)"),
            ("crop", "Fill the grid (cut what overhangs)"),
        ):
            a = self._action(fits, text, lambda _=False, f=fit: self.set_picture_fit(f))
            a.setCheckable(True)
            a.setChecked(fit == self.picture_fit())
            group.addAction(a)
            self.picture_fit_actions[fit] = a
        self.open_weights_action = self._action(
            m,
            "Open weights…",
            self.choose_weights,
            "Ctrl+Shift+O",
            "Load a trained network (.safetensors, .pt, .onnx)",
        )
        m.setToolTipsVisible(True)
        self.open_model_action = self._action(  # (import_wiring.py: a model from another tool)
            m, "Open model…", self.choose_model, None, "Open your own CNN (.onnx, .keras)"
        )
        self.import_report_action = self._action(
            m, "Show import report", self.show_import_report, None, "What became what"
        )
        self.import_report_action.setEnabled(False)  # until a model is imported
        self._action(
            m, "Export weights…", self.export_weights, "Ctrl+E", "Save the network's weights"
        )
        m.addSeparator()
        self._action(m, "Quit", self.close, QKeySequence.Quit)

    def _make_edit_menu(self, m) -> None:
        acts = self.canvas_panel.actions
        m.addActions([acts["undo"], acts["redo"]])
        m.addSeparator()
        m.addAction(acts["clear"])
        tricky = m.addMenu("Trickier cases")
        for key in (
            "shift_left",
            "shift_right",
            "shift_up",
            "shift_down",
            "rotate_left",
            "rotate_right",
            "scale_up",
            "scale_down",
            "thicken",
            "thin",
        ):
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
        # every preset, its help line as the tooltip
        for name, declared in PRESETS.items():
            a = self._action(m, declared.title, lambda _=False, n=name: self.choose_preset(n))
            a.setCheckable(True)
            a.setToolTip(declared.help)
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

    # ---- the Model menu's state ------------------------------------------------------------
    def _on_network_changed(self) -> None:
        """The Model menu checks a preset only while that preset's own network is in use."""
        s = self.session
        showing = s.source if s.model is not None else s.preset_name
        for name, a in self.preset_actions.items():
            a.setChecked(name == showing and s.spec.name == name)

    def _on_lock_changed(self, reason: str) -> None:
        """While a run trains the network, nothing may switch it: the switches say why."""
        self.lock_note.setText(reason[:1].upper() + reason[1:] if reason else "")
        self.lock_note.setVisible(bool(reason))
        for name, a in self.preset_actions.items():
            a.setEnabled(not reason)
            a.setToolTip(reason or PRESETS[name].help)
        self.open_weights_action.setEnabled(not reason)
        self.open_model_action.setEnabled(not reason)
        self.open_weights_action.setToolTip(reason or self.open_weights_action.text())
        if reason:
            self.tell(reason[:1].upper() + reason[1:])

    def _on_weights_ready(self, _snapshot) -> None:
        from .session import available_devices  # torch is imported by now

        present = set(available_devices())
        for name, a in self.device_actions.items():
            a.setEnabled(name == "auto" or name in present)
        self.device_actions.get(self.session.device_name, self.device_actions["auto"]).setChecked(
            True
        )

    def choose_preset(self, name: str) -> None:
        if not self.session.locked_reason and not self.may_replace_network():
            self._on_network_changed()  # kept the trained one: the menu shows it again
            return
        if not self.session.load_preset(name, background=self._background):
            self._on_network_changed()  # refused (a run goes): the menu shows what is in use
            return
        settings.app_settings().setValue(settings.PRESET, name)
        forget_network()  # the next start opens this preset, not the file before it
        self.show_preset_opened(name)

    def show_preset_opened(self, name: str) -> None:
        """A preset that opens in a panel of its own (alexnet: the architecture) brings it
        forward; one with no trained weights says its weights are random."""
        declared = PRESETS[name]
        dock = self.docks.get(declared.opens_in)
        if dock is not None:
            dock.show()
            dock.raise_()
        if declared.weights == "none":
            self.tell(f"{declared.title}: its weights are random (no trained ones ship with it)")

    def choose_device(self, name: str) -> None:
        try:
            self.session.set_device(name)
        except (ConvvizError, RuntimeError) as e:
            self.show_error(str(e))
            return
        settings.app_settings().setValue(settings.DEVICE, name)
