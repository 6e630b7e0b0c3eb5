import os
import tempfile

import pytest

# Before any QApplication exists: tests run without a display.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("CONVVIZ_SETTINGS_ORG", "convviz-tests")
# Never touch the person's own saved layout or last-trained network; tests that look at
# settings point this at their own folder.
os.environ.setdefault("CONVVIZ_SETTINGS_DIR", tempfile.mkdtemp(prefix="convviz-tests-"))


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path, monkeypatch):
    """Every test gets its own settings folder (layout, preset, last-trained network)."""
    monkeypatch.setenv("CONVVIZ_SETTINGS_DIR", str(tmp_path / "settings"))


@pytest.fixture
def make_window(qtbot):
    """make(name="shapes", restore=True) -> a shown MainWindow with its network loaded in
    place; closing it at the end of the test leaves the saved settings alone."""
    from convviz.qt.main_window import MainWindow  # Qt only for the tests that ask for it
    from convviz.qt.session import Session

    made = []

    def make(name="shapes", restore=True):
        w = MainWindow(Session(name), restore=restore)
        qtbot.addWidget(w)
        # a trained network replaced without export: never a modal question that would hang
        # the test (tests of that question answer it themselves)
        w.ask_unexported = lambda _trained, _copy: "discard"
        w.resize(1500, 950)
        w.show()
        w.start(background=False)
        made.append(w)
        return w

    yield make
    for w in made:
        w.persist = False


@pytest.fixture
def make_training_window(make_window):
    """make() -> a shapes window made safe for training runs: pytest-qt closes the window after
    each test, maybe mid-run, so it never asks a modal question, and every run is stopped and
    waited for at the end (a running thread destroyed aborts the process)."""
    made = []

    def make():
        w = make_window("shapes", restore=False)
        w.services.training.ask_keep = lambda: "discard"
        made.append(w)
        return w

    yield make
    for w in made:
        w.services.training.controller.stop_and_wait()
