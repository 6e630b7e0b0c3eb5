"""One set of training defaults: `convviz train` and the app's Train dialog, each left at its
defaults on the same folder, train the same network (issue 19, item 5); and what the training
panel says about a run: its threads, the epoch it kept."""

import threading

import numpy as np

from convviz.cli import _parser, main
from convviz.core.shapes_data import write_folder
from convviz.core.train_process import JobRunner
from convviz.core.training import TrainConfig
from convviz.core.weights import load_model
from convviz.qt.training.dialog import TrainDialog

WAIT = 30_000  # ms


def test_the_command_line_and_the_dialog_start_from_the_same_defaults(qtbot):
    args = _parser().parse_args(["train", "FOLDER", "--out", "w.safetensors"])
    cli = TrainConfig(
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        val_split=args.val_split,
        seed=args.seed,
        device=args.device,
        augment=args.augment,
        threads=args.threads,
    )
    dlg = TrainDialog(None, samples=True)
    qtbot.addWidget(dlg)
    assert cli == dlg.config() == TrainConfig()
    assert TrainConfig().augment and TrainConfig().keep_best  # the better defaults, for both


def test_the_command_line_and_the_app_train_the_same_network(qtbot, tmp_path, monkeypatch, capsys):
    import torch

    folder = tmp_path / "data"
    write_folder(folder, per_class=12, seed=4, size=28)
    # one thread on both sides: the same sums in the same order (a chosen count could differ)
    monkeypatch.setenv("CONVVIZ_TRAIN_THREADS", "1")
    before = torch.get_num_threads()
    try:
        out = tmp_path / "cli.safetensors"
        assert main(["train", str(folder), "--out", str(out)]) == 0
        cli_model, info = load_model(out)

        # the app: the dialog at its defaults, then the call its trainer process makes
        dlg = TrainDialog(None, folder=str(folder))
        qtbot.addWidget(dlg)
        qtbot.waitUntil(lambda: dlg.images is not None, timeout=WAIT)
        job = dlg.job()
        got = []
        stop, running = threading.Event(), threading.Event()
        running.set()
        JobRunner(job.model, job.X, job.y, job.config, got.append, stop, running).run()
    finally:
        torch.set_num_threads(before)
    result, weights = got[-1].result, got[-1].weights
    assert got[-1].kind == "finished" and result.status == "done"
    assert job.classes == cli_model.spec.classes and job.model.spec == cli_model.spec
    want = cli_model.snapshot()
    assert weights.keys() == want.keys()
    assert all(np.array_equal(weights[k], want[k]) for k in want)
    summary = info["summary"]
    assert summary["best_epoch"] == result.best_epoch
    assert summary["val_accuracy"] == result.val_accuracy
    printed = capsys.readouterr().out
    assert f"final validation accuracy: {result.val_accuracy:.2%}" in printed


def test_the_training_panel_says_the_threads_and_the_epoch_it_kept(qtbot):
    from convviz.core.train_process import TrainProgress
    from convviz.core.training import EpochReport, TrainResult
    from convviz.qt.training.panel import TrainingPanel
    from convviz.qt.training.worker import TrainOutcome

    panel = TrainingPanel()
    qtbot.addWidget(panel)
    panel.on_started()
    panel.on_progress(TrainProgress(1, 8, 3, 10, 3, 80, 1.2, 5000.0, 9.0, [(3, 1.2)], threads=1))
    assert "5,000 images/s  ·  1 thread  ·" in panel.status.text()
    panel.on_progress(TrainProgress(1, 8, 4, 10, 4, 80, 1.1, 5000.0, 9.0, [(4, 1.1)], threads=2))
    assert "2 threads" in panel.status.text()
    panel.on_progress(TrainProgress(1, 8, 5, 10, 5, 80, 1.0, 9e4, 1.0, [(5, 1.0)]))  # a GPU
    assert "thread" not in panel.status.text()
    epochs = [EpochReport(e, 1.0, 0.5, acc) for e, acc in enumerate((0.9, 0.97, 0.95), 1)]
    result = TrainResult(epochs=epochs, val_accuracy=0.97, best_epoch=2, last_val_accuracy=0.95)
    panel.on_finished(TrainOutcome(None, result, None))
    text = panel.status.text()
    assert "validation accuracy 97.0% (kept epoch 2, the best; the last had 95.0%)" in text
