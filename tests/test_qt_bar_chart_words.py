"""The bar chart says which words it paints and which it had to leave out (painted_texts), so
the layout check can see inside it; a cut label has its whole text as the row's tooltip."""

import numpy as np
from layout_audit import audit

from convviz.qt import theme
from convviz.qt.widgets.bar_chart import BarChart, Bars


def _chart(qtbot, w, h, labels, readable_rows=False):
    chart = BarChart(rows=len(labels), readable_rows=readable_rows)
    qtbot.addWidget(chart)
    chart.show_bars(
        Bars(
            labels,
            np.linspace(-1, 1, len(labels)).astype(np.float32),
            [theme.RAISED] * len(labels),
            texts=[f"{v:+.2f}" for v in np.linspace(-1, 1, len(labels))],
            span=(-1.1, 1.1),
        )
    )
    chart.resize(w, h)
    chart.show()
    return chart


def test_roomy_rows_report_every_label_and_value(qtbot):
    labels = [f"input {i}" for i in range(10)]
    chart = _chart(qtbot, 400, 400, labels)
    drawn, dropped = chart.painted_texts()
    assert dropped == [] and [d[0] for d in drawn[::2]] == labels
    assert all(full == shown for full, shown, _ in drawn)
    assert audit(chart) == []


def test_squeezed_rows_report_what_they_leave_out_and_the_audit_fails(qtbot):
    labels = [f"input {i}" for i in range(10)]
    chart = _chart(qtbot, 300, 80, labels)  # 6 px a row: bars only
    drawn, dropped = chart.painted_texts()
    assert drawn == [] and dropped[:2] == ["input 0", "-1.00"] and len(dropped) == 20
    problems = audit(chart)
    assert len(problems) == 1 and "leaves out 20 of its words" in problems[0]


def test_readable_rows_keep_a_minimum_height_that_keeps_the_words(qtbot):
    labels = [f"input {i}" for i in range(10)]
    chart = _chart(qtbot, 300, 80, labels, readable_rows=True)
    chart.resize(300, chart.minimumSizeHint().height())
    assert chart.painted_texts()[1] == [] and audit(chart) == []


def test_a_cut_label_has_its_whole_text_as_the_rows_tooltip(qtbot):
    long = "a very long input name " * 6
    chart = _chart(qtbot, 240, 200, [long, "short"])
    drawn, dropped = chart.painted_texts()
    assert dropped == []
    full, shown, tip = drawn[0]
    assert full == long and shown != long and shown.endswith("…") and tip == long
    assert chart.row_tooltip(1) == "" and audit(chart) == []
