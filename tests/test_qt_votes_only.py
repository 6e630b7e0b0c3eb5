"""The Train dialog's "Keep what it learned: retrain only the votes" reaches the run's config,
and the run starts from the current network's layers with votes for the folder's classes."""

import torch
from test_folders_helpers import make_folder

from convviz.core.network import build
from convviz.core.presets import preset
from convviz.qt.training.dialog import TrainDialog
from convviz.qt.training.dialog_network import CURRENT

WAIT = 30_000


def test_the_checkbox_reaches_the_config_and_keeps_the_current_layers(qtbot, tmp_path):
    folder = make_folder(tmp_path / "data", per_class=6, classes=("bar", "o", "x"))
    current = build(preset("shapes"), seed=4)  # six classes: the folder has three
    dlg = TrainDialog(None, current_model=current, folder=str(folder))
    qtbot.addWidget(dlg)
    qtbot.waitUntil(lambda: dlg.images is not None, timeout=WAIT)
    assert dlg.network.currentData() == CURRENT and dlg.votes_only.isEnabled()
    assert not dlg.config().votes_only  # off unless asked for
    dlg.votes_only.setChecked(True)
    job = dlg.job()
    assert job.config.votes_only
    votes = f"layers.{len(current.layers) - 1}."
    mine, theirs = current.state_dict(), job.model.state_dict()
    for k, v in mine.items():
        if not k.startswith(votes):
            assert torch.equal(v, theirs[k]), k
    assert job.model.spec.classes == ("bar", "o", "x")
    assert theirs[votes + "weight"].shape[0] == 3


def test_the_checkbox_is_off_for_a_network_that_learned_nothing_yet(qtbot):
    dlg = TrainDialog(None, current_model=build(preset("shapes")), samples=True)
    qtbot.addWidget(dlg)
    dlg.votes_only.setChecked(True)
    dlg.network.setCurrentIndex(dlg.network.findData("shapes"))  # a preset: fresh weights
    assert not dlg.votes_only.isEnabled() and not dlg.config().votes_only
    assert "current network" in dlg.votes_only.toolTip()


def test_the_panel_and_the_saved_summary_say_only_the_votes_were_trained(qtbot):
    from convviz.core.training import EpochReport, TrainResult
    from convviz.qt.training.panel import TrainingPanel
    from convviz.qt.training.trained_network import results_summary
    from convviz.qt.training.worker import TrainOutcome

    panel = TrainingPanel()
    qtbot.addWidget(panel)
    panel.on_started()
    result = TrainResult(epochs=[EpochReport(1, 1.0, 0.5, 0.9)], val_accuracy=0.9, votes_only=True)
    outcome = TrainOutcome(None, result, None)
    panel.on_finished(outcome)
    assert "Only the votes were trained" in panel.status.text()
    job = type("Job", (), {"source": "folder x"})()
    assert results_summary(TrainOutcome(job, result, None))["results"]["trained"] == (
        "only the votes"
    )
