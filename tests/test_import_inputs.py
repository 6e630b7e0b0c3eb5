"""What an imported network needs that its graph may not say (issue 15, item 3): class names
from a labels.txt or classes.txt beside the model, and a convolution padded more at the end than
at the start (as converters write 'SAME'), mapped exactly where convviz's padding, the same on
both sides, gives the same windows, and refused where it does not (never approximated)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from convviz.core.importing import ModelRefused, import_model  # noqa: E402


def conv_model(path, size: int, **conv):
    """1 x size x size -> Conv (3 features 3x3, stride 2, `conv` attributes) -> Relu ->
    Flatten -> Gemm (2 votes); its Gemm sized from what onnx's shape inference says."""
    rng = np.random.default_rng(0)
    w = numpy_helper.from_array(rng.normal(size=(3, 1, 3, 3)).astype(np.float32), "w")
    b = numpy_helper.from_array(rng.normal(size=3).astype(np.float32), "b")
    probe = helper.make_model(
        helper.make_graph(
            [helper.make_node("Conv", ["x", "w", "b"], ["c"], strides=[2, 2], **conv)],
            "probe",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, size, size])],
            [helper.make_tensor_value_info("c", TensorProto.FLOAT, None)],
            [w, b],
        ),
        opset_imports=[helper.make_opsetid("", 17)],
    )
    out = onnx.shape_inference.infer_shapes(probe).graph.output[0].type.tensor_type.shape.dim
    flat = int(np.prod([d.dim_value for d in out[1:]]))
    fc = numpy_helper.from_array(rng.normal(size=(2, flat)).astype(np.float32), "fc")
    graph = helper.make_graph(
        [
            helper.make_node("Conv", ["x", "w", "b"], ["c"], name="conv", strides=[2, 2], **conv),
            helper.make_node("Relu", ["c"], ["r"], name="relu"),
            helper.make_node("Flatten", ["r"], ["f"], name="flat"),
            helper.make_node("Gemm", ["f", "fc"], ["y"], name="votes", transB=1),
        ],
        "conv",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, size, size])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])],
        [w, b, fc],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    path.write_bytes(model.SerializeToString())
    return path


def same_votes(path, size: int):
    imported = import_model(path)
    x = np.random.default_rng(1).uniform(0, 1, (1, 1, size, size)).astype(np.float32)
    with torch.no_grad():
        votes = imported.model()(torch.from_numpy(x)).numpy()
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(votes, session.run(None, {"x": x})[0], atol=1e-4, rtol=0)
    return imported


@pytest.mark.parametrize(
    "size, conv, padding",
    [
        (7, {"pads": [0, 0, 1, 1]}, 0),  # 7 with 3x3 at stride 2: the extra end row unused
        (9, {"pads": [1, 1, 2, 2]}, 1),
        (7, {"auto_pad": "SAME_UPPER"}, 1),  # 2 rows in all: one on each side
        (9, {"pads": [0, 1, 1, 1]}, (0, 1)),  # rows (0, 1) as (0, 0), cols (1, 1)
    ],
)
def test_padding_more_at_the_end_is_mapped_where_it_is_exact(tmp_path, size, conv, padding):
    imported = same_votes(conv_model(tmp_path / "m.onnx", size, **conv), size)
    assert imported.spec.layers[0].padding == padding


@pytest.mark.parametrize(
    "size, conv",
    [
        (8, {"pads": [0, 0, 1, 1]}),  # the last window reaches the one padded row
        (7, {"pads": [1, 1, 0, 0]}),  # more at the start: the windows would start elsewhere
        (8, {"auto_pad": "SAME_UPPER"}),
    ],
)
def test_padding_no_symmetric_padding_can_match_is_refused(tmp_path, size, conv):
    with pytest.raises(ModelRefused) as e:
        import_model(conv_model(tmp_path / "m.onnx", size, **conv))
    assert "Conv 'conv' pads [" in str(e.value) and "no such padding gives the same" in str(e.value)


def test_class_names_from_a_file_beside_the_model(tmp_path):
    path = conv_model(tmp_path / "m.onnx", 7)
    (tmp_path / "classes.txt").write_text("yes\nno\n")
    imported = import_model(path)
    assert imported.spec.classes == ("yes", "no")
    assert imported.classes_source == "from classes.txt beside the model"
    assert "classes (from classes.txt beside the model): yes, no" in imported.report[-1]
    # labels.txt comes first; one that names another number of classes is not used (then
    # classes.txt is), and without another the report says why
    (tmp_path / "labels.txt").write_text("a\nb\nc\n")
    assert import_model(path).spec.classes == ("yes", "no")
    (tmp_path / "classes.txt").rename(tmp_path / "kept.txt")
    imported = import_model(path)
    assert imported.spec.classes == ("0", "1")
    assert "labels.txt beside it names 3 classes, the model votes for 2: not used" in (
        imported.classes_source
    )
    # names given win; a labels.txt that is a link (it could point anywhere) is not read
    assert import_model(path, classes=["p", "q"]).spec.classes == ("p", "q")
    (tmp_path / "labels.txt").unlink()
    (tmp_path / "elsewhere.txt").write_text("secret1\nsecret2\n")
    (tmp_path / "labels.txt").symlink_to(tmp_path / "elsewhere.txt")
    (tmp_path / "kept.txt").rename(tmp_path / "classes.txt")
    assert import_model(path).spec.classes == ("yes", "no")


def test_a_model_too_large_to_show_live_gives_its_architecture_only(tmp_path, monkeypatch):
    from convviz.core.importing import ModelTooLarge, onnx_file

    path = conv_model(tmp_path / "m.onnx", 7)  # 3*9 + 3 + 2*27 = 84 numbers
    monkeypatch.setattr(onnx_file, "IMPORT_MAX_PARAMETERS", 80)
    with pytest.raises(ModelTooLarge) as e:
        import_model(path)
    line = str(e.value)
    assert "\n" not in line and "too large to show live: the model has 84 parameters" in line
    architecture = e.value.architecture
    assert [x.kind for x in architecture.spec.layers] == ["conv", "relu", "flatten"]
    assert (
        architecture.state == {}
        and "its architecture can still be shown" in (architecture.report[-1])
    )
    with pytest.raises(ModelTooLarge, match="architecture only"):
        architecture.model()
    # a tensor that declares more numbers than it holds is refused outright, never walked
    model = onnx.load(str(path))
    fc = model.graph.initializer[2]
    fc.ClearField("raw_data")
    fc.float_data.extend([0.0] * 3)
    path.write_bytes(model.SerializeToString())
    with pytest.raises(ModelRefused) as e:
        import_model(path)
    assert not isinstance(e.value, ModelTooLarge) and "more than 80 parameters" in str(e.value)
