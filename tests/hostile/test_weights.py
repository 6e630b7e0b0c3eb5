"""Hostile weights files: each is opened by `convviz export FILE --to OUT` (which loads it) in a
process under the harness's memory and time limits, and must give one clear line, never a
traceback, and nothing written. Several small files share one process where noted; the failing
one is named."""

from __future__ import annotations

import json
import os

import pytest
import torch

from . import crafted
from .harness import assert_refused, convviz_cli, python_snippet

# Loads each file given on the command line and prints {file: "ok" | the one-line error};
# anything else escaping is a traceback on stderr.
LOAD_EACH = """
import json, sys
from convviz.core.errors import ConvvizError
from convviz.core.weights import load_model
out = {}
for name in sys.argv[1:]:
    try:
        load_model(name)
        out[name] = "ok"
    except ConvvizError as e:
        out[name] = str(e)
print(json.dumps(out))
"""


def _load_each(tmp_path, *names):
    outcome = python_snippet(LOAD_EACH.replace("sys.argv[1:]", repr(list(names))), cwd=tmp_path)
    assert outcome.returncode == 0 and "Traceback" not in outcome.stderr, outcome.stderr[-3000:]
    results = json.loads(outcome.stdout)
    for name, message in results.items():
        assert "\n" not in message, (name, message)
    return results


def _export_refused(tmp_path, name, *words):
    out = tmp_path / "out.safetensors"
    line = assert_refused(convviz_cli("export", name, "--to", out, cwd=tmp_path), *words)
    assert not out.exists()
    return line


def test_a_small_file_asking_for_a_4000x4000_input_is_refused_before_building(tmp_path):
    spec = crafted.spec_dict()
    spec["input_size"] = 4000
    path = crafted.safetensors_file(tmp_path / "big-input.safetensors", spec_json=spec)
    assert path.stat().st_size < 300_000
    _export_refused(tmp_path, path.name, "4000x4000", "limit")


def test_a_million_neurons_is_refused_by_the_parameter_limit(tmp_path):
    spec = crafted.spec_dict()
    spec["layers"][-2] = {"kind": "fc", "neurons": 1_000_000}
    crafted.safetensors_file(tmp_path / "wide.safetensors", spec_json=spec)
    _export_refused(tmp_path, "wide.safetensors", "parameters", "limit")


def test_class_names_of_a_million_characters_are_refused_by_the_name_limit(tmp_path):
    spec = crafted.spec_dict()
    spec["classes"][0] = "x" * 1_000_000
    crafted.safetensors_file(tmp_path / "long.safetensors", spec_json=spec)
    _export_refused(tmp_path, "long.safetensors", "class name 1", "characters", "limit")


def test_nested_json_in_the_metadata_is_one_line(tmp_path):
    deep = "[" * 100_000 + "]" * 100_000
    crafted.safetensors_file(tmp_path / "deep-spec.safetensors", spec_json=deep)
    crafted.safetensors_file(tmp_path / "deep-summary.safetensors", meta_changes={"summary": deep})
    results = _load_each(tmp_path, "deep-spec.safetensors", "deep-summary.safetensors")
    assert "nested" in results["deep-spec.safetensors"]
    # a summary is only for reading: the weights themselves open
    assert results["deep-summary.safetensors"] == "ok"


def test_value_ranges_that_make_every_vote_nan_are_refused(tmp_path):
    names = {}
    for label, vr in (
        ("huge", "[-1e308, 1e308]"),
        ("inf", "[-Infinity, Infinity]"),
        ("overflow", "[0, 1e309]"),
        ("one", "[5]"),
        ("text", '["a", "b"]'),
        ("reversed", "[1, -1]"),
    ):
        spec = crafted.spec_dict()
        text = json.dumps(spec).replace('"value_range": [-1.0, 1.0]', f'"value_range": {vr}')
        names[label] = crafted.safetensors_file(
            tmp_path / f"{label}.safetensors", spec_json=text
        ).name
    results = _load_each(tmp_path, *names.values())
    for label, name in names.items():
        assert "value range" in results[name], (label, results[name])


def test_sizes_that_are_not_whole_finite_numbers_are_one_line(tmp_path):
    names = []
    for label, value in (
        ("inf", "1e309"),
        ("nan", "NaN"),
        ("bool", "true"),
        ("frac", "28.5"),
        ("text", '"28"'),
        ("huge", "1" + "0" * 5000),
    ):
        text = json.dumps(crafted.spec_dict()).replace('"input_size": 28', f'"input_size": {value}')
        names.append(
            crafted.safetensors_file(tmp_path / f"{label}.safetensors", spec_json=text).name
        )
    results = _load_each(tmp_path, *names)
    for name in names:
        assert "input_size" in results[name] or "not valid JSON" in results[name], (
            name,
            results[name],
        )


def test_metadata_of_the_wrong_types_is_one_line(tmp_path):
    crafted.safetensors_file(tmp_path / "list.safetensors", spec_json="[1, 2]")
    crafted.safetensors_file(tmp_path / "num.safetensors", spec_json="5")
    crafted.safetensors_file(
        tmp_path / "layers.safetensors",
        spec_json=json.dumps(dict(crafted.spec_dict(), layers={"kind": "relu"})),
    )
    crafted.safetensors_file(
        tmp_path / "classes.safetensors",
        spec_json=json.dumps(dict(crafted.spec_dict(), classes=[1, 2, 3, 4, 5, 6])),
    )
    results = _load_each(
        tmp_path, "list.safetensors", "num.safetensors", "layers.safetensors", "classes.safetensors"
    )
    for name, message in results.items():
        assert message != "ok" and ("invalid" in message or "'spec'" in message), (name, message)


def test_tensor_types_outside_the_short_list_are_one_line_and_float64_is_converted(tmp_path):
    _, state, _ = crafted.model_and_meta("shapes")
    crafted.safetensors_file(
        tmp_path / "int.safetensors", state={k: v.to(torch.int64) for k, v in state.items()}
    )
    crafted.safetensors_file(
        tmp_path / "f64.safetensors", state={k: v.double() for k, v in state.items()}
    )
    crafted.safetensors_file(
        tmp_path / "bf16.safetensors", state={k: v.bfloat16() for k, v in state.items()}
    )
    crafted.pt_file(
        tmp_path / "int.pt",
        state={k: v.to(torch.int32) for k, v in crafted.model_and_meta()[1].items()},
    )
    results = _load_each(
        tmp_path, "int.safetensors", "f64.safetensors", "bf16.safetensors", "int.pt"
    )
    assert "int64" in results["int.safetensors"] and "float32" in results["int.safetensors"]
    assert "int32" in results["int.pt"]
    assert results["f64.safetensors"] == results["bf16.safetensors"] == "ok"


def test_pt_values_that_are_not_tensors_are_one_line(tmp_path):
    _, state, _ = crafted.model_and_meta()
    crafted.pt_file(tmp_path / "int.pt", state=dict(state, **{"layers.0.weight": 5}))
    crafted.pt_file(tmp_path / "list.pt", state=dict(state, **{"layers.0.weight": [1.0] * 27}))
    _, _, meta = crafted.model_and_meta()
    crafted.pt_file(tmp_path / "meta.pt", meta=dict(meta, summary=torch.zeros(3)))
    results = _load_each(tmp_path, "int.pt", "list.pt", "meta.pt")
    assert "int" in results["int.pt"] and "only tensors" in results["int.pt"]
    assert "list" in results["list.pt"]
    assert "summary" in results["meta.pt"] and "not text" in results["meta.pt"]


def test_a_small_pt_whose_storage_inflates_to_3_gb_is_refused_before_inflating(tmp_path):
    path = crafted.pt_with_compressed_storage(tmp_path / "bomb.pt", 3 * 1024**3)
    assert path.stat().st_size < 5_000_000
    _export_refused(tmp_path, "bomb.pt", "declare", "bytes")


def test_a_pt_storage_inflating_within_memory_is_still_judged_by_the_spec(tmp_path):
    # 300 MB fits in the harness's memory: without the check it loads, taking 300 MB
    crafted.pt_with_compressed_storage(tmp_path / "bomb.pt", 300 * 1024**2)
    _export_refused(tmp_path, "bomb.pt", "declare", "bytes")


def test_unreadable_weights_are_one_line(tmp_path):
    (tmp_path / "folder.safetensors").mkdir()
    locked = crafted.safetensors_file(tmp_path / "locked.safetensors")
    locked.chmod(0)
    names = ["folder.safetensors"] + ([] if os.geteuid() == 0 else ["locked.safetensors"])
    results = _load_each(tmp_path, *names)
    assert "not a file" in results["folder.safetensors"]
    if os.geteuid() != 0:  # root reads anything
        assert "permission" in results["locked.safetensors"]


@pytest.mark.skipif(os.name != "posix", reason="non-UTF-8 names exist on POSIX file systems")
def test_a_good_file_under_a_non_utf8_path_loads(tmp_path):
    folder = tmp_path / os.fsdecode(b"caf\xe9")
    folder.mkdir()
    crafted.safetensors_file(folder / "w.safetensors")
    crafted.pt_file(folder / "w.pt")
    crafted.onnx_file(folder / "w.onnx")
    names = [os.path.join(folder.name, n) for n in ("w.safetensors", "w.pt", "w.onnx")]
    results = _load_each(tmp_path, *names)
    assert set(results.values()) == {"ok"}, results


def test_an_alexnet_sized_network_is_built_and_traced_within_the_harness(tmp_path):
    # the limits leave room for AlexNet (227x227x3, 62 million parameters): describing it is
    # allowed, and building it and tracing one image stays inside the harness's memory
    code = """
import numpy as np
from convviz.core.network import build
from convviz.core.spec import NetworkSpec
from tests.hostile.crafted import alexnet_dict
m = build(NetworkSpec.from_dict(alexnet_dict()), seed=None)
t = m.trace(np.zeros((3, 227, 227), np.float32))
print(sum(p.numel() for p in m.parameters()), len(t.votes))
"""
    outcome = python_snippet(code, cwd=tmp_path)
    assert outcome.returncode == 0, outcome.stderr[-2000:]
    params, votes = map(int, outcome.stdout.split())
    assert 60_000_000 < params < 64_000_000 and votes == 1000


def test_the_app_forgets_remembered_weights_it_refuses_and_says_so_once(qtbot, tmp_path):
    # a value range of +-1e308 used to be accepted (every vote NaN) and reopened at every start
    from convviz.qt import settings
    from convviz.qt.main_window import MainWindow
    from convviz.qt.session import Session

    text = json.dumps(crafted.spec_dict()).replace(
        '"value_range": [-1.0, 1.0]', '"value_range": [-1e308, 1e308]'
    )
    bad = crafted.safetensors_file(tmp_path / "nan-votes.safetensors", spec_json=text)
    settings.app_settings().setValue(settings.WEIGHTS, str(bad))
    window = MainWindow(Session("shapes"))
    qtbot.addWidget(window)
    window.persist = False
    window.show()
    window.start(background=False)
    qtbot.waitUntil(lambda: not settings.app_settings().contains(settings.WEIGHTS), timeout=5000)
    message = window.statusBar().currentMessage()
    assert "nan-votes.safetensors" in message and "value range" in message, message
    assert window.session.spec.value_range == (-1.0, 1.0)
