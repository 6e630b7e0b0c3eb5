"""Apply keeps the weights of the layers whose shapes did not change (core/layer_rows_weights)."""

import numpy as np

from convviz.core.layer_rows import LayerRows
from convviz.core.layer_rows_weights import keep_weights, kept_words, origins
from convviz.core.network import build
from convviz.core.presets import preset


def _apply(model, old_spec, seed=1):
    old = build(old_spec, seed=seed).snapshot()
    spec = model.spec()
    new = build(spec, seed=seed + 1).snapshot()
    state, kept, fresh = keep_weights(spec, new, old_spec, old, origins(model))
    return spec, old, new.with_arrays(state), kept, fresh


def test_a_resnet_with_its_head_changed_keeps_every_block():
    base = preset("resnet")
    m = LayerRows.from_spec(base)
    m.set_input("channels", "3")  # unchanged
    m.duplicate((8,))  # a second relu: no weights
    _spec, old, new, kept, fresh = _apply(m, base)
    assert "conv1" in kept and "residual2.conv1" in kept and "residual2.skip" in kept
    assert "batchnorm1" in kept and "votes" in kept and fresh == []
    for name in ("conv1", "residual2.conv2", "residual3.skip", "votes"):
        np.testing.assert_array_equal(new.weight(name), old.weight(name))
    np.testing.assert_array_equal(
        new["layers.1.running_var"], old["layers.1.running_var"]
    )  # batch normalisation's statistics travel with it


def test_a_layer_whose_shape_changed_starts_afresh_and_a_moved_one_keeps_its_own():
    base = preset("shapes")
    m = LayerRows.from_spec(base)
    m.set_text((3,), "features", "12")  # conv2: 16 -> 12 features
    _spec, old, new, kept, fresh = _apply(m, base)
    assert kept == ["conv1", "votes"] and set(fresh) == {"conv2", "fc1"}  # fc1 sees 12 maps
    np.testing.assert_array_equal(new.weight("conv1"), old.weight("conv1"))
    assert new.weight("conv2").shape == (12, 8, 5, 5)
    assert "Kept the weights of conv1" in kept_words(kept, fresh)
    # a duplicate is a new layer: it does not take its twin's weights
    m = LayerRows.from_spec(base)
    m.duplicate((7,))  # fc1 twice: fc1 keeps (64 from 784), the copy fc2 (64 from 64) is new
    _spec, old, new, kept, fresh = _apply(m, base)
    assert "fc1" in kept and "fc2" in fresh
