"""`convviz shapes` and `convviz sounds`: labelled folders to train on, generated."""

from __future__ import annotations


def add_parsers(sub) -> None:
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
