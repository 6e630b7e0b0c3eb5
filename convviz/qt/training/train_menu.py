"""The Train menu: Train on folder / on sample shapes, Pause or Resume, Stop, with their
shortcuts; pause and stop are enabled only while a run goes. A part of TrainingTools (wiring.py),
whose Training panel holds the buttons they press."""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence

SHORTCUTS = {"folder": "Ctrl+T", "samples": "Ctrl+Shift+T", "pause": "Ctrl+P", "stop": "Ctrl+."}


class TrainMenu:
    """TrainingTools' menu actions (a mixin: these run on the tools)."""

    def _make_actions(self, menu) -> None:
        def action(key, text, slot, tip):
            a = QAction(text, self.window)
            a.setShortcut(QKeySequence(SHORTCUTS[key]))
            a.setStatusTip(tip)
            a.triggered.connect(slot)
            menu.addAction(a)
            return a

        self.folder_action = action(
            "folder",
            "Train on folder…",
            self.train_on_folder,
            "Teach the network the classes of a folder of pictures",
        )
        self.samples_action = action(
            "samples",
            "Train on sample shapes",
            self.train_on_samples,
            "Teach the network drawn shapes made up on the spot",
        )
        menu.addSeparator()
        self.pause_action = action(
            "pause",
            "Pause training",
            self.toggle_pause,
            "Hold training after this batch; Resume goes on",
        )
        self.stop_action = action(
            "stop", "Stop training", self.stop, "End training after this batch"
        )
        self._set_running(False)

    def _set_running(self, running: bool) -> None:
        self.folder_action.setEnabled(not running)
        self.samples_action.setEnabled(not running)
        self.pause_action.setEnabled(running)
        self.stop_action.setEnabled(running)
        if not running:
            self.pause_action.setText("Pause training")

    def toggle_pause(self) -> None:
        self.panel.toggle_pause()
        self._show_paused(self.controller.is_paused())

    def _show_paused(self, paused: bool) -> None:
        self.pause_action.setText("Resume training" if paused else "Pause training")

    def stop(self) -> None:
        if self.controller.is_running():
            self.panel.request_stop()
            self.pause_action.setEnabled(False)
            self.stop_action.setEnabled(False)
