"""Fixtures for the hostile-input cases; the limits and assertions live in harness.py."""

from pathlib import Path

import pytest

from .harness import SECRET


@pytest.fixture
def secret(tmp_path) -> Path:
    """A file outside the input folder, holding SECRET: a hostile input may try to read it."""
    outside = tmp_path / "outside"
    outside.mkdir()
    f = outside / "secret.txt"
    f.write_bytes(SECRET * 64)
    return f


@pytest.fixture
def marker(tmp_path) -> Path:
    """A path a hostile input would create if anything in it were run; it must stay absent."""
    return tmp_path / "ran-code.marker"
