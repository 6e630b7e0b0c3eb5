"""The architecture panel: the network as a column of layers, and the deck's knobs to change it.

The view of convviz.core.knobs: every change of a knob assembles a spec and asks the core to
validate it (NetworkSpec.shapes()); the table shows each layer's shape, parameter count and the
(W - F + 2P)/S + 1 that produced it, or, for an impossible combination, the refused layer in red
with the core's reason, and Apply stays disabled.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...core.errors import SpecError
from ...core.knobs import (
    MAX_BLOCKS,
    KnobCheck,
    Knobs,
    check,
    is_plain,
    knobs_from_spec,
    parse_neurons,
)
from ...core.layers import words  # each kind's words, declared with the kind
from ...core.snapshot import WeightsSnapshot
from ...core.spec import NetworkSpec
from ...core.summary import table_rows

REFUSED = QColor(200, 30, 45)


def _spin(lo: int, hi: int, tip: str, parent) -> QSpinBox:
    s = QSpinBox(parent)
    s.setRange(lo, hi)
    s.setToolTip(tip)
    return s


class ArchitecturePanel(QWidget):
    """Shows the network's layers and lets a person turn the deck's knobs.

    Interface for the main window:
      set_model(spec, snapshot=None)  show this network (the spec is all it needs)
      show_weights(snapshot), show_trace(trace)  nothing to show here; kept for symmetry
      apply_requested(NetworkSpec)  the person applied a validated spec: build the new, untrained
                                    network from it (off the window's thread) and rebuild the
                                    panels, then call apply_ended(ok)
      train_requested(NetworkSpec)  the person then accepted the offer to train it
    """

    apply_requested = Signal(NetworkSpec)
    train_requested = Signal(NetworkSpec)

    def __init__(self, session=None, parent=None):
        """`session` (optional): show its network at once. Applying and training are wired by
        the main window (convviz.qt.deck.architecture_wiring), which knows how to build and
        train."""
        super().__init__(parent)
        self.base: NetworkSpec | None = None
        self.result: KnobCheck | None = None
        self._applied: NetworkSpec | None = None
        self.building = False  # an applied network is being built in the background
        self._updating = False

        col = QVBoxLayout(self)
        col.addLayout(self._make_knobs())
        col.addWidget(self._make_note())
        col.addWidget(self._make_table(), 1)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        col.addWidget(self.status)
        col.addLayout(self._make_buttons())
        col.addWidget(self._make_offer())

        for s in (self.size, self.stride, self.padding, self.pool_window, self.pool_stride):
            s.valueChanged.connect(self.recheck)
        self.blocks.valueChanged.connect(self._blocks_changed)
        self.neurons.textChanged.connect(self.recheck)
        self.apply_button.clicked.connect(self.apply)
        self.reset_button.clicked.connect(self.reset)
        self.train_button.clicked.connect(self._train_now)
        self.later_button.clicked.connect(self.offer.hide)
        self.recheck()
        if session is not None:
            self.set_model(session.spec, session.snapshot)

    # ---- building ------------------------------------------------------------------------
    def _make_knobs(self) -> QFormLayout:
        self.blocks = _spin(1, MAX_BLOCKS, "How many filtering → ReLU → pooling blocks", self)
        self.features_row = QHBoxLayout()
        self.feature_spins: list[QSpinBox] = []
        # two digits always type ("29" became "2" when the top was 15); a size that does not
        # fit the maps is refused below with the reason, like every other knob
        self.size = _spin(1, 99, "Each feature is this many pixels wide and high", self)
        self.stride = _spin(1, 8, "How far a feature moves between two positions", self)
        self.padding = _spin(
            0,
            8,
            "Rings of zeros added around each map before filtering, so "
            "features can reach the edges",
            self,
        )
        self.pool_window = _spin(1, 8, "Width and height of the pooling window", self)
        self.pool_stride = _spin(1, 8, "How far the pooling window moves each step", self)
        self.neurons = QLineEdit(self)
        self.neurons.setPlaceholderText("none")
        self.neurons.setToolTip(
            "Hidden fully connected layers before the votes, e.g. '120, 84'; leave empty for none"
        )
        form = QFormLayout()
        form.addRow("Convolution blocks", self.blocks)
        form.addRow("Features per block", self.features_row)
        form.addRow("Feature size", self.size)
        form.addRow("Feature stride", self.stride)
        form.addRow("Zero padding", self.padding)
        form.addRow("Pooling window", self.pool_window)
        form.addRow("Pooling stride", self.pool_stride)
        form.addRow("Fully connected neurons", self.neurons)
        return form

    def _make_note(self) -> QLabel:
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        self.note.setObjectName("hint")  # the theme's muted text
        return self.note

    def _make_table(self) -> QTableWidget:
        self.table = QTableWidget(0, 4, self)
        self.table.setHorizontalHeaderLabels(["Layer", "Output", "Parameters", "How"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        return self.table

    def _make_buttons(self) -> QHBoxLayout:
        self.apply_button = QPushButton("Apply: make this network", self)
        self.apply_button.setToolTip("Build a new, untrained network with these layers")
        self.reset_button = QPushButton("Reset", self)
        self.reset_button.setToolTip("Back to the current network's settings")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.reset_button)
        buttons.addWidget(self.apply_button)
        return buttons

    def _make_offer(self) -> QFrame:
        """After applying: a non-blocking offer to train the new network."""
        self.offer = QFrame(self)
        self.offer.setFrameShape(QFrame.Shape.StyledPanel)
        self.offer_text = QLabel(
            "A new, untrained network was made: its votes are guesses "
            "until it learns. Train it now?",
            self.offer,
        )
        self.offer_text.setWordWrap(True)
        self.train_button = QPushButton("Train it now", self.offer)
        self.later_button = QPushButton("Not now", self.offer)
        offer_row = QHBoxLayout(self.offer)
        offer_row.addWidget(self.offer_text, 1)
        offer_row.addWidget(self.later_button)
        offer_row.addWidget(self.train_button)
        self.offer.hide()
        return self.offer

    # ---- the interface ------------------------------------------------------------------
    def set_model(self, spec: NetworkSpec, snapshot: WeightsSnapshot | None = None) -> None:
        self.base = spec
        if spec != self._applied:
            self.offer.hide()
        self.reset()

    def show_weights(self, snapshot: WeightsSnapshot) -> None:
        """Nothing here depends on the weights."""

    def show_trace(self, trace) -> None:
        """Nothing here depends on the drawing."""

    def reset(self) -> None:
        if self.base is not None:
            self.set_knobs(knobs_from_spec(self.base))
        self.note.setText(
            ""
            if self.base is None or is_plain(self.base)
            else "This network is not a plain stack of blocks; applying rebuilds it as one."
        )

    def set_knobs(self, knobs: Knobs) -> None:
        """Put `knobs` in the widgets (the guided tour can use this too)."""
        self._updating = True
        try:
            self.blocks.setValue(knobs.blocks)
            self._make_feature_spins(knobs.features)
            self.size.setValue(knobs.feature_size)
            self.stride.setValue(knobs.stride)
            self.padding.setValue(knobs.padding)
            self.pool_window.setValue(knobs.pool_window)
            self.pool_stride.setValue(knobs.pool_stride)
            self.neurons.setText(", ".join(str(n) for n in knobs.fc_neurons))
        finally:
            self._updating = False
        self.recheck()

    def knobs(self) -> Knobs:
        """The knobs as set; raises SpecError for unreadable neuron counts."""
        return Knobs(
            tuple(s.value() for s in self.feature_spins),
            self.size.value(),
            self.stride.value(),
            self.padding.value(),
            self.pool_window.value(),
            self.pool_stride.value(),
            parse_neurons(self.neurons.text()),
        )

    def apply(self) -> None:
        """Emit apply_requested with the validated spec; the window builds it in the background
        and calls `apply_ended`, which offers to train it. Until then the panel says it is
        working (Apply stays on: a newer request replaces this one)."""
        if self.result is None or not self.result.ok or not self.apply_button.isEnabled():
            return
        spec = self.result.spec
        self._applied = spec
        self.building = True
        self.offer.hide()
        self._show_status("Building this network…", ok=True)
        self.apply_requested.emit(spec)

    def apply_ended(self, ok: bool) -> None:
        """The build asked for by `apply` has ended (`ok`: it is the session's network now)."""
        self.building = False
        if ok:
            self.offer.show()
        self.recheck()

    # ---- reactions ----------------------------------------------------------------------
    def _train_now(self) -> None:
        self.offer.hide()
        if self._applied is not None:
            self.train_requested.emit(self._applied)

    def _blocks_changed(self, n: int) -> None:
        if self._updating:
            return
        current = tuple(s.value() for s in self.feature_spins) or (8,)
        self._make_feature_spins(Knobs(current, 1, 1, 0, 1, 1).with_blocks(n).features)
        self.recheck()

    def _make_feature_spins(self, features) -> None:
        while self.feature_spins:
            s = self.feature_spins.pop()
            self.features_row.removeWidget(s)
            s.hide()  # until deleteLater runs it would still paint where it was
            s.deleteLater()
        for b, f in enumerate(features):
            s = _spin(1, 512, f"Number of features in block {b + 1}: each one makes a map", self)
            s.setValue(f)
            s.valueChanged.connect(self.recheck)
            self.features_row.addWidget(s)
            self.feature_spins.append(s)

    def recheck(self, *_) -> None:
        """Recompute every shape with the core; show the result or the reason it is refused."""
        if self._updating or self.base is None:
            self.apply_button.setEnabled(False)
            return
        try:
            knobs = self.knobs()
        except SpecError as e:
            self.result = None
            self._show_status(str(e), ok=False)
            self.apply_button.setEnabled(False)
            return
        self.result = check(self.base, knobs)
        self._fill_table(self.result)
        r = self.result
        if r.ok:
            same = r.spec == self.base
            self._show_status(
                f"{r.total_params:,} parameters in all."
                + (" (This is the current network.)" if same else " Apply to make this network."),
                ok=True,
            )
            self.apply_button.setEnabled(not same)
        else:
            self._show_status(f"Not possible: {r.error}", ok=False)
            self.apply_button.setEnabled(False)
        if self.building:  # the knobs stay live (a newer Apply wins), the panel says it works
            self._show_status("Building this network…", ok=True)

    def _show_status(self, text: str, ok: bool) -> None:
        self.status.setText(text)
        self.status.setStyleSheet("" if ok else f"color: {REFUSED.name()}; font-weight: bold;")

    def _fill_table(self, r: KnobCheck) -> None:
        s = r.spec
        # the rows `convviz summary` prints too (core.summary), so the two never differ
        table = table_rows(s, [row.shape for row in r.rows])
        rows = [(t.title, t.shape_text, t.params_text, t.how) for t in table]
        tips = {i: t.description for i, t in enumerate(table)}  # shown over the layer's name
        refused_row = None
        if not r.ok:
            refused_row = len(rows)
            what = (
                "the whole network"
                if r.failed_at is None
                else f"layer {r.failed_at + 1} ({words(s.layers[r.failed_at].kind)[0]})"
            )
            rows.append((what, "refused", "", r.error))
        self.table.setRowCount(len(rows))
        bold = QFont(self.table.font())
        bold.setBold(True)
        for i, cells in enumerate(rows):
            for j, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)  # a narrow dock cuts the "How" column with "…"
                if j == 0 and tips.get(i):
                    item.setToolTip(f"{text}: {tips[i]}")
                if i == refused_row:
                    item.setForeground(REFUSED)
                    item.setFont(bold)
                    item.setToolTip(r.error)
                if j == 2:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.table.setItem(i, j, item)
