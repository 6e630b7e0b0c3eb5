"""Network specs: shape arithmetic, refusals that name the layer and the numbers, JSON round
trips."""

import json

import pytest

from convviz.core.errors import SpecError
from convviz.core.presets import PRESETS, preset
from convviz.core.spec import Conv, Dense, Flatten, MaxPool, NetworkSpec, ReLU, conv_out, pool_out


def _spec(layers, size=9, classes=("a", "b"), channels=1):
    return NetworkSpec("t", size, channels, (-1.0, 1.0), tuple(layers), tuple(classes))


# ---- shape arithmetic -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "w,f,s,want",
    [
        (7, 2, 2, 4),  # the deck: 7x7 pooled 2/2 -> 4x4, the last window hangs over
        (5, 3, 2, 2),
        (8, 2, 2, 4),
        (7, 2, 3, 3),  # window 2 stride 3: starts 0, 3, 6 (the last one half outside)
        (6, 2, 3, 2),  # starts 0, 3: a start at 6 would lie wholly outside
        (28, 2, 2, 14),
        (3, 3, 1, 1),
    ],
)
def test_pool_out_counts_windows_hanging_over_the_edge(w, f, s, want):
    assert pool_out(w, f, s) == want


def test_conv_out_is_the_lesson_formula():
    assert conv_out(9, 3, 1, 0) == 7
    assert conv_out(28, 5, 1, 2) == 28
    assert conv_out(32, 5, 1, 0) == 28
    assert conv_out(10, 3, 2, 0) == 4.5  # unrounded, so callers can refuse it


def test_preset_shapes():
    xo = [(s.name, s.kind, s.shape) for s in preset("xo").shapes()]
    assert xo == [
        ("conv1", "conv", (3, 7, 7)),
        ("relu1", "relu", (3, 7, 7)),
        ("pool1", "pool", (3, 4, 4)),
        ("flatten1", "flatten", (48,)),
        ("votes", "votes", (2,)),
    ]
    sh = {s.name: s.shape for s in preset("shapes").shapes()}
    assert sh["pool1"] == (8, 14, 14) and sh["pool2"] == (16, 7, 7) and sh["fc1"] == (64,)
    assert sh["votes"] == (6,)
    le = {s.name: s.shape for s in preset("lenet5").shapes()}
    assert (le["conv1"], le["pool1"], le["conv2"], le["pool2"]) == (
        (6, 28, 28),
        (6, 14, 14),
        (16, 10, 10),
        (16, 5, 5),
    )
    assert (le["fc1"], le["fc2"]) == ((120,), (84,))


def test_parameter_counts():
    by_name = {s.name: s.params for s in preset("shapes").shapes()}
    assert by_name["conv1"] == 8 * 1 * 25 + 8
    assert by_name["conv2"] == 16 * 8 * 25 + 16
    assert by_name["fc1"] == 784 * 64 + 64
    assert by_name["votes"] == 64 * 6 + 6
    assert by_name["relu1"] == by_name["pool1"] == by_name["flatten1"] == 0
    assert {s.name: s.params for s in preset("xo").shapes()}["conv1"] == 27  # no bias


def test_unknown_preset_is_refused_with_the_choices():
    with pytest.raises(SpecError, match=r"unknown preset 'nope'.*xo.*shapes.*lenet5"):
        preset("nope")


# ---- refusals ---------------------------------------------------------------------------------
def _refused(spec_or_json) -> str:
    with pytest.raises(SpecError) as info:
        if isinstance(spec_or_json, str):
            NetworkSpec.from_json(spec_or_json)
        else:
            spec_or_json.shapes()
    msg = str(info.value)
    assert "\n" not in msg and msg.strip() == msg and msg
    return msg


def test_fractional_conv_size_names_layer_and_numbers():
    msg = _refused(_spec([Conv(2, 3, stride=2), Flatten()], size=10))
    assert "layer 1 (conv1)" in msg
    assert "(10 - 3 + 2*0)/2 + 1" in msg and "4.5" in msg and "whole number" in msg


def test_fractional_size_deeper_in_the_network_names_that_layer():
    msg = _refused(_spec([Conv(2, 3), ReLU(), Conv(2, 2, stride=2), Flatten()], size=9))
    assert "layer 3 (conv2)" in msg and "(7 - 2 + 2*0)/2 + 1" in msg


@pytest.mark.parametrize(
    "layer,numbers",
    [
        (Conv(0, 3), "0, 3, 1, 0"),
        (Conv(2, 0), "2, 0, 1, 0"),
        (Conv(2, 3, stride=0), "2, 3, 0, 0"),
        (Conv(2, 3, padding=-1), "2, 3, 1, -1"),
    ],
)
def test_non_positive_conv_numbers(layer, numbers):
    msg = _refused(_spec([layer, Flatten()]))
    assert "layer 1 (conv1)" in msg and numbers in msg


@pytest.mark.parametrize(
    "layer,numbers", [(MaxPool(0, 1), "0, 1"), (MaxPool(2, 0), "2, 0"), (MaxPool(-2, 2), "-2, 2")]
)
def test_non_positive_pool_numbers(layer, numbers):
    msg = _refused(_spec([layer, Flatten()]))
    assert "layer 1 (pool1)" in msg and numbers in msg


def test_dense_without_neurons():
    msg = _refused(_spec([Flatten(), Dense(0)]))
    assert "layer 2 (fc1)" in msg and "got 0" in msg


def test_pool_window_larger_than_its_input():
    msg = _refused(_spec([Conv(2, 3), MaxPool(8, 2), Flatten()]))
    assert "layer 2 (pool1)" in msg and "8x8" in msg and "7x7" in msg


def test_feature_larger_than_padded_input():
    msg = _refused(_spec([Conv(2, 12, padding=1), Flatten()]))
    assert "layer 1 (conv1)" in msg and "12x12" in msg and "9x9" in msg and "padding 1" in msg
    _spec([Conv(2, 11, padding=1), Flatten()]).validate()  # exactly fits: fine


def test_fc_before_flatten():
    msg = _refused(_spec([Conv(2, 3), Dense(4), Flatten()]))
    assert "layer 2 (fc1)" in msg and "flatten" in msg


def test_conv_or_pool_after_flatten():
    assert "layer 2 (conv1)" in _refused(_spec([Flatten(), Conv(2, 1)]))
    assert "layer 2 (pool1)" in _refused(_spec([Flatten(), MaxPool(2, 2)]))


def test_maps_at_the_end():
    msg = _refused(_spec([Conv(2, 3), ReLU()]))
    assert "(2, 7, 7)" in msg and "flatten" in msg


@pytest.mark.parametrize("classes", [(), ("only",)])
def test_fewer_than_two_classes(classes):
    msg = _refused(_spec([Flatten()], classes=classes))
    assert "at least 2 classes" in msg and f"got {len(classes)}" in msg


def test_duplicate_classes_and_bad_input():
    assert "different" in _refused(_spec([Flatten()], classes=("a", "a")))
    assert "0x0" in _refused(_spec([Flatten()], size=0))
    bad_range = NetworkSpec("t", 9, 1, (1.0, -1.0), (Flatten(),), ("a", "b"))
    assert "1.0..-1.0" in _refused(bad_range)


def test_fixed_features_must_match():
    wrong = ((1.0, 1.0), (1.0, 1.0))  # one 2x2 feature for a layer of 3x3 features
    assert "fixed features" in _refused(_spec([Conv(1, 3, fixed=(wrong,)), Flatten()]))


# ---- JSON -------------------------------------------------------------------------------------
def _layers_json(*layers, size=9, classes=("a", "b")):
    return json.dumps({"input_size": size, "layers": list(layers), "classes": list(classes)})


def test_bad_json():
    msg = _refused("{not json")
    assert "not valid JSON" in msg and "line 1" in msg
    assert "JSON object" in _refused("[1, 2]")


def test_unknown_kind():
    msg = _refused(_layers_json({"kind": "flatten"}, {"kind": "lstm"}))  # (dropout is known now)
    assert "layer 2" in msg and "lstm" in msg and "conv" in msg
    assert "unknown kind" in _refused(_layers_json("conv"))


def test_fractional_and_missing_numbers_in_json():
    msg = _refused(_layers_json({"kind": "conv", "features": 2, "size": 2.5}, {"kind": "flatten"}))
    assert "layer 1 (conv) size" in msg and "2.5" in msg
    msg = _refused(_layers_json({"kind": "pool", "window": 2, "stride": "2"}, {"kind": "flatten"}))
    assert "layer 1 (pool) stride" in msg
    msg = _refused(_layers_json({"kind": "fc", "neurons": True}))
    assert "neurons" in msg
    assert "input_size" in _refused(json.dumps({"layers": [], "classes": ["a", "b"]}))
    assert "layer 1 (conv)" in _refused(_layers_json({"kind": "conv", "size": 3}))  # no features
    assert "layer 1 (conv)" in _refused(
        _layers_json({"kind": "conv", "features": 1, "size": 3, "colour": 1})
    )
    msg = _refused(
        _layers_json({"kind": "conv", "features": 2, "size": 4, "stride": 2}, {"kind": "flatten"})
    )
    assert "layer 1 (conv1)" in msg and "3.5" in msg  # shape errors also come from JSON


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets_round_trip_through_json(name):
    spec = preset(name)
    text = spec.to_json()
    again = NetworkSpec.from_json(text)
    assert again == spec
    assert again.shapes() == spec.shapes()
    assert json.loads(again.to_json()) == json.loads(text)


def test_custom_spec_round_trip_with_every_option():
    spec = _spec(
        [
            Conv(4, 3, stride=2, padding=1, divide=True, bias=False),
            ReLU(),
            MaxPool(3, 2),
            Conv(2, 1),
            Flatten(),
            Dense(5),
            ReLU(),
        ],
        size=11,
        classes=("p", "q", "r"),
        channels=3,
    )
    assert NetworkSpec.from_json(spec.to_json(indent=2)) == spec
    assert spec.with_classes(["x", "y"]).classes == ("x", "y")
    d = json.loads(spec.to_json())
    assert d["layers"][0] == {
        "features": 4,
        "size": 3,
        "stride": 2,
        "padding": 1,
        "divide": True,
        "bias": False,
        "kind": "conv",
    }
    assert "fixed" not in d["layers"][0]


def test_json_defaults_and_whole_floats():
    spec = NetworkSpec.from_json(
        _layers_json({"kind": "conv", "features": 2.0, "size": 3}, {"kind": "flatten"})
    )
    assert spec.channels == 1 and spec.value_range == (-1.0, 1.0)
    assert spec.layers[0] == Conv(2, 3)


# ---- the budget and bounded JSON ------------------------------------------------------------
def test_json_depth_counts_brackets_outside_strings_only():
    from convviz.core.spec_json import json_depth

    assert json_depth('{"a": "]]]][[[[", "b": [[1]], "c": "\\"[["}') == 3
    assert json_depth("[" * 5000 + "]" * 5000) == 5000
    assert json_depth("") == 0


def test_too_deep_or_too_long_json_is_refused_before_parsing(monkeypatch):
    import convviz.core.spec_json as sj

    assert "nested 40 levels" in _refused("[" * 40 + "]" * 40)
    monkeypatch.setattr(sj, "MAX_SPEC_JSON_BYTES", 100)
    with pytest.raises(SpecError, match="the limit is 100"):
        sj.loads_bounded("[" + "1," * 100 + "1]", "spec", SpecError, max_bytes=100)


def test_a_budget_refusal_names_the_layer_where_it_runs_over():
    msg = _refused(_spec([Conv(8, 3), Flatten(), Dense(200_000)], size=28))
    assert msg.startswith("layer 3 (fc1)") and "parameters" in msg and "100,000,000" in msg
    msg = _refused(_spec([Conv(512, 3, padding=1), ReLU(), Flatten()], size=100))
    assert msg.startswith("layer 1 (conv1)") and "values" in msg


def test_the_knobs_mark_the_layer_where_the_budget_runs_out():
    from convviz.core.knobs import Knobs, apply_knobs
    from convviz.core.layer_rows import LayerRows

    spec = apply_knobs(preset("shapes"), Knobs((8, 16), 5, 1, 2, 2, 2, (200_000,)))
    r = LayerRows.from_spec(spec).lines()  # what the Architecture panel's list says
    assert not r.ok and "parameters" in r.reason and [ln.name for ln in r.refused()] == ["fc1"]


def test_read_spec_judges_the_file_before_reading_it(tmp_path):
    from convviz.core.spec import read_spec

    (tmp_path / "s.json").write_text(preset("lenet5").to_json())
    assert read_spec(tmp_path / "s.json") == preset("lenet5")
    with pytest.raises(SpecError, match="cannot read it"):
        read_spec(tmp_path / "missing.json")
    (tmp_path / "latin1.json").write_bytes(b'{"name": "caf\xe9"}')
    with pytest.raises(SpecError, match="not UTF-8"):
        read_spec(tmp_path / "latin1.json")
    with open(tmp_path / "huge.json", "wb") as f:
        f.truncate(20 * 1024**2)  # sparse: nothing of it is written, nor read
    with pytest.raises(SpecError, match="bytes; the limit is"):
        read_spec(tmp_path / "huge.json")


def test_state_shapes_are_what_the_built_network_holds():
    from convviz.core.network import build, state_shapes

    specs = [preset(n) for n in PRESETS] + [
        NetworkSpec(
            "t",
            9,
            3,
            (0.0, 1.0),
            (Conv(4, 3, bias=False), Conv(2, 3), MaxPool(2, 2), Flatten(), Dense(5), ReLU()),
            ("a", "b", "c"),
        )
    ]
    for spec in specs:
        built = {k: tuple(v.shape) for k, v in build(spec).state_dict().items()}
        assert state_shapes(spec) == built


def test_read_spec_refuses_folders_and_pipes_without_blocking(tmp_path):
    import os

    from convviz.core.spec import read_spec

    os.mkfifo(tmp_path / "pipe.json")
    for name in ("pipe.json", "."):
        with pytest.raises(SpecError, match="not a file"):
            read_spec(tmp_path / name)


def test_input_kind_is_written_only_when_not_a_picture_and_checked_when_read():
    sound = preset("spectrogram")
    assert sound.input_kind == "spectrogram"
    assert NetworkSpec.from_json(sound.to_json()) == sound
    picture = preset("xo")
    assert picture.input_kind == "picture" and "input_kind" not in picture.to_json()
    d = json.loads(sound.to_json())
    d["input_kind"] = "video"
    with pytest.raises(SpecError, match="input_kind must be one of picture, spectrogram"):
        NetworkSpec.from_dict(d)
