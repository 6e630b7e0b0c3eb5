"""What every benchmark here shares: the repository on the import path, Qt offscreen, settings
kept away from the person's own, and percentiles. Import it before convviz or Qt."""

import os
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("CONVVIZ_SETTINGS_ORG", "convviz-bench")
os.environ.setdefault("CONVVIZ_SETTINGS_DIR", tempfile.mkdtemp(prefix="convviz-bench-"))


def pct(values, q):
    """The q-th percentile (nearest rank) of values."""
    s = sorted(values)
    return s[min(len(s) - 1, round(q / 100 * (len(s) - 1)))]


def open_window():
    """(app, window): the app's main window on the shapes network at its default size, shown,
    panels built and the network loaded in place; closing it leaves the settings alone."""
    from convviz.app import _application
    from convviz.qt.main_window import MainWindow
    from convviz.qt.session import Session
    from convviz.qt.settings import DEFAULT_WINDOW

    app = _application()
    window = MainWindow(Session("shapes"), restore=False)
    window.persist = False
    window.resize(*DEFAULT_WINDOW)
    window.show()
    window.start(background=False)
    return app, window
