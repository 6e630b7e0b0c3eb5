"""Hostile settings in a Keras model's config.json and an ONNX model's attributes: every
number, list and name in them is a stranger's. Each crafted file is one line naming the layer
and the setting (never a ZeroDivisionError, an IndexError or a 7 TB array); the cases of each
format share one process under the harness's limits, and the one that fails is named."""

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


# The same for an ONNX model's attributes: a 6x6 picture -> the node under test -> Flatten ->
# Gemm, built from parts with the onnx package.
ONNX_EACH = """
import json
import numpy as np
from onnx import TensorProto, helper, numpy_helper
from pathlib import Path
from convviz.core.errors import ConvvizError
from convviz.core.importing import import_model

def A(name, v):
    return numpy_helper.from_array(np.asarray(v, np.float32), name)
def model(path, node, inits, dims=(1, 1, 6, 6), n=32):
    nodes = [node, helper.make_node("Flatten", ["h"], ["f"], name="flat"),
             helper.make_node("Gemm", ["f", "w", "b"], ["y"], name="fc", transB=1)]
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(dims))],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])],
        inits + [A("w", np.ones((2, n))), A("b", np.zeros(2))])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    path.write_bytes(m.SerializeToString())
    return path
def conv(path, dims=(1, 1, 6, 6), weights=(2, 1, 3, 3), **attrs):
    node = helper.make_node("Conv", ["x", "cw"], ["h"], name="conv", **attrs)
    return model(path, node, [A("cw", np.ones(weights))], dims)
def pool(path, **attrs):
    node = helper.make_node("MaxPool", ["x"], ["h"], name="pool", **attrs)
    return model(path, node, [], n=9)
def bn(path, **attrs):
    node = helper.make_node("BatchNormalization", ["x", "s", "t", "m", "v"], ["h"], name="bn",
                            **attrs)
    return model(path, node, [A(k, [1.0]) for k in "stmv"], n=36)
CASES = {
    "channels 10^12": lambda p: conv(p, dims=(1, 10**12, 6, 6)),
    "conv strides 0": lambda p: conv(p, strides=[0, 0]),
    "conv strides [1]": lambda p: conv(p, strides=[1]),
    "conv pads [1]": lambda p: conv(p, pads=[1]),
    "conv pads -1": lambda p: conv(p, pads=[-1, -1, -1, -1]),
    "conv empty weights": lambda p: conv(p, weights=(2, 1, 0, 3)),
    "conv larger than maps": lambda p: conv(p, weights=(2, 1, 9, 9)),
    "pool no kernel": lambda p: pool(p),
    "pool kernel [2]": lambda p: pool(p, kernel_shape=[2]),
    "pool strides 0": lambda p: pool(p, kernel_shape=[2, 2], strides=[0, 0]),
    "pool larger than maps": lambda p: pool(p, kernel_shape=[100, 100]),
    "bn epsilon nan": lambda p: bn(p, epsilon=float("nan")),
}
out = {}
for case, make in CASES.items():
    path = make(Path(case.replace(" ", "-") + ".onnx"))
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

ONNX_WORDS = {
    "channels 10^12": ["1000000000000 channels", "up to 4 channels"],
    "conv strides 0": ["Conv 'conv'", "strides=[0, 0]"],
    "conv strides [1]": ["strides=[1]", "not 2 whole numbers"],
    "conv pads [1]": ["pads=[1]", "not 4 whole numbers"],
    "conv pads -1": ["pads=[-1, -1, -1, -1]", "from 0 up"],
    "conv empty weights": ["(2, 1, 0, 3)", "no numbers"],
    "conv larger than maps": ["9x9 window over 6x6 maps"],
    "pool no kernel": ["MaxPool 'pool'", "no kernel_shape"],
    "pool kernel [2]": ["kernel_shape=[2]"],
    "pool strides 0": ["strides=[0, 0]"],
    "pool larger than maps": ["100x100 window over 6x6 maps"],
    "bn epsilon nan": ["BatchNormalization 'bn'", "not positive"],
}


def test_every_crafted_onnx_attribute_is_one_line_naming_it(tmp_path):
    pytest.importorskip("onnx")
    outcome = python_snippet(ONNX_EACH, cwd=tmp_path)
    assert outcome.returncode == 0 and "Traceback" not in outcome.stderr, (
        outcome.stdout[-500:] + outcome.stderr[-3000:]
    )
    results = json.loads(outcome.stdout.splitlines()[-1])
    assert set(results) == set(ONNX_WORDS)
    for case, words in ONNX_WORDS.items():
        line = results[case]
        assert "\n" not in line and line != "ok", (case, line)
        for w in words:
            assert w in line, (case, w, line)
        assert "values but gets" not in line, (case, line)
