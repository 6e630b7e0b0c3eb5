"""What if: edit the live network by hand and watch every layer follow.

Two edits, each undoable, all undone at once by `reset`:
- switch off (zero) one feature map of a convolution layer, or one neuron of a hidden fully
  connected layer: its weights and bias become 0, so its output is exactly 0 for every input
  (and stays 0 after ReLU and pooling); nothing upstream changes;
- set one feature's kernel (C, k, k) by hand, as the deck's hand-made features were drawn.

The network records what was done in `model.edits` (a list of short descriptions); saving it
writes them to the weights' metadata ("edited"), so an exported network says it was edited.
Shapes: F = features, C = input maps, k = kernel side, n = neurons.

The panels switch units off where they show them (`switch_off_shown`: a map of a ReLU or pooling
layer is its convolution's map; `switch_off_vote_input`: an input of the votes, as the votes
panel's "why" bars show them), and compare with the network as it was before the first edit
(`unedited_votes`).
"""

from __future__ import annotations

import copy
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
        self._unedited: ConvNet | None = None  # a copy from before the first edit made here
        self._mark()

    # ---- which layer -----------------------------------------------------------------------
    def _layer(self, name: str, kinds: tuple[str, ...]) -> int:
        names = [n for n, k in zip(self.model.names, self.model.kinds, strict=True) if k in kinds]
        if name not in names:
            raise SpecError(
                f"no layer {str(name)[:60]!r} to edit here (choose from "
                f"{', '.join(names) or 'none'})"
            )
        return self.model.names.index(name)

    def editable(self) -> list[tuple[str, int]]:
        """(layer name, number of maps or neurons) for every layer whose units can be switched
        off: convolutions and hidden fully connected layers (not the votes)."""
        shapes = self.model.spec.shapes()
        return [(s.name, s.shape[0]) for s in shapes[:-1] if s.kind in ("conv", "fc")]

    def maker(self, name: str) -> str:
        """The convolution or fully connected layer whose units make layer `name`'s (itself,
        or the ReLU, pooling or flattening after it)."""
        made = None
        for s in self.model.spec.shapes():
            made = s.name if s.kind in ("conv", "fc", "votes") else made
            if s.name == name:
                if made is None:
                    break
                return made
        raise SpecError(f"no units of {str(name)[:60]!r} can be switched off")

    # ---- edits -----------------------------------------------------------------------------
    def _change(self, i: int, unit: int, what: str, new_weight) -> None:
        layer: Any = self.model.layers[i]
        count = layer.weight.shape[0]
        if not 0 <= unit < count:
            raise DataError(
                f"{self.model.names[i]} has {count} {what}s (1..{count}), not {unit + 1}"
            )
        if not self._undo:  # the first edit here: keep the network as it was to compare with
            self._unedited = copy.deepcopy(self.model).eval()
        saved = {"weight": layer.weight[unit].detach().clone()}
        if layer.bias is not None:
            saved["bias"] = layer.bias[unit].detach().clone()
        with torch.no_grad():
            layer.weight[unit] = new_weight(layer.weight[unit])
            if new_weight is _zero and layer.bias is not None:
                layer.bias[unit] = 0.0
        label = (
            f"{self.model.names[i]} {what} {unit + 1} "
            f"{'switched off' if new_weight is _zero else 'drawn by hand'}"
        )
        self._undo.append((label, {"index": (i, unit), **saved}))
        self._mark()

    def switch_off(self, layer: str, unit: int) -> None:
        """Zero map `unit` (0-based) of a convolution, or neuron `unit` of a hidden fc layer."""
        i = self._layer(layer, ("conv", "fc"))
        if i == len(self.model.layers) - 1:
            raise SpecError("the votes cannot be switched off; choose a hidden layer")
        self._change(i, unit, "map" if self.model.kinds[i] == "conv" else "neuron", _zero)

    def switch_off_shown(self, layer: str, unit: int) -> None:
        """Map (or neuron) `unit` as a panel shows layer `layer`: a ReLU's or a pooling's map
        is its convolution's map."""
        self.switch_off(self.maker(layer), unit)

    def switch_off_vote_input(self, j: int) -> None:
        """Input `j` of the votes layer (as the votes panel's "why" lists them): a hidden
        neuron, or one cell of a flattened map, whose whole map is switched off."""
        shapes = self.model.spec.shapes()
        feeding = shapes[-2]  # what the votes read
        if feeding.kind == "flatten":
            _, h, w = shapes[-3].shape
            self.switch_off_shown(shapes[-3].name, j // (h * w))
        else:
            self.switch_off_shown(feeding.name, j)

    def set_kernel(self, layer: str, feature: int, values) -> None:
        """Feature `feature` (0-based) of a convolution layer becomes `values` (C, k, k), or
        (k, k) for a layer reading one map."""
        i = self._layer(layer, ("conv",))
        w: Any = self.model.layers[i].weight  # (F, C, k, k)
        v = np.asarray(values, dtype=np.float64)
        if v.ndim == 2:
            v = v[None]
        if v.shape != tuple(w.shape[1:]):
            raise DataError(
                f"a {layer} feature is {'x'.join(map(str, w.shape[1:]))}, "
                f"got {'x'.join(map(str, v.shape))}"
            )
        if not np.isfinite(v).all() or np.abs(v).max() > MAX_VALUE_MAGNITUDE:
            raise DataError(
                f"feature values must be finite numbers within ±{MAX_VALUE_MAGNITUDE:g}"
            )
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
        if not self._undo:
            self._unedited = None
        self._mark()
        return True

    def unedited_votes(self, image) -> np.ndarray | None:
        """(K,) the votes the network gave `image` before the edits made here; None when
        nothing is edited (one forward pass of a kept copy)."""
        if self._unedited is None:
            return None
        with torch.inference_mode():
            return self._unedited(self._unedited.as_input(image))[0].float().cpu().numpy()

    def reset(self) -> None:
        """Undo every edit made here (edits that came with the file stay: they are its
        weights)."""
        while self.undo():
            pass


def _zero(w: torch.Tensor) -> torch.Tensor:
    return torch.zeros_like(w)
