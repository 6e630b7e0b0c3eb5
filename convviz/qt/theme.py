"""The look: a dark, high-contrast theme with projector-sized type, and the colour maps.

Maps use a diverging scale that is dark at zero and brighter with size, blue for negative and
orange for positive, so the deck's -1..1 maps read on a projector and after ReLU the zeros
recede. Kernels use the same hues on their own symmetric scale.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication

WINDOW = "#14171c"
PANEL = "#1b1f26"
SURFACE = "#242a33"
RAISED = "#2d3440"
BORDER = "#343b47"
TEXT = "#e8ebf0"
MUTED = "#9aa4b4"
ACCENT = "#f5a524"  # the winner, the selection, the pen
POSITIVE = "#ff8a3d"
NEGATIVE = "#4f94ff"
CANVAS_BG = "#0d1014"
CANVAS_INK = "#f7f3e8"
GRID = "#2b323c"

BASE_POINT_SIZE = 11  # readable from the back of a classroom
# type sizes in pixels, for text a widget sizes itself (everything else follows BASE_POINT_SIZE)
SIGN_PX = 30  # the big operators between the step panels' grids (× = →)
FIGURE_PX = 20  # a step panel's headline number (pooling's largest value)
FIGURE_INLINE_PX = 24  # the same, inside a sentence (filtering's sum)
CAPTION_PX = 17  # what a step panel's caption says about the current step
TOUR_TITLE_PX = 20
TOUR_BODY_PX = 16

# (position in 0..1, colour): -max .. 0 .. +max
_DIVERGING = [
    (0.00, "#d6ecff"),
    (0.22, "#5aa6ff"),
    (0.42, "#24508f"),
    (0.50, "#20262f"),
    (0.58, "#8a3f12"),
    (0.78, "#ff8a3d"),
    (1.00, "#fff0c2"),
]


def _lut(stops, n: int = 256) -> np.ndarray:
    """(n, 3) uint8 lookup table interpolated between colour stops."""
    pos = np.array([p for p, _ in stops])
    rgb = np.array([QColor(c).getRgb()[:3] for _, c in stops], dtype=np.float64)
    x = np.linspace(0.0, 1.0, n)
    return np.stack([np.interp(x, pos, rgb[:, i]) for i in range(3)], axis=1).astype(np.uint8)


DIVERGING_LUT = _lut(_DIVERGING)

# The step-by-step panels' cells, in the deck's light style: negative blue, zero near white,
# positive orange (readable when projected, and distinguishable for red-green colour blindness)
_DECK_CELLS = [
    (0.00, "#2166ac"),
    (0.25, "#92c5de"),
    (0.50, "#f7f7f7"),
    (0.75, "#f4a582"),
    (1.00, "#d6601f"),
]
DECK_CELLS_LUT = _lut(_DECK_CELLS)


def luma(lut: np.ndarray) -> np.ndarray:
    """(n,) brightness 0..1 of each colour of a LUT: to pick black or white text over it."""
    return (lut[:, :3] @ np.array([0.299, 0.587, 0.114])) / 255.0


# the training panel's loss plot: raw batch losses faint, their trend, validation, accuracy
LOSS_RAW = (150, 170, 200, 110)
LOSS_TREND = (90, 160, 255)
LOSS_VALIDATION = (255, 150, 60)
ACCURACY = (70, 200, 120)


def configure_pyqtgraph() -> None:
    """pyqtgraph's look, once: the window calls this before it makes the panels that plot (not
    at start: pyqtgraph loads after the window shows). What a panel's pictures need to be right
    (row-major images) each panel says itself, so a panel made alone is right too."""
    import pyqtgraph as pg

    pg.setConfigOptions(
        imageAxisOrder="row-major", background=PANEL, foreground=TEXT, antialias=True
    )


STYLE_SHEET = f"""
QMainWindow, QDialog {{ background: {WINDOW}; }}
QWidget {{ color: {TEXT}; }}
QMainWindow::separator {{ background: {WINDOW}; width: 6px; height: 6px; }}
QMainWindow::separator:hover {{ background: {BORDER}; }}
QDockWidget {{ titlebar-close-icon: none; font-weight: 600; }}
QDockWidget::title {{ background: {SURFACE}; padding: 7px 10px;
    border-bottom: 1px solid {BORDER}; }}
QDockWidget > QWidget {{ background: {PANEL}; }}
QMenuBar {{ background: {WINDOW}; padding: 2px; }}
QMenuBar::item {{ padding: 5px 12px; border-radius: 4px; }}
QMenuBar::item:selected {{ background: {RAISED}; }}
QMenu {{ background: {SURFACE}; border: 1px solid {BORDER}; padding: 4px; }}
QMenu::item {{ padding: 6px 28px 6px 22px; border-radius: 4px; }}
QMenu::item:selected {{ background: {RAISED}; }}
QMenu::item:disabled {{ color: {MUTED}; }}
QMenu::separator {{ height: 1px; background: {BORDER}; margin: 4px 8px; }}
QStatusBar {{ background: {WINDOW}; color: {MUTED}; border-top: 1px solid {BORDER}; }}
QStatusBar QLabel {{ color: {MUTED}; padding: 0 10px; }}
QToolButton, QPushButton {{ background: {SURFACE}; border: 1px solid {BORDER};
    border-radius: 6px; padding: 5px 10px; }}
QToolButton:hover, QPushButton:hover {{ background: {RAISED}; border-color: {MUTED}; }}
QToolButton:pressed, QPushButton:pressed, QToolButton:checked, QPushButton:checked {{
    background: {ACCENT}; color: #15181d; border-color: {ACCENT}; }}
QToolButton:disabled, QPushButton:disabled {{ color: #5b6473; }}
QToolButton::menu-indicator {{ image: none; }}
QComboBox {{ background: {SURFACE}; border: 1px solid {BORDER}; border-radius: 6px;
    padding: 4px 10px; }}
QComboBox QAbstractItemView {{ background: {SURFACE}; selection-background-color: {RAISED}; }}
QSlider::groove:horizontal {{ height: 4px; background: {BORDER}; border-radius: 2px; }}
QSlider::sub-page:horizontal {{ background: {ACCENT}; border-radius: 2px; }}
QSlider::handle:horizontal {{ background: {TEXT}; width: 14px; margin: -6px 0;
    border-radius: 7px; }}
QLabel#hint {{ color: {MUTED}; }}
QLabel#title {{ font-size: {BASE_POINT_SIZE + 3}pt; font-weight: 600; }}
QFrame#toolbar {{ background: {PANEL}; border-bottom: 1px solid {BORDER}; }}
QToolTip {{ background: {SURFACE}; color: {TEXT}; border: 1px solid {BORDER}; padding: 4px; }}
QTextBrowser {{ background: {PANEL}; border: none; }}
QScrollBar:vertical {{ background: {PANEL}; width: 10px; }}
QScrollBar::handle:vertical {{ background: {RAISED}; border-radius: 5px; min-height: 24px; }}
QScrollBar::add-line, QScrollBar::sub-line {{ height: 0; width: 0; }}
"""


def apply(app: QApplication) -> None:
    """Dark palette, larger type and the style sheet, for the whole application."""
    app.setStyle("Fusion")
    pal = QPalette()
    for role, colour in [
        (QPalette.Window, WINDOW),
        (QPalette.WindowText, TEXT),
        (QPalette.Base, PANEL),
        (QPalette.AlternateBase, SURFACE),
        (QPalette.Text, TEXT),
        (QPalette.Button, SURFACE),
        (QPalette.ButtonText, TEXT),
        (QPalette.Highlight, ACCENT),
        (QPalette.HighlightedText, "#15181d"),
        (QPalette.ToolTipBase, SURFACE),
        (QPalette.ToolTipText, TEXT),
        (QPalette.PlaceholderText, MUTED),
    ]:
        pal.setColor(role, QColor(colour))
    pal.setColor(QPalette.Disabled, QPalette.Text, QColor("#5b6473"))
    pal.setColor(QPalette.Disabled, QPalette.ButtonText, QColor("#5b6473"))
    app.setPalette(pal)
    font = QFont(app.font())
    font.setPointSize(BASE_POINT_SIZE)
    app.setFont(font)
    app.setStyleSheet(STYLE_SHEET)
