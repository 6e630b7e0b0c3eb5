"""`convviz import MODEL --to WEIGHTS`: a person's own model (ONNX, Keras) as a convviz weights
file, with the report of what was mapped to what (core/importing does the work)."""

from __future__ import annotations

# Options whose value may start with a minus sign ("--range -1..1", "--mean -0.5"): argparse
# would read such a value as an option, so it is joined to its option first (join_negative).
NEGATIVE_VALUE_OPTIONS = ("--range", "--mean", "--std")
KERAS_SUFFIXES = (".keras", ".h5")  # models `predict` and `trace` import directly


def join_negative(argv: list[str]) -> list[str]:
    """["--range", "-1..1"] -> ["--range=-1..1"], so that the value reads as typed."""
    out: list[str] = []
    i = 0
    while i < len(argv):
        if (
            argv[i] in NEGATIVE_VALUE_OPTIONS
            and i + 1 < len(argv)
            and argv[i + 1].startswith("-")
            and argv[i + 1][1:2].isdigit()
        ):
            out.append(f"{argv[i]}={argv[i + 1]}")
            i += 2
            continue
        out.append(argv[i])
        i += 1
    return out


def add_parser(sub) -> None:
    p = sub.add_parser(
        "import",
        help="open your own model (.onnx, .keras, .h5) as a convviz network and save it as weights",
    )
    p.add_argument(
        "model",
        metavar="MODEL",
        help="an .onnx file (from PyTorch or a converter), a Keras .keras or legacy .h5 file",
    )
    p.add_argument(
        "--to",
        required=True,
        metavar="WEIGHTS",
        help=".safetensors, .pt or .onnx: the convviz weights file to write",
    )
    norm = p.add_mutually_exclusive_group()
    norm.add_argument(
        "--range",
        metavar="LO..HI",
        help="the input values the model was trained on, e.g. 0..1, -1..1, 0..255 (default 0..1)",
    )
    norm.add_argument(
        "--mean",
        metavar="M[,M,M]",
        help="with --std: the picture in 0..1 was normalised as (x - mean) / std",
    )
    p.add_argument("--std", metavar="S[,S,S]")
    names = p.add_mutually_exclusive_group()
    names.add_argument("--classes", metavar="A,B,...", help="the class names, in vote order")
    names.add_argument("--classes-file", metavar="FILE", help="the class names, one a line")


def cmd_import(args) -> int:
    from .core.importing import (
        import_model,
        parse_numbers,
        parse_range,
        read_classes_file,
    )
    from .core.weights import assert_writable, refuse_same_file, save_model

    refuse_same_file(args.to, args.model)  # the person's own model is never replaced
    assert_writable(args.to)  # before the model is read
    classes = None
    if args.classes is not None:
        classes = [c.strip() for c in args.classes.split(",")]
    elif args.classes_file is not None:
        classes = read_classes_file(args.classes_file)
    imported = import_model(
        args.model,
        value_range=parse_range(args.range) if args.range is not None else None,
        mean=parse_numbers(args.mean, "--mean") if args.mean is not None else None,
        std=parse_numbers(args.std, "--std") if args.std is not None else None,
        classes=classes,
    )
    model = imported.model()
    save_model(model, args.to, {"imported_from": str(args.model)})
    print("\n".join(imported.report))
    print(f"wrote {args.to}")
    return 0


def foreign_onnx_model(path):
    """`predict` and `trace` given an .onnx model that convviz did not write, or a Keras .keras
    or .h5 model: the network it imports to with the defaults (values as the file says, else
    0..1; class names from its metadata, a labels.txt beside it, or numbered); for others,
    `convviz import` it first. None for any other file (weights convviz wrote, which load_model
    reads and judges as before)."""
    from pathlib import Path

    from .core.errors import WeightsError
    from .core.importing import import_model
    from .core.onnx_read import read_onnx_declared

    path = Path(path)
    if path.suffix.lower() in KERAS_SUFFIXES:  # never a convviz weights file
        return import_model(path).model()
    if path.suffix.lower() != ".onnx" or not path.is_file():
        return None
    try:
        read_onnx_declared(path)
        return None  # convviz's own weights
    except WeightsError as e:
        if "not one convviz wrote" not in str(e):  # damaged, external data: load_model says so
            return None
    return import_model(path).model()
