"""Issue 19's readability fixes, each checked at its cause: one number formatter, the enlarged
map's numbers inside their cells, the ReLU change visible on a 28x28 map, filled cells that
stand out from empty ones, a whole-map play time that stays short, the step counter's room, and
a feature size of two digits."""

import numpy as np
import pytest
from PySide6.QtGui import QFontMetricsF
from test_stepper import drawings

from convviz.core.bundled import preset_model
from convviz.core.network import build
from convviz.core.numbers import deck_number
from convviz.core.presets import deck_x, preset
from convviz.qt.widgets import cell_grid as cg
from convviz.qt.widgets import stepper_controls as sc


def test_one_formatter_cuts_like_the_deck():
    assert deck_number(5 / 9) == "0.55" and deck_number(-7 / 9) == "-0.77"
    assert deck_number(7 / 9, 1) == "0.7" and deck_number(-1e-9) == "0.00"
    assert deck_number(0.9999999) == "1.00" and deck_number(float("nan")) == ""
    assert cg.cell_texts(np.array([[5 / 9, -7 / 9]]))[0] == ["0.55", "-0.77"]


def test_the_enlarged_map_and_its_readout_write_values_as_the_steppers_do(qtbot):
    """5/9 read 0.56 in the enlarged map and 0.55 in the steppers; -7/9, -0.78 and -0.77."""
    from convviz.qt.panels.feature_maps import FeatureMapsPanel

    net = preset_model("xo")
    panel = FeatureMapsPanel()
    qtbot.addWidget(panel)
    panel.resize(700, 900)
    panel.show()
    panel.set_model(net.spec, net.snapshot())
    trace = net.trace(deck_x())
    panel.show_trace(trace)
    panel.select_map("conv1", 0)
    qtbot.wait(20)
    values = trace.layer("conv1").values[0]
    shown = [t.toPlainText() for t in panel.detail_numbers if t.isVisible()]
    assert shown == [deck_number(v) for v in values.ravel()]
    assert any(abs(v - 5 / 9) < 1e-6 for v in values.ravel())  # the case the issue names
    assert shown == [t for row in cg.cell_texts(values) for t in row]
    panel._hover("conv1", 0, 0, 0)
    assert panel.readout.text().endswith(f"=  {deck_number(values[0, 0])}")


@pytest.mark.parametrize("size", [(900, 520), (420, 900), (700, 700)])
def test_the_enlarged_numbers_stay_inside_their_cells(qtbot, size):
    """The cell size came from the box's width alone: a wide, low box printed numbers over
    their neighbours."""
    from convviz.qt.panels.feature_maps import FeatureMapsPanel

    net = preset_model("xo")
    panel = FeatureMapsPanel()
    qtbot.addWidget(panel)
    panel.resize(*size)
    panel.show()
    panel.set_model(net.spec, net.snapshot())
    panel.show_trace(net.trace(deck_x()))
    panel.select_map("conv1", 1)
    qtbot.wait(20)
    box = panel.detail_box  # the map is square in it: the shorter side decides
    cell = min(box.width() / 7, box.height() / 7)
    for t in panel.detail_numbers:
        if t.isVisible():
            width = QFontMetricsF(t.textItem.font()).horizontalAdvance(t.toPlainText())
            assert width <= cell, (t.toPlainText(), width, cell)


def _red_share(grid) -> float:
    """The share of the marked cells' area painted in the mark colour."""
    img = grid.grab().toImage()
    cell = grid.cell_size()
    o = grid._origin(cell)
    _rows, _cols = grid.values.shape
    red = total = 0
    for r, c in zip(*np.nonzero(grid._marked), strict=True):
        for y in range(int(o.y() + r * cell), int(o.y() + (r + 1) * cell)):
            for x in range(int(o.x() + c * cell), int(o.x() + (c + 1) * cell)):
                q = img.pixelColor(x, y)
                red += q.red() > 150 and q.green() < 80 and q.blue() < 90
                total += 1
    return red / max(total, 1)


def test_relu_on_a_28x28_map_shows_the_change(qtbot):
    """Frames in every negative cell of a 28x28 map painted them red in Before and After
    alike; an outline round the changed cells leaves their colours (blue before, neutral
    after) to show the change."""
    from convviz.qt.panels.relu import ReluView

    net = build(preset("shapes"), seed=0)
    view = ReluView()
    qtbot.addWidget(view)
    view.resize(620, 560)
    view.show()
    view.set_model(net.spec, net.snapshot())
    view.show_trace(net.trace(next(iter(drawings(net.spec, 1, 3)))))
    view.select("relu1", 0)
    qtbot.wait(20)
    assert view.before_grid._marked.sum() > 20 and view.before_grid.cell_size() < 20
    for grid in (view.before_grid, view.after_grid):
        assert _red_share(grid) < 0.3
    before, after = view.before_grid.grab().toImage(), view.after_grid.grab().toImage()
    a = np.array(
        [
            [before.pixelColor(x, y).lightness() for x in range(0, before.width(), 3)]
            for y in range(0, before.height(), 3)
        ],
        float,
    )
    b = np.array(
        [
            [after.pixelColor(x, y).lightness() for x in range(0, after.width(), 3)]
            for y in range(0, after.height(), 3)
        ],
        float,
    )
    assert np.abs(a - b).mean() > 4  # the two pictures differ where the cells changed


def test_filled_cells_stand_out_from_empty_ones():
    """Empty (not yet filled) cells were light grey, like a filled value near zero."""
    empty = np.array(cg.EMPTY_COLOR.getRgb()[:3]) @ np.array([0.299, 0.587, 0.114]) / 255
    assert np.min(np.abs(cg._LUMA - empty)) > 0.15


def test_playing_a_whole_map_takes_at_most_about_twenty_seconds(qtbot):
    controls = sc.StepperControls()
    qtbot.addWidget(controls)

    def whole_map_s(n):
        controls.set_count(n)
        return n * controls.timer.interval() / 1000

    assert controls.timer.interval() == round(1000 / 3)  # the deck's small maps: 3 a second
    assert whole_map_s(16) <= 8 and controls.timer.interval() == round(1000 / 3)
    assert whole_map_s(784) <= 21  # was 784 / 3 s = 4.4 minutes
    assert whole_map_s(49) <= 21
    controls.set_speed(5)  # the person's choice is kept for the next map
    assert whole_map_s(784) == pytest.approx(784 / 5, rel=0.01)


def test_the_step_counter_has_room_for_its_longest_text(qtbot):
    controls = sc.StepperControls()
    qtbot.addWidget(controls)
    controls.set_count(784)
    need = controls.step_label.fontMetrics().horizontalAdvance("Window 784 of 784")
    assert controls.step_label.minimumWidth() >= need
    assert controls.minimumSizeHint().width() >= need


def test_a_two_digit_feature_size_can_be_typed(qtbot):
    from PySide6.QtCore import Qt

    from convviz.qt.panels.architecture import ArchitecturePanel

    panel = ArchitecturePanel()
    qtbot.addWidget(panel)
    panel.set_model(preset("shapes"))
    panel.size.lineEdit().selectAll()
    qtbot.keyClicks(panel.size, "29")
    qtbot.keyClick(panel.size, Qt.Key.Key_Tab)
    assert panel.size.value() == 29  # it became 2, silently


def test_a_grid_title_wider_than_its_grid_is_elided_and_said_in_the_tooltip(qtbot):
    """The filtering heading lost both ends ("ut map with 2 rings of zero padd")."""
    title = "Input map with 2 rings of zero padding"
    grid = cg.CellGrid(title)
    qtbot.addWidget(grid)
    grid.set_values(np.zeros((28, 28), np.float32), margin=2, margin_zero=True)
    grid.resize(150, 170)
    shown = grid.shown_title()
    assert shown.endswith("…") and grid.toolTip() == title
    assert QFontMetricsF(grid.title_font()).horizontalAdvance(shown) <= grid.width() - 4
    grid.resize(600, 600)
    assert grid.shown_title() == title and grid.toolTip() == ""


def test_the_canvas_toolbar_is_never_squeezed_below_its_widest_group(qtbot):
    """The flow layout claimed its groups' minimum widths but placed them at their size hints:
    a narrow canvas cut the last "Trickier cases" button."""
    from convviz.core.canvas_model import CanvasModel
    from convviz.qt.panels.canvas import CanvasPanel

    panel = CanvasPanel(CanvasModel(28))
    qtbot.addWidget(panel)
    bar = panel.layout().itemAt(0).widget()
    widest = max(bar.layout().itemAt(i).sizeHint().width() for i in range(bar.layout().count()))
    assert panel.minimumSizeHint().width() >= widest
