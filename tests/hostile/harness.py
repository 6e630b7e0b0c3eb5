"""Hostile inputs, tried the way a stranger's file would reach convviz: each case runs in its own
process under an address-space limit and a time limit, so a case that would take gigabytes or
loop for ever fails its test instead of taking the machine down with it.

What every case asserts (see `assert_refused`): a non-zero exit with exactly one line on stderr
and no traceback; nothing the file asked for was run (`marker` files stay absent); nothing outside
the input was read (`secret` bytes never appear in an output); nothing saved before was lost.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Importing torch and convviz's core takes about 0.65 GB of address space here; the limit leaves
# about 0.9 GB for the case itself. A case that needs more than that has failed its bound.
MEMORY_LIMIT_MB = 1536
TIME_LIMIT_S = 60
# Secret bytes planted beside (outside) a hostile input: they must never come out anywhere.
SECRET = b"CONVVIZ-SECRET-6b1f0c"


@dataclass
class Outcome:
    returncode: int
    stdout: str
    stderr: str
    timed_out: bool = False

    @property
    def lines(self) -> list[str]:
        return [ln for ln in self.stderr.splitlines() if ln.strip()]


def _limit(memory_mb: int):
    def apply():  # runs in the child before exec
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def _env(extra=None):
    env = dict(
        os.environ,
        PYTHONPATH=str(ROOT),
        OMP_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
        PYTHONDONTWRITEBYTECODE="1",
        QT_QPA_PLATFORM="offscreen",
    )
    env.update(extra or {})
    return env


def run_bounded(
    argv, *, cwd, memory_mb=MEMORY_LIMIT_MB, timeout=TIME_LIMIT_S, env=None, input_text=None
) -> Outcome:
    """Run argv (a list) in a child process with the limits above."""
    try:
        p = subprocess.run(
            argv,
            cwd=cwd,
            env=_env(env),
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
            preexec_fn=_limit(memory_mb),
            input=input_text,
        )
    except subprocess.TimeoutExpired as e:
        out = e.stdout or ""
        err = e.stderr or ""
        out = out.decode(errors="replace") if isinstance(out, bytes) else out
        err = err.decode(errors="replace") if isinstance(err, bytes) else err
        return Outcome(-9, out, err, timed_out=True)
    return Outcome(p.returncode, p.stdout, p.stderr)


def convviz_cli(*args, cwd, **kw) -> Outcome:
    """`python -m convviz ARGS` under the limits."""
    return run_bounded([sys.executable, "-m", "convviz", *map(str, args)], cwd=cwd, **kw)


def python_snippet(code: str, *, cwd, **kw) -> Outcome:
    """A few lines of Python (calling the core or the Qt layer directly) under the limits.
    A refusal is expected to surface as `SystemExit(message)`: write the snippet so that the
    one line convviz gives a person is what reaches stderr."""
    return run_bounded([sys.executable, "-c", code], cwd=cwd, **kw)


def assert_refused(outcome: Outcome, *words: str) -> str:
    """One clear line, no traceback, a non-zero exit that is not a crash or a kill; the line
    names each of `words` (case-insensitive). Returns the line."""
    assert not outcome.timed_out, f"timed out; stderr so far: {outcome.stderr[-2000:]}"
    assert outcome.returncode > 0, (outcome.returncode, outcome.stderr[-2000:])
    assert "Traceback" not in outcome.stderr, outcome.stderr[-4000:]
    assert "MemoryError" not in outcome.stderr, outcome.stderr[-2000:]
    assert len(outcome.lines) == 1, outcome.stderr[-4000:]
    line = outcome.lines[0]
    for w in words:
        assert w.lower() in line.lower(), (w, line)
    return line


def assert_no_secret(*paths: Path, text: str = "") -> None:
    """No SECRET bytes in any of the files (or folders' files) given, nor in text."""
    assert SECRET.decode() not in text
    for p in paths:
        if not p.exists():
            continue
        files = [p] if p.is_file() else [f for f in p.rglob("*") if f.is_file()]
        for f in files:
            assert SECRET not in f.read_bytes(), f
