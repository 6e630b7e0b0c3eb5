"""File > Open model…: a person's own model (ONNX, Keras) becomes the window's network, and
File > Show import report says what in the file became what.

The file is read in the background (`window.jobs`, like opening weights): once with the defaults
and once more with the input said to be 0..1, which tells whether the file says itself what its
input values are (a Keras Rescaling(1/255), a Sub/Div at an ONNX input: the two readings then
differ). What the file leaves open (the input values, the class names) is asked in
import_dialog.ImportQuestions; a different answer than the defaults reads the file once more with
it. A model that does not fit, or that the window cannot show, is refused in one line and the
network in use is kept.

WindowImport is the main window's half that does this (mixed into MainWindow); it expects the
window to have `session`, `jobs`, `tell` and `show_error`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QFileDialog, QMessageBox

from convviz.core.errors import ConvvizError

from .import_dialog import PRESELECTED, RANGE_CHOICES, ImportQuestions, ImportReport

MODEL_FILTER = "Models (*.onnx *.keras *.h5);;ONNX (*.onnx);;Keras (*.keras *.h5);;All files (*)"
# class lists a model's folder may hold beside it, one name a line (the first that fits is used)
CLASS_FILES = ("labels.txt", "classes.txt")
DEFAULT_RANGE = dict((k, r) for k, _label, r in RANGE_CHOICES)[PRESELECTED]


@dataclass
class FirstReading:
    """The file read with the defaults, and what that tells about the questions to ask."""

    imported: object  # core.importing.Imported
    model: object  # its ConvNet, built off the window's thread
    range_said: bool  # the file says what its input values are
    found_classes: list[str] | None  # from its metadata or a class list beside it
    classes_from_file: bool  # found_classes came with the file itself (the first reading has them)

    @property
    def complete(self) -> bool:
        """Nothing left to ask: the range and the class names both come from the file."""
        return self.range_said and self.classes_from_file

    def defaults(self) -> dict:
        """The answers that give the first reading again (no need to read the file twice)."""
        return {
            "value_range": None if self.range_said else DEFAULT_RANGE,
            "mean": None,
            "std": None,
            "classes": self.found_classes if self.classes_from_file else None,
        }


@dataclass
class TooLarge:
    """A model that fits convviz but is too large to run live: its layers alone (no weights)."""

    message: str
    spec: object  # core.spec.NetworkSpec


def read_first(path: str) -> FirstReading | TooLarge:
    """The work of the first background job. ModelRefused (one line) for a model that does
    not fit; TooLarge for one that fits but is too large to run live."""
    from convviz.core.importing import ModelTooLarge, import_model

    try:
        first = import_model(path)
    except ModelTooLarge as e:
        if e.architecture is None:
            raise
        return TooLarge(str(e), e.architecture.spec)
    at_default = import_model(path, value_range=DEFAULT_RANGE)
    range_said = first.spec != at_default.spec or any(
        not np.array_equal(v, at_default.state[k]) for k, v in first.state.items()
    )
    count = len(first.spec.classes)
    numbered = list(first.spec.classes) == [str(i) for i in range(count)]
    found = None if numbered else list(first.spec.classes)
    if found is None:
        found = classes_beside(path, count)
    return FirstReading(first, first.model(), range_said, found, not numbered)


def classes_beside(path: str, count: int) -> list[str] | None:
    """Class names from a labels.txt or classes.txt beside the model, if one holds `count`
    names; None otherwise (a list that does not fit is only not offered: nothing is refused)."""
    from convviz.core.importing import read_classes_file

    for name in CLASS_FILES:
        beside = Path(path).with_name(name)
        if beside.is_file():
            try:
                names = read_classes_file(beside)
            except ConvvizError:
                continue
            if len(names) == count:
                return names
    return None


def read_with(path: str, answers: dict):
    """The work of the second background job: the file read with the person's answers."""
    from convviz.core.importing import import_model

    imported = import_model(path, **answers)
    return imported, imported.model()


class WindowImport:
    """File > Open model… and File > Show import report (mixed into MainWindow)."""

    import_report: tuple[str, list[str]] | None = None  # (file name, lines) of the last import

    def choose_model(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open model", "", MODEL_FILTER)
        if path:
            self.open_model(path)

    def open_model(self, path: str) -> None:
        """Read the model in the background, ask what it leaves open, then use it."""
        if self.session.locked_reason:
            self.show_error(self.session.locked_reason)
            return
        if not self.may_replace_network():  # a trained network not exported: asks first
            return
        name = os.path.basename(path)
        self.jobs.submit(
            "network",
            lambda _job: read_first(path),
            lambda first: self._answer_and_use(path, first),
            lambda message: self._refused(name, message),
            text=f"Reading {name}…",
        )

    def answer_import(self, dialog: ImportQuestions) -> bool:
        """Ask the person (tests replace this to answer the dialog themselves)."""
        return dialog.exec() == QDialog.DialogCode.Accepted

    def _refused(self, name: str, message: str) -> None:
        from .window_files import could_not_open

        self.show_error(could_not_open(name, message))

    def ask_show_layers(self, name: str, message: str) -> bool:
        """Ask whether to show a too-large model's layers (tests replace this)."""
        answer = QMessageBox.question(
            self,
            "Too large to run live",
            f"{name}: {message}.\n\nShow its layers in the Architecture panel instead? "
            "(Sizes and parameter counts only; the network in use stays.)",
        )
        return answer == QMessageBox.StandardButton.Yes

    def _show_layers_only(self, name: str, too_large: TooLarge) -> None:
        if not self.ask_show_layers(name, too_large.message):
            self.tell(f"Did not open {name}: the network in use is kept", note=True)
            return
        self.panels["architecture"].set_model(too_large.spec)
        dock = self.docks["architecture"]
        dock.show()
        dock.raise_()
        self.tell(f"The Architecture panel shows {name}'s layers; the network in use is kept")

    def _answer_and_use(self, path: str, first: FirstReading | TooLarge) -> None:
        name = os.path.basename(path)
        if isinstance(first, TooLarge):
            self._show_layers_only(name, first)
            return
        # a network the window cannot show (colour, rectangular, until the canvas draws them)
        # is refused before any question; the session says why in one line
        can_draw = getattr(self.session, "_window_can_draw", None)
        if can_draw is not None and not can_draw(first.model.spec):
            return
        if first.complete:
            self._use_imported(path, first.imported, first.model, first.defaults())
            return
        dialog = ImportQuestions(
            self, first.imported, first.range_said, first.found_classes, file_name=name
        )
        try:
            if not self.answer_import(dialog):
                self.tell(f"Did not open {name}: the network in use is kept", note=True)
                return
            answers = dialog.answers()
        finally:
            dialog.deleteLater()
        if answers == first.defaults():
            self._use_imported(path, first.imported, first.model, answers)
            return
        self.jobs.submit(
            "network",
            lambda _job: read_with(path, answers),
            lambda made: self._use_imported(path, *made, answers),
            lambda message: self._refused(name, message),
            text=f"Reading {name}…",
        )

    def _use_imported(self, path: str, imported, model, answers: dict) -> bool:
        """Use the imported model; `answers` (import_model's keywords) reopen it next time."""
        from .window_reopen import remember_import

        name = os.path.basename(path)
        if not self.session.set_model(model, source=path, summary={"imported_from": path}):
            return False  # refused (a run goes, a network the window cannot show): `failed` said
        remember_import(path, answers)
        self.import_report = (name, list(imported.report))
        self.import_report_action.setEnabled(True)
        self.tell(f"Opened {name}. File > Show import report says what became what.")
        return True

    def show_import_report(self) -> ImportReport | None:
        """The last import's report, in a dialog that stays open beside the window."""
        if self.import_report is None:
            self.tell("No model has been imported yet (File > Open model…)", note=True)
            return None
        name, lines = self.import_report
        dialog = ImportReport(self, name, lines)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog
