"""The canvas's colour row, for a colour network: a palette of a few strong brush colours, a
picker for any other, and the background colour. It sets the CanvasModel's `colour` and
`background`; hidden by the canvas panel for grayscale networks. The background choice is its
own small widget (`background_box`), so a narrow toolbar can wrap it onto another row."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QButtonGroup, QColorDialog, QHBoxLayout, QLabel, QToolButton, QWidget

from ...core.canvas_model import CanvasModel

# (name, RGB): strong colours that stay apart from each other in every channel mix
PALETTE = (
    ("white", "#ffffff"),
    ("black", "#000000"),
    ("red", "#ff0000"),
    ("green", "#00c000"),
    ("blue", "#0000ff"),
    ("yellow", "#ffff00"),
)
SWATCH_PX = 26


def rgb01(colour: QColor) -> tuple[float, float, float]:
    """8-bit channels as 0..1 (QColor's own floats carry float32 rounding: 0.4 read 0.40000001)."""
    return (colour.red() / 255.0, colour.green() / 255.0, colour.blue() / 255.0)


def qcolour(rgb) -> QColor:
    return QColor.fromRgbF(*(min(1.0, max(0.0, float(v))) for v in rgb))


def _paint(button: QToolButton, colour: QColor) -> None:
    button.setFixedSize(SWATCH_PX, SWATCH_PX)  # a swatch, not a padded text button
    button.setStyleSheet(
        f"QToolButton {{ background: {colour.name()}; border: 1px solid #59606c; padding: 0; }}"
        f"QToolButton:checked {{ border: 3px solid #f5a524; }}"
    )


class ColourRow(QWidget):
    colour_changed = Signal()  # the brush colour or the background changed

    def __init__(self, canvas: CanvasModel, parent=None):
        super().__init__(parent)
        self.canvas = canvas
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(4)
        lay.addWidget(QLabel("Colour"))
        self.swatches: dict[str, QToolButton] = {}
        self._group = QButtonGroup(self)
        for name, hex_ in PALETTE:
            b = QToolButton(checkable=True, toolTip=f"Draw in {name}")
            b.setAccessibleName(f"brush {name}")
            _paint(b, QColor(hex_))
            b.clicked.connect(lambda _=False, c=hex_: self.set_brush_colour(QColor(c)))
            self._group.addButton(b)
            self.swatches[name] = b
            lay.addWidget(b)
        self.more = QToolButton(text="More…", toolTip="Choose any brush colour")
        self.more.clicked.connect(self.pick_brush_colour)
        lay.addWidget(self.more)
        self.background_box = QWidget()
        bg = QHBoxLayout(self.background_box)
        bg.setContentsMargins(0, 0, 0, 0)
        bg.setSpacing(4)
        bg.addWidget(QLabel("Background"))
        self.background_button = QToolButton(toolTip="Choose the background colour")
        self.background_button.setAccessibleName("background colour")
        self.background_button.clicked.connect(self.pick_background)
        bg.addWidget(self.background_button)
        self.refresh()

    def show_for(self, colourful: bool) -> None:
        self.setVisible(colourful)
        self.background_box.setVisible(colourful)

    # ---- choosing --------------------------------------------------------------------------
    def set_brush_colour(self, colour: QColor) -> None:
        self.canvas.colour = rgb01(colour)
        self.refresh()
        self.colour_changed.emit()

    def set_background(self, colour: QColor) -> None:
        self.canvas.set_background(rgb01(colour))
        self.refresh()
        self.colour_changed.emit()

    def pick_brush_colour(self) -> None:
        chosen = QColorDialog.getColor(qcolour(self.canvas.colour), self, "Brush colour")
        if chosen.isValid():
            self.set_brush_colour(chosen)

    def pick_background(self) -> None:
        chosen = QColorDialog.getColor(qcolour(self.canvas.background), self, "Background colour")
        if chosen.isValid():
            self.set_background(chosen)

    def refresh(self) -> None:
        """The swatch of the brush colour checked (none for a picked one), the background's
        button in its colour. Cheap when nothing changed (the canvas calls it at every dab)."""
        shown = (self.canvas.colour, self.canvas.background)
        if shown == getattr(self, "_shown", None):
            return
        self._shown = shown
        now = qcolour(self.canvas.colour).name()
        self._group.setExclusive(False)
        for (_name, hex_), b in zip(PALETTE, self.swatches.values(), strict=True):
            b.setChecked(QColor(hex_).name() == now)
        self._group.setExclusive(True)
        _paint(self.background_button, qcolour(self.canvas.background))
