"""Keras 3 `.keras` files (issue 15, item 2): Sequential models built with the torch backend,
saved, imported without TensorFlow; convviz's votes match Keras's within 1e-4."""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras")
pytest.importorskip("h5py")
torch = pytest.importorskip("torch")

from convviz.core.importing import ModelRefused, import_model  # noqa: E402 - after importorskip
from convviz.core.layers import kind_named  # noqa: E402

L = keras.layers


def _save(tmp_path, layers, name="model"):
    keras.utils.set_random_seed(0)
    model = keras.Sequential(layers)
    path = tmp_path / f"{name}.keras"
    model.save(path)
    return model, path


def assert_same_votes(model, path, shape, keras_scale=1.0, **options):
    """shape: (channels, rows, cols); Keras gets the picture channels last, times keras_scale
    (255 for a model that rescales its own input)."""
    imported = import_model(path, **options)
    net = imported.model()
    x = np.random.default_rng(0).uniform(0, 1, (3, *shape)).astype(np.float32)
    with torch.no_grad():
        votes = torch.softmax(net(torch.from_numpy(x)), 1).numpy()
    want = np.asarray(model(x.transpose(0, 2, 3, 1) * keras_scale).detach().cpu())
    np.testing.assert_allclose(votes, want, atol=1e-4, rtol=0)
    trace = net.trace(x[0])
    assert [lt.name for lt in trace.layers] == [s.name for s in imported.spec.shapes()]
    return imported


def test_a_tutorials_cnn_gives_the_same_votes(tmp_path):
    # the TensorFlow tutorial's shape: Rescaling, Conv2D + ReLU, pooling, Flatten, Dense
    model, path = _save(
        tmp_path,
        [
            keras.Input((12, 10, 3)),
            L.Rescaling(1 / 255),
            L.Conv2D(4, 3, activation="relu"),
            L.MaxPooling2D(),
            L.Conv2D(6, 3, padding="same", activation="relu"),
            L.Flatten(),
            L.Dropout(0.2),
            L.Dense(8, activation="relu"),
            L.Dense(3, activation="softmax"),
        ],
    )
    imported = assert_same_votes(model, path, (3, 12, 10), keras_scale=255.0)
    assert "0..255 assumed" in imported.report[0]  # the Rescaling said so
    assert imported.spec.value_range == pytest.approx((0.0, 1.0))
    kinds = [layer.kind for layer in imported.spec.layers]
    assert kinds == ["conv", "relu", "pool", "conv", "relu", "flatten", "dropout", "fc", "relu"]


def test_a_lambda_layer_and_a_functional_model_are_refused(tmp_path):
    _, path = _save(
        tmp_path,
        [keras.Input((4, 4, 1)), L.Lambda(lambda t: t * 2), L.Flatten(), L.Dense(2)],
        "lambda",
    )
    with pytest.raises(ModelRefused, match="Lambda 'lambda' holds Python code"):
        import_model(path)
    inp = keras.Input((4, 4, 1))
    functional = keras.Model(inp, L.Dense(2)(L.Flatten()(inp)))
    functional.save(tmp_path / "functional.keras")
    with pytest.raises(ModelRefused, match="Sequential"):
        import_model(tmp_path / "functional.keras")


@pytest.mark.skipif(
    kind_named("batchnorm") is None or kind_named("gap") is None,
    reason="the layer kinds 'batchnorm' and 'gap' are not registered here",
)
def test_batch_norm_and_global_average_pooling(tmp_path):
    model, path = _save(
        tmp_path,
        [
            keras.Input((8, 8, 2)),
            L.Conv2D(4, 3, activation="relu"),
            L.BatchNormalization(),
            L.GlobalAveragePooling2D(),
            L.Dense(3, activation="softmax"),
        ],
        "bn",
    )
    assert_same_votes(model, path, (2, 8, 8))


def test_a_damaged_keras_file_is_one_line(tmp_path):
    (tmp_path / "cut.keras").write_bytes(b"PK\x03\x04" + bytes(100))
    with pytest.raises(ModelRefused, match="not a Keras model"):
        import_model(tmp_path / "cut.keras")
