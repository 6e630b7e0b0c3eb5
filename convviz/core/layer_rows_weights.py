"""Apply in the architecture editor keeps the weights of layers whose shapes did not change.

Each editor row remembers the loaded network's layer it came from (Row.origin, core/layer_rows);
a new network's layer takes that layer's weights (biases, running statistics: every tensor of
it) when it has the same tensors of the same shapes, and starts afresh otherwise. A layer is read
by name, its tensors found under its state-key prefix (core/snapshot.py), so a layer inside a
block ("residual1.conv1") counts on its own and a block's own row holds nothing but its parts.
Numpy only: it runs on Apply's background thread beside the build.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .layer_rows import LayerRows
from .snapshot import WeightsSnapshot, part_prefixes, state_key
from .spec import NetworkSpec, every_row

VOTES = "votes"


def origins(model: LayerRows) -> dict[str, str]:
    """{name in the edited network: name in the loaded one} for every row that came from a
    loaded layer, the parts of its blocks (the skip path) and the votes."""
    lines = model.lines().lines
    rows = {ln.path: ln for ln in lines if ln.path is not None}
    out = {VOTES: VOTES}
    for path, ln in rows.items():
        row = model.row(path)
        if row.origin is not None:
            out[ln.name] = row.origin
    for ln in lines:  # a block's parts that are no row: "residual2.skip" from its block
        if ln.path is None and "." in ln.name:
            block, _, part = ln.name.rpartition(".")
            if block in out:
                out[ln.name] = f"{out[block]}.{part}"
    return out


def _own_keys(spec: NetworkSpec, keys) -> dict[str, dict[str, str]]:
    """{layer name: {suffix: state key}} of the tensors each layer holds itself (a block's
    inside layers hold theirs; the block none)."""
    names = [s.name for s in spec.shapes()]
    prefixes = {n: state_key(i, "") for i, n in enumerate(names)}
    prefixes.update({n: f"{p}." for n, p in part_prefixes(spec)})
    longest = sorted(prefixes.items(), key=lambda item: -len(item[1]))
    owned: dict[str, dict[str, str]] = {n: {} for n in prefixes}
    for key in keys:
        for name, prefix in longest:  # the deepest layer whose prefix the key starts with
            if key.startswith(prefix):
                owned[name][key[len(prefix) :]] = key
                break
    return {n: k for n, k in owned.items() if k}


def keep_weights(
    new_spec: NetworkSpec,
    new: WeightsSnapshot,
    old_spec: NetworkSpec,
    old: Mapping[str, np.ndarray],
    came_from: dict[str, str],
) -> tuple[dict[str, np.ndarray], list[str], list[str]]:
    """(the new network's weights with the kept layers' copied in, the names of the layers
    kept, the names of the layers with weights that start afresh)."""
    state = {k: new[k] for k in new}
    mine, theirs = _own_keys(new_spec, new.keys()), _own_keys(old_spec, old.keys())
    kept, fresh = [], []
    for name, keys in mine.items():
        source = theirs.get(came_from.get(name, ""), {})
        same = set(source) == set(keys) and all(
            np.shape(old[source[s]]) == np.shape(new[k]) for s, k in keys.items()
        )
        if same:
            for s, k in keys.items():
                state[k] = np.array(old[source[s]], dtype=np.float32)
            kept.append(name)
        else:
            fresh.append(name)
    order = {s.name: i for i, s in enumerate(every_row(new_spec.shapes()))}  # reading order
    return state, sorted(kept, key=order.__getitem__), sorted(fresh, key=order.__getitem__)


def kept_words(kept: list[str], fresh: list[str]) -> str:
    """One line for a person: which layers kept their weights."""
    if not kept:
        return "A new, untrained network: its votes are guesses until it is trained."
    if not fresh:
        return f"Every layer kept its weights ({', '.join(kept)}): the shapes did not change."
    return (
        f"Kept the weights of {', '.join(kept)} (same shapes); {', '.join(fresh)} start untrained."
    )


__all__ = ["keep_weights", "kept_words", "origins"]
