"""The "Where it looked" panel with a live session: draw, and see what it explains; fool it and
undo."""

import numpy as np
import pytest

from convviz.core.explain import explain
from convviz.core.shapes_data import render_shape
from convviz.qt.panels.why.panel import METHODS, WhyPanel
from convviz.qt.session import Session


@pytest.fixture
def live(qtbot):
    session = Session("shapes")
    session.load_preset("shapes", background=False)
    session.jobs.inline = False  # covering up in a thread of its own, as in the app
    panel = WhyPanel(session)
    qtbot.addWidget(panel)
    session.trace_changed.connect(panel.show_trace)
    panel.resize(600, 800)
    panel.show()
    yield session, panel
    panel.wait_for_jobs()


def draw_x(session):
    c = session.canvas
    c.begin_stroke(4, 4)
    c.stroke_to(23, 23)
    c.end_stroke()
    c.begin_stroke(23, 4)
    c.stroke_to(4, 23)
    c.end_stroke()
    session.flush()


def pick(panel, method):
    panel.method_box.setCurrentIndex(list(METHODS).index(method))


@pytest.mark.parametrize("method", ["gradcam", "saliency"])
def test_gradient_methods_follow_each_trace(live, method):
    session, panel = live
    pick(panel, method)
    draw_x(session)
    e = panel.explanation
    assert e is not None and e.method == method and e.class_name == "X"
    want = explain(session.model, session.trace.input, method)
    np.testing.assert_allclose(e.map, want.map, rtol=1e-5, atol=1e-6)
    assert "<b>X</b>" in panel.status.text() and panel.view.rgb.shape == (28, 28, 3)
    assert panel.about.text() == METHODS[method][1]
    assert panel.layer_box.isVisible() == (method == "gradcam")
    assert panel.layer_box.currentText() == "conv2"


def test_choosing_a_class_and_a_layer(live):
    session, panel = live
    pick(panel, "gradcam")
    draw_x(session)
    panel.class_box.setCurrentText("O")
    panel.layer_box.setCurrentText("conv1")
    e = panel.explanation
    assert (e.class_name, e.layer) == ("O", "conv1")
    assert "at conv1" in panel.status.text() and "<b>O</b>" in panel.status.text()


def test_covering_up_runs_after_the_stroke_off_the_window_thread(live, qtbot):
    session, panel = live
    pick(panel, "occlusion")
    c = session.canvas
    c.begin_stroke(4, 4)
    c.stroke_to(23, 23)
    session.flush()
    qtbot.wait(400)  # the pen is still down: nothing runs yet
    assert panel.explanation is None and "once the pen lifts" in panel.status.text()
    c.stroke_to(23, 4)
    c.end_stroke()
    session.flush()
    qtbot.waitUntil(lambda: panel.explanation is not None, timeout=10000)
    e = panel.explanation
    want = explain(session.model, session.trace.input, "occlusion", patch=panel.patch_box.value())
    np.testing.assert_allclose(e.map, want.map, rtol=1e-4, atol=1e-5)
    assert e.patch == 4 and panel.patch_box.isVisible()


def test_newest_drawing_wins(live, qtbot):
    session, panel = live
    pick(panel, "occlusion")
    shown = []
    original_show = panel._show
    panel._show = lambda e, image: (shown.append(e.class_name), original_show(e, image))
    traces = {}
    for name in ("O", "plus"):
        traces[name] = session.model.trace(render_shape(name, 28, np.random.default_rng(0)) * 2 - 1)
    panel.show_trace(traces["O"])
    panel._start_occlusion()  # a job on the O is running...
    panel.show_trace(traces["plus"])  # ...when the plus arrives
    qtbot.waitUntil(lambda: bool(shown), timeout=10000)
    panel.wait_for_jobs()
    qtbot.wait(300)
    assert shown == ["plus"]  # the O's result, if it came at all, was dropped


def test_fool_it_plays_the_steps_and_undo_restores(live, qtbot):
    session, panel = live
    draw_x(session)
    before = session.canvas.ink.copy()
    panel.fool.fool_box.setCurrentText("square")
    shown = []
    panel.fool.fool_status.setText("")
    panel.fool._player.timeout.connect(lambda: shown.append(panel.fool.fool_status.text()))
    panel.fool.fool_button.click()
    panel.fool.wait_for_job()  # the steps, worked out off the window's thread
    qtbot.waitUntil(lambda: not panel.fool.fool_playing, timeout=20000)
    r = panel.fool.fool_result
    assert r.fooled and len(shown) >= 2  # the steps were shown one by one
    session.flush()
    assert session.trace.classes[session.trace.winner] == "square"
    assert f"{r.changed_pixels} pixels changed" in panel.fool.fool_status.text()
    assert panel.fool.undo_button.isEnabled()
    panel.fool.undo_button.click()
    np.testing.assert_array_equal(session.canvas.ink, before)
    assert not panel.fool.undo_button.isEnabled()


def test_votes_panel_says_when_it_is_unsure(qtbot):
    from convviz.core.unsure import Calibration
    from convviz.qt.panels.votes.panel import VotesPanel

    session = Session("shapes")
    session.load_preset("shapes", background=False)
    panel = VotesPanel(session)
    qtbot.addWidget(panel)
    trace = session.model.trace(render_shape("X", 28, np.random.default_rng(0)) * 2 - 1)
    panel.show_trace(trace)
    assert not panel.unsure and panel.verdict.text().startswith("It looks like")
    trace.votes[:] = 0.0
    trace.votes[2] = 0.5  # six nearly equal votes: no clear answer
    panel.show_trace(trace)
    assert panel.unsure and panel.verdict.text().startswith("Not sure: maybe square (")
    assert "held-out drawings" in panel.verdict.toolTip()  # the bundled calibration
    # with a calibration from training, its thresholds and its reasons
    session.model.calibration = Calibration(0.9, 30.0, (0.0, 1.0), 120)
    trace.votes[2] = 20.0
    panel.show_trace(trace)
    assert panel.unsure and "weak overall" in panel.verdict.toolTip()


def test_the_apps_training_keeps_the_unsure_calibration(qtbot, tmp_path):
    from test_folders_helpers import make_folder

    from convviz.core.unsure import Calibration
    from convviz.qt.training.controller import TrainingController
    from convviz.qt.training.dialog import TrainDialog

    folder = make_folder(tmp_path / "data", per_class=20, classes=("o", "x"))
    dlg = TrainDialog(None, folder=str(folder))
    qtbot.addWidget(dlg)
    qtbot.waitUntil(lambda: dlg.images is not None, timeout=30000)
    dlg.epochs.setValue(1)
    controller = TrainingController()
    try:
        with qtbot.waitSignal(controller.model_ready, timeout=60000) as ready:
            controller.start(dlg.job())
        cal = ready.args[0].model.calibration
        assert isinstance(cal, Calibration) and cal.held_out > 0
    finally:
        controller.request_stop()
        assert controller.wait(30000)


def test_what_if_switches_off_a_map_and_every_panel_follows(live, tmp_path):
    from convviz.core.weights import load_model

    session, panel = live
    draw_x(session)
    w = panel.whatif
    assert w.status.text() == "The network is as trained." and not w.undo_button.isEnabled()
    weights_seen = []
    session.weights_changed.connect(weights_seen.append)
    w.layer_box.setCurrentText("conv1")
    assert w.unit_box.maximum() == 8
    w.unit_box.setValue(4)
    w.off_button.click()
    assert weights_seen and (weights_seen[-1]["layers.0.weight"][3] == 0).all()
    assert (session.trace.layer("conv1").values[3] == 0).all()
    text = w.status.text()
    assert "conv1 map 4 switched off" in text
    moved = [float(part.rsplit(" ", 1)[1]) for part in text.split("Votes moved: ")[1].split(", ")]
    assert len(moved) == 6 and moved[0] != 0  # every class here, the largest change first
    assert [abs(m) for m in moved] == sorted((abs(m) for m in moved), reverse=True)
    session.export_weights(str(tmp_path / "edited.safetensors"))
    assert load_model(tmp_path / "edited.safetensors")[0].edits == ["conv1 map 4 switched off"]
    w.layer_box.setCurrentText("fc1")
    w.unit_box.setValue(64)
    w.off_button.click()
    assert session.trace.layer("fc1").values[63] == 0
    w.reset_button.click()
    assert session.model.edits == [] and w.status.text() == "The network is as trained."
    assert not (session.trace.layer("conv1").values[3] == 0).all()


def test_the_map_can_be_laid_over_the_canvas(make_window, qtbot):
    window = make_window("shapes")
    panel, canvas_view = window.panels["why"], window.canvas_panel.view
    pick(panel, "gradcam")
    draw_x(window.session)
    panel.show_trace(window.session.trace)  # as if its tab were in front
    assert canvas_view._overlay is None  # off until asked for
    panel.on_canvas.setChecked(True)
    img = canvas_view._overlay
    assert img is not None and img.width() == 28 and img.height() == 28
    alpha = [img.pixelColor(x, y).alpha() for y in range(28) for x in range(28)]
    assert max(alpha) > 150 and min(alpha) == 0  # strong where it looked, clear elsewhere
    canvas_view.grab()  # paints with the overlay without trouble
    panel.on_canvas.setChecked(False)
    assert canvas_view._overlay is None


def test_clicking_a_vote_bar_or_a_feature_map_chooses_what_is_explained(make_window, qtbot):
    from PySide6.QtCore import QPoint, Qt

    window = make_window("shapes")
    panel = window.panels["why"]
    pick(panel, "gradcam")
    draw_x(window.session)
    chart = window.panels["votes"].view
    row = (chart.height() - 20) / 6
    qtbot.mouseClick(chart, Qt.LeftButton, pos=QPoint(chart.width() // 2, int(10 + 2.5 * row)))
    assert panel.class_box.currentText() == "square"  # the third bar
    panel.show_trace(window.session.trace)
    assert panel.explanation.class_name == "square"
    window.panels["feature_maps"].view.clicked.emit("pool1", 2)
    assert panel.layer_box.currentText() == "conv1"
    window.panels["feature_maps"].view.clicked.emit("relu2", 0)
    assert panel.layer_box.currentText() == "conv2"


def test_drawing_a_feature_by_hand(live, qtbot):
    from PySide6.QtCore import QPoint, Qt

    session, panel = live
    draw_x(session)
    editor = panel.whatif.kernel_editor
    editor.layer_box.setCurrentText("conv1")
    editor.feature_box.setValue(2)
    np.testing.assert_array_equal(editor.grid.values, session.snapshot["layers.0.weight"][1, 0])
    assert not editor.channel_box.isVisible()  # conv1 reads one map
    editor.grid.resize(100, 100)
    editor.value_box.setValue(0.5)
    qtbot.mouseClick(editor.grid, Qt.LeftButton, pos=QPoint(10, 10))  # top-left cell: +0.5
    qtbot.mouseClick(editor.grid, Qt.RightButton, pos=QPoint(90, 90))  # bottom-right: -0.5
    assert editor.grid.values[0, 0] == 0.5 and editor.grid.values[4, 4] == -0.5
    editor.apply_button.click()
    w = session.snapshot["layers.0.weight"][1, 0]
    assert w[0, 0] == 0.5 and w[4, 4] == -0.5
    assert session.model.edits == ["conv1 feature 2 drawn by hand"]
    assert "drawn by hand" in panel.whatif.status.text()
    editor.layer_box.setCurrentText("conv2")
    assert editor.channel_box.isVisible() and editor.channel_box.maximum() == 8
    panel.whatif.undo_button.click()
    assert session.model.edits == [] and session.snapshot["layers.0.weight"][1, 0, 0, 0] != 0.5


def test_clicking_a_bar_of_a_many_class_network_explains_that_bars_class(make_window, qtbot):
    from PySide6.QtCore import QPoint, Qt

    from convviz.core.network import build
    from convviz.core.presets import preset

    window = make_window("shapes")
    classes = [f"class {i}" for i in range(20)]  # more than the votes chart shows
    window.session.set_model(build(preset("shapes").with_classes(classes), seed=1))
    draw_x(window.session)
    votes, panel = window.panels["votes"], window.panels["why"]
    votes.show_trace(window.session.trace)
    chart = votes.view
    assert len(chart.bars.values) < 20
    qtbot.mouseClick(
        chart, Qt.LeftButton, pos=QPoint(chart.width() // 2, int(10 + 2.5 * chart.row_height()))
    )
    assert panel.class_box.currentText() == chart.bars.labels[2]
    assert panel.class_box.currentText() == classes[int(votes.rows_shown[2])]


def test_screenshot_can_bring_the_tab_to_the_front(qtbot, tmp_path, monkeypatch):
    """`convviz --screenshot --panel why`: the tab is in front, its covering-up map shown. (Its
    dock comes before the hidden Results dock in the tab group: after it, Qt left the tab
    behind the feature maps.)"""
    import convviz.app as app_module
    from convviz.qt.main_window import MainWindow

    seen = {}
    grab = MainWindow.grab

    def spy(window):
        window.panels["why"].wait_for_jobs()
        seen.update(hidden=window.docks["why"].visibleRegion().isEmpty())
        return grab(window)

    monkeypatch.setattr(MainWindow, "grab", spy)
    assert app_module.screenshot(str(tmp_path / "why.png"), panel="why") == 0
    assert seen == {"hidden": False}


def test_what_if_waits_while_training_owns_the_network(live):
    session, panel = live
    draw_x(session)
    session.lock("training is running: stop it first")
    panel.whatif.off_button.click()
    assert panel.whatif.status.text() == "Cannot edit: training is running: stop it first"
    assert not getattr(session.model, "edits", None)
    session.unlock()
    panel.whatif.off_button.click()
    assert session.model.edits == ["conv1 map 1 switched off"]


def test_fool_it_works_out_its_steps_off_the_window_thread_newest_press_wins(
    live, qtbot, monkeypatch
):
    import threading

    import convviz.core.fool as core_fool

    session, panel = live
    draw_x(session)
    real, seen = core_fool.fool, []

    def recording(model, image, target, **kw):
        seen.append(
            (threading.current_thread() is threading.main_thread(), target, model is session.model)
        )
        return real(model, image, target, **kw)

    monkeypatch.setattr(core_fool, "fool", recording)
    results = []
    monkeypatch.setattr(panel.fool, "_steps_ready", results.append)
    panel.fool.fool_box.setCurrentText("O")
    panel.fool.fool_button.click()
    first = session.jobs.running("fool")
    panel.fool.fool_box.setCurrentText("square")
    panel.fool.fool_button.click()  # a newer press: the older run is cancelled and dropped
    assert first and first[0].cancelled()
    panel.fool.wait_for_job()
    assert [t for _, t, _ in seen][-1] == "square"
    assert all(not on_main and not live_model for on_main, _, live_model in seen)
    assert [r.target_name for r in results] == ["square"]
    panel.fool.fool_button.click()
    session.jobs.cancel("fool")  # the window's Stop
    panel.fool.wait_for_job()
    assert len(results) == 1


def test_covering_up_waits_while_the_panel_is_off_screen(live, qtbot):
    session, panel = live
    pick(panel, "occlusion")
    panel.hide()  # another tab in front, or the window closed
    submitted = []
    real = session.jobs.submit
    session.jobs.submit = lambda kind, *a, **k: (submitted.append(kind), real(kind, *a, **k))[1]
    draw_x(session)
    qtbot.wait(400)
    assert submitted == [] and panel.explanation is None
    panel.show()  # in front again: it runs for the drawing it has
    qtbot.waitUntil(lambda: panel.explanation is not None, timeout=10000)
    assert submitted == ["occlusion"]


def test_a_new_network_clears_the_last_fool_its_words_and_pictures(live, qtbot):
    """Its "it now says square: 357 pixels changed" stayed under a network without a square."""
    session, panel = live
    session.model_changed.connect(panel.set_model)  # as the window wires every panel
    draw_x(session)
    panel.fool.fool_box.setCurrentText("square")
    panel.fool.fool_button.click()
    panel.fool.wait_for_job()
    qtbot.waitUntil(lambda: not panel.fool.fool_playing, timeout=20000)
    assert "pixels changed" in panel.fool.fool_status.text()
    assert panel.fool.fooled_view.isVisibleTo(panel)
    session.load_preset("xo", background=False)  # classes O and X
    assert panel.fool.fool_status.text() == ""
    assert not panel.fool.fooled_view.isVisibleTo(panel)
    assert not panel.fool.original_view.isVisibleTo(panel)
    box = panel.fool.fool_box
    assert sorted(box.itemText(i) for i in range(box.count())) == ["O", "X"]
