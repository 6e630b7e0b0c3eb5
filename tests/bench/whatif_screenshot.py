"""The README's what-if picture: `convviz --screenshot`'s window, with two edits made by the
clicks a person would make (a map switched off in the feature maps' Switch off mode, the
strongest neuron switched off from its "why" bar), so the votes show their ghosts.

    python3 tests/bench/whatif_screenshot.py OUT.png
"""

from __future__ import annotations

import sys
import time

from benchlib import ROOT  # noqa: F401 - sets up the path, Qt offscreen and separate settings

import convviz.app as app
from convviz.qt.main_window import MainWindow

_grab = MainWindow.grab


def _edited_grab(self, *args):
    from PySide6.QtWidgets import QApplication

    self.session.flush()
    maps, votes = self.panels["feature_maps"], self.panels["votes"]
    maps.off_button.setChecked(True)
    maps.view.clicked.emit("relu2", 1)  # conv2's map 2 switched off
    votes.input_clicked.emit(int(votes.contributions[0][0]))  # the strongest neuron for it
    for _ in range(30):  # let every panel repaint
        QApplication.processEvents()
        time.sleep(0.01)
    return _grab(self, *args)


if __name__ == "__main__":
    MainWindow.grab = _edited_grab  # the edits happen just before the picture is taken
    sys.exit(app.screenshot(sys.argv[1], preset="shapes", panel="feature_maps"))
