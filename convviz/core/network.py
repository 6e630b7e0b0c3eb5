"""The network built from a spec, and the trace: every intermediate result of one forward pass.

Shapes below use C = channels, H/W = rows/cols, N = batch.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .errors import DataError
from .snapshot import WeightsSnapshot, network_id
from .spec import Conv, Dense, Flatten, MaxPool, NetworkSpec, ReLU
from .trace import (
    LayerTrace,
    Trace,
    vote_contributions,  # noqa: F401 - it lived here; still importable from here
)


class DeckConv(nn.Conv2d):
    """A convolution that can divide by the number of feature pixels, as the deck's filtering
    does (multiply, add, divide), so a feature that matches perfectly scores exactly 1."""

    def __init__(self, in_ch: int, layer: Conv):
        super().__init__(in_ch, layer.features, layer.size, layer.stride, layer.padding,
                         bias=layer.bias)
        self.divisor = layer.divisor(in_ch)
        if layer.fixed is not None:
            w = torch.tensor(layer.fixed, dtype=torch.float32).unsqueeze(1)  # (F, 1, k, k)
            with torch.no_grad():
                self.weight.copy_(w)
            self.weight.requires_grad_(False)  # hand-made features stay as the deck drew them

    def forward(self, x):
        y = super().forward(x)
        if self.divisor != 1.0:
            if self.bias is not None:  # divide the sum only; the bias is added after
                b = self.bias.view(1, -1, 1, 1)
                return (y - b) / self.divisor + b
            return y / self.divisor
        return y


class Pool(nn.Module):
    def __init__(self, layer: MaxPool):
        super().__init__()
        self.window, self.stride = layer.window, layer.stride

    def forward(self, x, return_indices: bool = False):
        # ceil_mode: a window hanging over the edge still counts (7x7 -> 4x4 in the deck)
        if return_indices:  # (two calls: torch's overloads tell the two results apart)
            return F.max_pool2d(x, self.window, self.stride, ceil_mode=True, return_indices=True)
        return F.max_pool2d(x, self.window, self.stride, ceil_mode=True)


class Flat(nn.Module):
    def forward(self, x):  # (N, C, H, W) -> (N, C*H*W), channel-major like the trace
        return x.flatten(1)


class ConvNet(nn.Module):
    """An `nn.Module` made from a NetworkSpec; `forward` gives the class votes (logits)."""

    def __init__(self, spec: NetworkSpec):
        super().__init__()
        shapes = spec.validate().shapes()
        self.spec = spec
        self.names = [s.name for s in shapes]
        self.kinds = [s.kind for s in shapes]
        mods: list[nn.Module] = []
        ch, flat = spec.channels, 0  # flat: the width after the last layer (validate: a
        # Flatten comes before any fully connected layer)
        for layer, s in zip(spec.layers, shapes, strict=False):
            if isinstance(layer, Conv):
                mods.append(DeckConv(ch, layer))
            elif isinstance(layer, ReLU):
                mods.append(nn.ReLU())
            elif isinstance(layer, MaxPool):
                mods.append(Pool(layer))
            elif isinstance(layer, Flatten):
                mods.append(Flat())
            elif isinstance(layer, Dense):
                mods.append(nn.Linear(flat, layer.neurons))
            ch, flat = s.shape[0], s.shape[0]
        mods.append(nn.Linear(flat, len(spec.classes)))  # the votes
        self.layers = nn.ModuleList(mods)

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
        c, n = self.spec.channels, self.spec.input_size
        if tuple(x.shape) != (c, n, n):
            raise DataError(f"input is {'x'.join(map(str, x.shape))} but the model "
                            f"{self.spec.name!r} takes {c}x{n}x{n}")
        return x.unsqueeze(0).to(self.device)

    @torch.inference_mode()
    def trace(self, image) -> Trace:
        """Run one image through the network, keeping every layer's output.

        The results stay on the device until the end, then travel to the CPU in one copy: on a
        GPU one transfer (one synchronisation) costs far less than one per layer.
        """
        x = self.as_input(image)
        outs, winners = [], {}
        for i, m in enumerate(self.layers):
            if isinstance(m, Pool):
                x, idx = m(x, return_indices=True)
                winners[i] = idx[0]
            else:
                x = m(x)
            outs.append(x[0])
        flat = torch.cat([o.reshape(-1) for o in outs]).float().cpu().numpy()
        idx_cpu = {i: w.cpu().numpy().astype(np.int32) for i, w in winners.items()}
        layers, at = [], 0
        for i, o in enumerate(outs):
            n = o.numel()
            vals = flat[at:at + n].reshape(tuple(o.shape))
            at += n
            layers.append(LayerTrace(self.names[i], self.kinds[i], vals, idx_cpu.get(i)))
        inp = np.asarray(image, dtype=np.float32)
        return Trace(inp.reshape(self.spec.channels, *inp.shape[-2:]), layers, self.spec)

    def snapshot(self) -> WeightsSnapshot:
        """A CPU copy of every weight, for panels that must not touch a model being trained.
        One copy for all of them: on a GPU each copy waits for the device."""
        state = self.state_dict()
        flat = torch.cat([v.detach().float().reshape(-1) for v in state.values()]).cpu().numpy()
        return WeightsSnapshot(network_id(self.spec), tuple(self.names), tuple(state),
                               tuple(tuple(v.shape) for v in state.values()), flat)

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
    ch = spec.channels
    for i, (layer, s) in enumerate(zip((*spec.layers, None), shapes, strict=True)):
        if isinstance(layer, Conv):
            want[f"layers.{i}.weight"] = (layer.features, ch, layer.size, layer.size)
            if layer.bias:
                want[f"layers.{i}.bias"] = (layer.features,)
        elif isinstance(layer, Dense) or layer is None:  # None: the votes
            want[f"layers.{i}.weight"] = (s.shape[0], ch)
            want[f"layers.{i}.bias"] = (s.shape[0],)
        ch = s.shape[0]
    return want


def build(spec: NetworkSpec, seed: int | None = 0) -> ConvNet:
    """A fresh, untrained network; the same seed gives the same starting weights."""
    if seed is None:
        return ConvNet(spec)
    state = torch.random.get_rng_state()
    try:
        torch.manual_seed(seed)
        return ConvNet(spec)
    finally:
        torch.random.set_rng_state(state)
