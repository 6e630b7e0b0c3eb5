"""The stepper panels on colour, rectangular and deep networks, built directly with a preset's
model, snapshot and trace: the CS231n demo's own arithmetic, channel rows that add up, many
channels as a few rows and one line, average pooling, the spectrogram's 1x2 pools, and every
preset opening in both steppers, readable in a 1024x768 window's dock."""

import re

import numpy as np
import pytest
from layout_audit import audit
from PySide6.QtWidgets import QApplication, QBoxLayout
from test_qt_filtering import check_step
from test_stepper_shapes import cs231n_reference

from convviz.core.bundled import preset_model
from convviz.core.layers import AvgPool
from convviz.core.network import build
from convviz.core.presets import CS231N_BIASES, CS231N_INPUT, PRESETS
from convviz.core.spec import Conv, Flatten, MaxPool, NetworkSpec, ReLU
from convviz.core.stepper import deck_number, steppable_layers
from convviz.qt.docks import SidewaysScroll
from convviz.qt.panels.filtering import FilteringPanel
from convviz.qt.panels.pooling import PoolingPanel

DOCK_1024 = (380, 636)  # the steppers' dock at 1024x768 after Reset layout (measured)


def picture(spec, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(*spec.value_range, (spec.channels, *spec.input_shape)).astype(np.float32)
    return x[0] if spec.channels == 1 else x


def open_panel(qtbot, cls, model, x=None, size=(1000, 760)):
    panel = cls()
    qtbot.addWidget(panel)
    panel.resize(*size)
    panel.set_model(model.spec, model.snapshot())
    trace = model.trace(picture(model.spec) if x is None else x)
    panel.show_trace(trace)
    return panel, trace


def numbers(text: str) -> list[float]:
    return [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", re.sub(r"<[^>]+>", " ", text))]


# ---- filtering --------------------------------------------------------------------------------
@pytest.mark.parametrize("k", [0, 1])
def test_cs231n_shows_the_demos_own_arithmetic_for_every_window(qtbot, k):
    model = preset_model("cs231n")
    panel, trace = open_panel(qtbot, FilteringPanel, model, np.asarray(CS231N_INPUT, np.float32))
    panel.select("conv1", 0, k)
    assert panel.shown == range(3) and not panel.channel_rows.rest.isVisibleTo(panel)
    assert [g.values.shape for g in panel.input_strip.grids] == [(5, 5)] * 3
    assert all(g._margin == (1, 1) and g._margin_zero for g in panel.input_strip.grids)
    for i in range(9):
        r, c = divmod(i, 3)
        panel.seek(i)
        window, w, products, sums, value = cs231n_reference(k, r, c)
        for m, row in enumerate(panel.channel_rows.rows):
            assert row.name.text() == "RGB"[m]
            np.testing.assert_array_equal(row.patch.values, window[m])
            np.testing.assert_array_equal(row.feature.values, w[m])
            np.testing.assert_array_equal(row.products.values, products[m])
            assert row.products.texts() == [[str(int(v)) for v in line] for line in products[m]]
            assert numbers(row.sum.text()) == [sums[m]]
        text = panel.caption.text()
        # "Channels: 1 + 1 + (-3) = -1 + bias 0 = -1.00 → output (row 2, column 2)"
        shown = numbers(text.split("→")[0])
        assert shown == [*sums, sums.sum(), CS231N_BIASES[k], value]
        assert f">{deck_number(value)}<" in text and f"(row {r + 1}, column {c + 1})" in text
        assert value == trace.layer("conv1").values[k, r, c] == panel.output_grid.values[r, c]
        for g in panel.input_strip.grids:
            assert g._window == (2 * r - 1, 2 * c - 1, 3, 3)


def test_a_colour_networks_three_channel_rows_add_up_to_the_output(qtbot):
    model = preset_model("tinyvgg")
    panel, trace = open_panel(qtbot, FilteringPanel, model)
    panel.select("conv1", 0, 4)
    assert [row.name.text() for row in panel.channel_rows.rows] == ["R", "G", "B"]
    assert not panel.map_combo.isVisibleTo(panel)  # 3 channels: all shown, nothing to choose
    snap = model.snapshot()
    for i in (0, 61, 1000, panel.n_steps - 1):
        panel.seek(i)
        check_step(panel, model, trace, snap)
        s = panel.stepper.step(i)
        r, c = divmod(i, 62)
        assert s.channel_sums.sum() + s.bias == pytest.approx(
            trace.layer("conv1").values[4, r, c], abs=1e-4
        )


def wide_spec():
    return NetworkSpec(
        "wide",
        8,
        3,
        (-1.0, 1.0),
        (Conv(64, 3, padding=1), ReLU(), Conv(4, 3), ReLU(), MaxPool(2, 2), Flatten()),
        ("a", "b"),
    )


def test_sixty_four_channels_show_three_rows_and_one_line_that_add_up(qtbot):
    model = build(wide_spec(), seed=2)
    panel, trace = open_panel(qtbot, FilteringPanel, model)
    panel.select("conv2", 40, 3)
    assert panel.shown == range(39, 42) and panel.map_combo.count() == 22
    assert all(row.name.isVisibleTo(panel) for row in panel.channel_rows.rows)
    for i in (0, 17, 35):
        panel.seek(i)
        check_step(panel, model, trace, model.snapshot())
        rest = panel.channel_rows.rest.text()
        assert rest.startswith("+ 61 more channels: sum")
        # the numbers shown (two decimals each, cut as the deck cuts them) add up to the value
        rows = [numbers(row.sum.text())[0] for row in panel.channel_rows.rows]
        shown = numbers(panel.caption.text().split("→")[0])
        assert shown[:3] == rows and shown[3] == numbers(rest)[-1]
        total, bias, value = shown[-3:]
        assert sum(shown[:4]) == pytest.approx(total, abs=0.04)
        assert total + bias == pytest.approx(value, abs=0.02)
        r, c = divmod(i, 6)
        assert value == pytest.approx(trace.layer("conv2").values[3, r, c], abs=0.01)


def test_a_residual_network_steps_every_convolution_named_by_its_block(qtbot):
    panel, _ = open_panel(qtbot, FilteringPanel, preset_model("resnet"))
    items = [panel.layer_combo.itemText(i) for i in range(panel.layer_combo.count())]
    assert len(items) == 9 and items[0].startswith("conv1  (16 features of 4×4×3")
    assert items[3].startswith("block 2 · conv 1  (32 features of 4×4×16, stride 2")
    assert items[5].startswith("block 2 · skip path  (32 features of 1×1×16, stride 2")
    assert panel.shown == range(3) and panel.n_steps == 16 * 16
    pooling, _ = open_panel(qtbot, PoolingPanel, preset_model("resnet"))
    assert "global average pooling" in pooling.notice.text() and pooling.stepper is None


# ---- pooling ----------------------------------------------------------------------------------
def test_average_pooling_shows_sum_count_and_the_mean_of_the_trace(qtbot):
    spec = NetworkSpec(
        "avg", 9, 1, (-1.0, 1.0), (Conv(2, 3, padding=1), AvgPool(2, 2), Flatten()), ("a", "b")
    )
    model = build(spec, seed=3)
    panel, trace = open_panel(qtbot, PoolingPanel, model)
    assert panel.layer_combo.currentText().startswith("avgpool1  (average, 2×2 window")
    panel.select("avgpool1", 1)
    x, want = trace.input_of(1)[1], trace.layer("avgpool1").values[1]
    for i in range(panel.n_steps):
        panel.seek(i)
        r, c = divmod(i, 5)
        window = x[2 * r : 2 * r + 2, 2 * c : 2 * c + 2]
        total, count, mean = numbers(panel.max_label.text())
        assert count == window.size and total == pytest.approx(window.sum(), abs=0.01)
        assert mean == pytest.approx(want[r, c], abs=0.01)
        assert f"÷ {window.size} = mean <b>{deck_number(want[r, c])}</b>" in panel.caption.text()
        assert panel.input_grid._winner is None and panel.window_grid._winner is None
    assert "divided by 1" in panel.caption.text()  # the corner window: one cell inside
    panel.jump_to_end()
    np.testing.assert_allclose(panel.output_grid.values, want, rtol=1e-6)


def test_the_spectrograms_one_by_two_pools_step_along_time(qtbot):
    model = preset_model("spectrogram")
    panel, trace = open_panel(qtbot, PoolingPanel, model)
    panel.select("pool2", 5)
    x, want = trace.input_of(panel.layer.index)[5], trace.layer("pool2").values[5]
    assert x.shape == (1, 21) and want.shape == (1, 11) and panel.n_steps == 11
    for i in range(11):
        panel.seek(i)
        assert panel.input_grid._window == (0, 2 * i, 1, 2)
        assert x[0][panel.input_grid._winner[1]] == want[0, i] == x[0, 2 * i : 2 * i + 2].max()
    assert panel.input_grid._margin == (0, 1)  # the last window hangs over by one column
    assert "only its 1 cell" in panel.caption.text()
    np.testing.assert_allclose(panel.output_grid.values, want)
    # a strip: the maps one above the other, each the panel's width (side by side: 3 px cells)
    assert panel._row.direction() == QBoxLayout.Direction.TopToBottom
    panel.resize(380, 636)
    panel.show()
    qtbot.waitExposed(panel)
    assert panel.input_grid.cell_size() >= 6 and panel.output_grid.cell_size() >= 12
    panel.select("pool2", 0)
    assert panel._row.direction() == QBoxLayout.Direction.TopToBottom
    xo_model = preset_model("xo")
    panel.set_model(xo_model.spec, xo_model.snapshot())
    panel.show_trace(xo_model.trace(picture(xo_model.spec)))
    assert panel._row.direction() == QBoxLayout.Direction.LeftToRight  # a square map


# ---- every preset, both steppers ---------------------------------------------------------------
@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_opens_in_both_steppers(qtbot, name):
    model = preset_model(name)
    for cls, kind in ((FilteringPanel, "conv"), (PoolingPanel, "pool")):
        panel, trace = open_panel(qtbot, cls, model)
        layers = steppable_layers(model.spec, kind)
        assert panel.layer_combo.count() == len(layers)
        if not layers:
            assert panel.stepper is None and panel.notice.text()
        for sl in layers:
            panel.select(sl.name, sl.in_maps - 1, sl.out_maps - 1)
            assert panel.stepper is not None
            for i in (0, panel.n_steps // 2, panel.n_steps - 1):
                panel.seek(i)
                assert panel.caption.text()
            panel.jump_to_end()
            out = trace.layer(sl.name).values
            f = sl.out_maps - 1 if kind == "conv" else sl.in_maps - 1
            np.testing.assert_allclose(panel.output_grid.values, out[f], rtol=1e-4, atol=1e-4)


# ---- readable at 1024x768 ------------------------------------------------------------------
@pytest.fixture
def app_look(qapp):
    """The app's own look (theme.apply: its fonts and sizes), put back afterwards: the words
    must be measured in the font a person sees (as test_qt_layout_sizes does)."""
    from convviz.qt import theme

    kept = (qapp.style().name(), qapp.palette(), qapp.font(), qapp.styleSheet())
    theme.apply(qapp)
    yield
    qapp.setStyleSheet(kept[3])
    qapp.setFont(kept[2])
    qapp.setPalette(kept[1])
    qapp.setStyle(kept[0])


@pytest.mark.parametrize("name", ["cs231n", "tinyvgg", "spectrogram", "xo"])
def test_readable_in_the_docks_room_at_1024x768(qtbot, app_look, name):
    """In the dock's room at 1024x768: no text cut, nothing scrolling sideways, and for the
    small networks the whole panel, controls included, without scrolling down."""
    model = preset_model(name)
    for cls in (FilteringPanel, PoolingPanel):
        panel, _ = open_panel(qtbot, cls, model)
        area = SidewaysScroll(panel)
        qtbot.addWidget(area)
        area.resize(*DOCK_1024)
        area.show()
        qtbot.waitExposed(area)
        if panel.stepper is not None:
            panel.seek(panel.n_steps // 2)
        for _ in range(4):  # the layout follows the new caption
            QApplication.processEvents()
        problems = audit(area)
        assert not problems, "\n".join(problems)
        assert area.horizontalScrollBar().maximum() == 0
        if name in ("cs231n", "xo"):
            need = panel.layout().totalMinimumHeightForWidth(DOCK_1024[0])
            assert need <= DOCK_1024[1], f"{cls.__name__} needs {need} px"
        if cls is FilteringPanel and name == "cs231n":  # the demo's numbers are printed
            assert all(
                r.patch.cell_size() >= r.patch.MIN_TEXT_CELL for r in panel.channel_rows.rows
            )


# ---- the cells ------------------------------------------------------------------------------
def test_a_rectangular_map_gets_square_cells_and_padding_per_dimension(qtbot):
    from convviz.qt.widgets.cell_grid import CellGrid

    grid = CellGrid("strip")
    qtbot.addWidget(grid)
    grid.set_values(np.zeros((1, 46), np.float32), margin=(0, 1))
    hint = grid.sizeHint()
    assert hint.width() > 10 * (hint.height() - grid._title_height())  # a strip, not a square
    grid.resize(480, 300)
    assert grid.cell_size() == int((480 - 4) / 48)  # 46 cells and a ring of room each side
    grid.set_values(np.ones((2, 3), np.float32), margin=(1, 2), margin_zero=True)
    assert grid._margin == (1, 2) and grid.cell_size() == min(64, (480 - 4) // 7, (300 - 28) // 4)


def test_the_same_numbers_keep_the_drawn_cells(qtbot):
    """A feature's slice stays the same while the window moves: its cells are not redrawn."""
    from convviz.qt.widgets.cell_grid import CellGrid

    grid = CellGrid("feature")
    qtbot.addWidget(grid)
    grid.resize(200, 200)
    w = np.arange(9, dtype=np.float32).reshape(3, 3)
    grid.set_values(w, (-8.0, 8.0))
    grid.show()
    grid.repaint()
    drawn = grid._base
    grid.set_values(w.copy(), (-8.0, 8.0))
    assert grid._base is drawn
    grid.set_values(w.copy(), (-9.0, 9.0))  # another scale: other colours
    assert grid._base is None
    grid.repaint()
    grid.set_values(w + 1, (-9.0, 9.0))
    assert grid._base is None and grid.values[0, 0] == 1


@pytest.mark.parametrize("name", ["shapes", "tinyvgg"])
def test_the_input_picture_gets_the_room_the_rows_do_not_use(qtbot, app_look, name):
    """At 1024x768 the input thumbnail was ~30 px (1 px a cell) while half the panel stayed
    empty below the channel rows: the rows take only the height their cells can use, and the
    input picture, on which a projector's audience follows the window, takes the rest."""
    model = preset_model(name)
    panel, _ = open_panel(qtbot, FilteringPanel, model)
    area = SidewaysScroll(panel)
    qtbot.addWidget(area)
    area.resize(*DOCK_1024)
    area.show()
    qtbot.waitExposed(area)
    panel.seek(40)
    for _ in range(4):
        QApplication.processEvents()
    grid = panel.input_grid
    rows, cols = grid.values.shape
    n_r, n_c = rows + 2 * grid._margin[0], cols + 2 * grid._margin[1]
    width_allows = min(grid.max_cell, int((grid.width() - 4) / n_c))
    assert grid.cell_size() == width_allows  # the height no longer holds the picture back
    if name == "shapes":  # one channel: the whole width is its own
        assert grid.cell_size() * n_r >= 160, f"the input is {grid.cell_size() * n_r:g} px tall"
    for row in panel.channel_rows.rows:  # the rows keep every pixel their cells can use
        if row.patch.isVisibleTo(panel):
            assert row.patch.height() >= row.patch.height_for(row.patch.width()) - 1
