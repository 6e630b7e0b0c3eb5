"""The numbers typed on the command line, each checked against its range before anything runs."""

from __future__ import annotations

import math

from .core.errors import ConvvizError


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
