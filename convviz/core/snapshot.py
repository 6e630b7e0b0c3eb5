"""A CPU copy of a network's weights that says which network it belongs to.

Panels read it by layer name (`snap.weight("conv1")`, `snap.bias("conv1")`), never by torch's
key names: those are made in one place, `state_key`, because the network keeps its layers in one
ModuleList called `layers`. Core code that talks to torch (loading into a model, the trainer's
pipe, weights files) reads it as a read-only mapping {state_dict key: array}.

It is made to cross the trainer's pipe cheaply: one flat float32 array plus the keys, shapes and
the network's identity (a short string); unpickling goes through the constructor, which checks
that the pieces agree.
"""

from __future__ import annotations

import functools
import hashlib
import math
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .spec import NetworkSpec

# ConvNet (core/network.py) holds its layers, the votes last, in `self.layers`: torch names the
# parameter `param` of layer i `layers.{i}.{param}`. Built here only; everything else asks.
STATE_PREFIX = "layers"


def state_key(index: int, param: str) -> str:
    """The state_dict key of parameter `param` ("weight", "bias", or a block's own suffix such
    as "inner.0.weight") of layer `index`."""
    return f"{STATE_PREFIX}.{index}.{param}"


def part_prefixes(spec: NetworkSpec) -> tuple[tuple[str, str], ...]:
    """(name, key prefix) of every layer inside a block: ("residual1.conv1", "layers.3.inner.0"),
    ("residual1.skip", "layers.3.skip"). The residual kind says how its module names them."""
    from .layers import kind_of  # (torch-free; the kinds import spec_json, not this module)

    out: list[tuple[str, str]] = []
    for i, (layer, s) in enumerate(zip(spec.layers, spec.shapes(), strict=False)):
        out.extend(
            (f"{s.name}.{name}", state_key(i, key)) for name, key in kind_of(layer).part_keys(layer)
        )
    return tuple(out)


def network_id(spec: NetworkSpec) -> str:
    """The identity of the network a spec describes: a digest of its whole JSON. Two specs with
    the same layer shapes but different class names, divisors, fixed features or names are
    different networks: a trace or weights of one would be shown under the other's words."""
    try:
        return _network_id(spec)
    except TypeError:  # a spec holding something unhashable: no cache, same answer
        return _digest(spec)


def _digest(spec: NetworkSpec) -> str:
    return hashlib.sha256(spec.to_json().encode()).hexdigest()[:24]


# Panels ask for their spec's identity with every trace; its JSON takes ~0.1 ms to write.
_network_id = functools.lru_cache(maxsize=32)(_digest)


class WeightsSnapshot(Mapping[str, np.ndarray]):
    """Every weight of one network, a CPU copy (never the live model: training may change it).

    network: `network_id` of the spec that made them; layer_names: the network's layers by
    index, the votes last (the names the spec gives them)."""

    __slots__ = (
        "_index",
        "_keys",
        "_offsets",
        "_parts",
        "_shapes",
        "flat",
        "layer_names",
        "network",
    )

    def __init__(
        self,
        network: str,
        layer_names: tuple[str, ...],
        keys: tuple[str, ...],
        shapes: tuple[tuple[int, ...], ...],
        flat: np.ndarray,
        parts: tuple[tuple[str, str], ...] = (),
    ):
        keys, shapes = tuple(str(k) for k in keys), tuple(tuple(int(n) for n in s) for s in shapes)
        if not (isinstance(flat, np.ndarray) and flat.dtype == np.float32 and flat.ndim == 1):
            raise ValueError("a weights snapshot holds one flat float32 array")
        if len(keys) != len(shapes) or len(set(keys)) != len(keys):
            raise ValueError("a weights snapshot's keys and shapes do not match")
        offsets, at = [], 0
        for s in shapes:
            if any(n < 0 for n in s):
                raise ValueError("a weights snapshot with a negative size")
            offsets.append(at)
            at += math.prod(s)
        if at != flat.size:
            raise ValueError(
                f"a weights snapshot's shapes add up to {at} numbers, its array holds {flat.size}"
            )
        self.network = str(network)
        self.layer_names = tuple(str(n) for n in layer_names)
        self._keys, self._shapes, self._offsets, self.flat = keys, shapes, tuple(offsets), flat
        self._index = {k: i for i, k in enumerate(keys)}
        # layers inside blocks ("residual1.conv1") -> their key prefix (see part_prefixes)
        self._parts = tuple((str(n), str(p)) for n, p in parts)

    # ---- made from -------------------------------------------------------------------------
    @classmethod
    def from_state(cls, spec: NetworkSpec, state: Mapping[str, Any]) -> WeightsSnapshot:
        """The weights `state` ({state_dict key: array}) of the network `spec` describes."""
        arrays = [np.asarray(v, dtype=np.float32) for v in state.values()]
        flat = (
            np.concatenate([a.reshape(-1) for a in arrays]) if arrays else np.zeros(0, np.float32)
        )
        return cls(
            network_id(spec),
            tuple(s.name for s in spec.shapes()),
            tuple(state),
            tuple(a.shape for a in arrays),
            flat,
            part_prefixes(spec),
        )

    def with_arrays(self, state: Mapping[str, Any]) -> WeightsSnapshot:
        """The same network with other values: `state` has this snapshot's keys and shapes."""
        if set(state) != set(self._keys):
            raise ValueError("new weights must have the snapshot's keys")
        arrays = [np.asarray(state[k], dtype=np.float32) for k in self._keys]
        if any(a.shape != s for a, s in zip(arrays, self._shapes, strict=True)):
            raise ValueError("new weights must have the snapshot's shapes")
        flat = (
            np.concatenate([a.reshape(-1) for a in arrays]) if arrays else np.zeros(0, np.float32)
        )
        return WeightsSnapshot(
            self.network, self.layer_names, self._keys, self._shapes, flat, self._parts
        )

    def copy(self) -> WeightsSnapshot:
        return WeightsSnapshot(
            self.network, self.layer_names, self._keys, self._shapes, self.flat.copy(), self._parts
        )

    def __reduce__(self):  # pickled as its parts; unpickling checks them (the trainer's pipe)
        parts = (self._parts,) if self._parts else ()  # only a network with blocks has any
        return (
            WeightsSnapshot,
            (self.network, self.layer_names, self._keys, self._shapes, self.flat, *parts),
        )

    # ---- which network ---------------------------------------------------------------------
    def made_by(self, spec: NetworkSpec | None) -> bool:
        """These are weights of the network `spec` describes (see network_id)."""
        return spec is not None and self.network == network_id(spec)

    # ---- by layer name ---------------------------------------------------------------------
    def _key(self, layer: str, param: str) -> str:
        for name, prefix in self._parts:  # a layer inside a block: "residual1.conv1"
            if name == layer:
                return f"{prefix}.{param}"
        try:
            return state_key(self.layer_names.index(layer), param)
        except ValueError:
            raise KeyError(
                f"no layer named {layer!r} (this network has: {', '.join(self.layer_names)})"
            ) from None

    def weight(self, layer: str) -> np.ndarray:
        """The weights of `layer` (e.g. (F, C, k, k) for a convolution); KeyError if none."""
        key = self._key(layer, "weight")
        if key not in self._index:
            raise KeyError(f"layer {layer!r} has no weights")
        return self[key]

    def bias(self, layer: str) -> np.ndarray | None:
        """The biases of `layer`, or None for a layer without them."""
        key = self._key(layer, "bias")
        return self[key] if key in self._index else None

    def has_weights(self, layer: str) -> bool:
        known = layer in self.layer_names or any(n == layer for n, _ in self._parts)
        return known and self._key(layer, "weight") in self._index

    @property
    def weighted_layers(self) -> tuple[str, ...]:
        """The names of the layers that have weights, in order."""
        return tuple(n for n in self.layer_names if self.has_weights(n))

    # ---- as a mapping {state_dict key: array} (core code that talks to torch) ---------------
    def __getitem__(self, key: str) -> np.ndarray:
        i = self._index[key]  # (KeyError: no such key)
        at, shape = self._offsets[i], self._shapes[i]
        return self.flat[at : at + math.prod(shape)].reshape(shape)

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    @property
    def shapes(self) -> dict[str, tuple[int, ...]]:
        return dict(zip(self._keys, self._shapes, strict=True))

    @property
    def nbytes(self) -> int:
        return int(self.flat.nbytes)

    def all_finite(self) -> bool:
        return bool(np.isfinite(self.flat).all())

    # a mapping of arrays has no useful ==; two snapshots are the same only if they are one
    __eq__ = object.__eq__
    __hash__ = object.__hash__

    def __repr__(self) -> str:
        return (
            f"WeightsSnapshot({len(self._keys)} tensors, {self.flat.size} numbers, "
            f"network {self.network[:8]})"
        )
