"""The centre of the window: the drawing grid with its brush and the deck's "trickier cases".

`actions` holds the QActions (undo, redo, clear, and one per trickier case) so the main window's
menus and these buttons share them, shortcuts included. A colour network gets a colour row (a
palette, a picker and the background colour: widgets/canvas_colours.py); a spectrogram
network's grid is labelled with its axes (`show_spec`).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ...core.canvas_model import CanvasModel
from ..widgets.canvas_colours import ColourRow
from ..widgets.canvas_widget import CanvasWidget
from ..widgets.flow_layout import FlowLayout

# a spectrogram network's canvas: what its axes are, and one line on what to draw
SPECTROGRAM_AXES = ("time →", "frequency ↑")
# what a drawing of each input kind (NetworkSpec.input_kind) is called, one and many: the line
# said when switching networks leaves one behind (CanvasModel.resize)
KIND_WORDS = {
    "picture": ("drawing", "drawings"),
    "spectrogram": ("sound's picture", "pictures of sounds"),
}
SPECTROGRAM_HINT = "A sound as a picture: draw a tone as a line (rising, falling, steady…)."

ROTATE_DEGREES = 10.0
SCALE_STEP = 1.2

# (key, label, tip, shortcut, how it changes the drawing)
TRICKY_CASES = [
    ("shift_left", "◀", "Shift one pixel left", "Alt+Left", lambda c: c.shift(-1, 0)),
    ("shift_right", "▶", "Shift one pixel right", "Alt+Right", lambda c: c.shift(1, 0)),
    ("shift_up", "▲", "Shift one pixel up", "Alt+Up", lambda c: c.shift(0, -1)),
    ("shift_down", "▼", "Shift one pixel down", "Alt+Down", lambda c: c.shift(0, 1)),
    (
        "rotate_left",
        "⟲",
        f"Rotate {ROTATE_DEGREES:g}° anticlockwise",
        "Alt+,",
        lambda c: c.rotate(-ROTATE_DEGREES),
    ),
    (
        "rotate_right",
        "⟳",
        f"Rotate {ROTATE_DEGREES:g}° clockwise",
        "Alt+.",
        lambda c: c.rotate(ROTATE_DEGREES),
    ),
    ("scale_up", "Bigger", "Scale the drawing up", "Alt+=", lambda c: c.scale(SCALE_STEP)),
    ("scale_down", "Smaller", "Scale the drawing down", "Alt+-", lambda c: c.scale(1 / SCALE_STEP)),
    ("thicken", "Thicker", "Thicken the strokes by a pixel", "Alt+]", lambda c: c.thicken()),
    ("thin", "Thinner", "Thin the strokes by a pixel", "Alt+[", lambda c: c.thin()),
]


def _group(*widgets) -> QWidget:
    box = QWidget()
    lay = QHBoxLayout(box)
    lay.setContentsMargins(0, 0, 0, 0)
    lay.setSpacing(5)
    for w in widgets:
        lay.addWidget(w)
    return box


def _slider(lo: int, hi: int, value: int, tip: str) -> QSlider:
    s = QSlider(Qt.Horizontal)
    s.setRange(lo, hi)
    s.setValue(value)
    s.setToolTip(tip)
    s.setFixedWidth(96)
    return s


class CanvasPanel(QWidget):
    brush_changed = Signal()
    image_dropped = Signal(str)

    def __init__(self, canvas: CanvasModel, parent=None):
        super().__init__(parent)
        self.canvas = canvas
        self.view = CanvasWidget(canvas)
        self.view.image_dropped.connect(self.image_dropped)
        self.actions: dict[str, QAction] = {}
        self._make_actions()

        self.size_slider = _slider(1, 8, 2, "Brush size in pixels")
        self.soft_slider = _slider(0, 100, 30, "Brush softness: 0 hard edge, 100 soft")
        self.size_label, self.soft_label = QLabel(), QLabel()
        for lab in (self.size_label, self.soft_label):
            lab.setMinimumWidth(40)
        self.size_slider.valueChanged.connect(self._brush_from_sliders)
        self.soft_slider.valueChanged.connect(self._brush_from_sliders)

        # groups of controls that wrap onto more rows when the window is narrow
        bar = QFrame(objectName="toolbar")
        flow = FlowLayout(bar)
        flow.setContentsMargins(12, 8, 12, 8)
        flow.addWidget(_group(QLabel("Brush"), self.size_slider, self.size_label))
        flow.addWidget(_group(QLabel("Softness"), self.soft_slider, self.soft_label))
        flow.addWidget(_group(*(self._button(k) for k in ("undo", "redo", "clear"))))
        tricky = [self._button(key) for key, *_rest in TRICKY_CASES]
        hint = QLabel("Trickier cases")
        hint.setObjectName("hint")
        flow.addWidget(_group(hint, *tricky[:4]))
        flow.addWidget(_group(*tricky[4:6]))
        flow.addWidget(_group(*tricky[6:8]))
        flow.addWidget(_group(*tricky[8:]))
        self.colours = ColourRow(canvas)  # shown for colour networks only
        flow.addWidget(self.colours)
        flow.addWidget(self.colours.background_box)
        self.colours.show_for(canvas.colourful)

        self.kind_hint = QLabel(SPECTROGRAM_HINT, alignment=Qt.AlignCenter)
        self.kind_hint.setObjectName("hint")
        self.kind_hint.setWordWrap(True)
        self.kind_hint.hide()

        self.caption = QLabel(alignment=Qt.AlignCenter)
        self.caption.setObjectName("hint")
        # wraps: unwrapped, its longest text made the canvas at least 649 px wide, which left
        # the docks beside it ~190 px on a 1024 px projector
        self.caption.setWordWrap(True)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(bar)
        lay.addWidget(self.kind_hint)
        lay.addWidget(self.view, 1)
        lay.addWidget(self.caption)
        lay.addSpacing(6)

        canvas.subscribe(self._refresh_state)
        self._brush_from_sliders()
        self._refresh_state()

    def _make_actions(self) -> None:
        def add(key, label, text, shortcut, slot):
            # `text` names it in menus and tooltips; `label` is the short text on its button
            a = QAction(text, self)
            a.setIconText(label)
            a.setToolTip(f"{text} ({QKeySequence(shortcut).toString(QKeySequence.NativeText)})")
            a.setStatusTip(text)
            a.setShortcut(QKeySequence(shortcut))
            a.triggered.connect(slot)
            self.actions[key] = a

        add("undo", "Undo", "Undo", QKeySequence.Undo, self.canvas.undo)
        add("redo", "Redo", "Redo", QKeySequence.Redo, self.canvas.redo)
        add("clear", "Clear", "Clear the drawing", "Ctrl+Backspace", self.canvas.clear)
        for key, label, tip, shortcut, change in TRICKY_CASES:
            add(key, label, tip, shortcut, lambda _=False, f=change: f(self.canvas))

    def _button(self, key: str) -> QToolButton:
        b = QToolButton()
        b.setToolButtonStyle(Qt.ToolButtonTextOnly)
        b.setDefaultAction(self.actions[key])
        b.setMinimumWidth(40)
        return b

    def _brush_from_sliders(self) -> None:
        self.canvas.brush.size = float(self.size_slider.value())
        self.canvas.brush.softness = self.soft_slider.value() / 100.0
        self.size_label.setText(f"{self.size_slider.value()} px")
        self.soft_label.setText(f"{self.soft_slider.value()}%")
        self.brush_changed.emit()

    def show_spec(self, spec) -> None:
        """Follow a new network: the colour row for a colour one, axis words and a hint for a
        spectrogram."""
        spectrogram = getattr(spec, "input_kind", "picture") == "spectrogram"
        self.view.set_axis_words(*(SPECTROGRAM_AXES if spectrogram else (None, None)))
        self.kind_hint.setVisible(spectrogram)
        self._refresh_state()

    def carry_note(self, spec) -> str:
        """One line on a drawing the last network switch did not carry ("" when carried): the
        new network reads something else, so it would give a confident, meaningless answer."""
        c = self.canvas
        if not c.left_behind:
            return ""
        old = KIND_WORDS.get(c.left_behind, ("drawing", "drawings"))[0]
        new, reads = KIND_WORDS.get(getattr(spec, "input_kind", ""), ("drawing", "drawings"))
        back = f"; your earlier {new} is back" if c.brought_back else " (switching back brings it)"
        return f"The {old} was not carried over: this network reads {reads}{back}"

    def _refresh_state(self) -> None:
        c = self.canvas
        self.actions["undo"].setEnabled(c.can_undo)
        self.actions["redo"].setEnabled(c.can_redo)
        self.colours.show_for(c.colourful)
        self.colours.refresh()  # colours set elsewhere (a demo, a test) show on the swatches
        empty = not np.any(c.ink > 0)
        self.caption.setText(
            f"{c.rows} × {c.cols} pixels{', colour' if c.colourful else ''}  ·  "
            + (
                "draw with the left button, erase with the right, or drop a picture here"
                if empty
                else "left button draws  ·  right button erases"
            )
        )

    def set_brush(self, size: float, softness: float) -> None:
        self.size_slider.setValue(round(size))
        self.soft_slider.setValue(round(softness * 100))
