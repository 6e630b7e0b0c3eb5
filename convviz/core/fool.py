"""Fool it: nudge a drawing, in small gradient steps, until the network says a chosen class.

Each step moves every pixel along the gradient of the cross-entropy towards the target class,
scaled so that the pixel with the largest gradient moves by `step` (a fraction of the value
range) and the others by less: the change gathers where the vote is most sensitive, rather than
spreading over the whole picture as a sign step (FGSM) would. Values stay inside the value range.
It stops when the network says the target or after `max_steps`. Shapes: C = channels, H/W = the
input's rows/cols, K = classes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from .errors import DataError
from .explain import grad_mode, resolve_class
from .limits import FOOL_KEPT_VALUES, FOOL_MAX_STEPS
from .network import ConvNet

DEFAULT_STEP = 0.05  # of the value range, for the most sensitive pixel, per step
DEFAULT_MAX_STEPS = 60
CHANGED = 0.02  # a pixel counts as changed when it moved more than this share of the range


@dataclass
class FoolStep:
    number: int  # 0 = the original drawing
    image: np.ndarray | None  # (C, H, W) float32; None for steps not kept (see FOOL_KEPT_VALUES)
    votes: np.ndarray  # (K,) float32
    said: int  # the class the network said for this image


@dataclass
class FoolResult:
    target: int
    target_name: str
    original: np.ndarray  # (C, H, W) float32
    final: np.ndarray  # (C, H, W) float32
    steps: list[FoolStep] = field(default_factory=list)
    fooled: bool = False  # the network says the target for `final`
    changed_pixels: int = 0  # pixels (any channel) moved more than CHANGED of the range
    largest_change: float = 0.0  # in value units
    mean_change: float = 0.0  # over the changed pixels, value units (0 when none changed)

    @property
    def changed(self) -> np.ndarray:
        """(H, W) how far each pixel moved, the largest over the channels."""
        return np.abs(self.final - self.original).max(0)


def fool(
    model: ConvNet,
    image,
    target,
    step: float = DEFAULT_STEP,
    max_steps: int = DEFAULT_MAX_STEPS,
    on_step=None,
    should_stop=None,
) -> FoolResult:
    """`on_step(FoolStep)` after each step (to watch it); `should_stop()` before each (True
    ends the run early, the result so far kept)."""
    if not 1 <= max_steps <= FOOL_MAX_STEPS:
        raise DataError(f"step limit must be 1..{FOOL_MAX_STEPS}, got {max_steps}")
    if not 0 < step <= 1:
        raise DataError(f"step must be in 0..1 (a share of the value range), got {step}")
    spec = model.spec
    lo, hi = spec.value_range
    with grad_mode():
        x = model.as_input(image).detach().clone()  # (1, C, H, W), a normal (not inference) tensor
        c = resolve_class(model, target, 0)
        goal = torch.tensor([c], device=x.device)
    original = x[0].float().cpu().numpy().copy()
    # keep every k-th drawing so that the kept ones stay under FOOL_KEPT_VALUES numbers
    keep_every = max(1, -(-original.size * (max_steps + 1) // FOOL_KEPT_VALUES))
    scale = step * (hi - lo)
    result = FoolResult(c, spec.classes[c], original, original)
    for k in range(max_steps + 1):
        with grad_mode():
            xg = x.clone().requires_grad_(True)
            votes = model(xg)  # (1, K)
            said = int(votes[0].argmax())
            kept = x[0].float().cpu().numpy().copy() if k % keep_every == 0 or said == c else None
            s = FoolStep(k, kept, votes[0].detach().float().cpu().numpy(), said)
            result.steps.append(s)
            if on_step is not None:
                on_step(s)
            if said == c or k == max_steps or (should_stop is not None and should_stop()):
                break
            (grad,) = torch.autograd.grad(F.cross_entropy(votes, goal), xg)  # (1, C, H, W)
        g = grad.abs().max()
        if not torch.isfinite(g) or g == 0:  # a flat spot: no direction to move in
            break
        with grad_mode(), torch.no_grad():  # a normal tensor, even under inference mode
            x = (x - scale * grad / g).clamp(min(lo, hi), max(lo, hi))
    final = x[0].float().cpu().numpy()
    result.final, result.fooled = final, result.steps[-1].said == c
    moved = np.abs(final - original).max(0)  # (H, W)
    changed = moved > CHANGED * abs(hi - lo)
    result.changed_pixels = int(changed.sum())
    result.largest_change = float(moved.max())
    result.mean_change = float(moved[changed].mean()) if changed.any() else 0.0
    return result
