"""The training dialog's Custom network is the Architecture panel's layer list editor."""

from layout_audit import audit
from PySide6.QtWidgets import QApplication

from convviz.core.presets import preset
from convviz.core.spec import NetworkSpec
from convviz.qt.training.dialog import TrainDialog
from convviz.qt.training.dialog_network import CUSTOM
from convviz.qt.widgets.layer_list import LayerListEditor


def _custom(dialog):
    dialog.network.setCurrentIndex(dialog.network.findData(CUSTOM))
    return dialog.knobs_box


def test_custom_starts_from_the_network_chosen_before_and_refuses_what_does_not_fit(
    qtbot, make_window
):
    w = make_window()
    d = TrainDialog(w, current_model=w.session.model, samples=True)
    qtbot.addWidget(d)
    editor = _custom(d)
    assert isinstance(editor, LayerListEditor) and editor.isVisibleTo(d)
    assert d.base_spec() == w.session.spec  # the current network's rows, to edit
    size = editor.lines[(0,)].fields["size"]
    size.setText("40")
    size.textEdited.emit("40")
    assert not d.train_button.isEnabled()
    assert "layer 1 (conv1)" in d.message.text() and "40x40" in d.message.text()
    assert "Not possible" in editor.lines[(0,)].result.text()
    size.setText("3")
    size.textEdited.emit("3")
    assert d.train_button.isEnabled() and d.base_spec().layers[0].size == 3
    job = d.job()
    assert job.model.spec.layers[0].size == 3 and job.model.spec.classes == w.session.spec.classes


def test_a_colour_network_can_be_made_for_training(qtbot):
    d = TrainDialog(None, network=preset("tinyvgg"), samples=True)
    qtbot.addWidget(d)
    editor = _custom(d)
    assert d.base_spec() == preset("tinyvgg")
    assert editor.inputs["channels"].text() == "3"
    d.knobs_box.inputs["rows"].setText("32")
    d.knobs_box.inputs["rows"].textEdited.emit("32")
    spec = d.base_spec()
    assert isinstance(spec, NetworkSpec) and spec.input_shape == (32, 64)


def test_the_dialog_with_the_editor_open_keeps_every_word(qtbot, make_window):
    w = make_window()
    d = TrainDialog(w, current_model=w.session.model, samples=True)
    qtbot.addWidget(d)
    _custom(d)
    d.show()
    for _ in range(4):
        QApplication.processEvents()
    problems = audit(d)
    assert not problems, "\n".join(problems)
