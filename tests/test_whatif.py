"""What if: switching off a feature map or neuron changes exactly what lies downstream of it; a
kernel drawn by hand survives export and reload, and the file says it was edited."""

import numpy as np
import pytest

from convviz.core.bundled import preset_model
from convviz.core.errors import DataError, SpecError
from convviz.core.shapes_data import render_shape
from convviz.core.weights import load_model, save_model
from convviz.core.whatif import Edits


@pytest.fixture
def shapes():
    return preset_model("shapes")


def drawing():
    return render_shape("triangle", 28, np.random.default_rng(5)) * 2 - 1


def test_switching_off_a_map_changes_exactly_the_downstream_maps(shapes):
    before = shapes.trace(drawing())
    edits = Edits(shapes)
    edits.switch_off("conv1", 3)
    after = shapes.trace(drawing())
    names = [lt.name for lt in after.layers]
    for name in ("conv1", "relu1", "pool1"):  # the same layer and its ReLU and pooling
        b, a = before.layer(name).values, after.layer(name).values
        assert (a[3] == 0).all() and not (b[3] == 0).all()
        others = [c for c in range(a.shape[0]) if c != 3]
        np.testing.assert_array_equal(a[others], b[others])  # every other map untouched
    for name in names[names.index("conv2") :]:  # everything after reads the missing map
        assert not np.array_equal(before.layer(name).values, after.layer(name).values), name
    assert shapes.edits == ["conv1 map 4 switched off"]
    assert edits.undo() and not edits.edited
    np.testing.assert_array_equal(shapes.trace(drawing()).votes, before.votes)


def test_switching_off_a_neuron_and_reset(shapes):
    before = shapes.trace(drawing())
    edits = Edits(shapes)
    edits.switch_off("fc1", 10)
    edits.switch_off("conv2", 0)
    after = shapes.trace(drawing())
    assert after.layer("fc1").values[10] == 0 and after.layer("relu3").values[10] == 0
    np.testing.assert_array_equal(after.layer("conv1").values, before.layer("conv1").values)
    assert len(shapes.edits) == 2 and edits.editable() == [("conv1", 8), ("conv2", 16), ("fc1", 64)]
    edits.reset()
    assert shapes.edits == [] and not edits.undo()
    np.testing.assert_array_equal(shapes.trace(drawing()).votes, before.votes)


def test_refusals(shapes):
    edits = Edits(shapes)
    with pytest.raises(SpecError, match="no layer 'pool1' to edit"):
        edits.switch_off("pool1", 0)
    with pytest.raises(SpecError, match="no layer 'votes'"):
        edits.switch_off("votes", 0)
    with pytest.raises(DataError, match="conv1 has 8 maps"):
        edits.switch_off("conv1", 8)
    with pytest.raises(DataError, match="feature is 1x5x5, got 1x3x3"):
        edits.set_kernel("conv1", 0, np.ones((3, 3)))
    with pytest.raises(DataError, match="finite"):
        edits.set_kernel("conv1", 0, np.full((5, 5), np.nan))
    assert not edits.edited


@pytest.mark.parametrize("suffix", [".safetensors", ".pt", ".onnx"])
def test_a_hand_drawn_kernel_survives_export_and_reload(shapes, tmp_path, suffix):
    x = np.eye(5) * 2 - 1  # a diagonal line, as the deck drew its features
    Edits(shapes).set_kernel("conv1", 2, x)
    edited = shapes.trace(drawing())
    path = save_model(shapes, tmp_path / f"edited{suffix}")
    loaded, _ = load_model(path)
    np.testing.assert_array_equal(loaded.snapshot()["layers.0.weight"][2, 0], x)
    assert loaded.edits == ["conv1 feature 3 drawn by hand"]
    np.testing.assert_allclose(loaded.trace(drawing()).votes, edited.votes, rtol=1e-5, atol=1e-5)
    # editing a loaded, edited network keeps the earlier marks; reset keeps its weights
    more = Edits(loaded)
    more.switch_off("conv1", 0)
    assert loaded.edits == ["conv1 feature 3 drawn by hand", "conv1 map 1 switched off"]
    more.reset()
    assert loaded.edits == ["conv1 feature 3 drawn by hand"]


def test_unedited_files_carry_no_mark(shapes, tmp_path):
    save_model(shapes, tmp_path / "plain.safetensors")
    assert load_model(tmp_path / "plain.safetensors")[0].edits == []


def test_switching_off_where_a_panel_shows_it(shapes):
    e = Edits(shapes)
    assert [e.maker(n) for n in ("conv1", "relu1", "pool1", "conv2", "pool2", "relu3")] == [
        "conv1",
        "conv1",
        "conv1",
        "conv2",
        "conv2",
        "fc1",
    ]
    e.switch_off_shown("pool1", 2)  # the pooled map 3 is conv1's map 3
    assert shapes.layers[0].weight[2].abs().sum() == 0
    e.switch_off_vote_input(5)  # the votes read relu3: fc1's neuron 6
    assert shapes.edits[-1] == "fc1 neuron 6 switched off"
    with pytest.raises(SpecError):
        e.maker("flatten0")


def test_unedited_votes_come_from_the_network_before_the_first_edit(shapes):
    image = np.random.default_rng(1).uniform(-1, 1, (28, 28)).astype(np.float32)
    before = shapes.trace(image).votes
    e = Edits(shapes)
    assert e.unedited_votes(image) is None
    e.switch_off("conv2", 0)
    e.switch_off("fc1", 3)
    assert not np.allclose(shapes.trace(image).votes, before)
    np.testing.assert_allclose(e.unedited_votes(image), before, rtol=1e-5, atol=1e-6)
    e.reset()
    assert e.unedited_votes(image) is None


def test_an_input_of_the_votes_read_from_a_flattened_map_switches_off_that_map():
    xo = preset_model("xo")  # the votes read pool1 (3 maps of 4x4) flattened
    Edits(xo).switch_off_vote_input(2 * 16 + 5)  # a cell of the third map
    assert xo.edits == ["conv1 map 3 switched off"]
