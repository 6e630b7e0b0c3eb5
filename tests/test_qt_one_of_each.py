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
    code = ("import convviz.qt.panels.kernels, convviz.qt.panels.feature_maps, "
            "convviz.qt.training.panel, pyqtgraph as pg; "
            "print(pg.getConfigOption('imageAxisOrder'))")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=env)
    assert out.stdout.strip() == "col-major"  # pyqtgraph's own default: nobody configured it
