"""The architecture knobs: specs they assemble, and the shapes and refusals the Architecture
panel's list shows for them (its check, core/layer_rows_check.py, straight from the core)."""

import itertools
from dataclasses import replace

import numpy as np
import pytest

from convviz.core.errors import SpecError
from convviz.core.knobs import (
    Knobs,
    apply_knobs,
    is_plain,
    knobs_from_spec,
    parse_neurons,
    why_not_plain,
)
from convviz.core.layer_rows import LayerRows
from convviz.core.layer_rows_check import OK
from convviz.core.presets import PRESETS, preset
from convviz.core.spec import Conv, Dense, Flatten, MaxPool, ReLU, conv_out, pool_out


def listed(base, k: Knobs):
    """What the Architecture panel's list says of the knobs: the quick start fills it with
    apply_knobs' spec, and the list's check gives each row's shape or the first reason."""
    return LayerRows.from_spec(apply_knobs(base, k)).lines()


def shown(checked):
    """The rows the list shows with a shape (those before a refused one)."""
    return [ln for ln in checked.lines if ln.state == OK]


# the knobs describe plain stacks of square blocks, as the window's presets are; the lesson's
# later presets (two convolutions a block, rectangular features) are for the command line so far
@pytest.mark.parametrize(
    "name", [n for n in PRESETS if preset(n).channels == 1 and preset(n).rows == preset(n).cols]
)
def test_presets_round_trip_through_knobs(name):
    spec = preset(name)
    assert is_plain(spec)
    assert apply_knobs(spec, knobs_from_spec(spec)) == spec


def test_a_residual_network_is_not_plain():  # the knobs describe straight chains only
    assert not is_plain(preset("resnet"))


def hand_shapes(w, k: Knobs):
    """The lesson's arithmetic written out by hand, for comparison: None if impossible."""
    sizes = []
    for f in k.features:
        if k.feature_size > w + 2 * k.padding:
            return None
        o = conv_out(w, k.feature_size, k.stride, k.padding)
        if o != int(o):
            return None
        w = int(o)
        if k.pool_window > w:
            return None
        w = pool_out(w, k.pool_window, k.pool_stride)
        sizes.append((f, w, w))
    return sizes


def test_knob_arithmetic_agrees_with_the_core_for_many_combinations():
    base = preset("shapes")
    seen_ok = seen_refused = 0
    grid = itertools.product((1, 2, 3), (1, 3, 4, 5, 7), (1, 2, 3), (0, 1, 2), (1, 2, 3), (1, 2, 3))
    for blocks, size, stride, pad, window, pstride in grid:
        k = Knobs(tuple(4 * 2**b for b in range(blocks)), size, stride, pad, window, pstride, (32,))
        result = listed(base, k)
        spec = apply_knobs(base, k)
        try:
            shapes = spec.shapes()
        except SpecError as e:
            shapes, core_error = None, str(e)
        want = hand_shapes(base.input_size, k)
        if shapes is None:
            seen_refused += 1
            assert not result.ok and result.reason == core_error
            assert want is None
            (bad,) = result.refused()
            assert bad.kind in ("conv", "pool")
            # every row shown before the refusal is a layer the core accepted
            rows = shown(result)
            head = replace(spec, layers=(*spec.layers[: len(rows)], Flatten()))
            assert [ln.shape for ln in rows] == [s.shape for s in head.shapes()[: len(rows)]]
        else:
            seen_ok += 1
            assert result.ok and [ln.shape for ln in shown(result)] == [s.shape for s in shapes]
            pooled = [s.shape for s in shapes if s.kind == "pool"]
            assert pooled == want
            assert result.total_params == sum(s.params for s in shapes)
    assert seen_ok > 50 and seen_refused > 50


def test_refusal_names_the_layer_and_the_numbers():
    base = preset("xo")
    k = knobs_from_spec(base)
    result = listed(base, Knobs(k.features, 3, 2, 0, 2, 2))  # (9 - 3)/2 + 1 = 4 fine
    assert result.ok
    result = listed(base, Knobs(k.features, 4, 2, 0, 2, 2))  # (9 - 4)/2 + 1 = 3.5
    assert not result.ok and "conv1" in result.reason and "3.5" in result.reason
    assert [ln.name for ln in result.refused()] == ["conv1"] and shown(result) == []
    result = listed(base, Knobs((3, 6), 3, 1, 0, 4, 4))  # 9->7->2, then 2->0: feature too big
    assert not result.ok and "conv2" in result.reason
    assert [ln.name for ln in result.refused()] == ["conv2"]
    rows = shown(result)
    assert [ln.shape for ln in rows] == [(3, 7, 7), (3, 7, 7), (3, 2, 2)]
    assert rows[0].formula == "(9 - 3 + 2·0)/1 + 1 = 7"
    assert rows[2].formula == "(7 - 4)/4 + 1 = 1.75 → 2"


def test_applying_changes_gives_the_right_spec():
    base = preset("shapes")
    k = Knobs((6, 12, 24), 3, 1, 1, 2, 2, (100, 50))
    spec = apply_knobs(base, k)
    assert listed(base, k).spec == spec and spec.classes == base.classes and spec.input_size == 28
    assert spec.layers == (
        Conv(6, 3, 1, 1),
        ReLU(),
        MaxPool(2, 2),
        Conv(12, 3, 1, 1),
        ReLU(),
        MaxPool(2, 2),
        Conv(24, 3, 1, 1),
        ReLU(),
        MaxPool(2, 2),
        Flatten(),
        Dense(100),
        ReLU(),
        Dense(50),
        ReLU(),
    )
    assert [s.shape for s in spec.shapes()][-6:] == [(384,), (100,), (100,), (50,), (50,), (6,)]


def test_xo_keeps_its_hand_made_features_only_while_they_fit():
    base = preset("xo")
    k = knobs_from_spec(base)
    same = apply_knobs(base, Knobs(k.features, 3, 1, 1, 2, 2))
    assert same.layers[0].fixed == base.layers[0].fixed and same.layers[0].divide
    more = apply_knobs(base, Knobs((4,), 3, 1, 0, 2, 2))
    assert more.layers[0].fixed is None and more.layers[0].divide and not more.layers[0].bias
    assert listed(base, Knobs((4,), 3, 1, 0, 2, 2)).ok


def test_blocks_grow_by_doubling_and_shrink_from_the_end():
    k = Knobs((6, 16), 5, 1, 0, 2, 2)
    assert k.with_blocks(4).features == (6, 16, 32, 64)
    assert k.with_blocks(1).features == (6,)
    assert k.with_blocks(0).features == (6,)


def test_parse_neurons():
    assert parse_neurons("120, 84") == (120, 84)
    assert parse_neurons("  ") == ()
    assert parse_neurons("64") == (64,)
    with pytest.raises(SpecError, match="whole numbers"):
        parse_neurons("12, x")


def test_zero_neurons_are_refused_by_the_core():
    base = preset("shapes")
    k = knobs_from_spec(base)
    result = listed(base, Knobs(k.features, 5, 1, 2, 2, 2, (0,)))
    assert not result.ok and "fc1" in result.reason and "neuron" in result.reason


def test_a_valid_change_builds_a_network_with_those_shapes():
    from convviz.core.network import build

    base = preset("xo")
    result = listed(base, Knobs((5,), 3, 1, 1, 3, 2, (10,)))
    assert result.ok
    net = build(result.spec)
    trace = net.trace(np.zeros((9, 9), np.float32))
    assert [lt.values.shape for lt in trace.layers] == [ln.shape for ln in shown(result)]


def test_the_edge_of_convolutions_and_poolings_survives_the_knobs():
    # a Keras tutorial's "valid" pooling (edge drop: 11x11 to 5x5), and a stride that misses
    # the last rows (edge drop: (9 - 4)/2 + 1 = 3.5 -> 3)
    base = preset("shapes")
    keras = apply_knobs(base, Knobs((8, 16), 3, 1, 0, 2, 2, (), pool_edge="drop"))
    assert [la.edge for la in keras.layers if isinstance(la, MaxPool)] == ["drop", "drop"]
    assert knobs_from_spec(keras).pool_edge == "drop" and is_plain(keras)
    assert [s.shape for s in keras.shapes() if s.kind == "pool"] == [(8, 13, 13), (16, 5, 5)]
    strided = apply_knobs(preset("xo"), Knobs((2,), 4, 2, 0, 1, 1, (), conv_edge="drop"))
    assert strided.layers[0].edge == "drop" and knobs_from_spec(strided).conv_edge == "drop"
    assert strided.shapes()[0].shape == (2, 3, 3) and is_plain(strided)


def test_the_quick_start_says_which_layer_it_cannot_make():
    base = preset("shapes")
    mixed = apply_knobs(base, Knobs((8, 16), 3, 1, 0, 2, 2))
    mixed = replace(mixed, layers=(*mixed.layers[:5], MaxPool(2, 2, "drop"), *mixed.layers[6:]))
    assert not is_plain(mixed)
    assert why_not_plain(mixed) == (
        "pool2's edge is drop, the quick start's would be keep (it gives every block the same "
        "square settings)"
    )
    assert "it has batchnorm1 where" in why_not_plain(preset("resnet"))
    assert all(why_not_plain(preset(n)) == "" for n in ("xo", "shapes", "lenet5"))
