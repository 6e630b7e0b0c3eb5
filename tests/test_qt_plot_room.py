"""The Training dock's loss and accuracy plots stay readable in the room a dock gives them: at
1024x768 (about 430x135 px) each stacked plot was ~20 px tall with no curve in sight, the two
axis labels ran into each other ("ccuracy (%)oss"), the accuracy ticks 80/60/40/20 printed on
top of each other, and the legend covered the curve."""

import pytest
from PySide6.QtGui import QFontMetricsF
from PySide6.QtWidgets import QApplication

from convviz.qt.training.panel import TrainingPanel


@pytest.fixture
def panel(qtbot):
    p = TrainingPanel()
    qtbot.addWidget(p)
    p.show()
    return p


def plots_at(panel, width, height):
    panel.plots.setFixedSize(width, height)
    for _ in range(5):
        QApplication.processEvents()
    return panel.loss_plot, panel.acc_plot


@pytest.mark.parametrize("size", [(430, 135), (560, 200)])  # the dock at 1024x768, 1600x1000
def test_side_by_side_each_plot_has_room_for_its_curve(panel, size):
    loss, acc = plots_at(panel, *size)
    for plot in (loss, acc):
        assert plot.vb.height() >= 0.25 * size[1]  # (~20 px of 135 stacked, 0.15)
        right = plot.mapRectToScene(plot.boundingRect()).right()
        assert right <= size[0] + 1  # nothing past the dock's edge
        assert not plot.getAxis("left").label.isVisible()  # the title says what it is
    assert loss.vb.width() > acc.vb.width() > 60


def test_a_tall_narrow_room_stacks_them_with_one_x_axis(panel):
    loss, acc = plots_at(panel, 300, 520)
    assert acc.mapRectToScene(acc.boundingRect()).top() >= loss.vb.sceneBoundingRect().bottom()
    assert not loss.getAxis("bottom").isVisible() and acc.getAxis("bottom").isVisible()
    assert "cross-entropy" in loss.titleLabel.text


@pytest.mark.parametrize("pixels", [40, 60, 90, 200])
def test_tick_numbers_never_overlap(panel, pixels):
    for plot, (lo, hi) in ((panel.acc_plot, (0, 100)), (panel.loss_plot, (0, 2.5))):
        axis = plot.getAxis("left")
        step = axis.tickSpacing(lo, hi, pixels)[0][0]
        line = QFontMetricsF(axis.font()).height()
        assert step / (hi - lo) * pixels >= line  # a line of text apart at least
    axis = panel.acc_plot.getAxis("bottom")
    step = axis.tickSpacing(0, 1000, pixels)[0][0]
    assert step / 1000 * pixels >= QFontMetricsF(axis.font()).horizontalAdvance("1000")


def test_the_legend_is_in_the_title_not_over_the_curve(panel):
    loss, _acc = plots_at(panel, 430, 135)
    assert loss.legend is None or not loss.legend.isVisible()
    for words in ("batch", "trend", "val"):
        assert words in loss.titleLabel.text
    assert "each batch" in panel.plots.toolTip()
