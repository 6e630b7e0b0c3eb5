"""The architecture editor: the one Qt view of core/layer_rows.LayerRows.

At the top the input (rows, cols, channels, value range); then every row with its kind, its
fields edited in place and what it gives, checked on every keystroke; then the buttons (add,
remove, duplicate, up, down, wrap in a residual block, unwrap) acting on the rows ticked.
Used by the Architecture panel and the training dialog.

    editor = LayerListEditor()
    editor.set_spec(spec)             # the rows of a network
    editor.changed.connect(...)       # after every edit; editor.checked has the result
    editor.checked.spec               # the network, or None (editor.checked.reason says why)
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ...core.errors import SpecError
from ...core.layer_rows import DEFAULT_BLOCK, INPUT_FIELDS, LayerRows, Path, row_kinds
from ...core.layer_rows_check import VOTES, Checked
from ...core.layers import description, words
from ...core.spec import NetworkSpec
from .flow_layout import FlowLayout
from .layer_list_row import REFUSED_COLOUR, FieldEdit, RowLine

INPUT_WORDS = {
    "rows": ("Input: rows", "Rows of the input picture (its height)"),
    "cols": ("cols", "Columns of the input picture (its width)"),
    "channels": ("channels", "1 for grayscale, 3 for colour (red, green, blue)"),
    "low": ("values", "The value of the background (an empty canvas)"),
    "high": ("to", "The value of full ink"),
}


class _FlowBox(QWidget):
    """Widgets that wrap onto more lines in a narrow room, and ask for the height of all their
    lines even when the room around them is short (a squeezed editor in the training dialog
    drew its second line of buttons over the words below it)."""

    _lines_height = -1

    def minimumSizeHint(self) -> QSize:
        least = self.layout().minimumSize()
        width = max(self.width(), least.width())
        return QSize(least.width(), self.layout().heightForWidth(width))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        h = self.layout().heightForWidth(self.width())
        if h != self._lines_height:
            self._lines_height = h
            self.updateGeometry()


def _flow_box(parent, widgets) -> QWidget:
    box = _FlowBox(parent)
    flow = FlowLayout(box, spacing=4)
    flow.setContentsMargins(0, 0, 0, 0)
    for w in widgets:
        w.setParent(box)
        flow.addWidget(w)
    return box


class LayerListEditor(QWidget):
    changed = Signal()

    def __init__(self, parent=None, rows_height: int = 160):
        """`rows_height`: the least height of the scrolling list of rows (px)."""
        super().__init__(parent)
        self.model: LayerRows | None = None
        self.checked: Checked | None = None
        self.lines: dict[Path, RowLine] = {}
        self.votes: RowLine | None = None
        col = QVBoxLayout(self)
        col.setContentsMargins(0, 0, 0, 0)
        self.inputs: dict[str, QLineEdit] = {}
        fields = []
        for name in INPUT_FIELDS:
            label, tip = INPUT_WORDS[name]
            f = FieldEdit(label, "", "", tip)
            f.edit.textEdited.connect(lambda text, n=name: self._input_edited(n, text))
            self.inputs[name] = f.edit
            fields.append(f)
        self.input_row = _flow_box(self, fields)
        col.addWidget(self.input_row)
        self.input_note = QLabel(self)
        self.input_note.setObjectName("hint")
        self.input_note.setWordWrap(True)
        col.addWidget(self.input_note)

        self.scroll = QScrollArea(self)
        self.scroll.setWidgetResizable(True)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setMinimumHeight(rows_height)
        col.addWidget(self.scroll, 1)
        col.addWidget(self._make_buttons())
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.setStyleSheet(f"color: {REFUSED_COLOUR};")
        self.message.hide()  # shown only with a refusal of a button's change
        col.addWidget(self.message)

    def _make_buttons(self) -> QWidget:
        self.add_kind = QComboBox(self)
        self.add_kind.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        for name in row_kinds():
            self.add_kind.addItem(name, name)
            tip = f"{words(name)[0]}: {description(name)}"
            self.add_kind.setItemData(self.add_kind.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        self.add_kind.setToolTip("The kind of the row Add makes")
        buttons = [
            ("add_button", "Add", "Add a row of the chosen kind after the ticked row", self.add),
            ("remove_button", "Remove", "Remove the ticked rows", self.remove),
            ("duplicate_button", "Duplicate", "Copy the ticked rows", self.duplicate),
            ("up_button", "Up", "Move the ticked rows up", lambda: self.move(-1)),
            ("down_button", "Down", "Move the ticked rows down", lambda: self.move(+1)),
            (
                "wrap_button",
                "Wrap in residual block",
                "Put the ticked rows (one after the other) in a residual block: "
                + description(DEFAULT_BLOCK),
                self.wrap,
            ),
            ("unwrap_button", "Unwrap", "Take the ticked block's rows out of it", self.unwrap),
        ]
        made = [self.add_kind]
        for attr, text, tip, slot in buttons:
            b = QPushButton(text, self)
            b.setToolTip(tip)
            b.clicked.connect(lambda _c=False, s=slot: s())
            setattr(self, attr, b)
            made.append(b)
        return _flow_box(self, made)

    # ---- the interface -----------------------------------------------------------------
    def set_spec(self, spec: NetworkSpec) -> None:
        """The rows of `spec` (a loaded network): each remembers its layer for Apply."""
        self.model = LayerRows.from_spec(spec)
        self._show_input()
        self._rebuild()

    def fill(self, spec: NetworkSpec) -> None:
        """The rows of `spec` (the quick form's), keeping the loaded network as the base."""
        if self.model is None:
            self.model = LayerRows(spec)
        self.model.replace_rows(spec)
        self._show_input()
        self._rebuild()

    def selected(self) -> list[Path]:
        return [p for p, line in self.lines.items() if line.selected()]

    def select(self, paths) -> None:
        for p, line in self.lines.items():
            line.select.setChecked(p in set(paths))

    # ---- the buttons --------------------------------------------------------------------
    def _do(self, change) -> None:
        """Run one change of the rows; a refusal (SpecError) is said under the buttons."""
        if self.model is None:
            return
        self.message.clear()
        self.message.hide()
        try:
            chosen = change()
        except SpecError as e:
            self.message.setText(str(e))
            self.message.show()
            return
        self._rebuild()
        self.select(chosen or [])

    def add(self) -> None:
        sel = self.selected()
        self._do(lambda: [self.model.add(self.add_kind.currentData(), sel[-1] if sel else None)])

    def remove(self) -> None:
        def change():
            for p in sorted(self._chosen(), reverse=True):
                self.model.remove(p)

        self._do(change)

    def duplicate(self) -> None:
        self._do(lambda: [self.model.duplicate(p) for p in sorted(self._chosen(), reverse=True)])

    def move(self, step: int) -> None:
        def change():
            order = sorted(self._chosen(), reverse=step > 0)
            return [self.model.move(p, step) for p in order]

        self._do(change)

    def wrap(self) -> None:
        self._do(lambda: [self.model.wrap_chosen(self._chosen())])

    def unwrap(self) -> None:
        self._do(lambda: [self.model.unwrap(p) for p in sorted(self._chosen(), reverse=True)])

    def _chosen(self) -> list[Path]:
        sel = self.selected()
        if not sel:
            raise SpecError("tick a row first (the box with its number)")
        return sel

    # ---- showing ------------------------------------------------------------------------
    def _show_input(self) -> None:
        for name, edit in self.inputs.items():
            edit.setText(self.model.input[name])
        kind = self.model.base.input_kind
        self.input_note.setText(
            "" if kind == "picture" else f"The input is a {kind}: time across, frequency up."
        )
        self.input_note.setVisible(bool(self.input_note.text()))

    def _rebuild(self) -> None:
        """New row widgets for the rows as they are now (after a change of the rows)."""
        old = self.scroll.takeWidget()
        if old is not None:
            old.deleteLater()
        inner = QWidget()
        col = QVBoxLayout(inner)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(2)
        self.lines = {}

        def place(rows, prefix, depth):
            for i, row in enumerate(rows):
                path = (*prefix, i)
                line = RowLine(row, path, depth, inner)
                line.edited.connect(self._edited)
                line.kind_chosen.connect(self._kind_chosen)
                self.lines[path] = line
                col.addWidget(line)
                if row.is_block:
                    place(row.rows, path, depth + 1)

        place(self.model.rows, (), 0)
        self.votes = RowLine(None, None, 0, inner)
        col.addWidget(self.votes)
        col.addStretch(1)
        self.scroll.setWidget(inner)
        self.recheck()

    def recheck(self) -> None:
        """Every row's result again (after a keystroke: the row widgets stay)."""
        self.checked = self.model.lines()
        by_name = {ln.name: ln.path for ln in self.checked.lines if ln.path is not None}
        parts: dict[Path, list] = {}
        for ln in self.checked.lines:
            if ln.path is None and ln.name != VOTES:
                block = by_name.get(ln.name.rpartition(".")[0])
                parts.setdefault(block, []).append(ln)
        for ln in self.checked.lines:
            if ln.path is not None and ln.path in self.lines:
                self.lines[ln.path].show_line(ln, parts.get(ln.path, []))
            elif ln.name == VOTES and self.votes is not None:
                self.votes.show_line(ln)
        bad = self.checked.input_reason
        for edit in self.inputs.values():
            edit.setStyleSheet(f"border: 2px solid {REFUSED_COLOUR};" if bad else "")
        self.input_row.setToolTip(bad)
        self.changed.emit()

    def _edited(self, path: Path, name: str, text: str) -> None:
        self.model.set_text(path, name, text)
        self.recheck()

    def _kind_chosen(self, path: Path, kind: str) -> None:
        self._do(lambda: (self.model.set_kind(path, kind), [path])[1])

    def _input_edited(self, name: str, text: str) -> None:
        if self.model is not None:
            self.model.set_input(name, text)
            self.recheck()
