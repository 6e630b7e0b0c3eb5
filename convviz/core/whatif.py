"""What if: edit the live network by hand and watch every layer follow.

Two edits, each undoable, all undone at once by `reset`:
- switch off (zero) one feature map of a convolution layer, or one neuron of a hidden fully
  connected layer: its weights and bias become 0, so its output is exactly 0 for every input
  (and stays 0 after ReLU and pooling); nothing upstream changes;
- set one feature's kernel (C, k, k) by hand, as the deck's hand-made features were drawn.

The network records what was done in `model.edits` (a list of short descriptions); saving it
writes them to the weights' metadata ("edited"), so an exported network says it was edited.
Shapes: F = features, C = input maps, k = kernel side, n = neurons.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from .errors import DataError, SpecError
from .limits import MAX_VALUE_MAGNITUDE
from .network import ConvNet


class Edits:
    def __init__(self, model: ConvNet):
        self.model = model
        self._undo: list[tuple[str, dict[str, Any]]] = []  # (description, saved rows)
        self._inherited = list(getattr(model, "edits", None) or [])  # earlier edits, from a file
        self._mark()

    # ---- which layer -----------------------------------------------------------------------
    def _layer(self, name: str, kinds: tuple[str, ...]) -> int:
        names = [n for n, k in zip(self.model.names, self.model.kinds, strict=True) if k in kinds]
        if name not in names:
            raise SpecError(f"no layer {str(name)[:60]!r} to edit here (choose from "
                            f"{', '.join(names) or 'none'})")
        return self.model.names.index(name)

    def editable(self) -> list[tuple[str, int]]:
        """(layer name, number of maps or neurons) for every layer whose units can be switched
        off: convolutions and hidden fully connected layers (not the votes)."""
        shapes = self.model.spec.shapes()
        return [(s.name, s.shape[0]) for s in shapes[:-1] if s.kind in ("conv", "fc")]

    # ---- edits -----------------------------------------------------------------------------
    def _change(self, i: int, unit: int, what: str, new_weight) -> None:
        layer: Any = self.model.layers[i]
        count = layer.weight.shape[0]
        if not 0 <= unit < count:
            raise DataError(f"{self.model.names[i]} has {count} {what}s (1..{count}), "
                            f"not {unit + 1}")
        saved = {"weight": layer.weight[unit].detach().clone()}
        if layer.bias is not None:
            saved["bias"] = layer.bias[unit].detach().clone()
        with torch.no_grad():
            layer.weight[unit] = new_weight(layer.weight[unit])
            if new_weight is _zero and layer.bias is not None:
                layer.bias[unit] = 0.0
        label = (f"{self.model.names[i]} {what} {unit + 1} "
                 f"{'switched off' if new_weight is _zero else 'drawn by hand'}")
        self._undo.append((label, {"index": (i, unit), **saved}))
        self._mark()

    def switch_off(self, layer: str, unit: int) -> None:
        """Zero map `unit` (0-based) of a convolution, or neuron `unit` of a hidden fc layer."""
        i = self._layer(layer, ("conv", "fc"))
        if i == len(self.model.layers) - 1:
            raise SpecError("the votes cannot be switched off; choose a hidden layer")
        self._change(i, unit, "map" if self.model.kinds[i] == "conv" else "neuron", _zero)

    def set_kernel(self, layer: str, feature: int, values) -> None:
        """Feature `feature` (0-based) of a convolution layer becomes `values` (C, k, k), or
        (k, k) for a layer reading one map."""
        i = self._layer(layer, ("conv",))
        w: Any = self.model.layers[i].weight  # (F, C, k, k)
        v = np.asarray(values, dtype=np.float64)
        if v.ndim == 2:
            v = v[None]
        if v.shape != tuple(w.shape[1:]):
            raise DataError(f"a {layer} feature is {'x'.join(map(str, w.shape[1:]))}, "
                            f"got {'x'.join(map(str, v.shape))}")
        if not np.isfinite(v).all() or np.abs(v).max() > MAX_VALUE_MAGNITUDE:
            raise DataError(f"feature values must be finite numbers within "
                            f"±{MAX_VALUE_MAGNITUDE:g}")
        t = torch.tensor(v, dtype=w.dtype, device=w.device)
        self._change(i, feature, "feature", lambda _: t)

    # ---- undo ------------------------------------------------------------------------------
    @property
    def edited(self) -> bool:
        return bool(self._inherited or self._undo)

    def _mark(self) -> None:
        """What the network says was done to it (saved with its weights as "edited")."""
        setattr(self.model, "edits", self._inherited + [d for d, _ in self._undo])  # noqa: B010

    def undo(self) -> bool:
        if not self._undo:
            return False
        _, saved = self._undo.pop()
        i, unit = saved["index"]
        layer: Any = self.model.layers[i]
        with torch.no_grad():
            layer.weight[unit] = saved["weight"]
            if "bias" in saved:
                layer.bias[unit] = saved["bias"]
        self._mark()
        return True

    def reset(self) -> None:
        """Undo every edit made here (edits that came with the file stay: they are its
        weights)."""
        while self.undo():
            pass


def _zero(w: torch.Tensor) -> torch.Tensor:
    return torch.zeros_like(w)
