"""The lesson's later presets (cs231n, tinyvgg, alexnet, spectrogram): each builds, traces, has
the shapes the lesson states, carries its help text, and its own weights (bundled or hand-set)
load, reach their accuracy on freshly generated data and survive `convviz export --preset`.

Accuracy bounds here are looser than the README's figures (measured on 300 a class, seed 1234):
the tests draw a small set with another unseen seed, so a few percent of noise is allowed for.
"""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from convviz.cli import main
from convviz.core.bundled import RECIPES, bundled_path, held_out_accuracy, preset_model
from convviz.core.presets import (
    CS231N_BIASES,
    CS231N_FILTERS,
    CS231N_INPUT,
    PRESETS,
    WEIGHT_SOURCES,
    preset,
)
from convviz.core.weights import load_model

ROOT = Path(__file__).resolve().parents[1]
NEW = ("cs231n", "tinyvgg", "alexnet", "spectrogram", "resnet")
# the bound each trained preset must reach on 60 fresh samples a class (seed 4321, never used in
# training or for the README): the README's figures are a few points above these
ACCURACY_BOUND = {"tinyvgg": 0.92, "spectrogram": 0.85}


def first_shapes(name, n):
    return [s.shape for s in preset(name).shapes()[:n]]


# ---- every preset is declared once, with its words --------------------------------------------
def test_every_preset_declares_title_help_and_where_its_weights_come_from():
    for name, p in PRESETS.items():
        assert p.name == name and p.title and p() == p.make()
        assert p.help.count(". ") >= 2, name  # a few sentences, not a label
        assert p.weights in WEIGHT_SOURCES
        assert (p.weights == "hand-set") == (p.hand_set is not None), name
        if p.weights == "bundled":
            assert name in RECIPES and bundled_path(name).is_file(), name
    assert "architecture only" in PRESETS["alexnet"].help.lower()
    assert "dropout" in PRESETS["alexnet"].help and "placeholder" in PRESETS["alexnet"].help
    assert "not part of the demo" in PRESETS["cs231n"].help
    assert PRESETS["alexnet"].opens_in == "architecture"  # its sizes are the point


def test_presets_command_prints_each_help_and_says_where_it_is_shown(capsys):
    assert main(["presets"]) == 0
    out = capsys.readouterr().out
    for name, p in PRESETS.items():
        assert f"{name}: {p.title}" in out
        assert " ".join(p.help.split()[:6]) in " ".join(out.split())
    assert main(["presets", "nosuch"]) == 1
    assert "unknown preset 'nosuch'" in capsys.readouterr().err


# ---- cs231n: the demo's arithmetic ------------------------------------------------------------
def reference_conv(x, w, b, stride, pad):
    """float64, zeros padded by hand, every output cell one explicit sum."""
    c, h, wd = x.shape
    padded = np.zeros((c, h + 2 * pad, wd + 2 * pad))
    padded[:, pad : pad + h, pad : pad + wd] = x
    f = w.shape[-1]
    n = (h - f + 2 * pad) // stride + 1
    out = np.zeros((w.shape[0], n, n))
    for k in range(w.shape[0]):
        for i in range(n):
            for j in range(n):
                patch = padded[:, i * stride : i * stride + f, j * stride : j * stride + f]
                out[k, i, j] = (patch * w[k]).sum() + b[k]
    return out


def test_cs231n_reproduces_the_demo_arithmetic_cell_by_cell():
    spec = preset("cs231n")
    assert (spec.channels, spec.input_shape) == (3, (5, 5))
    assert first_shapes("cs231n", 1) == [(2, 3, 3)]  # (5 - 3 + 2*1)/2 + 1 = 3
    assert spec.shapes()[0].params == 2 * 3 * 3 * 3 + 2
    x = np.asarray(CS231N_INPUT, np.float64)
    w = np.asarray(CS231N_FILTERS, np.float64)
    b = np.asarray(CS231N_BIASES, np.float64)
    assert w.shape == (2, 3, 3, 3) and set(np.unique(x)) <= {0, 1, 2}
    want = reference_conv(x, w, b, stride=2, pad=1)
    # one cell by hand: the top-left window covers padding on its top row and left column
    corner = sum(x[c, 0:2, 0:2].ravel() @ w[0, c, 1:3, 1:3].ravel() for c in range(3)) + b[0]
    assert want[0, 0, 0] == corner
    model = preset_model("cs231n")
    t = model.trace(x.astype(np.float32))
    np.testing.assert_array_equal(t.layers[0].values.astype(np.float64), want)  # whole numbers
    # the head convviz adds: each vote adds up one map
    np.testing.assert_allclose(t.votes, [want[0].sum(), want[1].sum()], atol=1e-5)


def test_cs231n_against_the_reference_for_other_fixed_numbers():
    """Not only the shipped numbers: any small whole-number filters and input give the same."""
    rng = np.random.default_rng(231)
    x = rng.integers(0, 3, (3, 5, 5)).astype(np.float64)
    w = rng.integers(-1, 2, (2, 3, 3, 3)).astype(np.float64)
    b = np.array([1.0, 0.0])
    from convviz.core.bundled import hand_set_model

    model = hand_set_model(
        preset("cs231n"),
        {
            "conv1": {"weight": w, "bias": b},
            "votes": {"weight": np.zeros((2, 18)), "bias": np.zeros(2)},
        },
    )
    got = model.trace(x.astype(np.float32)).layers[0].values
    np.testing.assert_array_equal(got.astype(np.float64), reference_conv(x, w, b, 2, 1))


# ---- shapes as the lesson states them ---------------------------------------------------------
def test_tinyvgg_and_spectrogram_shapes():
    assert first_shapes("tinyvgg", 11) == [
        (10, 62, 62),
        (10, 62, 62),
        (10, 60, 60),
        (10, 60, 60),
        (10, 30, 30),
        (10, 28, 28),
        (10, 28, 28),
        (10, 26, 26),
        (10, 26, 26),
        (10, 13, 13),
        (1690,),
    ]
    assert preset("tinyvgg").channels == 3
    spec = preset("spectrogram")
    assert spec.input_shape == (32, 48) and spec.layers[0].size == (32, 3)  # spans every row
    assert first_shapes("spectrogram", 3) == [(16, 1, 46), (16, 1, 46), (16, 1, 23)]
    assert spec.classes == ("rising", "falling", "steady", "warbling")


ALEXNET_SHAPES = """
import sys
from convviz.core.layers import kind_of
from convviz.core.presets import preset
spec = preset("alexnet")
rows = spec.shapes()
first = kind_of(spec.layers[0]).state_shapes(spec.layers[0], (3, 227, 227))
w, b = first["weight"], first["bias"]
print(rows[0].shape, w[0] * w[1] * w[2] * w[3], b[0], rows[0].formula,
      [r.shape for r in rows if r.kind in ("conv", "pool", "fc", "votes")],
      sum(r.params for r in rows), "torch" in sys.modules)
"""


def test_alexnet_shapes_table_without_torch_or_building():
    """The lesson's numbers for the first layer, worked out in a process that never imports
    torch (so nothing of the 233 MB network is allocated)."""
    out = subprocess.run(
        [sys.executable, "-c", ALEXNET_SHAPES],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert out.startswith("(96, 55, 55) 34848 96 (227 - 11 + 2·0)/4 + 1 = 55 ")
    for shape in (
        "(96, 27, 27)",
        "(256, 27, 27)",
        "(256, 13, 13)",
        "(384, 13, 13)",
        "(256, 6, 6)",
        "(4096,)",
        "(10,)",
    ):
        assert shape in out, shape
    assert out.rstrip().endswith("58322314 False")  # ~58 M parameters; torch never imported


# costs a few seconds and ~0.5 GB at its peak: ~58 M random parameters are built
def test_alexnet_builds_with_random_weights_and_traces():
    model = preset_model("alexnet")  # architecture only: freshly initialised
    x = np.random.default_rng(0).uniform(0, 1, (3, 227, 227)).astype(np.float32)
    t = model.trace(x)
    assert t.layers[0].values.shape == (96, 55, 55) and t.votes.shape == (10,)
    assert t.made_by(preset("alexnet")) and np.isfinite(t.votes).all()


# ---- bundled weights: load, and reach their accuracy on fresh data -----------------------------
@pytest.mark.parametrize("name", ["tinyvgg", "spectrogram"])
def test_bundled_weights_load_and_reach_their_accuracy(name):
    model = preset_model(name)
    shipped, _ = load_model(bundled_path(name))
    for k, v in shipped.state_dict().items():
        np.testing.assert_array_equal(model.state_dict()[k].numpy(), v.numpy())
    assert model.spec == preset(name)
    acc = held_out_accuracy(model, per_class=60, seed=4321)
    assert acc >= ACCURACY_BOUND[name], acc


# ---- the command line works for every preset ---------------------------------------------------
@pytest.mark.parametrize("name", ["cs231n", "tinyvgg", "spectrogram", "xo"])
def test_export_preset_round_trips(tmp_path, name, capsys):
    own = preset_model(name)
    for suffix in (".safetensors", ".pt"):
        out = tmp_path / f"{name}{suffix}"
        assert main(["export", "--preset", name, "--to", str(out)]) == 0
        back, meta = load_model(out)
        assert back.spec == own.spec and meta["summary"]["preset"] == name
        for k, v in own.state_dict().items():
            np.testing.assert_array_equal(back.state_dict()[k].numpy(), v.numpy())
    if name == "cs231n":  # the hand-set numbers, exactly as written in presets.py
        np.testing.assert_array_equal(
            back.state_dict()["layers.0.weight"].numpy(), np.asarray(CS231N_FILTERS, np.float32)
        )


def test_export_refuses_architecture_only_and_unknown_presets(tmp_path, capsys):
    out = tmp_path / "a.safetensors"
    assert main(["export", "--preset", "alexnet", "--to", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "architecture only" in err and not out.exists()
    assert main(["export", "--preset", "nosuch", "--to", str(out)]) == 1
    assert "unknown preset 'nosuch'" in capsys.readouterr().err


def test_trace_and_predict_take_any_preset(tmp_path, capsys):
    from convviz.core.imageio import save_png
    from convviz.core.sounds_data import make_arrays

    x, _ = make_arrays(per_class=1, seed=77)  # one spectrogram of each sound, in 0..1
    paths = []
    for i, picture in enumerate(x[:, 0]):
        paths.append(tmp_path / f"sound{i}.png")
        save_png(paths[-1], picture)
    grid = tmp_path / "demo.txt"
    grid.write_text(
        "\n\n".join(
            "\n".join(" ".join(str(v) for v in row) for row in channel) for channel in CS231N_INPUT
        )
    )
    assert main(["trace", "--preset", "cs231n", str(grid), "--json"]) == 0
    assert '"shape": [2, 3, 3]' in capsys.readouterr().out
    assert main(["predict", "--preset", "spectrogram", *map(str, paths), "--json"]) == 0
    out = capsys.readouterr().out
    for p in paths:
        assert str(p) in out
    assert main(["predict", "--preset", "spectrogram"]) == 1
    assert "at least one IMAGE" in capsys.readouterr().err


# ---- the window offers every preset -----------------------------------------------------------
def test_model_menu_offers_every_preset_with_its_help_line(make_window):
    w = make_window("xo")
    assert list(w.preset_actions) == list(PRESETS)
    for name, a in w.preset_actions.items():
        assert a.isEnabled() and a.text() == PRESETS[name].title
        assert a.toolTip() == PRESETS[name].help
    w.session.lock("training is running: stop it first")
    assert "training is running" in w.preset_actions["tinyvgg"].toolTip()
    assert not w.preset_actions["tinyvgg"].isEnabled()
    w.session.unlock()
    assert w.preset_actions["tinyvgg"].isEnabled()
    assert w.preset_actions["tinyvgg"].toolTip() == PRESETS["tinyvgg"].help


def test_help_guide_lists_every_preset_with_its_own_words():
    from html import escape

    from convviz.qt.deck.help_text import guide_html

    html = guide_html()
    for name, p in PRESETS.items():
        assert escape(p.title) in html and escape(p.help) in html, name


def test_the_app_refuses_an_unknown_preset_in_one_line(capsys):
    assert main(["--preset", "nosuch"]) == 1  # before any window or display is looked for
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "'nosuch'" in err and "tinyvgg" in err
