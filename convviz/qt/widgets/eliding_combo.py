"""The drop-down every deck panel picks layers, features and maps with: `selector(tip)` makes an
ElidingCombo, which may be narrower than its items (the panels share a dock area with others
and must fit a projector's width) and cuts the chosen one with "…", its tooltip saying it whole.
Split from stepper_controls.py (both names still importable from there).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QSizePolicy,
    QStyle,
    QStyleOptionComboBox,
    QStylePainter,
)


class ElidingCombo(QComboBox):
    """A drop-down that may be narrower than its items: the chosen item is cut with "…" (a
    plain QComboBox cuts it mid-word with no sign), and the tooltip says it whole."""

    def __init__(self, tip: str, parent=None):
        super().__init__(parent)
        self._tip = tip
        # the tooltip follows the chosen item, also while the panel fills the list with
        # signals blocked (the model's own signals still arrive)
        self.currentIndexChanged.connect(self._retip)
        self.model().rowsInserted.connect(self._retip)
        self.model().rowsRemoved.connect(self._retip)
        self.model().modelReset.connect(self._retip)
        self._retip()

    def _field(self):
        opt = QStyleOptionComboBox()
        self.initStyleOption(opt)
        return opt, self.style().subControlRect(
            QStyle.ComplexControl.CC_ComboBox, opt, QStyle.SubControl.SC_ComboBoxEditField, self
        )

    def displayed_text(self) -> str:
        """The chosen item as painted: whole, or cut with "…" to the room there is."""
        self._retip()  # (an item chosen with signals blocked announced nothing)
        _opt, field = self._field()
        return self.fontMetrics().elidedText(
            self.currentText(), Qt.TextElideMode.ElideRight, max(0, field.width())
        )

    def _retip(self, *_):
        text = self.currentText()
        tip = f"{self._tip}\n{text}" if text else self._tip
        if tip != self.toolTip():
            self.setToolTip(tip)

    def paintEvent(self, event):  # Qt's name
        self._retip()  # (items set with signals blocked announce nothing)
        p = QStylePainter(self)
        opt, _field = self._field()
        opt.currentText = self.displayed_text()
        p.drawComplexControl(QStyle.ComplexControl.CC_ComboBox, opt)
        p.drawControl(QStyle.ControlElement.CE_ComboBoxLabel, opt)


def selector(tip: str, parent=None) -> QComboBox:
    """A drop-down that may be narrower than its longest item (the panels share a dock area
    with others and must fit a projector's width); the open list still shows whole items."""
    combo = ElidingCombo(tip, parent)
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    # 6 characters at the least: two drop-downs and their words share one row of a 380 px
    # dock (a 1024-pixel projector), where 8 stacked them and cost the steppers a line
    combo.setMinimumContentsLength(6)
    combo.setMinimumWidth(84)  # (the style asks 100 px whatever the length; it elides anyway)
    combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
    return combo
