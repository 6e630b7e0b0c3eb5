"""The feature maps panel on its own: every map shows the core's trace, on a colour scale that is
each layer's own (default) or shared by all layers, with zero the neutral middle colour."""

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtWidgets import QApplication

from convviz.core.bundled import preset_model
from convviz.core.map_rows import INPUT
from convviz.core.mosaic import colour_indices, nice_level
from convviz.core.numbers import deck_number
from convviz.qt.panels.feature_maps import PER_LAYER, SHARED, FeatureMapsPanel
from convviz.qt.widgets.mosaic_view import TABLE


def triangle(n: int) -> np.ndarray:
    ink = np.full((n, n), 0.0, np.float32)
    for r in range(4, n - 4):
        half = (r - 4) // 2
        ink[r, n // 2 - half] = ink[r, n // 2 + half] = 1.0
    ink[n - 5, 4 : n - 4] = 1.0
    return ink


def make_panel(qtbot, name="shapes"):
    net = preset_model(name)  # the bundled trained weights: late layers reach +-20
    panel = FeatureMapsPanel()
    qtbot.addWidget(panel)
    panel.resize(600, 800)
    panel.set_model(net.spec, net.snapshot())
    lo, hi = net.spec.value_range
    trace = net.trace(lo + (hi - lo) * triangle(net.spec.input_size))
    return panel, net, trace


def shown_layers(panel):
    """The network's layers shown (the input row aside: it has its own colours)."""
    return [n for n in panel.visible_layers() if n != INPUT]


def shown_levels(panel):
    return {name: panel.layers[name].level for name in shown_layers(panel)}


def check_values(panel, trace):
    """Every map is drawn, in its place in the layer's picture, with the colours of the core's
    values on the layer's symmetric scale: a value v gets LUT entry 128 + 128 v / level (so 0 is
    the neutral middle colour), as pyqtgraph's levels (-level, level) would give."""
    for name in shown_layers(panel):
        values = trace.layer(name).values
        level = panel.layers[name].level
        for i in range(values.shape[0]):
            np.testing.assert_allclose(panel.map_values(name, i), values[i], rtol=1e-6)
            want = TABLE[colour_indices(values[i], level)].reshape(values[i].shape)
            np.testing.assert_array_equal(panel.map_pixels(name, i), want)


@pytest.mark.parametrize("name", ["shapes", "lenet5"])
def test_per_layer_scale_is_the_default_and_fits_each_layer(qtbot, name):
    panel, _net, trace = make_panel(qtbot, name)
    assert panel.colour_scale == PER_LAYER
    panel.show_trace(trace)
    check_values(panel, trace)
    levels = shown_levels(panel)
    for layer, level in levels.items():
        peak = float(np.abs(trace.layer(layer).values).max())
        assert level == nice_level(peak) and level >= peak
        assert f"scale ±{level:.2g}" in panel.layers[layer].title
    # the point of it: early layers are not drowned by the late ones' large values
    assert levels["conv1"] < max(levels.values())


def test_shared_scale_puts_every_layer_on_one_scale_and_is_remembered(qtbot):
    panel, _net, trace = make_panel(qtbot)
    panel.set_colour_scale(SHARED)
    panel.show_trace(trace)
    check_values(panel, trace)
    peak = max(float(np.abs(trace.layer(n).values).max()) for n in shown_layers(panel))
    for layer, level in shown_levels(panel).items():
        assert level == panel.level == nice_level(peak)
        assert "scale ±" not in panel.layers[layer].title
    top, zero, bottom = (t for _, t in panel.view.legend_ticks[::2])  # the legend in values
    assert (top, zero, bottom) == (f"+{panel.level:g}", "0", f"−{panel.level:g}")
    again, _, _ = make_panel(qtbot)  # a new panel (the next run) starts on the same choice
    assert again.colour_scale == SHARED and again.scale_actions[SHARED].isChecked()
    again.set_colour_scale(PER_LAYER)
    again.show_trace(trace)
    assert shown_levels(again)["conv1"] == nice_level(np.abs(trace.layer("conv1").values).max())
    with pytest.raises(ValueError, match="colour scale"):
        again.set_colour_scale("rainbow")


@pytest.mark.parametrize("mode", [PER_LAYER, SHARED])
def test_enlarged_map_uses_its_layers_scale(qtbot, mode):
    panel, _net, trace = make_panel(qtbot)
    panel.set_colour_scale(mode)
    panel.show_trace(trace)
    for layer in ("conv1", "relu2"):
        panel.select_map(layer, 1)
        level = panel.layers[layer].level
        assert panel.detail_image.levels == pytest.approx((-level, level))
        np.testing.assert_array_equal(panel.detail_image.image, trace.layer(layer).values[1])


def test_deck_maps_in_minus_one_to_one_look_alike_either_way(qtbot):
    panel, _net, trace = make_panel(qtbot, "xo")
    for mode in (PER_LAYER, SHARED):
        panel.set_colour_scale(mode)
        panel.show_trace(trace)
        check_values(panel, trace)
        assert shown_levels(panel)["conv1"] == 1.0  # the deck's values never pass +-1


def test_zero_is_the_neutral_colour_and_the_ends_are_the_extremes():
    level = 5.0
    q = colour_indices(np.array([-9.0, -5.0, 0.0, 5.0, 9.0], np.float32), level)
    assert list(q) == [0, 0, 128, 255, 255]


def test_hover_reads_and_click_enlarges_the_map_under_the_mouse(qtbot):
    panel, _net, trace = make_panel(qtbot)
    panel.show()
    panel.show_trace(trace)
    qtbot.waitExposed(panel)
    layer = panel.layers["pool1"]
    px = layer.rect.width() / layer.layout.shape[1]  # widget pixels per map pixel
    r0, c0 = layer.layout.origin(2)
    pos = QPoint(int(layer.rect.left() + (c0 + 4.5) * px), int(layer.rect.top() + (r0 + 3.5) * px))
    assert panel.view.locate(QPointF(pos)) == ("pool1", 2, 3, 4)
    qtbot.mouseMove(panel.view, pos)
    assert f"=  {deck_number(trace.layer('pool1').values[2, 3, 4])}" in panel.readout.text()
    qtbot.mouseClick(panel.view, Qt.LeftButton, pos=pos)
    assert panel.selected == ("pool1", 2) and panel.detail_view.isVisible()
    gap = QPointF(layer.rect.left() + (c0 - 0.5) * px, layer.rect.top() + (r0 + 3.5) * px)
    assert panel.view.locate(gap) is None  # the gap between two maps


def test_hiding_a_layer_gives_the_others_its_room(qtbot):
    panel, _net, trace = make_panel(qtbot)
    panel.resize(1000, 500)  # a wide, low dock: the height limits the maps' size
    panel.show()
    panel.show_trace(trace)
    before = panel.layers["conv1"].rect.width()
    assert panel.view.scrolls  # too low for all of them at a readable size
    for name in (INPUT, "relu1", "conv2", "relu2", "pool2"):
        panel.show_layer(name, False)
    assert panel.visible_layers() == ["conv1", "pool1"]
    assert panel.layers["conv1"].rect.width() > before and not panel.view.scrolls


def test_many_thousand_repaints_and_mouse_moves(qtbot):
    """PySide6 6.12 leaked on overridden paint/mouse calls and aborted after a few thousand."""
    panel, _net, trace = make_panel(qtbot)
    panel.show()
    panel.show_trace(trace)
    layer = panel.layers["conv1"]
    for i in range(3000):
        if i % 5 == 0:
            panel.show_trace(trace)
        panel.view.repaint()
        if i % 10 == 0:
            x = int(layer.rect.left() + (i % 97) / 97 * layer.rect.width())
            qtbot.mouseMove(panel.view, QPoint(x, int(layer.rect.center().y())))
    assert panel.view.isVisible()


@pytest.mark.parametrize("name", ["shapes", "lenet5"])
def test_hovering_keeps_the_maps_still_and_off_mode_says_what_a_click_does(qtbot, name):
    """In a 380 px dock the two-line hint became a one-line read-out on hover: the maps moved
    18 px up under the pointer and the click landed on another map. The read-out keeps one
    height; in "Switch off" mode the hint and the read-out say a click switches a map off."""
    from convviz.qt import theme
    from convviz.qt.panels.feature_maps import OFF_READOUT, READOUT

    panel, _net, trace = make_panel(qtbot, name)
    panel.setStyleSheet(f"font-size: {theme.BASE_POINT_SIZE}pt;")  # the app's size of words
    panel.resize(380, 636)
    panel.show()
    panel.show_trace(trace)
    qtbot.waitExposed(panel)
    QApplication.processEvents()
    assert panel.readout.text() == READOUT
    assert panel.readout.height() >= panel.readout.height_for(READOUT, panel.readout.width())
    for off in (False, True):
        panel.off_button.setChecked(off)
        QApplication.processEvents()
        top = panel.view.mapTo(panel, QPoint(0, 0)).y()
        for layer_name in list(panel.visible_layers())[:3]:
            layer = panel.layers[layer_name]
            px = layer.rect.width() / layer.layout.shape[1]
            h, w = layer.layout.h, layer.layout.w  # the middle of its first map
            pos = QPoint(int(layer.rect.left() + w / 2 * px), int(layer.rect.top() + h / 2 * px))
            hit = panel.view.locate(QPointF(pos))
            assert hit is not None and hit[0] == layer_name, (layer_name, pos, layer.rect)
            qtbot.mouseMove(panel.view, pos + QPoint(1, 1))  # (the first move may enter only)
            qtbot.mouseMove(panel.view, pos)
            QApplication.processEvents()
            assert panel.readout.text().startswith(f"{layer_name}  ·")  # the values are read
            assert panel.view.mapTo(panel, QPoint(0, 0)).y() == top  # the maps did not move
            assert panel.view.locate(QPointF(pos)) == hit  # the click lands where it pointed
            if off and hit[0] != INPUT:
                assert "switches it off" in panel.readout.text(), (layer_name, hit)
    panel.off_button.setChecked(False)  # the pointer gone: the hint for the mode
    assert panel.readout.text() == READOUT
    panel.off_button.setChecked(True)
    assert panel.readout.text() == OFF_READOUT and "enlarge" not in OFF_READOUT
