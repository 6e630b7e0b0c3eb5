"""Hostile settings in a Keras model's config.json: every number, list and name in it is a
stranger's JSON. Each crafted file is one line naming the layer and the setting (never a
ZeroDivisionError, an IndexError or a 7 TB array); all of them share one process under the
harness's limits, and the one that fails is named."""

from __future__ import annotations

import json

import pytest

from .harness import python_snippet

pytest.importorskip("h5py")

# Builds each case with crafted.keras_file, imports it, and prints {case: the one line}; any
# other exception escapes as a traceback on stderr, naming the case being built.
IMPORT_EACH = """
import json
import numpy as np
import h5py
from pathlib import Path
from convviz.core.errors import ConvvizError
from convviz.core.importing import import_model
from tests.hostile.crafted import keras_file

FLAT = [{"class_name": "Flatten", "config": {"name": "flatten"}}]
def dense(**c):
    return FLAT + [{"class_name": "Dense", "config": dict({"name": "dense", "units": 2}, **c)}]
def conv(**c):
    return [{"class_name": "Conv2D",
             "config": dict({"name": "conv2d", "filters": 2, "kernel_size": [3, 3]}, **c)}]
def layer(cls, **c):
    return [{"class_name": cls, "config": dict({"name": "x"}, **c)}]
W = {"layers/dense/vars/0": np.ones((16, 2), np.float32),
     "layers/dense/vars/1": np.zeros(2, np.float32)}
CW = {"layers/conv2d/vars/0": np.ones((3, 3, 1, 2), np.float32),
      "layers/conv2d/vars/1": np.zeros(2, np.float32),
      "layers/dense/vars/0": np.ones((8, 2), np.float32),
      "layers/dense/vars/1": np.zeros(2, np.float32)}
CASES = {
    "channels 10^12": (dense(), W, (None, 4, 4, 10**12)),
    "rows 10^9": (dense(), W, (None, 10**9, 10**9, 1)),
    "empty kernel": (dense(), dict(W, **{"layers/dense/vars/0": h5py.Empty("f4")}), None),
    "scalar kernel": (dense(), dict(W, **{"layers/dense/vars/0": np.float32(1)}), None),
    "activation list": (dense(activation=["relu"]), W, None),
    "conv kernel [3]": (conv(kernel_size=[3]) + dense(), CW, (None, 5, 5, 1)),
    "conv kernel 0": (conv(kernel_size=0) + dense(), CW, (None, 5, 5, 1)),
    "conv strides 0": (conv(strides=0) + dense(), CW, (None, 5, 5, 1)),
    "conv strides x": (conv(strides="x") + dense(), CW, (None, 5, 5, 1)),
    "conv padding foo": (conv(padding="foo") + dense(), CW, (None, 5, 5, 1)),
    "conv no kernel_size": (conv(kernel_size=None) + dense(), CW, (None, 5, 5, 1)),
    "conv kernel 4-D mismatch": (conv(kernel_size=[2, 2]) + dense(), CW, (None, 5, 5, 1)),
    "conv after flatten": (FLAT + conv(), CW, None),
    "pool size 0": (layer("MaxPooling2D", pool_size=0) + dense(), W, None),
    "pool size inf": (layer("MaxPooling2D", pool_size=1e309) + dense(), W, None),
    "pool larger than maps": (layer("MaxPooling2D", pool_size=[100, 100]) + dense(), W, None),
    "dropout rate x": (layer("Dropout", rate="x") + dense(), W, None),
    "leaky slope x": (layer("LeakyReLU", negative_slope="x") + dense(), W, None),
    "config a list": ([{"class_name": "Flatten", "config": [1]}] + dense()[1:], W, None),
}
out = {}
for case, (layers, weights, batch) in CASES.items():
    path = Path(case.replace(" ", "-") + ".keras")
    keras_file(path, layers, weights, **({"batch_shape": batch} if batch else {}))
    try:
        import_model(path)
        out[case] = "ok"
    except ConvvizError as e:
        out[case] = str(e)
    except BaseException:
        print("case:", case, flush=True)
        raise
print(json.dumps(out))
"""

WORDS = {
    "channels 10^12": ["1000000000000 channels", "up to 4 channels"],
    "rows 10^9": ["1000000000x1000000000", "up to 1024x1024"],
    "empty kernel": ["layers/dense/vars/0", "holds no numbers"],
    "scalar kernel": ["Dense 'dense'", "0 dimensions"],
    "activation list": ["Dense 'dense'", "activation ['relu']"],
    "conv kernel [3]": ["Conv2D 'conv2d'", "kernel_size of [3]"],
    "conv kernel 0": ["kernel_size of 0"],
    "conv strides 0": ["strides of 0"],
    "conv strides x": ["strides of x"],
    "conv padding foo": ["pads 'foo'"],
    "conv no kernel_size": ["kernel_size of None"],
    "conv kernel 4-D mismatch": ["Conv2D 'conv2d'", "kernel of (3, 3, 1, 2) for 2x2"],
    "conv after flatten": ["Conv2D 'conv2d'", "needs maps"],
    "pool size 0": ["MaxPooling2D 'x'", "pool_size of 0"],
    "pool size inf": ["pool_size of inf"],
    "pool larger than maps": ["100x100 window over 4x4 maps"],
    "dropout rate x": ["Dropout 'x'", "cannot read"],
    "leaky slope x": ["LeakyReLU 'x'", "cannot read"],
    "config a list": ["layer 2", "not a JSON object"],
}


def test_every_crafted_setting_is_one_line_naming_it(tmp_path):
    outcome = python_snippet(IMPORT_EACH, cwd=tmp_path)
    assert outcome.returncode == 0 and "Traceback" not in outcome.stderr, (
        outcome.stdout[-500:] + outcome.stderr[-3000:]
    )
    results = json.loads(outcome.stdout.splitlines()[-1])
    assert set(results) == set(WORDS)
    for case, words in WORDS.items():
        line = results[case]
        assert "\n" not in line and line != "ok", (case, line)
        for w in words:
            assert w in line, (case, w, line)
        # only the layer at fault is named, not a Dense judged against a shape never reached
        assert "values but gets" not in line, (case, line)
