"""Where it looked: a panel over the person's own drawing, with Fool it (fool_controls.py) and
What if (whatif_controls.py) under it.

Grad-CAM and saliency take one forward and one backward pass (about a millisecond on the bundled
networks), so they follow every trace while the panel is on screen. Covering up runs the network
once per patch position: it waits until the pen lifts and the drawing has settled, then runs as
a job of the session's BackgroundJobs (background.py), the window's one pattern for slow work: a
newer drawing cancels the older job at once (it stops between batches and its result is
dropped), so the newest drawing wins.
"""

from __future__ import annotations

import copy

import numpy as np
from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from convviz.core.heatmap import overlay_rgb, overlay_rgba

from ...widgets.flow_layout import WrapRow
from ...widgets.map_view import MapView

METHODS = {  # key -> (name in the app, what it shows, in the app's words)
    "occlusion": (
        "Covering up",
        "A blank square is slid over your drawing, one position at a time, and the "
        "network reads each covered-up copy. Where covering hides something the class "
        "needs, its vote drops: those places glow orange. Blue means covering that "
        "spot made the vote rise. It runs once the pen lifts.",
    ),
    "gradcam": (
        "Grad-CAM",
        "Backprop asks how much the class's vote would change if each feature map of "
        "one convolution layer grew. Maps that help the vote get a positive weight; "
        "adding up the maps times their weights, and keeping what is above zero, shows "
        "where the features that speak for the class lit up, scaled up to your canvas.",
    ),
    "saliency": (
        "Saliency",
        "Backprop all the way to the pixels: how much would the class's vote change "
        "if this one pixel were a little darker or lighter? Bright pixels are the "
        "ones the vote is most sensitive to right now: the network's sharpest focus, "
        "often speckled, because single pixels matter little on their own.",
    ),
}
SETTLE_MS = 150  # covering up starts when no change came for this long and the pen is up
ANSWER = "the answer"  # the class chooser's first entry: explain whatever the network says
JOB = "occlusion"  # the kind of the covering-up job among the session's jobs


def _combo(tip: str) -> QComboBox:
    c = QComboBox()
    c.setToolTip(tip)
    return c


class WhyPanel(QWidget):
    overlay_changed = Signal(object)  # (n, n, 4) uint8 for the canvas, or None: see EXTENSIONS

    def __init__(self, session=None, parent=None):
        super().__init__(parent)
        self.session = session
        self.spec = None
        self.explanation = None  # the core Explanation shown
        self._trace = None
        self._worker_model = None  # a copy of the network for covering-up jobs

        self.method_box = _combo("How to find where the network looked")
        for key, (name, _) in METHODS.items():
            self.method_box.addItem(name, key)
        self.class_box = _combo("The class whose vote is explained")
        self.layer_box = _combo("Grad-CAM: the convolution layer whose maps are weighed")
        self.patch_box = QSpinBox()
        self.patch_box.setToolTip("Covering up: the side of the blank square, in pixels")
        self.patch_box.setPrefix("patch ")
        self.on_canvas = QCheckBox("On the canvas")
        self.on_canvas.setToolTip("Lay the map over your drawing on the canvas too")
        # side by side while the dock is wide enough, else stacked: never a sideways scroll
        controls = WrapRow(
            (self.method_box, self.class_box, self.layer_box, self.patch_box, self.on_canvas)
        )
        self.about = QLabel(METHODS["occlusion"][1])
        self.about.setObjectName("hint")
        self.about.setWordWrap(True)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.view = MapView()

        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 6, 8, 6)
        lay.addWidget(controls)
        lay.addWidget(self.about)
        lay.addWidget(self.status)
        lay.addWidget(self.view, 3)
        self.fool = self.whatif = None
        if session is not None:  # both change the session's drawing or network
            from .fool_controls import FoolControls
            from .whatif_controls import WhatIfControls

            self.fool, self.whatif = FoolControls(session), WhatIfControls(session)
            lay.addWidget(self.fool)
            lay.addWidget(self.whatif)

        self._settle = QTimer(self, singleShot=True, interval=SETTLE_MS)
        self._settle.timeout.connect(self._start_occlusion)
        self.method_box.currentIndexChanged.connect(self._settings_changed)
        self.class_box.currentIndexChanged.connect(self._settings_changed)
        self.layer_box.currentIndexChanged.connect(self._settings_changed)
        self.patch_box.valueChanged.connect(self._settings_changed)
        self.on_canvas.toggled.connect(lambda _: self._send_overlay())
        if session is not None:
            self.set_model(session.spec, session.snapshot)

    # ---- plain calls from the session ------------------------------------------------------
    def set_model(self, spec, snapshot=None) -> None:
        from convviz.core.explain import default_patch

        self.spec, self._trace, self.explanation, self._worker_model = spec, None, None, None
        self._cancel_job()
        for box in (self.method_box, self.class_box, self.layer_box, self.patch_box):
            box.blockSignals(True)
        self.class_box.clear()
        self.class_box.addItem(ANSWER, None)
        for c in spec.classes:
            self.class_box.addItem(c, c)
        self.layer_box.clear()
        for s in spec.shapes():
            if s.kind == "conv":
                self.layer_box.addItem(s.name, s.name)
        self.layer_box.setCurrentIndex(self.layer_box.count() - 1)  # the last, by default
        side = min(spec.rows, spec.cols)  # a patch is square: it fits the shorter side
        self.patch_box.setRange(1, side)
        self.patch_box.setValue(default_patch(side)[0])
        for box in (self.method_box, self.class_box, self.layer_box, self.patch_box):
            box.blockSignals(False)
        self._show_controls()
        self.status.setText("Waiting for the network…")
        self._send_overlay()  # the old network's map no longer fits
        for part in (getattr(self, "fool", None), getattr(self, "whatif", None)):
            if part is not None:
                part.set_model()

    def show_weights(self, snapshot) -> None:
        self._worker_model = None  # covering-up jobs copy the new weights when they next run
        if self.whatif is not None:
            self.whatif.show_weights(snapshot)

    def show_trace(self, trace) -> None:
        self._trace = trace
        if self.method == "occlusion":
            self._cancel_job()  # a job on an older drawing stops and is dropped
            self._settle.start()
            if self.explanation is None:
                self.status.setText("Covering up runs once the pen lifts…")
            return
        self._explain_now(trace)

    def showEvent(self, event):
        super().showEvent(event)
        if self._trace is not None and self.method == "occlusion" and self.explanation is None:
            self._settle.start()  # a run skipped while the panel was off screen

    # ---- where it looked -------------------------------------------------------------------
    @property
    def method(self) -> str:
        return self.method_box.currentData()

    def _settings_changed(self, *_):
        self._show_controls()
        self.explanation = None
        self._send_overlay()
        if self._trace is not None:
            self.show_trace(self._trace)

    def _show_controls(self) -> None:
        self.layer_box.setVisible(self.method == "gradcam")
        self.patch_box.setVisible(self.method == "occlusion")
        self.about.setText(METHODS[self.method][1])

    def _explain_now(self, trace) -> None:
        from convviz.core.explain import explain

        model = self.session.model if self.session is not None else None
        if model is None:
            return
        layer = self.layer_box.currentData() if self.method == "gradcam" else None
        try:
            e = explain(model, trace.input, self.method, self.class_box.currentData(), layer)
        except Exception as err:  # noqa: BLE001 - e.g. a network with no convolution: said, not raised
            self.status.setText(f"Cannot explain this: {_escape(err)}")
            return
        self._show(e, trace.input)

    def _start_occlusion(self) -> None:
        s = self.session
        if s is None or s.model is None or self._trace is None:
            return
        if not self.isVisible():  # off screen (another tab in front, a closed window): the
            return  # run waits until the panel shows again (showEvent)
        if s.canvas.drawing:  # the pen is still down: wait for it to lift
            self._settle.start()
            return
        if self._worker_model is None:
            self._worker_model = copy.deepcopy(s.model)  # jobs never touch the live network
        trace = self._trace
        model, cls, patch = self._worker_model, self.class_box.currentData(), self.patch_box.value()

        def work(job):  # on the job's thread
            from convviz.core.explain import occlusion

            return occlusion(model, trace.input, cls, patch, should_stop=job.cancelled)

        self.status.setText("Covering up, one patch at a time…")
        s.jobs.submit(
            JOB,
            work,
            lambda e: self._occlusion_done(e, trace.input),
            self._occlusion_failed,
            text="Covering up the drawing…",
            cancellable=True,
        )

    def _occlusion_done(self, e, image) -> None:
        if e is not None and self.method == "occlusion":
            self._show(e, image)

    def _occlusion_failed(self, message: str) -> None:
        self.status.setText(f"Cannot explain this: {_escape(message)}")

    def _cancel_job(self) -> None:
        if self.session is not None and self.session.jobs.running(JOB):  # else: no busy signal
            self.session.jobs.cancel(JOB)

    def _show(self, e, image) -> None:
        self.explanation = e
        lo, hi = self.spec.value_range
        ink = (np.asarray(image).reshape(-1, *e.map.shape).mean(0) - lo) / (hi - lo)
        self.view.set_rgb(overlay_rgb(ink, e.map))
        self._send_overlay()
        where = f" at {e.layer}" if e.layer else f", patch {e.patch}" if e.patch else ""
        self.status.setText(
            f"{METHODS[e.method][0]}{where}: where the vote for "
            f"<b>{_escape(e.class_name)}</b> ({e.vote:+.2f}) comes from"
        )

    def choose_layer(self, name: str) -> None:
        """Grad-CAM at the convolution that made layer `name` (a conv, or the ReLU or pooling
        after it)."""
        conv = None
        for s in self.spec.shapes():
            conv = s.name if s.kind == "conv" else conv
            if s.name == name:
                break
        if conv is not None and self.layer_box.findText(conv) >= 0:
            self.layer_box.setCurrentText(conv)

    def _send_overlay(self) -> None:
        e = self.explanation
        on = self.on_canvas.isChecked() and e is not None
        self.overlay_changed.emit(overlay_rgba(e.map) if on else None)

    def wait_for_jobs(self) -> None:
        """Block until a covering-up job has ended and delivered (tests, benchmarks)."""
        if self.session is not None:
            self.session.jobs.wait(JOB)


def _escape(text: str) -> str:
    import html

    return html.escape(str(text))
