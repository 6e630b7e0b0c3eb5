"""The pooling panel shows what the core computes, follows new drawings and steps both ways."""

import numpy as np
import pytest
from test_stepper import DECK_X, drawings, odd_spec

from convviz.core.network import build
from convviz.core.presets import preset
from convviz.core.spec import Conv, Flatten, MaxPool, NetworkSpec, ReLU
from convviz.core.stepper import deck_number, steppable_layers
from convviz.qt.panels.pooling import PoolingPanel
from convviz.qt.widgets.cell_grid import CellGrid


def make_panel(qtbot, spec, image=None, seed=0):
    net = build(spec, seed=seed)
    panel = PoolingPanel()
    qtbot.addWidget(panel)
    panel.resize(1000, 520)
    panel.set_model(net.spec, net.snapshot())
    if image is not None:
        panel.show_trace(net.trace(image))
    return net, panel


def shown_state(panel):
    g, w, o = panel.input_grid, panel.window_grid, panel.output_grid
    return (
        panel.current_step,
        g._window,
        g._winner,
        w.values.tobytes(),
        o.values.tobytes(),
        o._current,
        panel.caption.text(),
    )


def check_step(panel, trace):
    sl = panel.layer
    x = trace.input_of(sl.index)[panel.map_index]  # (H, W) the pooled map
    want = trace.layer(sl.name).values[panel.map_index]
    i = panel.current_step
    r, c = divmod(i, want.shape[1])
    (kr, kc), (sr, sc) = sl.window, sl.stride
    assert panel.input_grid._window == (r * sr, c * sc, kr, kc)
    window = x[r * sr : r * sr + kr, c * sc : c * sc + kc]
    if sl.is_average:  # no winner: the sum, the count of cells inside and the mean
        assert panel.input_grid._winner is None
        assert f"÷ {window.size} = <b>{deck_number(window.mean())}</b>" in panel.max_label.text()
    else:
        wr, wc = panel.input_grid._winner
        assert x[wr, wc] == window.max()  # the highlighted cell is the window's true maximum
        assert r * sr <= wr < r * sr + kr and c * sc <= wc < c * sc + kc
    shown = panel.output_grid.values.reshape(-1)
    assert shown[: i + 1] == pytest.approx(want.reshape(-1)[: i + 1])  # written = the trace
    assert np.isnan(shown[i + 1 :]).all()
    assert panel.output_grid._current == (r, c)


@pytest.mark.parametrize(
    "spec", [preset("xo"), preset("shapes"), preset("lenet5"), odd_spec()], ids=lambda s: s.name
)
def test_steps_show_the_true_maximum_and_the_trace(qtbot, spec):
    net, panel = make_panel(qtbot, spec)
    rng = np.random.default_rng(4)
    for image in drawings(spec, 2, 7):
        trace = net.trace(image)
        panel.show_trace(trace)
        for sl in steppable_layers(spec, "pool"):
            panel.select(sl.name, sl.in_maps - 1)
            for i in sorted(set(rng.integers(0, panel.n_steps, 8).tolist()) | {0}):
                panel.seek(i)
                check_step(panel, trace)
            panel.jump_to_end()
            check_step(panel, trace)
            assert panel.output_grid.values == pytest.approx(trace.layer(sl.name).values[-1])


def test_stepping_back_restores_the_previous_state(qtbot):
    _net, panel = make_panel(qtbot, preset("xo"), DECK_X)
    seen = []
    panel.step_changed.connect(seen.append)
    states = [shown_state(panel)]
    for _ in range(5):
        panel.step_forward()
        states.append(shown_state(panel))
    for want in reversed(states[:-1]):
        panel.step_back()
        assert shown_state(panel) == want
    assert seen == [1, 2, 3, 4, 5, 4, 3, 2, 1, 0]


def test_overhanging_window_is_drawn_as_such(qtbot):
    _net, panel = make_panel(qtbot, preset("xo"), DECK_X)
    panel.jump_to_end()  # 7x7 -> 4x4: the last window covers one real cell
    assert panel.input_grid._window == (6, 6, 2, 2)
    assert panel.input_grid._margin == (1, 1)  # room drawn for the part beyond the edge
    assert np.isnan(panel.window_grid.values).sum() == 3
    assert (
        "hangs over the edge" in panel.caption.text() and "only its 1 cell" in panel.caption.text()
    )
    panel.seek(0)
    assert "hangs over" not in panel.caption.text()


def test_a_new_drawing_mid_animation_is_followed(qtbot):
    spec = preset("shapes")
    net, panel = make_panel(qtbot, spec, seed=2)
    a, b = list(drawings(spec, 2, 11))
    panel.show_trace(net.trace(a))
    panel.select("pool1", 3)
    panel.controls.set_speed(60)
    panel.play()
    qtbot.waitUntil(lambda: panel.current_step >= 5, timeout=3000)
    tb = net.trace(b)
    panel.show_trace(tb)
    assert panel.controls.is_playing
    check_step(panel, tb)  # same position, the new values
    start = panel.current_step
    qtbot.waitUntil(lambda: panel.current_step >= start + 3, timeout=3000)
    panel.pause()
    check_step(panel, tb)
    assert not panel.controls.is_playing


def test_play_stops_at_the_end_and_restarts_from_the_start(qtbot):
    _net, panel = make_panel(qtbot, preset("xo"), DECK_X)
    panel.controls.set_speed(60)
    panel.play()
    qtbot.waitUntil(lambda: not panel.controls.is_playing, timeout=3000)
    assert panel.current_step == panel.n_steps - 1 == 15
    panel.play()
    assert panel.current_step == 0 and panel.controls.is_playing
    panel.pause()


def test_a_new_network_rebuilds_the_selectors(qtbot):
    net, panel = make_panel(qtbot, preset("shapes"), np.zeros((28, 28), np.float32))
    panel.select("pool2", 10)
    assert panel.layer_combo.count() == 2 and panel.map_combo.count() == 16
    xo = build(preset("xo"))
    panel.set_model(xo.spec, xo.snapshot())
    assert panel.layer_combo.count() == 1 and panel.map_combo.count() == 3
    assert "diagonal" in panel.map_combo.itemText(0)
    assert not panel.grids.isVisibleTo(panel) and "Draw" in panel.notice.text()
    panel.show_trace(net.trace(np.zeros((28, 28), np.float32)))  # a late trace of the old one
    assert panel.stepper is None
    panel.show_trace(xo.trace(DECK_X))
    assert panel.grids.isVisibleTo(panel) and panel.n_steps == 16
    with pytest.raises(ValueError, match=r"no pooling layer named 'pool2'.*pool1"):
        panel.select("pool2")
    with pytest.raises(ValueError, match="3 input maps"):
        panel.select("pool1", 3)


def edge_spec(edge: str) -> NetworkSpec:
    """14 -> 7 with the window hanging over the edge kept, 14 -> 6 with it dropped."""
    layers = (Conv(2, 3, padding=1), ReLU(), MaxPool(3, 2, edge), Flatten())
    return NetworkSpec("edge", 14, 1, (-1.0, 1.0), layers, ("a", "b"))


def test_a_pooling_that_drops_the_edge_steps_only_whole_windows(qtbot):
    spec = edge_spec("drop")
    net, panel = make_panel(qtbot, spec)
    assert "edge drop" in panel.layer_combo.itemText(0)
    _kept_net, kept = make_panel(qtbot, edge_spec("keep"))
    assert "pool1" in kept.layer_combo.itemText(0) and "edge" not in kept.layer_combo.itemText(0)
    trace = net.trace(next(drawings(spec, 1, 3)))
    panel.show_trace(trace)
    panel.select("pool1", 1)
    assert panel.n_steps == 36  # 6x6, not the 7x7 of the kept edge
    for i in range(panel.n_steps):
        panel.seek(i)
        check_step(panel, trace)
        assert not np.isnan(panel.window_grid.values).any()
    assert panel.input_grid._window == (10, 10, 3, 3) and panel.input_grid._margin == (0, 0)
    assert "hangs over" not in panel.caption.text()


def test_the_architecture_editors_pooling_row_offers_the_edge(qtbot):
    from convviz.qt.panels.architecture import ArchitecturePanel

    p = ArchitecturePanel()
    qtbot.addWidget(p)
    p.resize(640, 700)
    p.set_model(edge_spec("keep"))
    row = p.editor.lines[(2,)]
    field = row.fields["edge"]  # declared by the pooling kinds: no code of the editor's own
    assert field.text() == "keep" and field.placeholderText() == "keep"
    assert "keep or drop" in field.toolTip()
    assert "(14 - 3)/2 + 1 = 6.5 → 7" in row.result.text()
    field.selectAll()
    qtbot.keyClicks(field, "drop")
    assert "→ 2×6×6" in row.result.text() and "floor((14 - 3)/2) + 1 = 6" in row.result.text()
    assert p.editor.model.spec() == edge_spec("drop")


def test_network_without_pooling_says_so(qtbot):
    spec = NetworkSpec("flat", 6, 1, (0.0, 1.0), (Conv(2, 3), Flatten()), ("a", "b"))
    _net, panel = make_panel(qtbot, spec, np.zeros((6, 6), np.float32))
    assert "no pooling layer" in panel.notice.text() and panel.n_steps == 0
    panel.play()
    panel.step_forward()
    assert panel.current_step == 0 and not panel.controls.is_playing


def test_many_thousand_repaints_do_not_leak_or_crash(qtbot):
    grid = CellGrid("stress")
    qtbot.addWidget(grid)
    grid.resize(300, 300)
    grid.set_values(np.linspace(-1, 1, 49).reshape(7, 7))
    grid.show()
    for i in range(3000):
        grid.set_marks(window=(i % 7 - 1, i % 5, 2), winner=(i % 7, i % 7), current=(0, 0))
        grid.repaint()
    assert grid.isVisible()


def test_screenshot_mid_animation_on_the_deck_x(qtbot):
    _net, panel = make_panel(qtbot, preset("xo"), DECK_X)
    panel.resize(1100, 600)
    panel.show()
    panel.controls.set_speed(60)
    panel.play()
    qtbot.waitUntil(lambda: panel.current_step >= 7, timeout=3000)
    panel.pause()
    panel.seek(7)  # the window hanging over the right edge
    image = panel.grab()
    assert image.width() == 1100 and image.save("/tmp/convviz_pooling_x.png")
