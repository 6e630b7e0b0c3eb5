"""Hostile input to `convviz explain`: an IMAGE that is not a picture (PostScript under a .png
name, random bytes), a class name made of control characters and escapes, a --layer that is
not a convolution, an impossible occlusion patch. Each is one line, nothing run, and
an existing MAP.png is never harmed by a refused command."""

from __future__ import annotations

import numpy as np

from convviz.core.imageio import save_png

from .harness import ROOT, assert_no_secret, assert_refused, convviz_cli
from .test_images import gs_env, postscript  # noqa: F401 (gs_env is a fixture)

WEIGHTS = ROOT / "resources" / "shapes.safetensors"


def _drawing(tmp_path):
    path = tmp_path / "x.png"
    save_png(path, np.eye(28, dtype=np.float32))
    return path


def test_postscript_named_png_is_never_run(tmp_path, marker, gs_env):  # noqa: F811
    evil = postscript(tmp_path / "evil.png", marker)
    out = convviz_cli(
        "explain", WEIGHTS, evil, "--method", "occlusion", "--json", cwd=tmp_path, env=gs_env
    )
    assert_refused(out, "evil.png", "not an image convviz can read")
    assert not marker.exists() and out.stdout == ""


def test_random_bytes_as_image_and_secret_stays_inside(tmp_path, secret):
    junk = tmp_path / "junk.png"
    junk.write_bytes(np.random.default_rng(0).bytes(4096) + str(secret).encode())
    out = convviz_cli("explain", WEIGHTS, junk, "--method", "saliency", "--json", cwd=tmp_path)
    assert_refused(out, "junk.png")
    assert_no_secret(tmp_path / "junk.png", text=out.stdout + out.stderr)


def test_odd_class_names_are_one_escaped_line(tmp_path):
    image = _drawing(tmp_path)
    kept = tmp_path / "map.png"
    kept.write_bytes(b"an earlier map")
    name = "\x1b[31mred\r\ncheck\t\u202e" + "\udcff" * 3 + "x" * 500
    out = convviz_cli(
        "explain",
        WEIGHTS,
        image,
        "--method",
        "gradcam",
        "--class",
        name,
        "--out",
        kept,
        cwd=tmp_path,
    )
    line = assert_refused(out, "no class called", "choose from X, O")
    assert "\x1b" not in line and "\r" not in line and len(line) < 300
    assert kept.read_bytes() == b"an earlier map"


def test_layers_that_are_not_convolutions(tmp_path):
    image = _drawing(tmp_path)
    for layer, words in [
        ("pool2", ("'pool2' is not a convolution layer",)),
        ("fc1", ("not a convolution layer",)),
        ("../../etc/passwd", ("no layer called", "conv1, conv2")),
    ]:
        out = convviz_cli(
            "explain",
            WEIGHTS,
            image,
            "--method",
            "gradcam",
            "--layer",
            layer,
            "--json",
            cwd=tmp_path,
        )
        assert_refused(out, *words)


def test_an_impossible_patch_is_one_line(tmp_path):
    image = _drawing(tmp_path)
    out = convviz_cli(
        "explain", WEIGHTS, image, "--method", "occlusion", "--patch", "0", "--json", cwd=tmp_path
    )
    assert_refused(out, "patch size must be 1..28")
