"""The trace: every intermediate result of one forward pass, and the network that made it.

A trace says which network it came from (`trace.spec`, `trace.made_by(spec)`): a panel shows a
trace only if it belongs to the network the panel lays out, so a trace of the previous network
still on its way is ignored (the newest network wins). Torch-free: the window reads it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from .snapshot import WeightsSnapshot, network_id

if TYPE_CHECKING:
    from .spec import NetworkSpec


@dataclass
class LayerTrace:
    name: str  # conv1, relu1, pool1, flatten1, fc1, ..., votes
    kind: str  # conv, relu, pool, flatten, fc, votes
    values: np.ndarray  # float32, (C, H, W) for maps or (n,) for flat layers
    winners: np.ndarray | None = None  # pool only: (C, Ho, Wo) flat index into the input map
    # a residual block (whose own values are the sum): its inside ("residual1.conv1", ...) then
    # its skip path ("residual1.skip"); `Trace.layers` stays one entry per layer of the spec
    parts: tuple[LayerTrace, ...] = ()


@dataclass
class Trace:
    input: np.ndarray  # (C, H, W) float32, as fed to the network
    layers: list[LayerTrace]
    spec: NetworkSpec  # the network that made it
    _network: str = field(default="", init=False, repr=False, compare=False)

    @property
    def classes(self) -> tuple[str, ...]:
        return self.spec.classes

    @property
    def network(self) -> str:
        """The identity of the network that made it (see snapshot.network_id)."""
        if not self._network:
            self._network = network_id(self.spec)
        return self._network

    def made_by(self, spec: NetworkSpec | None) -> bool:
        """This trace came from the network `spec` describes."""
        return spec is not None and self.network == network_id(spec)

    @property
    def votes(self) -> np.ndarray:
        return self.layers[-1].values

    @property
    def probabilities(self) -> np.ndarray:
        v = self.votes.astype(np.float64)
        with np.errstate(invalid="ignore", over="ignore"):  # votes not finite: NaN, said by callers
            e = np.exp(v - v.max())
            return (e / e.sum()).astype(np.float32)

    @property
    def winner(self) -> int:
        return int(np.argmax(self.votes))

    def walk(self) -> list[LayerTrace]:
        """Every entry in the order the values were made: a block's parts before its sum."""
        return _walk(self.layers)

    def layer(self, name: str) -> LayerTrace:
        """The entry named `name`, a block's parts ("residual1.conv1") included."""
        for lt in self.walk():
            if lt.name == name:
                return lt
        raise KeyError(name)

    def input_of(self, index: int) -> np.ndarray:
        """The values that layer `index` received."""
        return self.input if index == 0 else self.layers[index - 1].values


def _walk(entries) -> list[LayerTrace]:
    out: list[LayerTrace] = []
    for lt in entries:
        out.extend(_walk(lt.parts))
        out.append(lt)
    return out


def vote_contributions(trace: Trace, snapshot: WeightsSnapshot, cls: int):
    """The deck's "every value gets a vote": for class `cls`, each input of the vote layer times
    its weight. Returns (contributions (n,), bias)."""
    last = len(trace.layers) - 1
    votes = trace.layers[last].name
    w = snapshot.weight(votes)[cls]  # (n,)
    b = snapshot.bias(votes)
    x = trace.input_of(last).reshape(-1)
    return x * w, float(b[cls]) if b is not None else 0.0
