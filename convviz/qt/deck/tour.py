"""The guided tour (Help > Guided tour): the lesson's steps shown on the live app.

    GuidedTour(window)   the controller: start(), next(), back(), go(i), end(); step_changed(int),
                         ended(); `index`, `steps` (tour_steps.STEPS)
    TourCard             (tour_card.py) the small card floating over the canvas: step counter,
                         title, text, Back / Next / End. Not modal: the app stays usable.
    Highlight            (tour_highlight.py) an accent frame drawn over the panel a step talks
                         about; it flashes when the step opens, then stays, and follows it.

The early steps switch to the xo network and put the lesson's X on the canvas. When the tour
ends, a check box on the card (on by default) brings back the network and drawing the person
had before; unticked, the xo network and the X stay, and the status bar says so.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QObject, QRect, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut

from .tour_card import CARD_GAP, TourCard
from .tour_highlight import Highlight
from .tour_steps import CANVAS, STEPS, TRAIN_MENU, TourStep, xo_loaded

# a presenter's clicker sends Page Down / Page Up; at a keyboard, Return or the arrows
NEXT_KEYS = ("PgDown", "Return", "Enter", "Right")
BACK_KEYS = ("PgUp", "Left")
END_KEYS = ("Esc",)


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
        for keys, slot in ((NEXT_KEYS, self.next), (BACK_KEYS, self.back), (END_KEYS, self.end)):
            for key in keys:
                QShortcut(QKeySequence(key), self.card, slot, context=Qt.WindowShortcut)
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
