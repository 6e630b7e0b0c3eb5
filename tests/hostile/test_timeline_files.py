"""Hostile timeline files (NAME.timeline beside a weights file, core/timeline_file.py): each is
read as the weights are, under the harness's memory and time limits, and must give one clear
line, never a traceback; a weights file with a damaged timeline still opens in the app, and the
command line refuses to export from it with one line, writing nothing."""

from __future__ import annotations

import json
import struct

import pytest

from .harness import assert_refused, convviz_cli, python_snippet

# Makes W.safetensors (the xo network), then for each case a W-<case>.safetensors copy with a
# crafted companion, and prints {case: "ok" | the one-line error} from load_timeline.
SNIPPET = """
import json, shutil, struct, sys
import numpy as np
from convviz.core.errors import ConvvizError
from convviz.core.network import build
from convviz.core.presets import preset
from convviz.core.timeline_file import companion, load_timeline
from convviz.core.weights import save_model
model = build(preset("xo"), seed=0)
save_model(model, "W.safetensors")
snap = model.snapshot()
P, net = snap.flat.size, snap.network

def crafted(name, header, data=b""):
    shutil.copy("W.safetensors", name)
    raw = json.dumps(header).encode()
    with open(companion(name), "wb") as f:
        f.write(struct.pack("<Q", len(raw)) + raw + data)

def moments(n, dtype="F32", shape=None, meta=None, data=None, size=4):
    shape = shape or [n, P]
    count = int(np.prod(shape)) * size
    md = {"format": "convviz-timeline", "network": net,
          "moments": json.dumps([{"epoch": i, "step": i, "end": True} for i in range(min(n, 300))])}
    md.update(meta or {})
    return ({"__metadata__": md, "moments": {"dtype": dtype, "shape": shape,
                                               "data_offsets": [0, count]}},
            b"\\0" * count if data is None else data)

CASES = CASES_HERE
out = {}
for case, (header, data) in CASES.items():
    name = f"W-{case}.safetensors"
    crafted(name, header, data)
    try:
        load_timeline(name, snap)
        out[case] = "ok"
    except ConvvizError as e:
        out[case] = str(e)
print(json.dumps(out))
"""

CASES = """{
    "good": moments(3),
    "a billion moments declared": moments(10**9, data=b"\\0" * 64),
    "more moments than the limit": moments(201),
    "rows of another size": moments(3, shape=[3, P + 1]),
    "integers": moments(3, dtype="I32"),
    "another network": moments(3, meta={"network": "0" * 24}),
    "not a timeline": moments(3, meta={"format": "convviz-weights"}),
    "fewer moments described": moments(3, meta={"moments": json.dumps([{"epoch": 0,
                                                                        "step": 0}])}),
    "nested JSON": moments(3, meta={"moments": "[" * 100_000 + "]" * 100_000}),
    "negative epoch": moments(1, meta={"moments": json.dumps([{"epoch": -1, "step": 0}])}),
    "a wrong confusion": moments(1, meta={"moments": json.dumps(
        [{"epoch": 1, "step": 1, "end": True, "confusion": [[1, 2], [3, 4], [5, 6]]}])}),
    "NaN weights": moments(1, data=np.full(P, np.nan, np.float32).tobytes()),
}"""


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    cwd = tmp_path_factory.mktemp("timelines")
    outcome = python_snippet(SNIPPET.replace("CASES_HERE", CASES), cwd=cwd)
    assert outcome.returncode == 0 and "Traceback" not in outcome.stderr, outcome.stderr[-3000:]
    return json.loads(outcome.stdout), cwd


@pytest.mark.parametrize(
    "case, words",
    [
        ("a billion moments declared", ("damaged",)),
        ("more moments than the limit", ("201", "limit")),
        ("rows of another size", ("shape",)),
        ("integers", ("float32",)),
        ("another network", ("another network",)),
        ("not a timeline", ("not a convviz timeline",)),
        ("fewer moments described", ("damaged", "1 moments for 3")),
        ("nested JSON", ("moments",)),
        ("negative epoch", ("moment 0",)),
        ("a wrong confusion", ("confusion",)),
        ("NaN weights", ("NaN",)),
    ],
)
def test_each_crafted_timeline_is_refused_with_one_line(results, case, words):
    got, _ = results
    assert got["good"] == "ok"
    line = got[case]
    assert line != "ok" and "\n" not in line, (case, line)
    for w in words:
        assert w in line, (case, line)


def test_a_header_declared_past_the_end_is_refused_before_reading(tmp_path):
    (tmp_path / "x.safetensors.timeline").write_bytes(struct.pack("<Q", 1 << 40) + b"{}")
    code = """
from convviz.core.network import build
from convviz.core.presets import preset
from convviz.core.timeline_file import load_timeline
load_timeline("x.safetensors", build(preset("xo"), seed=0).snapshot())
"""
    outcome = python_snippet(code, cwd=tmp_path)
    assert outcome.returncode != 0 and "damaged" in outcome.stderr


def test_the_command_line_refuses_a_damaged_timeline_and_writes_nothing(results):
    _, cwd = results
    out = cwd / "out.safetensors"
    assert_refused(
        convviz_cli(
            "export", "W-another network.safetensors", "--moment", "0", "--to", out, cwd=cwd
        ),
        "another network",
    )
    assert not out.exists()
    assert_refused(
        convviz_cli("export", "W.safetensors", "--moment", "0", "--to", out, cwd=cwd),
        "no training timeline",
    )
    assert not out.exists()
    assert_refused(
        convviz_cli("export", "W-good.safetensors", "--moment", "3", "--to", out, cwd=cwd),
        "between 0 and 2",
    )
    assert not out.exists()
