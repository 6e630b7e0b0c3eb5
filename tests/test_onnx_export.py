"""ONNX export: onnxruntime gives torch's votes within 1e-5; writes are atomic and
self-contained."""

import json

import numpy as np
import pytest
import torch

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from convviz.core.errors import WeightsError  # noqa: E402 - after the importorskips
from convviz.core.network import build  # noqa: E402 - after the importorskips
from convviz.core.onnx_export import export_onnx, read_onnx  # noqa: E402 - after the importorskips
from convviz.core.presets import preset  # noqa: E402 - after the importorskips
from convviz.core.spec import NetworkSpec  # noqa: E402 - after the importorskips


def _trained_looking(name):
    model = build(preset(name), seed=3)
    with torch.no_grad():  # move the weights away from their start so nothing matches by luck
        for p in model.parameters():
            if p.requires_grad:
                p.add_(torch.randn_like(p) * 0.1)
    return model


@pytest.mark.parametrize("name", ["xo", "shapes"])
def test_onnxruntime_matches_torch(tmp_path, name):
    model = _trained_looking(name)
    out = tmp_path / f"{name}.onnx"
    export_onnx(model, out, {"summary": json.dumps({"val_accuracy": 0.9})})
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]  # no side .data, no temp
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    n = model.spec.input_size
    for batch in (1, 7):  # any batch size
        x = np.random.default_rng(batch).uniform(-1, 1, (batch, 1, n, n)).astype(np.float32)
        got = session.run(["votes"], {"input": x})[0]
        with torch.no_grad():
            want = model(torch.from_numpy(x)).numpy()
        assert got.shape == (batch, len(model.spec.classes))
        np.testing.assert_allclose(got, want, atol=1e-5, rtol=0)
    meta = {p.key: p.value for p in onnx.load(str(out)).metadata_props}
    assert json.loads(meta["spec"])["classes"] == list(model.spec.classes)
    assert json.loads(meta["summary"]) == {"val_accuracy": 0.9}

    state, meta = read_onnx(out)  # the weights come back under their own names
    assert json.loads(meta["summary"]) == {"val_accuracy": 0.9}
    rebuilt = build(NetworkSpec.from_json(meta["spec"]), seed=99)
    rebuilt.load_state_dict(state)
    x = torch.from_numpy(np.random.default_rng(0).uniform(-1, 1, (3, 1, n, n)).astype(np.float32))
    with torch.no_grad():
        torch.testing.assert_close(rebuilt(x), model(x))


def test_read_onnx_refuses_other_files(tmp_path):
    bad = tmp_path / "x.onnx"
    bad.write_bytes(b"not onnx at all")
    with pytest.raises(WeightsError, match="damaged or truncated"):
        read_onnx(bad)


def test_failed_export_keeps_the_old_file_and_leaves_nothing(tmp_path, monkeypatch):
    model = build(preset("xo"))
    out = tmp_path / "model.onnx"
    out.write_bytes(b"the earlier export")

    def broken(*a, **k):
        raise RuntimeError("exporter fell over\nwith a long story")

    monkeypatch.setattr(torch.onnx, "export", broken)
    with pytest.raises(WeightsError) as err:
        export_onnx(model, out)
    assert str(err.value) == "ONNX export of 'xo' failed: RuntimeError: exporter fell over"
    assert out.read_bytes() == b"the earlier export"
    assert [p.name for p in tmp_path.iterdir()] == ["model.onnx"]


def test_missing_folder_is_a_one_line_error(tmp_path):
    with pytest.raises(WeightsError, match="does not exist"):
        export_onnx(build(preset("xo")), tmp_path / "nope" / "m.onnx")


def test_export_leaves_the_model_where_it_was(tmp_path):
    model = build(preset("xo"))
    model.train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    export_onnx(model, tmp_path / "m.onnx")
    assert model.training  # the export used a copy in eval mode
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k])


def test_read_onnx_refuses_external_data_without_opening_it(tmp_path, monkeypatch):
    from onnx import external_data_helper, helper, numpy_helper

    from convviz.core.weights import metadata_for

    model = _trained_looking("xo")
    (tmp_path / "numbers.bin").write_bytes(bytes(4 * 27))
    inits = [numpy_helper.from_array(v.numpy(), k) for k, v in model.state_dict().items()]
    external_data_helper.set_external_data(inits[0], "numbers.bin", 0, 4 * 27)
    inits[0].ClearField("raw_data")
    inits[0].data_location = onnx.TensorProto.EXTERNAL
    proto = helper.make_model(helper.make_graph([], "g", [], [], initializer=inits))
    for k, v in metadata_for(model).items():
        p = proto.metadata_props.add()
        p.key, p.value = k, v
    (tmp_path / "m.onnx").write_bytes(proto.SerializeToString())
    opened = []
    real_open = open
    monkeypatch.setattr(
        "builtins.open", lambda f, *a, **k: opened.append(str(f)) or real_open(f, *a, **k)
    )
    monkeypatch.chdir(tmp_path)
    with pytest.raises(WeightsError, match=r"layers\.0\.weight.*another file.*numbers\.bin"):
        read_onnx(tmp_path / "m.onnx")
    assert not any("numbers.bin" in f for f in opened)


def test_an_exported_file_gets_the_mode_of_any_new_file(tmp_path):
    import os

    from convviz.core.weights import save_model

    old = os.umask(0o022)
    try:
        for name in ("a.onnx", "a.safetensors"):
            save_model(build(preset("xo"), seed=0), tmp_path / name)
        modes = {
            name: (tmp_path / name).stat().st_mode & 0o777 for name in ("a.onnx", "a.safetensors")
        }
    finally:
        os.umask(old)
    assert modes == {"a.onnx": 0o644, "a.safetensors": 0o644}
