"""The network built from a spec, and the trace: every intermediate result of one forward pass.

Shapes below use C = channels, H/W = rows/cols, N = batch.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .errors import DataError
from .layers import Dense, kind_of
from .layers.modules import DeckConv, Flat, Pool  # noqa: F401  (importable from here, as before)
from .snapshot import WeightsSnapshot, network_id, part_prefixes, state_key
from .spec import NetworkSpec
from .trace import (
    LayerTrace,
    Trace,
    vote_contributions,  # noqa: F401 - it lived here; still importable from here
)


class ConvNet(nn.Module):
    """An `nn.Module` made from a NetworkSpec; `forward` gives the class votes (logits)."""

    def __init__(self, spec: NetworkSpec):
        super().__init__()
        shapes = spec.validate().shapes()
        self.spec = spec
        self.names = [s.name for s in shapes]
        self.kinds = [s.kind for s in shapes]
        layers = (*spec.layers, Dense(len(spec.classes)))  # the votes: fully connected
        self._steps = [kind_of(layer) for layer in layers]  # each layer's declaration
        mods: list[nn.Module] = []
        shape: tuple[int, ...] = (spec.channels, spec.rows, spec.cols)
        for layer, kind, s in zip(layers, self._steps, shapes, strict=True):
            mods.append(kind.module(layer, shape))
            shape = s.shape
        self.layers = nn.ModuleList(mods)
        self._parts = part_prefixes(spec)  # weights inside blocks, by name (asked per snapshot)

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (N, C, H, W) -> (N, classes)
        for m in self.layers:
            x = m(x)
        return x

    def as_input(self, image) -> torch.Tensor:
        """A (H, W) or (C, H, W) array in the spec's value range -> (1, C, H, W) on the device."""
        x = torch.as_tensor(np.asarray(image, dtype=np.float32))
        if x.ndim == 2:
            x = x.unsqueeze(0)
        want = (self.spec.channels, self.spec.rows, self.spec.cols)
        if tuple(x.shape) != want:
            raise DataError(
                f"input is {'x'.join(map(str, x.shape))} but the model "
                f"{self.spec.name!r} takes {'x'.join(map(str, want))} (channels x "
                f"rows x cols)"
            )
        return x.unsqueeze(0).to(self.device)

    @torch.inference_mode()
    def trace(self, image) -> Trace:
        """Run one image through the network, keeping every layer's output.

        The results stay on the device until the end, then travel to the CPU in one copy, the
        pools' winners and the blocks' insides included: on a GPU one transfer (one
        synchronisation) costs far less than one per layer (resnet: 19 before).
        """
        x = self.as_input(image)
        outs, extras = [], []
        for m, kind in zip(self.layers, self._steps, strict=True):
            x, more = kind.trace(m, x)  # more: the kind's trace entries (pool: winners)
            outs.append(x[0])
            # "parts": a block's inside and skip path, batch first (see LayerTrace.parts)
            extras.append({k: v if k == "parts" else v[0] for k, v in more.items()})
        wanted = []  # every tensor the trace keeps, in the order they are read back below
        for o, more in zip(outs, extras, strict=True):
            wanted += [o, *(v for k, v in more.items() if k != "parts")]
            wanted += _part_tensors(more.get("parts", ()))
        host = iter(_to_host(wanted))  # one copy: on a GPU, one wait for the device
        layers = []
        for i, more in enumerate(extras):
            vals = next(host)
            entries = {k: next(host) for k in more if k != "parts"}
            parts = _parts(self.names[i], more.get("parts", ()), host)
            layers.append(LayerTrace(self.names[i], self.kinds[i], vals, **entries, parts=parts))
        inp = np.asarray(image, dtype=np.float32)
        return Trace(inp.reshape(self.spec.channels, *inp.shape[-2:]), layers, self.spec)

    def snapshot(self) -> WeightsSnapshot:
        """A CPU copy of every weight, for panels that must not touch a model being trained.
        One copy for all of them: on a GPU each copy waits for the device."""
        state = self.state_dict()
        flat = torch.cat([v.detach().float().reshape(-1) for v in state.values()]).cpu().numpy()
        return WeightsSnapshot(
            network_id(self.spec),
            tuple(self.names),
            tuple(state),
            tuple(tuple(v.shape) for v in state.values()),
            flat,
            self._parts,
        )

    def load_snapshot(self, snapshot: WeightsSnapshot) -> None:
        """Take the weights of `snapshot` (of this network: ValueError otherwise)."""
        if not snapshot.made_by(self.spec):
            raise ValueError("these weights belong to another network")
        self.load_state_dict({k: torch.from_numpy(v) for k, v in snapshot.items()})


def state_shapes(spec: NetworkSpec) -> dict[str, tuple[int, ...]]:
    """What `ConvNet(spec).state_dict()` holds, key by key, worked out from the spec alone: a
    weights file is compared with it before any of its tensors is read or the network built."""
    shapes = spec.shapes()
    want: dict[str, tuple[int, ...]] = {}
    shape: tuple[int, ...] = (spec.channels, spec.rows, spec.cols)
    layers = (*spec.layers, Dense(len(spec.classes)))  # the votes: fully connected
    for i, (layer, s) in enumerate(zip(layers, shapes, strict=True)):
        for suffix, tensor in kind_of(layer).state_shapes(layer, shape).items():
            want[state_key(i, suffix)] = tensor
        shape = s.shape
    return want


def _part_tensors(parts) -> list[torch.Tensor]:
    """A block's parts' tensors (see _parts), in the order _parts reads them back."""
    out = []
    for _name, _kind, values, more in parts:
        out += [values[0], *(v[0] for k, v in more.items() if k != "parts")]
        out += _part_tensors(more.get("parts", ()))
    return out


def _parts(block: str, parts, host) -> tuple[LayerTrace, ...]:
    """A block's parts (name inside it, kind, values, their own entries; batch first) as trace
    entries named "block.name", nested blocks' parts included; their arrays, already on the
    CPU, come from `host` in _part_tensors' order."""
    out = []
    for name, kind, _values, more in parts:
        full = f"{block}.{name}"
        vals = next(host)
        entries = {k: next(host) for k in more if k != "parts"}
        inner = _parts(full, more.get("parts", ()), host)
        out.append(LayerTrace(full, kind, vals, **entries, parts=inner))
    return tuple(out)


def _to_host(tensors: list[torch.Tensor]) -> list[np.ndarray]:
    """Trace entries on the CPU, in one copy: values as float32, indices (pool winners) as
    int32, which travel bit for bit inside the float32 copy."""
    flat = [
        t.detach().reshape(-1).to(torch.int32).view(torch.float32)
        if _is_index(t)
        else t.detach().reshape(-1).float()
        for t in tensors
    ]
    host = torch.cat(flat).cpu().numpy() if flat else np.zeros(0, np.float32)
    out, at = [], 0
    for t in tensors:
        a = host[at : at + t.numel()]
        at += t.numel()
        out.append((a.view(np.int32) if _is_index(t) else a).reshape(tuple(t.shape)))
    return out


def _is_index(t: torch.Tensor) -> bool:
    return not t.dtype.is_floating_point and t.dtype != torch.bool


def build(spec: NetworkSpec, seed: int | None = 0) -> ConvNet:
    """A fresh, untrained network, in eval mode as a loaded one is (`train()` switches to
    training mode itself): batch normalisation then uses its running statistics and dropout
    does nothing, so a forward pass gives what the trace and an export give. The same seed
    gives the same starting weights."""
    if seed is None:
        return ConvNet(spec).eval()
    state = torch.random.get_rng_state()
    try:
        torch.manual_seed(seed)
        return ConvNet(spec).eval()
    finally:
        torch.random.set_rng_state(state)
