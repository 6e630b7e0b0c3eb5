"""The deck's architecture knobs as a Qt-free model (the architecture panel is its view).

The knobs describe a plain stack of convolution blocks (convolution, ReLU, max pooling), then
flatten, then hidden fully connected layers (each followed by ReLU), then the implicit votes:

    knobs  --apply_knobs(base, knobs)-->  NetworkSpec  --check()-->  shapes or the reason why not

All shape arithmetic, and every refusal, comes from convviz.core.spec (NetworkSpec.shapes()):
this module only assembles specs and asks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from .errors import SpecError
from .layers import pair
from .spec import Conv, Dense, Flatten, LayerShape, MaxPool, NetworkSpec, ReLU, every_row

MAX_BLOCKS = 6


@dataclass(frozen=True)
class Knobs:
    features: tuple[int, ...]  # features of each convolution block; len() = number of blocks
    feature_size: int  # F: every feature is F x F
    stride: int  # S of every convolution
    padding: int  # P: rings of zeros around every convolution's input
    pool_window: int  # every pooling window is pool_window x pool_window
    pool_stride: int
    fc_neurons: tuple[int, ...] = ()  # hidden fully connected layers, before the votes

    @property
    def blocks(self) -> int:
        return len(self.features)

    def with_blocks(self, n: int) -> Knobs:
        """Fewer blocks drop the last ones; each new block doubles the previous one's features."""
        n = max(1, min(MAX_BLOCKS, int(n)))
        feats = list(self.features[:n]) or [8]
        while len(feats) < n:
            feats.append(feats[-1] * 2)
        return replace(self, features=tuple(feats))


def knobs_from_spec(spec: NetworkSpec) -> Knobs:
    """The knobs that describe `spec`, read from its first convolution and pooling layers.
    For a spec that is not a plain stack of blocks, applying these knobs rebuilds it as one;
    is_plain(spec) tells which."""
    convs = [la for la in spec.layers if isinstance(la, Conv)]
    pools = [la for la in spec.layers if isinstance(la, MaxPool)]
    first = convs[0] if convs else Conv(8, 3)
    pool = pools[0] if pools else MaxPool(2, 2)
    # the knobs are square: a rectangular layer reads as its rows (is_plain then says False)
    return Knobs(
        features=tuple(c.features for c in convs) or (8,),
        feature_size=pair(first.size)[0],
        stride=pair(first.stride)[0],
        padding=pair(first.padding)[0],
        pool_window=pair(pool.window)[0],
        pool_stride=pair(pool.stride)[0],
        fc_neurons=tuple(la.neurons for la in spec.layers if isinstance(la, Dense)),
    )


def apply_knobs(base: NetworkSpec, knobs: Knobs) -> NetworkSpec:
    """A new spec with `base`'s input, classes and filtering style, laid out by `knobs`.

    The first convolution keeps `base`'s hand-made (fixed) features only while their number
    and size are unchanged; otherwise the network learns its own. Not validated: see check().
    """
    convs = [la for la in base.layers if isinstance(la, Conv)]
    style = convs[0] if convs else Conv(1, 1)
    layers: list = []
    for b, features in enumerate(knobs.features):
        fixed = None
        if (
            b == 0
            and style.fixed is not None
            and features == style.features
            and knobs.feature_size == style.size
            and base.channels == 1
        ):
            fixed = style.fixed
        layers += [
            Conv(
                features,
                knobs.feature_size,
                knobs.stride,
                knobs.padding,
                divide=style.divide,
                bias=style.bias,
                fixed=fixed,
            ),
            ReLU(),
            MaxPool(knobs.pool_window, knobs.pool_stride),
        ]
    layers.append(Flatten())
    for n in knobs.fc_neurons:
        layers += [Dense(n), ReLU()]
    return replace(base, layers=tuple(layers))


def is_plain(spec: NetworkSpec) -> bool:
    """True when the knobs describe `spec` exactly (applying them unchanged changes nothing)."""
    return apply_knobs(spec, knobs_from_spec(spec)) == spec


def parse_neurons(text: str) -> tuple[int, ...]:
    """'120, 84' -> (120, 84); '' -> (). Raises SpecError with a one-line reason."""
    parts = [p for p in re.split(r"[,\s]+", text.strip()) if p]
    if not all(p.isdigit() for p in parts):
        raise SpecError(
            f"fully connected neurons must be whole numbers separated by commas, "
            f"got {text.strip()!r}"
        )
    return tuple(int(p) for p in parts)


@dataclass(frozen=True)
class LayerRow:
    shape: LayerShape  # name, kind, output shape, parameter count
    formula: str  # how the size came about, e.g. "(28 - 5 + 2·2)/1 + 1 = 28"; "" if none


@dataclass(frozen=True)
class KnobCheck:
    spec: NetworkSpec
    rows: list[LayerRow]  # every layer up to (not including) the one that fails
    error: str | None  # SpecError's one-line message, None when the spec can be applied
    failed_at: int | None  # index into spec.layers of the refused layer, None if not one layer

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def total_params(self) -> int:  # a block's inside rows are in its own row's count
        return sum(r.shape.params for r in self.rows if "." not in r.shape.name)


def check(base: NetworkSpec, knobs: Knobs) -> KnobCheck:
    """Assemble the spec for `knobs` and let the core validate it; when refused, find the first
    layer that does not fit by validating ever longer beginnings of the network (each closed
    with a flatten so that it stands alone)."""
    spec = apply_knobs(base, knobs)
    try:
        shapes = spec.shapes()
        return KnobCheck(spec, _rows(spec, shapes), None, None)
    except SpecError as e:
        error = str(e)
    good: list[LayerShape] = []
    for k in range(1, len(spec.layers) + 1):
        head = replace(spec, layers=(*spec.layers[:k], Flatten()))
        try:
            good = head.shapes()[:k]
        except SpecError as e:
            return KnobCheck(spec, _rows(spec, good), str(e), k - 1)
    return KnobCheck(spec, _rows(spec, good), error, None)


def _rows(spec: NetworkSpec, shapes: list[LayerShape]) -> list[LayerRow]:
    """The shapes table: each row's formula is the one its kind declares (LayerShape.formula);
    a residual block's inside and skip path come before its own row (the sum)."""
    return [LayerRow(s, s.formula) for s in every_row(shapes)]
