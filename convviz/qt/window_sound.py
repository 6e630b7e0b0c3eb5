"""The main window's sounds: File > Open sound… (and a .wav dropped on the canvas) turns a WAV file
into a spectrogram network's input, the way the sample data is made (core/sound_input), and puts
it on the canvas. Only a network whose input is a spectrogram (spec.input_kind) takes a sound:
for any other the menu item is greyed out and its tooltip says why.

WindowSound is the main window's half that does this; it expects the window to set `session`,
`jobs` and `canvas_panel`, and to have `show_error`. Reading runs in the background
(`window.jobs`), sharing the "image" kind with Open image: whichever was asked for last wins.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QFileDialog

from convviz.core.sound_input import SPECTROGRAM_KIND
from convviz.core.wav_read import SOUND_FILTER, is_sound_path

OPEN_SOUND_TIP = (
    "Turn a WAV file into the spectrogram the network hears, as its sample data is made"
)


def no_sound_reason(spec) -> str:
    """Why this network takes no sound ("" when it takes one)."""
    if spec.input_kind == SPECTROGRAM_KIND:
        return ""
    return (
        f"Only a spectrogram network takes a sound; {spec.name!r} takes pictures "
        f"(Model > a spectrogram preset, or open its weights)"
    )


class _SoundDrops(QObject):
    """Takes a .wav dropped on the canvas before the canvas sees it (the canvas takes pictures);
    every other drag and drop goes on to the canvas untouched."""

    def __init__(self, window):
        super().__init__(window)
        self._open = window.open_sound

    @staticmethod
    def _sound_path(event) -> str | None:
        data = event.mimeData()
        for url in data.urls() if data.hasUrls() else []:
            if is_sound_path(url.toLocalFile()):
                return url.toLocalFile()
        return None

    def eventFilter(self, watched, event):  # Qt's name
        if event.type() in (QEvent.DragEnter, QEvent.DragMove, QEvent.Drop):
            path = self._sound_path(event)
            if path:
                event.acceptProposedAction()
                if event.type() == QEvent.Drop:
                    self._open(path)
                return True
        return False


class WindowSound:
    """File > Open sound… and .wav drops (mixed into MainWindow)."""

    def _add_open_sound(self, menu):
        """The File menu's item, kept enabled only while the network takes a sound."""
        self.open_sound_action = self._action(menu, "Open sound…", self.choose_sound)
        self.session.model_changed.connect(self._sound_follows_network)
        self._sound_follows_network(self.session.spec)
        self._sound_drops = _SoundDrops(self)
        getattr(self.canvas_panel, "view", self.canvas_panel).installEventFilter(self._sound_drops)
        return self.open_sound_action

    def _sound_follows_network(self, spec) -> None:
        reason = no_sound_reason(spec)
        self.open_sound_action.setEnabled(not reason)
        self.open_sound_action.setToolTip(reason or OPEN_SOUND_TIP)
        self.open_sound_action.setStatusTip(reason or OPEN_SOUND_TIP)

    def choose_sound(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open sound", "", SOUND_FILTER)
        if path:
            self.open_sound(path)

    def open_sound(self, path: str) -> None:
        """Read a WAV file in the background and put its spectrogram on the canvas; a network
        changed meanwhile reads it again for the new one."""
        from convviz.core.sound_input import load_sound_input

        from .window_files import could_not_open

        spec = self.session.spec
        name = os.path.basename(path)
        reason = no_sound_reason(spec)
        if reason:  # (a drop: the menu item is greyed out already)
            self.show_error(f"could not open {name}: {reason[:1].lower()}{reason[1:]}")
            return

        def done(values):
            if self.session.spec != spec:
                self.open_sound(path)
                return
            # one channel: the canvas takes (rows, cols)
            self.session.canvas.set_input(values[0] if len(values) == 1 else values)

        self.jobs.submit(
            "image",  # Open image's kind: the newest input asked for wins
            lambda _job: load_sound_input(path, spec),
            done,
            lambda message: self.show_error(could_not_open(path, message)),
            text=f"Opening {name}…",
        )
