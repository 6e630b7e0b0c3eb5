"""The images that excite each feature most (and each class's surest and least sure images)
equal a brute-force loop over the data, one image at a time; the receptive field follows the
kernel sizes, strides and padding of every layer, rows and columns apart."""

import numpy as np
import pytest
import torch

from convviz.core.errors import DataError, SpecError
from convviz.core.network import build
from convviz.core.presets import preset
from convviz.core.receptive_field import Axis, receptive_field, receptive_fields
from convviz.core.spec import Conv, Flatten, MaxPool, NetworkSpec, ReLU
from convviz.core.top_images import batch_size_for, find_top_images


def _data(n=47, seed=1, size=28, classes=6):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (n, 1, size, size)).astype(np.float32)
    y = rng.integers(0, classes, n)
    return X, y


def _brute(model, X, y, k):
    """Every image alone through the network: every feature's strongest value and where."""
    per_layer, own = {}, []
    for img, label in zip(X, y, strict=True):
        t = model.trace(img[0])
        own.append(float(t.probabilities[label]))
        for i, lt in enumerate(t.layers):
            if lt.kind == "conv":
                flat = lt.values.reshape(lt.values.shape[0], -1)
                per_layer.setdefault(i, []).append(
                    (flat.max(1), flat.argmax(1), lt.values.shape[2])
                )
    return per_layer, np.array(own)


@pytest.mark.parametrize("batch", [1, 5, 64])
def test_top_images_equal_a_brute_force_loop(batch):
    model = build(preset("shapes"), seed=3)
    X, y = _data()
    k = 9
    found = find_top_images(model, X, y, k=k, batch=batch)
    per_layer, own = _brute(model, X, y, k)
    assert set(found.layers) == set(per_layer) == {0, 3} and found.complete
    for i, rows in per_layer.items():
        scores = np.stack([r[0] for r in rows], 1)  # (F, N)
        where = np.stack([r[1] for r in rows], 1)
        width = rows[0][2]
        got = found.layers[i]
        for f in range(scores.shape[0]):
            want = np.lexsort((np.arange(len(X)), -scores[f]))[:k]
            assert list(got.indices[f]) == list(want), (i, f)
            np.testing.assert_allclose(got.scores[f], scores[f, want], rtol=1e-4, atol=1e-5)
            assert list(got.rows[f]) == list(where[f, want] // width)
            assert list(got.cols[f]) == list(where[f, want] % width)
    for c in range(6):
        mine = np.flatnonzero(y == c)
        order = mine[np.lexsort((mine, -own[mine]))]
        assert list(found.classes.most[c][: len(mine)]) == list(order[:k])
        least = mine[np.lexsort((mine, own[mine]))]
        assert list(found.classes.least[c][: len(mine)]) == list(least[:k])
        np.testing.assert_allclose(
            found.classes.most_p[c][: min(k, len(mine))], own[order[:k]], rtol=1e-4
        )


def test_fewer_images_than_k_leave_empty_places_and_stopping_keeps_what_was_seen():
    model = build(preset("shapes"), seed=0)
    X, y = _data(n=4)
    found = find_top_images(model, X, y, k=9)
    assert (found.layers[0].indices[:, 4:] == -1).all()
    assert sorted(found.layers[0].indices[0, :4]) == [0, 1, 2, 3]
    calls = []
    stopped = find_top_images(
        model,
        *_data(n=30),
        batch=10,
        should_stop=lambda: len(calls) >= 1,
        progress=lambda d, t: calls.append((d, t)),
    )
    assert not stopped.complete and stopped.images == 10 and calls == [(10, 30)]
    assert stopped.layers[0].indices.max() < 10


def test_the_batch_keeps_layer_outputs_bounded_and_bad_data_is_refused():
    from convviz.core.limits import TOP_IMAGES_BATCH_BYTES

    model = build(preset("shapes"), seed=0)
    per_image = sum(int(np.prod(s.shape)) for s in model.spec.shapes()) * 4
    assert 1 <= batch_size_for(model) * per_image <= TOP_IMAGES_BATCH_BYTES
    with pytest.raises(DataError, match="labels"):
        find_top_images(model, *_data(n=3, classes=9))
    with pytest.raises(DataError, match="channel"):
        find_top_images(model, np.zeros((2, 3, 28, 28), np.float32), np.zeros(2, int))


def test_receptive_field_of_the_shapes_network():
    spec = preset("shapes")  # conv5 pad2, relu, pool2, conv5 pad2, relu, pool2
    f = receptive_fields(spec)
    assert (f[0].rows.jump, f[0].rows.offset, f[0].rows.size) == (1, -2, 5)
    assert (f[2].rows.jump, f[2].rows.offset, f[2].rows.size) == (2, -2, 6)
    assert (f[3].rows.jump, f[3].rows.offset, f[3].rows.size) == (2, -6, 14)
    assert f[6] is None
    assert f[0].patch(0, 0, 28, 28) == (0, 3, 0, 3)  # clipped at the edge
    assert f[3].patch(5, 5, 28, 28) == (4, 18, 4, 18)
    with pytest.raises(SpecError, match="no receptive field"):
        receptive_field(spec, 6)


def test_receptive_field_rows_and_cols_apart_match_the_gradient():
    """Layers given as (rows, cols) sizes: the field is exactly the input pixels whose change
    reaches that output position (the gradient's support), each axis on its own."""
    spec = NetworkSpec(
        "rect",
        20,
        1,
        (-1.0, 1.0),
        (
            Conv(2, 3, stride=1, padding=1),
            ReLU(),
            MaxPool(2, 2),
            Conv(2, 3, stride=2, padding=0),
            Flatten(),
        ),
        ("a", "b"),
    )
    geometry = {0: ((3, 5), (1, 2), (1, 2)), 2: ((2, 3), (2, 1)), 3: ((3, 1), (2, 1), (0, 0))}

    class Rect:  # the same layers with rows and cols apart, as rectangular specs give them
        def __init__(self, layer, g):
            self.kind = layer.kind
            if layer.kind == "conv":
                self.size, self.stride, self.padding = g
            else:
                self.window, self.stride = g

    rect = type(
        "S",
        (),
        {
            "layers": [
                Rect(layer, geometry[i]) if i in geometry else layer
                for i, layer in enumerate(spec.layers)
            ],
            "name": "rect",
        },
    )
    field = receptive_field(rect, 3)
    x = torch.zeros(1, 1, 20, 20, requires_grad=True)
    gen = torch.Generator().manual_seed(0)
    w1, w2 = torch.randn(2, 1, 3, 5, generator=gen), torch.randn(2, 2, 3, 1, generator=gen)
    y = torch.nn.functional.conv2d(x + 0.5, w1, stride=(1, 2), padding=(1, 2)).abs()
    y = torch.nn.functional.max_pool2d(y, (2, 3), (2, 1), ceil_mode=True)
    y = torch.nn.functional.conv2d(y, w2, stride=(2, 1))
    for r, c in ((0, 0), (1, 2), (2, 3)):
        (g,) = torch.autograd.grad(y[0, 0, r, c], x, retain_graph=True)
        rows = np.flatnonzero(g[0, 0].abs().sum(1).numpy())
        cols = np.flatnonzero(g[0, 0].abs().sum(0).numpy())
        top, bottom, left, right = field.patch(r, c, 20, 20)
        # the gradient reaches only the winners of each pool window: inside the field
        assert top <= rows.min() and rows.max() < bottom
        assert left <= cols.min() and cols.max() < right
    # by hand: rows 3/1/1 -> (1, -1, 3), pool 2/2 -> (2, -1, 4), conv 3/2/0 -> (4, -1, 8);
    # cols 5/2/2 -> (2, -2, 5), pool 3/1 -> (2, -2, 9), conv 1/1/0 -> (2, -2, 9)
    assert field.rows == Axis(4, -1, 8) and field.cols == Axis(2, -2, 9)
