"""Training from the app's Train menu, end to end, on a small generated folder: the dialog, the
live panels, pause/resume/stop, closing mid-run (Keep, Discard, Cancel), the results and the new
model classifying the canvas."""

import dataclasses

import numpy as np
import pytest
from PySide6.QtCore import QTimer
from PySide6.QtGui import QKeySequence

from convviz.core.presets import preset
from convviz.core.shapes_data import shape_names, write_folder
from convviz.qt.main_window import MainWindow
from convviz.qt.session import Session
from convviz.qt.training.backprop import error_table
from convviz.qt.training.dialog import TrainDialog
from convviz.qt.training.dialog_network import GIVEN
from convviz.qt.training.worker import TrainJob

WAIT = 60_000  # ms: generous, CI machines are slow
CLASSES = ("O", "X", "plus")  # the folder's subfolders, in the order a scan lists them


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("shapes") / "data"
    write_folder(root, per_class=12, seed=3, classes=("X", "O", "plus"))
    return root


@pytest.fixture
def make_window(make_training_window):
    """The shared window, made safe for training runs (conftest.make_training_window)."""
    return make_training_window


def weights_equal(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


def through_dialog(qtbot, w, action, fill):
    """Trigger `action` (which runs the modal dialog with exec()) and, from inside that modal
    loop, let `fill(dialog)` set it up and press Train. Returns what `fill` returned."""
    seen = {}

    def answer():
        dlg = w.findChildren(TrainDialog)[-1]
        try:
            seen["result"] = fill(dlg)
            assert dlg.train_button.isEnabled()
            dlg.train_button.click()
        except BaseException as e:  # noqa: BLE001 - reported after exec() returns
            seen["error"] = e
        finally:
            if dlg.isVisible():
                dlg.reject()

    QTimer.singleShot(0, answer)
    action.trigger()
    if "error" in seen:
        raise seen["error"]
    return seen.get("result")


def fill_folder(qtbot, folder, epochs=2, batch=8, val=25, network=None):
    def fill(dlg):
        assert dlg.isVisible() and dlg.isModal()
        dlg.folder_edit.setText(str(folder))
        dlg.folder_edit.editingFinished.emit()  # as when the person presses Enter
        qtbot.waitUntil(lambda: dlg.images is not None, timeout=WAIT)
        if network is not None:
            dlg.network.setCurrentIndex(dlg.network.findData(network))
            qtbot.waitUntil(lambda: dlg.images is not None, timeout=WAIT)
        dlg.epochs.setValue(epochs)
        dlg.batch.setValue(batch)
        dlg.val.setValue(val)
        dlg.augment.setChecked(False)
        return dlg.report.toPlainText(), dlg.report.isVisible()

    return fill


def start_long_run(qtbot, w, folder):
    """A run far longer than the test: 300 epochs of 4-image batches."""
    tools = w.services.training
    through_dialog(qtbot, w, tools.folder_action, fill_folder(qtbot, folder, epochs=300, batch=4))
    qtbot.waitUntil(lambda: len(tools.panel.history.losses) > 3, timeout=WAIT)


def test_train_menu_items_shortcuts_and_when_they_work(make_window):
    w = make_window()
    tools = w.services.training
    texts = [a.text() for a in w.train_menu.actions() if not a.isSeparator()]
    assert texts[1:] == [
        "Train on folder…",
        "Train on sample shapes",
        "Pause training",
        "Stop training",
    ]  # [0] is the placeholder, hidden now
    w._tidy_train_menu()
    assert not w._train_placeholder.isVisible()
    assert tools.folder_action.shortcut() == QKeySequence("Ctrl+T")
    assert tools.samples_action.shortcut() == QKeySequence("Ctrl+Shift+T")
    # no shortcut of the window is taken twice
    keys = [s.toString() for a in w.findChildren(type(tools.folder_action)) for s in a.shortcuts()]
    assert len(keys) == len(set(keys))
    assert tools.folder_action.isEnabled() and tools.samples_action.isEnabled()
    assert not tools.pause_action.isEnabled() and not tools.stop_action.isEnabled()
    # the Training dock waits for a run; Backprop is a tab from the start, Results after a run
    assert not w.docks["training"].isVisible() and not w.docks["results"].isVisible()
    assert w.docks["backprop"] in w.tabifiedDockWidgets(w.docks["feature_maps"])
    titles = [a.text() for a in w.view_menu.actions()]
    assert {"Training", "Backprop", "Results"} <= set(titles)


def test_train_on_folder_from_the_menu_to_a_new_model(
    qtbot, make_window, folder, tmp_path, monkeypatch
):
    w = make_window()
    tools, s = w.services.training, w.session
    snaps = []
    w.services.training.controller.snapshot.connect(snaps.append)
    report, report_shown = through_dialog(
        qtbot, w, tools.folder_action, fill_folder(qtbot, folder, epochs=8, batch=6)
    )
    assert report_shown and "36 images in 3 classes" in report
    # the run: the Training dock in front, the Stop/Pause items on, the panels on a copy
    controller = w.services.training.controller
    assert controller.is_running() or controller.outcome is not None
    assert w.docks["training"].isVisible()
    with qtbot.waitSignal(w.services.training.controller.finished, timeout=WAIT):
        qtbot.waitUntil(lambda: len(tools.panel.history.losses) > 0, timeout=WAIT)
        if w.services.training.controller.is_running():
            assert tools.stop_action.isEnabled() and not tools.folder_action.isEnabled()
    outcome = w.services.training.controller.outcome
    r = outcome.result
    assert r.status == "done" and r.val_accuracy is not None
    # live loss points, one per batch, all plotted
    assert len(tools.panel.history.losses) == len(r.epochs) * 5  # 27 images / 6 a batch
    assert tools.panel.raw_curve.getData()[0].size == len(tools.panel.history.losses)
    assert snaps  # weight snapshots came, a few a second
    # results: confusion matrix and accuracy, brought to the front
    assert w.docks["results"].isVisible() and not w.docks["results"].visibleRegion().isEmpty()
    m = tools.results.confusion
    assert m.rowCount() == m.columnCount() - 1 == 3  # the last column: each class's share right
    shown = np.array([[int(m.item(i, j).text()) for j in range(3)] for i in range(3)])
    np.testing.assert_array_equal(shown, r.confusion)
    assert r.confusion.sum() == 9 and "Validation accuracy" in tools.results.summary.text()
    # the trained network is the app's model, with the folder's classes
    assert s.model is outcome.model and s.spec.classes == CLASSES
    assert w.status_line.classes_label.text() == "Classes: " + ", ".join(CLASSES)
    assert "trained on folder data" in w.statusBar().currentMessage()
    # named after the network it started from and the folder, not the folder alone ("data")
    assert s.spec.name == "shapes (trained on data)"
    assert not tools.stop_action.isEnabled() and tools.folder_action.isEnabled()
    # it classifies the canvas: the votes panel shows the new classes and the core's votes
    c = s.canvas
    c.brush.size, c.brush.softness = 1.0, 0.0
    for i in range(4, 24):
        c.begin_stroke(i + 0.5, i + 0.5)
        c.end_stroke()
        c.begin_stroke(27.5 - i, i + 0.5)
        c.end_stroke()
    s.flush()
    votes = w.panels["votes"]
    assert list(votes.view.bars.labels) == list(CLASSES)
    expected = outcome.model.trace(c.as_input())
    np.testing.assert_allclose(votes.bar_values(), expected.votes, rtol=1e-5, atol=1e-5)
    assert expected.classes[expected.winner] in votes.verdict.text()
    # File > Export weights writes the trained network
    from convviz.core.weights import load_model

    out = tmp_path / "trained.safetensors"
    monkeypatch.setattr(
        "convviz.qt.window_files.QFileDialog.getSaveFileName", lambda *a, **k: (str(out), "")
    )
    w.export_weights()
    again, _meta = load_model(out)
    assert again.spec.classes == CLASSES
    assert weights_equal(again.snapshot(), outcome.model.snapshot())


def test_panels_follow_the_network_while_it_trains(qtbot, make_window, folder):
    w = make_window()
    s = w.session
    before = s.model
    snaps = []
    w.services.training.controller.snapshot.connect(snaps.append)
    start_long_run(qtbot, w, folder)
    qtbot.waitUntil(lambda: len(snaps) >= 3, timeout=WAIT)
    # the session shows a copy of the network in training, with the newest snapshot
    assert s.model is not before and s.spec.classes == CLASSES
    qtbot.waitUntil(lambda: any(s.snapshot is snap for snap in snaps[1:]), timeout=WAIT)
    np.testing.assert_array_equal(
        w.panels["kernels"].kernel_values("conv1", 0), s.snapshot["layers.0.weight"][0, 0]
    )
    s.refresh()  # the maps and votes are the current weights' reading of the drawing
    np.testing.assert_allclose(
        s.trace.votes, s.model.trace(s.canvas.as_input()).votes, rtol=1e-5, atol=1e-5
    )


def test_pause_resume_and_stop_from_the_menu(qtbot, make_window, folder):
    w = make_window()
    tools, s = w.services.training, w.session
    before, before_weights = s.model, dict(s.snapshot)
    steps = []
    w.services.training.controller.progress.connect(lambda p: steps.append(p))
    start_long_run(qtbot, w, folder)
    assert tools.pause_action.isEnabled() and tools.stop_action.isEnabled()
    with qtbot.waitSignal(
        w.services.training.controller.paused, timeout=WAIT, check_params_cb=lambda paused: paused
    ):
        tools.pause_action.trigger()
    assert tools.pause_action.text() == "Resume training"
    assert tools.panel.pause_button.text() == "Resume"
    held = len(steps)
    qtbot.wait(300)  # the window stays live while the worker waits
    assert len(steps) == held
    tools.pause_action.trigger()
    qtbot.waitUntil(lambda: len(steps) > held, timeout=WAIT)
    assert tools.pause_action.text() == "Pause training"
    # stop while it runs (progress comes 2 to 4 times a second, so an epoch of a few batches may
    # pass between two reports: the stop lands before the next batch, wherever that is)
    qtbot.waitUntil(lambda: len(steps) > held + 1, timeout=WAIT)
    with qtbot.waitSignal(w.services.training.controller.finished, timeout=WAIT):
        tools.stop_action.trigger()
    outcome = w.services.training.controller.outcome
    assert outcome.status == "stopped" and len(outcome.result.epochs) < 300
    assert outcome.result.message.startswith("stopped in epoch")
    assert not tools.stop_action.isEnabled() and tools.folder_action.isEnabled()
    # a stopped run is not used unless the person says so: the earlier network is back
    assert s.model is before and weights_equal(s.snapshot, before_weights)
    assert tools.panel.keep_button.isEnabled()
    with qtbot.waitSignal(w.services.training.controller.model_ready, timeout=WAIT):
        tools.panel.keep_button.click()
    assert s.model is outcome.model and s.spec.classes == CLASSES


def test_closing_mid_run_and_keeping_what_it_learned(qtbot, make_window, folder):
    w = make_window()
    start_long_run(qtbot, w, folder)
    answers = iter(["cancel", "keep"])
    w.services.training.ask_keep = lambda: next(answers)
    assert not w.close()  # Cancel: the window stays open and training goes on
    assert w.isVisible() and w.services.training.controller.is_running()
    n = len(w.services.training.panel.history.losses)
    qtbot.waitUntil(lambda: len(w.services.training.panel.history.losses) > n, timeout=WAIT)
    w.services.training.controller.pause()  # closing while paused must work too
    assert w.close()  # Keep
    assert not w.services.training.controller.is_running()
    last = w.services.training.controller.last_snapshot
    assert weights_equal(w.session.snapshot, last)
    assert w.session.spec.classes == CLASSES
    qtbot.wait(50)  # the run's late "finished" signal changes nothing
    assert weights_equal(w.session.snapshot, last)
    # and it is there again at the next start
    again = MainWindow(Session("shapes"), restore=False)
    qtbot.addWidget(again)
    again.persist = False
    again.show()
    again.start(background=False)
    qtbot.waitUntil(lambda: again.session.spec.classes == CLASSES, timeout=WAIT)
    assert weights_equal(again.session.snapshot, last)


def test_closing_mid_run_and_discarding(qtbot, make_window, folder):
    w = make_window()
    before = {k: v.copy() for k, v in w.session.snapshot.items()}
    start_long_run(qtbot, w, folder)
    asked = []
    w.services.training.ask_keep = lambda: asked.append(1) or "discard"
    assert w.close()
    assert asked == [1] and not w.services.training.controller.is_running()
    assert w.session.spec == preset("shapes")  # the network from before, layout and all
    assert weights_equal(w.session.snapshot, before)
    qtbot.wait(50)
    assert weights_equal(w.session.snapshot, before)


def test_train_on_sample_shapes_from_the_menu(qtbot, make_window):
    w = make_window()
    tools = w.services.training

    def fill(dlg):
        assert dlg.samples and dlg.network.currentData() == "current"
        dlg.per_class.setValue(6)
        dlg.epochs.setValue(2)
        dlg.batch.setValue(8)

    with qtbot.waitSignal(w.services.training.controller.model_ready, timeout=WAIT) as ready:
        through_dialog(qtbot, w, tools.samples_action, fill)
    outcome = ready.args[0]
    assert outcome.job.source == "sample shapes" and len(outcome.job.y) == 36
    assert w.session.model is outcome.model
    assert w.session.spec.classes == tuple(shape_names())


def test_train_it_now_opens_the_dialog_with_that_network(qtbot, make_window):
    w = make_window()
    arch = w.panels["architecture"]
    arch.blocks.setValue(1)
    arch.apply_button.click()
    spec = w.session.spec
    seen = {}

    def look():
        dlg = w.findChildren(TrainDialog)[-1]
        seen["choice"], seen["samples"] = dlg.network.currentData(), dlg.samples
        seen["spec"] = dlg.base_spec()
        dlg.reject()

    QTimer.singleShot(0, look)
    arch.train_button.click()  # architecture_wiring calls window.services.request_training(spec)
    assert seen == {"choice": GIVEN, "samples": True, "spec": spec}
    assert not w.services.training.controller.is_running()  # cancelled: nothing started


def test_a_nan_loss_says_so_and_keeps_the_last_good_weights(
    qtbot, make_window, folder, monkeypatch
):
    w = make_window()
    shown = []
    monkeypatch.setattr(w, "show_error", shown.append)
    from convviz.core.network import build
    from convviz.core.training import TrainConfig

    model = build(w.session.spec, seed=1)
    start = model.snapshot()
    X = np.zeros((20, 1, 28, 28), np.float32)
    X[:, 0, 0, 0] = np.nan
    y = np.arange(20) % 6
    with qtbot.waitSignal(w.services.training.controller.model_ready, timeout=WAIT):
        w.services.training.start(TrainJob(model, X, y, TrainConfig(epochs=2, batch_size=4)))
    assert len(shown) == 1 and "\n" not in shown[0] and "loss became nan" in shown[0]
    assert weights_equal(w.session.snapshot, start)


def test_running_out_of_memory_says_so_and_puts_the_network_back(qtbot, make_window, monkeypatch):
    import torch

    monkeypatch.setenv("CONVVIZ_TRAIN_IN", "thread")  # the fault is patched into this process
    w = make_window()
    assert not w.services.training.controller.own_process
    before = {k: v.copy() for k, v in w.session.snapshot.items()}
    shown = []
    monkeypatch.setattr(w, "show_error", shown.append)
    from convviz.core.network import build
    from convviz.core.training import TrainConfig

    model = build(w.session.spec, seed=1)

    def oom(*a, **k):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    monkeypatch.setattr(model, "forward", oom)
    X = np.zeros((20, 1, 28, 28), np.float32)
    with qtbot.waitSignal(w.services.training.controller.finished, timeout=WAIT):
        w.services.training.start(TrainJob(model, X, np.arange(20) % 6, TrainConfig(epochs=1)))
    assert len(shown) == 1 and "ran out of memory" in shown[0] and "\n" not in shown[0]
    assert weights_equal(w.session.snapshot, before)
    assert w.services.training.folder_action.isEnabled()


def test_backprop_view_follows_the_drawing_and_the_chosen_class(qtbot, make_window):
    from convviz.qt.training.backprop import NOTHING_DRAWN

    w = make_window()
    w.docks["backprop"].raise_()
    qtbot.waitUntil(lambda: w.panels["backprop"].isVisible(), timeout=WAIT)
    view, s = w.panels["backprop"], w.session
    c = s.canvas
    c.clear()
    s.flush()
    # a blank canvas: the classes named, no error worked out for nothing, and why
    assert view.current() is None and view.explain.text() == NOTHING_DRAWN
    assert view.table.item(0, 0).text() == s.spec.classes[0]
    assert all(view.table.item(r, 3).text() == "" for r in range(len(s.spec.classes) + 1))
    c.brush.size = 2.0
    c.begin_stroke(4.5, 14.5)
    c.stroke_to(23.5, 14.5)
    c.end_stroke()
    s.flush()
    assert [view.target.itemText(i) for i in range(view.target.count())] == list(s.spec.classes)
    for target in (0, 4):
        view.set_target(target)
        _right, _actual, error, total = error_table(
            s.model.trace(c.as_input()).probabilities, target
        )
        assert view.table.item(target, 1).text() == "1"
        other = 1 if target == 0 else 0  # right - actual, signed as the README says
        assert view.table.item(target, 3).text().startswith("+")
        assert view.table.item(other, 3).text() == f"{error[other]:+.2f}"
        assert error[other] <= 0 and view.table.item(other, 3).text().startswith("-")
        assert view.table.item(len(s.spec.classes), 3).text() == f"{total:.2f}"
        np.testing.assert_allclose(view.current()[2], error, atol=1e-5)


def test_the_training_dock_says_its_run_was_of_another_network_once_one_is_opened(
    qtbot, make_window
):
    w = make_window()
    tools = w.services.training

    def fill(dlg):
        dlg.per_class.setValue(4)
        dlg.epochs.setValue(1)
        dlg.batch.setValue(8)

    with qtbot.waitSignal(tools.controller.model_ready, timeout=WAIT):
        through_dialog(qtbot, w, tools.samples_action, fill)
    ended = tools.panel.status.text()
    assert ended.startswith("Done") and "not the network in use" not in ended
    trained = w.session.model
    assert w.session.load_preset("xo", background=False)  # another network opened
    said = tools.panel.status.text()
    assert said.startswith("Not training.") and "not the network in use now" in said
    assert trained.spec.name in said and said.endswith(ended)  # the old run, labelled as such
    w.session.set_model(trained, source="again")  # back to the trained one: its ending again
    assert tools.panel.status.text() == ended


def test_a_finished_run_gives_the_panels_their_room_back(qtbot, make_window):
    w = make_window()
    w.resize(1024, 768)
    tools, training = w.services.training, w.docks["training"]

    def fill(dlg):
        dlg.per_class.setValue(4)
        dlg.epochs.setValue(1)
        dlg.batch.setValue(8)

    with qtbot.waitSignal(tools.controller.started, timeout=WAIT):
        through_dialog(qtbot, w, tools.samples_action, fill)
    assert training.isVisible() and not w.tabifiedDockWidgets(training)  # under the group
    with qtbot.waitSignal(tools.controller.model_ready, timeout=WAIT):
        pass
    # ended: a tab of the Results' group, its ending kept there; the group has the height
    assert training in w.tabifiedDockWidgets(w.docks["backprop"])
    assert tools.panel.status.text().startswith("Done")
    assert w.docks["results"].height() > 0.6 * w.centralWidget().height()
    tools.show_dock("training")  # the next run: back under the group
    assert not w.tabifiedDockWidgets(training) and training.isVisible()


def test_a_network_trained_again_on_a_folder_names_only_the_last_folder():
    from convviz.core.network import build
    from convviz.core.training import TrainConfig
    from convviz.qt.training.trained_network import trained_name

    model = build(preset("shapes"), seed=0)
    job = TrainJob(model, np.zeros((1, 1, 28, 28), np.float32), np.zeros(1), TrainConfig())
    job.source = "folder /home/me/data/"
    assert trained_name(job) == "shapes (trained on data)"
    model.spec = dataclasses.replace(model.spec, name=trained_name(job))
    job.source = "folder /home/me/digits"
    assert trained_name(job) == "shapes (trained on digits)"
    model.spec = dataclasses.replace(model.spec, name=trained_name(job))
    job.source = "sample shapes"
    assert trained_name(job) == "shapes (trained on digits)"


def test_the_quit_question_changes_when_the_run_ends_behind_it(qtbot, make_window):
    from PySide6.QtWidgets import QApplication, QMessageBox

    w = make_window()
    tools = w.services.training

    def fill(dlg):
        dlg.per_class.setValue(4)
        dlg.epochs.setValue(3)
        dlg.batch.setValue(8)

    with qtbot.waitSignal(tools.controller.started, timeout=WAIT):
        through_dialog(qtbot, w, tools.samples_action, fill)
    tools.controller.pause()  # still running while the question opens
    tools.ask_keep = tools._ask_keep  # the real question
    seen, polls = [], []

    def answer():
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(50, answer)
            return
        if not seen:
            seen.append(box.text())
            tools.controller.resume()  # the run goes on to its end behind the question
        polls.append(1)
        changed = box.text().startswith("Training has finished")
        if (tools.controller.is_running() or not changed) and len(polls) < 400:
            QTimer.singleShot(50, answer)
            return
        if not changed:  # (the question never changed: answer it, the asserts say so)
            box.buttons()[0].click()
            return
        seen.append(box.text())
        visible = [b.text() for b in box.buttons() if b.isVisible()]
        seen.append(visible)
        next(b for b in box.buttons() if b.text() == "Close").click()

    QTimer.singleShot(0, answer)
    assert w.close()  # "Close" after the run ended: the window goes, nothing asked again
    assert "still running" in seen[0]
    assert seen[1].startswith("Training has finished") and "Discard" not in seen[2]
    outcome = tools.controller.outcome
    assert outcome.status == "done" and w.session.model is outcome.model  # its ending stood
