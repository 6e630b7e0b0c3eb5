"""One declaration per concept on the Qt side: the window's size, remembered settings read
through settings.py, pyqtgraph configured once by the window (not by importing a panel)."""

import os
import subprocess
import sys

from convviz.app import _parse_size
from convviz.qt import settings


def test_the_window_and_a_screenshot_share_one_default_size():
    assert _parse_size(None) == settings.DEFAULT_WINDOW == (1600, 1000)


def test_a_remembered_one_item_list_comes_back_as_one_name():
    # a one-item list is written as `conv1`; read back by the next run it is the word "conv1"
    settings.remember(settings.SHOWN_LAYERS, "conv1")
    assert settings.remembered_list(settings.SHOWN_LAYERS) == ["conv1"]  # not c, o, n, v, 1
    settings.remember(settings.SHOWN_LAYERS, ["conv1", "pool1"])
    assert settings.remembered_list(settings.SHOWN_LAYERS) == ["conv1", "pool1"]
    settings.remember(settings.VOTE_MODE, "probabilities")
    assert settings.remembered(settings.VOTE_MODE, "raw") == "probabilities"


def test_a_hidden_layer_stays_hidden_in_the_next_window(qtbot, make_window):
    w = make_window()
    fm = w.panels["feature_maps"]
    name = next(iter(fm.layers))
    fm.show_layer(name, False)
    from convviz.qt.panels.feature_maps import FeatureMapsPanel

    again = FeatureMapsPanel()
    qtbot.addWidget(again)
    assert again.hidden == {name}


def test_importing_the_panels_that_plot_leaves_pyqtgraph_alone():
    code = (
        "import convviz.qt.panels.kernels, convviz.qt.panels.feature_maps, "
        "convviz.qt.training.panel, pyqtgraph as pg; "
        "print(pg.getConfigOption('imageAxisOrder'))"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert out.stdout.strip() == "col-major"  # pyqtgraph's own default: nobody configured it


def test_status_lines_go_through_one_place_with_named_durations(qtbot, make_window):
    from pathlib import Path

    from convviz.qt import main_window

    w = make_window()
    shown = []
    w.statusBar().showMessage = lambda text, ms: shown.append((text, ms))
    w.tell("Saved x.safetensors", note=True)
    w.tell("could not keep a copy")
    assert shown == [
        ("Saved x.safetensors", main_window.STATUS_NOTE_MS),
        ("could not keep a copy", main_window.STATUS_MESSAGE_MS),
    ]
    qt = Path(main_window.__file__).parent
    callers = [str(f.relative_to(qt)) for f in qt.rglob("*.py") if "showMessage(" in f.read_text()]
    assert callers == ["main_window.py"]


def test_the_train_dialogs_custom_network_comes_from_the_one_knobs_model():
    from convviz.core.knobs import knobs_from_spec
    from convviz.core.spec import Conv, Dense, Flatten, MaxPool, ReLU
    from convviz.qt.training import dialog_network

    spec = dialog_network.custom_spec(28, 2, 8, 5, 64, ("a", "b"))
    assert spec.layers == (
        Conv(8, 5, padding=2),
        ReLU(),
        MaxPool(2, 2),
        Conv(16, 5, padding=2),
        ReLU(),
        MaxPool(2, 2),
        Flatten(),
        Dense(64),
        ReLU(),
    )
    knobs = knobs_from_spec(spec)
    assert knobs.features == (8, 16) and knobs.fc_neurons == (64,)
    assert (
        not hasattr(dialog_network, "Knobs")
        or dialog_network.Knobs.__module__ == "convviz.core.knobs"
    )


def test_the_guide_and_the_tour_follow_the_one_outline_of_the_lesson():
    from convviz.qt.deck.help_text import GUIDE, guide_html
    from convviz.qt.deck.lesson import OUTLINE
    from convviz.qt.deck.tour_steps import STEPS

    assert [step.title for step in STEPS] == [title for _, title in OUTLINE]
    assert list(GUIDE) == [key for key, _ in OUTLINE]
    html = guide_html()
    places = [html.index(f"{i}. {title}") for i, (_, title) in enumerate(OUTLINE, 1)]
    assert places == sorted(places)


def test_one_colour_pipeline_values_to_indices_to_a_theme_lut():
    import numpy as np

    from convviz.core.mosaic import colour_indices
    from convviz.qt import theme
    from convviz.qt.widgets import cell_grid as sc

    assert sc._LUT is theme.DECK_CELLS_LUT  # the cells' palette lives in the theme
    v = np.array([[-2.0, -0.5, 0.0], [0.25, 1.0, 2.0]], np.float32)
    np.testing.assert_array_equal(
        sc.colour_indices(v, (-2.0, 2.0)), colour_indices(v, 2.0).reshape(v.shape)
    )
    assert sc.colour_indices(np.array([[np.nan]]), (-1.0, 1.0))[0, 0] == 128  # off the map


def test_type_sizes_set_by_hand_are_named_in_the_theme():
    import re
    from pathlib import Path

    from convviz.qt import theme

    qt = Path(theme.__file__).parent
    inline = [
        f"{f.relative_to(qt)}: {m.group(0)}"
        for f in qt.rglob("*.py")
        if f.name != "theme.py"
        for m in re.finditer(
            r"font-size: ?\d+|setPixelSize\(\d+\)|setPointSize\(\d+\)", f.read_text()
        )
    ]
    assert inline == []


def test_a_runs_signals_are_declared_once():
    from convviz.qt.training.controller import TrainingController
    from convviz.qt.training.worker import RunSignals, TrainingWorker

    names = ("started_on", "progress", "epoch_done", "snapshot", "paused", "finished", "failed")
    for name in names:
        assert name in vars(RunSignals)
        assert name not in vars(TrainingWorker) and name not in vars(TrainingController)
