"""The picture a feature (or a class) would like best: gradient ascent on the input.

Start from a blank drawing (the background value) or the current one; at each step shift the
picture by up to JITTER pixels in a random direction, measure the target on the shifted picture
(a convolution feature's mean value over its map, or a class's vote before softmax) and move
the picture up its gradient; every BLUR_EVERY steps mix in a little 3x3 blur. On small inputs
(28x28) plain ascent makes pixel noise that scores high but shows nothing; the jitter stops it
from relying on one exact pixel and the blur from relying on one frequency. The picture is kept
inside the spec's value range after every step.

No Qt: the window runs `visualise` in a background job and can stop it between steps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from .errors import DataError, SpecError

STEPS = 160  # enough for the shapes network's features to settle (see tests/bench)
STEP_SIZE = 0.05  # of the value range's width, per step (Adam: about the largest change a step)
# Measured on the shapes network (tests/bench/bench_feature_vis.py): a lighter blur (every 8th
# step, 30%) and 1-pixel jitter raised the weakest second-layer feature from 0.8x to 9x the best
# random input; blurring every 4th step by half smeared away the edges the features look for.
JITTER = 1  # pixels
BLUR_EVERY = 8  # steps
BLUR_MIX = 0.3  # the share of the blurred picture mixed in
LEAK = 0.1  # the slope below zero while climbing (the value shown is the plain ReLU's)
_BLUR = torch.tensor([[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]) / 16.0


@dataclass(frozen=True)
class Target:
    """What to raise: feature `index` of hidden layer `layer` (a convolution), or, with layer
    None, the vote of class `index`."""

    layer: int | None
    index: int


@dataclass
class Visualised:
    image: np.ndarray  # (C, H, W) float32 in the value range: the best picture seen
    values: list[float]  # the target's value after each step (measured without jitter)
    value: float  # the target's value on `image`
    steps: int  # done (fewer than asked when stopped)
    start_value: float  # the target's value on the starting picture


def check_target(model, target: Target) -> None:
    """SpecError unless the target names a convolution feature or a class of `model`."""
    spec = model.spec
    if target.layer is None:
        if not 0 <= target.index < len(spec.classes):
            raise SpecError(
                f"class {target.index} does not exist: {spec.name!r} has "
                f"{len(spec.classes)} classes"
            )
        return
    if not 0 <= target.layer < len(model.kinds) - 1 or model.kinds[target.layer] != "conv":
        raise SpecError(f"layer {target.layer} of {spec.name!r} is not a convolution")
    features = spec.shapes()[target.layer].shape[0]
    if not 0 <= target.index < features:
        raise SpecError(
            f"feature {target.index} does not exist: layer {target.layer} has {features} features"
        )


def target_value(model, x: torch.Tensor, target: Target, leak: float = 0.0) -> torch.Tensor:
    """The target's value for each picture of x (N, C, H, W): (N,). A feature's value is the
    mean of its map after the ReLU that follows the convolution (the feature's activation,
    what the next layer sees); `leak` lets a little of the negative part through, so that a
    feature silent everywhere on the starting picture still has a gradient to follow."""
    stop = len(model.layers) - 1 if target.layer is None else target.layer
    for i, m in enumerate(model.layers):
        x = m(x)
        if i == stop:
            break
    if target.layer is None:
        return x[:, target.index]
    z = x[:, target.index]
    return (F.leaky_relu(z, leak) if leak else F.relu(z)).mean(dim=(1, 2))


def _blur(x: torch.Tensor) -> torch.Tensor:
    c = x.shape[1]
    kernel = _BLUR.to(x).expand(c, 1, 3, 3)
    return F.conv2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), kernel, groups=c)


def visualise(
    model,
    target: Target,
    start: np.ndarray | None = None,
    steps: int = STEPS,
    seed: int = 0,
    should_stop: Callable[[], bool] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Visualised:
    """Gradient ascent on the input of `model` (a ConvNet; its weights are not changed) for
    `target`, from `start` ((H, W) or (C, H, W) in the value range) or a blank picture."""
    check_target(model, target)
    spec = model.spec
    lo, hi = (float(v) for v in spec.value_range)
    shape = (1, spec.channels, spec.input_size, spec.input_size)
    if start is None:
        x0 = np.full(shape, lo, np.float32)
    else:
        x0 = np.asarray(start, np.float32)
        if x0.size != int(np.prod(shape)):
            raise DataError(
                f"the starting picture is {'x'.join(map(str, x0.shape))}, the "
                f"network {spec.name!r} takes {'x'.join(map(str, shape[1:]))}"
            )
        x0 = np.clip(np.nan_to_num(x0.reshape(shape), nan=lo), lo, hi)
    device = model.device
    rng = np.random.default_rng(seed)
    x = torch.tensor(x0, device=device, requires_grad=True)
    optimiser = torch.optim.Adam([x], lr=STEP_SIZE * (hi - lo))
    params = [p for p in model.parameters()]
    was = [p.requires_grad for p in params]
    was_training = model.training
    model.eval()
    values: list[float] = []
    try:
        for p in params:
            p.requires_grad_(False)  # only the picture learns
        with torch.no_grad():
            start_value = float(target_value(model, x, target)[0])
        best, best_value = x.detach().clone(), start_value
        done = 0
        for step in range(steps):
            if should_stop is not None and should_stop():
                break
            dy, dx = (int(v) for v in rng.integers(-JITTER, JITTER + 1, 2))
            optimiser.zero_grad()
            shifted = torch.roll(x, shifts=(dy, dx), dims=(2, 3))
            (-target_value(model, shifted, target, LEAK).sum()).backward()
            optimiser.step()
            with torch.no_grad():
                if (step + 1) % BLUR_EVERY == 0:
                    x.mul_(1 - BLUR_MIX).add_(BLUR_MIX * _blur(x))
                x.clamp_(lo, hi)
                values.append(float(target_value(model, x, target)[0]))
                if values[-1] > best_value:  # the blur may undo a step: keep the best picture
                    best, best_value = x.detach().clone(), values[-1]
            done = step + 1
            if progress is not None:
                progress(done, steps)
    finally:
        for p, g in zip(params, was, strict=True):
            p.requires_grad_(g)
        model.train(was_training)
    image = best.float().cpu().numpy()[0]
    return Visualised(image, values, best_value, done, start_value)
