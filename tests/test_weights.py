"""Weights files: round trips, one-line refusals of anything else, atomic writes."""

import json
import os
import pickle
import stat

import numpy as np
import pytest
import torch

import convviz.core.weights as weights
from convviz.core.errors import ConvvizError, WeightsError
from convviz.core.network import build
from convviz.core.presets import preset
from convviz.core.spec import Conv, Dense, Flatten, MaxPool, NetworkSpec, ReLU
from convviz.core.weights import load_into, load_model, read_weights, save_model


def _trained_looking(name="shapes", classes=None, seed=3):
    spec = preset(name)
    if classes:
        spec = spec.with_classes(classes)
    model = build(spec, seed=seed)
    with torch.no_grad():  # move away from the starting weights: nothing matches by luck
        for p in model.parameters():
            if p.requires_grad:
                p.add_(torch.randn_like(p) * 0.1)
    return model.eval()


def _outputs(model, n=5, seed=0):
    size = model.spec.input_size
    shape = (n, model.spec.channels, size, size)
    x = torch.from_numpy(np.random.default_rng(seed).uniform(-1, 1, shape).astype(np.float32))
    with torch.inference_mode():
        return model(x).numpy()


def _one_line_refusal(path, *words, call=load_model):
    with pytest.raises(WeightsError) as info:
        call(path)
    msg = str(info.value)
    assert "\n" not in msg and str(path) in msg, msg
    for w in words:
        assert w in msg, msg
    return msg


# ---- round trips ------------------------------------------------------------------------------
@pytest.mark.parametrize("suffix", [".safetensors", ".pt"])
def test_round_trip_restores_outputs_classes_spec_and_summary(tmp_path, suffix):
    model = _trained_looking(classes=("cat", "dog", "cow", "hen", "pig", "owl"))
    path = save_model(model, tmp_path / f"m{suffix}", {"val_accuracy": 0.93, "epochs": 3})
    assert path.is_file()
    again, info = load_model(path)
    assert again.spec == model.spec
    assert again.spec.classes == ("cat", "dog", "cow", "hen", "pig", "owl")
    assert info["summary"] == {"val_accuracy": 0.93, "epochs": 3}
    assert info["convviz_version"] == weights.__version__
    assert not again.training
    np.testing.assert_array_equal(_outputs(again), _outputs(model))
    snap_a, snap_b = model.snapshot(), again.snapshot()
    assert snap_a.keys() == snap_b.keys()
    assert all(np.array_equal(snap_a[k], snap_b[k]) for k in snap_a)


@pytest.mark.parametrize("suffix", [".safetensors", ".pt"])
def test_round_trip_of_a_custom_spec_with_fixed_features(tmp_path, suffix):
    spec = NetworkSpec(
        "mine",
        10,
        2,
        (0.0, 1.0),
        (
            Conv(3, 3, stride=1, padding=1, divide=True, bias=False),
            ReLU(),
            MaxPool(3, 2),
            Flatten(),
            Dense(7),
            ReLU(),
        ),
        ("yes", "no", "maybe"),
    )
    model = build(spec, seed=1)
    save_model(model, tmp_path / f"c{suffix}")
    again, info = load_model(tmp_path / f"c{suffix}")
    assert again.spec == spec and info["summary"] == {}
    np.testing.assert_array_equal(_outputs(again), _outputs(model))
    xo = build(preset("xo"))  # fixed features: the spec carries them, the weights agree
    save_model(xo, tmp_path / f"xo{suffix}")
    xo2, _ = load_model(tmp_path / f"xo{suffix}")
    assert xo2.spec == preset("xo") and not xo2.layers[0].weight.requires_grad


def test_safetensors_metadata_is_all_strings_and_readable_elsewhere(tmp_path):
    from safetensors import safe_open

    save_model(_trained_looking("xo"), tmp_path / "x.safetensors", {"note": "hi"})
    with safe_open(str(tmp_path / "x.safetensors"), framework="pt") as f:
        meta = f.metadata()
    assert all(isinstance(v, str) for v in meta.values())
    assert json.loads(meta["classes"]) == ["X", "O"]
    assert NetworkSpec.from_json(meta["spec"]) == preset("xo")
    assert json.loads(meta["summary"]) == {"note": "hi"}


def test_the_format_comes_from_the_content_not_the_name(tmp_path):
    model = _trained_looking("xo")
    save_model(model, tmp_path / "real.pt")
    (tmp_path / "real.pt").rename(tmp_path / "named.safetensors")
    again, _ = load_model(tmp_path / "named.safetensors")
    np.testing.assert_array_equal(_outputs(again), _outputs(model))


@pytest.mark.parametrize("first_bytes", [b"\x80", b"PK"], ids=["0x80", "PK"])
def test_safetensors_whose_header_length_looks_like_a_torch_file(tmp_path, first_bytes):
    # A safetensors file starts with its header's length (8 bytes, little-endian). Lengths such
    # as 0x680 (80 06 ...) or 0x4B50 ("PK") begin like a pickle or a zip: found by saving a
    # plain lenet5 model, which then could not be opened again. Pad the summary to hit them.
    model = _trained_looking("xo")
    path = tmp_path / "m.safetensors"
    modulus = 256 ** len(first_bytes)
    want = int.from_bytes(first_bytes, "little")

    def header_length(pad):
        save_model(model, path, {"pad": "x" * pad})
        return int.from_bytes(path.read_bytes()[:8], "little")

    n0 = header_length(0)  # one more padding character: one more header byte (8-byte aligned)
    start = (want - n0) % modulus
    pad = next(
        p for p in range(max(start - 8, 0), start + 16) if header_length(p) % modulus == want
    )
    header_length(pad)
    assert path.read_bytes()[: len(first_bytes)] == first_bytes
    again, info = load_model(path)
    assert info["summary"]["pad"].startswith("x")
    np.testing.assert_array_equal(_outputs(again), _outputs(model))


def test_onnx_round_trip(tmp_path):
    # xo: fixed features and the divide option must survive the exporter's optimisations
    pytest.importorskip("onnx")
    pytest.importorskip("onnxscript")
    model = _trained_looking("xo")
    save_model(model, tmp_path / "m.onnx", {"val_accuracy": 0.5})
    again, info = load_model(tmp_path / "m.onnx")
    assert again.spec == model.spec and info["summary"] == {"val_accuracy": 0.5}
    np.testing.assert_array_equal(_outputs(again), _outputs(model))
    (tmp_path / "m.onnx").write_bytes((tmp_path / "m.onnx").read_bytes()[:300])
    _one_line_refusal(tmp_path / "m.onnx", "damaged")


def test_load_into_fills_a_matching_network(tmp_path):
    source = _trained_looking("shapes", classes=("a", "b", "c", "d", "e", "f"))
    save_model(source, tmp_path / "s.safetensors")
    target = build(preset("shapes"), seed=9)
    info = load_into(target, tmp_path / "s.safetensors")
    assert "summary" in info
    np.testing.assert_array_equal(_outputs(target), _outputs(source))


# ---- refusals ---------------------------------------------------------------------------------
def test_missing_file(tmp_path):
    _one_line_refusal(tmp_path / "nowhere.safetensors", "no such file")


@pytest.mark.parametrize("suffix", [".safetensors", ".pt"])
def test_truncated_file(tmp_path, suffix):
    path = save_model(_trained_looking(), tmp_path / f"m{suffix}")
    data = path.read_bytes()
    for cut in (len(data) // 2, len(data) - 7, 20):
        path.write_bytes(data[:cut])
        _one_line_refusal(path, "damaged")


def test_empty_file(tmp_path):
    (tmp_path / "e.safetensors").write_bytes(b"")
    _one_line_refusal(tmp_path / "e.safetensors")


def test_text_file_named_safetensors(tmp_path):
    path = tmp_path / "notes.safetensors"
    path.write_text("These are not weights, just my notes about the lesson.\n" * 5)
    _one_line_refusal(path, "damaged or not weights")


def test_text_file_with_another_suffix(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    _one_line_refusal(path, "not a weights file")


def test_plain_state_dict_without_metadata(tmp_path):
    model = _trained_looking()
    torch.save(model.state_dict(), tmp_path / "plain.pt")
    _one_line_refusal(tmp_path / "plain.pt", "not one convviz wrote")
    torch.save({"state_dict": model.state_dict()}, tmp_path / "nometa.pt")
    _one_line_refusal(tmp_path / "nometa.pt", "no convviz network description")
    from safetensors.torch import save_file

    save_file(
        {k: v.contiguous() for k, v in model.state_dict().items()},
        str(tmp_path / "plain.safetensors"),
    )
    _one_line_refusal(tmp_path / "plain.safetensors", "no convviz network description")


def test_weights_that_do_not_fit_their_own_description(tmp_path):
    from safetensors.torch import save_file

    model = _trained_looking("xo")
    meta = weights.metadata_for(model)
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    state["layers.4.weight"] = torch.zeros(2, 40)
    save_file(state, str(tmp_path / "shape.safetensors"), metadata=meta)
    _one_line_refusal(tmp_path / "shape.safetensors", "layers.4.weight", "2x40", "2x48")
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    state["layers.4.weight"] = torch.full((2, 48), float("nan"))
    save_file(state, str(tmp_path / "nan.safetensors"), metadata=meta)
    _one_line_refusal(tmp_path / "nan.safetensors", "not finite")
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    state.pop("layers.4.bias")
    save_file(state, str(tmp_path / "missing.safetensors"), metadata=meta)
    _one_line_refusal(tmp_path / "missing.safetensors", "layers.4.bias is missing")
    bad = dict(meta, spec='{"input_size": 9, "layers": [], "classes": ["only"]}')
    save_file(
        {k: v.contiguous() for k, v in model.state_dict().items()},
        str(tmp_path / "spec.safetensors"),
        metadata=bad,
    )
    _one_line_refusal(tmp_path / "spec.safetensors", "network description is invalid")


def test_file_made_for_another_network(tmp_path):
    save_model(_trained_looking("lenet5"), tmp_path / "lenet.safetensors")
    target = build(preset("shapes"))
    before = target.snapshot()
    _one_line_refusal(
        tmp_path / "lenet.safetensors",
        "another network",
        "lenet5",
        "shapes",
        call=lambda p: load_into(target, p),
    )
    after = target.snapshot()
    assert all(np.array_equal(before[k], after[k]) for k in before)  # left untouched


class _WritesAFile:
    """A pickle payload that would create a file when unpickled."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
def test_a_pickle_that_would_run_code_is_refused_and_not_run(tmp_path):
    marker = tmp_path / "pwned.txt"
    # a torch (zip) file whose state_dict hides the payload
    torch.save({"state_dict": {"w": _WritesAFile(marker)}, "metadata": {}}, tmp_path / "evil.pt")
    # an old-style raw pickle with the payload at the top
    (tmp_path / "evil2.pt").write_bytes(pickle.dumps(_WritesAFile(marker), protocol=2))
    # the same, named like a safetensors file
    (tmp_path / "evil3.safetensors").write_bytes(
        pickle.dumps({"state_dict": _WritesAFile(marker)}, protocol=4)
    )
    assert not marker.exists()
    for name in ("evil.pt", "evil2.pt", "evil3.safetensors"):
        msg = _one_line_refusal(tmp_path / name)
        assert "refused" in msg and "nothing in it was run" in msg, msg
        assert not marker.exists(), f"loading {name} ran code"


def test_unknown_suffix_on_save(tmp_path):
    with pytest.raises(WeightsError, match=r"unknown weights format '\.h5'"):
        save_model(_trained_looking("xo"), tmp_path / "m.h5")
    with pytest.raises(WeightsError, match=r"unknown weights format '\(none\)'"):
        save_model(_trained_looking("xo"), tmp_path / "m")
    assert list(tmp_path.iterdir()) == []


def test_save_into_a_missing_folder(tmp_path):
    with pytest.raises(WeightsError, match="does not exist"):
        save_model(_trained_looking("xo"), tmp_path / "no" / "m.safetensors")
    with pytest.raises(WeightsError, match="does not exist"):
        weights.assert_writable(tmp_path / "no" / "m.safetensors")
    with pytest.raises(ConvvizError, match="unknown weights format"):
        weights.assert_writable(tmp_path / "m.txt")
    weights.assert_writable(tmp_path / "m.pt")  # fine: the folder is there


# ---- atomic writes ----------------------------------------------------------------------------
def _fail_midway(exc):
    """A writer that leaves half a file behind, then fails like a full disk does."""

    def writer(*args, **kwargs):
        target = next(
            a for a in list(args) + list(kwargs.values()) if isinstance(a, (str, os.PathLike))
        )
        with open(target, "wb") as f:
            f.write(b"half a weights file")
        raise exc

    return writer


def _entries(folder):
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize("suffix", [".safetensors", ".pt"])
@pytest.mark.parametrize(
    "exc",
    [
        OSError(28, "No space left on device"),
        # what safetensors and torch really raise on a full disk (measured on a 64k tmpfs)
        RuntimeError("Error while serializing: I/O error: No space left on device (os error 28)"),
    ],
    ids=["oserror", "runtimeerror"],
)
def test_a_failing_write_keeps_the_old_file_and_leaves_no_temp(tmp_path, monkeypatch, suffix, exc):
    path = save_model(_trained_looking("xo", seed=1), tmp_path / f"m{suffix}")
    old = path.read_bytes()
    import safetensors.torch

    monkeypatch.setattr(safetensors.torch, "save_file", _fail_midway(exc))
    monkeypatch.setattr(torch, "save", _fail_midway(exc))
    with pytest.raises(WeightsError) as info:
        save_model(_trained_looking("xo", seed=2), path)
    msg = str(info.value)
    assert "\n" not in msg and f"cannot write {path}" in msg and "No space left" in msg, msg
    assert path.read_bytes() == old
    assert _entries(tmp_path) == [path.name]  # no temporary file left behind
    monkeypatch.undo()
    load_model(path)  # still a good file


def test_a_failing_write_of_a_new_file_leaves_nothing(tmp_path, monkeypatch):
    import safetensors.torch

    monkeypatch.setattr(
        safetensors.torch, "save_file", _fail_midway(OSError(5, "Input/output error"))
    )
    with pytest.raises(WeightsError, match="Input/output error"):
        save_model(_trained_looking("xo"), tmp_path / "new.safetensors")
    assert _entries(tmp_path) == []


def test_interrupted_write_leaves_no_temp(tmp_path, monkeypatch):
    path = save_model(_trained_looking("xo", seed=1), tmp_path / "m.safetensors")
    old = path.read_bytes()
    import safetensors.torch

    monkeypatch.setattr(safetensors.torch, "save_file", _fail_midway(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        save_model(_trained_looking("xo", seed=2), path)
    assert path.read_bytes() == old and _entries(tmp_path) == [path.name]


def test_overwrite_replaces_the_content(tmp_path):
    a, b = _trained_looking("xo", seed=1), _trained_looking("xo", seed=2)
    path = save_model(a, tmp_path / "m.safetensors")
    save_model(b, path)
    np.testing.assert_array_equal(_outputs(load_model(path)[0]), _outputs(b))
    assert _entries(tmp_path) == ["m.safetensors"]


@pytest.mark.parametrize("suffix", [".safetensors", ".pt"])
def test_new_files_get_normal_permissions_and_old_ones_keep_theirs(tmp_path, suffix):
    umask = os.umask(0o022)
    try:
        path = save_model(_trained_looking("xo"), tmp_path / f"m{suffix}")
        assert stat.S_IMODE(path.stat().st_mode) == 0o644  # not mkstemp's private 0600
        os.umask(0o002)
        other = save_model(_trained_looking("xo"), tmp_path / f"o{suffix}")
        assert stat.S_IMODE(other.stat().st_mode) == 0o664
        os.chmod(path, 0o640)
        save_model(_trained_looking("xo", seed=5), path)
        assert stat.S_IMODE(path.stat().st_mode) == 0o640
    finally:
        os.umask(umask)


def test_read_weights_gives_state_and_metadata(tmp_path):
    model = _trained_looking("xo")
    save_model(model, tmp_path / "m.pt", {"k": 1})
    state, meta = read_weights(tmp_path / "m.pt")
    assert set(state) == set(model.state_dict())
    assert meta["format"] == weights.MAGIC and json.loads(meta["summary"]) == {"k": 1}


# ---- reading in two steps ---------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [torch.float64, torch.float16, torch.bfloat16])
def test_other_float_types_are_read_as_float32(tmp_path, dtype):
    from safetensors.torch import save_file

    model = _trained_looking("xo")
    state = {k: v.to(dtype).contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(tmp_path / "w.safetensors"), metadata=weights.metadata_for(model))
    got, _ = read_weights(tmp_path / "w.safetensors")
    for k, v in state.items():
        assert got[k].dtype == torch.float32
        assert torch.equal(got[k], v.float())


def test_a_header_over_the_limit_is_refused_before_it_is_parsed(tmp_path):
    from convviz.core.limits import MAX_WEIGHTS_HEADER_BYTES

    path = tmp_path / "big.safetensors"
    n = MAX_WEIGHTS_HEADER_BYTES + 8
    with open(path, "wb") as f:
        f.write(n.to_bytes(8, "little") + b"{")
        f.truncate(8 + n)  # sparse: the "header" is never written, nor read
    _one_line_refusal(path, "header", "limit")


def test_tensors_are_not_read_when_the_file_does_not_fit_its_description(tmp_path, monkeypatch):
    from safetensors.torch import save_file

    from convviz.core import weights_read

    model = _trained_looking("xo")
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    state["layers.4.weight"] = torch.zeros(2, 40)
    save_file(state, str(tmp_path / "w.safetensors"), metadata=weights.metadata_for(model))
    monkeypatch.setattr(
        weights_read, "_from_little_endian", lambda *a: pytest.fail("a tensor was read")
    )
    _one_line_refusal(tmp_path / "w.safetensors", "2x40")


@pytest.mark.filterwarnings("ignore")
def test_the_old_pt_format_still_opens(tmp_path):
    model = _trained_looking("xo")
    torch.save(
        {"state_dict": model.state_dict(), "metadata": weights.metadata_for(model)},
        tmp_path / "old.pt",
        _use_new_zipfile_serialization=False,
    )
    again, _ = load_model(tmp_path / "old.pt")
    np.testing.assert_array_equal(_outputs(again), _outputs(model))


def test_judge_metadata_builds_nothing_and_types_every_value():
    meta = weights.metadata_for(_trained_looking("xo"), {"epochs": 2})
    spec, summary = weights.judge_metadata("w", meta)
    assert spec == preset("xo") and summary == {"epochs": 2}
    with pytest.raises(WeightsError, match="'classes' is a JSON dict"):
        weights.judge_metadata("w", dict(meta, classes='{"a": 1}'))
    with pytest.raises(WeightsError, match="'summary' is int, not text"):
        weights.judge_metadata("w", dict(meta, summary=5))


def test_a_file_without_read_permission_is_one_line(tmp_path, monkeypatch):
    # chmod 0 does not stop root (the tests may run as root): refuse the open itself instead
    path = save_model(_trained_looking("xo"), tmp_path / "locked.safetensors")
    real_open = open

    def no_permission(f, *a, **k):
        if str(f) == str(path):
            raise PermissionError(13, "Permission denied", str(f))
        return real_open(f, *a, **k)

    monkeypatch.setattr("builtins.open", no_permission)
    _one_line_refusal(path, "no permission")
