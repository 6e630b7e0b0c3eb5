"""Feature maps titles stay whole in a narrow dock: at 1024x768 the window's Feature maps dock
is about 290 px wide and the titles (name, sizes, what the layer did, the scale) once showed as
"conv1   16 × 16 × 16   after conv…", narrower still as "co…". Now they break into lines."""

from __future__ import annotations

import numpy as np
import pytest
from layout_audit import audit
from PySide6.QtCore import QPointF
from PySide6.QtGui import QFont, QFontMetricsF
from PySide6.QtWidgets import QApplication

from convviz.core.bundled import preset_model
from convviz.qt.panels.feature_maps import FeatureMapsPanel
from convviz.qt.widgets.title_lines import is_cut, title_lines

ELLIPSIS = "…"


@pytest.fixture(autouse=True)
def app_theme(qapp):
    """The app's own fonts (as test_qt_layout_sizes measures): the words a person sees."""
    from convviz.qt import theme

    kept = (qapp.style().name(), qapp.palette(), qapp.font(), qapp.styleSheet())
    theme.apply(qapp)
    yield
    qapp.setStyleSheet(kept[3])
    qapp.setFont(kept[2])
    qapp.setPalette(kept[1])
    qapp.setStyle(kept[0])


def settle(rounds: int = 6) -> None:
    for _ in range(rounds):
        QApplication.processEvents()


def picture(spec):
    x = np.random.default_rng(0).uniform(*spec.value_range, (spec.channels, *spec.input_shape))
    x = x.astype(np.float32)
    return x[0] if spec.channels == 1 else x


def check_titles(view) -> int:
    """Every shown title drawn whole (no "…"), each line within its width, no title running
    into the maps above it; returns how many titles took more than one line."""
    metrics = QFontMetricsF(view.font())
    drawn, dropped = view.painted_texts()
    assert drawn and not dropped
    for full, shown, _tip in drawn:
        assert shown == full, f"{full!r} drawn as {shown!r}"
    shown_rows = [v for v in view.layers.values() if v.visible and v.rect is not None]
    bottom = 0.0
    for v in shown_rows:
        assert not any(ELLIPSIS in line for line in v.lines), v.lines
        assert "".join("".join(v.lines).split()) == "".join(v.title.split())  # all, in order
        for line in v.lines:
            assert metrics.horizontalAdvance(line) <= v.title_w + 1, (line, v.title_w)
        top = v.rect.top() - metrics.height() * len(v.lines)
        assert top >= bottom, f"{v.name}'s title overlaps the row above"
        bottom = v.rect.bottom()
    return sum(len(v.lines) > 1 for v in shown_rows)


@pytest.mark.parametrize("name", ["shapes", "tinyvgg", "resnet"])
def test_no_title_is_elided_at_1024x768(make_window, name):
    w = make_window(name, restore=False)
    w.resize(1024, 768)
    w.reset_layout()
    settle()
    panel = w.findChildren(FeatureMapsPanel)[0]
    panel.show_trace(w.session.model.trace(picture(w.session.spec)))
    settle()
    assert panel.view.width() < 400  # the narrow dock the titles did not fit
    assert check_titles(panel.view) >= 3  # several titles needed a second line
    problems = [p for p in audit(w) if "MosaicView" in p]
    assert problems == []
    w.resize(1600, 1000)
    w.reset_layout()
    settle()
    check_titles(panel.view)


def test_a_very_narrow_dock_breaks_titles_at_words_and_dots(qtbot):
    """About 250 px (a dock squeezed beside several others): "residual1.batchnorm1" breaks
    after its dot rather than showing "re…"."""
    model = preset_model("resnet")
    panel = FeatureMapsPanel()
    qtbot.addWidget(panel)
    panel.set_model(model.spec)
    panel.resize(250, 700)
    panel.show()
    settle()
    panel.show_trace(model.trace(picture(model.spec)))
    settle()
    assert panel.view.width() < 200
    check_titles(panel.view)
    lines = panel.view.layers["residual1.batchnorm1"].lines
    assert lines[0] == "residual1." and lines[1] == "batchnorm1"
    v = panel.view.layers["residual2.conv1"]
    mid = QPointF(v.rect.left() + 5, v.rect.top() - 5)  # on its last title line
    assert panel.view.title_at(mid) == v.title  # its tooltip says the whole title
    assert panel.view.title_at(QPointF(v.rect.center())) is None  # (the maps: not a title)


def test_title_lines():
    font = QFont()
    font.setPointSize(10)
    m = QFontMetricsF(font)
    title = "conv1   16 × 16 × 16   after convolution   scale ±2"
    assert title_lines(title, m, m.horizontalAdvance(title)) == [title]
    two = title_lines(title, m, m.horizontalAdvance("after convolution   scale ±2") + 1)
    assert two == ["conv1   16 × 16 × 16", "after convolution   scale ±2"]
    narrow = title_lines(title, m, m.horizontalAdvance("convolution") + 1)
    assert " ".join(narrow).split() == title.split() and not is_cut(title, narrow)  # no dots
    assert "after" in narrow and "convolution" in narrow  # words of a part, line by line
    cut = title_lines("batchnorm1   1 × 2 × 2", m, m.horizontalAdvance("batch"))
    assert cut[0].endswith(ELLIPSIS) and is_cut("batchnorm1   1 × 2 × 2", cut)
