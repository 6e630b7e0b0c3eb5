"""The X/O example from "How Convolutional Neural Networks Work", number for number.

The deck's numbers are copied here (the project never reads the shared reference at test time).
The deck prints values cut, not rounded, to two decimals (5/9 = 0.555... is printed 0.55), so
every filtered, rectified and pooled value must lie within 0.01 of the printed one.
Feature order as in the deck: diagonal down, crossing, diagonal up.
"""

import numpy as np
import pytest
import torch

from convviz.core.bundled import bundled_path, preset_model
from convviz.core.network import build
from convviz.core.presets import XO_FEATURES, preset

# 1 = ink (white in the deck), -1 = background
DECK_X = (
    (-1, -1, -1, -1, -1, -1, -1, -1, -1),
    (-1, 1, -1, -1, -1, -1, -1, 1, -1),
    (-1, -1, 1, -1, -1, -1, 1, -1, -1),
    (-1, -1, -1, 1, -1, 1, -1, -1, -1),
    (-1, -1, -1, -1, 1, -1, -1, -1, -1),
    (-1, -1, -1, 1, -1, 1, -1, -1, -1),
    (-1, -1, 1, -1, -1, -1, 1, -1, -1),
    (-1, 1, -1, -1, -1, -1, -1, 1, -1),
    (-1, -1, -1, -1, -1, -1, -1, -1, -1),
)

DECK_FEATURES = (
    (
        (1, -1, -1),
        (-1, 1, -1),
        (-1, -1, 1),
    ),
    (
        (1, -1, 1),
        (-1, 1, -1),
        (1, -1, 1),
    ),
    (
        (-1, -1, 1),
        (-1, 1, -1),
        (1, -1, -1),
    ),
)

# filtered, as printed in the deck
FILTERED = (
    # diagonal down
    (
        (0.77, -0.11, 0.11, 0.33, 0.55, -0.11, 0.33),
        (-0.11, 1, -0.11, 0.33, -0.11, 0.11, -0.11),
        (0.11, -0.11, 1, -0.33, 0.11, -0.11, 0.55),
        (0.33, 0.33, -0.33, 0.55, -0.33, 0.33, 0.33),
        (0.55, -0.11, 0.11, -0.33, 1, -0.11, 0.11),
        (-0.11, 0.11, -0.11, 0.33, -0.11, 1, -0.11),
        (0.33, -0.11, 0.55, 0.33, 0.11, -0.11, 0.77),
    ),
    # crossing
    (
        (0.33, -0.55, 0.11, -0.11, 0.11, -0.55, 0.33),
        (-0.55, 0.55, -0.55, 0.33, -0.55, 0.55, -0.55),
        (0.11, -0.55, 0.55, -0.77, 0.55, -0.55, 0.11),
        (-0.11, 0.33, -0.77, 1, -0.77, 0.33, -0.11),
        (0.11, -0.55, 0.55, -0.77, 0.55, -0.55, 0.11),
        (-0.55, 0.55, -0.55, 0.33, -0.55, 0.55, -0.55),
        (0.33, -0.55, 0.11, -0.11, 0.11, -0.55, 0.33),
    ),
    # diagonal up
    (
        (0.33, -0.11, 0.55, 0.33, 0.11, -0.11, 0.77),
        (-0.11, 0.11, -0.11, 0.33, -0.11, 1, -0.11),
        (0.55, -0.11, 0.11, -0.33, 1, -0.11, 0.11),
        (0.33, 0.33, -0.33, 0.55, -0.33, 0.33, 0.33),
        (0.11, -0.11, 1, -0.33, 0.11, -0.11, 0.55),
        (-0.11, 1, -0.11, 0.33, -0.11, 0.11, -0.11),
        (0.77, -0.11, 0.11, 0.33, 0.55, -0.11, 0.33),
    ),
)

# rectified, as printed in the deck
RECTIFIED = (
    # diagonal down
    (
        (0.77, 0, 0.11, 0.33, 0.55, 0, 0.33),
        (0, 1, 0, 0.33, 0, 0.11, 0),
        (0.11, 0, 1, 0, 0.11, 0, 0.55),
        (0.33, 0.33, 0, 0.55, 0, 0.33, 0.33),
        (0.55, 0, 0.11, 0, 1, 0, 0.11),
        (0, 0.11, 0, 0.33, 0, 1, 0),
        (0.33, 0, 0.55, 0.33, 0.11, 0, 0.77),
    ),
    # crossing
    (
        (0.33, 0, 0.11, 0, 0.11, 0, 0.33),
        (0, 0.55, 0, 0.33, 0, 0.55, 0),
        (0.11, 0, 0.55, 0, 0.55, 0, 0.11),
        (0, 0.33, 0, 1, 0, 0.33, 0),
        (0.11, 0, 0.55, 0, 0.55, 0, 0.11),
        (0, 0.55, 0, 0.33, 0, 0.55, 0),
        (0.33, 0, 0.11, 0, 0.11, 0, 0.33),
    ),
    # diagonal up
    (
        (0.33, 0, 0.55, 0.33, 0.11, 0, 0.77),
        (0, 0.11, 0, 0.33, 0, 1, 0),
        (0.55, 0, 0.11, 0, 1, 0, 0.11),
        (0.33, 0.33, 0, 0.55, 0, 0.33, 0.33),
        (0.11, 0, 1, 0, 0.11, 0, 0.55),
        (0, 1, 0, 0.33, 0, 0.11, 0),
        (0.77, 0, 0.11, 0.33, 0.55, 0, 0.33),
    ),
)

# pooled, as printed in the deck
POOLED = (
    # diagonal down
    (
        (1, 0.33, 0.55, 0.33),
        (0.33, 1, 0.33, 0.55),
        (0.55, 0.33, 1, 0.11),
        (0.33, 0.55, 0.11, 0.77),
    ),
    # crossing
    (
        (0.55, 0.33, 0.55, 0.33),
        (0.33, 1, 0.55, 0.11),
        (0.55, 0.55, 0.55, 0.11),
        (0.33, 0.11, 0.11, 0.33),
    ),
    # diagonal up
    (
        (0.33, 0.55, 1, 0.77),
        (0.55, 0.55, 1, 0.33),
        (1, 1, 0.11, 0.55),
        (0.77, 0.33, 0.55, 0.33),
    ),
)

LAYER_FOR = {"conv1": FILTERED, "relu1": RECTIFIED, "pool1": POOLED}


@pytest.fixture(scope="module")
def deck_trace():
    model = build(preset("xo"), seed=0)  # the maps do not depend on the vote weights
    return model.trace(np.array(DECK_X, dtype=np.float32))


def test_preset_uses_the_decks_features():
    assert np.array_equal(np.array(XO_FEATURES), np.array(DECK_FEATURES))
    model = build(preset("xo"))
    conv = model.layers[0]
    assert np.array_equal(conv.weight.detach().numpy()[:, 0], np.array(DECK_FEATURES))
    assert conv.bias is None and conv.divisor == 9.0
    assert not conv.weight.requires_grad  # hand-made features are not trained


@pytest.mark.parametrize("layer", ["conv1", "relu1", "pool1"])
def test_every_map_matches_the_deck_within_its_printing(deck_trace, layer):
    got = deck_trace.layer(layer).values
    want = np.array(LAYER_FOR[layer], dtype=np.float64)
    assert got.shape == want.shape == ((3, 7, 7) if layer != "pool1" else (3, 4, 4))
    diff = np.abs(got - want)
    worst = np.unravel_index(diff.argmax(), diff.shape)
    assert diff.max() < 0.01, (
        f"{layer} map {worst[0]} at {worst[1:]}: {got[worst]} vs {want[worst]}"
    )


@pytest.mark.parametrize("layer", ["conv1", "relu1", "pool1"])
def test_cutting_to_two_decimals_gives_exactly_the_printed_numbers(deck_trace, layer):
    got = deck_trace.layer(layer).values.astype(np.float64)
    cut = np.trunc(got * 100 + np.sign(got) * 1e-4) / 100  # 1e-4: float32 0.99999994 is 1
    np.testing.assert_array_equal(np.round(cut, 2), np.array(LAYER_FOR[layer]))


def test_filtering_is_a_mean_of_products(deck_trace):
    # top-left of the diagonal-down map: 8 pixels match (+1 each), 1 does not (-1): 7/9, which
    # the deck prints as 0.77
    x = np.array(DECK_X, dtype=np.float64)
    f = np.array(DECK_FEATURES[0], dtype=np.float64)
    assert abs(deck_trace.layer("conv1").values[0, 0, 0] - (x[:3, :3] * f).mean()) < 1e-6
    assert abs(deck_trace.layer("conv1").values[0, 0, 0] - 7 / 9) < 1e-6
    # the perfect match on the diagonal scores exactly 1
    assert deck_trace.layer("conv1").values[0, 1, 1] == pytest.approx(1.0, abs=1e-6)


def test_pooling_keeps_the_max_of_each_window_including_the_edge(deck_trace):
    rect = deck_trace.layer("relu1").values
    pool = deck_trace.layer("pool1")
    # the bottom-right window of a 7x7 map holds a single pixel: it hangs over the edge
    assert pool.values[0, 3, 3] == rect[0, 6, 6]
    assert pool.winners[0, 3, 3] == 6 * 7 + 6
    for c in range(3):
        for i in range(4):
            for j in range(4):
                window = rect[c, 2 * i : 2 * i + 2, 2 * j : 2 * j + 2]
                assert pool.values[c, i, j] == window.max()
                assert rect[c].flat[pool.winners[c, i, j]] == window.max()


def test_flatten_lists_48_values_map_by_map(deck_trace):
    flat = deck_trace.layer("flatten1").values
    assert flat.shape == (48,)
    np.testing.assert_array_equal(flat, deck_trace.layer("pool1").values.reshape(-1))


def test_bundled_xo_model_votes_x_for_the_decks_x():
    assert bundled_path("xo").is_file()
    model = preset_model("xo")
    bundled = model.snapshot()["layers.4.weight"]
    fresh = build(preset("xo"), seed=0).snapshot()["layers.4.weight"]
    assert not np.allclose(bundled, fresh)  # really the trained weights, not a fresh network
    trace = model.trace(np.array(DECK_X, dtype=np.float32))
    assert trace.classes == ("X", "O")
    assert trace.classes[trace.winner] == "X"
    assert trace.probabilities[0] > 0.5
    # the maps are the deck's no matter which vote weights are loaded
    assert np.abs(trace.layer("pool1").values - np.array(POOLED)).max() < 0.01


def test_bundled_xo_model_votes_o_for_an_o():
    o = -np.ones((9, 9), dtype=np.float32)  # a ring drawn on the 9x9 grid, like the deck's O
    for r, c in [
        (1, 3),
        (1, 4),
        (1, 5),
        (2, 2),
        (2, 6),
        (3, 1),
        (4, 1),
        (5, 1),
        (3, 7),
        (4, 7),
        (5, 7),
        (6, 2),
        (6, 6),
        (7, 3),
        (7, 4),
        (7, 5),
    ]:
        o[r, c] = 1
    trace = preset_model("xo").trace(o)
    assert trace.classes[trace.winner] == "O"
    with torch.inference_mode():  # the trace agrees with the plain forward pass
        plain = preset_model("xo")(torch.from_numpy(o)[None, None])[0].numpy()
    np.testing.assert_allclose(trace.votes, plain, atol=1e-6)
