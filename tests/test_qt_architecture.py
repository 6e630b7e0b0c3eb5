"""The architecture panel: the layer list editor (rows, fields typed in place, blocks), every
row's shape, parameters and formula or its reason, the quick start, Apply and the offer."""

from dataclasses import replace

import numpy as np
import pytest
from PySide6.QtCore import Qt

from convviz.core.knobs import Knobs, apply_knobs, knobs_from_spec
from convviz.core.layers import Conv, MaxPool, ReLU, Residual
from convviz.core.presets import preset
from convviz.core.spec import Dense, Flatten, NetworkSpec
from convviz.qt.panels.architecture import ArchitecturePanel


@pytest.fixture
def panel(qtbot):
    p = ArchitecturePanel()
    qtbot.addWidget(p)
    p.resize(640, 700)
    p.set_model(preset("shapes"))
    return p


def results(p):
    """Each row's number and what it says under it, in order; the votes last."""
    ed = p.editor
    rows = [(".".join(str(i + 1) for i in path), ed.lines[path].result.text()) for path in ed.lines]
    return [*rows, ("votes", ed.votes.result.text())]


def add_row(qtbot, p, kind, **typed):
    ed = p.editor
    ed.add_kind.setCurrentIndex(ed.add_kind.findData(kind))
    qtbot.mouseClick(ed.add_button, Qt.MouseButton.LeftButton)
    path = ed.selected()[-1]
    for name, text in typed.items():
        field = ed.lines[path].fields[name]
        field.selectAll()
        qtbot.keyClicks(field, text)
    return path


def tick(p, *paths):
    p.editor.select(paths)


def empty(p, spec):
    """A network with no layers yet: the editor starts from its input alone."""
    p.set_model(spec)
    while p.editor.lines:
        tick(p, (0,))
        p.editor.remove()


def test_shows_the_current_network_row_by_row(panel):
    spec = preset("shapes")
    shapes = spec.shapes()
    said = results(panel)
    assert [n for n, _ in said] == [str(i + 1) for i in range(len(spec.layers))] + ["votes"]
    assert said[0][1] == (
        f"→ 8×28×28 · {shapes[0].params} parameters · (28 - 5 + 2·2)/1 + 1 = 28 · "
        "8·1·5·5 = 200 (+8\u00a0biases)"
    )
    assert said[-1][1].startswith("→ 6 · ")
    assert [panel.editor.inputs[k].text() for k in ("rows", "cols", "channels")] == ["28"] * 2 + [
        "1"
    ]
    assert "This is the current network" in panel.status.text()
    assert not panel.apply_button.isEnabled()
    assert panel.knobs() == knobs_from_spec(spec)
    assert not panel.quick_form.isVisibleTo(panel)  # the quick start is folded away


def test_the_editor_builds_a_residual_network_row_by_row(qtbot, panel):
    empty(panel, NetworkSpec("mine", 12, 1, (-1.0, 1.0), (Flatten(),), ("x", "o")))
    add_row(qtbot, panel, "conv", features="4", size="3", padding="1")
    add_row(qtbot, panel, "relu")
    add_row(qtbot, panel, "conv", features="4", size="3", padding="1")
    add_row(qtbot, panel, "relu")
    tick(panel, (2,), (3,))
    qtbot.mouseClick(panel.editor.wrap_button, Qt.MouseButton.LeftButton)
    tick(panel, (2,))
    add_row(qtbot, panel, "pool", window="2", stride="2")
    add_row(qtbot, panel, "flatten")
    add_row(qtbot, panel, "fc", neurons="16")
    inner = (Conv(4, 3, padding=1), ReLU())
    want = (Conv(4, 3, padding=1), ReLU(), Residual(inner), MaxPool(2, 2), Flatten(), Dense(16))
    assert panel.result.ok and panel.result.spec.layers == want
    said = dict(results(panel))
    assert said["3"].startswith("→ 4×12×12 · 148 parameters") and "skip path" in said["3"]
    assert said["3.1"].startswith("→ 4×12×12 · 148 parameters · (12 - 3 + 2·1)/1 + 1 = 12")
    assert said["4"].startswith("→ 4×6×6") and said["6"].startswith("→ 16 · 2,320 parameters")
    assert (
        panel.editor.lines[(2, 0)].layout().contentsMargins().left()
        > panel.editor.lines[(2,)].layout().contentsMargins().left()
    )  # the block's rows are indented under it
    assert panel.apply_button.isEnabled() and "Apply to make" in panel.status.text()


def test_an_impossible_row_is_refused_with_its_reason_in_the_row(qtbot, panel):
    empty(panel, NetworkSpec("small", 5, 1, (-1.0, 1.0), (Flatten(),), ("x", "o")))
    add_row(qtbot, panel, "conv", features="2", size="9")
    add_row(qtbot, panel, "flatten")
    row = panel.editor.lines[(0,)]
    assert row.state == "refused" and not panel.apply_button.isEnabled()
    text = row.result.text()
    assert text.startswith("✗ Not possible: layer 1 (conv1): a 9x9 feature does not fit")
    assert "5x5" in text and "9 > 5" in text  # the layer and the dimension, in words
    assert panel.editor.lines[(1,)].state == "unknown"
    assert "Unknown" in panel.editor.lines[(1,)].result.text()
    assert text.removeprefix("✗ Not possible: ") in panel.status.text()
    field = row.fields["size"]
    field.selectAll()
    qtbot.keyClicks(field, "3")  # updated as the person types
    assert panel.editor.lines[(0,)].state == "ok" and panel.apply_button.isEnabled()
    assert panel.editor.lines[(0,)].result.text().startswith("→ 2×3×3")


def test_a_kind_chosen_in_place_brings_its_own_fields(qtbot, panel):
    row = panel.editor.lines[(2,)]
    row.kind.setCurrentIndex(row.kind.findData("avgpool"))
    row = panel.editor.lines[(2,)]
    assert row.row.kind == "avgpool" and set(row.fields) == {"window", "stride", "edge"}
    assert row.fields["window"].text() == "2"  # a field of the same name keeps its text
    row.kind.setCurrentIndex(row.kind.findData("leakyrelu"))
    row = panel.editor.lines[(2,)]
    assert set(row.fields) == {"slope"} and row.fields["slope"].placeholderText() == "0.01"
    assert panel.result.ok and panel.result.spec.layers[2].kind == "leakyrelu"


def test_remove_duplicate_move_and_unwrap(qtbot, panel):
    ed = panel.editor
    tick(panel, (0,))
    ed.duplicate()
    assert [r.kind for r in ed.model.rows[:2]] == ["conv", "conv"] and ed.selected() == [(1,)]
    ed.remove()
    tick(panel, (1,))
    ed.move(-1)
    assert ed.model.rows[0].kind == "relu" and ed.selected() == [(0,)]
    ed.move(+1)
    tick(panel, (0,), (1,), (2,))
    ed.wrap()
    assert ed.model.rows[0].is_block
    assert ed.lines[(0,)].title.text().startswith("residual block")
    ed.unwrap()
    assert panel.result.spec == preset("shapes") and not panel.apply_button.isEnabled()
    tick(panel, (0,), (4,))
    ed.wrap()
    assert "follow each other" in ed.message.text()


def test_the_quick_start_fills_the_list(panel):
    panel.blocks.setValue(3)
    assert [s.value() for s in panel.feature_spins] == [8, 16, 32]
    panel.feature_spins[0].setValue(4)
    panel.neurons.setText("100, 50")
    want = apply_knobs(preset("shapes"), Knobs((4, 16, 32), 5, 1, 2, 2, 2, (100, 50)))
    assert panel.result.spec == replace(want, name="shapes-edited")  # no longer the preset
    assert [r.kind for r in panel.editor.model.rows] == [x.kind for x in want.layers]
    panel.neurons.setText("64, lots")
    assert not panel.apply_button.isEnabled() and "whole numbers" in panel.status.text()
    panel.neurons.setText("")
    assert panel.apply_button.isEnabled() and panel.editor.model.rows[-1].kind == "flatten"
    panel.reset_button.click()
    assert panel.result.spec == preset("shapes")


def test_the_quick_start_keeps_the_edge_of_a_network_that_drops_it(panel):
    # a Keras tutorial's stack ("valid" pooling: 26 -> 13, 11 -> 5), filled from the quick start
    keras = apply_knobs(preset("shapes"), Knobs((8, 16), 3, 1, 0, 2, 2, (), "keep", "drop"))
    panel.set_model(keras)
    assert panel.note.text() == "" and panel.quick.pool_edge.currentData() == "drop"
    panel.feature_spins[1].setValue(12)  # a knob turned: the list is filled again
    pools = [la for la in panel.result.spec.layers if isinstance(la, MaxPool)]
    assert [p.edge for p in pools] == ["drop", "drop"]
    assert panel.result.spec.shapes()[-2].shape == (12 * 5 * 5,)
    # and the person may choose it: the first pooling's map is cut to 13 either way, the
    # second's 11 becomes 6 when the window hanging over is counted
    panel.quick.pool_edge.setCurrentIndex(panel.quick.pool_edge.findData("keep"))
    assert panel.result.spec.shapes()[-2].shape == (12 * 6 * 6,)
    panel.quick.conv_edge.setCurrentIndex(panel.quick.conv_edge.findData("drop"))
    assert {la.edge for la in panel.result.spec.layers if isinstance(la, Conv)} == {"drop"}


def test_the_quick_start_says_why_it_cannot_make_a_network(panel):
    plain = apply_knobs(preset("shapes"), Knobs((8, 16), 3, 1, 0, 2, 2))
    layers = list(plain.layers)
    layers[5] = MaxPool(2, 2, "drop")  # the second pooling drops the edge, the first keeps it
    panel.set_model(replace(plain, layers=tuple(layers)))
    assert panel.note.text().startswith(
        "This network is not a plain stack of blocks the quick start can make: pool2's edge is drop"
    )
    panel.set_model(preset("resnet"))
    assert "batchnorm1" in panel.note.text()


def test_apply_emits_the_spec_and_its_origins_and_offers_training(panel, qtbot):
    field = panel.editor.lines[(3,)].fields["features"]
    field.setText("12")
    field.textEdited.emit("12")
    want = panel.result.spec
    with qtbot.waitSignal(panel.apply_requested) as applied:
        panel.apply_button.click()
    assert applied.args == [want] and want.layers[3].features == 12
    assert panel.applied_origins["conv2"] == "conv2" and panel.applied_origins["votes"] == "votes"
    assert "Building" in panel.status.text() and not panel.offer.isVisibleTo(panel)
    panel.apply_ended(True)
    assert panel.offer.isVisibleTo(panel)
    with qtbot.waitSignal(panel.train_requested) as train:
        panel.train_button.click()
    assert train.args == [want] and not panel.offer.isVisibleTo(panel)
    panel.set_model(want)  # the main window rebuilds with the new network
    assert "This is the current network" in panel.status.text()


def test_xo_keeps_its_features_while_they_fit(panel):
    panel.set_model(preset("xo"))
    panel.padding.setValue(1)
    assert panel.result.ok and panel.result.spec.layers[0].fixed is not None
    panel.feature_spins[0].setValue(4)
    assert panel.result.ok and panel.result.spec.layers[0].fixed is None


@pytest.mark.parametrize(
    "name, shape", [("cs231n", (5, 5, 3)), ("tinyvgg", (64, 64, 3)), ("spectrogram", (32, 48, 1))]
)
def test_colour_and_rectangular_networks_fill_the_list(panel, name, shape):
    spec = preset(name)
    panel.set_model(spec)
    ed = panel.editor
    assert tuple(int(ed.inputs[k].text()) for k in ("rows", "cols", "channels")) == shape
    assert panel.result.ok and panel.result.spec == spec
    assert all(line.state == "ok" for line in ed.lines.values())
    assert "This is the current network" in panel.status.text()
    if name == "spectrogram":
        assert "spectrogram" in ed.input_note.text()
    ed.inputs["channels"].setText("1")
    ed.inputs["channels"].textEdited.emit("1")
    # one channel instead of three: the same layers fit; a changed network can be applied
    assert panel.result.ok and panel.result.spec.channels == 1
    assert panel.apply_button.isEnabled() == (shape[2] != 1)


def test_the_resnet_preset_shows_its_blocks_and_skip_paths(panel):
    spec = preset("resnet")
    panel.set_model(spec)
    ed = panel.editor
    blocks = [p for p in ed.lines if len(p) == 1 and ed.model.row(p).is_block]
    assert len(blocks) == 3 and (blocks[1] + (0,)) in ed.lines
    said = ed.lines[blocks[1]].result.text()
    assert "skip path: 1×1 convolution, 32 features, stride 2×2" in said
    assert panel.result.spec == spec and not panel.apply_button.isEnabled()


def test_a_rectangular_colour_network_shows_its_rows_and_cols(panel):
    panel.set_model(
        NetworkSpec(
            "rect", (12, 20), 3, (0.0, 1.0), (Conv(4, (3, 5)), ReLU(), Flatten()), ("a", "b")
        )
    )
    ed = panel.editor
    assert ed.lines[(0,)].fields["size"].text() == "3x5"
    assert ed.lines[(0,)].result.text().startswith("→ 4×10×16")
    assert (ed.inputs["low"].text(), ed.inputs["high"].text()) == ("0", "1")


def test_apply_in_the_window_makes_the_new_network_classify_the_canvas(qtbot, make_window):
    w = make_window()
    arch = w.panels["architecture"]
    before = w.session.model
    ed = arch.editor
    for _ in range(3):  # conv2, relu2, pool2 go
        tick(arch, (3,))
        ed.remove()
    tick(arch, (1,))  # after relu1: a block of a convolution and a ReLU
    add_row(qtbot, arch, "conv", features="8", size="3", padding="1")
    add_row(qtbot, arch, "relu")
    tick(arch, (2,), (3,))
    qtbot.mouseClick(ed.wrap_button, Qt.MouseButton.LeftButton)
    assert arch.result.ok, arch.result.reason
    want = arch.result.spec
    assert [x.kind for x in want.layers] == [
        "conv",
        "relu",
        "residual",
        "pool",
        "flatten",
        "fc",
        "relu",
    ]
    arch.apply_button.click()
    s = w.session
    # no longer the preset it started from: the title, the status line and files say so
    assert want.name == f"{before.spec.name}-edited"
    assert s.model is not before and s.spec == want and s.model.spec == want
    assert w.windowTitle().endswith(want.name)
    assert w.statusBar().currentMessage() == (
        "Kept the weights of conv1, votes (same shapes); residual1.conv1, fc1 start untrained."
    )
    np.testing.assert_array_equal(s.snapshot.weight("conv1"), before.snapshot().weight("conv1"))
    s.canvas.begin_stroke(10, 10)
    s.canvas.stroke_to(18, 18)
    s.canvas.end_stroke()
    s.flush()
    assert s.trace is not None and s.trace.spec == want  # the new network read the canvas
    np.testing.assert_array_equal(s.trace.input[0], s.canvas.as_input())
    again = s.model.trace(s.canvas.as_input())
    np.testing.assert_allclose(s.trace.layers[-1].values, again.layers[-1].values, rtol=1e-5)
    assert [lt.name for lt in s.trace.layers] == [sh.name for sh in want.shapes()]


def test_a_kind_registered_anywhere_is_offered_in_the_editor(qtbot, panel):
    from test_layer_rows import TwiceKind

    from convviz.core.layers import register, unregister

    register(TwiceKind())
    try:
        from convviz.qt.widgets.layer_list import LayerListEditor

        ed = LayerListEditor()
        qtbot.addWidget(ed)
        ed.set_spec(preset("shapes"))
        assert ed.add_kind.findData("twice") >= 0
        ed.select([(1,)])
        ed.add_kind.setCurrentIndex(ed.add_kind.findData("twice"))
        ed.add()
        row = ed.lines[(2,)]
        assert row.row.kind == "twice" and list(row.fields) == ["times"]
        assert row.fields["times"].placeholderText() == "2"
        assert row.kind.findData("twice") >= 0 and ed.checked.ok
        assert row.result.text().startswith("→ 8×28×28 · 0 parameters · x 2")
    finally:
        unregister("twice")


def test_the_offer_to_train_reads_whole_at_1024_by_768(qtbot, make_window):
    """The offer's sentence spans the dock with its buttons under it; beside them it was a
    narrow column ("now?" cut off) that squeezed the layer list to one row."""
    w = make_window()
    w.resize(1024, 768)
    w.docks["architecture"].show()
    w.docks["architecture"].raise_()
    arch = w.panels["architecture"]
    arch.feature_spins[0].setValue(arch.feature_spins[0].value() + 2)
    arch.apply_button.click()
    qtbot.waitUntil(lambda: arch.offer.isVisible())
    qtbot.wait(20)  # laid out
    text, offer = arch.offer_text, arch.offer
    assert text.width() >= 0.8 * offer.contentsRect().width()
    assert text.height() >= text.heightForWidth(text.width())  # every line shows
    assert arch.train_button.y() >= text.geometry().bottom()  # the buttons under the sentence


def test_hand_made_features_read_as_words_not_the_tail_of_a_list(qtbot):
    """The xo network's first row showed "fixed 0,-1.0,-1.0]]]": the end of a nested list in a
    small field. Now words, the numbers in the tooltip, and Clear empties the field."""
    from PySide6.QtWidgets import QLineEdit

    p = ArchitecturePanel()
    qtbot.addWidget(p)
    p.resize(640, 700)
    p.set_model(preset("xo"))
    p.show()
    row = p.editor.lines[(0,)]
    shown = [e.text() for e in row.findChildren(QLineEdit) if e.isVisibleTo(row)]
    assert not [t for t in shown if "[" in t or "]" in t]
    box = row.field_boxes["fixed"]
    assert box.summary.text() == "3 grids of 3×3 weights" and box.summary.isVisibleTo(row)
    assert "1:\n1  -1  -1\n-1  1  -1\n-1  -1  1" in box.summary.toolTip()
    assert p.editor.model.rows[0].text("fixed").startswith("[[[")  # kept, as it was
    box.clear_button.click()
    assert p.editor.model.rows[0].text("fixed") == ""
    assert box.edit.isVisibleTo(row) and not box.summary.isVisibleTo(row)
    assert "Not possible" not in row.result.text()
