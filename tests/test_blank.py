""" "Blank" is defined once (core/blank.is_blank): the unsure judgement and the votes panel
agree on which drawings are nothing drawn (issue 12)."""

import numpy as np

from convviz.core.blank import is_blank
from convviz.core.unsure import judge

RANGE = (-1.0, 1.0)


def test_a_stray_dot_is_blank_for_the_judgement_as_for_the_canvas():
    dot = np.full((28, 28), -1.0, np.float32)
    dot[10, 10] = 1.0  # one cell of 784: below the blank share of ink
    assert is_blank(dot, RANGE)
    assert judge([10.0, 0.0, 0.0], dot, RANGE, None) == (True, "nothing drawn: the input is blank")
    stroke = dot.copy()
    stroke[5:20, 10] = 1.0  # 15 cells: a drawing
    assert not is_blank(stroke, RANGE)
    assert judge([10.0, 0.0, 0.0], stroke, RANGE, None)[1] != "nothing drawn: the input is blank"
