"""Feature maps, the Activation view and Kernels on every network the engine holds (issue 14):
the input's R, G, B as their own row, colour first-layer kernels, rectangular maps and kernels
with square cells, a residual block's skip path and sum titled as such, and every activation's
curve. The panels are built directly (the window still refuses colour networks here)."""

import numpy as np
import pytest

from convviz.core.activations import apply
from convviz.core.bundled import preset_model
from convviz.core.layers import LeakyReLU, Residual, Sigmoid, Tanh
from convviz.core.map_rows import INPUT, MAX_MAPS_SHOWN, SKIP, SUM, map_rows
from convviz.core.mosaic import kernel_rgb
from convviz.core.network import build
from convviz.core.presets import PRESETS, SHAPE_CLASSES, preset
from convviz.core.spec import Conv, Flatten, MaxPool, NetworkSpec
from convviz.qt.panels.feature_maps import FeatureMapsPanel
from convviz.qt.panels.kernels import KernelsPanel
from convviz.qt.panels.relu import NONE_HERE, ReluView
from convviz.qt.widgets.mosaic_view import MIN_UNIT_PX


def colour_picture(spec, seed=0):
    rng = np.random.default_rng(seed)
    lo, hi = spec.value_range
    return rng.uniform(lo, hi, (spec.channels, spec.rows, spec.cols)).astype(np.float32)


def panel_for(qtbot, cls, net, size=(380, 680)):
    panel = cls()
    qtbot.addWidget(panel)
    panel.resize(*size)
    panel.set_model(net.spec, net.snapshot())
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def test_the_input_row_shows_r_g_b_and_only_the_red_map_follows_a_red_change(qtbot):
    net = build(preset("tinyvgg"), seed=0)
    panel = panel_for(qtbot, FeatureMapsPanel, net)
    row = panel.layers[INPUT]
    assert row.labels == ("R", "G", "B", "colour") and row.layout.count == 4
    assert "red, green, blue" in panel.headings[INPUT]
    image = colour_picture(net.spec)
    panel.show_trace(net.trace(image))
    before = [panel.map_pixels(INPUT, k) for k in range(4)]
    red = (before[0] >> 16) & 0xFF
    assert ((before[0] >> 8) & 0xFF).max() == 0 and (before[0] & 0xFF).max() == 0  # red only
    lo, hi = net.spec.value_range
    want = np.clip((image[0] - lo) * 255 / (hi - lo), 0, 255)  # lo: black, hi: full red
    np.testing.assert_allclose(red, want, atol=1)
    changed = image.copy()
    changed[0] = -changed[0]  # the red channel only
    panel.show_trace(net.trace(changed))
    after = [panel.map_pixels(INPUT, k) for k in range(4)]
    assert not np.array_equal(after[0], before[0])  # R follows
    np.testing.assert_array_equal(after[1], before[1])  # G and B do not
    np.testing.assert_array_equal(after[2], before[2])
    assert not np.array_equal(after[3], before[3])  # the picture as seen changes colour
    np.testing.assert_array_equal(panel.map_values(INPUT, 0), changed[0])
    panel._input_clicked(1)  # enlarged on its own ramp
    assert panel.selected == (INPUT, 1)
    np.testing.assert_array_equal(panel.detail_image.image, changed[1])


def test_a_small_input_enlarged_prints_its_values(qtbot):
    from convviz.core.numbers import deck_number
    from convviz.core.presets import deck_x

    net = preset_model("xo")
    panel = panel_for(qtbot, FeatureMapsPanel, net, (700, 900))
    panel.show_trace(net.trace(deck_x()))
    panel._input_clicked(0)
    qtbot.wait(20)
    shown = [t.toPlainText() for t in panel.detail_numbers if t.isVisible()]
    assert shown == [deck_number(v) for v in deck_x().ravel()]  # the deck's own numbers


def test_a_drawing_is_one_input_map_in_the_canvas_grey(qtbot):
    net = preset_model("shapes")
    panel = panel_for(qtbot, FeatureMapsPanel, net)
    assert panel.layers[INPUT].layout.count == 1 and panel.layers[INPUT].labels == ()
    assert panel.headings[INPUT].endswith("the drawing")
    assert "frequency up" in map_rows(preset("spectrogram"))[0].heading


def test_resnet_blocks_title_their_skip_path_and_sum(qtbot):
    rows = {r.name: r for r in map_rows(preset("resnet"))}
    assert rows["residual1.skip"].role == SKIP and rows["residual1"].role == SUM
    assert "skip path: the block's input, as it is" in rows["residual1.skip"].heading
    assert "skip path: a 1×1 convolution" in rows["residual2.skip"].heading
    assert "sum: inside + skip path" in rows["residual3"].heading
    assert rows["residual2.conv1"].depth == 1 and rows["residual2"].depth == 0
    net = preset_model("resnet")
    panel = panel_for(qtbot, FeatureMapsPanel, net)
    trace = net.trace(colour_picture(net.spec))
    panel.show_trace(trace)
    for name in ("residual2.skip", "residual2", "residual2.batchnorm2"):
        np.testing.assert_allclose(panel.map_values(name, 3), trace.layer(name).values[3])
    skip, inside = panel.layers["residual2.skip"], panel.layers["residual2.batchnorm2"]
    assert inside.rect.left() == skip.rect.left() > panel.layers["residual2"].rect.left()
    # the sum is the inside plus the skip path, as drawn
    np.testing.assert_allclose(
        panel.map_values("residual2", 0),
        panel.map_values("residual2.batchnorm2", 0) + panel.map_values("residual2.skip", 0),
        rtol=1e-5,
        atol=1e-5,
    )


def test_many_maps_are_capped_and_the_panel_scrolls_at_a_readable_size(qtbot):
    net = build(preset("alexnet"), seed=0)
    panel = panel_for(qtbot, FeatureMapsPanel, net)
    conv1 = panel.layers["conv1"]
    assert conv1.layout.count == MAX_MAPS_SHOWN and conv1.layout.cols == 8
    assert f"96 × 55 × 55 ({MAX_MAPS_SHOWN} shown)" in panel.headings["conv1"]
    assert panel.view.scrolls and panel.view.height() > panel.scroller.height()
    unit = conv1.rect.width() / conv1.layout.cols
    assert unit >= MIN_UNIT_PX - 1


@pytest.mark.parametrize("name", ["spectrogram"])
def test_rectangular_maps_and_kernels_have_square_cells(qtbot, name):
    net = preset_model(name)
    maps = panel_for(qtbot, FeatureMapsPanel, net)
    maps.show_trace(net.trace(colour_picture(net.spec)[0]))
    for v in maps.layers.values():
        rows, cols = v.layout.shape
        assert v.rect.width() / cols == pytest.approx(v.rect.height() / rows)
    assert maps.layers["conv1"].rect.width() > 0.5 * maps.scroller.width()  # a strip, not a hair
    kernels = panel_for(qtbot, KernelsPanel, net, (400, 344))
    for e in kernels.layers.values():
        r = e["image"].mapRectToScene(e["image"].boundingRect())
        rows, cols = e["layout"].shape
        assert r.width() / cols == pytest.approx(r.height() / rows, rel=1e-3)
    assert kernels.layers["conv1"]["layout"].h == 32 and kernels.layers["conv1"]["layout"].w == 3


def test_colour_kernels_are_the_weights_as_rgb_around_mid_grey(qtbot):
    net = build(preset("tinyvgg"), seed=0)
    panel = panel_for(qtbot, KernelsPanel, net, (400, 344))
    assert panel.apart_button.isVisible() and panel.layers["conv1"]["colour"]
    assert not panel.layers["conv2"]["colour"]
    w = net.snapshot().weight("conv1")  # (10, 3, 3, 3)
    level = float(np.abs(w).max())
    for f in range(w.shape[0]):
        shown = panel.kernel_values("conv1", f)  # (3, 3, 3): rows, cols, R G B
        want = np.clip(np.rint(128 + 127 * w[f] / level), 0, 255).transpose(1, 2, 0)
        np.testing.assert_array_equal(shown, want)
    assert kernel_rgb(np.zeros((1, 3, 2, 2)), 1.0).ravel().tolist() == [128] * 12  # 0: grey
    assert "R, G, B as colour" in panel.layers["conv1"]["title"].toolTip()
    panel.apart_button.setChecked(True)  # the channels as rows of their own, as before
    e = panel.layers["conv1"]
    assert not e["colour"] and e["layout"].count == 30
    np.testing.assert_allclose(panel.kernel_values("conv1", 4, 2), w[4, 2])
    assert panel.kernel_values("conv2", 0, 9).shape == (3, 3)
    assert not panel_for(qtbot, KernelsPanel, preset_model("shapes")).apart_button.isVisible()


SQUASHES = NetworkSpec(
    "squash",
    (12, 12),
    3,
    (-1.0, 1.0),
    (
        Conv(4, 3, padding=1),
        LeakyReLU(0.1),
        Residual((Conv(4, 3, padding=1), Sigmoid(), Conv(4, 3, padding=1))),
        Tanh(),
        MaxPool(2, 2),
        Flatten(),
    ),
    SHAPE_CLASSES,
)


def test_every_activation_shows_its_curve_and_its_after_is_the_function_of_before(qtbot):
    net = build(SQUASHES, seed=3)
    view = panel_for(qtbot, ReluView, net, (420, 650))
    assert view.layer_names() == ["leakyrelu1", "residual1.sigmoid1", "tanh1"]
    trace = net.trace(colour_picture(net.spec, 1) * 3)
    view.show_trace(trace)
    befores = {
        "leakyrelu1": trace.layer("conv1").values,
        "residual1.sigmoid1": trace.layer("residual1.conv1").values,
        "tanh1": trace.layer("residual1").values,
    }
    for name, kind, words in (
        ("leakyrelu1", "leakyrelu", "slope 0.1"),
        ("residual1.sigmoid1", "sigmoid", "into 0..1"),
        ("tanh1", "tanh", "into −1..1"),
    ):
        view.select(name, 2)
        before, after = view.before_after()
        np.testing.assert_allclose(before, befores[name][2])
        np.testing.assert_allclose(after, apply(kind, before, 0.1), rtol=1e-5, atol=1e-6)
        assert view.after_grid.values == pytest.approx(after)
        assert words in view.explanation.text()
        c = view.curve
        assert c.kind == kind and c.x[0] <= before.min() and c.x[-1] >= before.max()
        np.testing.assert_allclose(c.y, apply(kind, c.x, 0.1))
        if kind == "leakyrelu":
            assert "slope 0.10" in c.note
    view.grab()  # paints


def test_a_network_without_activations_says_so(qtbot):
    net = preset_model("cs231n")
    view = panel_for(qtbot, ReluView, net)
    view.show_trace(net.trace(colour_picture(net.spec)))
    assert view.notice.text() == NONE_HERE and view.notice.isVisible()


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_shows_in_all_three_panels(qtbot, name):
    net = build(preset(name), seed=0) if name == "alexnet" else preset_model(name)
    spec = net.spec
    image = colour_picture(spec)
    trace = net.trace(image if spec.channels > 1 else image[0])
    for cls in (FeatureMapsPanel, ReluView, KernelsPanel):
        panel = panel_for(qtbot, cls, net, (380, 680))
        panel.show_weights(net.snapshot())
        panel.show_trace(trace)
        panel.grab()


def test_kernels_one_layer_at_a_time_and_a_network_without_convolutions(qtbot):
    from convviz.core.spec import Dense
    from convviz.qt.panels.kernels import ALL_LAYERS, NO_CONV

    net = build(preset("tinyvgg"), seed=0)
    panel = panel_for(qtbot, KernelsPanel, net, (270, 256))
    assert [panel.layer_combo.itemText(i) for i in range(5)] == [
        ALL_LAYERS,
        "conv1",
        "conv2",
        "conv3",
        "conv4",
    ]
    # a colour network opens on its first layer's colour pictures, large
    assert panel.layer_combo.currentText() == "conv1"
    e = panel.layers["conv1"]
    big = e["image"].mapRectToScene(e["image"].boundingRect())
    panel.layer_combo.setCurrentText(ALL_LAYERS)
    small = e["image"].mapRectToScene(e["image"].boundingRect())
    assert small.width() < big.width() and panel.layers["conv2"]["image"].isVisible()
    panel.layer_combo.setCurrentText("conv1")
    big = e["image"].mapRectToScene(e["image"].boundingRect())
    assert big.width() > small.width() and not panel.layers["conv2"]["image"].isVisible()
    flat = NetworkSpec("flat", (4, 4), 1, (0.0, 1.0), (Flatten(), Dense(3)), ("a", "b"))
    bare = panel_for(qtbot, KernelsPanel, build(flat, seed=0))
    assert bare.hint.text() == NO_CONV
    view = panel_for(qtbot, ReluView, build(flat, seed=0))
    assert view.notice.text() == NONE_HERE
    maps = panel_for(qtbot, FeatureMapsPanel, build(flat, seed=0))
    assert list(maps.layers) == [INPUT]
