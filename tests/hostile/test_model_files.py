"""Hostile ONNX model files: a model may name another file for its numbers ("external data");
convviz never reads it. Damaged, mislabelled and oversized models are one line."""

from __future__ import annotations

import json

import pytest

from . import crafted
from .harness import SECRET, assert_no_secret, assert_refused, convviz_cli
from .test_weights import _load_each

pytest.importorskip("onnx")


def test_external_data_naming_a_local_file_never_gets_into_an_export(tmp_path, secret):
    # the initializer's numbers "live in" secret.txt, relative to where convviz runs
    model_dir = tmp_path / "input"
    model_dir.mkdir()
    evil = crafted.onnx_file(
        model_dir / "evil.onnx", external=("layers.4.weight", "secret.txt", 0, 2 * 48 * 4)
    )
    out = tmp_path / "out.safetensors"
    outcome = convviz_cli("export", evil, "--to", out, cwd=secret.parent)
    line = assert_refused(outcome, "layers.4.weight", "secret.txt", "another file")
    assert_no_secret(tmp_path / "input", out, text=outcome.stdout + line)
    assert not out.exists()


def test_external_data_beside_the_model_or_through_a_path_is_refused_too(tmp_path, secret):
    (tmp_path / "beside.bin").write_bytes(SECRET * 64)
    crafted.onnx_file(tmp_path / "beside.onnx", external=("layers.0.weight", "beside.bin", 0, 108))
    crafted.onnx_file(tmp_path / "path.onnx", external=("layers.0.weight", str(secret), 0, 108))
    crafted.onnx_file(
        tmp_path / "up.onnx", external=("layers.0.weight", "outside/secret.txt", 0, 108)
    )
    results = _load_each(tmp_path, "beside.onnx", "path.onnx", "up.onnx")
    for name, message in results.items():
        assert "refused" in message and "layers.0.weight" in message, (name, message)
    assert_no_secret(text=json.dumps(results))


def test_damaged_mislabelled_and_oversized_models_are_one_line(tmp_path):
    good = crafted.onnx_file(tmp_path / "good.onnx").read_bytes()
    (tmp_path / "truncated.onnx").write_bytes(good[: len(good) // 2])
    (tmp_path / "notes.onnx").write_text("not a model, just notes\n" * 20)
    (tmp_path / "png.onnx").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    # a declared shape of 100,000 x 100,000 floats over 108 bytes of data
    crafted.onnx_file(tmp_path / "huge.onnx", dims=[100_000, 100_000])
    crafted.onnx_file(tmp_path / "lying.onnx", raw=b"\0" * 8)  # 2 numbers for 27
    names = ["good.onnx", "truncated.onnx", "notes.onnx", "png.onnx", "huge.onnx", "lying.onnx"]
    results = _load_each(tmp_path, *names)
    assert results.pop("good.onnx") == "ok"
    for name, message in results.items():
        assert message != "ok" and name in message, (name, message)
    assert "100000x100000" in results["huge.onnx"]


def test_an_onnx_export_of_a_refused_file_writes_nothing(tmp_path):
    crafted.onnx_file(tmp_path / "huge.onnx", dims=[100_000, 100_000])
    out = tmp_path / "out.onnx"
    assert_refused(convviz_cli("export", "huge.onnx", "--to", out, cwd=tmp_path), "huge.onnx")
    assert not out.exists()
