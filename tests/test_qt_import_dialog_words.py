"""The Open model questions say what is known before what is asked: with class names found
beside the file (labels.txt) it said "Two things the file does not say:" above them."""

from types import SimpleNamespace

import pytest

from convviz.qt.import_dialog import ImportQuestions


def imported(classes=("cat", "dog", "bird")):
    spec = SimpleNamespace(
        name="my", channels=1, classes=list(classes), input_shape=(28, 28), layers=[0] * 6
    )
    return SimpleNamespace(spec=spec)


@pytest.mark.parametrize(
    "range_said, found, says, never",
    [
        (False, ["cat", "dog", "bird"], ["class names were found", "input values"], ["Two"]),
        (False, None, ["Two things the file does not say", "class names"], ["found"]),
        (True, None, ["says what its input values are", "does not name its classes"], ["found"]),
        (True, ["cat", "dog", "bird"], ["says what its input values are", "were found"], ["not"]),
    ],
)
def test_the_intro_says_what_is_known(qtbot, range_said, found, says, never):
    d = ImportQuestions(None, imported(), range_said=range_said, found_classes=found)
    qtbot.addWidget(d)
    text = d.intro.text().split("classes. ", 1)[1]  # past the shape: what is known, asked
    for words in says:
        assert words in text
    for words in never:
        assert words not in text
    if found:
        assert d.classes_edit.text() == "cat, dog, bird"
