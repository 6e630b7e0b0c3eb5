"""ruff (pyproject.toml's configuration) passes on the window, the app and the tests."""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff not installed")
def test_ruff_passes_on_the_qt_side_and_the_tests():
    out = subprocess.run(
        ["ruff", "check", "--no-cache", "convviz/qt", "convviz/app.py", "tests"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout[-4000:]
