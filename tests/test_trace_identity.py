"""A trace and a weights snapshot say which network made them (issue 13, item 2): weights are
read by layer name, never by torch key names outside the core, and a panel tells a trace of the
network it shows from one of another network by identity, never by comparing shapes."""

import dataclasses
import pickle
import re
from pathlib import Path

import numpy as np
import pytest

from convviz.core.network import build
from convviz.core.presets import preset
from convviz.core.snapshot import WeightsSnapshot, network_id

DECK_X = np.full((9, 9), -1.0, np.float32)
np.fill_diagonal(DECK_X, 1.0)
DECK_X[np.arange(9), 8 - np.arange(9)] = 1.0


def test_weights_are_read_by_layer_name():
    model = build(preset("shapes"), seed=0)
    snap = model.snapshot()
    assert snap.weighted_layers == ("conv1", "conv2", "fc1", "votes")
    conv1 = model.layers[model.names.index("conv1")]
    np.testing.assert_array_equal(snap.weight("conv1"), conv1.weight.detach().numpy())
    np.testing.assert_array_equal(snap.bias("conv1"), conv1.bias.detach().numpy())
    assert snap.weight("votes").shape == (len(model.spec.classes), model.layers[-1].in_features)
    assert not snap.has_weights("relu1") and snap.bias("relu1") is None
    with pytest.raises(KeyError, match="'relu1' has no weights"):
        snap.weight("relu1")
    with pytest.raises(KeyError, match=r"no layer named .conv9. \(this network has: conv1, relu1"):
        snap.weight("conv9")


def test_a_layer_without_bias_has_none():
    snap = build(preset("xo"), seed=0).snapshot()  # the deck's hand-made features: no bias
    assert snap.weight("conv1").shape == (3, 1, 3, 3) and snap.bias("conv1") is None
    assert snap.bias("votes") is not None


def test_a_snapshot_survives_pickling_at_the_cost_of_its_numbers():
    model = build(preset("shapes"), seed=0)
    snap = model.snapshot()
    data = pickle.dumps(snap)
    back = pickle.loads(data)
    assert back.network == snap.network and back.layer_names == snap.layer_names
    assert back.shapes == snap.shapes and back.made_by(model.spec)
    for name in snap.weighted_layers:
        np.testing.assert_array_equal(back.weight(name), snap.weight(name))
    assert len(data) < snap.nbytes + 2048  # one flat array plus names: what crossed before


class _Forged:
    """Pickles as a WeightsSnapshot made of the given parts (what a broken trainer could send)."""

    def __init__(self, *parts):
        self.parts = parts

    def __reduce__(self):
        return WeightsSnapshot, self.parts


def test_a_snapshot_whose_parts_disagree_cannot_be_unpickled():
    snap = build(preset("xo"), seed=0).snapshot()
    _cls, (network, names, keys, shapes, flat) = snap.__reduce__()
    for parts, words in (
        ((network, names, keys, shapes, flat[:-1]), "add up to"),
        ((network, names, keys, shapes, flat.astype(np.float64)), "float32"),
        ((network, names, keys[:-1], shapes, flat), "do not match"),
    ):
        with pytest.raises(ValueError, match=words):
            pickle.loads(pickle.dumps(_Forged(*parts)))


def test_a_trace_knows_its_network_and_same_shapes_are_not_enough():
    """Same layer shapes but another spec (here: other class names) is another network: its
    trace would be shown under the wrong words. The same spec rebuilt with other weights is the
    same network: which weights are newest is the order traces come in, not their identity."""
    a = preset("xo")
    b = a.with_classes(("cross", "ring"))
    assert [s.shape for s in a.shapes()] == [s.shape for s in b.shapes()]
    trace = build(a, seed=0).trace(DECK_X)
    assert trace.spec is a and trace.classes == a.classes
    assert trace.made_by(a) and not trace.made_by(b) and not trace.made_by(None)
    assert build(a, seed=5).trace(DECK_X).network == trace.network
    renamed = dataclasses.replace(a, name="xo, renamed")
    assert network_id(renamed) != network_id(a)
    assert not build(b, seed=0).snapshot().made_by(a)


def test_weights_of_another_network_are_not_loaded():
    a = preset("xo")
    model = build(a, seed=0)
    other = build(a.with_classes(("cross", "ring")), seed=1).snapshot()
    with pytest.raises(ValueError, match="another network"):
        model.load_snapshot(other)
    mine = model.snapshot().with_arrays({k: v * 2 for k, v in model.snapshot().items()})
    model.load_snapshot(mine)
    np.testing.assert_array_equal(model.snapshot().weight("votes"), mine.weight("votes"))


def test_with_arrays_keeps_keys_and_shapes():
    snap = build(preset("xo"), seed=0).snapshot()
    with pytest.raises(ValueError, match="keys"):
        snap.with_arrays({})
    with pytest.raises(ValueError, match="shapes"):
        snap.with_arrays({k: np.zeros(3) for k in snap})


def test_no_code_outside_the_core_builds_torch_key_names():
    root = Path(__file__).resolve().parents[1] / "convviz"
    key_name = re.compile(r"""layers\.\{|["']layers\.\d""")
    found = [
        f"{p.relative_to(root)}:{i}"
        for p in sorted(root.rglob("*.py"))
        if "core" not in p.relative_to(root).parts
        for i, line in enumerate(p.read_text().splitlines(), 1)
        if key_name.search(line)
    ]
    assert found == []


def test_the_vote_reasons_read_the_vote_layer_by_name():
    from convviz.core.trace import vote_contributions

    model = build(preset("xo"), seed=0)
    trace, snap = model.trace(DECK_X), model.snapshot()
    contrib, bias = vote_contributions(trace, snap, 1)
    x = trace.input_of(len(trace.layers) - 1).reshape(-1)
    np.testing.assert_allclose(contrib.sum() + bias, trace.votes[1], rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(contrib, x * snap.weight("votes")[1])
