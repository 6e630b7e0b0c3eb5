"""What an imported network needs to know that a graph does not say: the values its input
expects, and its class names.

Normalisation: a convviz network gets each picture in its value range, pixel 0 at the first end
and pixel 1 at the second. `--range LO..HI` is that range. `--mean M --std S` (the picture in
0..1, then (x - M) / S, as torchvision's Normalize does) is the same thing when one M and one S
hold for every channel: the range (-M/S, (1-M)/S). A different M or S per channel cannot be said
as one range; it becomes a first 1x1 convolution, channel c times 1/S_c plus -M_c/S_c, on a
0..1 range. That layer is exact and shows what the model really sees. Folding it into the
model's first convolution instead would be wrong at a padded border (the padding would be 0
after normalising, not before) and would change the features the filtering panel shows.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..limits import (
    IMPORT_CLASSES_FILE_MAX_BYTES,
    MAX_CLASS_NAME_CHARS,
    MAX_CLASSES,
    MAX_INPUT_CHANNELS,
    MAX_INPUT_SIZE,
    MAX_VALUE_MAGNITUDE,
)
from ..spec_json import loads_bounded, read_bounded
from .onnx_file import ModelRefused

DEFAULT_RANGE = (0.0, 1.0)  # what torchvision's ToTensor gives: the most common by far
# metadata keys a model's file may name its classes under (a JSON list or comma-separated text)
CLASS_METADATA_KEYS = ("classes", "labels", "class_names")
# class lists a model may have beside it (in this order), one name a line, as --classes-file
CLASS_FILES_BESIDE = ("labels.txt", "classes.txt")


def parse_range(text: str) -> tuple[float, float]:
    """'-1..1' -> (-1.0, 1.0); ModelRefused naming the option otherwise."""
    lo, sep, hi = str(text).partition("..")
    try:
        if not sep:
            raise ValueError
        values = (float(lo), float(hi))
    except ValueError:
        raise ModelRefused(
            f"--range must be LO..HI (for example 0..1 or -1..1), got {str(text)[:40]!r}"
        ) from None
    _check_finite(values, "--range")
    if values[0] == values[1]:
        raise ModelRefused("--range needs two different ends")
    return values


def parse_numbers(text: str, option: str) -> tuple[float, ...]:
    try:
        values = tuple(float(v) for v in str(text).split(","))
    except ValueError:
        raise ModelRefused(
            f"{option} must be one number or one a channel (M or M,M,M), got {str(text)[:40]!r}"
        ) from None
    _check_finite(values, option)
    return values


def _check_finite(values, option: str) -> None:
    if not all(np.isfinite(v) and abs(v) <= MAX_VALUE_MAGNITUDE for v in values):
        raise ModelRefused(
            f"{option} must be finite numbers between {-MAX_VALUE_MAGNITUDE:g} "
            f"and {MAX_VALUE_MAGNITUDE:g}"
        )


def stated_range(in_graph) -> tuple[float, float] | None:
    """The pictures' range that the model's own arithmetic on its input says (a Rescaling, a
    Normalization, a Sub/Div): None when it does none (then the window asks). A model that
    divides by about 255 itself, or subtracts a mean above 2, was fed 0..255; otherwise 0..1."""
    if in_graph is None:
        return None
    scale, shift = (np.asarray(v, np.float64) for v in in_graph)
    if np.all(scale == 1) and np.all(shift == 0):
        return None
    implied_mean = -shift / np.where(scale == 0, 1, scale)
    if np.all(np.abs(scale) <= 1 / 100) or np.any(implied_mean > 2):
        return (0.0, 255.0)
    return DEFAULT_RANGE


def normalisation(channels: int, value_range=None, mean=None, std=None, in_graph=None):
    """(value range, first layer or None, its tensors, a line for the report).

    Everything is one linear map per channel from the picture p in 0..1 to what the model's
    first layer gets: the person's options give the model's input x = alpha*p + beta, and the
    arithmetic the file itself does on its input (in_graph: (scale, shift), e.g. a Sub and a Div
    as TensorFlow converters write them) y = scale*x + shift. One map for every channel is a
    value range; one a channel, a first 1x1 convolution (see the module's doc)."""
    if value_range is not None and (mean is not None or std is not None):
        raise ModelRefused("give either --range or --mean/--std, not both")
    if (mean is None) != (std is None):
        raise ModelRefused("--mean and --std go together")
    scale, shift = (np.ones(channels), np.zeros(channels)) if in_graph is None else in_graph
    folded = in_graph is not None and not (np.all(scale == 1) and np.all(shift == 0))
    if mean is None:
        guessed = value_range is None
        if guessed:
            value_range = stated_range(in_graph) or DEFAULT_RANGE
        alpha = np.full(channels, value_range[1] - value_range[0], np.float64)
        beta = np.full(channels, value_range[0], np.float64)
        said = f"input values {value_range[0]:g}..{value_range[1]:g} " + (
            "assumed (say --range or --mean/--std if the model was trained otherwise)"
            if guessed
            else "as given"
        )
    else:
        m, s = (np.asarray(v, np.float64) for v in (mean, std))
        for v, option in ((m, "--mean"), (s, "--std")):
            if len(v) not in (1, channels):
                raise ModelRefused(
                    f"{option} gives {len(v)} numbers for a {channels}-channel "
                    f"input (give {1 if channels == 1 else f'1 or {channels}'})"
                )
        if (s == 0).any():
            raise ModelRefused("--std must not be 0")
        alpha, beta = np.broadcast_to(1 / s, channels), np.broadcast_to(-m / s, channels)
        said = (
            f"input values 0..1 normalised by mean {', '.join(f'{v:g}' for v in m)}, "
            f"std {', '.join(f'{v:g}' for v in s)}"
        )
    if folded:
        said += "; the model's own arithmetic on its input folded in"
    a, b = scale * alpha, scale * beta + shift
    if np.ptp(a) == 0 and np.ptp(b) == 0:
        lo, hi = float(b[0]), float(a[0] + b[0])
        return (lo, hi), None, {}, f"{said}: value range {lo:.4g}..{hi:.4g}"
    weight = np.zeros((channels, channels, 1, 1), np.float32)
    weight[range(channels), range(channels), 0, 0] = a
    layer = {"kind": "conv", "features": channels, "size": 1}
    return (
        DEFAULT_RANGE,
        layer,
        {"weight": weight, "bias": b.astype(np.float32)},
        (
            f"{said}: one a channel, so a first 1x1 convolution gives each channel its own "
            f"(value range 0..1)"
        ),
    )


def read_classes_file(path) -> list[str]:
    """One class name a line (blank lines skipped), the file's size judged first."""
    path = Path(path)
    data = read_bounded(path, IMPORT_CLASSES_FILE_MAX_BYTES, "a class list", ModelRefused)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ModelRefused(f"{path}: the class list is not UTF-8 text") from None
    return [line.strip() for line in text.splitlines() if line.strip()]


def classes_from_metadata(metadata: dict[str, str]) -> list[str] | None:
    for key in CLASS_METADATA_KEYS:
        if key in metadata:
            text = metadata[key]
            try:
                value = loads_bounded(text, "classes", ValueError)
            except ValueError:
                value = text.split(",")
            if isinstance(value, list) and all(isinstance(v, (str, int)) for v in value):
                return [str(v).strip() for v in value]
    return None


def classes_beside(model_path, count: int) -> tuple[list[str] | None, str]:
    """(names, where from) from a CLASS_FILES_BESIDE file next to the model, one a line, when
    it names exactly `count` classes; else (None, why the first one there was not used, or ""
    when none is there). Only a plain file is read (a link could point anywhere), bounded as
    --classes-file."""
    if model_path is None:
        return None, ""
    why = ""
    for name in CLASS_FILES_BESIDE:
        path = Path(model_path).parent / name
        names, said = None, ""
        if path.is_symlink():
            said = f"{name} beside it is a link: not followed"
        elif not path.exists():
            continue
        elif not path.is_file():
            said = f"{name} beside it is not a file: not used"
        else:
            try:
                names = read_classes_file(path)
            except ModelRefused:
                said = f"{name} beside it is not a readable class list: not used"
        if names is not None and len(names) != count:
            said = (
                f"{name} beside it names {len(names):,} classes, the model votes for "
                f"{count}: not used"
            )
            names = None
        if names is not None and any(len(n) > MAX_CLASS_NAME_CHARS for n in names):
            names, said = (
                None,
                f"{name} beside it has a name over {MAX_CLASS_NAME_CHARS} characters",
            )
        if names is not None:
            return names, f"from {name} beside the model"
        why = why or said
    return None, why


def class_names(count: int, given=None, metadata=None, model_path=None) -> tuple[list[str], str]:
    """(names, where they came from): given, else the file's metadata, else a labels.txt or
    classes.txt beside the model, else "0", "1", ..."""
    if given is not None:
        names, source = list(given), "as given"
    elif metadata and (found := classes_from_metadata(metadata)) is not None:
        names, source = found, "from the file's metadata"
    else:
        beside, why = classes_beside(model_path, count) if count <= MAX_CLASSES else (None, "")
        if beside is not None:
            return beside, why
        numbered = "numbered (give --classes to name them)" + (f"; {why}" if why else "")
        return [str(i) for i in range(count)], numbered
    whose = f"{model_path}: " if model_path is not None else ""  # the file, as every refusal
    if len(names) != count:
        raise ModelRefused(
            f"{whose}the model votes for {count} classes but {len(names)} class names "
            f"were {'given' if given is not None else 'found in its metadata'}"
        )
    if count > MAX_CLASSES or any(len(n) > MAX_CLASS_NAME_CHARS for n in names):
        raise ModelRefused(
            f"{whose}class names: at most {MAX_CLASSES:,} of at most "
            f"{MAX_CLASS_NAME_CHARS} characters each"
        )
    return names, source


def judge_input(path, channels: int, rows: int, cols: int) -> None:
    """The picture a model declares it takes, against the limits of any network description,
    before the walk makes anything per channel or row (a crafted 10^12 channels asked numpy for
    7 TB): ModelRefused naming both."""
    if max(rows, cols) > MAX_INPUT_SIZE or channels > MAX_INPUT_CHANNELS:
        raise ModelRefused(
            f"{path}: its input is {rows}x{cols} with {channels} channels; convviz takes "
            f"pictures of up to {MAX_INPUT_SIZE}x{MAX_INPUT_SIZE} with up to "
            f"{MAX_INPUT_CHANNELS} channels"
        )
