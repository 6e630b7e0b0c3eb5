"""The Train dialog's network: the current one, the Architecture panel's, a preset, or custom
layers set in the layer list editor; and the words under it (input size, layers, weights). A part
of TrainDialog (dialog.py)."""

from __future__ import annotations

import contextlib

from PySide6.QtWidgets import QComboBox, QFormLayout, QGroupBox, QLabel, QVBoxLayout

from ...core.errors import ConvvizError
from ...core.knobs import Knobs, apply_knobs
from ...core.presets import PRESETS, preset
from ...core.spec import NetworkSpec
from ..widgets.layer_list import LayerListEditor

CURRENT, CUSTOM, GIVEN = "current", "custom", "given"
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


class NetworkSection:
    """TrainDialog's network box and the spec it gives (a mixin: these run on the dialog)."""

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
        for name in PRESETS:  # every preset: the window shows colour and any input shape
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
