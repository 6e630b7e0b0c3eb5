"""`convviz export`: weights in another format (a file's, a preset's own, or one moment of their
training timeline).

    convviz export (WEIGHTS | --preset NAME) --to OUT [--moment N]
    convviz export WEIGHTS --moments
"""

from __future__ import annotations

import os

from .core.errors import ConvvizError


def add_parser(sub) -> None:
    e = sub.add_parser(
        "export",
        help="write weights in another format (a file's, a preset's "
        "own, or one moment of their training timeline)",
    )
    g = e.add_mutually_exclusive_group(required=True)
    g.add_argument("weights", metavar="WEIGHTS", nargs="?")
    g.add_argument("--preset", help="a preset's own weights (bundled or hand-set)")
    e.add_argument("--to", metavar="OUT", help=".safetensors, .pt or .onnx")
    e.add_argument(
        "--moment",
        type=int,
        metavar="N",
        help="the weights kept at moment N of the timeline saved beside WEIGHTS "
        "(WEIGHTS.timeline; --moments lists them)",
    )
    e.add_argument(
        "--moments",
        action="store_true",
        help="list the moments of WEIGHTS' timeline and write nothing",
    )


def cmd_export(args) -> int:
    from .core.timeline import Timeline
    from .core.timeline_file import companion, load_timeline, save_timeline
    from .core.weights import assert_writable, load_model, save_model

    if not args.moments and not args.to:
        raise ConvvizError("export needs --to OUT (or --moments to list the timeline)")
    if args.preset:
        if args.moments or args.moment is not None:
            raise ConvvizError(
                "a preset's weights have no training timeline: --moment and "
                "--moments go with a WEIGHTS file"
            )
        from .core.bundled import preset_model
        from .core.presets import PRESETS, preset

        preset(args.preset)  # an unknown name: one line with the choices
        declared = PRESETS[args.preset]
        if declared.weights == "none":
            raise ConvvizError(
                f"the preset {args.preset!r} is {declared.weights_text}; "
                f"nothing to export (train it first: convviz train --preset "
                f"{args.preset} FOLDER --out WEIGHTS)"
            )
        assert_writable(args.to)
        save_model(
            preset_model(args.preset),
            args.to,
            {"preset": args.preset, "weights": declared.weights_text},
        )
        save_timeline(Timeline(), args.to)  # (a stale one at OUT is removed)
        print(f"wrote {args.to}")
        return 0
    if args.to:  # (hostile helper) never replace the weights, or their timeline, being read
        from .core.weights import refuse_same_file

        refuse_same_file(args.to, args.weights)
    model, info = load_model(args.weights)
    timeline = load_timeline(args.weights, model.snapshot())  # refused whole if damaged
    if (args.moments or args.moment is not None) and not timeline:
        raise ConvvizError(
            f"{args.weights} has no training timeline ({companion(args.weights)} "
            f"does not exist; the app keeps one for a network it trains)"
        )
    if args.moments:
        for i, m in enumerate(timeline.moments):
            acc = "" if m.val_accuracy is None else f"  validation accuracy {m.val_accuracy:.1%}"
            print(f"{i:4d}  {m.label}{acc}")
        return 0
    summary = info["summary"]
    if args.moment is not None:
        if not 0 <= args.moment < len(timeline):
            raise ConvvizError(
                f"--moment must be between 0 and {len(timeline) - 1} (the moments "
                f"of {args.weights}'s timeline), got {args.moment}"
            )
        moment = timeline[args.moment]
        model.load_snapshot(moment.snapshot)
        summary = dict(summary, moment=moment.label)
        timeline = Timeline()  # one moment's weights have no film of their own
    save_model(model, args.to, summary)
    save_timeline(timeline or Timeline(), args.to)  # (none: a stale one at OUT is removed)
    print(f"wrote {args.to}")
    if timeline:  # a second file, beside OUT, said (it was written without a word)
        from .core.budget import size_words

        beside = companion(args.to)
        print(
            f"wrote {beside}, its training timeline ({len(timeline)} moments, "
            f"{size_words(os.path.getsize(beside))}): convviz replays it when it opens "
            f"{os.path.basename(args.to)}; other programs read {os.path.basename(args.to)} alone"
        )
    return 0
