"""The kernels panel at any size: titles never run into the tiles above them or off the panel."""

import pytest
from PySide6.QtWidgets import QApplication

from convviz.core.network import build
from convviz.core.presets import preset
from convviz.qt.panels.kernels import ALL_LAYERS, KernelsPanel


def scene_rect(item):
    return item.mapRectToScene(item.boundingRect())


@pytest.mark.parametrize("size", [(480, 420), (250, 650), (650, 250), (200, 160)])
def test_titles_fit_and_never_cover_tiles(qtbot, size):
    net = build(preset("shapes"), seed=0)
    panel = KernelsPanel()
    qtbot.addWidget(panel)
    panel.set_model(net.spec, net.snapshot())
    panel.layer_combo.setCurrentText(ALL_LAYERS)  # every layer's title at once
    panel.resize(*size)
    panel.show()
    qtbot.waitExposed(panel)
    QApplication.processEvents()
    view = panel.box.mapRectToScene(panel.box.boundingRect())
    entries = list(panel.layers.values())
    tiles = [scene_rect(e["image"]) for e in entries]
    assert all(t.height() > 0 for t in tiles)
    shown = [e["title"] for e in entries if e["title"].isVisible()]
    if size == (200, 160):  # too short for titles: the tiles get the room
        assert not shown
        return
    assert len(shown) == len(entries)
    for i, title in enumerate(shown):
        r = scene_rect(title)
        assert r.right() <= view.right() + 1  # the whole text is on the panel
        assert r.bottom() <= tiles[i].top() + 1  # above its own tiles
        if i:
            assert r.top() >= tiles[i - 1].bottom() - 1  # below the layer above
        assert title.toolTip().startswith(f"conv{i + 1}   ")  # the long form, always there


def test_titles_follow_the_weights_scale_and_keep_their_text_when_it_holds(qtbot):
    net = build(preset("shapes"), seed=0)
    panel = KernelsPanel()
    qtbot.addWidget(panel)
    panel.set_model(net.spec, net.snapshot())
    panel.resize(480, 420)
    panel.show()
    qtbot.waitExposed(panel)
    title = panel.layers["conv1"]["title"]
    snap = net.snapshot()
    bigger = snap.with_arrays({k: v * 3 for k, v in snap.items()})
    panel.show_weights(bigger)
    level = float(abs(bigger.weight("conv1")).max())
    assert f"±{level:.2g}" in title.toPlainText() and f"±{level:.2g}" in title.toolTip()
    texts = []
    set_text = title.setText
    title.setText = lambda text: (texts.append(text), set_text(text))
    same_scale = snap.with_arrays({k: v * 1.0001 for k, v in bigger.items()})  # rounded alike
    panel.show_weights(same_scale)
    assert texts == []  # the same words: the item is not laid out again
    panel.show_weights(net.snapshot())
    assert f"±{float(abs(net.snapshot().weight('conv1')).max()):.2g}" in title.toPlainText()


def test_the_same_layout_at_launch_and_after_a_preset_switch(qtbot):
    """At launch the 250 px dock showed conv1 and conv2 together, each ~100 px wide; after a
    switch to a colour preset and back, conv1 alone filled the width (its choice carried over,
    its picker hidden). A new network now always opens on its first layer, filling the width,
    with the picker there for the others."""
    shapes, tinyvgg = build(preset("shapes"), seed=0), build(preset("tinyvgg"), seed=0)
    panel = KernelsPanel()
    qtbot.addWidget(panel)
    panel.resize(250, 250)
    panel.show()
    qtbot.waitExposed(panel)

    def layout():
        QApplication.processEvents()
        shown = [n for n, e in panel.layers.items() if e["image"].isVisible()]
        return panel.layer_combo.currentText(), shown, scene_rect(panel.layers["conv1"]["image"])

    panel.set_model(shapes.spec, shapes.snapshot())
    at_launch = layout()
    panel.set_model(tinyvgg.spec, tinyvgg.snapshot())
    panel.set_model(shapes.spec, shapes.snapshot())
    assert layout() == at_launch
    assert at_launch[:2] == ("conv1", ["conv1"])
    view = panel.box.mapRectToScene(panel.box.boundingRect())
    assert at_launch[2].width() >= 0.8 * view.width()
    assert panel.layer_combo.isVisibleTo(panel)  # conv2 is a click away
    panel.layer_combo.setCurrentText("conv2")
    panel.apart_button.toggle()  # laid out again, same network: the choice stays
    panel.set_model(shapes.spec, shapes.snapshot())
    assert panel.layer_combo.currentText() == "conv2"
