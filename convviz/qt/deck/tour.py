"""The guided tour (Help > Guided tour): the lesson's steps shown on the live app.

    GuidedTour(window)   the controller: start(), next(), back(), go(i), end(); step_changed(int),
                         ended(); `index`, `steps` (tour_steps.STEPS)
    TourCard             the small card floating over the canvas: step counter, title, text,
                         Back / Next / End. Not modal: the app stays usable underneath.
    Highlight            an accent frame drawn over the panel a step talks about; it flashes
                         when the step opens, then stays, and follows the panel as it moves.

The early steps switch to the xo network and put the lesson's X on the canvas. When the tour
ends, a check box on the card (on by default) brings back the network and drawing the person
had before; unticked, the xo network and the X stay, and the status bar says so.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QEvent, QObject, QRect, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QKeySequence, QPainter, QPen, QShortcut
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
from .tour_steps import CANVAS, STEPS, TRAIN_MENU, TourStep, xo_loaded

FLASH_MS, FLASH_TICK_MS = 1600, 40  # the frame pulses this long after a step opens
FRAME_PX = 5
CARD_GAP = 44  # px between the card and the canvas's bottom edge


class Highlight(QWidget):
    """A frame around a rectangle of the main window, drawn above the docks, never in the way
    of the mouse."""

    def __init__(self, window: QWidget):
        super().__init__(window)
        self.setAttribute(Qt.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WA_NoSystemBackground)
        self.target: QWidget | None = None
        self.menu_rect: QRect | None = None  # for a menu title: a rectangle, not a widget
        self.strength = 1.0
        self.stopped = False
        self._flash_left = 0
        self._timer = QTimer(self)
        self._timer.setInterval(FLASH_TICK_MS)
        self._timer.timeout.connect(self._tick)
        window.installEventFilter(self)
        self.hide()

    def point_at(self, target: QWidget | None, menu_rect: QRect | None = None) -> None:
        if self.target is not None:
            self.target.removeEventFilter(self)
        self.target, self.menu_rect = target, menu_rect
        if target is not None:
            target.installEventFilter(self)
        self.follow()
        self._flash_left = FLASH_MS
        self._timer.start()

    def target_rect(self) -> QRect | None:
        """The highlighted area in the window's coordinates (None: nothing visible to frame)."""
        window = self.parentWidget()
        if self.menu_rect is not None:
            return self.menu_rect
        t = self.target
        if t is None or not t.isVisible() or t.isWindow():  # a floating dock: out of reach
            return None
        return QRect(t.mapTo(window, t.rect().topLeft()), t.size())

    def stop(self) -> None:
        """Hide for good: a move or resize after the tour must not bring the frame back."""
        self.stopped = True
        self._timer.stop()
        if self.target is not None:
            self.target.removeEventFilter(self)
        self.parentWidget().removeEventFilter(self)
        self.hide()

    def follow(self) -> None:
        rect = self.target_rect()
        if rect is None or self.stopped:
            self.hide()
            return
        # (within the window: a frame round the menu bar's Train title reached above it)
        self.setGeometry(rect.adjusted(-2, -2, 2, 2).intersected(self.parentWidget().rect()))
        self.show()
        self.raise_()

    def eventFilter(self, obj, event):  # Qt's name
        if event.type() in (QEvent.Move, QEvent.Resize, QEvent.Show, QEvent.Hide):
            QTimer.singleShot(0, self.follow)  # after the layout has settled
        return False

    def _tick(self) -> None:
        self._flash_left -= FLASH_TICK_MS
        if self._flash_left <= 0:
            self._timer.stop()
            self.strength = 1.0
        else:  # three pulses, fading between bright and half
            phase = (FLASH_MS - self._flash_left) / FLASH_MS * 3 * 2 * math.pi
            self.strength = 0.55 + 0.45 * math.cos(phase)
        self.update()

    def paintEvent(self, event):
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing)
        colour = QColor(theme.ACCENT)
        colour.setAlphaF(self.strength)
        p.setPen(QPen(colour, FRAME_PX))
        p.setBrush(Qt.NoBrush)
        half = FRAME_PX / 2
        p.drawRoundedRect(self.rect().toRectF().adjusted(half, half, -half, -half), 6, 6)


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
        self.scroll.setStyleSheet(
            "#tourText, #tourText > QWidget > QWidget { background: transparent; }"
        )
        self.scroll.setWidget(self.body)
        self.restore_box = QCheckBox("At the end, go back to my network and drawing", self)
        self.restore_box.setChecked(True)
        self.restore_box.hide()
        self.back_button = QPushButton("◀  Back", self)
        self.next_button = QPushButton("Next  ▶", self)
        self.next_button.setDefault(True)
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
        m = self.layout().contentsMargins()
        inner = self.WIDTH - m.left() - m.right()
        others = self.layout().totalMinimumSize().height() - self.scroll.minimumSizeHint().height()
        need = others + self.body.heightForWidth(inner) + 2
        least = others + 3 * self.body.fontMetrics().height()
        self.setFixedHeight(max(min(need, max_height), least))

    def place(self, avoid: QRect | None = None) -> None:
        """At the bottom of the window, on the side away from `avoid` (the highlighted area):
        the card never hides what its words are about."""
        window = self.parentWidget()
        bottom = window.centralWidget().geometry().bottom() - self.height() - CARD_GAP
        centre = window.width() / 2 if avoid is None else avoid.center().x()
        left_side = centre > window.width() / 2
        x = 12 if left_side else window.width() - self.width() - 12
        self.move(max(0, x), max(window.menuBar().height() + 4, bottom))
        self.raise_()


class GuidedTour(QObject):
    step_changed = Signal(int)
    ended = Signal()

    def __init__(self, window, steps: list[TourStep] | None = None):
        super().__init__(window)
        self.window = window
        self.steps = list(steps or STEPS)
        self.index = -1
        self.pending = False  # the step's setup waits for the network's next trace
        self.before = None  # (model, source, preset name, ink) before the tour changed them
        self.card = TourCard(window)
        self.highlight = Highlight(window)
        self.card.next_button.clicked.connect(self.next)
        self.card.back_button.clicked.connect(self.back)
        self.card.end_button.clicked.connect(self.end)
        # a presenter's clicker sends Page Down / Page Up
        for keys, slot in (("PgDown", self.next), ("PgUp", self.back), ("Esc", self.end)):
            QShortcut(QKeySequence(keys), self.card, slot, context=Qt.WindowShortcut)
        window.session.trace_changed.connect(self._retry_setup)
        window.installEventFilter(self)

    # ---- moving through the steps ------------------------------------------------------------
    def start(self) -> None:
        self.go(max(self.index, 0))
        self.card.show()

    def next(self) -> None:
        if self.index >= len(self.steps) - 1:
            self.end()
        else:
            self.go(self.index + 1)

    def back(self) -> None:
        if self.index > 0:
            self.go(self.index - 1)

    def go(self, i: int) -> None:
        step = self.steps[i]
        self.index = i
        if step.uses_xo:
            self._remember_before()
        self.card.show_step(
            step, i, len(self.steps), restore=self.before is not None, max_height=self._room()
        )
        self._point_at(step)
        self.card.place(self.highlight.target_rect())
        self.pending = step.setup is not None and not step.setup(self.window)
        self.step_changed.emit(i)

    def _room(self) -> int:
        """The card's greatest height: from under the menu bar to the canvas's bottom."""
        w = self.window
        return max(160, w.centralWidget().geometry().bottom() - CARD_GAP - w.menuBar().height() - 4)

    def _point_at(self, step: TourStep) -> None:
        w = self.window
        if step.front in w.docks:  # (the last step left Architecture, the one before, in front)
            w.docks[step.front].show()
            w.docks[step.front].raise_()
        if step.target == CANVAS:
            self.highlight.point_at(w.centralWidget())
        elif step.target == TRAIN_MENU:
            bar = w.menuBar()
            r = bar.actionGeometry(w.train_menu.menuAction())
            self.highlight.point_at(None, QRect(bar.mapTo(w, r.topLeft()), r.size()))
        else:
            dock = w.docks[step.target]
            dock.show()
            dock.raise_()  # brings its tab to the front
            self.highlight.point_at(dock)
        self.card.raise_()

    def _retry_setup(self, _trace) -> None:
        if self.pending and 0 <= self.index < len(self.steps):
            self.pending = not self.steps[self.index].setup(self.window)

    def eventFilter(self, obj, event):
        if event.type() == QEvent.Resize and self.card.isVisible():
            self.card.fit(self._room())
            self.card.place(self.highlight.target_rect())
        return False

    # ---- before and after ----------------------------------------------------------------------
    def _remember_before(self) -> None:
        """Keep what the tour is about to replace, so that ending can give it back."""
        s = self.window.session
        if self.before is None and not xo_loaded(self.window):
            self.before = (s.model, s.source, s.preset_name, s.canvas.ink.copy())

    def end(self) -> None:
        """Close the card and the frame; give back the person's network and drawing if asked."""
        self.pending = False
        pooling = self.window.panels.get("pooling")
        if pooling is not None:
            pooling.pause()
        self.card.hide()
        self.highlight.stop()
        self.window.session.trace_changed.disconnect(self._retry_setup)
        self.window.removeEventFilter(self)
        if (
            self.before is not None and self.card.restore_box.isChecked() and xo_loaded(self.window)
        ):  # (not if the person picked another network meanwhile)
            self._give_back()
        elif self.before is not None:
            self.window.tell(
                "The tour left the X-or-O network and the lesson's X loaded; the Model menu "
                "switches networks."
            )
        self.card.deleteLater()
        self.highlight.deleteLater()
        self.ended.emit()
        self.deleteLater()

    def _give_back(self) -> None:
        model, source, preset_name, ink = self.before
        s = self.window.session
        if model is not None:
            s.set_model(model, source=source)
            s.preset_name = preset_name
        else:  # the tour began while the first network was still loading
            s.load_preset(preset_name, background=self.window.background)
        if ink.shape == s.canvas.ink.shape and not np.array_equal(ink, s.canvas.ink):
            s.canvas.set_ink(ink)
        self.window.tell("Tour ended: your network and drawing are back.", note=True)
