"""The main window's files: open an image onto the canvas, open weights, export them. Each
file is read or written in the background (`window.jobs`), the newest request winning.

WindowFiles is the main window's half that does this; it expects the window to set `session`
and `jobs`, and to have `tell` and `show_error`.
"""

from __future__ import annotations

import os

from PySide6.QtWidgets import QFileDialog

from convviz.core.errors import ConvvizError
from convviz.core.imageio import IMAGE_FILTER, PICTURE_FITS  # exactly what the decoder reads

from . import settings

WEIGHTS_FILTER = "Weights (*.safetensors *.pt *.onnx);;All files (*)"
EXPORT_FILTERS = "Safetensors (*.safetensors);;PyTorch (*.pt);;ONNX (*.onnx)"


class WindowFiles:
    """File > Open image, Open weights, Export weights (mixed into MainWindow)."""

    def choose_image(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open image", "", IMAGE_FILTER)
        if path:
            self.open_image(path)

    def picture_fit(self) -> str:
        """How an opened picture meets the input's aspect (remembered): letterbox or crop."""
        fit = settings.remembered(settings.PICTURE_FIT, PICTURE_FITS[0])
        return fit if fit in PICTURE_FITS else PICTURE_FITS[0]

    def set_picture_fit(self, fit: str) -> None:
        settings.remember(settings.PICTURE_FIT, fit)
        for name, action in getattr(self, "picture_fit_actions", {}).items():
            action.setChecked(name == fit)

    def open_image(self, path: str) -> None:
        """Put a picture on the canvas, in colour for a colour network, letterboxed or cropped
        to the input's aspect as chosen (File menu); decoding (seconds for a huge picture) runs
        in the background, and the newest picture asked for wins."""
        from convviz.core.imageio import load_image

        c = self.session.canvas
        fit = self.picture_fit()
        wanted = (c.shape, c.channels, tuple(c.value_range))

        def done(values):
            if (c.shape, c.channels, tuple(c.value_range)) != wanted:
                self.open_image(path)  # the network changed meanwhile: read it for the new grid
                return
            c.set_input(values)

        self.jobs.submit(
            "image",
            lambda _job: load_image(path, wanted[0], wanted[2], wanted[1], fit=fit),
            done,
            lambda message: self.show_error(f"could not open {os.path.basename(path)}: {message}"),
            text=f"Opening {os.path.basename(path)}…",
        )

    def choose_weights(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open weights", "", WEIGHTS_FILTER)
        if path:
            self.open_weights(path)

    def open_weights(self, path: str) -> None:
        """Open a weights file in the background; it becomes the network when read (unless a
        later choice came first), and is reopened at the next start."""
        from .session import weights_job
        from .window_reopen import remember_weights

        if self.session.locked_reason:
            self.show_error(self.session.locked_reason)
            return

        def failed(message):
            self.show_error(f"could not open {os.path.basename(path)}: {message}")

        def done(loaded):
            if self.session.use_loaded(loaded, path):
                remember_weights(path)

        self.jobs.submit(
            "network", weights_job(path), done, failed, text=f"Opening {os.path.basename(path)}…"
        )

    def export_weights(self) -> None:
        path, _chosen = QFileDialog.getSaveFileName(
            self,
            "Export weights",
            f"{file_name(self.session.spec.name)}.safetensors",
            EXPORT_FILTERS,
        )
        if not path:
            return
        try:
            work = self.session.export_job(path)
        except (ConvvizError, RuntimeError) as e:
            self.show_error(f"could not export the weights: {e}")
            return
        self.jobs.submit(
            f"export {os.path.abspath(path)}",
            work,
            lambda _path: self.tell(f"Saved {path}", note=True),
            lambda message: self.show_error(f"could not export the weights: {message}"),
            text=f"Exporting {os.path.basename(path)}…",
            cancellable=False,
        )


def file_name(name: str) -> str:
    """A network's name as a file name: path separators and the like become "-"."""
    safe = "".join(ch if ch.isalnum() or ch in " ._-" else "-" for ch in name).strip(" .")
    return safe[:80] or "network"
