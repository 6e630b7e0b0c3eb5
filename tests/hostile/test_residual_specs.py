"""Residual blocks from a stranger's spec file: nesting past the limit, a block holding more
layers than allowed, and a block whose inside no 1x1 skip can match are each refused with one
line naming the block, before any network is built (one subprocess per case, three in all)."""

import json

import numpy as np
import pytest

from convviz.core.limits import MAX_RESIDUAL_DEPTH, MAX_RESIDUAL_LAYERS

from .harness import assert_refused, convviz_cli


def _spec(layers):
    return {
        "name": "res",
        "input_size": 28,
        "channels": 1,
        "layers": [*layers, {"kind": "gap"}],
        "classes": ["a", "b"],
    }


def _nested(depth):
    block = {"kind": "residual", "layers": [{"kind": "relu"}]}
    for _ in range(depth - 1):
        block = {"kind": "residual", "layers": [block]}
    return block


@pytest.mark.parametrize(
    "layers, words",
    [
        ([_nested(MAX_RESIDUAL_DEPTH + 1)], ("layer 1 (residual1)", "nested", "limit")),
        (
            [
                {
                    "kind": "residual",
                    "layers": [
                        {"kind": "residual", "layers": [{"kind": "relu"}] * 200},
                        *[{"kind": "relu"}] * 100,
                    ],
                }
            ],
            ("layer 1 (residual1)", f"more than {MAX_RESIDUAL_LAYERS} layers"),
        ),
        (
            [{"kind": "residual", "layers": [{"kind": "conv", "features": 2, "size": 8}]}],
            ("layer 1 (residual1)", "rows", "21 from 28", "1x1 skip"),
        ),
    ],
)
def test_train_refuses_a_residual_block_it_cannot_build(tmp_path, layers, words):
    from PIL import Image

    for name in ("a", "b"):
        (tmp_path / "data" / name).mkdir(parents=True)
        Image.fromarray(np.full((28, 28), 200, np.uint8)).save(tmp_path / "data" / name / "1.png")
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(_spec(layers)))
    out = tmp_path / "out.safetensors"
    assert_refused(
        convviz_cli(
            "train", tmp_path / "data", "--spec", path, "--out", out, "--epochs", "1", cwd=tmp_path
        ),
        *words,
    )
    assert not out.exists()
