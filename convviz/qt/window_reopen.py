"""The network from last time: remembered when it is opened, reopened at the next start.

What is remembered (qt/settings.py) is where the network came from, never the network itself:
- a preset (settings.PRESET): the one chosen last, or the default;
- a weights file (settings.WEIGHTS): File > Open weights…, or the copy a training run keeps
  beside the settings (training/wiring.py: a network trained in the app is saved there as soon
  as it becomes the app's network, so closing never loses it);
- an imported model (settings.WEIGHTS plus settings.IMPORT_ANSWERS): File > Open model…, with
  the answers the person gave (input values, class names), so it opens again without asking.
  The answers name the file they belong to: when the copy of a network trained from the import
  replaces it in settings.WEIGHTS, they no longer apply and are ignored.

At the start the window is drawn for the remembered preset first (its spec is plain Python); the
file is then read in a background job through the same checked opener as File > Open, never
trusted: if it is gone, refused, or too large, the remembered preset's network opens instead,
the file is forgotten, and the status bar says so in one line (no dialog at start-up).

WindowReopen is the main window's half that does this; it expects the window to set `session`,
`jobs` and `_background`, and to have `tell`, `show_preset_opened` and `_use_imported`.
"""

from __future__ import annotations

import json
import os
from contextlib import contextmanager
from dataclasses import dataclass

from convviz.core.errors import ConvvizError

from . import settings

# a remembered import's answers, as JSON text: the class names are the largest part
ANSWERS_MAX_CHARS = 4 * 1024 * 1024
ANSWER_KEYS = ("value_range", "mean", "std", "classes")


@dataclass(frozen=True)
class RememberedNetwork:
    path: str
    answers: str | None  # an imported model's answers (JSON text); None for a weights file


def remembered_network() -> RememberedNetwork | None:
    """What the window opened last time, if it was a file; None for a preset."""
    store = settings.app_settings()
    path = store.value(settings.WEIGHTS, "")
    if not isinstance(path, str) or not path:
        return None
    kept = store.value(settings.IMPORT_ANSWERS, "")
    answers = None
    if isinstance(kept, str) and kept:
        belongs_to, _, text = kept.partition("\n")
        answers = text if belongs_to == path else None
    return RememberedNetwork(path, answers)


def remember_weights(path: str) -> None:
    store = settings.app_settings()
    store.setValue(settings.WEIGHTS, os.path.abspath(path))
    store.remove(settings.IMPORT_ANSWERS)


def remember_import(path: str, answers: dict) -> None:
    path = os.path.abspath(path)
    store = settings.app_settings()
    store.setValue(settings.WEIGHTS, path)
    store.setValue(settings.IMPORT_ANSWERS, f"{path}\n{json.dumps(answers)}")


def forget_network() -> None:
    """The next start opens the remembered preset (a preset was chosen, a file refused)."""
    store = settings.app_settings()
    store.remove(settings.WEIGHTS)
    store.remove(settings.IMPORT_ANSWERS)


def decode_answers(text: str) -> dict:
    """An imported model's remembered answers as import_model's keyword arguments; ConvvizError
    (one line) for text that is not what remember_import wrote. import_model checks the values."""
    if len(text) > ANSWERS_MAX_CHARS:
        raise ConvvizError(f"its remembered import answers are over {ANSWERS_MAX_CHARS} characters")
    try:
        answers = json.loads(text)
    except ValueError:
        answers = None
    if not isinstance(answers, dict) or set(answers) != set(ANSWER_KEYS):
        raise ConvvizError("its remembered import answers are damaged")

    def numbers(value):
        if value is None:
            return None
        if not isinstance(value, list) or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in value
        ):
            raise ConvvizError("its remembered import answers are damaged")
        return tuple(float(v) for v in value)

    classes = answers["classes"]
    if classes is not None and not (
        isinstance(classes, list) and all(isinstance(c, str) for c in classes)
    ):
        raise ConvvizError("its remembered import answers are damaged")
    return {
        "value_range": numbers(answers["value_range"]),
        "mean": numbers(answers["mean"]),
        "std": numbers(answers["std"]),
        "classes": classes,
    }


class WindowReopen:
    """Reopening last time's network at the start (mixed into MainWindow)."""

    _said: list[str] | None = None  # while set, show_error's messages are collected here

    def reopen(self, remembered: RememberedNetwork) -> None:
        """Open the remembered file in the background (the window already shows the remembered
        preset's layout, with no network yet); if that fails, the preset's network opens."""
        from .import_wiring import read_with
        from .session import weights_job

        path, name = remembered.path, os.path.basename(remembered.path)
        if remembered.answers is None:
            work = weights_job(path)
        else:
            text = remembered.answers

            def work(_job):
                return read_with(path, decode_answers(text))

        def done(made) -> None:
            with self.errors_in_status_bar() as said:
                if remembered.answers is None:
                    used = self.session.use_loaded(made, path)
                else:
                    imported, model = made
                    used = self._use_imported(path, imported, model, decode_answers(text))
            if not used:
                failed(said[0] if said else "the window cannot show it")
            elif said:
                self.tell(said[0])

        def failed(message: str) -> None:
            forget_network()
            preset = self.session.preset_name
            if self.session.load_preset(preset, background=self._background):
                self.show_preset_opened(preset)
            self.tell(f"Could not reopen {name} ({message}): opened the {preset} network")

        if not os.path.isfile(path):  # said plainly, not as the opener's "no such file"
            failed("the file is gone")
            return
        self.jobs.submit(
            "network", work, done, failed, text=f"Reopening {name}…", cancellable=False
        )

    @contextmanager
    def errors_in_status_bar(self):
        """Within it, what would be a dialog is collected (yielded list) instead: nothing pops
        up at the start, before the person has done anything."""
        self._said = said = []
        try:
            yield said
        finally:
            self._said = None
