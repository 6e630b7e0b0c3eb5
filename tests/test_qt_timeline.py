"""The training timeline in the window (issue 17, part 1): train briefly from the Train menu,
scrub to a kept moment and see every panel show it exactly, go back to the latest weights,
compare two moments, save the weights with their timeline and open them again."""

import numpy as np
import pytest
from test_qt_train_menu import WAIT, fill_folder, through_dialog

from convviz.core.shapes_data import write_folder
from convviz.core.timeline_file import companion


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("shapes") / "data"
    write_folder(root, per_class=12, seed=3, classes=("X", "O", "plus"))
    return root


@pytest.fixture
def window(qtbot, make_training_window, folder):
    w = make_training_window()
    tools = w.services.training
    with qtbot.waitSignal(tools.controller.finished, timeout=WAIT):
        through_dialog(qtbot, w, tools.folder_action, fill_folder(qtbot, folder, epochs=3, batch=6))
    qtbot.waitUntil(lambda: w.session.model is tools.controller.outcome.model, timeout=WAIT)
    return w


def _epoch_end(timeline, epoch):
    return next(i for i, m in enumerate(timeline.moments) if m.end and m.epoch == epoch)


def test_scrubbing_shows_epoch_1_in_every_panel_and_latest_comes_back(window):
    w, s = window, window.session
    view, kernels = w.panels["timeline"], w.panels["kernels"]
    t = s.timeline
    assert t is not None and view.timeline is t
    # the start, the first epoch's extras (5 batches: 4 of them), every epoch's end
    assert [m.label for m in t.moments][:2] == ["before training", "epoch 1, step 1"]
    assert [m.epoch for m in t.moments if m.end] == [1, 2, 3]
    assert w.docks["timeline"].isVisible() and view.scrub.isEnabled()
    assert view.scrub.maximum() == len(t) - 1
    current = s.snapshot
    conv1_now = current.weight("conv1").copy()
    i = _epoch_end(t, 1)
    view.scrub.setValue(i)  # as dragging the slider does
    epoch1 = t[i].snapshot
    assert s.moment.startswith("end of epoch 1") and s.snapshot is epoch1
    for f in range(8):  # the Kernels panel shows epoch 1's weights exactly
        np.testing.assert_array_equal(
            kernels.kernel_values("conv1", f), epoch1.weight("conv1")[f, 0]
        )
    assert not np.array_equal(epoch1.weight("conv1"), conv1_now)
    # the votes and maps are epoch 1's reading of the drawing
    np.testing.assert_array_equal(s.trace.votes, s.model.trace(s.canvas.as_input()).votes)
    assert "end of epoch 1" in view.shown.text()
    assert "end of epoch 1" in w.statusBar().currentMessage()
    # its validation is shown: the accuracy and the confusion table of that epoch
    assert t[i].confusion is not None and t[i].confusion.sum() == 9
    assert view.confusion.isVisibleTo(view) and view.confusion.rowCount() == 3
    assert "Validation accuracy" in view.validation.text()
    # Latest: the current weights again, everywhere, and the line says so
    view.latest.click()
    assert s.moment == "" and s.snapshot is current
    np.testing.assert_array_equal(kernels.kernel_values("conv1", 0), conv1_now[0, 0])
    assert view.shown.text().startswith("Showing the current weights")
    assert "current weights" in w.statusBar().currentMessage()


def test_compare_puts_two_moments_side_by_side_with_the_difference(window):
    w, s = window, window.session
    view = w.panels["timeline"]
    t = s.timeline
    view.scrub.setValue(0)
    view.other.setValue(len(t) - 1)
    view.compare.setChecked(True)
    assert view.compare_box.isVisibleTo(view)
    a, b = view.compared()
    assert a is t[0] and b is t[-1] and s.snapshot is a.snapshot  # the panels show A
    assert view.layer.currentText() == "conv1"
    f = 8
    shown_a, shown_b, shown_d = (view.images[k].image for k in ("A", "B", "B − A"))
    np.testing.assert_array_equal(shown_a[:5, :5], a.snapshot.weight("conv1")[0, 0])
    np.testing.assert_array_equal(shown_b[:5, :5], b.snapshot.weight("conv1")[0, 0])
    np.testing.assert_allclose(shown_d, shown_b - shown_a)
    assert shown_a.shape[1] >= 5 * f
    assert "conv1" in view.moved.text() and "%" in view.moved.text()
    # the votes of the drawing at A and at B (B from a copy: the panels still show A)
    rows = {
        view.votes.item(r, 0).text(): [view.votes.item(r, c).text() for c in (1, 2)]
        for r in range(view.votes.rowCount())
    }
    assert set(rows) == set(s.spec.classes)
    pb = view.votes_at(b)
    assert s.snapshot is a.snapshot
    top = int(np.argmax(pb))
    assert rows[s.spec.classes[top]][1] == f"{pb[top]:.0%}"
    view.layer.setCurrentText("votes")  # any weighted layer: the votes' (classes, inputs)
    assert view.images["A"].image.shape == a.snapshot.weight("votes").shape
    view.scrub.setValue(_epoch_end(t, 1))  # comparing, the confusion table makes room
    assert not view.confusion.isVisibleTo(view) and "accuracy" in view.validation.text()
    view.compare.setChecked(False)
    assert view.confusion.isVisibleTo(view) and not view.compare_box.isVisibleTo(view)
    view.latest.click()


def test_weights_saved_with_their_timeline_open_again_with_it(qtbot, window, tmp_path, monkeypatch):
    w, s = window, window.session
    t = s.timeline
    view = w.panels["timeline"]
    view.scrub.setValue(1)  # a moment shown: export still saves the current weights
    current = s.current_weights()
    out = tmp_path / "trained.safetensors"
    monkeypatch.setattr(
        "convviz.qt.window_files.QFileDialog.getSaveFileName", lambda *a, **k: (str(out), "")
    )
    w.export_weights()
    qtbot.waitUntil(lambda: companion(out).exists(), timeout=WAIT)
    from convviz.core.weights import load_model

    saved, _ = load_model(out)
    np.testing.assert_array_equal(saved.snapshot().flat, current.flat)
    view.latest.click()
    w.open_weights(str(out))
    qtbot.waitUntil(lambda: s.source == str(out), timeout=WAIT)
    again = s.timeline
    assert again is not None and again is not t and len(again) == len(t)
    assert [m.label for m in again.moments] == [m.label for m in t.moments]
    assert view.timeline is again and view.scrub.maximum() == len(t) - 1
    i = _epoch_end(again, 1)
    view.scrub.setValue(i)
    np.testing.assert_array_equal(
        w.panels["kernels"].kernel_values("conv1", 0), t[i].snapshot.weight("conv1")[0, 0]
    )
    np.testing.assert_array_equal(again[i].confusion, t[i].confusion)


def test_a_moment_shown_while_training_keeps_the_new_weights_aside(make_window):
    w = make_window("shapes", restore=False)
    s, kernels = w.session, w.panels["kernels"]
    start = s.snapshot
    moment = start.with_arrays({k: v * 0.5 for k, v in start.items()})
    newer = start.with_arrays({k: v * 2.0 for k, v in start.items()})
    s.show_moment(moment, "epoch 1")
    assert s.moment == "epoch 1" and s.snapshot is moment
    s.apply_current(newer)  # a live snapshot from the run: aside, the panels keep the moment
    assert s.snapshot is moment and s.current_weights() is newer
    np.testing.assert_array_equal(kernels.kernel_values("conv1", 0), moment.weight("conv1")[0, 0])
    s.show_current()  # Latest: the newest current weights, not the ones before the moment
    assert s.moment == "" and s.snapshot is newer
    np.testing.assert_array_equal(kernels.kernel_values("conv1", 0), newer.weight("conv1")[0, 0])
    s.show_moment(moment, "epoch 1")
    s.set_model(s.model, source="again")  # the network set anew: its own weights, no moment
    assert s.moment == "" and s.timeline is None
    np.testing.assert_array_equal(s.snapshot.flat, newer.flat)
    import copy

    old = s.model
    s.show_moment(moment, "epoch 1")
    s.set_model(copy.deepcopy(old), source="another")  # the network left keeps its own weights
    np.testing.assert_array_equal(old.snapshot().flat, newer.flat)


def test_latest_puts_the_slider_back_at_the_latest_moment(window):
    """After Latest the line said "Showing the current weights" with the slider left earlier."""
    view, t = window.panels["timeline"], window.session.timeline
    view.scrub.setValue(_epoch_end(t, 1))
    assert view.scrub.value() < view.scrub.maximum()
    view.latest.click()
    assert window.session.moment == "" and view.shown.text().startswith("Showing the current")
    assert view.scrub.value() == view.scrub.maximum() == len(t) - 1


def test_the_moments_table_scrolls_instead_of_growing_the_window_at_1024x768(window, qtbot):
    """Dragging the slider shows a confusion table under it: the dock's least height grew with
    it and the window grew past a 1024x768 screen, its status bar off the bottom."""
    from PySide6.QtWidgets import QApplication

    w, view = window, window.panels["timeline"]
    w.resize(1024, 768)
    for _ in range(5):
        QApplication.processEvents()
    least = w.docks["timeline"].minimumSizeHint().height()
    view.scrub.setValue(_epoch_end(w.session.timeline, 1))
    for shows in (view.confusion, view.compare_box):  # the table, then Compare in its place
        if shows is view.compare_box:
            view.compare.setChecked(True)
        for _ in range(5):
            QApplication.processEvents()
        assert shows.isVisibleTo(view)
        assert w.docks["timeline"].minimumSizeHint().height() <= least
        assert w.height() <= 768 and w.minimumSizeHint().height() <= 768
