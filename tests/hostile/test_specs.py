"""Network descriptions from strangers: `train --spec`, the architecture editor, and the spec in a
weights file all meet the same resource budget before anything is built. Property tests: any
mutation of a description, or any metadata, gives a spec or a SpecError/WeightsError, never
another exception."""

from __future__ import annotations

import contextlib
import json
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from convviz.core.errors import SpecError, WeightsError
from convviz.core.limits import MAX_CLASSES, MAX_SPEC_JSON_BYTES
from convviz.core.presets import PRESETS, preset
from convviz.core.spec import Conv, Flatten, NetworkSpec

from . import crafted
from .harness import assert_refused, convviz_cli


@pytest.fixture
def folder(tmp_path):
    """A labelled folder of two classes, one tiny image each."""
    from PIL import Image

    for name in ("a", "b"):
        (tmp_path / "data" / name).mkdir(parents=True)
        Image.fromarray(np.full((28, 28), 200, np.uint8)).save(tmp_path / "data" / name / "1.png")
    return tmp_path / "data"


def _train_with(tmp_path, folder, spec_text, *words):
    path = tmp_path / "spec.json"
    path.write_bytes(spec_text if isinstance(spec_text, bytes) else spec_text.encode())
    out = tmp_path / "out.safetensors"
    line = assert_refused(
        convviz_cli("train", folder, "--spec", path, "--out", out, "--epochs", "1", cwd=tmp_path),
        *words,
    )
    assert not out.exists()
    return line


def test_train_spec_asking_for_a_4000x4000_input(tmp_path, folder):
    spec = crafted.spec_dict()
    spec["input_size"] = 4000
    _train_with(tmp_path, folder, json.dumps(spec), "4000x4000", "limit")


def test_train_spec_with_a_million_neurons(tmp_path, folder):
    spec = crafted.spec_dict()
    spec["layers"][-2] = {"kind": "fc", "neurons": 1_000_000}
    _train_with(tmp_path, folder, json.dumps(spec), "parameters", "limit")


def test_train_spec_nested_100000_deep(tmp_path, folder):
    _train_with(tmp_path, folder, "[" * 100_000 + "]" * 100_000, "nested", "limit")


def test_train_spec_larger_than_the_json_limit_is_not_read(tmp_path, folder):
    spec = crafted.spec_dict()
    spec["name"] = "x" * (MAX_SPEC_JSON_BYTES + 10)
    _train_with(tmp_path, folder, json.dumps(spec), "bytes", "limit")


def test_train_spec_that_is_not_utf8_or_not_a_file(tmp_path, folder):
    _train_with(tmp_path, folder, b'{"name": "caf\xe9"}', "UTF-8")
    (tmp_path / "dir.json").mkdir()
    out = tmp_path / "out.safetensors"
    assert_refused(
        convviz_cli("train", folder, "--spec", tmp_path / "dir.json", "--out", out, cwd=tmp_path),
        "dir.json",
    )


# ---- the same limits, in process --------------------------------------------------------------
def _refusal(d) -> str:
    with pytest.raises(SpecError) as info:
        NetworkSpec.from_dict(d) if isinstance(d, dict) else NetworkSpec.from_json(d)
    msg = str(info.value)
    assert "\n" not in msg and len(msg) < 400, msg
    return msg


def test_ten_thousand_classes_are_allowed_and_one_more_is_not():
    from convviz.core.network import build

    many = [f"class {i}" for i in range(MAX_CLASSES)]
    model = build(preset("shapes").with_classes(many))
    assert model.trace(np.zeros((28, 28), np.float32)).votes.shape == (MAX_CLASSES,)
    assert "limit" in _refusal(dict(crafted.spec_dict(), classes=[*many, "one more"]))
    with pytest.raises(SpecError, match="10,000,000 classes"):
        preset("shapes").with_classes(map(str, range(10_000_000))).validate()


@pytest.mark.parametrize(
    "change, words",
    [
        ({"value_range": [5]}, "value range"),
        ({"value_range": [-1e308, 1e308]}, "value range"),
        ({"value_range": [0, float("inf")]}, "value range"),
        ({"value_range": [float("nan"), 1]}, "value range"),
        ({"input_size": float("nan")}, "input_size"),
        ({"input_size": True}, "input_size"),
        ({"input_size": 1e309}, "input_size"),
        ({"channels": 3.5}, "channels"),
        ({"channels": 400}, "limit"),
        ({"name": "n" * 100_000}, "characters"),
        ({"classes": ["a", {"b": 1}]}, "class name 2"),
        ({"classes": "ab"}, "classes"),
        ({"layers": [{"kind": "relu"}] * 1000}, "layers"),
        ({"layers": [{"kind": "conv", "features": 2, "size": 3, "fixed": 5}]}, "fixed"),
        ({"layers": [{"kind": "conv", "features": 2, "size": 3, "bias": "yes"}]}, "bias"),
        ({"layers": [{"kind": "conv", "features": 2, "size": 3, "evil": 1}]}, "unknown field"),
        ({"layers": [{"kind": "pool", "window": 2}]}, "stride"),
        ({"layers": [{"kind": "conv", "features": 2, "size": 3, "padding": 10**30}]}, "padding"),
        # the kinds and shapes of issue 13: every new field gets the same checks
        ({"input_size": None, "input_shape": [28]}, "two numbers"),
        ({"input_size": None, "input_shape": [28, 10**30]}, "input_shape cols"),
        ({"layers": [{"kind": "conv", "features": 2, "size": [3, 3, 3]}]}, "size"),
        ({"layers": [{"kind": "avgpool", "window": [2, float("nan")], "stride": 2}]}, "window"),
        ({"layers": [{"kind": "dropout", "p": float("nan")}]}, "p"),
        ({"layers": [{"kind": "dropout", "p": 1}]}, "p"),
        ({"layers": [{"kind": "leakyrelu", "slope": 1e308}]}, "slope"),
        ({"layers": [{"kind": "batchnorm", "evil": 1}]}, "unknown field"),
        ({"layers": [{"kind": "residual", "layers": "conv"}]}, "layers"),
        # this session's fields: the input's kind and the rounding of a last window
        ({"input_kind": "video"}, "input_kind"),
        ({"input_kind": {"picture": 1}}, "input_kind"),
        ({"input_kind": "p" * 100_000}, "input_kind"),
        ({"layers": [{"kind": "pool", "window": 2, "stride": 2, "edge": "round"}]}, "edge"),
        (
            {"layers": [{"kind": "avgpool", "window": 2, "stride": 2, "edge": ["drop"] * 10**5}]},
            "edge",
        ),
        ({"layers": [{"kind": "conv", "features": 2, "size": 3, "edge": "d" * 100_000}]}, "edge"),
    ],
)
def test_every_number_finite_and_in_range_and_every_field_typed(change, words):
    d = dict(crafted.spec_dict(), **change)
    d = {k: v for k, v in d.items() if v is not None}  # None: the field left out
    assert words in _refusal(d)


def test_presets_and_alexnet_are_inside_the_budget():
    from convviz.core.budget import activation_values

    for name in PRESETS:
        assert preset(name).validate()
    alexnet = NetworkSpec.from_dict(crafted.alexnet_dict())
    assert 60_000_000 < sum(s.params for s in alexnet.shapes()) < 64_000_000
    assert activation_values(alexnet) < 1_500_000


def test_training_budget_names_a_batch_size_that_fits():
    from convviz.core.budget import check_training

    check_training(preset("shapes"), 64)
    with pytest.raises(SpecError, match=r"batch size of \d+ or less"):
        check_training(NetworkSpec.from_dict(crafted.alexnet_dict()), 1024)


# ---- the architecture editor ------------------------------------------------------------------
def test_the_architecture_editor_refuses_a_network_over_the_budget(qtbot):
    from convviz.qt.panels.architecture import ArchitecturePanel

    panel = ArchitecturePanel()
    qtbot.addWidget(panel)
    panel.set_model(preset("shapes"))
    panel.neurons.setText("1000000")
    assert not panel.apply_button.isEnabled()
    assert "parameters" in panel.status.text() and "limit" in panel.status.text()
    panel.neurons.setText("64")
    assert "Not possible" not in panel.status.text()


# ---- properties -------------------------------------------------------------------------------
_json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
)
_json = st.recursive(
    _json_leaf,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
_FIELDS = ["name", "input_size", "channels", "value_range", "layers", "classes"]
_LAYER_KEYS = [
    "kind",
    "features",
    "size",
    "stride",
    "padding",
    "divide",
    "bias",
    "fixed",
    "window",
    "neurons",
]


@st.composite
def mutated_specs(draw):
    d = json.loads(json.dumps(preset(draw(st.sampled_from(sorted(PRESETS)))).to_dict()))
    for _ in range(draw(st.integers(1, 4))):
        where = draw(st.sampled_from(["top", "layer", "drop", "whole layer"]))
        if where == "whole layer" and isinstance(d.get("layers"), list) and d["layers"]:
            d["layers"][draw(st.integers(0, len(d["layers"]) - 1))] = draw(
                st.one_of(_json, st.sampled_from(sorted(["conv", "pool", "fc", "relu"])))
            )
        elif where == "top":
            d[draw(st.sampled_from(_FIELDS))] = draw(_json)
        elif where == "drop":
            d.pop(draw(st.sampled_from(_FIELDS)), None)
        elif isinstance(d.get("layers"), list) and d["layers"]:
            i = draw(st.integers(0, len(d["layers"]) - 1))
            if isinstance(d["layers"][i], dict):
                d["layers"][i][draw(st.sampled_from(_LAYER_KEYS))] = draw(_json)
    return d


@settings(
    max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(mutated_specs())
def test_a_mutated_description_is_a_spec_or_a_spec_error(d):
    for attempt in (
        lambda: NetworkSpec.from_dict(d),
        lambda: NetworkSpec.from_json(json.dumps(d, allow_nan=True)),
    ):
        try:
            assert isinstance(attempt(), NetworkSpec)
        except SpecError as e:
            assert "\n" not in str(e)


@settings(max_examples=200, deadline=None, database=None)
@given(st.one_of(st.text(max_size=200), st.binary(max_size=200)))
def test_any_text_is_a_spec_or_a_spec_error(text):
    with contextlib.suppress(SpecError):
        NetworkSpec.from_json(text)


@settings(max_examples=200, deadline=None, database=None)
@given(
    mutated_specs(),
    st.dictionaries(
        st.sampled_from(["format", "spec", "summary", "classes", "value_range", "other"]),
        st.one_of(_json, _json.map(json.dumps)),
        max_size=5,
    ),
)
def test_any_weights_metadata_is_judged_to_a_spec_or_a_weights_error(d, changes):
    from convviz.core.weights import MAGIC, judge_metadata

    meta = {"format": MAGIC, "spec": json.dumps(d, allow_nan=True), "summary": "{}"}
    meta.update(changes)
    try:
        spec, summary = judge_metadata("w.safetensors", meta)
        assert isinstance(spec, NetworkSpec) and isinstance(summary, dict)
    except WeightsError as e:
        assert "\n" not in str(e)


@settings(max_examples=150, deadline=None, database=None)
@given(st.binary(max_size=300), st.integers(0, 400))
def test_any_safetensors_header_is_declared_tensors_or_a_weights_error(
    tmp_path_factory, body, length
):
    from pathlib import Path

    from convviz.core.weights_read import open_weights

    path = Path(tmp_path_factory.mktemp("h")) / "w.safetensors"
    path.write_bytes(length.to_bytes(8, "little") + body)
    with contextlib.suppress(WeightsError):
        open_weights(path, ".safetensors")
    os.remove(path)


def test_training_refuses_a_batch_over_the_budget_before_making_it():
    from convviz.core.network import build
    from convviz.core.training import TrainConfig, train

    # 1024x1024 inputs, one feature at full size: fine for one image, not for 512 at once
    spec = NetworkSpec("big", 1024, 1, (-1.0, 1.0), (Conv(1, 3, padding=1), Flatten()), ("a", "b"))
    model = build(spec)
    x, y = np.zeros((2, 1, 1024, 1024), np.float32), np.array([0, 1])
    with pytest.raises(SpecError, match=r"batches of 512.*batch size of \d+ or less"):
        train(model, x, y, TrainConfig(epochs=1, batch_size=512, device="cpu"))
