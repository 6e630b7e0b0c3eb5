"""`convviz explain`: where the network looked for one image, as a picture and/or JSON.

Kept apart from cli.py so that the command is self-contained: cli.py only adds the parser and
calls `cmd_explain`.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from .core.errors import ConvvizError

# core.explain.METHODS, written again here: that module imports torch, and the parser (so
# `convviz --help`) must not wait for it; a test checks that the two agree
METHOD_NAMES = ("occlusion", "gradcam", "saliency")


def add_parser(sub) -> None:
    ex = sub.add_parser("explain", help="where the network looked: a map over the image")
    ex.add_argument("weights", metavar="WEIGHTS")
    ex.add_argument("image", metavar="IMAGE", help="an image, or a text grid of numbers")
    ex.add_argument("--method", required=True, choices=METHOD_NAMES)
    ex.add_argument(
        "--class",
        dest="cls",
        metavar="C",
        help="the class to explain, by name (default: the network's answer)",
    )
    ex.add_argument(
        "--layer",
        metavar="L",
        help="Grad-CAM: the convolution layer, e.g. conv1 (default: the last)",
    )
    ex.add_argument("--patch", type=int, metavar="P", help="occlusion: patch side in pixels")
    ex.add_argument("--stride", type=int, metavar="S", help="occlusion: patch step in pixels")
    ex.add_argument("--out", metavar="MAP.png", help="write the map over the image as a PNG")
    ex.add_argument("--json", action="store_true", help="print the class and the map as JSON")


def _number(v: float):
    return v if math.isfinite(v) else None  # JSON has no NaN or infinity


def _grid(a: np.ndarray) -> list:
    return [[_number(float(v)) for v in row] for row in a]


def _check_out(path: str) -> None:
    p = Path(path)
    if p.suffix.lower() != ".png":
        raise ConvvizError(f"--out must name a .png file, got {p.name[:80]!r}")
    folder = p.parent if str(p.parent) else Path(".")
    if not folder.is_dir():
        raise ConvvizError(f"cannot write {path}: the folder {folder} does not exist")


def _write_picture(path: str, image: np.ndarray, value_range, m: np.ndarray) -> None:
    from PIL import Image

    from .core.heatmap import enlarged, overlay_rgb
    from .core.weights import atomic_write

    lo, hi = value_range
    ink = (image.reshape(-1, *image.shape[-2:]).mean(0) - lo) / (hi - lo)  # (H, W) 0..1
    rgb = enlarged(overlay_rgb(ink, m))
    atomic_write(path, lambda tmp: Image.fromarray(rgb, mode="RGB").save(tmp, format="PNG"))


def cmd_explain(args) -> int:
    from .core.explain import explain
    from .core.imageio import load_input
    from .core.weights import load_model

    if not args.out and not args.json:
        raise ConvvizError("nothing to do: give --out MAP.png, --json, or both")
    if args.out:
        _check_out(args.out)  # before the work, not after it
        from .core.weights import refuse_same_file  # (hostile helper) the picture stays

        refuse_same_file(args.out, args.image, args.weights, option="--out")
    model, _ = load_model(args.weights)
    spec = model.spec
    image = load_input(args.image, spec.input_shape, spec.value_range, spec.channels)
    e = explain(model, image, args.method, args.cls, args.layer, args.patch, args.stride)
    if args.out:
        _write_picture(args.out, image, spec.value_range, e.map)
    if args.json:
        out = {
            "method": e.method,
            "class": e.class_name,
            "class_index": e.cls,
            "vote": _number(e.vote),
            "layer": e.layer,
            "patch": e.patch,
            "stride": e.stride,
            "shape": list(e.map.shape),
            "map": _grid(e.map),
        }
        print(json.dumps(out, allow_nan=False))  # never NaN or Infinity: not JSON
    else:
        where = f" at {e.layer}" if e.layer else ""
        print(f"{args.method}{where} for {e.class_name}: wrote {args.out}")
    return 0
