"""Reading .onnx weights without the onnx package (core/onnx_read.py): the same numbers as onnx's
own reader for every way a tensor can be stored, one line for any damage, and no `onnx` import
(its start-up held Python's lock ~480 ms and froze the window on the first .onnx opened)."""

import subprocess
import sys

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

onnx = pytest.importorskip("onnx")

from onnx import helper, numpy_helper  # noqa: E402 - after the importorskip

from convviz.core.errors import WeightsError  # noqa: E402
from convviz.core.network import build  # noqa: E402
from convviz.core.onnx_read import read_onnx_declared  # noqa: E402
from convviz.core.presets import preset  # noqa: E402
from convviz.core.weights import metadata_for  # noqa: E402


def _model_bytes(inits, meta=None) -> bytes:
    proto = helper.make_model(helper.make_graph([], "g", [], [], initializer=inits))
    for k, v in (meta or {"spec": "{}"}).items():
        p = proto.metadata_props.add()
        p.key, p.value = k, v
    return proto.SerializeToString()


def _xo_file(tmp_path):
    model = build(preset("xo"), seed=2)
    inits = [numpy_helper.from_array(v.numpy(), k) for k, v in model.state_dict().items()]
    path = tmp_path / "xo.onnx"
    path.write_bytes(_model_bytes(inits, metadata_for(model)))
    return path, model


def test_reads_what_onnx_reads_for_every_storage(tmp_path):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 2, 2)).astype(np.float32)
    raw32 = numpy_helper.from_array(a, "layers.0.weight")  # raw_data
    listed = helper.make_tensor(
        "layers.1.weight", onnx.TensorProto.FLOAT, [3, 2, 2], a.ravel().tolist()
    )  # float_data
    double = helper.make_tensor(
        "layers.2.weight", onnx.TensorProto.DOUBLE, [3, 2, 2], a.astype(np.float64).ravel().tolist()
    )  # double_data
    half = helper.make_tensor(
        "layers.3.weight",
        onnx.TensorProto.FLOAT16,
        [3, 2, 2],
        a.astype(np.float16).ravel().tolist(),
    )  # int32_data bit patterns
    bf16 = helper.make_tensor(
        "layers.4.weight", onnx.TensorProto.BFLOAT16, [3, 2, 2], a.ravel().tolist()
    )
    raw_half = numpy_helper.from_array(a.astype(np.float16), "layers.5.weight")
    path = tmp_path / "m.onnx"
    path.write_bytes(_model_bytes([raw32, listed, double, half, bf16, raw_half]))
    declared = read_onnx_declared(path)
    got = declared.read()
    assert [t.dtype for t in declared.tensors.values()] == [
        "float32",
        "float32",
        "float64",
        "float16",
        "bfloat16",
        "float16",
    ]
    for init in (raw32, listed, double, half, bf16, raw_half):
        want = np.asarray(numpy_helper.to_array(init), dtype=np.float32)
        assert got[init.name].shape == (3, 2, 2)
        np.testing.assert_array_equal(got[init.name].numpy(), want, err_msg=init.name)


def test_a_convviz_file_round_trips_with_its_metadata(tmp_path):
    path, model = _xo_file(tmp_path)
    declared = read_onnx_declared(path)
    assert declared.metadata == metadata_for(model)
    for k, v in declared.read().items():
        assert torch.equal(v, model.state_dict()[k])


def test_a_truncated_file_is_one_weights_error_or_its_intact_part(tmp_path):
    """Cut at a field boundary, a protobuf is still well formed (the later fields are missing):
    then what is read must be exactly what the file held; anywhere else, one WeightsError."""
    from convviz.core.weights import load_model

    path, model = _xo_file(tmp_path)
    good = path.read_bytes()
    cut = tmp_path / "cut.onnx"
    refused = 0
    for n in range(0, len(good) - 1, max(1, len(good) // 400)):
        cut.write_bytes(good[:n])
        try:
            again, _ = load_model(cut)
        except WeightsError as e:
            assert "\n" not in str(e)
            refused += 1
            continue
        for k, v in again.state_dict().items():
            assert torch.equal(v, model.state_dict()[k]), n
    assert refused > 300


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_give_a_result_or_one_weights_error(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("b") / "x.onnx"
    path.write_bytes(data)
    try:
        read_onnx_declared(path).read()
    except WeightsError as e:
        assert "\n" not in str(e)


def test_opening_onnx_weights_does_not_import_onnx(tmp_path):
    path, _ = _xo_file(tmp_path)
    code = (
        "import sys; from pathlib import Path; from convviz.core.weights import load_model; "
        f"load_model(Path({str(path)!r})); "
        "print(sorted(m for m in ('onnx', 'ml_dtypes') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
