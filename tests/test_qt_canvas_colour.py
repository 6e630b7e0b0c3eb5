"""The window's canvas for every kind of input: colour drawn in colour (the R, G, B input maps
follow the brush colour), rectangular grids with square cells and clicks landing in the right
cell, colour photos opened or dropped letterboxed or cropped (the choice remembered), and a
spectrogram's canvas labelled with its axes."""

import numpy as np
from PIL import Image
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QColor, QDropEvent
from test_qt_main_window import cell, drag

from convviz.qt import settings
from convviz.qt.panels.canvas import SPECTROGRAM_AXES


def hard_pen(w):
    c = w.session.canvas
    c.brush.size, c.brush.softness = 1.0, 0.0
    return c, w.canvas_panel.view


def test_a_red_brush_raises_red_where_drawn_and_not_green_or_blue(qtbot, make_window):
    w = make_window("tinyvgg", restore=False)
    c, view = hard_pen(w)
    colours = w.canvas_panel.colours
    assert colours.isVisible() and c.background == (0.0, 0.0, 0.0)
    qtbot.mouseClick(colours.swatches["red"], Qt.LeftButton)
    assert c.colour == (1.0, 0.0, 0.0) and colours.swatches["red"].isChecked()
    drag(qtbot, view, [(30, 10), (30, 50)])
    w.session.flush()
    x, (lo, hi) = w.session.trace.input, w.session.spec.value_range
    assert x.shape == (3, 64, 64)
    drawn = np.zeros((64, 64), bool)
    drawn[30, 10:51] = True
    np.testing.assert_array_equal(x[0], np.where(drawn, hi, lo))  # R up exactly where drawn
    assert (x[1:] == lo).all()  # G and B untouched on the black background
    # another colour over it: green where the two cross, the red elsewhere
    qtbot.mouseClick(colours.swatches["green"], Qt.LeftButton)
    drag(qtbot, view, [(20, 30), (40, 30)])
    w.session.flush()
    x = w.session.trace.input
    green = lo + (hi - lo) * 192 / 255  # the palette's green is #00c000
    np.testing.assert_allclose(x[:, 30, 30], [lo, green, lo], atol=1e-6)
    np.testing.assert_allclose(x[:, 30, 20], [hi, lo, lo])


def test_the_feature_maps_input_row_shows_the_red_stroke_in_r_only(qtbot, make_window):
    from convviz.qt.panels.feature_maps import INPUT

    w = make_window("tinyvgg", restore=False)
    _canvas, view = hard_pen(w)
    maps = w.panels["feature_maps"]
    w.session.flush()
    before = [maps.map_pixels(INPUT, i) for i in range(3)]
    qtbot.mouseClick(w.canvas_panel.colours.swatches["red"], Qt.LeftButton)
    drag(qtbot, view, [(30, 10), (30, 50)])
    w.session.flush()
    after = [maps.map_pixels(INPUT, i) for i in range(3)]
    assert not np.array_equal(before[0], after[0])  # the R map repainted with the stroke
    assert np.array_equal(before[1], after[1]) and np.array_equal(before[2], after[2])


def test_the_background_colour_and_a_picked_colour(qtbot, make_window, monkeypatch):
    import convviz.qt.widgets.canvas_colours as chooser

    w = make_window("resnet", restore=False)
    c, _view = hard_pen(w)
    colours = w.canvas_panel.colours
    monkeypatch.setattr(chooser.QColorDialog, "getColor", lambda *a, **k: QColor(255, 255, 255))
    colours.pick_background()
    w.session.flush()
    assert c.background == (1.0, 1.0, 1.0) and (w.session.trace.input == 1.0).all()  # 0..1 net
    monkeypatch.setattr(chooser.QColorDialog, "getColor", lambda *a, **k: QColor(102, 0, 204))
    colours.pick_brush_colour()
    assert c.colour == (0.4, 0.0, 0.8)
    assert not any(b.isChecked() for b in colours.swatches.values())  # not one of the palette
    monkeypatch.setattr(chooser.QColorDialog, "getColor", lambda *a, **k: QColor())  # cancelled
    colours.pick_brush_colour()
    assert c.colour == (0.4, 0.0, 0.8)


def test_the_colour_row_shows_for_colour_networks_only(make_window):
    w = make_window("shapes", restore=False)
    row = w.canvas_panel.colours
    assert not row.isVisible() and "28 × 28 pixels  ·" in w.canvas_panel.caption.text()
    w.choose_preset("cs231n")
    assert row.isVisible() and "5 × 5 pixels, colour" in w.canvas_panel.caption.text()
    w.choose_preset("lenet5")
    assert not row.isVisible()


def test_a_rectangular_canvas_has_square_cells_and_clicks_land_in_their_cell(qtbot, make_window):
    w = make_window("spectrogram", restore=False)
    c, view = hard_pen(w)
    for size in ((900, 400), (400, 900), (700, 700)):
        view.resize(*size)
        r, px = view.grid_rect(), view.cell_px()
        assert (r.width(), r.height()) == (px * 48, px * 32)  # square cells, letterboxed
        assert r.left() >= 0 and r.top() >= 0 and r.right() <= view.width()
        assert r.bottom() <= view.height()
    for row, col in ((0, 0), (31, 47), (5, 40), (28, 3)):
        qtbot.mouseClick(view, Qt.LeftButton, pos=cell(view, row, col))
        assert c.ink[row, col] == 1 and c.ink.sum() == 1, (row, col)
        c.clear()


def test_a_spectrogram_canvas_is_labelled_as_one(make_window):
    w = make_window("spectrogram", restore=False)
    panel = w.canvas_panel
    assert panel.view.axis_words == SPECTROGRAM_AXES and panel.kind_hint.isVisible()
    assert "32 × 48 pixels" in panel.caption.text()
    w.choose_preset("tinyvgg")
    assert panel.view.axis_words is None and not panel.kind_hint.isVisible()


def wide_photo(tmp_path):
    """90 x 30 pixels: red left third, green middle, blue right third."""
    a = np.zeros((30, 90, 3), np.uint8)
    a[:, :30, 0] = a[:, 30:60, 1] = a[:, 60:, 2] = 255
    path = tmp_path / "wide.png"
    Image.fromarray(a, "RGB").save(path)
    return str(path)


def test_a_colour_photo_opens_letterboxed_or_cropped_as_chosen(make_window, tmp_path):
    w = make_window("tinyvgg", restore=False)
    c, path = w.session.canvas, wide_photo(tmp_path)
    assert w.picture_fit() == "letterbox" and w.picture_fit_actions["letterbox"].isChecked()
    w.open_image(path)
    rgb = c.pixels
    assert rgb[:, :15].max() == 0 and rgb[:, -15:].max() == 0  # bars above and below
    np.testing.assert_allclose(rgb[:, 32, 5], [1, 0, 0])  # all three colours, in place
    np.testing.assert_allclose(rgb[:, 32, 32], [0, 1, 0])
    np.testing.assert_allclose(rgb[:, 32, 60], [0, 0, 1])
    w.picture_fit_actions["crop"].trigger()
    assert settings.remembered(settings.PICTURE_FIT, "") == "crop"
    w.open_image(path)
    np.testing.assert_allclose(c.pixels[1], 1.0)  # the photo's middle (green) fills the grid
    assert c.pixels[[0, 2]].max() == 0
    c.undo()  # each opened picture is one undo step
    np.testing.assert_array_equal(c.pixels, rgb)


def test_a_photo_dropped_on_a_colour_canvas_keeps_its_colour(make_window, tmp_path):
    w = make_window("cs231n", restore=False)
    view = w.canvas_panel.view
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(wide_photo(tmp_path))])
    pos = QPointF(view.width() / 2, view.height() / 2)
    view.dropEvent(QDropEvent(pos, Qt.CopyAction, data, Qt.LeftButton, Qt.NoModifier))
    w.session.flush()
    x, (lo, hi) = w.session.trace.input, w.session.spec.value_range
    assert x.shape == (3, 5, 5) and x[0, 2, 0] > x[1, 2, 0] and x[2, 2, 4] > x[1, 2, 4]
    assert lo <= x.min() and x.max() <= hi
