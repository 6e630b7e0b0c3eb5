"""The panel both stepper panels (pooling, filtering) are made on, and the pieces every deck
panel's top row uses (ReLU's too).

- StepperPanel: controls at the bottom, a caption above them, and the public API the main window
  and the guided tour use: play(), pause(), step_forward(), step_back(), jump_to_end(),
  current_step, step_changed(int). It shows only traces of the network it lays out.
- picker_row, help_label: the row of labelled drop-downs, the muted explanation under it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from .. import theme
from .flow_layout import WrapRow
from .stepper_controls import StepperControls


def picker_row(parent, pairs) -> QHBoxLayout:
    """The row of labelled drop-downs at the top of a deck panel: [(label or QLabel, combo)];
    in a narrow dock the pairs stack (see WrapRow)."""
    boxes = []
    for label, combo in pairs:
        box = QWidget(parent)
        lay = QHBoxLayout(box)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(label if isinstance(label, QLabel) else QLabel(label, box))
        lay.addWidget(combo, 1)  # (expanding: the drop-downs share the row's width)
        boxes.append(box)
    row = QHBoxLayout()
    row.addWidget(WrapRow(boxes, parent=parent))
    return row


def help_label(text: str, parent) -> QLabel:
    """A panel's short explanation: wrapped, in the theme's muted hint colour (an explanation,
    not a control)."""
    label = QLabel(text, parent)
    label.setWordWrap(True)
    label.setObjectName("hint")
    return label


class StepperPanel(QWidget):
    """Base of the pooling and filtering panels: controls at the bottom, a caption above them,
    and the API the main window and the guided tour drive."""

    step_changed = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.controls = StepperControls(self)
        self.controls.step_changed.connect(self._on_step)
        self.caption = QLabel(self)
        self.caption.setWordWrap(True)
        self.caption.setTextFormat(Qt.TextFormat.RichText)
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        f = QFont(self.caption.font())
        f.setPixelSize(theme.CAPTION_PX)
        self.caption.setFont(f)
        self.caption.setMinimumHeight(48)
        self.notice = QLabel(self)  # shown instead of the grids when there is nothing to step
        self.notice.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.notice.setWordWrap(True)
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(6, 6, 6, 6)

    def assemble(self, top: QHBoxLayout, text: str, grids: QWidget) -> None:
        """Stack the panel: pickers, explanation, grids, notice, caption, controls."""
        self.grids = grids
        self.layout_.addLayout(top)
        self.layout_.addWidget(help_label(text, self))
        self.layout_.addWidget(grids, 1)
        self.layout_.addWidget(self.notice, 1)
        self.layout_.addWidget(self.caption)
        self.layout_.addWidget(self.controls)

    def show_trace(self, trace) -> None:
        """New values (the drawing or the weights changed): same window position, new numbers."""
        if trace is None or not trace.made_by(self.spec):
            return  # a trace of the previous network, still on its way
        self.trace = trace
        self._rebuild_stepper()

    def select_layer(self, layer_name: str, kind: str) -> None:
        """Choose `layer_name` in the layer picker, or raise ValueError naming the choices."""
        names = [sl.name for sl in self._layers]
        if layer_name not in names:
            raise ValueError(
                f"no {kind} layer named {layer_name!r} (this network has: "
                f"{', '.join(names) or 'none'})"
            )
        self.layer_combo.setCurrentIndex(names.index(layer_name))

    @property
    def layer(self):
        """The StepLayer chosen in the layer picker, or None when the network has none."""
        i = self.layer_combo.currentIndex()
        return self._layers[i] if 0 <= i < len(self._layers) else None

    # ---- the API ------------------------------------------------------------------------
    @property
    def current_step(self) -> int:
        return self.controls.current_step

    @property
    def n_steps(self) -> int:
        return self.controls.n_steps

    def play(self) -> None:
        self.controls.play()

    def pause(self) -> None:
        self.controls.pause()

    def step_forward(self) -> None:
        self.controls.step_forward()

    def step_back(self) -> None:
        self.controls.step_back()

    def jump_to_end(self) -> None:
        self.controls.jump_to_end()

    def seek(self, step: int) -> None:
        self.controls.seek(step)

    def _on_step(self, i: int) -> None:
        self._show_step()
        self.step_changed.emit(i)

    def _refresh(self) -> None:
        """The grids and the current step, or, with nothing to step through, why not."""
        ready = self.stepper is not None
        self.grids.setVisible(ready)
        self.notice.setVisible(not ready)
        if not ready:
            self.notice.setText(self._waiting_text())
            self.caption.setText("")
            return
        self._show_step()

    def _waiting_text(self) -> str:  # pragma: no cover - each panel says it its own way
        raise NotImplementedError

    def _show_step(self) -> None:  # pragma: no cover - each panel draws its own step
        raise NotImplementedError
