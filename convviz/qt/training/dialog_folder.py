"""The Train dialog's data: how many sample shapes to draw, or a labelled folder, loaded on a
thread (folder_decode.FolderLoader) with progress, cancel and its scan report. A part of
TrainDialog (dialog.py), which holds the message line and `_refresh`; the folder is loaded again
when the chosen network's input size or value range changes."""

from __future__ import annotations

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QWidget,
)

from ...core.errors import ConvvizError
from .folder_decode import FolderLoader


class FolderSection:
    """TrainDialog's data box and the folder's loading (a mixin: these run on the dialog)."""

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
