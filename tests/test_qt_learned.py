"""Results you can click, and "What it learned", in the window: a confusion cell shows its
images and one of them opens on the canvas; after a run the panel shows each feature's top
images (with the patch it saw) and each class's surest and least sure; the picture a feature
would like best is made from a blank and put on the canvas."""

import numpy as np
import pytest
from PySide6.QtCore import Qt
from test_qt_train_menu import WAIT, fill_folder, through_dialog

from convviz.core.presets import preset
from convviz.core.receptive_field import receptive_field
from convviz.core.shapes_data import write_folder
from convviz.core.top_images import find_top_images
from convviz.qt.panels.learned.top_images import NO_IMAGES
from convviz.qt.training.confusion import per_class_accuracy
from convviz.qt.training.results import TrainingResults

CLASSES = ("O", "X", "plus")


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("shapes") / "marks"
    write_folder(root, per_class=12, seed=3, classes=CLASSES)
    return root


def _trained(qtbot, make_training_window, folder):
    w = make_training_window()
    tools = w.services.training
    with qtbot.waitSignal(tools.controller.finished, timeout=WAIT):
        through_dialog(
            qtbot, w, tools.folder_action, fill_folder(qtbot, folder, epochs=2, batch=6, val=40)
        )
    qtbot.waitUntil(lambda: w.session.spec.classes == CLASSES, timeout=WAIT)
    return w, tools.controller.outcome


def _click(qtbot, view, rect):
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def _canvas_shows(w, image):
    return np.allclose(w.session.canvas.as_input(), image[0], atol=1e-5)


def test_a_confusion_cell_shows_its_images_and_one_opens_on_the_canvas(
    qtbot, make_training_window, folder
):
    w, outcome = _trained(qtbot, make_training_window, folder)
    results = w.services.training.results
    r = outcome.result
    truth = outcome.job.y[r.val_indices]
    table = results.confusion
    w.services.training.show_dock("results")
    # each class's accuracy beside the matrix
    assert table.columnCount() == 4 and table.horizontalHeaderItem(3).text() == "right"
    for i in range(3):
        right = int(table.item(i, i).text()) / sum(int(table.item(i, j).text()) for j in range(3))
        assert table.item(i, 3).text() == f"{right:.0%}"
    # a cell with images: the biggest off the diagonal if any, else the first diagonal one
    off = [(int(table.item(i, j).text()), i, j) for i in range(3) for j in range(3) if i != j]
    count, i, j = max(off) if max(off)[0] else (int(table.item(0, 0).text()), 0, 0)
    _click(qtbot, table, table.visualItemRect(table.item(i, j)))
    gallery = results.gallery
    assert gallery.count() == count and results.all_mistakes.isVisible()
    shown = [gallery.item(k).data(Qt.ItemDataRole.UserRole) for k in range(count)]
    want = [
        int(v)
        for v, t, s in zip(r.val_indices, truth, r.val_predicted, strict=True)
        if t == i and s == j
    ]
    assert shown == want
    # one of its images onto the canvas: every panel now reads it
    index = shown[-1]
    with qtbot.waitSignal(w.session.trace_changed, timeout=WAIT):
        _click(qtbot, gallery, gallery.visualItemRect(gallery.item(count - 1)))
    assert _canvas_shows(w, outcome.job.X[index])
    assert np.allclose(w.session.trace.input, outcome.job.X[index], atol=1e-5)
    assert "On the canvas" in w.statusBar().currentMessage()
    # back to every mistake
    results.all_mistakes.click()
    wrong = int((truth != r.val_predicted).sum())
    assert gallery.count() == wrong and not results.all_mistakes.isVisible()

    # What it learned: the run's images, searched once the trained network is in use
    panel = w.panels["learned"]
    qtbot.waitUntil(lambda: panel.top is not None, timeout=WAIT)
    model = outcome.model
    expect = find_top_images(model, outcome.job.X, outcome.job.y)
    panel.choose(3, 2)  # conv2, feature 3
    tops = expect.layers[3]
    got = [panel.most.item(k).data(Qt.ItemDataRole.UserRole) for k in range(panel.most.count())]
    assert got == list(tops.indices[2]) and not panel.least.isVisible()
    size = receptive_field(model.spec, 3).rows.size
    assert f"{size}x{size} patch" in panel.most_title.text()
    _click(qtbot, panel.most, panel.most.visualItemRect(panel.most.item(0)))
    assert _canvas_shows(w, outcome.job.X[got[0]])
    panel.choose(None, 1)  # the class X: its surest and least sure images
    assert panel.least.isVisible() and "'X'" in panel.least_title.text()
    got = [panel.least.item(k).data(Qt.ItemDataRole.UserRole) for k in range(panel.least.count())]
    assert got == [i for i in expect.classes.least[1] if i >= 0]
    assert all(outcome.job.y[i] == 1 for i in got)
    # another network: the run's images no longer describe it
    w.choose_preset("xo")
    qtbot.waitUntil(lambda: w.session.spec.name == "xo", timeout=WAIT)
    assert panel.top is None and panel.most.count() == 0 and panel.status.text() == NO_IMAGES


def test_the_picture_a_feature_would_like_best_next_to_its_kernel(qtbot, make_window):
    w = make_window("shapes")
    panel = w.panels["learned"]
    assert panel.status.text() == NO_IMAGES and panel.most.count() == 0
    w.docks["learned"].raise_()  # its tab to the front: the panel now gets the weights
    qtbot.waitUntil(lambda: panel.snapshot is not None, timeout=WAIT)
    panel.choose(0, 3)
    assert panel.kernel.rgb.shape == (5, 5, 3) and "5x5" in panel.kernel_caption.text()
    panel.choose(3, 5)
    assert "mean of its 8 input maps" in panel.kernel_caption.text()
    assert not panel.draw_button.isEnabled()
    panel.make_button.click()  # the window's jobs run in place in tests
    w.session.jobs.wait()
    assert "mean activation" in panel.picture_caption.text()
    lo, hi = w.session.spec.value_range
    assert panel.picture_image.min() >= lo and panel.picture_image.max() <= hi
    panel.draw_button.click()
    assert _canvas_shows(w, panel.picture_image)
    panel.choose(None, 0)  # a class: no kernel, its vote raised
    assert "no kernel" in panel.kernel_caption.text() and panel.picture_image is None
    panel.make_button.click()
    w.session.jobs.wait()
    assert "vote" in panel.picture_caption.text()


def test_per_class_accuracy_is_the_share_of_each_class_called_right():
    assert np.allclose(per_class_accuracy(np.array([[3, 1], [0, 0]]))[:1], [0.75])
    assert np.isnan(per_class_accuracy(np.array([[3, 1], [0, 0]]))[1])


def test_a_cell_of_saved_results_says_its_images_are_not_kept(qtbot):
    results = TrainingResults()
    qtbot.addWidget(results)
    spec = preset("shapes").with_classes(["a", "b"])
    results.show_saved(
        {"val_accuracy": 0.5, "val_images": 4, "val_wrong": 2, "confusion": [[1, 1], [1, 1]]}, spec
    )
    assert results.confusion.item(0, 2).text() == "50%"
    results.confusion.cellClicked.emit(0, 1)
    assert "only in the session that trained it" in results.gallery_title.text()
    assert results.gallery.count() == 0


def test_stop_keeps_the_best_picture_so_far(qtbot, make_window):
    w = make_window("shapes")
    panel = w.panels["learned"]
    w.session.jobs.inline = False  # a real background job, as in the app
    panel.choose(3, 5)
    panel.make_button.click()
    assert panel.stop_button.isEnabled() and not panel.make_button.isEnabled()
    panel.stop_button.click()
    w.session.jobs.wait()
    assert "(stopped)" in panel.picture_caption.text() and panel.picture_image is not None
    assert panel.make_button.isEnabled() and not panel.stop_button.isEnabled()


def test_a_confusion_of_many_classes_shows_its_images_too(qtbot):
    from test_qt_scale import _outcome

    classes = [f"class {k}" for k in range(100)]  # above the table's limit: the overview
    outcome = _outcome(classes, 2_000)
    results = TrainingResults()
    qtbot.addWidget(results)
    results.show_outcome(outcome)
    assert results.matrix.currentWidget() is results.overview
    t, p = results.overview.pairs[0]  # the most common confusion
    results.overview.top.cellClicked.emit(0, 1)
    y, said = outcome.job.y, outcome.result.val_predicted
    want = [int(i) for i in np.flatnonzero((y == t) & (said == p))]
    got = [
        results.gallery.item(k).data(Qt.ItemDataRole.UserRole)
        for k in range(results.gallery.count())
    ]
    assert got == want and str(len(want)) == results.overview.top.item(0, 2).text()
    chosen = []
    results.image_chosen.connect(lambda image, caption: chosen.append((image, caption)))
    results.gallery.itemClicked.emit(results.gallery.item(0))
    assert chosen[0][0].shape == (1, 28, 28) and f"is class {t}, said class {p}" in chosen[0][1]


def test_saved_results_read_right_whatever_the_networks_name(qtbot):
    results = TrainingResults()
    qtbot.addWidget(results)
    spec = preset("shapes").with_classes(["a", "b"])
    results.show_saved({"val_accuracy": 0.5, "val_images": 4, "val_wrong": 2}, spec)
    text = results.summary.text()
    assert "at the end of this network's training" in text and "when" not in text


def test_a_plain_best_picture_says_why_it_is_plain(qtbot, make_window):
    import torch

    w = make_window("shapes")
    panel = w.panels["learned"]
    with torch.no_grad():  # a first-layer feature that only adds: all bright suits it best
        w.session.model.layers[0].weight[0].fill_(0.5)
    panel.choose(0, 0)
    panel.make_button.click()
    w.session.jobs.wait()
    caption = panel.picture_caption.text()
    assert caption.startswith("Plain white, no pattern") and "mostly positive" in caption
    assert "what it looks for. Mean activation" in caption
    panel.choose(0, 1)  # a trained feature: a picture with a pattern, said as before
    panel.make_button.click()
    w.session.jobs.wait()
    assert panel.picture_caption.text().startswith("The picture it would like best")
