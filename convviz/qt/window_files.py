"""The main window's files: open an image onto the canvas, open weights, export them. Each
file is read or written in the background (`window.jobs`), the newest request winning.

WindowFiles is the main window's half that does this; it expects the window to set `session`
and `jobs`, and to have `tell` and `show_error`.
"""

from __future__ import annotations

import os

from PySide6.QtWidgets import QFileDialog, QMessageBox

from convviz.core.errors import ConvvizError
from convviz.core.imageio import IMAGE_FILTER, PICTURE_FITS  # exactly what the decoder reads

from . import settings

WEIGHTS_FILTER = "Weights (*.safetensors *.pt *.onnx);;All files (*)"
EXPORT_FILTERS = "Safetensors (*.safetensors);;PyTorch (*.pt);;ONNX (*.onnx)"
EXPORT, DISCARD, CANCEL = "export", "discard", "cancel"  # ask_unexported's answers


class WindowFiles:
    """File > Open image, Open weights, Export weights (mixed into MainWindow)."""

    set_aside_note = ""  # where a discarded trained network's copy is: said after the switch

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
            lambda message: self.show_error(could_not_open(path, message)),
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
        if not self.may_replace_network():
            return

        def failed(message):
            self.show_error(could_not_open(path, message))

        def done(loaded):
            if self.session.use_loaded(loaded, path):
                remember_weights(path)

        self.jobs.submit(
            "network", weights_job(path), done, failed, text=f"Opening {os.path.basename(path)}…"
        )

    # ---- a trained network nobody exported --------------------------------------------------
    def may_replace_network(self) -> bool:
        """Asked before a preset, a file or an applied architecture replaces the network. A
        trained network not exported yet is work that would be gone (its only copy,
        last-trained.safetensors, is overwritten by the next run): ask Export… / Discard /
        Cancel, as an editor asks before closing an unsaved document. False: keep it."""
        trained = self.session.unexported
        if not trained:
            return True
        copy = self.trained_copy()
        answer = self.ask_unexported(trained, copy)
        if answer == EXPORT:
            return self.export_weights()  # the copy is taken now: switching next is safe
        if answer != DISCARD:
            return False
        self.session.unexported = ""  # asked once: the person chose
        if copy:  # still reachable, and where: the status bar says so, now and once the
            # new network is in (a new network clears the bar's message)
            self.set_aside_note = (
                f"The network {trained} is set aside until the next training run: "
                f"File > Open weights… opens it from {copy}"  # the path last: it is long
            )
            self.tell(self.set_aside_note)
        return True

    def trained_copy(self) -> str:
        """The copy of the trained network kept for the next start (training/wiring.py
        REMEMBERED), or "" when there is none (not kept, or gone)."""
        from .training.wiring import REMEMBERED

        path = settings.remembered(settings.WEIGHTS, "")
        return path if os.path.basename(path) == REMEMBERED and os.path.isfile(path) else ""

    def ask_unexported(self, trained: str, copy: str) -> str:
        """EXPORT, DISCARD or CANCEL (tests replace this to answer without a dialog)."""
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "convviz",
            f"The network {trained} has not been exported. Export it before switching?",
            parent=self,
        )
        kept = f" A copy stays in {copy} only until the next training run." if copy else ""
        box.setInformativeText(
            "Export… saves it to a file you choose; Discard switches without saving it." + kept
        )
        export = box.addButton("Export…", QMessageBox.ButtonRole.AcceptRole)
        discard = box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(export)
        box.exec()
        clicked = box.clickedButton()
        return EXPORT if clicked is export else DISCARD if clicked is discard else CANCEL

    def export_weights(self) -> bool:
        """Ask where, then export in the background. True once the export has started (the
        network's copy is taken by then), False when cancelled or refused."""
        path, _chosen = QFileDialog.getSaveFileName(
            self,
            "Export weights",
            f"{file_name(self.session.spec.name)}.safetensors",
            EXPORT_FILTERS,
        )
        if not path:
            return False
        try:
            work = self.session.export_job(path)
        except (ConvvizError, RuntimeError) as e:
            self.show_error(f"could not export the weights: {e}")
            return False
        model = self.session.model

        def saved(timeline_file):
            if self.session.model is model:  # the trained network is in a file now
                self.session.unexported = ""
            self.tell(saved_words(path, timeline_file))

        self.jobs.submit(
            f"export {os.path.abspath(path)}",
            work,
            saved,
            lambda message: self.show_error(f"could not export the weights: {message}"),
            text=f"Exporting {os.path.basename(path)}…",
            cancellable=False,
        )
        return True


def saved_words(path: str, timeline_file) -> str:
    """The status line after an export: the file named, and the training timeline written
    beside it when there was one (a second file, often larger than the weights, that the
    person did not name: never written without a word)."""
    if timeline_file is None:
        return f"Saved {path}"
    size = os.path.getsize(timeline_file) / 1e6 if os.path.isfile(timeline_file) else 0.0
    # short enough for a 1024 px wide status bar after a long path (hovering reads it whole)
    return (
        f"Saved {path} and its training timeline {os.path.basename(timeline_file)} ({size:.1f} MB)"
    )


def could_not_open(path: str, message: str) -> str:
    """One line naming the file once: the readers start their messages with the path already
    ("/tmp/x/trunc.onnx: not an ONNX file"), which the dialog used to repeat after the name."""
    name = os.path.basename(path)
    head, sep, rest = message.partition(": ")
    if sep and rest and os.path.basename(head.rstrip("/")) == name:
        message = rest
    return f"could not open {name}: {message}"


def file_name(name: str) -> str:
    """A network's name as a file name: brackets go ("shapes (trained on marks)" -> "shapes
    trained on marks"), path separators and the like become "-"."""
    name = " ".join(name.translate(str.maketrans("()[]{}", "      ")).split())
    safe = "".join(ch if ch.isalnum() or ch in " ._-" else "-" for ch in name).strip(" .")
    return safe[:80] or "network"
