"""What if by direct clicks: a kernel clicked in the Kernels panel opens the editor on it; a map
clicked in the feature maps' "Switch off" mode, or a neuron's "why" bar in the votes, switches
it off; all through the one what-if model, one Undo; every panel says the network is edited and
the votes show what the unedited network said."""

import numpy as np
from PySide6.QtCore import QPoint, QPointF, Qt


def draw_x(session):
    c = session.canvas
    for a, b in (((4, 4), (23, 23)), ((23, 4), (4, 23))):
        c.begin_stroke(*a)
        c.stroke_to(*b)
        c.end_stroke()
    session.flush()


def click_kernel(qtbot, kernels, layer, feature, channel=0):
    e = kernels.layers[layer]
    r, c = e["layout"].origin(channel * e["shape"][0] + feature)
    scene = e["image"].mapToScene(QPointF(c + 0.5, r + 0.5))
    at = kernels.view.mapFromScene(scene)
    qtbot.mouseClick(kernels.view.viewport(), Qt.LeftButton, pos=QPoint(at.x(), at.y()))


def test_clicking_a_kernel_edits_it_and_every_panel_follows(make_window, qtbot):
    window = make_window("shapes")
    s, why = window.session, window.panels["why"]
    kernels, maps, votes = (window.panels[k] for k in ("kernels", "feature_maps", "votes"))
    votes.set_mode("raw")
    draw_x(s)
    before = s.trace.votes.copy()
    kernels.show()
    qtbot.waitExposed(kernels)
    assert kernels.kernel_at(kernels.layers["conv2"]["image"].mapToScene(QPointF(0.5, 0.5))) == (
        "conv2",
        0,
        0,
    )
    click_kernel(qtbot, kernels, "conv2", 3, 5)
    dialog = why.whatif.dialog
    assert dialog is not None and dialog.isVisible()
    ed = dialog.editor
    assert (ed.layer_box.currentText(), ed.feature_box.value(), ed.channel_box.value()) == (
        "conv2",
        4,
        6,
    )
    np.testing.assert_array_equal(ed.grid.values, s.snapshot["layers.3.weight"][3, 5])
    ed.clear_button.click()  # a feature from scratch
    assert not ed.grid.values.any()
    g = ed.grid
    assert min(g.width(), g.height()) >= 300  # large cells, for a class to see
    side = min(g.width(), g.height())
    ed.value_box.setValue(2.0)
    qtbot.mouseClick(g, Qt.LeftButton, pos=QPoint(side // 2, side // 2))  # the middle: +2
    ed.apply_button.click()
    w = s.snapshot["layers.3.weight"][3]
    k = w.shape[-1] // 2
    assert w[5, k, k] == 2.0 and np.count_nonzero(w[5]) == 1
    assert s.model.edits == ["conv2 feature 4 drawn by hand"]
    np.testing.assert_array_equal(kernels.kernel_values("conv2", 3, 5), w[5])  # followed
    assert "Edited network" in kernels.hint.text() and "Edited network" in maps.readout.text()
    assert "Edited network" in votes.view.bars.note
    np.testing.assert_allclose(votes.ghost_values, before, rtol=1e-5, atol=1e-5)  # the ghosts
    assert not np.allclose(votes.shown_values, before)
    delta = s.trace.votes[0] - before[0]
    assert votes.bar_texts[0].startswith(f"{s.trace.votes[0]:+.2f} ({delta:+.2f})")
    why.whatif.undo_button.click()  # the one Undo
    assert s.model.edits == [] and votes.ghost_values is None
    assert "Edited" not in kernels.hint.text() and "Edited" not in votes.view.bars.note
    np.testing.assert_allclose(s.trace.votes, before, rtol=1e-6)


def test_a_click_switches_off_a_map_or_a_neuron(make_window, qtbot):
    window = make_window("shapes")
    s, why = window.session, window.panels["why"]
    maps, votes = window.panels["feature_maps"], window.panels["votes"]
    draw_x(s)
    maps.view.clicked.emit("pool1", 2)  # a plain click enlarges the map, edits nothing
    assert maps.selected == ("pool1", 2) and s.model.edits == []
    maps.off_button.setChecked(True)
    maps.view.clicked.emit("relu2", 4)
    assert s.model.edits == ["conv2 map 5 switched off"]
    assert not s.trace.layer("relu2").values[4].any()  # the maps followed at once
    assert maps.selected == ("pool1", 2)
    chart = votes.why_view
    row = (chart.height() - 20) / len(chart.bars.values)
    neuron = int(votes.contributions[0][0])  # the strongest vote for the winner, on top
    qtbot.mouseClick(chart, Qt.LeftButton, pos=QPoint(chart.width() // 2, int(10 + 0.5 * row)))
    assert s.model.edits[-1] == f"fc1 neuron {neuron + 1} switched off"
    assert s.trace.layer("fc1").values[neuron] == 0
    why.whatif.reset_button.click()
    assert s.model.edits == []


def test_a_refused_click_edit_is_said_in_the_status_bar(make_window):
    window = make_window("shapes")
    s = window.session
    s.lock("training is running: stop it first")
    window.panels["why"].whatif.switch_off_shown("pool2", 0)
    assert s.model.edits == []
    assert window.statusBar().currentMessage() == "Cannot edit: training is running: stop it first"


def test_a_ghost_is_drawn_as_an_outline_where_the_old_vote_ended(qtbot):
    from convviz.qt.widgets.bar_chart import BarChart, Bars

    chart = BarChart()
    qtbot.addWidget(chart)
    chart.resize(400, 60)

    def picture(ghosts):
        chart.show_bars(
            Bars(
                labels=["a"],
                values=np.array([0.2], np.float32),
                colours=["#888888"],
                span=(0.0, 1.0),
                ghosts=ghosts,
            )
        )
        return chart.grab().toImage()

    plain, ghost = picture(None), picture(np.array([0.8], np.float32))
    differs = [x for x in range(400) if plain.pixel(x, 30) != ghost.pixel(x, 30)]
    # the outline's far end crosses the row's middle line where 0.8 of the span ends (its near
    # end lies under the zero line), well past the bar itself (0.2)
    assert differs and min(differs) > 0.6 * 400


def test_a_bars_text_is_written_after_its_ghost(qtbot):
    from PySide6.QtGui import QColor

    from convviz.qt import theme
    from convviz.qt.widgets.bar_chart import BarChart, Bars

    chart = BarChart()
    qtbot.addWidget(chart)
    chart.resize(400, 60)
    chart.show_bars(
        Bars(
            labels=["a"],
            values=np.array([0.2], np.float32),
            colours=["#888888"],
            texts=["+0.20 (-0.60)"],
            text_colours=["#ff0000"],
            span=(0.0, 1.0),
            ghosts=np.array([0.8], np.float32),
        )
    )
    image = chart.grab().toImage()
    outline, red = QColor(theme.TEXT).rgb(), []
    ghost = [x for x in range(400) for y in range(60) if image.pixel(x, y) == outline]
    for x in range(400):
        for y in range(60):
            c = image.pixelColor(x, y)
            if c.red() > 150 and c.green() < 80:
                red.append(x)
    assert ghost and red and min(red) > max(ghost)


def test_raise_lower_mode_adds_the_value_once_per_click(qtbot):
    from convviz.qt.widgets.kernel_editor import NUDGE, KernelEditor

    ed = KernelEditor()
    qtbot.addWidget(ed)
    ed.grid.set_values(np.full((3, 3), 0.25))
    ed.grid.resize(90, 90)
    ed.mode_box.setCurrentIndex(ed.mode_box.findData(NUDGE))
    ed.value_box.setValue(0.5)
    for _ in range(2):
        qtbot.mouseClick(ed.grid, Qt.LeftButton, pos=QPoint(15, 15))  # top-left: +0.5 twice
    qtbot.mouseClick(ed.grid, Qt.RightButton, pos=QPoint(75, 75))  # bottom-right: -0.5
    assert ed.grid.values[0, 0] == 1.25 and ed.grid.values[2, 2] == -0.25
    assert ed.grid.values[1, 1] == 0.25
