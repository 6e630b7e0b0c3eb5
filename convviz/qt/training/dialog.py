"""Train > Train on folder... and Train > Train on sample shapes: choose data, network and knobs.

The dialog loads the folder itself (on a thread, with progress and cancel) and shows the scan
report before anything is trained. `job()` then gives the TrainJob for TrainingController.start:

    dialog = TrainDialog(window, current_model=model)            # or samples=True
    dialog = TrainDialog(window, network=spec)   # preset to layers made elsewhere (Architecture)
    if dialog.exec() == QDialog.DialogCode.Accepted:
        controller.start(dialog.job())
"""

from __future__ import annotations

import contextlib
import copy

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ...core.errors import ConvvizError
from ...core.knobs import Knobs, apply_knobs
from ...core.presets import PRESETS, preset
from ...core.spec import NetworkSpec
from ..widgets.layer_list import LayerListEditor
from .folder_decode import FolderLoader
from .worker import TrainJob

CURRENT, CUSTOM, GIVEN = "current", "custom", "given"
VOTES_ONLY_TIP = (
    "Every layer but the last fully connected one (the votes) stays as it is: the features it "
    "learned are kept, and only the votes learn the folder's classes"
)
VOTES_ONLY_OFF = " (for the current network: choose it under Layers)"


DIALOG_MIN_WIDTH = 900  # two columns of ~440 px: fits a 1024-pixel-wide screen
SCREEN_MARGIN = 60  # the title bar and the taskbar
LIST_HEIGHT = 260  # the layer list's rows: about three rows on a 768-pixel-high screen


def custom_spec(
    input_size: int, blocks: int, features: int, feature_size: int, hidden: int, classes
) -> NetworkSpec:
    """The dialog's custom network, through the one knobs model (convviz.core.knobs): `blocks`
    of convolution, ReLU and 2x2 pooling, `features` in the first block and twice as many in
    each next one, same-size padding, and one hidden layer of `hidden` neurons (0: none)."""
    knobs = Knobs(
        features=tuple(features * 2**b for b in range(blocks)),
        feature_size=feature_size,
        stride=1,
        padding=feature_size // 2,
        pool_window=2,
        pool_stride=2,
        fc_neurons=(hidden,) if hidden else (),
    )
    base = NetworkSpec("custom", input_size, 1, (-1.0, 1.0), (), tuple(classes))
    return apply_knobs(base, knobs).validate()


class TrainDialog(QDialog):
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

    # ---- sections --------------------------------------------------------------------------
    def _data_box(self) -> QGroupBox:
        box = QGroupBox("Sample shapes" if self.samples else "Labelled folder")
        form = QFormLayout(box)
        self.loader = FolderLoader(self)
        if self.samples:
            self.per_class = QSpinBox()
            self.per_class.setRange(5, 5000)
            self.per_class.setValue(300)
            self.per_class.setToolTip("How many drawings to generate of each shape")
            form.addRow("Images per class:", self.per_class)
            return box
        self.folder_edit = QLineEdit()
        self.folder_edit.setPlaceholderText("a folder with one subfolder of images per class")
        self.folder_edit.editingFinished.connect(self._folder_typed)
        browse = QPushButton("Choose...")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.folder_edit, 1)
        row.addWidget(browse)
        form.addRow("Folder:", row)
        self.scan_bar = QProgressBar()
        self.scan_cancel = QPushButton("Cancel loading")
        self.scan_cancel.clicked.connect(self.loader.cancel)
        prow = QHBoxLayout()
        prow.addWidget(self.scan_bar, 1)
        prow.addWidget(self.scan_cancel)
        self.scan_row = QWidget()
        self.scan_row.setLayout(prow)
        self.scan_row.setContentsMargins(0, 0, 0, 0)
        self.scan_row.hide()
        form.addRow(self.scan_row)
        self.report = QPlainTextEdit()
        self.report.setReadOnly(True)
        self.report.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.report.setPlaceholderText(
            "The scan report appears here: classes, images per "
            "class, and any files skipped with the reason."
        )
        self.report.setMinimumHeight(130)
        form.addRow(self.report)
        self.loader.progress.connect(self._scan_progress)
        self.loader.loaded.connect(self._scan_loaded)
        self.loader.failed.connect(self._scan_failed)
        self.loader.cancelled.connect(self._scan_cancelled)
        return box

    def _network_box(self) -> QGroupBox:
        box = QGroupBox("Network")
        col = QVBoxLayout(box)  # the editor below the form, not in it: it wraps its rows
        form = QFormLayout()
        col.addLayout(form)
        self.network = QComboBox()
        if self.given_spec is not None:
            self.network.addItem(
                f"The network from the Architecture panel ({self.given_spec.name})", GIVEN
            )
        if self.current_model is not None:
            self.network.addItem(f"The current network ({self.current_model.spec.name})", CURRENT)
        for name, declared in PRESETS.items():
            if declared.in_window:  # the window could not show the others once trained
                self.network.addItem(f"Preset: {name}", name)
        self.network.addItem("Custom: set the layers below", CUSTOM)
        self.network.setToolTip(
            "The layers to train. The vote layer always gets one neuron per class of the data."
        )
        if self.current_model is None and self.given_spec is None:
            self.network.setCurrentIndex(self.network.findData("shapes"))
        self.network.currentIndexChanged.connect(self._network_changed)
        form.addRow("Layers:", self.network)
        # Custom: the Architecture panel's layer list editor (qt/widgets/layer_list.py), filled
        # the first time with the network chosen before it (or the deck's two-block start)
        self.knobs_box = LayerListEditor(rows_height=LIST_HEIGHT)
        self.knobs_box.set_spec(custom_spec(28, 2, 8, 5, 64, ("a", "b")))
        self._custom_filled = False
        self._last_choice = self.network.currentData()
        self.knobs_box.changed.connect(self._network_changed)
        col.addWidget(self.knobs_box, 1)
        self.shape_label = QLabel()
        self.shape_label.setWordWrap(True)  # "about 54,050 weights" ran past a 514 px dialog
        self.shape_label.setObjectName("hint")  # the theme's muted text
        col.addWidget(self.shape_label)
        return box

    def _training_box(self) -> QGroupBox:
        from ...core.device import available_devices
        from ...core.training import TrainConfig

        d = TrainConfig()
        box = QGroupBox("Training")
        form = QFormLayout(box)
        self.epochs = self._spin(1, 1000, d.epochs, "Passes over all training images")
        self.batch = self._spin(1, 8192, d.batch_size, "Images per weight update")
        self.lr = QDoubleSpinBox()
        self.lr.setDecimals(5)
        self.lr.setRange(1e-5, 1.0)
        self.lr.setSingleStep(0.0005)
        self.lr.setValue(d.lr)
        self.lr.setToolTip("How big each step of gradient descent is (Adam)")
        self.val = QSpinBox()
        self.val.setRange(0, 90)
        self.val.setSuffix(" %")
        self.val.setValue(round(d.val_split * 100))
        self.val.setToolTip(
            "Share of each class held back to check the network on images it never trained on"
        )
        self.augment = QCheckBox("Trickier cases (shift, rotate, resize)")
        self.augment.setToolTip("Shift, rotate and resize each training image a little")
        self.augment.setChecked(d.augment)
        self.device = QComboBox()
        self.device.addItem("Automatic (fastest present)", "auto")
        for dev in available_devices():
            self.device.addItem(
                {"cpu": "CPU", "cuda": "CUDA GPU", "mps": "Apple GPU (MPS)"}[dev], dev
            )
        form.addRow("Epochs:", self.epochs)
        form.addRow("Batch size:", self.batch)
        form.addRow("Learning rate:", self.lr)
        form.addRow("Validation:", self.val)
        form.addRow(self.augment)
        # "keep what it learned, retrain the votes": only a network that learned something
        self.votes_only = QCheckBox("Keep what it learned: retrain only the votes")
        self.votes_only.setToolTip(VOTES_ONLY_TIP)
        self.network.currentIndexChanged.connect(self._votes_only_possible)
        self._votes_only_possible()
        form.addRow(self.votes_only)
        form.addRow("Device:", self.device)
        return box

    def _votes_only_possible(self) -> None:
        ok = self.network.currentData() == CURRENT
        self.votes_only.setEnabled(ok)
        self.votes_only.setToolTip(VOTES_ONLY_TIP if ok else VOTES_ONLY_TIP + VOTES_ONLY_OFF)

    @staticmethod
    def _spin(lo: int, hi: int, value: int, tip: str) -> QSpinBox:
        s = QSpinBox()
        s.setRange(lo, hi)
        s.setValue(value)
        s.setToolTip(tip)
        return s

    # ---- network ---------------------------------------------------------------------------
    def classes(self) -> tuple[str, ...] | None:
        if self.samples:
            from ...core.shapes_data import shape_names

            names = shape_names()
            if self.network.currentData() in (CURRENT, GIVEN) and not self._spec_error:
                own = self.base_spec().classes  # a network made for some of the shapes keeps them
                if len(own) >= 2 and set(own) <= set(names):
                    return tuple(own)
            return names
        return self.images.classes if self.images is not None else None

    def base_spec(self) -> NetworkSpec:
        """The chosen layers, with whatever classes they came with."""
        return self._spec_of(self.network.currentData())

    def _spec_of(self, choice) -> NetworkSpec:
        if choice == CURRENT:
            return self.current_model.spec
        if choice == GIVEN:
            return self.given_spec
        if choice == CUSTOM:
            return self.knobs_box.checked.make()  # SpecError: the first row that does not fit
        return preset(choice)

    def _network_changed(self) -> None:
        choice = self.network.currentData()
        if choice == CUSTOM and not self._custom_filled:  # start from the network shown before
            self._custom_filled = True
            with contextlib.suppress(ConvvizError):  # else the deck's two-block start stays
                self.knobs_box.set_spec(self._spec_of(self._last_choice))
        self._last_choice = choice
        self.knobs_box.setVisible(choice == CUSTOM)
        try:
            spec = self.base_spec()
            params = sum(s.params for s in spec.shapes())
            self.shape_label.setText(
                f"Takes {spec.rows}x{spec.cols} pictures; "
                f"{len(spec.layers)} layers before the votes, about "
                f"{params:,} weights."
            )
            self._spec_error = ""
        except ConvvizError as e:
            self._spec_error = str(e)
        if not self.samples and self._loaded_for is not None:
            self._maybe_reload()  # the input size or value range may have changed
        self._refresh()

    # ---- folder ----------------------------------------------------------------------------
    def _browse(self) -> None:
        path = QFileDialog.getExistingDirectory(
            self, "Choose a labelled folder", self.folder_edit.text()
        )
        if path:
            self.set_folder(path)

    def _folder_typed(self) -> None:
        # editingFinished also fires when the field merely loses focus (e.g. the dialog closes):
        # only a different folder is loaded again
        loaded = self._loaded_for[0] if self._loaded_for else None
        if self.folder_edit.text().strip() != loaded:
            self.set_folder(self.folder_edit.text())

    def set_folder(self, path: str) -> None:
        self.folder_edit.setText(path)
        self._loaded_for = None
        self._maybe_reload()

    def _maybe_reload(self) -> None:
        folder = self.folder_edit.text().strip()
        if not folder:
            return
        try:
            spec = self.base_spec()
        except ConvvizError:
            return
        key = (folder, spec.input_shape, spec.channels, tuple(spec.value_range))
        if key == self._loaded_for:
            return
        self._loaded_for = key
        self.images = None
        self.report.setPlainText(f"Loading {folder} ...")
        self.scan_bar.setRange(0, 0)
        self.scan_row.show()
        self.message.clear()
        self.loader.start(folder, spec.input_shape, spec.value_range, spec.channels)
        self._refresh()

    def _scan_progress(self, done: int, total: int) -> None:
        self.scan_bar.setRange(0, max(total, 1))
        self.scan_bar.setValue(done)
        self.scan_bar.setFormat(f"{done:,} of {total:,} images")

    def _scan_loaded(self, images) -> None:
        self.scan_row.hide()
        self.images = images
        self.report.setPlainText(images.report())
        self._refresh()

    def _scan_failed(self, message: str) -> None:
        self.scan_row.hide()
        self.images = None
        self.report.setPlainText(message)
        self.message.setText(message)
        self._refresh()

    def _scan_cancelled(self) -> None:
        self.scan_row.hide()
        self.images = None
        self._loaded_for = None
        self.report.setPlainText("Loading was cancelled. Choose the folder again to retry.")
        self._refresh()

    # ---- result ----------------------------------------------------------------------------
    def _refresh(self) -> None:
        ready = not self._spec_error and (self.samples or self.images is not None)
        self.train_button.setEnabled(ready)
        if self._spec_error:
            self.message.setText(self._spec_error)
        elif ready:
            self.message.clear()

    def config(self):
        from ...core.training import TrainConfig

        # what the dialog does not show (seed, threads, keep_best...) keeps TrainConfig's
        # defaults: the command line's defaults too
        return TrainConfig(
            epochs=self.epochs.value(),
            batch_size=self.batch.value(),
            lr=self.lr.value(),
            val_split=self.val.value() / 100,
            device=self.device.currentData(),
            augment=self.augment.isChecked(),
            votes_only=self.votes_only.isEnabled() and self.votes_only.isChecked(),
        )

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
