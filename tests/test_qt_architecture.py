"""The architecture panel: shapes and refusals from the core, Apply and the offer to train."""

import pytest

from convviz.core.knobs import Knobs, check, knobs_from_spec
from convviz.core.presets import preset
from convviz.qt.panels.architecture import ArchitecturePanel


@pytest.fixture
def panel(qtbot):
    p = ArchitecturePanel()
    qtbot.addWidget(p)
    p.resize(640, 640)
    p.set_model(preset("shapes"))
    return p


def table(p):
    return [[p.table.item(r, c).text() for c in range(4)] for r in range(p.table.rowCount())]


def test_shows_the_current_network(panel):
    spec = preset("shapes")
    rows = table(panel)
    shapes = spec.shapes()
    assert rows[0][:2] == ["input", "1×28×28"]
    assert [r[1] for r in rows[1:]] == ["×".join(map(str, s.shape)) for s in shapes]
    assert rows[1][2] == f"{shapes[0].params:,}" and rows[1][3] == (
        "(28 - 5 + 2·2)/1 + 1 = 28; 8·1·5·5 = 200 (+8\u00a0biases)"
    )
    assert "This is the current network" in panel.status.text()
    assert not panel.apply_button.isEnabled()
    assert panel.knobs() == knobs_from_spec(spec)


def test_impossible_combination_is_refused_in_place(panel):
    panel.stride.setValue(2)  # (28 - 5 + 4)/2 + 1 = 14.5
    assert not panel.apply_button.isEnabled()
    spec_error = check(preset("shapes"), panel.knobs()).error
    assert "14.5" in spec_error and spec_error in panel.status.text()
    last = table(panel)[-1]
    assert last[1] == "refused" and last[3] == spec_error and "layer 1" in last[0]
    panel.padding.setValue(1)  # (28 - 5 + 2)/2 + 1 = 13.5 still refused
    assert not panel.apply_button.isEnabled()
    panel.size.setValue(4)  # (28 - 4 + 2)/2 + 1 = 14 fits, but then (7 - 4 + 2)/2 + 1 = 3.5
    assert not panel.apply_button.isEnabled() and "conv2" in panel.status.text()
    rows = table(panel)
    assert rows[3][:2] == ["pool1 (max pooling)", "8×7×7"] and "layer 4" in rows[-1][0]
    panel.blocks.setValue(1)
    assert panel.apply_button.isEnabled() and panel.result.ok


def test_apply_emits_the_spec_and_offers_training(panel, qtbot):
    panel.blocks.setValue(3)
    assert [s.value() for s in panel.feature_spins] == [8, 16, 32]
    panel.feature_spins[0].setValue(4)
    panel.neurons.setText("100, 50")
    want = check(preset("shapes"), Knobs((4, 16, 32), 5, 1, 2, 2, 2, (100, 50))).spec
    with qtbot.waitSignal(panel.apply_requested) as applied:
        panel.apply_button.click()
    assert applied.args == [want]
    # built in the background: the panel says it works, and offers training once it is made
    assert "Building" in panel.status.text() and not panel.offer.isVisibleTo(panel)
    panel.apply_ended(True)
    assert panel.offer.isVisibleTo(panel)
    with qtbot.waitSignal(panel.train_requested) as train:
        panel.train_button.click()
    assert train.args == [want] and not panel.offer.isVisibleTo(panel)
    panel.set_model(want)  # the main window rebuilds with the new network
    assert "This is the current network" in panel.status.text()


def test_unreadable_neurons_disable_apply(panel):
    panel.size.setValue(3)
    assert panel.apply_button.isEnabled()
    panel.neurons.setText("64, lots")
    assert not panel.apply_button.isEnabled() and "whole numbers" in panel.status.text()
    panel.neurons.setText("")
    assert panel.apply_button.isEnabled() and table(panel)[-1][0].startswith("votes")


def test_xo_keeps_its_features_while_they_fit(panel):
    panel.set_model(preset("xo"))
    panel.padding.setValue(1)
    assert panel.result.ok and panel.result.spec.layers[0].fixed is not None
    panel.feature_spins[0].setValue(4)
    assert panel.result.ok and panel.result.spec.layers[0].fixed is None


def test_layer_names_read_their_kinds_declarations(panel):
    from convviz.core.layers import kind_named

    conv, pool = kind_named("conv"), kind_named("pool")
    assert panel.table.item(1, 0).text() == f"conv1 ({conv.label})"
    assert pool.description in panel.table.item(3, 0).toolTip()


def test_a_rectangular_colour_network_shows_its_rows_and_cols(panel):
    from convviz.core.spec import Conv, Flatten, NetworkSpec, ReLU

    panel.set_model(
        NetworkSpec(
            "rect", (12, 20), 3, (0.0, 1.0), (Conv(4, (3, 5)), ReLU(), Flatten()), ("a", "b")
        )
    )
    assert table(panel)[0][:2] == ["input", "3×12×20"]
