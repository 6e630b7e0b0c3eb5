"""Hostile model files given to `convviz import`: each is one line, nothing is read outside the
file (external data is refused whatever it points at), nothing is allocated for what a tensor
merely declares, and no weights file is written."""

from __future__ import annotations

import numpy as np
import pytest

from convviz.core.limits import IMPORT_MAX_FILE_BYTES, IMPORT_MAX_PARAMETERS

from .harness import SECRET, assert_no_secret, assert_refused, convviz_cli

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402 - after the importorskip


def small_model(path, weight=None, opset=17):
    """A 1x4x4 picture -> Flatten -> Gemm with 2 votes, built from parts (no torch needed)."""
    w = numpy_helper.from_array(np.ones((2, 16), np.float32) if weight is None else weight, "w")
    b = numpy_helper.from_array(np.zeros(2, np.float32), "b")
    graph = helper.make_graph(
        [
            helper.make_node("Flatten", ["x"], ["f"], name="flat"),
            helper.make_node("Gemm", ["f", "w", "b"], ["y"], name="fc", transB=1),
        ],
        "small",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 4, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])],
        [w, b],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    path.write_bytes(model.SerializeToString())
    return path


def _import(tmp_path, model, cwd=None):
    out = tmp_path / "out.safetensors"
    outcome = convviz_cli("import", model, "--to", out, cwd=cwd or tmp_path)
    return outcome, out


def test_a_good_small_model_is_imported(tmp_path):
    outcome, out = _import(tmp_path, small_model(tmp_path / "good.onnx"))
    assert outcome.returncode == 0, outcome.stderr
    assert "Gemm 'fc' -> votes (2)" in outcome.stdout and out.exists()


def test_truncated_and_not_a_model_are_one_line(tmp_path):
    good = small_model(tmp_path / "good.onnx").read_bytes()
    (tmp_path / "cut.onnx").write_bytes(good[: len(good) // 2])
    (tmp_path / "notes.onnx").write_text("not a model, just notes\n" * 20)
    for name in ("cut.onnx", "notes.onnx"):
        outcome, out = _import(tmp_path, tmp_path / name)
        assert_refused(outcome, name, "not an ONNX model")
        assert not out.exists()


def test_external_data_is_refused_and_never_read(tmp_path, secret):
    folder = tmp_path / "input"
    folder.mkdir()
    path = small_model(folder / "evil.onnx")
    model = onnx.load(str(path))
    w = model.graph.initializer[0]
    w.ClearField("raw_data")
    w.ClearField("float_data")
    w.data_location = TensorProto.EXTERNAL
    # the numbers "live in" the secret outside the model's folder
    w.external_data.add(key="location", value="../outside/secret.txt")
    w.external_data.add(key="length", value=str(2 * 16 * 4))
    path.write_bytes(model.SerializeToString())
    outcome, out = _import(tmp_path, path, cwd=folder)
    line = assert_refused(outcome, "refused", "'w'", "external data")
    assert_no_secret(folder, out, text=outcome.stdout + line)
    assert SECRET.decode() not in outcome.stdout
    assert not out.exists()


def test_too_many_parameters_and_too_large_a_file_are_refused_before_reading(tmp_path):
    # declares 100,000 x 100,000 numbers over a few bytes: refused from the declaration
    path = small_model(tmp_path / "huge.onnx")
    model = onnx.load(str(path))
    w = model.graph.initializer[0]
    del w.dims[:]
    w.dims.extend([100_000, 100_000])
    path.write_bytes(model.SerializeToString())
    outcome, out = _import(tmp_path, path)
    assert_refused(outcome, "huge.onnx", f"{IMPORT_MAX_PARAMETERS:,} parameters", "100000x100000")
    # a file past the size limit (sparse: no disk used) is refused before a byte is read
    big = tmp_path / "big.onnx"
    with open(big, "wb") as f:
        f.truncate(IMPORT_MAX_FILE_BYTES + 1)
    outcome, out = _import(tmp_path, big)
    assert_refused(outcome, "big.onnx", f"{IMPORT_MAX_FILE_BYTES:,} bytes")
    assert not out.exists()


def test_a_keras_file_linking_to_another_file_or_holding_code_is_refused(tmp_path, secret, marker):
    """A .keras weights file whose dense kernel is an HDF5 external link to the secret, and one
    with a Lambda layer whose code would create the marker: one line each, nothing read or run."""
    h5py = pytest.importorskip("h5py")
    import io
    import json
    import zipfile

    config = {
        "class_name": "Sequential",
        "config": {
            "layers": [
                {"class_name": "InputLayer", "config": {"batch_shape": [None, 4, 4, 1]}},
                {"class_name": "Flatten", "config": {"name": "flatten"}},
                {"class_name": "Dense", "config": {"name": "dense", "units": 2}},
            ]
        },
    }
    buf = io.BytesIO()
    with h5py.File(buf, "w") as f:
        f["layers/dense/vars/0"] = h5py.ExternalLink(str(secret), "/numbers")
        f["layers/dense/vars/1"] = np.zeros(2, np.float32)
    folder = tmp_path / "input"
    folder.mkdir()
    linked = folder / "linked.keras"
    with zipfile.ZipFile(linked, "w") as z:
        z.writestr("config.json", json.dumps(config))
        z.writestr("model.weights.h5", buf.getvalue())
    outcome, out = _import(tmp_path, linked, cwd=folder)
    line = assert_refused(outcome, "linked.keras", "refused", "layers/dense/vars/0")
    assert_no_secret(folder, out, text=outcome.stdout + line)
    # a Lambda layer's code (Keras keeps it as marshalled Python bytecode): never run
    config["config"]["layers"].insert(
        1,
        {
            "class_name": "Lambda",
            "config": {
                "name": "evil",
                "function": {
                    "class_name": "__lambda__",
                    "config": {"code": f"open({str(marker)!r}, 'w')"},
                },
            },
        },
    )
    code = folder / "code.keras"
    with zipfile.ZipFile(code, "w") as z:
        z.writestr("config.json", json.dumps(config))
        z.writestr("model.weights.h5", buf.getvalue())
    outcome, out = _import(tmp_path, code, cwd=folder)
    assert_refused(outcome, "Lambda 'evil'", "Python code")
    assert not marker.exists() and not out.exists()


def test_a_legacy_h5_file_linking_to_another_file_or_holding_code_is_refused(
    tmp_path, secret, marker
):
    """A legacy .h5 model whose whole weights group for a layer is an HDF5 external link to the
    secret (a link on the way, not at the numbers), and one with a Lambda layer: one line
    each, nothing read or run."""
    h5py = pytest.importorskip("h5py")
    import json

    layers = [
        {
            "class_name": "InputLayer",
            "config": {"name": "in", "batch_input_shape": [None, 4, 4, 1]},
        },
        {"class_name": "Flatten", "config": {"name": "flatten"}},
        {"class_name": "Dense", "config": {"name": "dense", "units": 2}},
    ]
    folder = tmp_path / "input"
    folder.mkdir()

    def write(name, layers):
        path = folder / name
        with h5py.File(path, "w") as f:
            f.attrs["model_config"] = json.dumps(
                {"class_name": "Sequential", "config": {"name": "m", "layers": layers}}
            )
            f["model_weights/dense"] = h5py.ExternalLink(str(secret), "/numbers")
        return path

    outcome, out = _import(tmp_path, write("linked.h5", layers), cwd=folder)
    line = assert_refused(outcome, "linked.h5", "refused", "model_weights/dense")
    assert_no_secret(folder, out, text=outcome.stdout + line)
    evil = {
        "class_name": "Lambda",
        "config": {"name": "evil", "function": ["ZXZpbA==", None, None], "module": "builtins"},
    }
    outcome, out = _import(tmp_path, write("code.h5", [*layers[:1], evil, *layers[1:]]), folder)
    assert_refused(outcome, "Lambda 'evil'", "Python code")
    assert not marker.exists() and not out.exists()


def test_a_class_list_beside_the_model_is_never_followed_out_nor_read_past_its_bound(tmp_path):
    """A labels.txt beside the model that is a link to secret lines outside its folder (as
    many as the model's votes, so that they would be used): not read. One past the size bound
    (sparse, no disk used): not read, and the report says why. The model opens either way."""
    from convviz.core.limits import IMPORT_CLASSES_FILE_MAX_BYTES

    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "names.txt").write_bytes(SECRET + b"-a\n" + SECRET + b"-b\n")
    folder = tmp_path / "input"
    folder.mkdir()
    model = small_model(folder / "m.onnx")
    (folder / "labels.txt").symlink_to(outside / "names.txt")
    outcome, out = _import(tmp_path, model, cwd=folder)
    assert outcome.returncode == 0, outcome.stderr
    assert (
        "classes (numbered" in outcome.stdout and "labels.txt beside it is a link" in outcome.stdout
    )
    assert_no_secret(out, text=outcome.stdout + outcome.stderr)
    (folder / "labels.txt").unlink()
    with open(folder / "labels.txt", "wb") as f:
        f.truncate(IMPORT_CLASSES_FILE_MAX_BYTES + 1)
    out.unlink()
    outcome, out = _import(tmp_path, model, cwd=folder)
    assert outcome.returncode == 0, outcome.stderr
    assert "labels.txt beside it is not a readable class list: not used" in outcome.stdout


def test_a_graph_that_loops_back_on_itself_is_refused_not_walked_for_ever(tmp_path):
    """Relu(x) -> t, Relu(t) -> x: a crafted file whose path comes back to the picture; walking
    it naively never ends (the case's time limit would fail it)."""
    graph = helper.make_graph(
        [
            helper.make_node("Relu", ["x"], ["t"], name="there"),
            helper.make_node("Relu", ["t"], ["x"], name="back"),
        ],
        "loop",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 4, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    (tmp_path / "loop.onnx").write_bytes(model.SerializeToString())
    outcome, out = _import(tmp_path, tmp_path / "loop.onnx")
    assert_refused(outcome, "loop.onnx", "Relu 'there' is reached again", "loops back")
    assert not out.exists()


def test_class_names_from_the_metadata_are_escaped_and_a_mismatch_names_the_file(tmp_path):
    """A class name holding a terminal escape sequence (ESC [31m would turn the terminal red)
    is shown escaped in the report; metadata naming another number of classes than the model
    votes for is one line that names the file."""
    path = small_model(tmp_path / "named.onnx")
    model = onnx.load(str(path))
    model.metadata_props.add(key="classes", value='["\\u001b[31mred", "b"]')
    path.write_bytes(model.SerializeToString())
    outcome, out = _import(tmp_path, path)
    assert outcome.returncode == 0, outcome.stderr
    assert "\x1b" not in outcome.stdout and "\\x1b[31mred, b" in outcome.stdout, outcome.stdout
    del model.metadata_props[:]
    model.metadata_props.add(key="classes", value='["a", "b", "c"]')
    path.write_bytes(model.SerializeToString())
    out.unlink()
    outcome, out = _import(tmp_path, path)
    assert_refused(outcome, "named.onnx", "votes for 2 classes but 3 class names")
