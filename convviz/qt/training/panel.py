"""The training panel: progress, pause/resume/stop, and the live loss plot (the backprop
table is in backprop.py).

Napari-like split: `LossHistory` is the plain model (lists of numbers, no Qt), `TrainingPanel`
draws it. Plot items are created once; updates only call setData, with clip-to-view and
downsampling on, so a run of many thousand batches redraws in well under a frame.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QGraphicsItem,
    QHBoxLayout,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from ...core.loss_history import LossHistory
from ...core.mosaic import nice_level
from ...core.train_process import TrainProgress
from .. import theme
from ..widgets.live_text import LiveText
from .controller import TrainingController
from .plot_room import keep_readable
from .worker import TrainOutcome

LOSS_PEN = pg.mkPen(theme.LOSS_RAW, width=1)
SMOOTH_PEN = pg.mkPen(theme.LOSS_TREND, width=2.5)
VAL_PEN = pg.mkPen(theme.LOSS_VALIDATION, width=2)
ACC_PEN = pg.mkPen(theme.ACCURACY, width=2)


def _set_bar_value(bar: QProgressBar, value: int) -> None:
    """QProgressBar.setValue repaints at once, outside the frame's one paint (~2 ms a call
    here); this lets the change wait for the next paint with everything else."""
    bar.setUpdatesEnabled(False)
    bar.setValue(value)
    bar.setUpdatesEnabled(True)
    bar.update()


def _round_up(x: float) -> float:
    """The next of 1, 1.5, 2, 2.5, 3, 4, 5, 6, 8 times a power of ten at or above x (> 0): finer
    steps than the colour scales', so the loss fills most of the plot's height."""
    return float(nice_level(x, steps=(1, 1.5, 2, 2.5, 3, 4, 5, 6, 8)))


def _format_seconds(s: float) -> str:
    s = round(s)
    return f"{s // 60} min {s % 60:02d} s" if s >= 60 else f"{s} s"


class TrainingPanel(QWidget):
    """Shows one run of a TrainingController: what it is doing, how fast, and the loss."""

    keep_requested = Signal()  # after a stopped run: use what it learned

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.history = LossHistory()
        self.controller: TrainingController | None = None
        self.ended = ""  # how the last run ended, as said ("" before the first, during one)
        # changes with every progress report: a LiveText, not a QLabel (see live_text.py)
        self.status = LiveText("Not training. Use Train > Train on folder... to start.")
        self.bar = QProgressBar()
        self.bar.setTextVisible(True)
        self.pause_button = QPushButton("Pause")
        self.pause_button.setToolTip("Hold training after the current batch; nothing is lost")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip(
            "End training after the current batch; you can keep what it learned so far"
        )
        self.keep_button = QPushButton("Keep what it learned")
        self.keep_button.setToolTip("Use the network as it was when training stopped")
        for b in (self.pause_button, self.stop_button, self.keep_button):
            b.setEnabled(False)
        self.keep_button.hide()
        self.pause_button.clicked.connect(self.toggle_pause)
        self.stop_button.clicked.connect(self.request_stop)
        self.keep_button.clicked.connect(self._keep)

        self.plots = pg.GraphicsLayoutWidget()
        self.plots.setBackground(theme.PANEL)
        # the least height that keeps both plots readable; more would push the window past a
        # 1024x768 screen once the Timeline dock shares the column with this one
        self.plots.setMinimumHeight(150)
        self.loss_plot = self.plots.addPlot(row=0, col=0)
        self.acc_plot = self.plots.addPlot(row=1, col=0)
        self.plots.ci.layout.setRowStretchFactor(0, 3)
        self.plots.ci.layout.setRowStretchFactor(1, 2)
        self._x_steps = None
        self._y_top = None  # the loss axis's top; it only ever grows during a run
        self._build_plot_items()
        self.plot_room = keep_readable(self.plots, self.loss_plot, self.acc_plot)  # plot_room.py

        buttons = QHBoxLayout()
        buttons.addWidget(self.bar, 1)
        buttons.addWidget(self.pause_button)
        buttons.addWidget(self.stop_button)
        buttons.addWidget(self.keep_button)
        lay = QVBoxLayout(self)
        lay.addWidget(self.status)
        lay.addLayout(buttons)
        lay.addWidget(self.plots, 1)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)

    def _build_plot_items(self) -> None:
        p = self.loss_plot
        p.setTitle("Loss (cross-entropy): lower is better", size="10pt")
        p.setLabel("left", "loss")
        p.getAxis("left").enableAutoSIPrefix(False)  # 0.05, not "50" under "loss (x0.001)"
        # horizontal lines only: a vertical grid is drawn by the x axis over the whole plot, so
        # every new loss point repainted that axis too (~1 ms an update)
        p.showGrid(x=False, y=True, alpha=0.25)
        for name in ("left", "bottom"):  # redrawn from a pixmap, not tick by tick, as the
            # curves change under them (the y axis's grid spans the whole plot)
            p.getAxis(name).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        p.addLegend(offset=(-10, 10), labelTextSize="9pt")
        # downsampled to each pixel column's lowest and highest loss: all a person can see,
        # and a path of ~2 points a pixel draws in a fifth of the time of pyqtgraph's ~10
        self.raw_curve = p.plot([], [], pen=LOSS_PEN, name="each batch", autoDownsampleFactor=1.0)
        self.smooth_curve = p.plot([], [], pen=SMOOTH_PEN, name="trend", autoDownsampleFactor=1.0)
        self.val_curve = p.plot(
            [],
            [],
            pen=VAL_PEN,
            symbol="o",
            symbolSize=7,
            symbolBrush=VAL_PEN.color(),
            name="validation",
        )
        for c in (self.raw_curve, self.smooth_curve):
            c.setClipToView(True)  # after creation: plot(clipToView=...) is not accepted
            c.setDownsampling(auto=True, method="peak")
        p.setLimits(yMin=0)
        a = self.acc_plot
        a.setTitle("Validation accuracy after each epoch", size="10pt")
        a.setLabel("left", "accuracy", units="%")
        a.setLabel("bottom", "batches trained")
        a.showGrid(x=True, y=True, alpha=0.25)
        a.setYRange(0, 100, padding=0.02)
        a.setXLink(p)
        self.acc_curve = a.plot(
            [], [], pen=ACC_PEN, symbol="s", symbolSize=7, symbolBrush=ACC_PEN.color()
        )

    # ---- wiring ----------------------------------------------------------------------------
    def attach(self, controller: TrainingController) -> None:
        self.controller = controller
        controller.started.connect(self.on_started)
        controller.started_on.connect(self.on_started_on)
        controller.progress.connect(self.on_progress)
        controller.epoch_done.connect(self.on_epoch)
        controller.paused.connect(self.on_paused)
        controller.finished.connect(self.on_finished)
        self.keep_requested.connect(controller.adopt)

    # ---- slots -----------------------------------------------------------------------------
    def on_started(self) -> None:
        self.history.clear()
        self._x_steps = None  # the x range is set from the first progress report
        self._y_top = None
        self.loss_plot.enableAutoRange()
        self._redraw()
        self.bar.setRange(0, 0)  # busy until the first batch says how many there are
        self.status.setText("Starting the trainer...")
        self.ended = ""
        self._show_paused(False)
        self.pause_button.setEnabled(True)
        self.stop_button.setEnabled(True)
        self.keep_button.hide()

    def on_started_on(self, device: str) -> None:
        if self.bar.maximum() == 0:  # no batch yet
            self.status.setText(f"Preparing the data on {device}...")

    def on_progress(self, p: TrainProgress) -> None:
        self.history.add_batches(p.losses)
        self.bar.setRange(0, p.steps)
        _set_bar_value(self.bar, p.step)
        self.status.setText(
            f"Epoch {p.epoch} of {p.epochs}, batch {p.batch} of {p.batches}  ·  loss "
            f"{p.loss:.3f}  ·  {p.images_per_second:,.0f} images/s{_threads_words(p.threads)}"
            f"  ·  about "
            f"{_format_seconds(p.seconds_left)} left"
        )
        if self._x_steps != p.steps:
            # the whole run's width from the start: the axes stay put instead of being laid out
            # again with every batch (most of the plot's cost while training)
            self._x_steps = p.steps
            self.loss_plot.setXRange(0, p.steps, padding=0.02)
            self.loss_plot.disableAutoRange(axis="x")
        self._fit_loss_axis([v for _, v in p.losses])
        self._redraw(epochs=False)

    def on_epoch(self, rep) -> None:
        self.history.add_epoch(rep.val_loss, rep.val_accuracy)
        self._fit_loss_axis([rep.val_loss] if rep.val_loss is not None else [])
        self._redraw()

    def _fit_loss_axis(self, losses) -> None:
        """Keep the loss axis still: 0 to a round number above the highest loss so far, raised
        only when a loss goes over it (losses mostly fall). An axis that rescales with every
        batch re-lays-out and repaints the whole plot each time."""
        finite = [v for v in losses if np.isfinite(v)]
        if not finite or (self._y_top is not None and max(finite) <= self._y_top):
            return
        self._y_top = _round_up(max(finite) * 1.1)
        self.loss_plot.setYRange(0, self._y_top, padding=0)
        self.loss_plot.disableAutoRange(axis="y")

    def _show_paused(self, paused: bool) -> None:
        """The button says what it will do: the state itself is the controller's."""
        self.pause_button.setText("Resume" if paused else "Pause")

    def on_paused(self, paused: bool) -> None:
        self._show_paused(paused)
        if paused:
            self.status.setText("Paused. " + self.status.text().split("  ·  ")[0])

    def on_finished(self, outcome: TrainOutcome) -> None:
        self.pause_button.setEnabled(False)
        self.stop_button.setEnabled(False)
        r = outcome.result
        if r is None:
            self.ended = f"Training failed: {outcome.error}"
            self.status.setText(self.ended)
            self.bar.setRange(0, 1)
            return
        acc = (
            f"validation accuracy {r.val_accuracy:.1%}"
            if r.val_accuracy is not None
            else "no validation images"
        )
        if r.best_epoch not in (None, len(r.epochs)):  # an earlier epoch's weights were kept
            acc += f" (kept epoch {r.best_epoch}, the best; the last had {r.last_val_accuracy:.1%})"
        if r.status == "done":
            self.bar.setValue(self.bar.maximum())
            where = f" on {r.device}" if r.device else ""
            text = f"Done: {len(r.epochs)} epochs in {_format_seconds(r.seconds)}{where}, {acc}."
            if getattr(r, "votes_only", False):
                text += " Only the votes were trained; every other layer is as it was."
        elif r.status == "diverged":
            text = f"Stopped: {r.message}."
        else:
            text = f"Stopped after {len(r.epochs)} full epochs ({acc}). Keep what it learned?"
            self.keep_button.show()
            self.keep_button.setEnabled(True)
        self.ended = text
        self.status.setText(text)

    def show_last_run(self, in_use: bool, name: str) -> None:
        """Once another network is in use, the last run's ending is said to be about the one
        it trained (`name`), not the network now shown; back to it, the plain ending again."""
        if not self.ended or self.keep_button.isEnabled():  # a run going, or Keep still asked
            return
        if in_use:
            self.status.setText(self.ended)
        else:
            self.status.setText(
                f"Not training. The last run, of {name} (not the network in use now): {self.ended}"
            )

    def toggle_pause(self) -> None:
        """Pause a running run, resume a paused one (the button and Train > Pause)."""
        c = self.controller
        if c is None or not c.is_running():
            return
        if c.is_paused():
            c.resume()
        else:
            c.pause()
        self._show_paused(c.is_paused())

    def request_stop(self) -> None:
        if self.controller:
            self.controller.request_stop()
            self.stop_button.setEnabled(False)
            self.status.setText("Stopping after this batch...")

    def _keep(self) -> None:
        self.keep_button.setEnabled(False)
        self.keep_requested.emit()
        self.ended = "The network now uses what it learned."
        self.status.setText(self.ended)

    def _redraw(self, epochs: bool = True) -> None:
        h = self.history
        self.raw_curve.setData(h.steps, h.losses)
        self.smooth_curve.setData(h.steps, h.smoothed)
        if epochs:  # the per-epoch curves change once an epoch, not with every batch
            es = np.asarray(h.epoch_steps, np.float64)
            self.val_curve.setData(es, np.asarray(h.val_loss, np.float64))
            self.acc_curve.setData(es, 100 * np.asarray(h.val_accuracy, np.float64))


def _threads_words(threads: int) -> str:
    """ "  ·  2 threads" on the CPU (the count the trainer chose or was given), "" on a GPU."""
    return f"  ·  {threads} thread{'s' if threads != 1 else ''}" if threads else ""
