"""The filtering panel shows the deck's arithmetic on the drawing, equal to numpy and the trace."""

import numpy as np
import pytest
from test_stepper import DECK_X, drawings, numpy_conv_cell, odd_spec

from convviz.core.network import build
from convviz.core.presets import preset
from convviz.core.spec import Conv, Flatten, NetworkSpec
from convviz.core.stepper import deck_number, steppable_layers
from convviz.qt.panels.filtering import FilteringPanel
from convviz.qt.widgets.channel_rows import sum_text


def make_panel(qtbot, spec, image=None, seed=0):
    net = build(spec, seed=seed)
    panel = FilteringPanel()
    qtbot.addWidget(panel)
    panel.resize(1100, 760)
    panel.set_model(net.spec, net.snapshot())
    if image is not None:
        panel.show_trace(net.trace(image))
    return net, panel


def check_step(panel, net, trace, snap):
    """Every number the panel shows for the current step, against numpy in float64 (padded by
    hand) and the trace: each shown channel's patch, slice, products and sum, the line for the
    channels not shown, the total, the bias and the value that lands in the output."""
    sl = panel.layer
    f, i = panel.feature_index, panel.current_step
    want = trace.layer(sl.name).values[f]
    r, c = divmod(i, want.shape[1])
    divisor = sl.in_maps * int(np.prod(sl.window)) if sl.layer.divide else 1
    w, b = snap.weight(sl.name), snap.bias(sl.name)
    patches, products, sums, total, value = numpy_conv_cell(
        trace.input_of(sl.index), w, b, sl.layer, divisor, f, r, c
    )
    shown = panel.shown
    assert len(shown) == min(3, sl.in_maps)
    for j, m in enumerate(shown):
        row = panel.channel_rows.rows[j]
        assert row.patch.values == pytest.approx(patches[m], abs=1e-6)
        assert row.feature.values == pytest.approx(w[f, m])
        assert row.products.values == pytest.approx(products[m], abs=1e-5)
        assert f">{sum_text(sums[m])}<" in row.sum.text()
    others = [m for m in range(sl.in_maps) if m not in shown]
    assert panel.channel_rows.rest.isVisibleTo(panel) == bool(others)
    if others:
        rest = panel.channel_rows.rest.text()
        assert f"+ {len(others)} more channel" in rest
        assert f">{sum_text(sums[others].sum())}<" in rest
    text = panel.caption.text()
    assert f">{deck_number(value)}<" in text
    if sl.in_maps > 1:
        assert f"<b>{sum_text(total)}</b>" in text
    if b is not None:
        assert "bias" in text and sum_text(float(b[f])) in text
    shown_out = panel.output_grid.values.reshape(-1)
    assert shown_out[: i + 1] == pytest.approx(want.reshape(-1)[: i + 1], abs=1e-4)  # = trace
    assert shown_out[i] == pytest.approx(value, abs=1e-4)
    assert np.isnan(shown_out[i + 1 :]).all()
    (kr, kc), (sr, sc), (pr, pc) = sl.window, sl.stride, sl.padding
    for g in panel.input_strip.grids[: len(shown)]:
        assert g._window == (r * sr - pr, c * sc - pc, kr, kc)
        assert g._margin == (pr, pc) and g._margin_zero
    assert panel.output_grid._current == (r, c)


@pytest.mark.parametrize(
    "spec", [preset("xo"), preset("shapes"), preset("lenet5"), odd_spec()], ids=lambda s: s.name
)
def test_steps_match_numpy_and_the_trace(qtbot, spec):
    net, panel = make_panel(qtbot, spec, seed=5)
    snap = net.snapshot()
    rng = np.random.default_rng(8)
    for image in drawings(spec, 2, 3):
        trace = net.trace(image)
        panel.show_trace(trace)
        for sl in steppable_layers(spec, "conv"):
            for f, m in {(0, 0), (sl.out_maps - 1, sl.in_maps - 1)}:  # m: a channel shown
                panel.select(sl.name, m, f)
                for i in sorted(set(rng.integers(0, panel.n_steps, 6).tolist()) | {0}):
                    panel.seek(i)
                    check_step(panel, net, trace, snap)


def test_a_convolution_that_drops_the_last_rows_steps_only_the_kept_windows(qtbot):
    # 10x10, 3x3 at stride 2: (10 - 3)/2 + 1 = 4.5 -> 4 with edge "drop"; the last row and
    # column of the input are never under the feature
    spec = NetworkSpec(
        "drop", (10, 10), 1, (-1.0, 1.0), (Conv(2, 3, 2, edge="drop"), Flatten()), ("a", "b")
    )
    net, panel = make_panel(qtbot, spec, seed=2)
    assert panel.layer_combo.itemText(0).endswith("stride 2, padding 0, edge drop)")
    trace = net.trace(list(drawings(spec, 2, 4))[1])  # random numbers
    panel.show_trace(trace)
    panel.select("conv1", 0, 1)
    assert panel.n_steps == 16
    for i in (0, 7, 15):
        panel.seek(i)
        check_step(panel, net, trace, net.snapshot())
    assert panel.input_strip.grids[0]._window == (6, 6, 3, 3)  # the last window: rows 6..8


def test_the_deck_numbers_on_the_x(qtbot):
    _net, panel = make_panel(qtbot, preset("xo"), DECK_X)
    panel.select("conv1", 0, 0)  # diagonal down, top-left
    assert panel.current_step == 0
    assert "7" in panel.caption.text() and "÷ 9" in panel.caption.text()
    assert ">0.77<" in panel.caption.text()
    assert panel.output_grid.texts()[0][0] == "0.77"
    panel.select("conv1", 0, 1)  # the crossing, at the centre of the X
    panel.seek(3 * 7 + 3)
    assert (panel.products_grid.values == 1).all()
    assert panel.products_grid.texts() == [["1"] * 3] * 3
    assert "add up to <b>9</b>" in panel.caption.text().replace("9.00", "9")
    assert ">1.00<" in panel.caption.text()
    assert panel.output_grid.texts()[3][3] == "1.00"
    assert not panel.map_combo.isVisibleTo(panel)  # one input map: no map selector


def test_padding_is_shown_as_zeros(qtbot):
    _net, panel = make_panel(qtbot, preset("shapes"), np.ones((28, 28), np.float32))
    panel.select("conv1", 0, 2)
    assert panel.input_grid._margin == (2, 2) and panel.input_grid._margin_zero
    assert panel.patch_grid._hatched[:2].all() and panel.patch_grid._hatched[:, :2].all()
    assert (panel.patch_grid.values[:2] == 0).all() and (panel.patch_grid.values[2:, 2:] == 1).all()
    assert "16 cells on the zero padding" in panel.caption.text()


def test_stepping_back_restores_and_a_new_drawing_is_followed(qtbot):
    spec = preset("shapes")
    net, panel = make_panel(qtbot, spec, seed=1)
    snap = net.snapshot()
    a, b = list(drawings(spec, 2, 21))
    panel.show_trace(net.trace(a))
    panel.select("conv2", 4, 6)

    def state():
        return (
            panel.current_step,
            panel.patch_grid.values.tobytes(),
            panel.products_grid.values.tobytes(),
            panel.output_grid.values.tobytes(),
            panel.input_grid._window,
            panel.caption.text(),
        )

    panel.seek(30)
    before = state()
    panel.step_forward()
    panel.step_forward()
    panel.step_back()
    panel.step_back()
    assert state() == before
    panel.controls.set_speed(60)
    panel.play()
    qtbot.waitUntil(lambda: panel.current_step >= 33, timeout=3000)
    tb = net.trace(b)
    panel.show_trace(tb)
    check_step(panel, net, tb, snap)
    qtbot.waitUntil(lambda: panel.current_step >= 36, timeout=3000)
    panel.pause()
    check_step(panel, net, tb, snap)


def test_new_weights_are_shown(qtbot):
    net, panel = make_panel(qtbot, preset("shapes"), DECK_X.repeat(4, 0).repeat(4, 1)[:28, :28])
    panel.select("conv1", 0, 3)
    panel.seek(100)
    snap = net.snapshot().with_arrays({k: v * 3 for k, v in net.snapshot().items()})
    panel.show_weights(snap)
    assert panel.current_step == 100
    assert panel.feature_grid.values == pytest.approx(snap["layers.0.weight"][3, 0])
    assert panel.products_grid.values == pytest.approx(
        panel.patch_grid.values * snap["layers.0.weight"][3, 0], abs=1e-6
    )


def test_several_input_maps_offer_a_map_selector(qtbot):
    _net, panel = make_panel(qtbot, preset("lenet5"), np.zeros((32, 32), np.float32))
    panel.select("conv2", 5, 15)
    # 6 input maps: three shown in full at a time, the picker chooses which three
    assert panel.map_combo.isVisibleTo(panel) and panel.map_combo.count() == 2
    assert panel.feature_combo.count() == 16
    assert (panel.feature_index, panel.map_index, panel.shown) == (15, 3, range(3, 6))
    assert "+ 3 more channels" in panel.channel_rows.rest.text()
    assert "Channels:" in panel.caption.text() and "(3 more)" in panel.caption.text()
    with pytest.raises(ValueError, match="16 features, not 17"):
        panel.select("conv2", 0, 16)


def test_screenshot_mid_animation_on_the_deck_x(qtbot):
    _net, panel = make_panel(qtbot, preset("xo"), DECK_X)
    panel.show()
    panel.select("conv1", 0, 1)
    panel.controls.set_speed(60)
    panel.play()
    qtbot.waitUntil(lambda: panel.current_step >= 10, timeout=3000)
    panel.pause()
    panel.seek(3 * 7 + 3)  # the crossing at the centre of the X: nine products of 1
    image = panel.grab()
    assert image.width() == 1100 and image.save("/tmp/convviz_filtering_x.png")


def test_weights_arriving_after_the_layout_are_used(qtbot):
    """While a network loads the window lays out with no snapshot; the weights come later."""
    net = build(preset("xo"), seed=0)
    panel = FilteringPanel()
    qtbot.addWidget(panel)
    panel.set_model(net.spec, None)
    panel.show_trace(net.trace(DECK_X))
    assert panel.stepper is None and "Waiting" in panel.notice.text()
    panel.show_weights(build(preset("shapes"), seed=0).snapshot())  # not xo's
    assert panel.stepper is None
    snap = net.snapshot()
    panel.show_weights(snap)
    panel.select("conv1", 0, 1)
    assert panel.stepper is not None and panel.n_steps == 49
    np.testing.assert_array_equal(panel.feature_grid.values, snap["layers.0.weight"][1, 0])
