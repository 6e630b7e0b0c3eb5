"""The feature maps panel on its own: every map shows the core's trace, on a colour scale that is
each layer's own (default) or shared by all layers, with zero the neutral middle colour."""

import numpy as np
import pytest

from convviz.core.bundled import preset_model
from convviz.qt.feature_maps_panel import PER_LAYER, SHARED, FeatureMapsPanel
from convviz.qt.mosaic import nice_level


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("CONVVIZ_SETTINGS_DIR", str(tmp_path / "settings"))


def triangle(n: int) -> np.ndarray:
    ink = np.full((n, n), 0.0, np.float32)
    for r in range(4, n - 4):
        half = (r - 4) // 2
        ink[r, n // 2 - half] = ink[r, n // 2 + half] = 1.0
    ink[n - 5, 4:n - 4] = 1.0
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


def shown_levels(panel):
    return {name: panel.layers[name].level for name in panel.visible_layers()}


def check_values(panel, trace):
    for name in panel.visible_layers():
        values = trace.layer(name).values
        for i in range(values.shape[0]):
            np.testing.assert_allclose(panel.map_values(name, i), values[i], rtol=1e-6)


@pytest.mark.parametrize("name", ["shapes", "lenet5"])
def test_per_layer_scale_is_the_default_and_fits_each_layer(qtbot, name):
    panel, net, trace = make_panel(qtbot, name)
    assert panel.colour_scale == PER_LAYER
    panel.show_trace(trace)
    check_values(panel, trace)
    levels = shown_levels(panel)
    for layer, level in levels.items():
        peak = float(np.abs(trace.layer(layer).values).max())
        assert level == nice_level(peak) and level >= peak
        assert panel.layers[layer].image.levels == pytest.approx((-level, level))  # 0 in middle
        assert f"scale ±{level:.2g}" in panel.layers[layer].title.textItem.toPlainText()
    # the point of it: early layers are not drowned by the late ones' large values
    assert levels["conv1"] < max(levels.values())


def test_shared_scale_puts_every_layer_on_one_scale_and_is_remembered(qtbot):
    panel, net, trace = make_panel(qtbot)
    panel.set_colour_scale(SHARED)
    panel.show_trace(trace)
    check_values(panel, trace)
    peak = max(float(np.abs(trace.layer(n).values).max()) for n in panel.visible_layers())
    for layer, level in shown_levels(panel).items():
        assert level == panel.level == nice_level(peak)
        assert panel.layers[layer].image.levels == pytest.approx((-level, level))
        assert "scale ±" not in panel.layers[layer].title.textItem.toPlainText()
    again, _, _ = make_panel(qtbot)  # a new panel (the next run) starts on the same choice
    assert again.colour_scale == SHARED and again.scale_actions[SHARED].isChecked()
    again.set_colour_scale(PER_LAYER)
    again.show_trace(trace)
    assert shown_levels(again)["conv1"] == nice_level(np.abs(trace.layer("conv1").values).max())
    with pytest.raises(ValueError, match="colour scale"):
        again.set_colour_scale("rainbow")


@pytest.mark.parametrize("mode", [PER_LAYER, SHARED])
def test_enlarged_map_uses_its_layers_scale(qtbot, mode):
    panel, net, trace = make_panel(qtbot)
    panel.set_colour_scale(mode)
    panel.show_trace(trace)
    for layer in ("conv1", "relu2"):
        panel.select_map(layer, 1)
        level = panel.layers[layer].level
        assert panel.detail_image.levels == pytest.approx((-level, level))
        np.testing.assert_array_equal(panel.detail_image.image, trace.layer(layer).values[1])


def test_deck_maps_in_minus_one_to_one_look_alike_either_way(qtbot):
    panel, net, trace = make_panel(qtbot, "xo")
    for mode in (PER_LAYER, SHARED):
        panel.set_colour_scale(mode)
        panel.show_trace(trace)
        check_values(panel, trace)
        assert shown_levels(panel)["conv1"] == 1.0  # the deck's values never pass +-1
