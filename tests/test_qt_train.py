"""The whole training path in the GUI, driven with pytest-qt on a small generated folder."""

import math
import time

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication
from test_folders_helpers import make_folder

from convviz.core.loss_history import LossHistory
from convviz.core.mistakes import mistakes
from convviz.qt.training.backprop import BackpropView, error_table
from convviz.qt.training.controller import TrainingController
from convviz.qt.training.dialog import TrainDialog
from convviz.qt.training.panel import TrainingPanel
from convviz.qt.training.results import TrainingResults
from convviz.qt.training.worker import TrainJob

WAIT = 30_000  # ms: generous, CI machines are slow


@pytest.fixture
def folder(tmp_path):
    root = make_folder(tmp_path / "data", per_class=30, classes=("bar", "o", "x"))
    (root / "o" / "broken.png").write_bytes(b"not a png")
    return root


def _loaded_dialog(qtbot, folder, **kw):
    dlg = TrainDialog(None, folder=str(folder), **kw)
    qtbot.addWidget(dlg)
    qtbot.waitUntil(lambda: dlg.images is not None, timeout=WAIT)
    return dlg


def _job(dlg, epochs=3, batch=16, **kw):
    dlg.epochs.setValue(epochs)
    dlg.batch.setValue(batch)
    for k, v in kw.items():
        getattr(dlg, k).setValue(v)
    return dlg.job()


@pytest.fixture
def controller():
    c = TrainingController()
    yield c
    c.request_stop()  # never leave a thread running: a destroyed running QThread aborts
    assert c.wait(WAIT)


def test_dialog_shows_the_scan_report_and_makes_a_job(qtbot, folder):
    dlg = _loaded_dialog(qtbot, folder)
    report = dlg.report.toPlainText()
    assert "90 images in 3 classes" in report
    assert "o/broken.png" in report and "1 files skipped" in report
    assert dlg.train_button.isEnabled()
    job = _job(dlg, epochs=2)
    assert job.classes == ("bar", "o", "x")
    assert job.X.shape == (90, 1, 28, 28) and job.config.epochs == 2
    assert job.paths[0].startswith("bar/")


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: None, "no class folders"),
        (lambda p: make_folder(p, per_class=2, classes=("x",)), "only one class folder"),
    ],
)
def test_dialog_refuses_unusable_folders_with_one_line(qtbot, tmp_path, make, message):
    root = tmp_path / "bad"
    root.mkdir()
    make(root)
    dlg = TrainDialog(None, folder=str(root))
    qtbot.addWidget(dlg)
    qtbot.waitUntil(lambda: message in dlg.message.text(), timeout=WAIT)
    assert "\n" not in dlg.message.text()
    assert not dlg.train_button.isEnabled()


def test_folder_loading_can_be_cancelled(qtbot, tmp_path, monkeypatch):
    import convviz.qt.training.folder_decode as fd

    root = make_folder(tmp_path / "d", per_class=200)
    real = fd.qimage_decode

    def slow(path, size):
        time.sleep(0.002)
        return real(path, size)

    monkeypatch.setattr(fd, "qimage_decode", slow)
    dlg = TrainDialog(None, folder=str(root))
    qtbot.addWidget(dlg)
    with qtbot.waitSignal(dlg.loader.cancelled, timeout=WAIT):
        qtbot.waitUntil(lambda: dlg.scan_bar.value() > 0, timeout=WAIT)
        dlg.scan_cancel.click()
    assert dlg.images is None and not dlg.train_button.isEnabled()
    assert "cancelled" in dlg.report.toPlainText()


def test_changing_the_network_reloads_at_its_input_size(qtbot, folder):
    dlg = _loaded_dialog(qtbot, folder)
    dlg.network.setCurrentIndex(dlg.network.findData("xo"))  # 9x9 pictures
    qtbot.waitUntil(lambda: dlg.images is not None and dlg.images.X.shape[-1] == 9, timeout=WAIT)
    assert dlg.job().model.spec.input_size == 9


def test_sample_shapes_need_no_folder(qtbot):
    dlg = TrainDialog(None, samples=True)
    qtbot.addWidget(dlg)
    dlg.per_class.setValue(6)
    assert dlg.train_button.isEnabled()
    job = _job(dlg, epochs=1)
    assert len(job.classes) == 6 and job.X.shape[0] == 36 and job.source == "sample shapes"


def test_whole_path_live_loss_results_and_the_new_model_classifies(qtbot, folder, controller):
    dlg = _loaded_dialog(qtbot, folder)
    job = _job(dlg, epochs=6, batch=8, val=30)
    dlg.augment.setChecked(False)
    panel = TrainingPanel()
    results = TrainingResults()
    qtbot.addWidget(panel)
    qtbot.addWidget(results)
    panel.attach(controller)
    controller.finished.connect(results.show_outcome)
    points, snaps, epochs = [], [], []
    controller.progress.connect(lambda p: points.extend(p.losses))
    controller.snapshot.connect(snaps.append)
    controller.epoch_done.connect(epochs.append)
    with qtbot.waitSignal(controller.model_ready, timeout=WAIT) as ready:
        controller.start(job)
    outcome = ready.args[0]
    qtbot.waitUntil(lambda: not controller.is_running(), timeout=WAIT)
    # live loss points for every batch, in order, all plotted
    batches = math.ceil(63 / 8)
    assert [s for s, _ in points] == list(range(1, 6 * batches + 1))
    assert len(panel.history.losses) == len(points)
    assert panel.raw_curve.getData()[0].size == len(points)
    assert len(epochs) == 6 and len(panel.history.val_loss) == 6
    assert snaps and all(np.isfinite(v).all() for s in snaps for v in s.values())
    # the results: accuracy, confusion matrix, the mistakes gallery
    r = outcome.result
    assert r.status == "done" and r.val_accuracy > 0.8
    assert r.confusion.sum() == 27 and results.confusion.rowCount() == 3
    assert int(results.confusion.item(0, 0).text()) == r.confusion[0, 0]
    assert results.gallery.count() == len(mistakes(outcome)) == 27 - np.trace(r.confusion)
    assert "Validation accuracy" in results.summary.text()
    # the new model carries the folder's classes and classifies the held-back images
    model = outcome.model
    assert model.spec.classes == ("bar", "o", "x")
    right = sum(model.trace(job.X[i, 0]).winner == job.y[i] for i in r.val_indices)
    assert right / len(r.val_indices) == pytest.approx(r.val_accuracy)
    assert "Done" in panel.status.text()


def test_pause_holds_training_and_resume_continues(qtbot, folder, controller):
    job = _job(_loaded_dialog(qtbot, folder), epochs=200, batch=4)
    steps = []
    controller.progress.connect(lambda p: steps.append(p.step))
    controller.start(job)
    qtbot.waitUntil(lambda: len(steps) > 0, timeout=WAIT)
    with qtbot.waitSignal(controller.paused, timeout=WAIT, check_params_cb=lambda paused: paused):
        controller.pause()
    assert controller.is_paused()
    held = len(steps)
    qtbot.wait(300)  # the GUI stays live while the worker waits
    assert len(steps) == held
    controller.resume()
    qtbot.waitUntil(lambda: len(steps) > held, timeout=WAIT)
    with qtbot.waitSignal(controller.finished, timeout=WAIT):
        controller.request_stop()
    assert controller.outcome.status == "stopped"


def test_pause_follows_the_run_not_the_button_text(qtbot, folder, controller):
    """The button's words are only a label: relabelled (a translation), it still toggles."""
    job = _job(_loaded_dialog(qtbot, folder), epochs=200, batch=4)
    panel = TrainingPanel()
    qtbot.addWidget(panel)
    panel.attach(controller)
    steps = []
    controller.progress.connect(lambda p: steps.append(p.step))
    controller.start(job)
    qtbot.waitUntil(lambda: len(steps) > 0, timeout=WAIT)
    panel.pause_button.setText("Halt")
    panel.pause_button.click()
    assert controller.is_paused() and panel.pause_button.text() == "Resume"
    panel.pause_button.setText("Weiter")
    panel.pause_button.click()
    assert not controller.is_paused() and panel.pause_button.text() == "Pause"
    with qtbot.waitSignal(controller.finished, timeout=WAIT):
        panel.stop_button.click()
    assert controller.outcome.status == "stopped"


def test_stop_mid_epoch_keeps_the_choice_to_the_person(qtbot, folder, controller):
    job = _job(_loaded_dialog(qtbot, folder), epochs=50, batch=4)
    panel = TrainingPanel()
    qtbot.addWidget(panel)
    panel.attach(controller)
    seen = []
    controller.progress.connect(seen.append)
    adopted = []
    controller.model_ready.connect(adopted.append)
    controller.start(job)
    qtbot.waitUntil(lambda: any(p.batch < p.batches for p in seen), timeout=WAIT)
    with qtbot.waitSignal(controller.finished, timeout=WAIT):
        panel.stop_button.click()
    outcome = controller.outcome
    assert outcome.status == "stopped" and len(outcome.result.epochs) < 50
    assert adopted == []  # a stopped run is not used unless the person says so
    assert not panel.keep_button.isHidden()
    with qtbot.waitSignal(controller.model_ready, timeout=WAIT):
        panel.keep_button.click()


def test_closing_during_training_stops_cleanly_with_the_last_snapshot(qtbot, folder):
    controller = TrainingController()
    job = _job(_loaded_dialog(qtbot, folder), epochs=500, batch=4)
    steps = []
    controller.progress.connect(lambda p: steps.append(p.step))
    controller.start(job)
    qtbot.waitUntil(lambda: len(steps) > 2, timeout=WAIT)
    controller.pause()  # closing while paused must work too
    t = time.perf_counter()
    outcome = controller.stop_and_wait()  # what the window's closeEvent does
    assert time.perf_counter() - t < 5
    assert not controller.is_running()
    assert outcome.status == "stopped"
    snap = controller.last_snapshot
    for k, v in job.model.state_dict().items():  # the snapshot is the model as it stopped
        np.testing.assert_array_equal(snap[k], v.detach().cpu().numpy())


def test_a_loss_that_turns_nan_stops_with_a_message(qtbot, folder, controller):
    dlg = _loaded_dialog(qtbot, folder)
    job = _job(dlg, epochs=2)
    bad = job.X.copy()
    bad[:, 0, 0, 0] = np.nan
    before = {k: v.clone() for k, v in job.model.state_dict().items()}
    panel = TrainingPanel()
    qtbot.addWidget(panel)
    panel.attach(controller)
    with qtbot.waitSignal(controller.finished, timeout=WAIT):
        controller.start(TrainJob(job.model, bad, job.y, job.config))
    assert controller.outcome.status == "diverged"
    assert "loss became nan" in panel.status.text()
    for k, v in job.model.state_dict().items():  # the last good weights: the starting ones
        assert np.array_equal(v.cpu().numpy(), before[k].cpu().numpy())


def test_running_out_of_memory_says_so(qtbot, folder, monkeypatch):
    import torch

    controller = TrainingController(own_process=False)  # the fault is patched into this process
    job = _job(_loaded_dialog(qtbot, folder), epochs=1)

    def oom(*a, **k):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    monkeypatch.setattr(job.model, "forward", oom)
    panel = TrainingPanel()
    qtbot.addWidget(panel)
    panel.attach(controller)
    with qtbot.waitSignal(controller.failed, timeout=WAIT) as failed:
        controller.start(job)
    assert "ran out of memory" in failed.args[0] and "batch size" in failed.args[0]
    qtbot.waitUntil(lambda: "Training failed" in panel.status.text(), timeout=WAIT)
    assert controller.wait(WAIT)


def test_error_table_follows_the_deck():
    right, _actual, error, total = error_table(np.array([0.92, 0.51]), 0)
    assert right.tolist() == [1, 0]
    np.testing.assert_allclose(error, [0.08, -0.51])  # signed: right - actual, as the README
    assert total == pytest.approx(0.59)  # the total of their sizes


def test_backprop_view_error_shrinks_as_the_network_learns(qtbot, folder, controller):
    import copy

    import torch

    job = _job(_loaded_dialog(qtbot, folder), epochs=8, batch=8)
    view = BackpropView()
    qtbot.addWidget(view)
    shown = copy.deepcopy(job.model)  # the window's copy of the network, as the session keeps

    def show(snapshot):  # what the session does with each snapshot: load it, trace the drawing
        shown.load_state_dict({k: torch.from_numpy(v) for k, v in snapshot.items()})
        view.set_trace(shown.trace(job.X[-1, 0]))

    show(job.model.snapshot())
    view.set_target(int(job.y[-1]))
    start_total = view.current()[3]
    controller.snapshot.connect(show)
    with qtbot.waitSignal(controller.finished, timeout=WAIT):
        controller.start(job)
    end_total = view.current()[3]
    assert end_total < start_total * 0.5
    assert view.table.item(len(job.classes), 3).text() == f"{end_total:.2f}"


def test_loss_axis_stays_still_while_losses_fall_and_grows_for_a_higher_one(qtbot):
    from convviz.core.train_process import TrainProgress
    from convviz.qt.training.panel import _round_up

    assert [_round_up(x) for x in (0.07, 1.0, 1.1, 1.98, 2.6, 9.0)] == [0.08, 1, 1.5, 2, 3, 10]
    panel = TrainingPanel()
    qtbot.addWidget(panel)
    panel.on_started()
    step = 0

    def report(*losses):
        nonlocal step
        points = []
        for v in losses:
            step += 1
            points.append((step, v))
        panel.on_progress(TrainProgress(1, 1, step, 100, step, 100, losses[-1], 1.0, 1.0, points))
        return panel.loss_plot.viewRange()[1]

    first = report(1.79, 1.6)
    assert first == pytest.approx([0, 2])  # 1.79 * 1.1 rounded up
    assert report(1.2, 0.9, float("nan"), 0.4) == first  # falling losses: the axis stays
    assert report(2.5) == pytest.approx([0, 3])  # a higher one raises the top
    assert panel.raw_curve.getData()[0].size == 6  # every finite batch loss is drawn


def test_a_long_run_draws_about_two_points_a_pixel_and_keeps_every_peak(qtbot):
    from convviz.core.train_process import TrainProgress

    panel = TrainingPanel()
    qtbot.addWidget(panel)
    panel.resize(500, 450)
    panel.show()
    qtbot.waitExposed(panel)
    panel.on_started()
    rng = np.random.default_rng(0)
    steps = 20_000
    losses = 2.0 * np.exp(-np.arange(steps) / 4000) + rng.uniform(0, 0.3, steps)
    losses[12_345] = 2.9  # one bad batch late in the run
    points = list(zip(range(1, steps + 1), losses.tolist(), strict=True))
    panel.on_progress(TrainProgress(3, 3, 100, 100, steps, steps, losses[-1], 1.0, 0.0, points))
    QApplication.processEvents()
    x, y = panel.raw_curve.curve.getData()  # what is drawn
    pixels = panel.loss_plot.vb.width()
    assert len(x) <= 2.5 * pixels  # not all 20,000
    assert y.max() == pytest.approx(2.9) and y.min() == pytest.approx(losses.min())
    assert len(panel.history.losses) == steps  # while every loss is kept


def test_loss_history_smooths_and_skips_non_finite():
    h = LossHistory()
    h.add_batches([(1, 1.0), (2, float("nan")), (3, 0.0)])
    assert list(h.steps) == [1, 3] and list(h.smoothed) == pytest.approx([1.0, 0.9])
    h.add_epoch(0.5, 0.75)
    assert h.epoch_steps == [3] and h.val_accuracy == [0.75]
    h.add_batches([(k, 2.0) for k in range(4, 1004)])  # grows past its first capacity
    assert len(h.losses) == 1002 and h.steps[-1] == 1003 and h.losses[1] == 0.0
    assert h.smoothed[-1] == pytest.approx(2.0) and h.smoothed[2] == pytest.approx(1.01)


def test_controller_refuses_a_second_run(qtbot, folder, controller):
    from convviz.core.errors import ConvvizError

    job = _job(_loaded_dialog(qtbot, folder), epochs=100, batch=4)
    controller.start(job)
    with pytest.raises(ConvvizError, match="already"):
        controller.start(job)


def test_gui_thread_traces_on_one_torch_thread_while_the_trainer_sets_its_own(
    qtbot, folder, controller, monkeypatch
):
    import torch

    monkeypatch.setenv("CONVVIZ_TRAIN_THREADS", "2")
    before = torch.get_num_threads()
    places = []
    controller.started_on.connect(places.append)
    try:
        torch.set_num_threads(2)  # as if the window had traced on two threads so far
        dlg = _loaded_dialog(qtbot, folder)
        with qtbot.waitSignal(controller.finished, timeout=WAIT):
            controller.start(_job(dlg, epochs=1, batch=8))
        assert places == ["CPU (2 threads)"]  # the trainer trained on the count asked for
        assert controller.outcome.result.device == "CPU (2 threads)"
        assert torch.get_num_threads() == 1  # ...and the GUI thread kept its single thread
    finally:
        torch.set_num_threads(before)


def test_training_runs_in_a_warm_process_that_the_next_run_reuses(qtbot, folder, controller):
    import os

    from convviz.core import train_process

    assert controller.own_process  # the default
    controller.prepare()  # what opening the Train dialog does
    dlg = _loaded_dialog(qtbot, folder)
    pids = []
    for _ in range(2):
        with qtbot.waitSignal(controller.finished, timeout=WAIT):
            controller.start(_job(dlg, epochs=1, batch=8))
        pids.append(controller._worker.trainer.process.pid)
        assert controller.outcome.status == "done"
    assert pids[0] == pids[1] != os.getpid()
    assert len(train_process.POOL.idle) == 1 and train_process.POOL.idle[0].alive()


def test_a_trainer_process_that_dies_is_reported_and_replaced(qtbot, folder, controller):
    job = _job(_loaded_dialog(qtbot, folder), epochs=500, batch=4)
    before = {k: v.clone() for k, v in job.model.state_dict().items()}
    snaps = []
    controller.snapshot.connect(snaps.append)
    with qtbot.waitSignal(controller.failed, timeout=WAIT) as failed:
        controller.start(job)
        qtbot.waitUntil(lambda: len(snaps) >= 2, timeout=WAIT)
        controller._worker.trainer.process.kill()  # as if it crashed, or the OS killed it
    assert failed.args[0] == "the training process stopped unexpectedly (exit code -9)"
    qtbot.waitUntil(lambda: not controller.is_running(), timeout=WAIT)
    outcome = controller.outcome
    assert outcome.status == "failed" and outcome.snapshot is not None
    # the job's model holds the last weights the process sent, not the starting ones
    state = job.model.state_dict()
    np.testing.assert_array_equal(
        outcome.snapshot["layers.0.weight"], state["layers.0.weight"].numpy()
    )
    assert any(not np.array_equal(before[k].numpy(), state[k].numpy()) for k in state)
    with qtbot.waitSignal(controller.finished, timeout=WAIT):  # a fresh process trains
        controller.start(_job(_loaded_dialog(qtbot, folder), epochs=1, batch=8))
    assert controller.outcome.status == "done"


def test_stopping_while_the_trainer_still_starts_returns_at_once(qtbot, folder):
    from convviz.core import train_process

    train_process.POOL.close_idle()  # no warm process: the next one must import torch first
    controller = TrainingController()
    job = _job(_loaded_dialog(qtbot, folder), epochs=5, batch=8)
    before = job.model.snapshot()
    controller.start(job)
    t = time.perf_counter()
    outcome = controller.stop_and_wait()  # closing the window straight after pressing Train
    assert time.perf_counter() - t < 1.0  # not after torch has loaded
    assert outcome.status == "stopped" and outcome.result.epochs == []
    for k, v in job.model.snapshot().items():
        np.testing.assert_array_equal(v, before[k])
    assert len(train_process.POOL.idle) == 1  # the process starting up is kept for the next run


def test_a_finished_run_cannot_steer_the_next_run_on_the_same_process(qtbot, folder):
    first, second = TrainingController(), TrainingController()
    dlg = _loaded_dialog(qtbot, folder)
    with qtbot.waitSignal(first.finished, timeout=WAIT):
        first.start(_job(dlg, epochs=1, batch=8))
    assert first.wait(WAIT)
    steps = []
    second.progress.connect(lambda p: steps.append(p.step))
    second.start(_job(_loaded_dialog(qtbot, folder), epochs=300, batch=4))
    try:
        assert second._worker.trainer is first._worker.trainer  # the pooled process, reused
        qtbot.waitUntil(lambda: len(steps) > 0, timeout=WAIT)
        first.pause()
        first.request_stop()  # e.g. a stale button of another window
        held = steps[-1]
        qtbot.waitUntil(lambda: steps[-1] > held + 20, timeout=WAIT)
        assert second.is_running() and not second.is_paused()
    finally:
        outcome = second.stop_and_wait()
    assert outcome.status == "stopped"


def test_a_trainer_that_dies_while_starting_leaves_training_to_a_thread(qtbot, folder, monkeypatch):
    from convviz.core import train_process

    monkeypatch.setattr(train_process.POOL, "unusable", False)  # restored after the test
    train_process.POOL.close_idle()
    controller = TrainingController()
    job = _job(_loaded_dialog(qtbot, folder), epochs=2, batch=8)
    with qtbot.waitSignal(controller.model_ready, timeout=WAIT):
        controller.start(job)
        controller._worker.trainer.process.kill()  # e.g. a broken install: it never listens
    assert controller.wait(WAIT) and controller._worker.trainer is None  # trained here
    assert controller.outcome.status == "done"
    assert train_process.POOL.unusable  # later runs go straight to a thread
    with pytest.raises(RuntimeError):
        train_process.acquire()


def test_training_in_a_thread_when_asked(qtbot, folder, monkeypatch):
    monkeypatch.setenv("CONVVIZ_TRAIN_IN", "thread")
    controller = TrainingController()
    assert not controller.own_process
    job = _job(_loaded_dialog(qtbot, folder), epochs=2, batch=8)
    with qtbot.waitSignal(controller.model_ready, timeout=WAIT):
        controller.start(job)
    assert controller.wait(WAIT) and controller._worker.trainer is None
    assert controller.outcome.status == "done" and controller.outcome.result.val_accuracy > 0.5


def test_table_headers_are_readable_in_a_narrow_dock(qtbot):
    from convviz.qt.training.confusion import ConfusionMatrixView

    view = BackpropView()  # a dock a third of 1024 px wide
    qtbot.addWidget(view)
    view.resize(370, 330)
    view.show()
    header = view.table.horizontalHeader()
    for c in range(4):
        text = view.table.horizontalHeaderItem(c).text()
        assert header.fontMetrics().horizontalAdvance(text) <= header.sectionSize(c) - 8, text
    matrix = ConfusionMatrixView()
    qtbot.addWidget(matrix)
    classes = ["O", "X", "check", "plus", "square", "triangle"]
    matrix.set_matrix(np.eye(6, dtype=int), classes)
    matrix.resize(360, 240)
    matrix.show()
    qtbot.waitExposed(matrix)
    header = matrix.horizontalHeader()
    for k, name in enumerate(classes):
        item = matrix.horizontalHeaderItem(k)
        text = item.text()
        # its start, whole or cut with a dot, and the whole name on hover
        assert header.fontMetrics().horizontalAdvance(text) <= header.sectionSize(k), text
        assert text == name or (text.endswith(".") and name.startswith(text[:-1]))
        assert name in item.toolTip()
    assert matrix.horizontalHeaderItem(5).text() != "triangle"  # it had to be cut here
    matrix.resize(900, 400)  # room again: whole names
    qtbot.waitUntil(lambda: matrix.horizontalHeaderItem(5).text() == "triangle")
