"""What convviz writes: a failed run never costs a saved file, every failed write is one line,
`--json` is JSON whatever the numbers, and every number typed on the command line is checked.

Several command lines share one process where they can (`_several`): each is run by
`convviz.cli.main` with its own stdout and stderr captured, so it stays clear which one failed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

from convviz.core.network import build
from convviz.core.presets import preset
from convviz.core.shapes_data import write_folder
from convviz.core.weights import save_model

from .harness import Outcome, _env, _limit, assert_refused, python_snippet

RUN_SEVERAL = """
import contextlib, io, json, sys, traceback
from convviz.cli import main
{prelude}
results = []
for argv in {cases!r}:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = main(argv)
        except SystemExit as e:
            rc = e.code if isinstance(e.code, int) else 1
        except BaseException:
            traceback.print_exc()
            rc = 99
    results.append([rc, out.getvalue(), err.getvalue()])
sys.__stdout__.write(json.dumps(results))
"""


def _several(cases: list[list[str]], cwd, prelude: str = "", **kw) -> list[Outcome]:
    """Run each argv through convviz.cli.main in one bounded process; one Outcome each."""
    ran = python_snippet(
        RUN_SEVERAL.format(cases=[list(map(str, c)) for c in cases], prelude=prelude), cwd=cwd, **kw
    )
    assert ran.returncode == 0 and not ran.timed_out, ran.stderr[-3000:]
    return [Outcome(rc, out, err) for rc, out, err in json.loads(ran.stdout)]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    d = tmp_path_factory.mktemp("shapes") / "f"
    write_folder(d, per_class=8, seed=1)
    return d


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    path = tmp_path_factory.mktemp("weights") / "shapes.safetensors"
    save_model(build(preset("shapes"), seed=0), path)
    return path


def _refused_after_its_report(result: Outcome, word: str) -> None:
    """`train` reports the folder and its epochs before it writes: the error is then its one
    last line (the other commands' only line)."""
    if result.lines and result.lines[-1].startswith("convviz: error:"):
        result = Outcome(result.returncode, result.stdout, result.lines[-1])
    assert_refused(result, word)
    assert result.lines[-1].startswith("convviz: error:"), result.stderr


# ---- numbers on the command line ----------------------------------------------------------

BAD_NUMBERS = [
    (["shapes", "o1", "--seed", "-1"], "--seed"),
    (["shapes", "o2", "--seed", str(2**40)], "--seed"),
    (["shapes", "o3", "--size", "30000"], "--size"),
    (["shapes", "o4", "--size", "2"], "--size"),
    (["shapes", "o5", "--per-class", "-5"], "--per-class"),
    (["shapes", "o6", "--per-class", "0"], "--per-class"),
    (["shapes", "o7", "--per-class", str(10**9)], "--per-class"),
    (["train", "F", "--out", "w.safetensors", "--seed", "-1"], "--seed"),
    (["train", "F", "--out", "w.safetensors", "--epochs", "0"], "--epochs"),
    (["train", "F", "--out", "w.safetensors", "--epochs", str(10**12)], "--epochs"),
    (["train", "F", "--out", "w.safetensors", "--batch-size", "-3"], "--batch-size"),
    (["train", "F", "--out", "w.safetensors", "--batch-size", str(10**9)], "--batch-size"),
    (["train", "F", "--out", "w.safetensors", "--lr", "nan"], "--lr"),
    (["train", "F", "--out", "w.safetensors", "--lr", "inf"], "--lr"),
    (["train", "F", "--out", "w.safetensors", "--lr", "0"], "--lr"),
    (["train", "F", "--out", "w.safetensors", "--lr", "3e3"], "--lr"),
    (["train", "F", "--out", "w.safetensors", "--val-split", "1"], "--val-split"),
    (["train", "F", "--out", "w.safetensors", "--val-split", "nan"], "--val-split"),
    (["train", "F", "--out", "w.safetensors", "--val-split", "-0.1"], "--val-split"),
]


def test_every_number_on_the_command_line_is_checked_in_one_line(tmp_path, folder):
    cases = [[str(folder) if a == "F" else a for a in argv] for argv, _ in BAD_NUMBERS]
    for (argv, option), got in zip(BAD_NUMBERS, _several(cases, tmp_path), strict=True):
        line = assert_refused(got, option)
        assert line.startswith("convviz: error:"), (argv, line)
    assert not any((tmp_path / f"o{i}").exists() for i in range(1, 8))  # nothing written


# ---- a run that diverges or is stopped ----------------------------------------------------

DIVERGE_ON_THIRD_BATCH = """
import torch
import convviz.core.training as training
real, calls = training.F.cross_entropy, [0]
def cross_entropy(*a, **k):  # the weights blow up on the third training batch, for good
    calls[0] += torch.is_grad_enabled()
    loss = real(*a, **k)
    return loss * float("nan") if calls[0] >= 3 and torch.is_grad_enabled() else loss
training.F.cross_entropy = cross_entropy
"""


def test_a_diverged_run_never_replaces_the_file_at_out(tmp_path, folder):
    good = tmp_path / "good.safetensors"
    good.write_bytes(b"the weights of a good earlier run")
    fresh = tmp_path / "fresh.pt"
    got = _several(
        [
            ["train", folder, "--out", good, "--epochs", "1", "--batch-size", "8"],
            ["train", folder, "--out", fresh, "--epochs", "1", "--batch-size", "8"],
        ],
        tmp_path,
        prelude=DIVERGE_ON_THIRD_BATCH,
    )
    assert good.read_bytes() == b"the weights of a good earlier run"
    assert not fresh.exists()  # --out holds only a run that finished, even where it was empty
    for result, out in zip(got, (good, fresh), strict=True):
        aside = out.with_name(f"{out.stem}.diverged{out.suffix}")
        assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
        warning = [ln for ln in result.stderr.splitlines() if "warning" in ln]
        assert len(warning) == 1 and "diverged" in warning[0], result.stderr
        assert str(aside) in warning[0] and str(out) in warning[0]
        assert aside.exists() and "saved" not in result.stdout
    from convviz.core.weights import load_model

    _model, info = load_model(tmp_path / "good.diverged.safetensors")  # the last good weights
    assert info["summary"]["status"] == "diverged"


def test_ctrl_c_stops_the_run_and_keeps_the_file_at_out(tmp_path, folder):
    good = tmp_path / "good.safetensors"
    good.write_bytes(b"the weights of a good earlier run")
    p = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "convviz",
            "train",
            str(folder),
            "--out",
            str(good),
            "--epochs",
            "100000",
            "--batch-size",
            "4",
        ],
        cwd=tmp_path,
        env=_env(),
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_limit(1536),
    )
    try:
        lines = []
        for line in p.stderr:  # wait until it trains (an epoch is done), then press Ctrl-C
            lines.append(line)
            if line.startswith("epoch 1:"):
                break
        p.send_signal(signal.SIGINT)
        rest = p.communicate(timeout=60)[1]
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    stderr = "".join(lines) + rest
    assert p.returncode == 130 and "Traceback" not in stderr, stderr
    assert good.read_bytes() == b"the weights of a good earlier run"
    stopped = tmp_path / "good.stopped.safetensors"
    assert stopped.exists() and f"went to {stopped}" in stderr


# ---- failed writes ------------------------------------------------------------------------

FULL_DISK = """
import resource, signal
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails, as on a full disk
resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit}))
"""


def test_a_full_disk_is_one_line_for_every_command_that_writes(tmp_path, folder, weights):
    outs = [tmp_path / n for n in ("shapes-out", "t.safetensors", "e.pt", "e.onnx")]
    got = _several(
        [
            ["shapes", outs[0], "--per-class", "3"],
            ["train", folder, "--out", outs[1], "--epochs", "1"],
            ["export", weights, "--to", outs[2]],
            ["export", weights, "--to", outs[3]],
        ],
        tmp_path,
        prelude=FULL_DISK.format(limit=64),
        timeout=120,
    )
    for out, result in zip(outs, got, strict=True):
        # EFBIG ("File too large") is what RLIMIT_FSIZE gives; torch's .pt writer words it its
        # own way, in one line too
        _refused_after_its_report(result, "cannot write" if out.suffix == ".pt" else "too large")
    assert not any(outs[1:][i].exists() for i in range(3))


@pytest.fixture
def read_only_dir(tmp_path):
    """A folder nobody can write in: its mode, and for root (who ignores modes) the immutable
    flag. Skips where neither holds."""
    d = tmp_path / "read-only"
    d.mkdir()
    d.chmod(0o555)
    immutable = False
    if os.access(d, os.W_OK):  # root
        immutable = subprocess.run(["chattr", "+i", str(d)], capture_output=True).returncode == 0
        if not immutable:
            pytest.skip("cannot make a folder read-only here")
    yield d
    if immutable:
        subprocess.run(["chattr", "-i", str(d)], check=True)
    d.chmod(0o755)


def test_a_read_only_folder_is_one_line_for_every_output(tmp_path, read_only_dir, folder, weights):
    got = _several(
        [
            ["export", weights, "--to", read_only_dir / "w.onnx"],
            ["export", weights, "--to", read_only_dir / "w.pt"],
            ["export", weights, "--to", read_only_dir / "w.safetensors"],
            ["shapes", read_only_dir / "sub", "--per-class", "2"],
            ["train", folder, "--out", read_only_dir / "t.safetensors", "--epochs", "1"],
        ],
        tmp_path,
        timeout=120,
    )
    for result in got:
        _refused_after_its_report(result, str(read_only_dir))
    assert list(read_only_dir.iterdir()) == []


# ---- --json -------------------------------------------------------------------------------


def test_json_is_json_when_the_votes_are_not_finite(tmp_path, weights):
    """A hand-made weights file with enormous (finite) vote weights: every vote overflows to
    infinity or NaN. --json stays JSON (null for those), says why, and names no winner."""
    from convviz.core.weights import load_model

    model, _ = load_model(weights)
    import torch

    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(torch.full_like(p, 3e38 if name.endswith("weight") else -3e38))
    huge = tmp_path / "huge.safetensors"
    save_model(model, huge)
    image = tmp_path / "x.txt"
    image.write_text("\n".join(" ".join(["1"] * 28) for _ in range(28)))
    got = _several(
        [
            ["predict", huge, image, "--json"],
            ["trace", "--weights", huge, image, "--json"],
            ["predict", huge, image],
        ],
        tmp_path,
    )
    for result in got[:2]:
        assert result.returncode == 0, result.stderr
        json.loads(result.stdout, parse_constant=lambda c: pytest.fail(f"bare {c}"))
        assert len(result.lines) == 1 and "not finite" in result.lines[0], result.stderr
    rows = json.loads(got[0].stdout)
    assert rows[0]["class"] is None and "not finite" in rows[0]["message"]
    assert None in rows[0]["votes"].values() or None in rows[0]["probabilities"].values()
    trace = json.loads(got[1].stdout)
    assert "not finite" in trace["message"]
    assert "no answer" in got[2].stdout and "nan%" not in got[2].stdout
