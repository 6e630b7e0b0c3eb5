"""The quick start of the layer list editor (the Architecture panel): the deck's knobs
(core/knobs.py), folded away under one button. Turning a knob asks the panel to fill the layer
list with the plain stack of blocks the knobs describe (`turned`); the panel reads them with
`knobs()`.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ...core.knobs import MAX_BLOCKS, Knobs, parse_neurons
from ...core.layers.sizes import EDGES

# the edge's words in the form, for each of layers/sizes.EDGES (the layer list says keep/drop)
CONV_EDGE_WORDS = {"keep": "refuse sizes it does not reach", "drop": "leave out what it misses"}
POOL_EDGE_WORDS = {"keep": "count windows hanging over", "drop": "leave them out"}


def _spin(lo: int, hi: int, tip: str, parent) -> QSpinBox:
    s = QSpinBox(parent)
    s.setRange(lo, hi)
    s.setToolTip(tip)
    return s


def _edge_choice(words: dict[str, str], tip: str, parent) -> QComboBox:
    c = QComboBox(parent)
    for edge in EDGES:
        c.addItem(words[edge], edge)
    c.setToolTip(tip)
    return c


class QuickStart(QWidget):
    turned = Signal()  # a knob was turned by the person (not while set_knobs fills them)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._updating = False
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.toggle = QToolButton(self)
        self.toggle.setText("Quick start: a stack of blocks")
        self.toggle.setToolTip(
            "A few knobs that fill the list below with convolution, ReLU and pooling blocks"
        )
        self.toggle.setCheckable(True)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setAutoRaise(True)
        self.form = QWidget(self)
        inside = QVBoxLayout(self.form)
        inside.setContentsMargins(12, 0, 0, 0)
        self.note = QLabel(self.form)  # said where it matters: before turning a knob
        self.note.setWordWrap(True)
        self.note.setObjectName("hint")  # the theme's muted text
        inside.addWidget(self.note)
        inside.addLayout(self._make_knobs())
        self.toggle.toggled.connect(self.fold)
        self.fold(False)
        lay.addWidget(self.toggle)
        lay.addWidget(self.form)
        for s in (self.size, self.stride, self.padding, self.pool_window, self.pool_stride):
            s.valueChanged.connect(self._turned)
        for c in (self.conv_edge, self.pool_edge):
            c.currentIndexChanged.connect(self._turned)
        self.blocks.valueChanged.connect(self._blocks_changed)
        self.neurons.textChanged.connect(self._turned)

    def fold(self, open_: bool) -> None:
        self.form.setVisible(open_)
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if open_ else Qt.ArrowType.RightArrow)

    def _make_knobs(self) -> QFormLayout:
        self.blocks = _spin(1, MAX_BLOCKS, "How many filtering → ReLU → pooling blocks", self)
        self.features_row = QHBoxLayout()
        self.feature_spins: list[QSpinBox] = []
        # two digits always type ("29" became "2" when the top was 15); a size that does not
        # fit the maps is refused in the list with the reason, like every other row
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
        self.conv_edge = _edge_choice(
            CONV_EDGE_WORDS,
            "When the stride does not land on the map's last rows and columns: refuse the size "
            "(every input cell used), or leave them out as most libraries do",
            self,
        )
        self.pool_edge = _edge_choice(
            POOL_EDGE_WORDS,
            "A last pooling window hanging over the map's edge: count it (the deck pools 7x7 "
            "to 4x4), or leave it out (Keras's 'valid' pooling: 11x11 to 5x5)",
            self,
        )
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
        form.addRow("Stride at the edge", self.conv_edge)
        form.addRow("Pooling window", self.pool_window)
        form.addRow("Pooling stride", self.pool_stride)
        form.addRow("Pooling at the edge", self.pool_edge)
        form.addRow("Fully connected neurons", self.neurons)
        return form

    def set_knobs(self, knobs: Knobs) -> None:
        """Put `knobs` in the form without announcing each one."""
        was, self._updating = self._updating, True
        try:
            self.blocks.setValue(knobs.blocks)
            self._make_feature_spins(knobs.features)
            self.size.setValue(knobs.feature_size)
            self.stride.setValue(knobs.stride)
            self.padding.setValue(knobs.padding)
            self.pool_window.setValue(knobs.pool_window)
            self.pool_stride.setValue(knobs.pool_stride)
            self.conv_edge.setCurrentIndex(EDGES.index(knobs.conv_edge))
            self.pool_edge.setCurrentIndex(EDGES.index(knobs.pool_edge))
            self.neurons.setText(", ".join(str(n) for n in knobs.fc_neurons))
        finally:
            self._updating = was

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
            self.conv_edge.currentData(),
            self.pool_edge.currentData(),
        )

    def _turned(self, *_) -> None:
        if not self._updating:
            self.turned.emit()

    def _blocks_changed(self, n: int) -> None:
        if self._updating:
            return
        current = tuple(s.value() for s in self.feature_spins) or (8,)
        self._make_feature_spins(Knobs(current, 1, 1, 0, 1, 1).with_blocks(n).features)
        self._turned()

    def _make_feature_spins(self, features) -> None:
        while self.feature_spins:
            s = self.feature_spins.pop()
            self.features_row.removeWidget(s)
            s.hide()  # until deleteLater runs it would still paint where it was
            s.deleteLater()
        for b, f in enumerate(features):
            s = _spin(1, 512, f"Number of features in block {b + 1}: each one makes a map", self)
            s.setValue(f)
            s.valueChanged.connect(self._turned)
            self.features_row.addWidget(s)
            self.feature_spins.append(s)
