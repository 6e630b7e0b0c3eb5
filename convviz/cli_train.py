"""`convviz train`: its options (from the one TrainConfig), the run with a progress line, and
where its weights go."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path


def _add_train(t: argparse.ArgumentParser) -> None:
    from .core.train_config import TrainConfig  # (torch-free: the parser is built every run)

    t.add_argument("folder", metavar="FOLDER")
    t.add_argument(
        "--out", required=True, metavar="WEIGHTS", help="where to save (.safetensors, .pt or .onnx)"
    )
    g = t.add_mutually_exclusive_group()
    g.add_argument("--preset", default=None, help="layers to use (default: shapes)")
    g.add_argument("--spec", metavar="SPEC.json", help="layers from a JSON network description")
    g.add_argument(
        "--from",
        dest="start",
        metavar="WEIGHTS",
        help="start from this trained network (a weights file, or an .onnx or .keras model "
        "made elsewhere); new votes if the folder's classes differ",
    )
    d = TrainConfig()  # the one set of training defaults: the app's Train dialog reads them too
    t.add_argument("--epochs", type=int, default=d.epochs, metavar="N")
    t.add_argument("--batch-size", type=int, default=d.batch_size, metavar="B")
    t.add_argument("--lr", type=float, default=d.lr, metavar="X")
    t.add_argument("--val-split", type=float, default=d.val_split, metavar="F")
    t.add_argument("--device", default=d.device, choices=("auto", "cpu", "cuda", "mps"))
    t.add_argument("--seed", type=int, default=d.seed, metavar="S")
    t.add_argument(
        "--augment",
        action=argparse.BooleanOptionalAction,
        default=d.augment,
        help="shift, rotate and scale the images a little while training "
        f"(default: {'on' if d.augment else 'off'})",
    )
    t.add_argument(
        "--votes-only",
        action="store_true",
        default=d.votes_only,
        help="keep what the network learned (with --from) and retrain only its votes, the last "
        "fully connected layer",
    )
    t.add_argument(
        "--threads",
        type=int,
        default=d.threads,
        metavar="N",
        help="CPU threads (default: the fastest count, chosen as it trains)",
    )


def train_config(args: argparse.Namespace):
    """The TrainConfig `convviz train` asked for: each of its fields from the option of the same
    name (keep_best, which has no option, at its default)."""
    from dataclasses import fields

    from .core.train_config import TrainConfig

    return TrainConfig(
        **{f.name: getattr(args, f.name) for f in fields(TrainConfig) if hasattr(args, f.name)}
    ).check()


def _spec_for_training(args, classes):
    from .core.presets import DEFAULT_PRESET, preset
    from .core.spec import read_spec

    # (a spec file's size, depth and budget are judged before anything is built)
    spec = read_spec(args.spec) if args.spec else preset(args.preset or DEFAULT_PRESET)
    return spec.with_classes(classes).validate()


class _Progress:
    """One line that rewrites itself on a terminal; plain epoch lines otherwise."""

    def __init__(self):
        self.tty = sys.stderr.isatty()

    def batch(self, r):
        if self.tty:
            threads = f"  {r.threads} thread{'s' if r.threads != 1 else ''}" if r.threads else ""
            print(
                f"\r  epoch {r.epoch} batch {r.batch}/{r.batches}  loss {r.loss:.3f}  "
                f"{r.images_per_second:,.0f} img/s{threads}  {r.seconds_left:.0f}s left   ",
                end="",
                file=sys.stderr,
                flush=True,
            )

    def epoch(self, e):
        if self.tty:
            print("\r" + " " * 78 + "\r", end="", file=sys.stderr)
        val = (
            f", validation loss {e.val_loss:.3f}, accuracy {e.val_accuracy:.1%}"
            if e.val_accuracy is not None
            else ""
        )
        print(
            f"epoch {e.epoch}: training loss {e.train_loss:.3f}{val}", file=sys.stderr, flush=True
        )


def cmd_train(args) -> int:
    from . import cli
    from .core.device import describe, resolve_device
    from .core.errors import ConvvizError
    from .core.folders import load_folder
    from .core.machine_watch import watch_machine
    from .core.network import build
    from .core.presets import DEFAULT_PRESET, preset
    from .core.training import train
    from .core.weights import assert_writable, save_model

    others = watch_machine()  # from now: its first reading covers the folder's loading too
    config = train_config(args)
    if config.votes_only and not args.start:
        raise ConvvizError("--votes-only keeps what a network learned: name it with --from WEIGHTS")
    assert_writable(args.out)
    device = resolve_device(args.device)
    start = _starting_network(args.start) if args.start else None
    probe = (
        start.spec
        if start is not None
        else _spec_for_training(args, ("a", "b"))
        if args.spec
        else preset(args.preset or DEFAULT_PRESET)
    )
    scan = load_folder(args.folder, probe.input_shape, probe.value_range, channels=probe.channels)
    print(scan.report(), file=sys.stderr)
    if start is not None:
        model = _start_from(start, scan.classes, args.seed)
        spec = model.spec
    else:
        spec = _spec_for_training(args, scan.classes)
        model = build(spec, seed=args.seed)
    from .core.threads import forced_threads

    where, forced = describe(device), forced_threads(args.threads)
    if device.type == "cpu":  # the count is chosen as it trains (core/threads.py) unless forced
        where = _cpu_threads_text(forced)
    what = " (only its votes; every other layer kept)" if config.votes_only else ""
    print(f"training {spec.name}{what} on {where}", file=sys.stderr)
    progress = _Progress()
    from .core.timeline import Recorder
    from .core.timeline_file import save_timeline

    film = Recorder(model)  # the training timeline, saved beside the weights (README)
    film.start()

    def on_batch(r):
        film.batch(r)
        progress.batch(r)

    def on_epoch(e):
        film.epoch(e)
        progress.epoch(e)

    with _FirstCtrlCStops() as stop_requested:
        result = train(
            model,
            scan.X,
            scan.y,
            config,
            on_batch=on_batch,
            on_epoch=on_epoch,
            should_stop=stop_requested,
            cap=others,  # no count that needs a core another program is using is even timed
        )
    out = _out_path(args.out, result.status)
    save_model(model, out, result.summary() | {"folder": str(args.folder)})
    save_timeline(film.timeline, out)
    if result.threads:
        print(
            f"trained at {result.images_per_second:,.0f} images/s on {result.threads} CPU "
            f"thread{'s' if result.threads != 1 else ''}"
            f"{' (forced)' if forced else ''}",
            file=sys.stderr,
        )
    if result.status != "done":
        # a run that diverged or was stopped never replaces what is at --out: its weights go
        # beside it, and the exit status says it did not finish
        print(
            f"convviz: warning: training {result.status} ({result.message}); its weights "
            f"went to {out}, not {args.out}",
            file=sys.stderr,
        )
        return 130 if result.status == "stopped" else cli.EXIT_ERROR
    print(f"saved {out}")
    print(f"final validation accuracy: {_accuracy_words(result)}")
    return 0


def _starting_network(path):
    """The --from network: a weights file, an .onnx from another tool, or a Keras model (both
    imported with the defaults; `convviz import` them first to choose the range and names)."""
    from pathlib import Path

    from . import cli

    if Path(path).suffix.lower() in (".keras", ".h5"):
        from .core.importing import import_model

        return import_model(path).model()
    return cli._load_weights(path)


def _start_from(model, classes, seed: int):
    """The --from network, as it is if it votes for the folder's classes; otherwise with new
    votes for them, every other layer kept."""
    from .core.training import with_new_votes

    if tuple(model.spec.classes) == tuple(classes):
        return model
    print(
        f"the folder's classes differ from the network's ({', '.join(model.spec.classes[:6])}"
        f"{', ...' if len(model.spec.classes) > 6 else ''}): its votes start anew",
        file=sys.stderr,
    )
    return with_new_votes(model, classes, seed=seed)


def _cpu_threads_text(forced) -> str:
    """Where training runs on the CPU, in words: the thread count forced, or the most it may use."""
    import torch

    most = torch.get_num_threads()
    return (
        f"CPU ({forced} thread{'s' if forced != 1 else ''}, forced)"
        if forced
        else f"CPU (up to {most} threads, the fastest count chosen as it trains)"
        if most > 1
        else "CPU (1 thread)"
    )


def _out_path(out, status: str) -> Path:
    """--out for a finished run; NAME.diverged.EXT or NAME.stopped.EXT beside it otherwise."""
    out = Path(out)
    return out if status == "done" else out.with_name(f"{out.stem}.{status}{out.suffix}")


class _FirstCtrlCStops:
    """While training: the first Ctrl-C stops the run after its batch (what it learned is
    kept, beside --out); a second one interrupts at once."""

    def __enter__(self):
        self.requested = False
        try:
            self.old = signal.signal(signal.SIGINT, self._on_sigint)
        except ValueError:  # not the main thread (called from a test's thread): no handler
            self.old = None
        return lambda: self.requested

    def _on_sigint(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        print(
            "\nconvviz: stopping after this batch (Ctrl-C again to quit at once)",
            file=sys.stderr,
            flush=True,
        )

    def __exit__(self, *exc):
        if self.old is not None:
            signal.signal(signal.SIGINT, self.old)
        return False


def _accuracy_words(result) -> str:
    """The kept weights' accuracy, and the last epoch's when the kept ones are an earlier
    epoch's: "98.90% (best: epoch 6 of 8; last epoch 98.50%)"."""
    if result.val_accuracy is None:
        return "n/a (no validation split)"
    words = f"{result.val_accuracy:.2%}"
    if result.best_epoch is not None:
        words += f" (best: epoch {result.best_epoch} of {len(result.epochs)}"
        if result.best_epoch != len(result.epochs) and result.last_val_accuracy is not None:
            words += f"; last epoch {result.last_val_accuracy:.2%}"
        words += ")"
    return words
