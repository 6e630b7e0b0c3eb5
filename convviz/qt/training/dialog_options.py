"""The Train dialog's training settings (epochs, batch size, learning rate, validation share,
trickier cases, votes only, device) and the TrainConfig they make. A part of TrainDialog
(dialog.py); what the dialog does not show keeps TrainConfig's defaults."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QSpinBox,
)

from .dialog_network import CURRENT

VOTES_ONLY_TIP = (
    "Every layer but the last fully connected one (the votes) stays as it is: the features it "
    "learned are kept, and only the votes learn the folder's classes"
)
VOTES_ONLY_OFF = " (for the current network: choose it under Layers)"


class TrainingOptionsSection:
    """TrainDialog's training box and its TrainConfig (a mixin: these run on the dialog)."""

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
