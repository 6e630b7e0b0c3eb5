"""The picture a feature (or class) would like best: gradient ascent on the input
(core.feature_vis) from a blank picture or the drawing, on a copy of the network in the
session's background jobs; Stop keeps the best picture so far, "Onto the canvas" lets every panel
read it. A part of LearnedPanel (panel.py)."""

from __future__ import annotations

import copy
import threading

import numpy as np

from ...widgets.thumbnails import grey
from .pictures import on_canvas

FLAT_SHARE = 0.9  # of the pixels within FLAT_NEAR of the middle one: a picture with no pattern
FLAT_NEAR = 0.05  # of the value range


def flat_tone(g: np.ndarray) -> str:
    """ "" for a picture with a pattern; else what the even picture is: "white", "black" or
    "grey" (g: grey levels 0..1). A first layer's feature whose weights are mostly positive
    fires most on an all-bright picture: gradient ascent rightly ends there, with no pattern,
    which looked like a picture that failed to appear (a plain white square)."""
    middle = float(np.median(g))
    if np.mean(np.abs(g - middle) <= FLAT_NEAR) < FLAT_SHARE:
        return ""
    return "white" if middle >= 0.9 else "black" if middle <= 0.1 else "grey"


def flat_words(tone: str) -> str:
    """Why the picture is plain, in one line."""
    weights = {"white": "mostly positive", "black": "mostly negative"}.get(tone)
    why = (
        f"its weights are {weights}, so it fires most when every pixel is {tone}"
        if weights
        else "no pattern excites it more than an even picture"
    )
    return f"Plain {tone}, no pattern: {why}. Its kernel shows what it looks for."


class BestPictureSection:
    """LearnedPanel's picture it would like best (a mixin: these run on the panel)."""

    def make_picture(self) -> None:
        s = self.session
        if s is None or s.model is None:
            return
        from convviz.core.feature_vis import STEPS, Target, visualise
        from convviz.core.train_process import use_one_torch_thread_here

        layer, index = self.target()
        target = Target(layer, index)
        start = s.canvas.as_input() if self.start_box.currentIndex() == 1 else None
        model = copy.deepcopy(s.model)  # the window's thread keeps tracing the original
        self._stop = stop = threading.Event()

        def work(job):
            use_one_torch_thread_here()  # a 28x28 picture: more threads only wait
            return visualise(
                model,
                target,
                start=start,
                steps=STEPS,
                progress=job.progress,
                should_stop=lambda: job.cancelled() or stop.is_set(),
            )

        self.stop_button.setEnabled(True)
        self.make_button.setEnabled(False)
        s.jobs.submit(
            "learned-picture",
            work,
            lambda v: self._show_picture(v, target),
            self._picture_failed,
            text="Making the picture it would like best…",
            cancelled=self._picture_done,
        )

    def stop_picture(self) -> None:
        """End the ascent now: the best picture so far is shown."""
        self._stop.set()  # the running job's own event (each picture gets a new one)

    def _picture_done(self) -> None:
        self.stop_button.setEnabled(False)
        self.make_button.setEnabled(True)

    def _picture_failed(self, message: str) -> None:
        self._picture_done()
        self.picture_caption.setText(f"Could not make the picture: {message}")

    def _show_picture(self, v, target) -> None:
        self._picture_done()
        if self.target() != (target.layer, target.index):
            return  # the person has since chosen another feature
        lo, hi = self.spec.value_range
        g = ((grey(v.image) - lo) / (hi - lo)).clip(0, 1)
        self.picture.set_rgb(np.repeat(np.round(g * 255).astype(np.uint8)[..., None], 3, 2))
        self.picture_image = v.image
        self.draw_button.setEnabled(True)
        what = "vote" if target.layer is None else "mean activation"
        stopped = " (stopped)" if self._stop.is_set() else ""
        tone = flat_tone(g)
        score = f"{what} {v.value:.2f} (from {v.start_value:.2f}), {v.steps} steps{stopped}"
        self.picture_caption.setText(
            f"{flat_words(tone)} {score[0].upper()}{score[1:]}"
            if tone
            else f"The picture it would like best: {score}"
        )

    def _picture_to_canvas(self) -> None:
        if self.picture_image is not None and self.session is not None:
            on_canvas(self.session, self.picture_image)
