"""`convviz predict` and `convviz trace`: what a network says about an input, as text or JSON."""

from __future__ import annotations

import json
import math
import sys

import numpy as np

from .core.errors import ConvvizError


def add_parsers(sub) -> None:
    """`predict` (the answer for each input) and `trace` (every layer's values for one)."""
    pr = sub.add_parser(
        "predict",
        help="classify images (or WAV sounds, for a spectrogram network) with trained weights",
        usage="%(prog)s (WEIGHTS | --preset NAME) IMAGE [IMAGE ...] [--json]",
    )
    pr.add_argument("--preset", help="a preset with its own (bundled or hand-set) weights")
    pr.add_argument("weights", metavar="WEIGHTS", nargs="?")
    pr.add_argument("images", nargs="*", metavar="IMAGE")
    pr.add_argument("--json", action="store_true", help="print JSON")

    tr = sub.add_parser("trace", help="every layer's values for one input")
    g = tr.add_mutually_exclusive_group(required=True)
    g.add_argument("--preset", help="a preset with its bundled weights")
    g.add_argument("--weights", metavar="WEIGHTS")
    tr.add_argument(
        "input",
        metavar="INPUT",
        help="an image, a text grid of numbers, or a .wav for a spectrogram network",
    )
    tr.add_argument("--json", action="store_true", help="print JSON")


def load_weights(path):
    """A weights file, or an .onnx from another tool (imported with the defaults)."""
    from .cli_import import foreign_onnx_model
    from .core.weights import load_model

    model = foreign_onnx_model(path)  # a model from another tool, imported with the defaults
    return model if model is not None else load_model(path)[0]


NOT_FINITE = "the network's votes are not finite numbers (NaN or infinity): no answer"


def _preset_model(name: str):
    """A preset's network with its own weights; a note on stderr when it has none (random)."""
    from .core.bundled import preset_model
    from .core.presets import PRESETS, preset

    preset(name)  # an unknown name: one line with the choices
    if PRESETS[name].weights == "none":
        print(
            f"convviz: note: {name!r} is {PRESETS[name].weights_text}: its answers mean nothing",
            file=sys.stderr,
        )
    return preset_model(name)


def cmd_predict(args) -> int:
    from .core.sound_input import load_network_input  # a picture, grid, or .wav (spectrogram)
    from .core.unsure import judge

    if args.preset:
        images = [args.weights, *args.images] if args.weights else list(args.images)
        if not images:
            raise ConvvizError("predict: give at least one IMAGE")
        model = _preset_model(args.preset)
    else:
        if not args.weights or not args.images:
            raise ConvvizError("predict: give WEIGHTS (or --preset NAME) and at least one IMAGE")
        images = list(args.images)
        model = load_weights(args.weights)
    spec = model.spec
    rows = []
    for path in images:
        image = load_network_input(path, spec)
        t = model.trace(image)
        finite = bool(np.isfinite(t.votes).all() and np.isfinite(t.probabilities).all())
        unsure, reason = judge(
            t.votes, image, spec.value_range, getattr(model, "calibration", None)
        )
        row = {
            "path": path,
            "class": spec.classes[t.winner] if finite else None,
            "votes": dict(zip(spec.classes, map(float, t.votes), strict=True)),
            "probabilities": dict(zip(spec.classes, map(float, t.probabilities), strict=True)),
            "unsure": unsure,
            "reason": reason,
        }
        rows.append(row if finite else row | {"message": NOT_FINITE})
    if args.json:
        print(json_text(rows, indent=2))
    else:
        for r in rows:
            votes = "  ".join(f"{c} {v:+.2f}" for c, v in r["votes"].items())
            answer = (
                f"{r['class']} ({r['probabilities'][r['class']]:.0%})"
                if r["class"] is not None
                else f"no answer ({NOT_FINITE.split(':')[0]})"
            )
            unsure = f"   unsure: {r['reason']}" if r["unsure"] and r["class"] is not None else ""
            print(f"{r['path']}: {answer}   votes: {votes}{unsure}")
    return 0


def json_text(data, **dumps_args) -> str:
    """JSON that every reader accepts: NaN and infinity (which json.dumps writes as bare NaN,
    Infinity) become null, and one warning line on stderr says how many there were."""
    try:
        return json.dumps(data, allow_nan=False, **dumps_args)
    except ValueError:
        pass
    count = 0

    def clean(v):
        nonlocal count
        if isinstance(v, float) and not math.isfinite(v):
            count += 1
            return None
        if isinstance(v, dict):
            return {k: clean(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [clean(x) for x in v]
        return v

    text = json.dumps(clean(data), allow_nan=False, **dumps_args)
    print(
        f"convviz: warning: {count} values were not finite numbers (NaN or infinity); "
        f"they are null in the JSON",
        file=sys.stderr,
    )
    return text


def _grid_text(a) -> str:
    return "\n".join("  " + " ".join(f"{v:6.2f}" for v in row) for row in a)


def cmd_trace(args) -> int:
    from .core.sound_input import load_network_input  # a picture, grid, or .wav (spectrogram)

    model = _preset_model(args.preset) if args.preset else load_weights(args.weights)
    spec = model.spec
    t = model.trace(load_network_input(args.input, spec))
    if args.json:
        out = {
            "model": spec.name,
            "classes": list(spec.classes),
            "input": t.input.tolist(),
            "layers": [
                {
                    "name": lt.name,
                    "kind": lt.kind,
                    "shape": list(lt.values.shape),
                    "values": lt.values.tolist(),
                }
                for lt in t.layers
            ],
            "votes": t.votes.tolist(),
            "probabilities": t.probabilities.tolist(),
        }
        if not np.isfinite(t.votes).all():
            out["message"] = NOT_FINITE
        print(json_text(out))
        return 0
    print(f"{spec.name}: input {'x'.join(map(str, t.input.shape))}")
    for lt in t.layers:
        print(f"\n{lt.name} ({lt.kind}) {'x'.join(map(str, lt.values.shape))}")
        if lt.values.ndim == 3:
            for c, m in enumerate(lt.values):
                print(f" map {c + 1}:\n{_grid_text(m)}")
        else:
            print("  " + " ".join(f"{v:.2f}" for v in lt.values))
    pairs = list(zip(spec.classes, t.votes, t.probabilities, strict=True))  # one per class
    print("\nvotes:        " + "  ".join(f"{c} {v:+.3f}" for c, v, _ in pairs))
    print("probabilities: " + "  ".join(f"{c} {p:.1%}" for c, _, p in pairs))
    print(
        f"answer: {spec.classes[t.winner]}"
        if np.isfinite(t.votes).all()
        else f"answer: none ({NOT_FINITE.split(':')[0]})"
    )
    return 0
