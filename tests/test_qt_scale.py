"""The window with many classes and with very long class names: what is shown stays readable,
and nothing is built with one widget or cell per pair of classes.

(10,000 classes made a confusion table of 10^8 cells: std::bad_alloc aborted the window; class
names of 100,000 characters took 12 s to open in the votes panel, 1,000,000 never finished.)
"""

import numpy as np
import pytest
from PySide6.QtGui import QFontMetricsF
from PySide6.QtWidgets import QApplication, QWidget

from convviz.core.limits import (
    MATRIX_IMAGE_MAX_PX,
    MATRIX_TABLE_MAX_CLASSES,
    MAX_CLASS_NAME_CHARS,
    NAME_SHOWN_CHARS,
    TOP_CONFUSIONS,
    VOTES_MAX_BARS,
)
from convviz.core.network import build
from convviz.core.presets import preset
from convviz.core.training import EpochReport, TrainConfig, TrainResult
from convviz.qt import theme
from convviz.qt.panels.votes.panel import VotesPanel
from convviz.qt.training.results import TrainingResults
from convviz.qt.training.worker import TrainJob, TrainOutcome
from convviz.qt.widgets.bar_chart import PAD, SMALLEST_TEXT_PX

MANY = 10_000
# characters in a name: the longest a network description allows (longer ones are refused
# before any window sees them: tests/hostile/test_specs.py)
LONG = MAX_CLASS_NAME_CHARS


def _spec(classes):
    return preset("shapes").with_classes(classes)


def _outcome(classes, images: int, wrong_every: int = 7) -> TrainOutcome:
    """A finished run's outcome on `images` validation images (no training: what the results
    panel is given is what matters)."""
    n = len(classes)
    model = build(_spec(classes), seed=0)
    rng = np.random.default_rng(0)
    y = rng.integers(0, n, images)
    said = y.copy()
    said[::wrong_every] = (y[::wrong_every] + 1) % n  # each 7th image called the next class
    said[:40] = 3 % n  # and 40 more all called class 3: the most common confusion
    X = np.zeros((images, 1, 28, 28), np.float32)
    result = TrainResult(
        epochs=[EpochReport(1, 1.0, 1.0, 0.5)],
        val_accuracy=float((said == y).mean()),
        confusion=None,
        val_indices=np.arange(images),
        val_predicted=said,
        device="CPU",
    )
    job = TrainJob(model, X, y, TrainConfig(epochs=1), source="folder")
    return TrainOutcome(job, result, model.snapshot())


def test_results_for_ten_thousand_classes_are_a_picture_and_the_top_confusions(qtbot):
    classes = [f"class {k}" for k in range(MANY)]
    outcome = _outcome(classes, 20_000)
    results = TrainingResults()
    qtbot.addWidget(results)
    results.resize(700, 800)
    results.show()
    results.show_outcome(outcome)
    QApplication.processEvents()
    assert results.matrix.currentWidget() is results.overview
    table = results.confusion
    assert table.rowCount() * table.columnCount() == 0  # not a cell per pair
    overview = results.overview
    assert overview.image.width() == overview.image.height() == MATRIX_IMAGE_MAX_PX
    assert not overview.picture.pixmap().isNull()
    top = overview.top
    assert top.rowCount() == TOP_CONFUSIONS
    # the most common confusion first: 40 images of various classes called class 3 are spread
    # over 40 pairs, the planted "next class" mistakes likewise; each pair's count is right
    counts = [int(top.item(r, 2).text()) for r in range(top.rowCount())]
    assert counts == sorted(counts, reverse=True)
    y, said = outcome.job.y, outcome.result.val_predicted
    t, s = classes.index(top.item(0, 0).text()), classes.index(top.item(0, 1).text())
    assert counts[0] == int(((y == t) & (said == s)).sum())
    assert "10,000 classes" in overview.caption.text()
    assert len(results.findChildren(QWidget)) < 200  # a bounded number of widgets
    assert results.gallery.count() <= 300


def test_a_few_classes_still_get_the_full_table(qtbot):
    classes = ["a", "b", "c"]
    results = TrainingResults()
    qtbot.addWidget(results)
    outcome = _outcome(classes, 60)
    results.show_outcome(outcome)
    assert results.matrix.currentWidget() is results.confusion
    assert results.confusion.rowCount() == results.confusion.columnCount() - 1 == 3  # + "right"
    y, said = outcome.job.y, outcome.result.val_predicted
    assert int(results.confusion.item(0, 2).text()) == int(((y == 0) & (said == 2)).sum())
    assert MATRIX_TABLE_MAX_CLASSES >= 10  # the 10-class folders of the classroom: a table


def _votes_panel(qtbot, classes):
    net = build(_spec(classes), seed=0)
    panel = VotesPanel()
    panel.setStyleSheet(theme.STYLE_SHEET)
    qtbot.addWidget(panel)
    panel.resize(400, 700)
    panel.show()
    panel.set_model(net.spec, net.snapshot())
    trace = net.trace(np.zeros((28, 28), np.float32))
    panel.show_trace(trace)
    QApplication.processEvents()
    return panel, trace


def test_votes_of_ten_thousand_classes_show_the_strongest_few(qtbot):
    classes = [f"class {k}" for k in range(MANY)]
    panel, trace = _votes_panel(qtbot, classes)
    bars = panel.view.bars
    assert len(bars.values) == VOTES_MAX_BARS
    strongest = np.argsort(-trace.votes, kind="stable")[:VOTES_MAX_BARS]
    assert bars.labels == [classes[k] for k in strongest]
    assert bars.labels[0] == classes[trace.winner] and "winner" in bars.texts[0]
    assert f"the strongest {VOTES_MAX_BARS} of 10,000 classes" == bars.note
    assert panel.view.shows_words()


def test_the_longest_names_allowed_are_cut_before_they_are_measured(qtbot):
    classes = [f"{k}" + "long name " * (LONG // 10) for k in range(6)]
    panel, trace = _votes_panel(qtbot, classes)
    panel.resize(300, 700)  # a resize measures the headline again
    QApplication.processEvents()
    win = trace.winner
    for label in panel.view.bars.labels:
        assert len(label) == NAME_SHOWN_CHARS and label.endswith("…")
    assert panel.view.bars.tooltips[win].startswith(classes[win][:1000])
    assert len(panel.verdict.text()) < NAME_SHOWN_CHARS + 40
    assert panel.verdict.toolTip().startswith(classes[win][:1000])
    assert len(panel.why_label.text()) < NAME_SHOWN_CHARS + 300
    # the results table of such names: headers cut, the whole name on hover
    results = TrainingResults()
    qtbot.addWidget(results)
    results.show_outcome(_outcome(classes, 60))
    header = results.confusion.horizontalHeaderItem(0)
    assert len(header.text()) <= NAME_SHOWN_CHARS  # then cut to its column (_fit_names)
    assert classes[0].startswith(header.text().rstrip(".…"))
    assert header.toolTip() == classes[0]  # short enough to be shown whole on hover
    for k in range(results.gallery.count()):
        assert len(results.gallery.item(k).text()) < 2 * NAME_SHOWN_CHARS + 20


@pytest.mark.parametrize("size", [(1600, 1000), (1024, 768)])
def test_ten_class_votes_keep_names_and_values_at_the_windows_size(qtbot, make_window, size):
    """Issue 19: after training on a 10-class folder the bars lost their class names and values
    until the dock was made taller. Each row keeps a line of text at the default size and on a
    projector's 1024x768, with the training dock open beside it."""
    w = make_window()
    w.resize(*size)
    spec = _spec([f"digit {k}" for k in range(10)])
    w.session.set_model(build(spec, seed=0), "folder")
    w.docks["training"].setVisible(True)
    for _ in range(5):
        QApplication.processEvents()
    panel = w.findChildren(VotesPanel)[0]
    view = panel.view
    assert len(view.bars.values) == 10 and view.bars.labels[0] == "digit 0"
    line = QFontMetricsF(view.font()).height()
    row = (view.height() - 2 * PAD) / 10
    # every label and value written, at three quarters of a line or more (bar_chart.paintEvent
    # writes full-size words from 0.9 of a line, smaller ones down to SMALLEST_TEXT_PX)
    assert row >= max(SMALLEST_TEXT_PX, 0.75 * line), (row, line)


def test_a_bad_frame_from_the_trainer_ends_the_run_and_the_next_run_trains(qtbot, monkeypatch):
    """The window's side of the trainer's pipe: a message of no known kind ends the run with
    one line (the `failed` signal), and the controller trains again at once."""
    import threading

    from test_train_process import _FakeTrainer  # (pytest puts tests/ on the path)

    from convviz.core import train_process
    from convviz.core.shapes_data import make_arrays
    from convviz.qt.training.controller import TrainingController

    spec = preset("shapes")
    X, y = make_arrays(spec.classes, 4, spec.input_size, seed=1, value_range=spec.value_range)
    model = build(spec, seed=0)
    fake = _FakeTrainer(model, len(y))
    fake.submit = lambda *a: threading.Thread(
        target=fake.trainer_end.send, args=(("dance", 1),)
    ).start()
    monkeypatch.setattr(train_process, "acquire", lambda: fake)
    controller = TrainingController(own_process=True)
    failures = []
    controller.failed.connect(failures.append)
    with qtbot.waitSignal(controller.finished, timeout=30_000):
        controller.start(TrainJob(model, X, y, TrainConfig(epochs=1, device="cpu")))
    assert len(failures) == 1 and "trainer's pipe" in failures[0] and "\n" not in failures[0]
    assert fake.process.killed and not controller.is_running()
    controller.own_process = False  # the next run (here in a thread) trains as usual
    with qtbot.waitSignal(controller.finished, timeout=60_000) as ending:
        controller.start(TrainJob(build(spec, seed=0), X, y, TrainConfig(epochs=1, device="cpu")))
    assert ending.args[0].status == "done"
    controller.wait()
    # a bad frame where the trainer should say it is ready: the same one line, nothing waits
    fake = _FakeTrainer(model, len(y))
    fake.ready = False
    fake.trainer_end.send_bytes(b"x" * 100)
    monkeypatch.setattr(train_process, "acquire", lambda: fake)
    controller.own_process = True
    failures.clear()
    with qtbot.waitSignal(controller.finished, timeout=30_000):
        controller.start(TrainJob(model, X, y, TrainConfig(epochs=1, device="cpu")))
    assert len(failures) == 1 and "trainer's pipe" in failures[0]
    assert not train_process.POOL.unusable
    controller.wait()
