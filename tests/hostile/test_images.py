"""Hostile pictures: PostScript under a .png name, pictures over the pixel limit, decompression
bombs, very long thin pictures, NaN pixels. Each case runs the CLI (or the app's folder decoder)
in a bounded process; the pictures are generated here, at test time.

Ghostscript is not installed on the test machines, so a stand-in `gs` is put first on PATH: it
does what the PostScript asks (writes the file it names, or loops until its parent is gone), as a
Ghostscript without working sandboxing would. Pillow's EPS plugin would run it; convviz must
never get that far.
"""

from __future__ import annotations

import os
import stat
import struct
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from convviz.core import limits

from .harness import ROOT, assert_refused, convviz_cli, python_snippet

WEIGHTS = ROOT / "resources" / "shapes.safetensors"  # input 28x28


# ---- generators -----------------------------------------------------------------------------


def write_png(path: Path, width: int, height: int, bit_depth: int = 8, color_type: int = 0):
    """A valid PNG of zeros of any size, written a block of rows at a time: a 13000 x 13000
    picture is a few hundred KB on disk and never whole in this process's memory."""

    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    channels = {0: 1, 2: 3, 4: 2, 6: 4}[color_type]
    row = b"\0" + bytes(width * channels * bit_depth // 8)
    per = max(1, 2**20 // len(row))
    comp, parts, left = zlib.compressobj(9), [], height
    while left:
        k = min(per, left)
        parts.append(comp.compress(row * k))
        left -= k
    parts.append(comp.flush())
    header = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", b"".join(parts))
        + chunk(b"IEND", b"")
    )
    return path


FAKE_GS = '''#!{python}
import os, re, sys, time
if "--version" in sys.argv:
    print("10.02.1")
    sys.exit(0)
parent = os.getppid()
for arg in sys.argv[1:]:
    if os.path.isfile(arg):
        text = open(arg, "rb").read().decode("latin-1")
        wanted = re.search(r"\\((.*?)\\) \\(w\\) file", text)
        if wanted:
            open(wanted.group(1), "w").write("PostScript ran")
        if "loop" in text:
            while os.getppid() == parent:  # for ever, as far as the caller can tell
                time.sleep(0.1)
sys.exit(1)
'''


def postscript(path: Path, marker: Path | None = None) -> Path:
    """EPS that writes `marker` when run, or (without one) loops for ever."""
    body = f"({marker}) (w) file dup (ran) writestring closefile" if marker else "{ } loop"
    path.write_text(f"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 28 28\n{body}\nshowpage\n")
    return path


@pytest.fixture
def gs_env(tmp_path) -> dict:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    gs = bin_dir / "gs"
    gs.write_text(FAKE_GS.format(python=sys.executable))
    gs.chmod(gs.stat().st_mode | stat.S_IXUSR)
    return {"PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}


# ---- PostScript named .png ------------------------------------------------------------------


def test_predict_never_runs_postscript_named_png(tmp_path, marker, gs_env):
    evil = postscript(tmp_path / "evil.png", marker)
    out = convviz_cli("predict", WEIGHTS, evil, cwd=tmp_path, env=gs_env)
    assert_refused(out, "evil.png", "not an image convviz can read")
    assert not marker.exists()


def test_trace_never_runs_a_postscript_loop(tmp_path, gs_env):
    loop = postscript(tmp_path / "loop.png")
    out = convviz_cli("trace", "--preset", "shapes", loop, cwd=tmp_path, env=gs_env, timeout=30)
    assert_refused(out, "loop.png", "not an image convviz can read")


def _folder_with_postscript(root: Path, marker: Path) -> Path:
    from test_folders_helpers import make_folder

    make_folder(root, per_class=4)
    postscript(root / "o" / "evil.png", marker)
    postscript(root / "x" / "loop.png")
    return root


def test_cli_train_skips_postscript_in_a_folder(tmp_path, marker, gs_env):
    root = _folder_with_postscript(tmp_path / "data", marker)
    out = convviz_cli(
        "train",
        root,
        "--out",
        tmp_path / "m.safetensors",
        "--epochs",
        "1",
        cwd=tmp_path,
        env=gs_env,
        timeout=60,
    )
    assert out.returncode == 0 and not out.timed_out, out.stderr[-2000:]
    assert "o/evil.png: not an image convviz can read" in out.stderr
    assert "x/loop.png: not an image convviz can read" in out.stderr
    assert not marker.exists()


def test_app_folder_decoder_skips_postscript_and_other_formats(tmp_path, marker, gs_env):
    root = _folder_with_postscript(tmp_path / "data", marker)
    # an SVG (Qt reads it) and an XPM under .png names: formats convviz does not list
    (root / "x" / "vector.png").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="28" height="28">'
        '<rect width="28" height="28" fill="white"/></svg>'
    )
    (root / "o" / "pixmap.png").write_text(
        '/* XPM */\nstatic char *x[] = {"2 2 1 1", "a c #ffffff", "aa", "aa"};\n'
    )
    code = (
        f"from convviz.core.folders import load_folder\n"
        f"from convviz.qt.training.folder_decode import qimage_decode\n"
        f"d = load_folder({str(root)!r}, 28, decoder=qimage_decode, threads=1)\n"
        f"print(d.counts())\n"
        f"for s in d.skipped: print(s.path + ': ' + s.reason)\n"
    )
    out = python_snippet(code, cwd=tmp_path, env=gs_env, timeout=60)
    assert out.returncode == 0 and not out.timed_out, out.stderr[-2000:]
    assert "{'o': 4, 'x': 4}" in out.stdout
    for name in ("o/evil.png", "x/loop.png", "x/vector.png", "o/pixmap.png"):
        assert f"{name}: not an image convviz can read" in out.stdout, name
    assert not marker.exists()


# ---- sizes ----------------------------------------------------------------------------------


@pytest.mark.parametrize("bits", [8, 16])
def test_a_13000_square_png_is_refused_from_its_header(tmp_path, bits):
    big = write_png(tmp_path / f"big{bits}.png", 13000, 13000, bit_depth=bits)
    out = convviz_cli("predict", WEIGHTS, big, cwd=tmp_path)
    assert_refused(out, f"big{bits}.png", "13000x13000", "million pixels")


@pytest.mark.parametrize("side", [10_000, 20_000])
def test_decompression_bombs_are_one_line_without_pillows_warning(tmp_path, side):
    # 100 MP: Pillow warns (DecompressionBombWarning); 400 MP: Pillow raises. Both one line.
    bomb = write_png(tmp_path / "bomb.png", side, side)
    assert bomb.stat().st_size < 1_000_000
    out = convviz_cli("predict", WEIGHTS, bomb, cwd=tmp_path)
    assert_refused(out, "bomb.png", "million pixels")
    assert "DecompressionBomb" not in out.stderr


def test_very_long_thin_pictures_are_read_in_bounded_memory(tmp_path):
    # padding 1 x 20000 to a square first took 1.6 GB; 2 x 5,000,000 is 10 megapixels, under
    # the limit, and would be a 100 TB square
    thin = write_png(tmp_path / "thin.png", 1, 20_000)
    long = write_png(tmp_path / "long.png", 5_000_000, 2)
    out = convviz_cli("predict", WEIGHTS, thin, long, "--json", cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "thin.png" in out.stdout and "long.png" in out.stdout


def test_a_picture_at_the_pixel_limit_decodes_well_under_the_bound(tmp_path):
    # the largest picture accepted, RGBA (the costliest mode): decoded in a process that holds
    # only Pillow and numpy, under 600 MB of address space (README: peak about 350 MB)
    side = int(limits.IMAGE_MAX_PIXELS**0.5)
    write_png(tmp_path / "max.png", side, side, color_type=6)
    code = (
        "from convviz.core.imageio import load_image\n"
        f"print(load_image({str(tmp_path / 'max.png')!r}, 28).shape)\n"
    )
    out = python_snippet(code, cwd=tmp_path, memory_mb=600)
    assert out.returncode == 0 and "(28, 28)" in out.stdout, out.stderr[-2000:]


def test_a_cut_tiff_is_one_line_without_pillows_warnings(tmp_path):
    whole = tmp_path / "whole.tif"
    Image.fromarray(np.zeros((40, 50), np.uint8)).save(whole)
    (tmp_path / "cut.tif").write_bytes(whole.read_bytes()[:60])  # "Corrupt EXIF data" x 12
    out = convviz_cli("predict", WEIGHTS, tmp_path / "cut.tif", cwd=tmp_path)
    assert_refused(out, "cut.tif")
    assert "Warning" not in out.stderr


def test_nan_pixels_are_refused(tmp_path):
    a = np.zeros((28, 28), np.float32)
    a[10, 10] = np.nan
    a[3, 3] = np.inf
    Image.fromarray(a).save(tmp_path / "nan.tif")
    out = convviz_cli("predict", WEIGHTS, tmp_path / "nan.tif", "--json", cwd=tmp_path)
    assert_refused(out, "nan.tif", "not finite")
