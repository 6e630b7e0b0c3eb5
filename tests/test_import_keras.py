"""Keras 3 `.keras` files (issue 15, item 2): Sequential models built with the torch backend,
saved, imported without TensorFlow; convviz's votes match Keras's within 1e-4."""

from __future__ import annotations

import os
import re

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
    assert imported.stated_range == (0.0, 255.0)
    model.save(tmp_path / "legacy.h5")  # the same model as a legacy .h5 file
    assert_same_votes(model, tmp_path / "legacy.h5", (3, 12, 10), keras_scale=255.0)
    # `convviz predict` takes the Keras file directly, with what it says about its input
    from PIL import Image

    from convviz.cli import main

    Image.fromarray(np.full((12, 10, 3), 200, np.uint8)).save(tmp_path / "p.png")
    assert main(["predict", str(path), str(tmp_path / "p.png"), "--json"]) == 0
    assert imported.spec.value_range == pytest.approx((0.0, 1.0))
    kinds = [layer.kind for layer in imported.spec.layers]
    assert kinds == ["conv", "relu", "pool", "conv", "relu", "flatten", "dropout", "fc", "relu"]


def test_the_mnist_tutorials_cnn_pools_11_down_to_5(tmp_path):
    """The classic TensorFlow/Keras MNIST CNN: Conv2D(32, 3) with no padding, MaxPooling2D(2),
    Conv2D(64, 3), MaxPooling2D(2): 28 -> 26 -> 13 -> 11 -> 5, Keras's 'valid' pooling leaving
    the window over the edge out (convviz's edge "drop"; the first pooling, 26 -> 13, keeps
    convviz's usual JSON). An average pooling that rounds down too, in the same file."""
    model, path = _save(
        tmp_path,
        [
            keras.Input((28, 28, 1)),
            L.Conv2D(32, 3, activation="relu"),
            L.MaxPooling2D(2),
            L.Conv2D(64, 3, activation="relu"),
            L.MaxPooling2D(2),
            L.Conv2D(8, 1, activation="relu"),
            L.AveragePooling2D(2),  # 5 -> 2
            L.Flatten(),
            L.Dropout(0.5),
            L.Dense(10, activation="softmax"),
        ],
        "mnist",
    )
    imported = assert_same_votes(model, path, (1, 28, 28))
    layers = imported.spec.to_dict()["layers"]
    pools = [la for la in layers if la["kind"] in ("pool", "avgpool")]
    assert pools == [
        {"window": 2, "stride": 2, "kind": "pool"},
        {"window": 2, "stride": 2, "edge": "drop", "kind": "pool"},
        {"window": 2, "stride": 2, "edge": "drop", "kind": "avgpool"},
    ]
    rows = {s.name: s for s in imported.spec.shapes()}
    assert rows["pool2"].shape == (64, 5, 5) and rows["avgpool1"].shape == (8, 2, 2)
    assert rows["pool2"].formula == "floor((11 - 2)/2) + 1 = 5"


def test_a_lambda_layer_is_refused_by_name_in_both_formats(tmp_path):
    model, path = _save(
        tmp_path,
        [keras.Input((4, 4, 1)), L.Lambda(lambda t: t * 2), L.Flatten(), L.Dense(2)],
        "lambda",
    )
    with pytest.raises(ModelRefused, match="Lambda 'lambda' holds Python code"):
        import_model(path)
    model.save(tmp_path / "lambda.h5")  # its code is in the config, base64: never decoded
    with pytest.raises(ModelRefused, match="Lambda 'lambda' holds Python code"):
        import_model(tmp_path / "lambda.h5")


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


def test_a_strided_valid_convolution_leaves_the_last_rows_out_as_keras(tmp_path):
    # Conv2D(8, 3, strides=2) with padding "valid" on 28x28: (28 - 3)/2 + 1 = 13.5 -> 13
    model, path = _save(
        tmp_path,
        [
            keras.Input((28, 28, 1)),
            L.Conv2D(8, 3, strides=2, activation="relu"),
            L.Flatten(),
            L.Dense(3, activation="softmax"),
        ],
    )
    imported = assert_same_votes(model, path, (1, 28, 28))
    conv = imported.spec.layers[0]
    assert (conv.size, conv.stride, conv.padding, conv.edge) == (3, 2, 0, "drop")
    assert imported.spec.shapes()[0].shape == (8, 13, 13)
    assert "the last rows/cols left out" in "\n".join(imported.report)


def test_a_damaged_keras_file_is_one_line(tmp_path):
    (tmp_path / "cut.keras").write_bytes(b"PK\x03\x04" + bytes(100))
    with pytest.raises(ModelRefused, match="not a Keras model"):
        import_model(tmp_path / "cut.keras")


def _functional(normalization):
    """A small functional ResNet: a Normalization at the input, a block whose skip is the input
    as it is, a block whose skip is a 1x1 Conv2D and a BatchNormalization (halving the size),
    the Activation/ReLU/LeakyReLU layers, global average pooling and the votes."""
    keras.utils.set_random_seed(0)
    inp = keras.Input((8, 8, 3))
    x = normalization(inp)
    x = L.ReLU()(L.Conv2D(4, 3, padding="same")(x))
    y = L.Conv2D(4, 3, padding="same", activation="relu")(x)
    y = L.BatchNormalization()(L.Conv2D(4, 3, padding="same")(y))
    x = L.Activation("relu")(L.Add()([y, x]))
    y = L.Conv2D(8, 4, strides=2, padding="same", use_bias=False)(x)
    y = L.Conv2D(8, 3, padding="same")(L.LeakyReLU(0.1)(y))
    skip = L.BatchNormalization()(L.Conv2D(8, 1, strides=2, use_bias=False)(x))
    x = L.ReLU()(L.Add()([y, skip]))
    out = L.Dense(3, activation="softmax")(L.GlobalAveragePooling2D()(x))
    model = keras.Model(inp, out)
    rng = np.random.default_rng(0)
    for layer in model.layers:  # statistics far from 0/1, so that a wrong fold shows
        if isinstance(layer, L.BatchNormalization):
            n = layer.weights[0].shape[0]
            layer.set_weights([rng.uniform(*r, n) for r in ((0.5, 2), (-1, 1), (-1, 1), (0.5, 2))])
    return model


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_a_functional_resnet_gives_the_same_votes_in_both_formats(tmp_path, suffix):
    model = _functional(L.Normalization(mean=[0.5, 0.4, 0.3], variance=[0.04, 0.09, 0.16]))
    path = tmp_path / f"resnet{suffix}"
    model.save(path)
    imported = assert_same_votes(model, path, (3, 8, 8))
    kinds = [layer.kind for layer in imported.spec.layers]
    # the per-channel Normalization: a first 1x1 convolution, as --mean/--std is
    assert kinds == ["conv", "conv", "relu", "residual", "relu", "residual", "relu", "gap"]
    assert [x.kind for x in imported.spec.layers[5].layers] == ["conv", "leakyrelu", "conv"]
    report = "\n".join(imported.report)
    # (keras numbers its layers' names across the test run: normalization_3, ...)
    assert re.search(r"Normalization '\w+' -> \(x - mean\) / std, folded", report)
    assert "skip path: the block's input as it is" in report and "batch norm folded in" in report


def test_an_adapted_normalization_on_0_255_pictures(tmp_path):
    norm = L.Normalization()
    norm.adapt(np.random.default_rng(5).uniform(0, 255, (64, 8, 8, 3)).astype(np.float32))
    model = _functional(norm)
    model.save(tmp_path / "adapted.keras")
    imported = assert_same_votes(model, tmp_path / "adapted.keras", (3, 8, 8), keras_scale=255.0)
    assert imported.stated_range == (0.0, 255.0)  # its mean says the pictures were 0..255


def test_unknown_classes_and_a_shared_layer_are_refused_by_name(tmp_path):
    import io
    import json
    import zipfile

    import h5py

    empty = io.BytesIO()
    h5py.File(empty, "w").close()

    def write(name, config):
        path = tmp_path / name
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("config.json", json.dumps(config))
            z.writestr("model.weights.h5", empty.getvalue())
        return path

    inp = {"class_name": "InputLayer", "config": {"name": "in", "batch_shape": [None, 4, 4, 1]}}
    odd = {"class_name": "MyCustomLayer", "config": {"name": "mine"}, "module": "evil.code"}
    path = write("odd.keras", {"class_name": "Sequential", "config": {"layers": [inp, odd]}})
    with pytest.raises(ModelRefused, match="MyCustomLayer 'mine' is not supported"):
        import_model(path)
    path = write("sub.keras", {"class_name": "MyModel", "config": {"layers": [inp]}})
    with pytest.raises(ModelRefused, match="a MyModel model; convviz imports Sequential and"):
        import_model(path)
    # one Dense called twice: two inbound nodes
    inp = keras.Input((4,))
    dense = L.Dense(4, name="twice")
    shared = keras.Model(inp, dense(dense(inp)))
    shared.save(tmp_path / "shared.keras")
    with pytest.raises(ModelRefused, match=r"Dense 'twice' .*shared layer"):
        import_model(tmp_path / "shared.keras")


def test_a_model_too_large_to_show_live_gives_its_architecture_only(tmp_path, monkeypatch):
    from convviz.core.importing import ModelTooLarge, keras_file

    _, path = _save(
        tmp_path,
        [keras.Input((6, 6, 1)), L.Conv2D(2, 3), L.Flatten(), L.Dense(3)],  # 20 + 99 numbers
        "large",
    )
    monkeypatch.setattr(keras_file, "IMPORT_MAX_PARAMETERS", 100)
    with pytest.raises(ModelTooLarge, match="too large to show live: the model has 119 param") as e:
        import_model(path)
    assert [x.kind for x in e.value.architecture.spec.layers] == ["conv", "flatten"]
    assert e.value.architecture.state == {}
    monkeypatch.setattr(keras_file, "IMPORT_ARCHITECTURE_MAX_PARAMETERS", 100)
    with pytest.raises(ModelRefused, match="more than 100 parameters") as e:
        import_model(path)
    assert not isinstance(e.value, ModelTooLarge)


def test_a_keras_2_functional_h5_file(tmp_path):
    """The layout tf.keras 2 wrote (no TensorFlow here to write one): a "Model" config whose
    inbound nodes are [[name, 0, 0, {}]] lists, batch_input_shape, weights named kernel:0 under
    model_weights/NAME/NAME/. Conv2D + ReLU, an Add of a Conv2D's output and its input, Flatten,
    Dense with softmax; the votes computed here with torch, channels last as Keras does."""
    import json

    import h5py

    rng = np.random.default_rng(7)
    k1, b1 = rng.normal(size=(3, 3, 1, 2)), rng.normal(size=2)
    k2, b2 = rng.normal(size=(3, 3, 2, 2)), rng.normal(size=2)
    kd, bd = rng.normal(size=(2 * 4 * 4, 3)), rng.normal(size=3)

    def layer(cls, name, inputs, **config):
        inbound = [[[i, 0, 0, {}] for i in inputs]] if inputs else []
        return {"class_name": cls, "name": name, "config": {"name": name, **config},
                "inbound_nodes": inbound}  # fmt: skip

    conv = {"kernel_size": [3, 3], "strides": [1, 1], "data_format": "channels_last"}
    layers = [
        layer("InputLayer", "input_1", [], batch_input_shape=[None, 6, 6, 1]),
        layer("Conv2D", "conv2d", ["input_1"], filters=2, activation="relu", **conv),
        layer("Conv2D", "conv2d_1", ["conv2d"], filters=2, padding="same", **conv),
        layer("Add", "add", ["conv2d_1", "conv2d"]),
        layer("Flatten", "flatten", ["add"]),
        layer("Dense", "dense", ["flatten"], units=3, activation="softmax"),
    ]
    config = {
        "class_name": "Model",
        "config": {"name": "m", "layers": layers, "input_layers": [["input_1", 0, 0]],
                   "output_layers": [["dense", 0, 0]]},
    }  # fmt: skip
    path = tmp_path / "keras2.h5"
    with h5py.File(path, "w") as f:
        f.attrs["model_config"] = json.dumps(config).encode()
        for name, tensors in (("conv2d", (k1, b1)), ("conv2d_1", (k2, b2)), ("dense", (kd, bd))):
            g = f.create_group(f"model_weights/{name}")
            names = [f"{name}/{w}:0" for w in ("kernel", "bias")]
            g.attrs["weight_names"] = [n.encode() for n in names]
            for n, t in zip(names, tensors, strict=True):
                g[n] = t.astype(np.float32)
    imported = import_model(path)
    assert [x.kind for x in imported.spec.layers] == ["conv", "relu", "residual", "flatten"]
    x = torch.from_numpy(rng.uniform(0, 1, (2, 1, 6, 6)).astype(np.float32))
    t = lambda a: torch.from_numpy(a.astype(np.float32))  # noqa: E731
    conv2d = torch.nn.functional.conv2d
    y = torch.relu(conv2d(x, t(k1).permute(3, 2, 0, 1), t(b1)))
    y = conv2d(y, t(k2).permute(3, 2, 0, 1), t(b2), padding=1) + y
    want = torch.softmax(y.permute(0, 2, 3, 1).flatten(1) @ t(kd) + t(bd), 1)
    with torch.no_grad():
        votes = torch.softmax(imported.model()(x), 1)
    np.testing.assert_allclose(votes.numpy(), want.numpy(), atol=1e-4, rtol=0)


def test_the_tutorials_data_augmentation_is_dropped(tmp_path):
    # TensorFlow's image classification tutorial starts its model with a Sequential of random
    # flips, rotations and zooms: they act only while training, so the votes are the same
    augment = keras.Sequential(
        [L.RandomFlip("horizontal"), L.RandomRotation(0.1), L.RandomZoom(0.1)], name="augment"
    )
    model, path = _save(
        tmp_path,
        [
            keras.Input((8, 8, 3)),
            augment,
            L.Rescaling(1 / 255),
            L.Conv2D(4, 3, padding="same", activation="relu"),
            L.MaxPooling2D(),
            L.GaussianNoise(0.1),
            L.Flatten(),
            L.Dense(3),
        ],
        "augmented",
    )
    imported = import_model(path)
    x = np.random.default_rng(0).uniform(0, 1, (2, 3, 8, 8)).astype(np.float32)
    with torch.no_grad():
        votes = imported.model()(torch.from_numpy(x)).numpy()
    want = np.asarray(model(x.transpose(0, 2, 3, 1) * 255, training=False).detach().cpu())
    np.testing.assert_allclose(votes, want, atol=1e-4, rtol=0)
    report = "\n".join(imported.report)
    assert "Sequential 'augment' -> dropped: RandomFlip, RandomRotation, RandomZoom" in report
    assert imported.stated_range == (0.0, 255.0)  # the Rescaling after it still says so


def test_the_first_layer_that_cannot_be_mapped_is_named_without_its_consequences(tmp_path):
    """A dilated Conv2D cannot be mapped: the Dense after it would be judged against a shape
    the walk never reached ("takes 144 values but gets 400"); only the real problem is named,
    and the report says the layers after it were not checked."""
    _, path = _save(
        tmp_path,
        [
            keras.Input((12, 12, 1)),
            L.Conv2D(4, 3, dilation_rate=2),
            L.Conv2D(4, 3),
            L.Flatten(),
            L.Dense(3),
        ],
        "dilated",
    )
    with pytest.raises(ModelRefused) as e:
        import_model(path)
    line = str(e.value)
    assert "(1 reason)" in line and "dilation_rate" in line, line
    assert "Dense" not in line and "gets" not in line, line
    assert "the 3 layers after it were not checked" in line, line
    # the last layer unmappable: nothing after it, nothing said about it
    _, path = _save(
        tmp_path,
        [keras.Input((12, 12, 1)), L.Conv2D(4, 3), L.Flatten(), L.Dense(3), L.ReLU(max_value=6)],
        "relu6",
    )
    with pytest.raises(ModelRefused) as e:
        import_model(path)
    assert "ReLU" in str(e.value) and "not checked" not in str(e.value), str(e.value)
