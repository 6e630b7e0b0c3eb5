"""One line of the architecture editor (widgets/layer_list.py): a row's kind and its fields as
small text fields, then what the row gives (shape, parameters, the formulas with the numbers)
or, for a row that cannot be, its reason in words, marked in colour too.

The fields are the kind's declared ones (core/layers registry, asked through core/layer_rows):
nothing here knows one kind from another.
"""

from __future__ import annotations

import json

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ...core.layer_rows import Path, Row, default_text, number_text, row_kinds, text_fields
from ...core.layer_rows_check import REFUSED, UNKNOWN, Line
from ...core.layers import description, kind_named, words
from .flow_layout import FlowLayout

REFUSED_COLOUR = "#d8323f"  # reads on the dark and the light theme
INDENT = 22  # px per level of blocks
# a field is as wide as this text, or its own text up to MAX_FIELD_CHARS characters
FIELD_WIDTH_TEXT = "000"
MAX_FIELD_CHARS = 12
MARK_WIDTH = 4  # px: the bar down the left of a refused row (painted: see paintEvent)


def shape_text(shape) -> str:
    return "×".join(map(str, shape))


def result_text(line: Line, parts: list[Line] = ()) -> str:
    """What a line says under its row, in words (the colour only repeats it)."""
    if line.state == REFUSED:
        return f"✗ Not possible: {line.reason}"
    if line.state == UNKNOWN:
        return "? Unknown until the rows above it fit."
    if line.shape is None:
        return "fits (inside the block)"
    bits = [f"→ {shape_text(line.shape)}", f"{line.params:,} parameters"]
    if line.formula:
        bits.append(line.formula)
    if line.params_formula:
        bits.append(line.params_formula)
    for p in parts:  # a block's parts that are no row: its skip path
        label = words(p.kind)[0]
        bits.append(
            f"{label}: {p.formula}" + (f" ({p.params_formula})" if p.params_formula else "")
        )
    return " · ".join(bits)


def _nested_numbers(text: str) -> tuple[list[int], list] | None:
    """A field's text that is a list of lists of numbers (a convolution's hand-made features):
    its shape and the list; None for any other text."""
    if not text.lstrip().startswith("[["):
        return None
    try:
        value = json.loads(text)
    except ValueError:  # typed by hand and not read yet: shown as typed
        return None
    shape, x = [], value
    while isinstance(x, list):
        shape.append(len(x))
        x = x[0] if x else None
    return shape, value


def numbers_summary(text: str) -> tuple[str, str] | None:
    """(words, the numbers laid out) for a field holding a list of lists, which a small field
    showed as its tail ("0,-1.0,-1.0]]]"); None for a text a field shows as it is."""
    found = _nested_numbers(text)
    if found is None:
        return None
    shape, value = found

    def line(row) -> str:
        return "  ".join(number_text(float(v)) for v in row) if isinstance(row, list) else "?"

    if len(shape) == 3:  # [grid][row][col]
        n, rows, cols = shape
        words = f"{n} {'grid' if n == 1 else 'grids'} of {rows}×{cols} weights"
        grids = [f"{i + 1}:\n" + "\n".join(line(r) for r in g) for i, g in enumerate(value)]
        return words, "\n\n".join(grids)
    return f"{'×'.join(map(str, shape))} numbers", text


def _shown(row: Row, name: str) -> bool:
    """An optional field left empty whose kind gives it no default (the deck's hand-made
    features) is an extra a person rarely types: it stays out of the row; a value loaded keeps
    it there."""
    required = any(f.name == name and f.required for f in kind_named(row.kind).fields)
    return required or bool(row.text(name)) or bool(default_text(row.kind, name))


class FieldEdit(QWidget):
    """A field's name and its text, kept together when the row wraps. A text holding a list of
    lists (numbers_summary) is shown in words instead, its numbers in the tooltip, with a Clear
    button that empties the field and gives it an (empty) text field again."""

    cleared = Signal()

    def __init__(self, name: str, text: str, placeholder: str, tip: str, parent=None):
        super().__init__(parent)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(3)
        self.label = QLabel(name, self)
        summary = numbers_summary(text)
        self.edit = QLineEdit("" if summary else text, self)
        self.edit.setPlaceholderText(placeholder)
        self.edit.setToolTip(tip)
        self.edit.setObjectName(f"field_{name}")
        fm = self.edit.fontMetrics()
        longest = max(self.edit.text(), placeholder, FIELD_WIDTH_TEXT, key=len)[:MAX_FIELD_CHARS]
        self.edit.setFixedWidth(fm.horizontalAdvance(longest + "0") + 12)
        lay.addWidget(self.label)
        lay.addWidget(self.edit)
        self.summary: QLabel | None = None
        if summary is not None:  # too long for a field: it showed its tail, "0,-1.0,-1.0]]]"
            words, numbers = summary
            self.summary = QLabel(words, self)
            self.summary.setToolTip(f"{tip}\n\n{numbers}")
            self.clear_button = QToolButton(self)
            self.clear_button.setText("Clear")
            self.clear_button.setToolTip(f"Empty the field {name} (as deleting its text would)")
            self.clear_button.clicked.connect(self._clear)
            lay.addWidget(self.summary)
            lay.addWidget(self.clear_button)
            self.edit.hide()

    def _clear(self) -> None:
        self.summary.hide()
        self.clear_button.hide()
        self.edit.show()
        self.cleared.emit()


class RowLine(QFrame):
    """One row of the list (path set) or the votes (path None)."""

    edited = Signal(tuple, str, str)  # path, field, text
    kind_chosen = Signal(tuple, str)  # path, kind

    def __init__(self, row: Row | None, path: Path | None, depth: int, parent=None):
        super().__init__(parent)
        self.row, self.path = row, path
        self.setObjectName("layerRow")
        self.state = ""
        self.fields: dict[str, QLineEdit] = {}
        self.field_boxes: dict[str, FieldEdit] = {}  # each field's name, text (or words)
        col = QVBoxLayout(self)
        col.setContentsMargins(MARK_WIDTH + 4 + INDENT * depth, 3, 4, 3)
        col.setSpacing(2)
        top = QWidget(self)
        flow = FlowLayout(top, spacing=4)
        flow.setContentsMargins(0, 0, 0, 0)
        self.select = None
        self.kind = None
        self.title = None  # a block's or the votes' words in place of a kind
        if path is None:
            self.title = QLabel("votes (fully connected: one neuron per class)", top)
            flow.addWidget(self.title)
        else:
            self.select = QCheckBox(".".join(str(i + 1) for i in path), top)
            self.select.setToolTip("Choose this row for the buttons below the list")
            flow.addWidget(self.select)
            if row.is_block:
                self.title = QLabel(f"{words(row.kind)[0]} (its rows below)", top)
                bold = QFont(self.title.font())
                bold.setBold(True)
                self.title.setFont(bold)
                self.title.setToolTip(description(row.kind))
                flow.addWidget(self.title)
            else:
                flow.addWidget(self._kind_combo(row, top))
            for name in text_fields(row.kind):
                if _shown(row, name):
                    flow.addWidget(self._field(row, name, top))
        col.addWidget(top)
        self.result = QLabel(self)
        self.result.setWordWrap(True)
        self.result.setObjectName("layerResult")
        col.addWidget(self.result)

    def _kind_combo(self, row: Row, parent) -> QComboBox:
        self.kind = QComboBox(parent)
        # the kind's own short name keeps the row narrow; its words are in the tooltips
        self.kind.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        for name in row_kinds():
            self.kind.addItem(name, name)
            tip = f"{words(name)[0]}: {description(name)}"
            self.kind.setItemData(self.kind.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        self.kind.setCurrentIndex(self.kind.findData(row.kind))
        self.kind.setToolTip(f"{words(row.kind)[0]}: {description(row.kind)}")
        self.kind.currentIndexChanged.connect(
            lambda _i: self.kind_chosen.emit(self.path, self.kind.currentData())
        )
        return self.kind

    def _field(self, row: Row, name: str, parent) -> FieldEdit:
        default = default_text(row.kind, name)
        choices = next((f.choices for f in kind_named(row.kind).fields if f.name == name), ())
        what = (
            " or ".join(choices)  # a word field (a pooling's edge)
            if choices
            else "a whole number, two as 3x5 (rows x cols) where the kind allows, yes or no"
        )
        tip = f"{name}: {what}" + (f"; empty means {default}" if default else "")
        f = FieldEdit(name, row.text(name), default, tip, parent)
        f.edit.textEdited.connect(lambda text, n=name: self.edited.emit(self.path, n, text))
        f.cleared.connect(lambda n=name: self.edited.emit(self.path, n, ""))
        self.field_boxes[name] = f
        self.fields[name] = f.edit
        return f

    def selected(self) -> bool:
        return self.select is not None and self.select.isChecked()

    def show_line(self, line: Line, parts: list[Line] = ()) -> None:
        text = result_text(line, parts)
        self.result.setText(text)
        self.result.setToolTip(line.reason if line.state == REFUSED else "")
        if line.state == REFUSED:
            self.result.setStyleSheet(f"color: {REFUSED_COLOUR}; font-weight: bold;")
        else:
            self.result.setStyleSheet("")
        self.result.setEnabled(line.state != UNKNOWN)  # the theme's muted text: not known yet
        if line.state != self.state:
            self.state = line.state
            self.update()

    def paintEvent(self, event) -> None:
        """A thin line under the row, and a bar down the left of a refused one (painted here:
        a style sheet's border on a frame was not drawn under the app's style)."""
        super().paintEvent(event)
        p = QPainter(self)
        p.fillRect(0, self.height() - 1, self.width(), 1, QColor(128, 128, 128, 70))
        if self.state == REFUSED:
            left = self.layout().contentsMargins().left() - MARK_WIDTH - 1
            p.fillRect(max(left, 0), 0, MARK_WIDTH, self.height() - 1, QColor(REFUSED_COLOUR))
        p.end()
