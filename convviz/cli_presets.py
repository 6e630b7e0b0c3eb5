"""`convviz presets` (the networks by name, with their help) and `convviz bundle` (regenerate
their bundled weights)."""

from __future__ import annotations

from .core.errors import ConvvizError


def add_presets_parser(sub) -> None:
    ps = sub.add_parser("presets", help="the networks convviz knows by name, with their help")
    ps.add_argument("name", nargs="?", metavar="NAME", help="only this one")


def add_bundle_parser(sub) -> None:
    b = sub.add_parser("bundle", help="regenerate the bundled weights in resources/")
    b.add_argument("--out", default=None, metavar="DIR", help="default: the resources folder")
    b.add_argument("--preset", action="append", help="only this preset (repeatable)")
    b.add_argument(
        "--calibrate-only",
        action="store_true",
        help="keep the shipped weights; only add the 'unsure' calibration",
    )


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
