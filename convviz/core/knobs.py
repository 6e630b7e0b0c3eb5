"""The deck's architecture knobs as a Qt-free model (the architecture panel is its view).

The knobs describe a plain stack of convolution blocks (convolution, ReLU, max pooling), then
flatten, then hidden fully connected layers (each followed by ReLU), then the implicit votes:

    knobs  --apply_knobs(base, knobs)-->  NetworkSpec

This module only assembles specs: the Architecture panel puts the spec in its layer list, whose
check (core/layer_rows_check.py, every size and refusal from NetworkSpec.shapes()) says what
each row makes or why it cannot be.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from .errors import SpecError
from .layers import pair
from .layers.sizes import DEFAULT_EDGE
from .spec import Conv, Dense, Flatten, MaxPool, NetworkSpec, ReLU

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
    # what every convolution and pooling does at the edge (layers/sizes.py: "keep" or "drop"):
    # a network imported from Keras ("valid" padding) drops, and must stay as it was
    conv_edge: str = DEFAULT_EDGE
    pool_edge: str = DEFAULT_EDGE

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
        conv_edge=first.edge,
        pool_edge=pool.edge,
    )


def apply_knobs(base: NetworkSpec, knobs: Knobs) -> NetworkSpec:
    """A new spec with `base`'s input, classes and filtering style, laid out by `knobs`.

    The first convolution keeps `base`'s hand-made (fixed) features only while their number
    and size are unchanged; otherwise the network learns its own. Not validated (the layer
    list's check, or NetworkSpec.validate(), says whether it can be made).
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
                edge=knobs.conv_edge,
            ),
            ReLU(),
            MaxPool(knobs.pool_window, knobs.pool_stride, knobs.pool_edge),
        ]
    layers.append(Flatten())
    for n in knobs.fc_neurons:
        layers += [Dense(n), ReLU()]
    return replace(base, layers=tuple(layers))


def is_plain(spec: NetworkSpec) -> bool:
    """True when the knobs describe `spec` exactly (applying them unchanged changes nothing)."""
    return apply_knobs(spec, knobs_from_spec(spec)) == spec


def why_not_plain(spec: NetworkSpec) -> str:
    """ "" when the knobs describe `spec` exactly; otherwise, in words, the first layer the quick
    start would change (e.g. a second pooling that drops the edge where the first keeps it)."""
    made = apply_knobs(spec, knobs_from_spec(spec)).layers
    counts: dict[str, int] = {}
    for i, layer in enumerate(spec.layers):
        counts[layer.kind] = counts.get(layer.kind, 0) + 1
        name = f"{layer.kind}{counts[layer.kind]}"
        if i >= len(made) or type(made[i]) is not type(layer):
            there = f"a {made[i].kind}" if i < len(made) else "nothing"
            return (
                f"it has {name} where the quick start's blocks (convolution, ReLU, pooling, "
                f"then fully connected layers) put {there}"
            )
        if made[i] != layer:
            ours, theirs = layer.__dict__, made[i].__dict__
            field = next(k for k in ours if ours[k] != theirs[k])
            return (
                f"{name}'s {field} is {ours[field]}, the quick start's would be {theirs[field]} "
                "(it gives every block the same square settings)"
            )
    if len(made) > len(spec.layers):
        return "it ends without the flatten the quick start puts after the blocks"
    return ""


def parse_neurons(text: str) -> tuple[int, ...]:
    """'120, 84' -> (120, 84); '' -> (). Raises SpecError with a one-line reason."""
    parts = [p for p in re.split(r"[,\s]+", text.strip()) if p]
    if not all(p.isdigit() for p in parts):
        raise SpecError(
            f"fully connected neurons must be whole numbers separated by commas, "
            f"got {text.strip()!r}"
        )
    return tuple(int(p) for p in parts)
