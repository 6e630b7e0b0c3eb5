"""The tour's card, floating over the canvas: step counter, title, text, Back / Next / End, and
at the end a check box to go back to the person's network and drawing. Not modal: the app stays
usable underneath."""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from .. import theme
from .tour_steps import TourStep

CARD_GAP = 44  # px between the card and the canvas's bottom edge


class TourCard(QFrame):
    """The tour's card: where we are, what to look at, and the buttons."""

    WIDTH = 470

    def __init__(self, window: QWidget):
        super().__init__(window)
        self.setObjectName("tourCard")
        self.setStyleSheet(
            f"#tourCard {{ background: {theme.RAISED}; border: 2px solid {theme.ACCENT}; "
            f"border-radius: 10px; }} #tourCard QLabel {{ background: transparent; }}"
        )
        self.counter = QLabel(self)
        self.counter.setStyleSheet(f"color: {theme.ACCENT}; font-weight: bold;")
        self.title = QLabel(self)
        self.title.setStyleSheet(
            f"color: {theme.TEXT}; font-size: {theme.TOUR_TITLE_PX}px; font-weight: bold;"
        )
        self.title.setWordWrap(True)
        self.body = QLabel(self)
        self.body.setWordWrap(True)
        self.body.setTextFormat(Qt.RichText)
        self.body.setStyleSheet(f"color: {theme.TEXT}; font-size: {theme.TOUR_BODY_PX}px;")
        # the text scrolls when the window is too low for all of it (a 1024x768 projector)
        self.scroll = QScrollArea(self)
        self.scroll.setObjectName("tourText")
        self.scroll.setFrameShape(QFrame.NoFrame)
        self.scroll.setWidgetResizable(True)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        # only the viewport see-through: "#tourText > QWidget > QWidget" also matched the
        # scroll bar (in its container), which was then drawn invisible
        self.scroll.setStyleSheet(
            "#tourText, #tourText > QWidget#qt_scrollarea_viewport { background: transparent; }"
        )
        self.scroll.setWidget(self.body)
        self.restore_box = QCheckBox("At the end, go back to my network and drawing", self)
        self.restore_box.setChecked(True)
        self.restore_box.hide()
        self.back_button = QPushButton("◀  Back", self)
        self.next_button = QPushButton("Next  ▶", self)
        self.next_button.setDefault(True)
        # as wide for "Finish" as for "Next": the button stays put on the last step
        self.next_button.setMinimumWidth(self.next_button.sizeHint().width())
        self.end_button = QPushButton("End tour", self)
        buttons = QHBoxLayout()
        buttons.addWidget(self.end_button)
        buttons.addStretch(1)
        buttons.addWidget(self.back_button)
        buttons.addWidget(self.next_button)
        col = QVBoxLayout(self)
        col.setContentsMargins(18, 14, 18, 14)
        col.setSpacing(8)
        col.addWidget(self.counter)
        col.addWidget(self.title)
        col.addWidget(self.scroll, 1)
        col.addWidget(self.restore_box)
        col.addLayout(buttons)
        self.setFixedWidth(self.WIDTH)
        self.side = "left"  # where place() put it last (kept while clear of the highlight)

    def show_step(
        self,
        step: TourStep,
        index: int,
        count: int,
        restore: bool = False,
        max_height: int = 10_000,
    ) -> None:
        """Fill in the step; `restore`: show the "go back" check box; the card is as tall as
        its words need, up to `max_height` (then the words scroll)."""
        self.counter.setText(f"GUIDED TOUR  ·  STEP {index + 1} OF {count}")
        self.title.setText(step.title)
        self.body.setText(step.body)
        self.restore_box.setVisible(restore)
        self.back_button.setEnabled(index > 0)
        last = index == count - 1
        self.next_button.setText("Finish" if last else "Next  ▶")
        self.end_button.setVisible(not last)
        self.fit(max_height)

    def fit(self, max_height: int) -> None:
        """Height for the words at this width (with the fonts the style sheet gives them: the
        first step was measured before they applied, and its last line was cut)."""
        for w in (self, self.title, self.body, self.counter):
            w.ensurePolished()
        # the check box shown or hidden since the last layout: measured now, not at the next
        # layout pass (it was left out, and the text's last two lines were cut with it)
        self.layout().invalidate()
        m = self.layout().contentsMargins()
        inner = self.WIDTH - m.left() - m.right()
        others = self.layout().totalMinimumSize().height() - self.scroll.minimumSizeHint().height()
        # a title on two lines: the layout counts a wrapped label's one-line minimum
        others += self.title.heightForWidth(inner) - self.title.minimumSizeHint().height()
        need = others + self.body.heightForWidth(inner) + 2
        least = others + 3 * self.body.fontMetrics().height()
        self.setFixedHeight(max(min(need, max_height), least))

    def place(self, avoid: QRect | None = None) -> None:
        """At the bottom of the window, on a side clear of `avoid` (the highlighted area): the
        card never hides what its words are about. It stays on the side it was on while that
        side is clear (or neither is), so Next does not jump from step to step."""
        window = self.parentWidget()
        bottom = window.centralWidget().geometry().bottom() - self.height() - CARD_GAP
        y = max(window.menuBar().height() + 4, bottom)
        xs = {"left": 12, "right": max(0, window.width() - self.width() - 12)}
        other = "right" if self.side == "left" else "left"
        for side in (self.side, other):
            if avoid is None or not QRect(xs[side], y, self.width(), self.height()).intersects(
                avoid
            ):
                self.side = side
                break
        self.move(xs[self.side], y)
        self.raise_()
