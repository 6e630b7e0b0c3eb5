"""The architecture panel: the network as a list of layers a person edits, and Apply.

The list is the architecture editor (qt/widgets/layer_list.py, the view of the Qt-free
core/layer_rows.py): every row's kind and fields edited in place, each row's shape, parameter
count and formulas from the core on every keystroke, an impossible row marked with its reason
and Apply refused until every row fits. The deck's knobs (core/knobs.py) stay as a quick start,
folded away: turning one fills the list with a plain stack of blocks.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ...core.errors import SpecError
from ...core.knobs import (
    Knobs,
    apply_knobs,
    knobs_from_spec,
    why_not_plain,
)
from ...core.layer_rows_check import Checked, input_spec
from ...core.layer_rows_weights import origins
from ...core.snapshot import WeightsSnapshot
from ...core.spec import NetworkSpec
from ..widgets.layer_list import LayerListEditor
from ..widgets.layer_list_quick import QuickStart
from ..widgets.layer_list_row import REFUSED_COLOUR


class ArchitecturePanel(QWidget):
    """Shows the network's layers and lets a person edit them.

    Interface for the main window:
      set_model(spec, snapshot=None)  show this network (the spec is all it needs)
      show_weights(snapshot), show_trace(trace)  nothing to show here; kept for symmetry
      apply_requested(NetworkSpec)  the person applied a validated spec: build the new network
                                    from it (off the window's thread), keeping the weights of
                                    the layers in `applied_origins` whose shapes did not
                                    change, and rebuild the panels; then call apply_ended(ok)
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
        self.result: Checked | None = None
        self.quick_error = ""  # the quick form's own reason (unreadable neuron counts)
        self._applied: NetworkSpec | None = None
        # {name in the applied network: name in the one it was edited from} (core/layer_rows)
        self.applied_origins: dict[str, str] = {}
        self.building = False  # an applied network is being built in the background

        col = QVBoxLayout(self)
        self.quick = QuickStart(self)
        # the knobs by their old names (the tour, the tests and the benchmark turn them)
        q = self.quick
        self.blocks, self.feature_spins, self.neurons = q.blocks, q.feature_spins, q.neurons
        self.size, self.stride, self.padding = q.size, q.stride, q.padding
        self.pool_window, self.pool_stride = q.pool_window, q.pool_stride
        self.quick_toggle, self.quick_form, self.note = q.toggle, q.form, q.note
        col.addWidget(self.quick)
        self.editor = LayerListEditor(self)
        col.addWidget(self.editor, 1)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        col.addWidget(self.status)
        col.addLayout(self._make_buttons())
        col.addWidget(self._make_offer())

        self.quick.turned.connect(self._quick_changed)
        self.editor.changed.connect(self._list_changed)
        self.apply_button.clicked.connect(self.apply)
        self.reset_button.clicked.connect(self.reset)
        self.train_button.clicked.connect(self._train_now)
        self.later_button.clicked.connect(self.offer.hide)
        self.recheck()
        if session is not None:
            self.set_model(session.spec, session.snapshot)

    # ---- building ------------------------------------------------------------------------
    def _make_buttons(self) -> QHBoxLayout:
        self.apply_button = QPushButton("Apply: make this network", self)
        self.apply_button.setToolTip(
            "Build the network in the list; layers whose shapes did not change keep their weights"
        )
        self.reset_button = QPushButton("Reset", self)
        self.reset_button.setToolTip("Back to the current network's layers")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.reset_button)
        buttons.addWidget(self.apply_button)
        return buttons

    def _make_offer(self) -> QFrame:
        """After applying: a non-blocking offer to train the new network. The sentence takes
        the dock's whole width and the buttons a row under it: beside the buttons it was a
        narrow column six lines tall ("now?" cut off at 1024x768) that squeezed the layer
        list above it to one row."""
        self.offer = QFrame(self)
        self.offer.setFrameShape(QFrame.Shape.StyledPanel)
        self.offer_text = QLabel(
            "Its new layers are untrained: its votes are guesses until it learns. Train it now?",
            self.offer,
        )
        self.offer_text.setWordWrap(True)
        self.train_button = QPushButton("Train it now", self.offer)
        self.later_button = QPushButton("Not now", self.offer)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.later_button)
        buttons.addWidget(self.train_button)
        offer_col = QVBoxLayout(self.offer)
        offer_col.addWidget(self.offer_text)
        offer_col.addLayout(buttons)
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
        """The list and the knobs back to the current network."""
        if self.base is None:
            return
        self.quick_error = ""
        self.quick.set_knobs(knobs_from_spec(self.base))
        self.editor.set_spec(self.base)
        why = why_not_plain(self.base)
        self.note.setText(
            f"This network is not a plain stack of blocks the quick start can make: {why}. "
            "Turning a knob replaces the list with one."
            if why
            else ""
        )

    def set_knobs(self, knobs: Knobs) -> None:
        """Put `knobs` in the quick form, which fills the list (the guided tour can use this)."""
        self.quick.set_knobs(knobs)
        self._quick_changed()

    def knobs(self) -> Knobs:
        """The knobs as set; raises SpecError for unreadable neuron counts."""
        return self.quick.knobs()

    def apply(self) -> None:
        """Emit apply_requested with the validated spec; the window builds it in the background
        and calls `apply_ended`, which offers to train it. Until then the panel says it is
        working (Apply stays on: a newer request replaces this one)."""
        r = self.result
        if r is None or not r.ok or self.quick_error or not self.apply_button.isEnabled():
            return
        self._applied = r.spec
        self.applied_origins = origins(self.editor.model)
        self.building = True
        self.offer.hide()
        self._show_status("Building this network…", ok=True)
        self.apply_requested.emit(r.spec)

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

    def _quick_changed(self, *_) -> None:
        """A knob was turned: the list becomes the plain stack the knobs describe, on the
        input as typed in the list."""
        if self.base is None:
            return
        try:
            knobs = self.knobs()
        except SpecError as e:
            self.quick_error = str(e)
            self.recheck()
            return
        self.quick_error = ""
        base = self.base
        try:
            typed = input_spec(self.editor.model)
            base = replace(
                base,
                input_shape=typed.input_shape,
                channels=typed.channels,
                value_range=typed.value_range,
            )
        except (SpecError, AttributeError):  # an unreadable input: the network's own
            pass
        self.editor.fill(apply_knobs(base, knobs))

    def _list_changed(self) -> None:
        """The list changed (typed in, or filled by the quick start): what the quick start
        could not read no longer stands in the way."""
        self.quick_error = ""
        self.recheck()

    def recheck(self, *_) -> None:
        """Say what the list makes, or the first reason it cannot; Apply only when it can."""
        self.result = r = self.editor.checked
        if r is not None and r.ok and self.base is not None:
            self.result = r = replace(r, spec=edited_name(r.spec, self.base))
        if self.base is None or r is None:
            self.apply_button.setEnabled(False)
            return
        if self.quick_error:
            self._show_status(f"Not possible: {self.quick_error}", ok=False)
            self.apply_button.setEnabled(False)
        elif r.ok:
            same = r.spec == self.base
            self._show_status(
                f"{r.total_params:,} parameters in all."
                + (" (This is the current network.)" if same else " Apply to make this network."),
                ok=True,
            )
            self.apply_button.setEnabled(not same)
        else:
            self._show_status(f"Not possible: {r.reason}", ok=False)
            self.apply_button.setEnabled(False)
        if self.building:  # the list stays live (a newer Apply wins), the panel says it works
            self._show_status("Building this network…", ok=True)

    def _show_status(self, text: str, ok: bool) -> None:
        self.status.setText(text)
        self.status.setStyleSheet("" if ok else f"color: {REFUSED_COLOUR}; font-weight: bold;")


EDITED_SUFFIX = "-edited"


def edited_name(spec: NetworkSpec, base: NetworkSpec) -> NetworkSpec:
    """A network changed in the editor is no longer the one it started from: "tinyvgg" becomes
    "tinyvgg-edited" (the title bar, the status line and an exported file then say so)."""
    if replace(spec, name=base.name) == base or spec.name.endswith(EDITED_SUFFIX):
        return spec
    return replace(spec, name=spec.name + EDITED_SUFFIX)
