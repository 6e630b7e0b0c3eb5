"""The resource budget of a network description, judged on the numbers before anything is built.

Every path that makes a network goes through `NetworkSpec.shapes()` (a spec from JSON, a
weights file's metadata, the architecture editor's knobs, a preset), and that calls these
checks: first the description's own numbers (input, classes, names, value range), then, layer
by layer, the parameters and the layer outputs added so far. A refusal names the layer where
the budget ran out, so the editor can mark it. Only Python integers are involved: nothing of
the network's size is allocated to find out that it is too big.
"""

from __future__ import annotations

import math

from .errors import SpecError
from .limits import (
    MAX_ACTIVATION_VALUES,
    MAX_CLASS_NAME_CHARS,
    MAX_CLASSES,
    MAX_INPUT_CHANNELS,
    MAX_INPUT_SIZE,
    MAX_LAYER_NUMBER,
    MAX_LAYERS,
    MAX_PARAMETERS,
    MAX_TRAINING_BYTES,
    MAX_VALUE_MAGNITUDE,
    TRAINING_ACTIVATION_FACTOR,
)
from .spec_json import finite, text_field, whole

FLOAT_BYTES = 4  # the network computes in float32


def size_words(n_bytes: int) -> str:
    """1536 -> '1.5 KB'; for messages only."""
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if n_bytes >= scale:
            return f"{n_bytes / scale:.3g} {unit}"
    return f"{n_bytes} bytes"


def check_description(spec) -> None:
    """The numbers a spec states outright: raises SpecError naming the first one out of bounds."""
    shape = spec.input_shape
    if not isinstance(shape, tuple) or len(shape) != 2:
        raise SpecError(f"input_shape must be two numbers (rows, cols), got {shape!r}"[:160])
    rows = whole(shape[0], "input_size rows", SpecError, lo=-MAX_LAYER_NUMBER)
    cols = whole(shape[1], "input_size cols", SpecError, lo=-MAX_LAYER_NUMBER)
    whole(spec.channels, "channels", SpecError, lo=-MAX_LAYER_NUMBER)
    if max(rows, cols) > MAX_INPUT_SIZE or spec.channels > MAX_INPUT_CHANNELS:  # per dimension
        raise SpecError(
            f"input {rows}x{cols}x{spec.channels} is larger than the limit of "
            f"{MAX_INPUT_SIZE}x{MAX_INPUT_SIZE}x{MAX_INPUT_CHANNELS}"
        )
    if min(rows, cols) < 1 or spec.channels < 1:
        raise SpecError(
            f"input must be at least 1x1 with 1 channel, got {rows}x{cols}x{spec.channels}"
        )
    text_field(spec.name, "the network's name", SpecError)
    vr = spec.value_range
    if not isinstance(vr, (tuple, list)) or len(vr) != 2:
        raise SpecError(f"value range must be two numbers (background, ink), got {vr!r}"[:160])
    lo = finite(vr[0], "value range low end", SpecError, MAX_VALUE_MAGNITUDE)
    hi = finite(vr[1], "value range high end", SpecError, MAX_VALUE_MAGNITUDE)
    if not lo < hi:
        raise SpecError(f"value range must go from low to high, got {lo}..{hi}")
    if not isinstance(spec.layers, tuple) or len(spec.layers) > MAX_LAYERS:
        raise SpecError(f"a network may have at most {MAX_LAYERS} layers, got {len(spec.layers):,}")
    classes = spec.classes
    if len(classes) > MAX_CLASSES:
        raise SpecError(f"{len(classes):,} classes is more than the limit of {MAX_CLASSES:,}")
    for i, name in enumerate(classes):
        if not isinstance(name, str):
            raise SpecError(f"class name {i + 1} must be text, got {type(name).__name__}")
        if len(name) > MAX_CLASS_NAME_CHARS:
            raise SpecError(
                f"class name {i + 1} is {len(name):,} characters long; the limit is "
                f"{MAX_CLASS_NAME_CHARS}"
            )


class Tally:
    """Parameters and one image's layer outputs, added up layer by layer."""

    def __init__(self):
        self.params = 0
        self.values = 0

    def add(self, where: str, shape: tuple[int, ...], params: int) -> None:
        self.params += params
        self.values += math.prod(shape)
        if self.params > MAX_PARAMETERS:
            raise SpecError(
                f"{where}: the network would have {self.params:,} parameters "
                f"({size_words(self.params * FLOAT_BYTES)}); the limit is "
                f"{MAX_PARAMETERS:,}"
            )
        if self.values > MAX_ACTIVATION_VALUES:
            raise SpecError(
                f"{where}: one image's layer outputs would be {self.values:,} values "
                f"({size_words(self.values * FLOAT_BYTES)}); the limit is "
                f"{MAX_ACTIVATION_VALUES:,}"
            )


def activation_values(spec) -> int:
    """Every layer's output for one image, summed (the votes included), the rows inside a
    residual block too (its inside and skip path are kept for the backward pass as well)."""
    from .spec import every_row  # here: spec imports this module

    return sum(math.prod(s.shape) for s in every_row(spec.shapes()))


def training_bytes(spec, batch_size: int) -> int:
    """About what training one batch keeps of layer outputs, gradients and masks."""
    return activation_values(spec) * FLOAT_BYTES * TRAINING_ACTIVATION_FACTOR * batch_size


def check_training(spec, batch_size: int) -> None:
    """Refuse a batch size whose training would need more than MAX_TRAINING_BYTES, saying which
    batch size would fit."""
    need = training_bytes(spec, batch_size)
    if need > MAX_TRAINING_BYTES:
        fits = max(1, batch_size * MAX_TRAINING_BYTES // need)
        raise SpecError(
            f"training {spec.name} with batches of {batch_size} would need about "
            f"{size_words(need)} for layer outputs; the limit is "
            f"{size_words(MAX_TRAINING_BYTES)}: use a batch size of {fits} or less"
        )
