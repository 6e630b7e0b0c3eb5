"""A model state that cannot lie: while a run trains, nothing else switches the network (and the
switches say why); the Results panel, the names and the window title belong to the network in
use, also after a restart; a preset named on the command line wins over a remembered network."""

import json
import subprocess
import sys

import pytest
from test_qt_train_menu import WAIT, fill_folder, start_long_run, through_dialog

from convviz.core.presets import preset
from convviz.core.shapes_data import write_folder
from convviz.qt.main_window import MainWindow
from convviz.qt.session import Session

CLASSES = ("O", "X", "plus")


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = (
        tmp_path_factory.mktemp("shapes") / "marks"
    )  # the network will be called "shapes (trained on marks)"
    write_folder(root, per_class=12, seed=3, classes=("X", "O", "plus"))
    return root


@pytest.fixture
def make_window(make_training_window):
    """The shared window, made safe for training runs (conftest.make_training_window)."""
    return make_training_window


def short_run(qtbot, w, folder):
    with qtbot.waitSignal(w.services.training.controller.finished, timeout=WAIT):
        through_dialog(
            qtbot,
            w,
            w.services.training.folder_action,
            fill_folder(qtbot, folder, epochs=2, batch=6),
        )
    qtbot.waitUntil(lambda: w.session.spec.classes == CLASSES, timeout=WAIT)


def test_while_training_the_network_cannot_be_switched(qtbot, make_window, folder, monkeypatch):
    w = make_window()
    errors = []
    monkeypatch.setattr(w, "show_error", errors.append)
    start_long_run(qtbot, w, folder)
    training_copy = w.session.model
    # the switches are off and say why
    for a in [*w.preset_actions.values(), w.open_weights_action]:
        assert not a.isEnabled() and "training is running" in a.toolTip()
    assert w.lock_note.isVisible() and "stop it" in w.lock_note.text()
    # and whatever tries anyway (a shortcut, the tour, the Architecture panel) is refused
    w.choose_preset("xo")
    from convviz.core.network import build

    assert not w.session.set_model(build(preset("lenet5")), source="elsewhere")
    assert w.session.model is training_copy and w.session.spec.classes == CLASSES
    assert w.preset_actions["xo"].isChecked() is False
    assert len(errors) == 2 and all("training is running" in e for e in errors)
    w.services.training.stop()
    qtbot.waitUntil(lambda: not w.services.training.controller.is_running(), timeout=WAIT)
    qtbot.waitUntil(lambda: w.preset_actions["xo"].isEnabled(), timeout=WAIT)
    assert w.open_weights_action.isEnabled() and not w.lock_note.isVisible()
    w.choose_preset("xo")
    assert w.session.spec.name == "xo" and w.preset_actions["xo"].isChecked()


def test_results_belong_to_the_network_in_use(qtbot, make_window, folder):
    w = make_window()
    results = w.services.training.results
    assert "No training results for this network (shapes)" in results.summary.text()
    short_run(qtbot, w, folder)
    assert results.confusion.rowCount() == 3 and "Validation accuracy" in results.summary.text()
    # a new run: the last run's matrix must not pass for this one's
    start_long_run(qtbot, w, folder)
    assert results.confusion.rowCount() == 0 and "when the run ends" in results.summary.text()
    w.services.training.stop()
    qtbot.waitUntil(lambda: not w.services.training.controller.is_running(), timeout=WAIT)
    # stopped: the network from before is back, and with it its own results
    qtbot.waitUntil(lambda: results.confusion.rowCount() == 3, timeout=WAIT)
    w.choose_preset("xo")
    assert "No training results for this network (xo)" in results.summary.text()
    assert results.confusion.rowCount() == 0


TRAINED = "shapes (trained on marks)"  # named after the network it started from and the folder


def test_a_folder_run_is_named_after_its_folder_and_keeps_it(
    qtbot, make_window, folder, tmp_path, monkeypatch
):
    w = make_window()
    w.persist = True  # the trained network is kept for next time, as in the app
    short_run(qtbot, w, folder)
    assert w.session.spec.name == TRAINED
    assert w.windowTitle() == f"convviz — {TRAINED}"
    assert w.status_line.model_label.text().startswith(f"Model: {TRAINED}")
    assert not any(a.isChecked() for a in w.preset_actions.values())  # not the shapes preset
    asked = {}

    def save_as(_parent, _title, name, _filters):
        asked["name"] = name
        return str(tmp_path / "out.safetensors"), ""

    monkeypatch.setattr("convviz.qt.window_files.QFileDialog.getSaveFileName", save_as)
    w.export_weights()
    assert asked["name"] == "shapes trained on marks.safetensors"
    matrix = [
        [int(w.services.training.results.confusion.item(i, j).text()) for j in range(3)]
        for i in range(3)
    ]
    # `convviz trace --json` on the exported file names it too
    pic = tmp_path / "blank.txt"
    pic.write_text("\n".join(" ".join(["-1"] * 28) for _ in range(28)))
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "convviz",
            "trace",
            "--weights",
            str(tmp_path / "out.safetensors"),
            str(pic),
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert json.loads(out)["model"] == TRAINED
    # the next start: the kept network, its name and its results, not "No training run yet"
    w.persist = False
    again = MainWindow(Session("shapes"), restore=False)
    qtbot.addWidget(again)
    again.persist = False
    again.show()
    again.start(background=False)
    qtbot.waitUntil(lambda: again.session.spec.name == TRAINED, timeout=WAIT)
    assert again.windowTitle() == f"convviz — {TRAINED}"
    results = again.services.training.results
    assert "Validation accuracy" in results.summary.text()
    assert [
        [int(results.confusion.item(i, j).text()) for j in range(3)] for i in range(3)
    ] == matrix
    # and its training timeline, to replay (issue 17)
    kept = w.session.timeline
    assert kept is not None and len(kept) > 2
    qtbot.waitUntil(lambda: again.session.timeline is not None, timeout=WAIT)
    assert [m.label for m in again.session.timeline.moments] == [m.label for m in kept.moments]


def test_a_preset_on_the_command_line_wins_over_a_kept_network(qapp, tmp_path, monkeypatch):
    import convviz.app as app_module
    from convviz.core.network import build
    from convviz.core.weights import save_model
    from convviz.qt import settings

    digits = preset("shapes").with_classes([str(i) for i in range(10)])
    kept = tmp_path / "kept.safetensors"
    save_model(build(type(digits)(**{**digits.__dict__, "name": "digits"})), kept)
    settings.app_settings().setValue(settings.WEIGHTS, str(kept))
    seen = []
    grab = MainWindow.grab

    def spy(window):
        seen.append((window.session.spec.name, len(window.session.spec.classes)))
        return grab(window)

    monkeypatch.setattr(MainWindow, "grab", spy)
    assert app_module.screenshot(str(tmp_path / "a.png"), preset="shapes") == 0
    assert seen[-1] == ("shapes", 6)
    assert settings.app_settings().value(settings.WEIGHTS) == str(kept)  # left alone
    assert app_module.screenshot(str(tmp_path / "b.png")) == 0  # none named: the kept one
    assert seen[-1] == ("digits", 10)
