"""The command line: the same core the app uses, for scripts, servers and class handouts.

Every failure the person can cause prints one line, `convviz: error: ...`, and exits non-zero.
Each command lives in its own module, with its parser (add_parser) and its handler (cmd_...);
this one builds the whole parser, sends a command to its handler and turns every failure into
that one line.
"""

from __future__ import annotations

import argparse
import sys

from . import __version__
from .cli_export import add_parser as add_export
from .cli_export import cmd_export
from .cli_import import add_parser as add_import
from .cli_import import cmd_import
from .cli_numbers import check_numbers
from .cli_predict import add_parsers as add_predict_parsers
from .cli_predict import cmd_predict, cmd_trace
from .cli_predict import load_weights as _load_weights  # cli_train reads cli._load_weights
from .cli_presets import add_bundle_parser, add_presets_parser, cmd_bundle, cmd_presets
from .cli_sample_data import add_parsers as add_sample_data_parsers
from .cli_sample_data import cmd_shapes, cmd_sounds
from .cli_summary import add_parser as add_summary
from .cli_summary import cmd_summary
from .cli_train import _add_train, _Progress, cmd_train, train_config
from .core.errors import ConvvizError
from .explain_cli import add_parser as add_explain
from .explain_cli import cmd_explain
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
    add_sample_data_parsers(sub)
    _add_train(sub.add_parser("train", help="train on a labelled folder (one subfolder per class)"))
    add_presets_parser(sub)
    add_predict_parsers(sub)
    add_export(sub)
    add_explain(sub)
    add_summary(sub)
    add_import(sub)
    add_bundle_parser(sub)
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


__all__ = ["COMMANDS", "_Progress", "_load_weights", "check_numbers", "main", "train_config"]

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
