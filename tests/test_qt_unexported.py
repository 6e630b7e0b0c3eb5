"""A trained network nobody exported is never replaced without a word (window_files.py,
may_replace_network): choosing a preset, opening weights or a model, or applying an edited
architecture asks Export… / Discard / Cancel first; Cancel keeps it (and the file remembered
for the next start), Export… saves it and then switches, Discard switches and says in the status
bar where the copy kept for the next start is. Once exported, switching asks nothing."""

from __future__ import annotations

import os

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QFileDialog

from convviz.core.network import build
from convviz.core.presets import preset
from convviz.core.weights import save_model
from convviz.qt import settings
from convviz.qt.training.dialog import TrainDialog
from convviz.qt.window_files import CANCEL, DISCARD, EXPORT

WAIT = 60_000  # ms: generous, the machine is busy


def train_on_samples(qtbot, w):
    """A short run on the sample shapes from the Train menu; its network becomes the app's."""
    tools = w.services.training

    def answer():
        dlg = w.findChildren(TrainDialog)[-1]
        dlg.per_class.setValue(6)
        dlg.epochs.setValue(1)
        dlg.batch.setValue(8)
        dlg.train_button.click()
        if dlg.isVisible():
            dlg.reject()

    with qtbot.waitSignal(tools.controller.model_ready, timeout=WAIT):
        QTimer.singleShot(0, answer)
        tools.samples_action.trigger()
    assert w.session.source.startswith("trained on")


def weights_file(tmp_path):
    path = tmp_path / "xo.safetensors"
    save_model(build(preset("xo")), path)
    return str(path)


def test_cancel_keeps_the_trained_network_and_discard_says_where_its_copy_is(
    qtbot, make_training_window, tmp_path
):
    w = make_training_window()
    w.persist = True  # the run keeps its copy for the next start, as in the app
    train_on_samples(qtbot, w)
    trained, remembered = w.session.model, settings.remembered(settings.WEIGHTS, "")
    assert os.path.isfile(remembered)
    asked = []
    w.ask_unexported = lambda what, copy: asked.append((what, copy)) or CANCEL

    w.choose_preset("xo")
    w.open_weights(weights_file(tmp_path))
    w.open_model(weights_file(tmp_path))
    w.panels["architecture"].apply_requested.emit(preset("xo"))
    qtbot.wait(50)
    assert asked == [("trained on sample shapes", remembered)] * 4
    assert w.session.model is trained and w.session.spec.name == "shapes"
    assert settings.remembered(settings.WEIGHTS, "") == remembered  # still opens next time

    w.ask_unexported = lambda what, copy: asked.append(what) or DISCARD
    w.choose_preset("xo")
    qtbot.waitUntil(lambda: w.session.spec.name == "xo", timeout=WAIT)
    assert len(asked) == 5
    said = w.statusBar().currentMessage()
    assert "set aside" in said and remembered in said and "Open weights" in said
    w.persist = False


def test_export_saves_it_then_switches_and_an_exported_network_asks_nothing(
    qtbot, make_training_window, tmp_path, monkeypatch
):
    w = make_training_window()
    train_on_samples(qtbot, w)
    trained = w.session.model
    target = str(tmp_path / "trained.safetensors")
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (target, ""))
    asked = []
    w.ask_unexported = lambda what, copy: asked.append(what) or EXPORT
    w.open_weights(weights_file(tmp_path))
    qtbot.waitUntil(lambda: w.session.spec.name == "xo", timeout=WAIT)
    qtbot.waitUntil(lambda: os.path.isfile(target), timeout=WAIT)
    assert asked == ["trained on sample shapes"] and w.session.model is not trained

    w.open_weights(target)  # the trained one again, from its file: nothing left unsaved
    qtbot.waitUntil(lambda: w.session.spec.name == "shapes", timeout=WAIT)
    w.choose_preset("xo")
    qtbot.waitUntil(lambda: w.session.spec.name == "xo", timeout=WAIT)
    assert asked == ["trained on sample shapes"]


def test_a_network_exported_after_training_asks_nothing(
    qtbot, make_training_window, tmp_path, monkeypatch
):
    w = make_training_window()
    train_on_samples(qtbot, w)
    target = str(tmp_path / "kept.safetensors")
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (target, ""))
    w.export_weights()
    qtbot.waitUntil(lambda: not w.session.unexported, timeout=WAIT)
    asked = []
    w.ask_unexported = lambda what, copy: asked.append(what) or CANCEL
    w.choose_preset("xo")
    qtbot.waitUntil(lambda: w.session.spec.name == "xo", timeout=WAIT)
    assert asked == [] and os.path.isfile(target)
