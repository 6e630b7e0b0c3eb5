"""The desktop app end to end: draw with the mouse, and check the canvas, every panel, the menus,
the docks and what is remembered between runs."""

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from convviz.core.presets import preset
from convviz.qt.main_window import MainWindow


def window_with(make_window, name="shapes"):
    w = make_window(name)
    c = w.session.canvas
    c.brush.size, c.brush.softness = 1.0, 0.0  # hard one-pixel pen: exact ink expected
    return w, w.canvas_panel.view


def cell(view, row, col) -> QPoint:
    return view.cell_centre(row, col).toPoint()


def drag(qtbot, view, cells, button=Qt.LeftButton):
    qtbot.mousePress(view, button, pos=cell(view, *cells[0]))
    for rc in cells[1:]:
        qtbot.mouseMove(view, cell(view, *rc))
    qtbot.mouseRelease(view, button, pos=cell(view, *cells[-1]))


def test_mouse_strokes_fill_the_canvas_array(qtbot, make_window):
    w, view = window_with(make_window)
    drag(qtbot, view, [(5, 3), (5, 20)])
    drag(qtbot, view, [(2, 10), (24, 10)])
    want = np.zeros((28, 28), np.float32)
    want[5, 3:21] = 1
    want[2:25, 10] = 1
    np.testing.assert_array_equal(w.session.canvas.ink, want)
    drag(qtbot, view, [(5, 3), (5, 6)], button=Qt.RightButton)  # right button erases
    want[5, 3:7] = 0
    np.testing.assert_array_equal(w.session.canvas.ink, want)


def test_panels_show_the_cores_trace_of_the_drawing(qtbot, make_window):
    w, view = window_with(make_window)
    drag(qtbot, view, [(4, 4), (23, 23)])
    drag(qtbot, view, [(4, 23), (23, 4)])
    qtbot.waitUntil(lambda: w.session.trace is not None and not w.session._dirty, timeout=3000)
    # the core's trace of the same picture, built independently of the canvas
    picture = np.where(w.session.canvas.ink > 0, 1.0, -1.0).astype(np.float32)
    expected = w.session.model.trace(picture)

    votes = w.panels["votes"]
    np.testing.assert_allclose(votes.bar_values(), expected.votes, rtol=1e-5, atol=1e-6)
    votes.set_mode("probabilities")
    np.testing.assert_allclose(votes.bar_values(), expected.probabilities, rtol=1e-5, atol=1e-6)
    assert votes.verdict.text().startswith(f"It looks like {expected.classes[expected.winner]}")

    maps = w.panels["feature_maps"]
    assert maps.visible_layers() == ["input", "conv1", "relu1", "pool1", "conv2", "relu2", "pool2"]
    np.testing.assert_allclose(maps.map_values("input", 0), expected.input[0])  # the drawing
    layers = maps.visible_layers()[1:]
    for name in layers:
        values = expected.layer(name).values
        for i in range(values.shape[0]):
            np.testing.assert_allclose(maps.map_values(name, i), values[i], rtol=1e-5, atol=1e-6)
    for name in layers:  # each layer on its own scale (the default), 0 neutral
        level = maps.layers[name].level
        assert level >= np.abs(expected.layer(name).values).max()
        assert f"scale ±{level:.2g}" in maps.layers[name].title

    kernels = w.panels["kernels"]
    snap = w.session.snapshot
    np.testing.assert_array_equal(kernels.kernel_values("conv1", 3), snap["layers.0.weight"][3, 0])
    np.testing.assert_array_equal(
        kernels.kernel_values("conv2", 11, 5), snap["layers.3.weight"][11, 5]
    )


def test_vote_reasons_are_value_times_weight(qtbot, make_window):
    from convviz.core.network import vote_contributions

    w, view = window_with(make_window, "xo")
    drag(qtbot, view, [(1, 1), (7, 7)])
    w.session.flush()
    votes, trace = w.panels["votes"], w.session.trace
    pick, vals = votes.contributions
    contrib, _ = vote_contributions(trace, w.session.snapshot, trace.winner)
    np.testing.assert_allclose(vals, contrib[pick])
    assert vals[0] == contrib.max() and vals[-1] == contrib.min()
    assert "(" in votes.names[pick[0]]  # xo inputs are named by feature map and cell


def test_kernels_follow_new_weights(qtbot, make_window):
    w, _ = window_with(make_window)
    snap = w.session.snapshot.copy()
    snap["layers.0.weight"][2, 0] = np.arange(25, dtype=np.float32).reshape(5, 5) / 25
    traces = w.session.trace_count
    w.session.apply_snapshot(snap)
    np.testing.assert_array_equal(
        w.panels["kernels"].kernel_values("conv1", 2), snap["layers.0.weight"][2, 0]
    )
    # the drawing is traced under the new weights at once (no event-loop turn in between), so
    # the panels repaint once for weights and maps together
    assert w.session.trace_count == traces + 1
    np.testing.assert_allclose(
        w.session.trace.layer("conv1").values,
        w.session.model.trace(w.session.canvas.as_input()).layer("conv1").values,
    )


def test_vote_reasons_follow_new_weights_and_their_trace_together(qtbot, make_window):
    from convviz.core.network import vote_contributions

    w, view = window_with(make_window, "xo")
    drag(qtbot, view, [(1, 1), (7, 7)])
    w.session.flush()
    snap = w.session.snapshot.with_arrays({k: v * 1.5 for k, v in w.session.snapshot.items()})
    w.session.apply_snapshot(snap)
    trace = w.session.trace
    pick, vals = w.panels["votes"].contributions
    contrib, _ = vote_contributions(trace, snap, trace.winner)
    np.testing.assert_allclose(vals, contrib[pick], rtol=1e-6)


def test_undo_redo_from_the_edit_menu(qtbot, make_window):
    w, view = window_with(make_window)
    drag(qtbot, view, [(3, 3), (3, 9)])
    one = w.session.canvas.ink.copy()
    drag(qtbot, view, [(10, 3), (10, 9)])
    two = w.session.canvas.ink.copy()
    acts = w.canvas_panel.actions
    acts["undo"].trigger()
    np.testing.assert_array_equal(w.session.canvas.ink, one)
    acts["undo"].trigger()
    assert not w.session.canvas.ink.any() and not acts["undo"].isEnabled()
    acts["redo"].trigger()
    acts["redo"].trigger()
    np.testing.assert_array_equal(w.session.canvas.ink, two)
    assert not acts["redo"].isEnabled()
    acts["clear"].trigger()
    assert not w.session.canvas.ink.any()


@pytest.mark.parametrize(
    "key,check",
    [
        ("shift_left", lambda a, b: np.array_equal(b[:, :-1], a[:, 1:])),
        ("shift_right", lambda a, b: np.array_equal(b[:, 1:], a[:, :-1])),
        ("shift_up", lambda a, b: np.array_equal(b[:-1], a[1:])),
        ("shift_down", lambda a, b: np.array_equal(b[1:], a[:-1])),
        ("thicken", lambda a, b: (b >= a).all() and b.sum() > a.sum()),
        ("thin", lambda a, b: (b <= a).all() and b.sum() < a.sum()),
        ("scale_up", lambda a, b: (b > 0.5).sum() > (a > 0.5).sum()),
        ("scale_down", lambda a, b: (b > 0.5).sum() < (a > 0.5).sum()),
        ("rotate_right", lambda a, b: _bar_end_row(b) > _bar_end_row(a)),
        ("rotate_left", lambda a, b: _bar_end_row(b) < _bar_end_row(a)),
    ],
)
def test_trickier_case_tools(qtbot, make_window, key, check):
    w, view = window_with(make_window)
    w.session.canvas.brush.size = 3
    drag(qtbot, view, [(14, 4), (14, 23)])  # a thick bar across the middle
    before = w.session.canvas.ink.copy()
    w.canvas_panel.actions[key].trigger()
    after = w.session.canvas.ink
    assert check(before, after)
    w.canvas_panel.actions["undo"].trigger()
    np.testing.assert_array_equal(w.session.canvas.ink, before)


def _bar_end_row(a):
    """Ink-weighted row of the right-hand end of a horizontal bar."""
    right = a[:, 20:]
    return (right.sum(1) * np.arange(a.shape[0])).sum() / right.sum()


def test_docks_hide_and_come_back_from_the_view_menu(qtbot, make_window):
    w = make_window()
    for key, dock in w.docks.items():
        toggle = next(a for a in w.view_menu.actions() if a.text() == dock.windowTitle())
        shown = w._places[key].visible  # e.g. the Training dock waits for a run
        assert dock.isVisible() == shown and toggle.isChecked() == shown
        toggle.trigger()
        assert dock.isVisible() != shown
        toggle.trigger()
        assert dock.isVisible() == shown
    w.docks["votes"].close()
    w.docks["kernels"].setFloating(True)
    w.reset_layout()
    assert w.docks["votes"].isVisible() and not w.docks["kernels"].isFloating()


def test_layout_and_settings_survive_a_restart(qtbot, make_window):
    w = make_window()
    w.addDockWidget(Qt.BottomDockWidgetArea, w.docks["votes"])
    w.docks["kernels"].hide()
    qtbot.wait(10)
    w.resize(780, 640)  # fits the offscreen screen, so restoring it is not clamped
    w.choose_preset("xo")
    w.panels["votes"].set_mode("probabilities")
    w.canvas_panel.set_brush(5, 0.8)
    size = (w.width(), w.height())  # at least the layout's minimum, and within the screen
    assert size[0] <= 800 and size[1] == 640
    w.close()

    again = MainWindow()  # reads everything from the (isolated) settings
    qtbot.addWidget(again)
    again.show()
    again.start(background=False)
    again.persist = False
    assert again.session.spec.name == "xo" and again.session.canvas.size == 9
    assert again.preset_actions["xo"].isChecked()
    assert (again.width(), again.height()) == size
    assert again.dockWidgetArea(again.docks["votes"]) == Qt.BottomDockWidgetArea
    assert not again.docks["kernels"].isVisible() and again.docks["feature_maps"].isVisible()
    assert again.panels["votes"].mode == "probabilities"
    brush = again.session.canvas.brush
    assert (brush.size, brush.softness) == (5.0, 0.8)


def test_switching_presets_resizes_canvas_and_rebuilds_panels(qtbot, make_window):
    w, view = window_with(make_window)
    drag(qtbot, view, [(5, 5), (20, 20)])
    for name, size, first_maps in [
        ("xo", 9, (3, 7, 7)),
        ("lenet5", 32, (6, 28, 28)),
        ("shapes", 28, (8, 28, 28)),
    ]:
        w.choose_preset(name)
        w.session.flush()
        assert w.session.canvas.size == size and w.session.canvas.ink.shape == (size, size)
        assert w.session.model.spec == preset(name)
        assert w.panels["feature_maps"].layers["conv1"].shape == first_maps
        assert len(w.panels["votes"].bar_values()) == len(preset(name).classes)
        assert w.panels["votes"].bar_texts and w.session.trace.input.shape == (1, size, size)
        assert set(w.panels["kernels"].layers) == {
            s.name for s in preset(name).shapes() if s.kind == "conv"
        }
        assert w.windowTitle() == f"convviz — {name}"
        assert w.status_line.model_label.text() == f"Model: {name} ({size}×{size})"
    assert w.session.canvas.ink.any()  # the drawing came along, resampled


def test_status_bar_names_model_classes_device_and_update_time(qtbot, make_window):
    w, view = window_with(make_window)
    drag(qtbot, view, [(5, 5), (6, 6)])
    w.session.flush()
    assert "X, O, square, triangle, plus, check" in w.status_line.classes_label.text()
    assert w.status_line.device_label.text().lower().startswith("classifying on: cpu")
    update = w.status_line.update_label.text()
    assert update.endswith(" ms") and "—" not in update
    # the figure fits whole however large it gets, at a size that never changes (so a new
    # figure four times a second lays nothing out)
    label, size = w.status_line.update_label, w.status_line.update_label.size()
    for ms in (0.4, 12.5, 999.9):
        label.setText(f"Last update: {ms:.1f} ms")
        assert label.sizeHint().width() <= label.width() and label.size() == size


def test_opening_an_image_puts_it_on_the_grid(qtbot, make_window, tmp_path):
    from PIL import Image

    pic = np.full((90, 90), 255, np.uint8)  # dark X on white paper
    for i in range(90):
        pic[i, max(0, i - 4) : i + 4] = 0
        pic[i, max(0, 85 - i) : 93 - i] = 0
    path = tmp_path / "x.png"
    Image.fromarray(pic).save(path)
    w = make_window("xo")
    w.open_image(str(path))
    ink = w.session.canvas.ink
    assert ink.shape == (9, 9)
    assert ink[4, 4] > 0.5 and ink[0, 0] > 0.5 and ink[0, 4] < 0.5 and ink[4, 0] < 0.5
    assert w.canvas_panel.actions["undo"].isEnabled()


def test_bad_files_get_a_one_line_message(qtbot, make_window, tmp_path, monkeypatch):
    w = make_window()
    shown = []
    monkeypatch.setattr(w, "show_error", shown.append)
    bad = tmp_path / "not-a-picture.png"
    bad.write_text("hello")
    w.open_image(str(bad))
    w.open_weights(str(tmp_path / "missing.safetensors"))
    assert len(shown) == 2
    assert all("\n" not in m and len(m) < 300 for m in shown)
    assert "not-a-picture.png" in shown[0] and "missing.safetensors" in shown[1]


def test_tracing_is_coalesced_to_the_newest_drawing(qtbot, make_window):
    w, _view = window_with(make_window)
    s = w.session
    s.flush()
    start = s.trace_count
    for col in range(2, 26):  # many changes within one frame
        s.canvas.begin_stroke(col + 0.5, 10.5)
        s.canvas.end_stroke()
    assert s.trace_count == start  # nothing traced yet: only marked dirty
    qtbot.waitUntil(lambda: s.trace_count > start, timeout=1000)
    qtbot.wait(60)
    assert s.trace_count - start <= 2
    np.testing.assert_array_equal(s.trace.input[0], s.canvas.as_input())


def test_menus_and_shortcuts(qtbot, make_window):
    w = make_window()
    titles = [a.text() for a in w.menuBar().actions()]
    assert titles == ["&File", "&Edit", "&Model", "&Train", "&View", "&Help"]
    acts = w.canvas_panel.actions
    assert acts["undo"].shortcut().toString() == "Ctrl+Z"
    assert not acts["redo"].shortcut().isEmpty()
    assert w.device_actions["cpu"].isEnabled()
    assert w.device_actions["auto"].isChecked()
    assert not w._train_placeholder.isEnabled()
    w.train_menu.addAction("Train on a folder…")  # other tools plug in here
    w._tidy_train_menu()
    assert not w._train_placeholder.isVisible()


def test_add_panel_plugs_a_new_dock_in(qtbot, make_window):
    from PySide6.QtWidgets import QLabel

    class Echo(QLabel):  # keeps the panel contract: all three calls, two of them ignored
        def set_model(self, spec, snapshot):
            pass

        def show_weights(self, snapshot):
            pass

        def show_trace(self, trace):
            self.setText(trace.classes[trace.winner])

    w, view = window_with(make_window)
    echo = Echo()
    dock = w.add_panel("Echo", echo, "bottom")
    assert dock.objectName() == "echo" and w.docks["echo"] is dock
    assert any(a.text() == "Echo" for a in w.view_menu.actions())
    drag(qtbot, view, [(3, 3), (9, 9)])
    w.session.flush()
    assert echo.text() == w.session.trace.classes[w.session.trace.winner]


def test_repaint_and_signals_thousands_of_times(qtbot, make_window):
    """PySide6 6.12 on Python 3.11 leaked a reference per overridden paint/mouse call and
    aborted after a few thousand; this must survive."""
    w, view = window_with(make_window)
    drag(qtbot, view, [(4, 4), (20, 20)])
    s = w.session
    s.flush()
    trace = s.trace
    for i in range(6000):
        view.repaint()
        if i % 3 == 0:
            s.trace_changed.emit(trace)
            s.updated.emit(0.5)
        if i % 10 == 0:
            qtbot.mouseMove(view, cell(view, 4 + i % 15, 4 + (i * 7) % 15))
        if i % 500 == 0:
            s.weights_changed.emit(s.snapshot)
            w.repaint()
    assert w.isVisible() and s.trace is trace


def test_stacked_docks_show_whole_tab_titles_on_a_small_screen(qtbot, make_window):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QTabBar

    from convviz.qt.session import Session

    w = MainWindow(Session("xo"), restore=False)
    qtbot.addWidget(w)
    w.persist = False
    w.resize(1024, 700)  # a projector; before it shows: the docks take their share
    w.show()
    w.start(background=False)
    qtbot.waitExposed(w)

    def bars():
        return w.findChildren(QTabBar, options=Qt.FindChildOption.FindDirectChildrenOnly)

    def titles_whole():
        for bar in bars():
            for i in range(bar.count()):
                if bar.isTabVisible(i):  # a tab wide enough for its whole title
                    width = bar.fontMetrics().horizontalAdvance(bar.tabText(i))
                    assert bar.tabRect(i).width() >= width, bar.tabText(i)

    assert bars()
    titles_whole()
    w.reset_layout()  # new tab bars: the same
    qtbot.wait(50)
    titles_whole()
    # a dock stacked onto another by hand makes a new tab bar too
    w.tabifyDockWidget(w.docks["votes"], w.docks["kernels"])
    w.docks["kernels"].dockLocationChanged.emit(Qt.DockWidgetArea.LeftDockWidgetArea)
    qtbot.wait(50)
    titles_whole()


def test_a_blank_canvas_is_not_classified(qtbot, make_window):
    from convviz.qt.panels.votes.panel import NOTHING_DRAWN

    w = make_window("shapes")
    s, votes = w.session, w.panels["votes"]
    s.canvas.clear()
    s.refresh()
    assert votes.verdict.text() == NOTHING_DRAWN and "sure" not in votes.verdict.text()
    assert not any("winner" in t for t in votes.bar_texts)
    assert w.statusBar().currentMessage() == NOTHING_DRAWN
    s.canvas.brush.size, s.canvas.brush.softness = 1.0, 0.0
    s.canvas.begin_stroke(14.5, 14.5)  # one stray dot is still nothing to classify
    s.canvas.end_stroke()
    s.refresh()
    assert votes.verdict.text() == NOTHING_DRAWN
    for i in range(4, 24):  # a real drawing is
        s.canvas.begin_stroke(i + 0.5, i + 0.5)
        s.canvas.end_stroke()
    s.refresh()
    assert "sure" in votes.verdict.text() and any("winner" in t for t in votes.bar_texts)
    assert w.statusBar().currentMessage() != NOTHING_DRAWN
