"""The harness itself must be able to fail: a case over its memory or time bound, or one that
prints a traceback, is caught."""

import pytest

from .harness import SECRET, assert_no_secret, assert_refused, convviz_cli, python_snippet


def test_a_memory_hog_is_stopped_by_the_limit(tmp_path):
    out = python_snippet("import numpy as np; np.ones(3_000_000_000, dtype=np.uint8)", cwd=tmp_path)
    assert out.returncode != 0
    with pytest.raises(AssertionError):
        assert_refused(out)  # a MemoryError traceback is not a clear line


def test_a_hang_is_stopped_by_the_time_limit(tmp_path):
    out = python_snippet("while True: pass", cwd=tmp_path, timeout=2)
    assert out.timed_out
    with pytest.raises(AssertionError):
        assert_refused(out)


def test_one_clear_line_passes(tmp_path):
    out = convviz_cli("predict", tmp_path / "missing.safetensors", tmp_path / "x.png", cwd=tmp_path)
    assert "no such file" in assert_refused(out, "missing.safetensors")


def test_secret_is_found_where_it_leaked(tmp_path, secret):
    leak = tmp_path / "leak.bin"
    leak.write_bytes(b"weights" + SECRET)
    with pytest.raises(AssertionError):
        assert_no_secret(tmp_path / "leak.bin")
    assert_no_secret(tmp_path / "nothing-here")
