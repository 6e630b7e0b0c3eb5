"""Train > Train on folder... and Train > Train on sample shapes: choose data, network and knobs.

The dialog loads the folder itself (on a thread, with progress and cancel) and shows the scan
report before anything is trained. `job()` then gives the TrainJob for TrainingController.start:

    dialog = TrainDialog(window, current_model=model)            # or samples=True
    dialog = TrainDialog(window, network=spec)   # preset to layers made elsewhere (Architecture)
    if dialog.exec() == QDialog.DialogCode.Accepted:
        controller.start(dialog.job())

Its three parts live beside it, each with its box and what it gives: dialog_folder (the data),
dialog_network (the layers) and dialog_options (the training settings).
"""

from __future__ import annotations

import copy

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from ...core.errors import ConvvizError
from ...core.spec import NetworkSpec
from .dialog_folder import FolderSection
from .dialog_network import CURRENT, NetworkSection
from .dialog_options import TrainingOptionsSection
from .worker import TrainJob

DIALOG_MIN_WIDTH = 900  # two columns of ~440 px: fits a 1024-pixel-wide screen
SCREEN_MARGIN = 60  # the title bar and the taskbar


class TrainDialog(FolderSection, NetworkSection, TrainingOptionsSection, QDialog):
    def __init__(
        self,
        parent: QWidget | None = None,
        current_model=None,
        samples: bool = False,
        folder: str | None = None,
        network: NetworkSpec | None = None,
    ):
        super().__init__(parent)
        self.samples = samples
        self.current_model = current_model
        self.given_spec = network  # offered first and chosen, e.g. from the Architecture panel
        self.images = None  # LabelledImages once the folder is loaded
        self._job: TrainJob | None = None
        self._spec_error = ""
        self._loaded_for = None  # (folder, size, value_range) the images were made for
        self.setWindowTitle("Train on sample shapes" if samples else "Train on a folder")
        # two columns: the data and the training settings beside the network's layer list, so
        # the list shows several rows and the whole dialog still fits a 1024x768 projector
        self.setMinimumWidth(DIALOG_MIN_WIDTH)
        lay = QVBoxLayout(self)
        columns = QHBoxLayout()
        left = QVBoxLayout()
        left.addWidget(self._data_box())
        network = self._network_box()  # before the training box, which follows its choice
        left.addWidget(self._training_box())
        left.addStretch(1)
        columns.addLayout(left, 1)
        columns.addWidget(network, 1)
        lay.addLayout(columns, 1)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #ff6b6b;")  # reads on dark and light
        lay.addWidget(self.message)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.train_button = self.buttons.addButton("Train", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)
        self._network_changed()
        if folder:
            self.set_folder(folder)
        self._refresh()
        self._fit_screen()

    def _fit_screen(self) -> None:
        """Open no taller than the screen (a 768-pixel projector): the layer list scrolls."""
        screen = self.screen()
        if screen is None:
            return
        room = screen.availableGeometry().height() - SCREEN_MARGIN
        hint = self.sizeHint()
        if hint.height() > room:
            self.resize(hint.width(), max(room, self.minimumSizeHint().height()))

    # ---- result ----------------------------------------------------------------------------
    def _refresh(self) -> None:
        ready = not self._spec_error and (self.samples or self.images is not None)
        self.train_button.setEnabled(ready)
        if self._spec_error:
            self.message.setText(self._spec_error)
        elif ready:
            self.message.clear()

    def job(self) -> TrainJob:
        """The run to start (the one made when Train was pressed). Raises ConvvizError (one
        line) if something does not fit."""
        if self._job is None:
            self._job = self._make_job()
        return self._job

    def _make_job(self) -> TrainJob:
        from ...core.network import build

        classes = self.classes()
        if classes is None:
            raise ConvvizError("the folder is not loaded yet")
        spec = self.base_spec().with_classes(classes).validate()
        cur = self.current_model
        if self.network.currentData() == CURRENT and cur.spec.classes == spec.classes:
            model = copy.deepcopy(cur).cpu()  # keep learning from where it is
        elif self.config().votes_only:  # other classes: its layers kept, new votes for them
            from ...core.training import with_new_votes

            model = with_new_votes(copy.deepcopy(cur).cpu(), classes, seed=self.config().seed)
        else:
            model = build(spec, seed=self.config().seed)  # the command line's start too
        if self.samples:
            from ...core.shapes_data import make_arrays

            X, y = make_arrays(
                classes,
                self.per_class.value(),
                spec.input_shape,
                seed=0,
                value_range=spec.value_range,
                colour=spec.channels == 3,
            )
            return TrainJob(model, X, y, self.config().check(), "sample shapes")
        im = self.images
        return TrainJob(
            model, im.X, im.y, self.config().check(), f"folder {im.root}", im.paths, im.report()
        )

    def _accept(self) -> None:
        try:
            self._job = self._make_job()
        except ConvvizError as e:
            self.message.setText(str(e))
            return
        self.accept()

    def done(self, result: int) -> None:  # closing by any means stops a load in progress
        self.loader.cancel()
        self.loader.wait(5.0)  # its thread must not outlive the dialog (it checks every image)
        super().done(result)
