"""What if: switch off a feature map or a neuron of the live network, or draw a feature by hand
(kernel_editor.py); watch every panel follow; undo one edit or reset them all. Rows of controls
inside the "Where it looked" panel.

The edits change the session's network itself (core/whatif.py); the session is then given the
edited weights (`apply_snapshot`), so every panel redraws as it does for new weights, and this
row says how the edit moved each vote for the drawing on the canvas.

The other panels edit through the same calls (qt/why_wiring.py joins them): a click on a kernel
opens the editor in a window of its own (`edit_kernel_at`), a click on a map or a neuron
switches it off (`switch_off_shown`, `switch_off_vote_input`); `edited_changed` tells every panel
what is edited, and `unedited_votes` what the network said before.
"""

from __future__ import annotations

import html

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ...widgets.bar_chart import short_name
from ...widgets.flow_layout import WrapRow
from ...widgets.kernel_editor import KernelEditor, KernelEditorDialog

MOVED_SHOWN = 6  # the votes that moved most are listed (a network may have thousands)


class WhatIfControls(QWidget):
    edited_changed = Signal(str)  # what the edits changed ("" when the network is as trained)
    refused = Signal(str)  # an edit that could not be made, in one line (for the status bar)

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self._edits = None  # core Edits for the session's current network
        self.dialog: KernelEditorDialog | None = None  # opened by a click on a kernel
        self.layer_box = QComboBox()
        self.layer_box.setToolTip("The layer whose map (or neuron) to switch off")
        self.unit_box = QSpinBox()
        self.unit_box.setPrefix("no. ")
        self.unit_box.setToolTip("Which map or neuron, counted from 1 as in the feature maps")
        self.off_button = QPushButton("Switch off")
        self.off_button.setToolTip("Zero this map or neuron for every drawing")
        self.undo_button = QPushButton("Undo edit")
        self.reset_button = QPushButton("Reset all")
        row = WrapRow(
            (
                QLabel("What if"),
                self.layer_box,
                self.unit_box,
                self.off_button,
                self.undo_button,
                self.reset_button,
            )
        )  # stacks in a narrow dock
        self.status = QLabel("")
        self.status.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(row)
        self.kernel_editor = KernelEditor()  # draw a feature by hand
        lay.addWidget(self.kernel_editor)
        lay.addWidget(self.status)
        self.layer_box.currentIndexChanged.connect(self._layer_chosen)
        self.off_button.clicked.connect(self.switch_off)
        self.undo_button.clicked.connect(lambda: self._apply(lambda e: e.undo()))
        self.reset_button.clicked.connect(lambda: self._apply(lambda e: e.reset()))
        self.kernel_editor.apply_kernel.connect(
            lambda layer, f, values: self._apply(lambda e: e.set_kernel(layer, f, values))
        )
        self.set_model()

    def edits(self):
        from convviz.core.whatif import Edits

        model = self.session.model
        if model is None:
            return None
        if self._edits is None or self._edits.model is not model:
            self._edits = Edits(model)
        return self._edits

    def set_model(self, *_) -> None:
        """Fill the layer chooser from the spec (a new network starts unedited)."""
        self._edits = None
        self.layer_box.blockSignals(True)
        self.layer_box.clear()
        for s in self.session.spec.shapes()[:-1]:
            if s.kind in ("conv", "fc"):
                self.layer_box.addItem(s.name, s.shape[0])
        self.layer_box.blockSignals(False)
        self._layer_chosen()
        self.show_weights(self.session.snapshot)
        self._show_state()

    def _layer_chosen(self, *_) -> None:
        self.unit_box.setRange(1, max(1, self.layer_box.currentData() or 1))

    def switch_off(self) -> None:
        layer, unit = self.layer_box.currentText(), self.unit_box.value() - 1
        self._apply(lambda e: e.switch_off(layer, unit))

    def switch_off_shown(self, layer: str, unit: int) -> None:
        """A click on map `unit` of layer `layer` (a ReLU's or pooling's: its convolution's)."""
        self._apply(lambda e: e.switch_off_shown(layer, unit))

    def switch_off_vote_input(self, j: int) -> None:
        """A click on input `j` of the votes (a hidden neuron, or a cell of a flattened map)."""
        self._apply(lambda e: e.switch_off_vote_input(j))

    def edit_kernel_at(self, layer: str, feature: int, channel: int) -> None:
        """A click on a kernel: the editor, in a window of its own, showing that kernel."""
        if self.dialog is None:
            self.dialog = KernelEditorDialog(self.window())
            self.dialog.editor.apply_kernel.connect(
                lambda layer, f, values: self._apply(lambda e: e.set_kernel(layer, f, values))
            )
        if self.session.snapshot is not None:
            self.dialog.editor.set_network(self.session.spec, self.session.snapshot)
        self.dialog.editor.choose(layer, feature, channel)
        self.dialog.show()
        self.dialog.raise_()

    def unedited_votes(self, trace):
        """The votes of the network before the edits for `trace`'s drawing (None if none)."""
        edits = self._edits
        return None if edits is None or trace is None else edits.unedited_votes(trace.input)

    def _apply(self, change) -> None:
        s = self.session
        edits = self.edits()
        if edits is None:
            return
        if s.locked_reason:  # a training run owns the network: its next weights would win
            return self._refuse(f"Cannot edit: {s.locked_reason}")
        before = None if s.trace is None else s.trace.votes.copy()
        try:
            change(edits)
        except Exception as err:  # noqa: BLE001 - one line, the network unchanged
            return self._refuse(f"Cannot edit: {err}")
        s.apply_snapshot(s.model.snapshot())  # every panel follows, the drawing re-traced
        self.show_weights(s.snapshot)
        self._show_state(before)

    def _refuse(self, text: str) -> None:
        self.status.setText(html.escape(text))
        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.status.setText(html.escape(text))
        self.refused.emit(text)

    def show_weights(self, snapshot) -> None:
        """New weights (training, an edit, a file): the kernel editor shows them."""
        if snapshot is not None:
            self.kernel_editor.set_network(self.session.spec, snapshot)
            if self.dialog is not None:
                self.dialog.editor.set_network(self.session.spec, snapshot)

    def _show_state(self, before=None) -> None:
        model = self.session.model
        done = list(getattr(model, "edits", None) or [])
        self.undo_button.setEnabled(bool(self._edits and self._edits._undo))
        self.reset_button.setEnabled(self.undo_button.isEnabled())
        self.edited_changed.emit("; ".join(done))
        if not done:
            self.status.setText("The network is as trained.")
            return
        text = "<b>Edited:</b> " + html.escape("; ".join(done))
        t = self.session.trace
        if before is not None and t is not None and len(before) == len(t.votes):
            moved = np.asarray(t.votes, np.float64) - before
            most = np.argsort(-np.abs(np.nan_to_num(moved)), kind="stable")[:MOVED_SHOWN]
            text += "<br>Votes moved: " + ", ".join(
                f"{html.escape(short_name(t.classes[i]))} {moved[i]:+.2f}" for i in most
            )
        self.status.setText(text)
