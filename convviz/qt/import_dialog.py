"""File > Open model…: the two questions a model from another tool may leave open (what its input
values mean, what its classes are called), and the report of what was mapped to what.

    dialog = ImportQuestions(window, imported, range_said=False, found_classes=None)
    if dialog.exec() == QDialog.DialogCode.Accepted:
        import_model(path, **dialog.answers())

The core (convviz.core.importing) does the importing; this module only asks and shows.
"""

from __future__ import annotations

from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from convviz.core.errors import ConvvizError

# The choices for what a model's input values are, in the order shown. Each is (key, label,
# the value range or None for mean and std). 0..1 is preselected when the file does not say:
# it is what torchvision's ToTensor gives, by far the most common in tutorials.
RANGE_CHOICES = (
    ("0..1", "0..1: pictures as ToTensor gives them (most PyTorch tutorials)", (0.0, 1.0)),
    ("-1..1", "-1..1: normalised with mean 0.5 and std 0.5", (-1.0, 1.0)),
    ("0..255", "0..255: raw pixel values (Keras without a Rescaling layer)", (0.0, 255.0)),
    ("mean/std", "Mean and standard deviation (torchvision's Normalize) of 0..1 pictures:", None),
)
PRESELECTED = "0..1"
# what a person would type for the best-known datasets, as placeholders
MEAN_STD_HINTS = {1: ("0.1307", "0.3081"), 3: ("0.485, 0.456, 0.406", "0.229, 0.224, 0.225")}


def parse_class_names(text: str) -> list[str] | None:
    """'cat, dog , bird' -> ['cat', 'dog', 'bird']; None for nothing typed (numbered)."""
    names = [n.strip() for n in text.split(",")]
    return None if names == [""] else names


def what_is_left(range_said: bool, classes_found: bool) -> str:
    """The intro's last sentence: what is known and what the person is asked, in that order
    (it said "Two things the file does not say" above class names it had found)."""
    if range_said and classes_found:
        return "The file says what its input values are, and class names were found: check them."
    if range_said:
        return "The file says what its input values are; it does not name its classes:"
    if classes_found:
        return (
            "The file does not say what its input values mean; class names were found for it "
            "(check them):"
        )
    return "Two things the file does not say: what its input values mean and its class names."


class ImportQuestions(QDialog):
    """Asks what the file does not say. `range_said`: the file says what its input values are
    (e.g. a Keras Rescaling(1/255): pixels 0..255), so no range is asked. `found_classes`: class
    names found for it (its metadata, a labels.txt beside it), offered for editing."""

    def __init__(
        self,
        parent: QWidget | None,
        imported,
        range_said: bool,
        found_classes: list[str] | None = None,
        file_name: str = "",
    ):
        super().__init__(parent)
        spec = imported.spec
        self.channels, self.count = spec.channels, len(spec.classes)
        self.range_said = range_said
        self.setWindowTitle(f"Open model: {file_name or spec.name}")
        self.setMinimumWidth(520)
        lay = QVBoxLayout(self)
        rows, cols = spec.input_shape
        self.intro = intro = QLabel(
            f"<b>{file_name or spec.name}</b> fits convviz: a {rows}x{cols} "
            f"{'grayscale' if spec.channels == 1 else 'colour'} input, "
            f"{len(spec.layers)} layers before the votes, {self.count} classes. "
            + what_is_left(range_said, bool(found_classes))
        )
        intro.setWordWrap(True)
        lay.addWidget(intro)
        lay.addWidget(self._range_box())
        lay.addWidget(self._classes_box(found_classes))
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #ff6b6b;")  # reads on dark and light
        lay.addWidget(self.message)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.open_button = self.buttons.addButton("Open", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)
        self._answers: dict | None = None

    # ---- sections --------------------------------------------------------------------------
    def _range_box(self) -> QGroupBox:
        box = QGroupBox("What the input values mean")
        lay = QVBoxLayout(box)
        self.range_buttons: dict[str, QRadioButton] = {}
        self._group = QButtonGroup(self)
        if self.range_said:
            said = QLabel(
                "The model says it itself (it rescales or normalises its input): the pictures "
                "you draw are given to it as it expects. Nothing to choose."
            )
            said.setWordWrap(True)
            lay.addWidget(said)
            return box
        ask = QLabel(
            "The file does not say which values its pictures had in training. Choose the ones "
            "it was trained on (a wrong choice gives wrong votes, nothing worse):"
        )
        ask.setWordWrap(True)
        lay.addWidget(ask)
        for key, label, _range in RANGE_CHOICES:
            b = QRadioButton(label)
            self._group.addButton(b)
            self.range_buttons[key] = b
            lay.addWidget(b)
        mean_hint, std_hint = MEAN_STD_HINTS.get(self.channels, ("", ""))
        per = " (one, or one a channel)" if self.channels > 1 else ""
        self.mean_edit, self.std_edit = QLineEdit(), QLineEdit()
        self.mean_edit.setPlaceholderText(f"e.g. {mean_hint}")
        self.std_edit.setPlaceholderText(f"e.g. {std_hint}")
        numbers = QWidget()
        form = QFormLayout(numbers)
        form.setContentsMargins(24, 0, 0, 0)
        form.addRow(f"Mean{per}:", self.mean_edit)
        form.addRow(f"Std{per}:", self.std_edit)
        lay.addWidget(numbers)
        for edit in (self.mean_edit, self.std_edit):  # typing numbers chooses mean and std
            edit.textEdited.connect(lambda _t: self.range_buttons["mean/std"].setChecked(True))
        self.range_buttons[PRESELECTED].setChecked(True)
        return box

    def _classes_box(self, found: list[str] | None) -> QGroupBox:
        box = QGroupBox("Class names")
        lay = QVBoxLayout(box)
        where = (
            "Found for this model; change them if they are not right."
            if found
            else "The file does not name its classes. Type them in vote order, or leave this "
            "empty to number them."
        )
        note = QLabel(f"{self.count} classes, comma-separated. {where}")
        note.setWordWrap(True)
        lay.addWidget(note)
        self.classes_edit = QLineEdit(", ".join(found or []))
        shown = ", ".join(str(i) for i in range(min(self.count, 4)))
        self.classes_edit.setPlaceholderText(f"{shown}{', …' if self.count > 4 else ''}")
        lay.addWidget(self.classes_edit)
        return box

    # ---- answers ---------------------------------------------------------------------------
    def choose_range(self, key: str) -> None:
        """Choose one of RANGE_CHOICES by its key (as a person clicks it)."""
        self.range_buttons[key].setChecked(True)

    def chosen_range(self) -> str | None:
        return next((k for k, b in self.range_buttons.items() if b.isChecked()), None)

    def answers(self) -> dict:
        """The keyword arguments for core.importing.import_model; ConvvizError (one line)
        when what was typed does not fit."""
        from convviz.core.importing import parse_numbers

        out: dict = {"value_range": None, "mean": None, "std": None, "classes": None}
        key = self.chosen_range()
        if key == "mean/std":
            mean, std = self.mean_edit.text().strip(), self.std_edit.text().strip()
            if not mean or not std:
                raise ConvvizError("type a mean and a standard deviation (or choose a range)")
            out["mean"], out["std"] = parse_numbers(mean, "mean"), parse_numbers(std, "std")
        elif key is not None:
            out["value_range"] = dict((k, r) for k, _l, r in RANGE_CHOICES)[key]
        names = parse_class_names(self.classes_edit.text())
        if names is not None:
            if len(names) != self.count or not all(names):
                raise ConvvizError(
                    f"the model votes for {self.count} classes: type {self.count} names "
                    f"separated by commas (got {len([n for n in names if n])}), or none"
                )
            out["classes"] = names
        return out

    def _accept(self) -> None:
        try:
            self._answers = self.answers()
        except ConvvizError as e:
            self.message.setText(str(e))
            return
        self.accept()


# the report is the command line's; where it tells how to answer there, the window says its own
CLI_HINTS = {
    "say --range or --mean/--std if the model was trained otherwise": (
        "open it again with File > Open model… to choose otherwise"
    ),
    "give --classes to name them": "name them when opening it",
}


def window_words(line: str) -> str:
    for cli, window in CLI_HINTS.items():
        line = line.replace(cli, window)
    return line


class ImportReport(QDialog):
    """The import report: what in the file became which convviz layer. Selectable, with Copy."""

    def __init__(self, parent: QWidget | None, title: str, lines: list[str]):
        super().__init__(parent)
        self.setWindowTitle(f"Import report: {title}")
        self.resize(720, 360)
        lay = QVBoxLayout(self)
        self.text = QPlainTextEdit("\n".join(window_words(line) for line in lines))
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        lay.addWidget(self.text)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = QPushButton("Copy")
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(self.copy)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        lay.addWidget(buttons)

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.text.toPlainText())
