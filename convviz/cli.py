"""The command line: the same core the app uses, for scripts, servers and class handouts.

Every failure the person can cause prints one line, `convviz: error: ...`, and exits non-zero.
"""

from __future__ import annotations

import argparse
import json
import math
import sys

import numpy as np

from . import __version__
from .cli_train import _add_train, _Progress, cmd_train, train_config
from .core.errors import ConvvizError
from .qt.panel_registry import panel_names  # no Qt: the list of docks only

EXIT_ERROR = 1


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="convviz",
        description="Watch a small convolutional neural network see, vote and learn. With no "
        "command, opens the app.",
    )
    _add_app_options(p)
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    # (the order here is the order `convviz --help` lists the commands in)
    _add_sample_data_commands(sub)
    _add_train(sub.add_parser("train", help="train on a labelled folder (one subfolder per class)"))
    _add_model_commands(sub)
    _add_commands_of_their_own_modules(sub)
    _add_bundle(sub)
    return p


def _add_app_options(p: argparse.ArgumentParser) -> None:
    """The options with no command: they open the app (or take a screenshot of it)."""
    p.add_argument("--version", action="version", version=f"convviz {__version__}")
    p.add_argument(
        "--screenshot",
        metavar="OUT.png",
        help="open the window, draw a demo shape, save a picture of it and exit",
    )
    p.add_argument(
        "--preset",
        help="network to open the app with (one the window shows: see `convviz presets`)",
    )
    p.add_argument("--size", metavar="WxH", help="window size for --screenshot, e.g. 1600x1000")
    p.add_argument(
        "--panel",
        metavar="NAME",
        help="with --screenshot: bring this panel to the front, by its tab's name or key: "
        f"{panel_names()}; a stepper stops half way",
    )


def _add_sample_data_commands(sub) -> None:
    """`shapes` and `sounds`: labelled folders to train on, generated."""
    s = sub.add_parser("shapes", help="write a labelled folder of sample shapes")
    s.add_argument("out_dir", metavar="OUT_DIR")
    s.add_argument("--per-class", type=int, default=200, metavar="N")
    s.add_argument("--seed", type=int, default=0, metavar="S")
    s.add_argument("--size", type=int, default=28, help="image side in pixels (default 28)")
    s.add_argument(
        "--rows",
        type=int,
        default=None,
        metavar="R",
        help="image height in pixels (default: --size)",
    )
    s.add_argument(
        "--cols",
        type=int,
        default=None,
        metavar="C",
        help="image width in pixels (default: --size)",
    )
    s.add_argument(
        "--colour",
        "--color",
        action="store_true",
        help="random ink and background colours (RGB), the same for every class",
    )

    so = sub.add_parser(
        "sounds",
        help="write a labelled folder of generated sounds as "
        "spectrograms (rising, falling, steady, warbling tones)",
    )
    so.add_argument("out_dir", metavar="OUT_DIR")
    so.add_argument("--per-class", type=int, default=200, metavar="N")
    so.add_argument("--seed", type=int, default=0, metavar="S")
    so.add_argument(
        "--rows",
        type=int,
        default=32,
        metavar="R",
        help="frequency bands, low at the bottom (default 32)",
    )
    so.add_argument(
        "--cols",
        type=int,
        default=48,
        metavar="C",
        help="moments in time, left to right (default 48)",
    )


def _add_model_commands(sub) -> None:
    """`presets`, `predict` and `trace`: the networks by name, and what they say about an input."""
    ps = sub.add_parser("presets", help="the networks convviz knows by name, with their help")
    ps.add_argument("name", nargs="?", metavar="NAME", help="only this one")

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


def _add_commands_of_their_own_modules(sub) -> None:
    from .cli_export import add_parser as add_export

    add_export(sub)  # convviz export: weights in another format (cli_export.py)

    from .explain_cli import add_parser as add_explain

    add_explain(sub)  # convviz explain: where the network looked (explain_cli.py)
    from .cli_summary import add_parser as add_summary

    add_summary(sub)  # convviz summary: the shapes table (cli_summary.py)

    from .cli_import import add_parser as add_import

    add_import(sub)  # convviz import: a person's own model (cli_import.py)


def _add_bundle(sub) -> None:
    b = sub.add_parser("bundle", help="regenerate the bundled weights in resources/")
    b.add_argument("--out", default=None, metavar="DIR", help="default: the resources folder")
    b.add_argument("--preset", action="append", help="only this preset (repeatable)")
    b.add_argument(
        "--calibrate-only",
        action="store_true",
        help="keep the shipped weights; only add the 'unsure' calibration",
    )


def main(argv=None) -> int:
    import multiprocessing

    multiprocessing.freeze_support()  # a frozen Windows build's trainer process starts here
    from .cli_import import join_negative

    args = _parser().parse_args(join_negative(list(sys.argv[1:] if argv is None else argv)))
    try:
        check_numbers(args)
        if args.command is None:
            from .app import run_app, screenshot  # Qt only when a window is wanted

            if args.screenshot:
                return screenshot(
                    args.screenshot, preset=args.preset, size=args.size, panel=args.panel
                )
            return run_app(preset=args.preset)
        return COMMANDS[args.command](args)
    except ConvvizError as e:
        print(f"convviz: error: {e}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("convviz: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_ERROR
    except OSError as e:  # a write that failed (full disk, read-only folder): one line, always
        where = f"{e.filename}: " if e.filename else ""
        print(f"convviz: error: {where}{e.strerror or e}", file=sys.stderr)
        return EXIT_ERROR


# The numbers each command takes, with their ranges (low, high), both ends allowed. Checked
# before anything runs, so `--seed -1` or `--per-class -5` is one line, not a traceback or a
# report of "-30 images" (limits.py holds the bounds).
def _number_ranges():
    from .core import limits

    lo_size, hi_size = limits.SHAPES_SIZE_RANGE
    return {
        "shapes": {
            "per_class": (1, limits.SHAPES_PER_CLASS_MAX),
            "seed": (0, limits.SEED_MAX),
            "size": (lo_size, hi_size),
            "rows": (lo_size, hi_size),
            "cols": (lo_size, hi_size),
        },
        "sounds": {
            "per_class": (1, limits.SOUNDS_PER_CLASS_MAX),
            "seed": (0, limits.SEED_MAX),
            "rows": limits.SOUNDS_SIZE_RANGE,
            "cols": limits.SOUNDS_SIZE_RANGE,
        },
        "train": {
            "epochs": (1, limits.EPOCHS_MAX),
            "batch_size": (1, limits.BATCH_SIZE_MAX),
            "lr": (0.0, limits.LR_MAX),
            "val_split": (0.0, limits.VAL_SPLIT_MAX),
            "seed": (0, limits.SEED_MAX),
        },
    }


def check_numbers(args) -> None:
    """Every number on the command line finite and in its range, or one line naming it."""
    for name, (lo, hi) in _number_ranges().get(args.command, {}).items():
        value = getattr(args, name)
        if value is None:  # an option left out: its default is another option's value
            continue
        option = "--" + name.replace("_", "-")
        if isinstance(value, float) and not math.isfinite(value):
            raise ConvvizError(f"{option} must be a finite number, got {value}")
        if name == "lr" and value <= lo:  # a learning rate of 0 learns nothing
            raise ConvvizError(f"{option} must be above 0, got {value:g}")
        if not lo <= value <= hi:
            raise ConvvizError(f"{option} must be between {lo:g} and {hi:g}, got {value:g}")


def cmd_shapes(args) -> int:
    from .core.shapes_data import write_folder

    rows, cols = args.rows or args.size, args.cols or args.size
    counts = write_folder(args.out_dir, args.per_class, args.seed, (rows, cols), colour=args.colour)
    print(
        f"wrote {sum(counts.values())} images of {len(counts)} classes ({', '.join(counts)}) "
        f"to {args.out_dir}: {rows}x{cols} pixels, "
        f"{'colour (RGB)' if args.colour else 'grayscale'}"
    )
    return 0


def cmd_sounds(args) -> int:
    from .core.sounds_data import write_folder

    counts = write_folder(args.out_dir, args.per_class, args.seed, args.rows, args.cols)
    print(
        f"wrote {sum(counts.values())} spectrograms of {len(counts)} classes "
        f"({', '.join(counts)}) to {args.out_dir}: {args.rows} frequency bands (low at the "
        f"bottom) x {args.cols} moments, grayscale"
    )
    return 0


def _load_weights(path):
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
        model = _load_weights(args.weights)
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

    model = _preset_model(args.preset) if args.preset else _load_weights(args.weights)
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


def cmd_presets(args) -> int:
    import textwrap

    from .core.presets import PRESETS, preset

    names = [args.name] if args.name else list(PRESETS)
    for name in names:
        preset(name)  # an unknown name: one line with the choices
        p = PRESETS[name]
        print(f"{name}: {p.title}\n  weights: {p.weights_text}")
        print(textwrap.fill(p.help, 92, initial_indent="  ", subsequent_indent="  ") + "\n")
    return 0


def cmd_bundle(args) -> int:
    from .core.bundled import RECIPES, make_all, resources_dir

    names = args.preset or list(RECIPES)
    unknown = [n for n in names if n not in RECIPES]
    if unknown:
        raise ConvvizError(
            f"no bundle recipe for {unknown[0]!r} (choose from {', '.join(RECIPES)})"
        )
    if args.calibrate_only:
        from .core.bundled import calibrate_bundle

        for n in names:
            calibrate_bundle(n, args.out or resources_dir())
        return 0
    make_all(args.out or resources_dir(), names)
    return 0


__all__ = ["COMMANDS", "_Progress", "check_numbers", "json_text", "main", "train_config"]


def cmd_explain(args) -> int:
    from .explain_cli import cmd_explain as run

    return run(args)


def cmd_summary(args) -> int:
    from .cli_summary import cmd_summary as run

    return run(args)


def cmd_import(args) -> int:
    from .cli_import import cmd_import as run

    return run(args)


def cmd_export(args) -> int:
    from .cli_export import cmd_export as run

    return run(args)


COMMANDS = {
    "explain": cmd_explain,
    "shapes": cmd_shapes,
    "sounds": cmd_sounds,
    "summary": cmd_summary,
    "train": cmd_train,
    "presets": cmd_presets,
    "import": cmd_import,
    "predict": cmd_predict,
    "trace": cmd_trace,
    "export": cmd_export,
    "bundle": cmd_bundle,
}
