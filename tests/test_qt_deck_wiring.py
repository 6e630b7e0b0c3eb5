"""The deck panels inside the app: in the View menu, fed by the person's drawing, rebuilt when
the Architecture panel applies a new network, and refusing impossible ones."""

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from test_qt_main_window import drag, window_with

from convviz.core.knobs import knobs_from_spec
from convviz.core.presets import preset
from convviz.core.spec import MaxPool
from convviz.qt.deck.architecture_wiring import EDITED

DECK = {
    "filtering": "Filtering",
    "pooling": "Pooling",
    "relu": "Activations",
    "architecture": "Architecture",
}


def test_deck_panels_are_docks_in_the_view_menu(make_window):
    w = make_window()
    titles = {a.text(): a for a in w.view_menu.actions()}
    for key, title in DECK.items():
        assert w.docks[key].windowTitle() == title and title in titles
        assert w.dockWidgetArea(w.docks[key]) == Qt.RightDockWidgetArea
        panel = w.panels[key]  # laid out for the network at once
        assert (panel.base if key == "architecture" else panel.spec) == w.session.spec
    # tabs behind the feature maps, which stay in front
    # (the training tools add their Backprop and Results tabs to the same group)
    assert set(w.tabifiedDockWidgets(w.docks["feature_maps"])) >= {w.docks[k] for k in DECK}
    assert not w.docks["feature_maps"].visibleRegion().isEmpty()
    titles["Pooling"].trigger()  # hide, and back
    assert not w.docks["pooling"].isVisible()
    titles["Pooling"].trigger()
    assert w.docks["pooling"].isVisible()


def test_a_mouse_stroke_reaches_the_deck_panels(qtbot, make_window):
    w, view = window_with(make_window)
    drag(qtbot, view, [(4, 4), (23, 23)])
    drag(qtbot, view, [(4, 23), (23, 4)])
    w.session.flush()
    picture = np.where(w.session.canvas.ink > 0, 1.0, -1.0).astype(np.float32)
    expected = w.session.model.trace(picture)  # the core's own reading of the same picture

    def look_at(key):  # a person brings the tab to the front; a hidden tab waits until then
        w.docks[key].raise_()
        qtbot.waitUntil(lambda: not w.docks[key].visibleRegion().isEmpty(), timeout=2000)
        QApplication.processEvents()

    look_at("pooling")
    pooling = w.panels["pooling"]
    pooling.select("pool2", 5)
    pooling.jump_to_end()
    np.testing.assert_allclose(
        pooling.output_grid.values, expected.layer("pool2").values[5], rtol=1e-5, atol=1e-6
    )
    look_at("filtering")
    filtering = w.panels["filtering"]
    filtering.select("conv1", 0, 3)
    filtering.jump_to_end()
    np.testing.assert_allclose(
        filtering.output_grid.values, expected.layer("conv1").values[3], rtol=1e-4, atol=1e-5
    )
    look_at("relu")
    _before, after = w.panels["relu"].before_after()
    np.testing.assert_allclose(after, expected.layer("relu1").values[0], rtol=1e-5, atol=1e-6)


def test_applying_a_new_architecture_rebuilds_every_panel(qtbot, make_window):
    w = make_window()
    arch = w.panels["architecture"]
    bundled = w.session.snapshot
    arch.blocks.setValue(3)
    arch.pool_window.setValue(3)
    assert arch.apply_button.isEnabled()
    want = arch.result.spec
    arch.apply_button.click()

    s = w.session
    assert s.spec == want and s.model.spec == want and s.source == EDITED
    # the layers whose shapes did not change kept their trained weights; the others are new
    assert w.statusBar().currentMessage() == (
        "Kept the weights of conv1, conv2, votes (same shapes); conv3, fc1 start untrained."
    )
    for name, same in [("conv1", True), ("conv2", True), ("votes", True), ("fc1", False)]:
        old = bundled.weight(name)
        new = s.snapshot.weight(name)
        assert (old.shape == new.shape and np.array_equal(old, new)) == same, name
    assert s.snapshot.weight("conv3").shape == (32, 16, 5, 5)
    assert s.canvas.size == want.input_size
    maps = ["input"] + [sh.name for sh in want.shapes() if len(sh.shape) == 3]  # input first
    assert list(w.panels["feature_maps"].layers) == maps
    pools = [
        w.panels["pooling"].layer_combo.itemData(i)
        for i in range(w.panels["pooling"].layer_combo.count())
    ]
    assert pools == ["pool1", "pool2", "pool3"]
    assert all(
        isinstance(want.layers[i], MaxPool) and want.layers[i].window == 3 for i in (2, 5, 8)
    )
    assert w.panels["filtering"].snapshot is s.snapshot  # the new weights, not the old ones
    assert "This is the current network" in arch.status.text()
    s.flush()
    assert s.trace is not None and [lt.name for lt in s.trace.layers] == [
        sh.name for sh in want.shapes()
    ]


def test_train_now_asks_the_window_or_says_where_to_look(qtbot, make_window):
    w = make_window()
    arch = w.panels["architecture"]
    arch.blocks.setValue(1)
    arch.apply_button.click()
    w.services.request_training = None  # as before the training tools were installed
    arch.train_button.click()
    assert "No training tools" in w.statusBar().currentMessage()
    asked = []
    w.services.request_training = asked.append  # what the training tools install
    arch.neurons.setText("32")
    arch.apply_button.click()
    arch.train_button.click()
    assert asked == [w.session.spec]


def test_a_refused_change_cannot_be_applied(qtbot, make_window):
    w = make_window()
    arch = w.panels["architecture"]
    before = w.session.model
    arch.stride.setValue(2)  # (28 - 5 + 4)/2 + 1 = 14.5: refused by the core
    assert not arch.apply_button.isEnabled() and "Not possible" in arch.status.text()
    arch.apply_button.click()
    arch.apply()
    assert w.session.model is before and w.session.spec == preset("shapes")
    assert arch.knobs() != knobs_from_spec(preset("shapes"))  # the knobs stay as turned


def test_a_network_with_more_classes_paints_before_its_first_trace(qtbot, make_window):
    """xo (2 classes) -> shapes (6): the vote bars once kept the old, shorter brush list and
    a paint before the new trace crashed the process (the tour's ending does exactly this)."""
    w = make_window()
    shapes_model = w.session.model
    w.choose_preset("xo")
    w.session.flush()
    qtbot.wait(100)  # the xo bars painted once
    w.session.set_model(shapes_model, source="shapes")
    assert w.session.trace is None
    qtbot.wait(100)  # paints come before the new trace's timer
    w.session.flush()
    assert len(w.panels["votes"].bar_values()) == 6


def test_a_hidden_tab_does_no_work_until_it_is_shown(qtbot, make_window, monkeypatch):
    w, view = window_with(make_window)
    w.docks["feature_maps"].raise_()  # pooling is a tab behind it
    qtbot.waitUntil(lambda: w.docks["pooling"].visibleRegion().isEmpty(), timeout=2000)
    seen = []
    monkeypatch.setattr(w.panels["pooling"], "show_trace", seen.append)
    for stroke in ([(4, 4), (23, 23)], [(4, 23), (23, 4)]):
        drag(qtbot, view, stroke)
        w.session.flush()
    assert seen == []  # drawing while the tab is hidden costs it nothing
    w.docks["pooling"].raise_()
    qtbot.waitUntil(lambda: len(seen) == 1, timeout=2000)
    assert seen[0] is w.session.trace  # and showing it brings only the newest reading
