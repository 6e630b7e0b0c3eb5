"""The wheel carries the bundled weights and the Qt package, and an installed convviz finds its
weights inside itself."""

import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

from convviz.core.bundled import bundled_path, resources_dir

ROOT = Path(__file__).resolve().parents[1]


def test_checkout_resources_dir_holds_the_weights():
    folder = resources_dir()
    assert folder.is_dir()
    assert (folder / "shapes.safetensors").is_file() and (folder / "xo.safetensors").is_file()
    assert bundled_path("shapes") == folder / "shapes.safetensors"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    pytest.importorskip("setuptools")
    pytest.importorskip("wheel")
    base = tmp_path_factory.mktemp("wheel")
    # build from a copy of the checkout, so the build leaves no build/ or egg-info behind in it
    src = base / "src"
    shutil.copytree(
        ROOT,
        src,
        ignore=shutil.ignore_patterns(
            ".*", "__pycache__", "build", "dist", "*.egg-info", "tests", "out"
        ),
    )
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            ".",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(base / "dist"),
            "-q",
        ],
        cwd=src,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    wheels = list((base / "dist").glob("convviz-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def test_wheel_contents(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in (
        "convviz/resources/shapes.safetensors",
        "convviz/resources/xo.safetensors",
        "convviz/resources/lenet5.safetensors",
        "convviz/qt/__init__.py",
        "convviz/core/network.py",
        "convviz/cli.py",
        "convviz/__main__.py",
    ):
        assert expected in names, expected
    assert not any(n.startswith(("tests/", "resources/")) for n in names)
    info = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "convviz = convviz.cli:main" in zipfile.ZipFile(wheel).read(info).decode()
    # the bundled weights in the wheel are the checkout's, byte for byte
    shipped = zipfile.ZipFile(wheel).read("convviz/resources/shapes.safetensors")
    assert shipped == (ROOT / "resources" / "shapes.safetensors").read_bytes()


CHECK = textwrap.dedent('''
    import sys
    from pathlib import Path
    import numpy as np
    import convviz
    from convviz.core.bundled import preset_model, resources_dir
    from safetensors.numpy import load_file

    site = Path(sys.argv[1]).resolve()
    assert Path(convviz.__file__).resolve().is_relative_to(site), convviz.__file__
    res = resources_dir().resolve()
    assert res.is_relative_to(site), res
    assert (res / "shapes.safetensors").is_file()
    model = preset_model("shapes")
    repo = load_file(sys.argv[2])
    snap = model.snapshot()
    for key in ("layers.0.weight", "layers.9.bias"):
        assert np.array_equal(snap[key], repo[key]), key
    print("OK", res)
''')


def test_installed_wheel_loads_its_bundled_weights(wheel, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = dict(os.environ, PYTHONPATH=str(site))
    proc = subprocess.run(
        [sys.executable, "-c", CHECK, str(site), str(ROOT / "resources" / "shapes.safetensors")],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.startswith("OK ")
