"""The votes panel on its own: the headline is never cut off, however narrow the dock."""

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication

from convviz.core.network import build
from convviz.core.presets import preset
from convviz.qt import theme
from convviz.qt.docks import SCROLL_WIDER_THAN
from convviz.qt.panels.votes.panel import VotesPanel


@pytest.fixture
def shown_panel(qtbot):
    net = build(preset("shapes"), seed=0)
    panel = VotesPanel()
    panel.setStyleSheet(theme.STYLE_SHEET)  # the app's fonts: the headline is larger
    qtbot.addWidget(panel)
    panel.set_model(net.spec, net.snapshot())
    panel.resize(560, 700)
    panel.show()
    # a long class name wins: the widest headline the panel can show
    trace = net.trace(np.full((28, 28), 0.0, np.float32))
    panel.show_trace(trace)
    return panel, net, trace


@pytest.mark.parametrize("width", [180, 260, 340, 560, 900])
def test_headline_is_never_cut_off(qtbot, shown_panel, width):
    panel, net, trace = shown_panel
    panel.resize(width, 700)
    QApplication.processEvents()
    verdict = panel.verdict
    for name in net.spec.classes:  # whichever class wins, its headline fits
        trace.votes[:] = -1
        trace.votes[net.spec.classes.index(name)] = 1
        panel.show_trace(trace)
        QApplication.processEvents()
        text = verdict.text()
        assert name in text and "% sure" in text
        assert verdict.heightForWidth(verdict.width()) <= verdict.height()
    # the buttons have a row of their own under the headline, never on top of it
    for button in (panel.raw_button, panel.prob_button):
        top_left = button.mapTo(panel, button.rect().topLeft())
        assert top_left.y() >= verdict.geometry().bottom()
    why = panel.why_label
    assert why.heightForWidth(why.width()) <= why.height()


def test_headline_height_does_not_follow_every_frame(qtbot, shown_panel):
    """The height is set for the longest verdict, so the panel does not re-lay-out while the
    winner changes under the pen."""
    panel, net, trace = shown_panel
    panel.resize(300, 700)
    QApplication.processEvents()
    heights = set()
    for k in range(len(net.spec.classes)):
        trace.votes[:] = -1
        trace.votes[k] = 1
        panel.show_trace(trace)
        QApplication.processEvents()
        heights.add(panel.verdict.height())
    assert len(heights) == 1


def test_bars_follow_the_trace_and_survive_thousands_of_repaints(qtbot, shown_panel):
    panel, _net, trace = shown_panel
    np.testing.assert_allclose(panel.bar_values(), trace.votes)
    assert panel.bar_texts[trace.winner].endswith("◀ winner")
    panel.set_mode("probabilities")
    np.testing.assert_allclose(panel.bar_values(), trace.probabilities, rtol=1e-6)
    assert panel.view.bars.span == (0.0, 1.0)
    pick, vals = panel.contributions
    np.testing.assert_allclose(panel.why_view.bars.values, vals)
    assert panel.why_view.bars.labels == [panel.names[j] for j in pick]
    for i in range(3000):  # PySide6 6.12 leaked on overridden paint calls and aborted
        if i % 5 == 0:
            panel.show_trace(trace)
        panel.view.repaint()
        panel.why_view.repaint()
    assert panel.isVisible()


def test_panel_fits_a_narrow_dock_without_scroll_bars(qtbot, shown_panel):
    panel, _net, _trace = shown_panel
    # wider than this at its narrowest, the window would wrap it in a scroll area
    assert panel.minimumSizeHint().width() <= SCROLL_WIDER_THAN


def test_a_new_winner_lays_nothing_out(qtbot, shown_panel):
    """The headline and the "why" text change with every frame while someone draws: they must
    repaint themselves only, not ask the panel (and so the main window) for a new layout."""
    from PySide6.QtCore import QEvent, QObject

    panel, net, trace = shown_panel
    QApplication.processEvents()

    class Watch(QObject):
        count = 0

        def eventFilter(self, obj, event):
            if event.type() == QEvent.Type.LayoutRequest:
                Watch.count += 1
            return False

    watch = Watch()
    panel.installEventFilter(watch)
    texts = set()
    for k in range(len(net.spec.classes)):
        trace.votes[:] = -1
        trace.votes[k] = 1 + 0.1 * k
        panel.show_trace(trace)
        QApplication.processEvents()
        texts.add((panel.verdict.text(), panel.why_label.text()))
    assert len(texts) == len(net.spec.classes)  # the texts did change every time
    assert Watch.count == 0


def test_class_names_read_as_written_in_the_why_text(qtbot):
    from convviz.qt.panels.votes.why_bars import why_text
    from convviz.qt.widgets.live_text import LiveText

    label = LiveText(why_text("R&D <draft>", 64, 0.5, 1.25))
    qtbot.addWidget(label)
    assert label.plain_text().startswith("Why R&D <draft>? The inputs")


@pytest.mark.parametrize("row_px, words", [(30, True), (12, True), (6, False)])
def test_squeezed_bar_rows_keep_their_labels_down_to_a_small_text(qtbot, row_px, words):
    from PySide6.QtGui import QColor

    from convviz.qt.widgets.bar_chart import PAD, BarChart, Bars

    chart = BarChart()
    qtbot.addWidget(chart)
    names = ["X", "O", "square", "triangle", "plus", "check"]
    chart.show_bars(
        Bars(names, np.linspace(-1, 1, 6).astype(np.float32), [theme.RAISED] * 6, span=(-1.0, 1.0))
    )
    chart.resize(300, 2 * PAD + 6 * row_px)
    chart.show()
    qtbot.waitExposed(chart)
    picture = chart.grab().toImage()
    background = QColor(theme.PANEL)
    # the label column: left of the bars (labels are right-aligned against the axis)
    inked = sum(
        picture.pixelColor(x, y) != background
        for x in range(PAD, PAD + 20)
        for y in range(PAD, picture.height() - PAD)
    )
    assert (inked > 20) == words


def test_a_blank_canvas_shows_no_votes_and_says_why(qtbot):
    from convviz.qt.panels.votes.panel import NOTHING_DRAWN
    from convviz.qt.panels.votes.vote_bars import NO_DRAWING_NOTE

    net = build(preset("shapes"), seed=0)
    panel = VotesPanel()
    qtbot.addWidget(panel)
    panel.set_model(net.spec, net.snapshot())
    lo, _hi = net.spec.value_range
    panel.show_trace(net.trace(np.full((28, 28), lo, np.float32)))  # nothing drawn
    assert panel.verdict.text() == NOTHING_DRAWN
    assert not np.any(panel.bar_values())  # no bar for the votes the network gives nothing
    assert not any(panel.view.bars.texts) and panel.view.bars.note == NO_DRAWING_NOTE
    assert panel.view.bars.labels == list(net.spec.classes)  # the classes still named


def test_the_unsure_headline_has_single_spaces():
    from convviz.qt.panels.votes.panel import unsure_text

    assert unsure_text("triangle", 0.18) == "Not sure: maybe triangle (18%)"
