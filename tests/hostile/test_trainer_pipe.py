"""Faults on the trainer's pipe, from the trainer's side: a job header that announces a huge
array, a piece of the images longer than announced, a message of no known kind. Each ends its
run with one line; the trainer that read it ends (its memory bounded: the case runs under the
harness's address-space limit, which the trainer process inherits), and the next run, in a
fresh trainer from the pool, trains.
"""

from __future__ import annotations

import json

from .harness import assert_refused, python_snippet

CASES = """
import json, sys, time
import numpy as np
from convviz.core import train_process, trainer_pipe
from convviz.core.trainer_messages import ENDINGS, Job, Ready
from convviz.core.network import build
from convviz.core.presets import preset
from convviz.core.shapes_data import make_arrays
from convviz.core.training import TrainConfig

spec = preset("shapes")
model = build(spec, seed=0)
X, y = make_arrays(spec.classes, 4, spec.input_size, seed=1, value_range=spec.value_range)
config = TrainConfig(epochs=1, batch_size=8, device="cpu")

def ending(p):
    t = time.monotonic()
    while time.monotonic() - t < 60:
        msg = p.recv(0.1)
        if isinstance(msg, ENDINGS):
            return msg
    return None

def ready(p):
    while not p.ready:
        if p.conn.poll(0.1):
            p.ready = isinstance(p.conn.recv(), Ready)
    return p

def job(shape, labels):
    return Job(spec.to_json(), model.snapshot(), shape, "<f4", labels, config, 1, 0.5)

results = {}
def case(name, send):
    p = ready(train_process.acquire())
    getattr(p, "_expect", lambda *a: None)(model, len(y))  # (the bounds for its answers)
    send(p.conn)
    end = ending(p)
    kind = end.kind if end is not None else "timeout"
    alive_after = p.alive()
    train_process.release(p, healthy=kind == "finished" and p.alive())
    first = getattr(end, "message", None) or getattr(end, "result", None)
    results[name] = [kind, first if isinstance(first, str) else type(first).__name__, alive_after]

case("huge header", lambda c: c.send(job((10**7, 1, 1000, 1000), np.zeros(10**7, np.int64))))
def too_long(c):
    c.send(job((2, 1, 28, 28), y[:2]))
    c.send_bytes(np.zeros((3, 1, 28, 28), np.float32).tobytes())  # 3 images where 2 were said
case("frame too long", too_long)
case("bad kind", lambda c: c.send(("dance", 1)))
def good(c):
    c.send(job(X.shape, y))
    trainer_pipe.send_array(c, X)
case("good run after", good)
sys.stdout.write(json.dumps(results))
"""


def test_a_bad_frame_ends_its_run_in_one_line_and_the_next_run_trains(tmp_path):
    out = python_snippet(CASES, cwd=tmp_path, timeout=180)
    assert out.returncode == 0 and not out.timed_out, out.stderr[-3000:]
    assert "Traceback" not in out.stderr, out.stderr[-3000:]  # nor from a trainer process
    results = json.loads(out.stdout)
    for name, words in (
        ("huge header", "limit"),
        ("frame too long", "longer than"),
        ("bad kind", "expected a job"),
    ):
        kind, line, alive_after = results[name]
        assert kind == "failed" and not alive_after, (name, results[name])
        assert_refused_line(line, "training ended", "trainer's pipe", words)
    kind, _result, _ = results["good run after"]
    assert kind == "finished", results["good run after"]


def assert_refused_line(line: str, *words: str) -> None:
    from .harness import Outcome

    assert_refused(Outcome(1, "", line), *words)
