"""Results you can click, and the training images for "What it learned" (a panel_registry
extension, installed after the training tools).

- An image chosen in the Results panel (a confusion cell's images or the mistakes gallery) goes
  onto the canvas, so every panel explains that answer; the status bar says which image it is.
- The images a finished run trained on go to the "What it learned" panel while the network that
  run trained is the one in use (a run's images are not kept with saved weights).
"""

from __future__ import annotations

from .panels.learned.panel import LearnedPanel
from .panels.learned.pictures import on_canvas


def connect_learned(window) -> None:
    tools = window.services.training
    panel = window.panels.get("learned")
    if tools is None:
        return
    session = window.session

    def show_chosen(image, caption: str) -> None:
        on_canvas(session, image)
        window.tell(f"On the canvas: {caption}.")

    tools.results.image_chosen.connect(show_chosen)
    if not isinstance(panel, LearnedPanel):
        return

    def hand_over(*_args) -> None:
        outcome = tools.controller.outcome
        if outcome is not None and outcome.result is not None and session.model is outcome.model:
            job = outcome.job
            panel.set_training_images(outcome.model, job.X, job.y, job.paths)

    tools.controller.model_ready.connect(hand_over)
    session.network_changed.connect(hand_over)
