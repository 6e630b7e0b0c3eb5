"""Where the network looked: three maps, each the size of the input, for one class's vote.

- occlusion ("covering up"): a blank patch (the background value) slides over the input; each
  pixel gets the mean drop of the class's vote over the patch positions that covered it.
- Grad-CAM (Selvaraju et al.): the gradient of the class's vote with respect to one convolution
  layer's maps (after its ReLU when it has one), averaged over each map, weighs that map; the
  weighted sum, negatives cut off (ReLU), is scaled up to the input's size (bilinear).
- saliency (Simonyan et al.): how strongly the vote moves per unit change of each input pixel,
  |d vote / d pixel|, the largest over the channels.

The class's vote is its logit (the last layer's output, before softmax), as in Grad-CAM's paper:
a probability would also move when other classes' votes move. Shapes: C = channels, H/W = the
input's rows/cols, h/w = a layer's rows/cols, P = patch positions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from .errors import DataError, SpecError
from .layers import pair
from .limits import EXPLAIN_BATCH_VALUES, EXPLAIN_MAX_POSITIONS
from .network import ConvNet

METHODS = ("occlusion", "gradcam", "saliency")


@dataclass
class Explanation:
    method: str  # one of METHODS
    map: np.ndarray  # (H, W) float32, the input's size; larger = mattered more for the class
    cls: int  # the class explained (index into classes)
    class_name: str
    vote: float  # the class's vote on the unchanged input
    layer: str | None = None  # Grad-CAM: the convolution layer it weighed
    layer_map: np.ndarray | None = None  # Grad-CAM: (h, w), before scaling up
    patch: int | None = None  # occlusion: patch side and stride, pixels
    stride: int | None = None


def resolve_class(model: ConvNet, cls, winner: int) -> int:
    """None -> the winner; a class name -> its index; an int -> checked. DataError otherwise."""
    classes = model.spec.classes
    if cls is None:
        return winner
    if isinstance(cls, (int, np.integer)) and not isinstance(cls, bool):
        if 0 <= cls < len(classes):
            return int(cls)
        raise DataError(f"class number {cls} is out of range (0..{len(classes) - 1})")
    if isinstance(cls, str) and cls in classes:
        return classes.index(cls)
    shown = repr(str(cls)[:60])  # repr: a name with a newline or control bytes stays one line
    raise DataError(f"no class called {shown} (choose from {', '.join(classes)})")


def conv_layer(model: ConvNet, layer=None) -> int:
    """The index in model.layers of a convolution layer given by name (None: the last one)."""
    convs = [i for i, kind in enumerate(model.kinds) if kind == "conv"]
    if not convs:
        raise SpecError(f"the network {model.spec.name!r} has no convolution layer")
    if layer is None:
        return convs[-1]
    names = [model.names[i] for i in convs]
    if layer in names:
        return convs[names.index(layer)]
    shown = repr(str(layer)[:60])
    if layer in model.names:
        raise SpecError(
            f"layer {shown} is not a convolution layer (choose from {', '.join(names)})"
        )
    raise SpecError(f"no layer called {shown} (convolution layers: {', '.join(names)})")


def _with_grad(model: ConvNet, image) -> torch.Tensor:
    """(1, C, H, W) that records gradients: even with the deck's fixed (untrainable) features,
    every layer's output then depends on something autograd follows."""
    x = model.as_input(image).detach().clone()
    return x.requires_grad_(True)


def grad_mode():
    """Gradients on, also when called from code inside torch.inference_mode (the app's trace):
    enable_grad alone does not leave inference mode."""
    import contextlib

    stack = contextlib.ExitStack()
    stack.enter_context(torch.inference_mode(False))
    stack.enter_context(torch.enable_grad())
    return stack


def saliency(model: ConvNet, image, cls=None) -> Explanation:
    with grad_mode():
        x = _with_grad(model, image)
        votes = model(x)[0]  # (classes,)
        c = resolve_class(model, cls, int(votes.argmax()))
        (grad,) = torch.autograd.grad(votes[c], x)  # (1, C, H, W)
    m = grad[0].abs().amax(0)  # (H, W): the strongest channel at each pixel
    return Explanation(
        "saliency", m.float().cpu().numpy(), c, model.spec.classes[c], float(votes[c].detach())
    )


def gradcam(model: ConvNet, image, cls=None, layer=None) -> Explanation:
    target = conv_layer(model, layer)
    # the maps after the layer's ReLU when it has one: the maps the feature-maps panel shows,
    # and what Grad-CAM sees in torchvision's networks, whose in-place ReLU overwrites the
    # convolution's output. Before the ReLU, a map's negative half carries no gradient and
    # only drags the weighted sum below zero (the whole map can come out blank).
    if target + 1 < len(model.kinds) and model.kinds[target + 1] == "relu":
        target += 1
    conv_name = model.names[target - 1] if model.kinds[target] == "relu" else model.names[target]
    with grad_mode():
        x = _with_grad(model, image)  # (1, C, H, W)
        act = None
        for i, m in enumerate(model.layers):
            x = m(x)
            if i == target:
                act = x  # (1, K, h, w)
        votes = x[0]
        c = resolve_class(model, cls, int(votes.argmax()))
        assert act is not None  # target is one of model.layers
        (grad,) = torch.autograd.grad(votes[c], act)  # (1, K, h, w)
    weights = grad[0].mean(dim=(1, 2))  # (K,): how much each map matters to the class
    cam = torch.relu((weights[:, None, None] * act[0].detach()).sum(0))  # (h, w)
    size = model.spec.input_shape
    up = F.interpolate(cam[None, None], size=size, mode="bilinear", align_corners=False)
    return Explanation(
        "gradcam",
        up[0, 0].float().cpu().numpy(),
        c,
        model.spec.classes[c],
        float(votes[c].detach()),
        layer=conv_name,
        layer_map=cam.float().cpu().numpy(),
    )


def default_patch(input_size: int) -> tuple[int, int]:
    """(patch, stride): about a seventh of the input (4 on 28x28, 2 on the deck's 9x9), moved
    half a patch at a time: coarse enough to cover a stroke, fine enough to show its parts."""
    patch = max(2, round(input_size / 7))
    return patch, max(1, patch // 2)


def patch_starts(size: int, patch: int, stride: int) -> list[int]:
    """Top (or left) edges of the patch positions along one side; the last one touches the far
    edge so that every pixel is covered at least once."""
    starts = list(range(0, size - patch + 1, stride))
    if starts[-1] != size - patch:
        starts.append(size - patch)
    return starts


def check_patch(input_size, patch: int, stride: int) -> int:
    """The number of patch positions on an input of side `input_size` (or (rows, cols));
    DataError before anything is allocated when too many."""
    rows, cols = pair(input_size)
    side = min(rows, cols)
    if not 1 <= patch <= side:
        raise DataError(f"patch size must be 1..{side} (the input's shorter side), got {patch}")
    if not 1 <= stride <= side:
        raise DataError(f"patch stride must be 1..{side}, got {stride}")
    n = len(patch_starts(rows, patch, stride)) * len(patch_starts(cols, patch, stride))
    if n > EXPLAIN_MAX_POSITIONS:
        raise DataError(
            f"{n:,} patch positions is more than the {EXPLAIN_MAX_POSITIONS:,} "
            f"allowed; use a larger patch or stride"
        )
    return n


@torch.inference_mode()
def occlusion(
    model: ConvNet,
    image,
    cls=None,
    patch: int | None = None,
    stride: int | None = None,
    should_stop=None,
) -> Explanation | None:
    """Returns None when `should_stop()` says a newer drawing made this one pointless."""
    spec = model.spec
    rows, cols = spec.input_shape
    d_patch, d_stride = default_patch(min(rows, cols))
    patch = d_patch if patch is None else patch
    stride = d_stride if stride is None else stride
    check_patch(spec.input_shape, patch, stride)
    x = model.as_input(image)  # (1, C, H, W)
    votes = model(x)[0]
    c = resolve_class(model, cls, int(votes.argmax()))
    base = float(votes[c])
    starts = [
        (r, q) for r in patch_starts(rows, patch, stride) for q in patch_starts(cols, patch, stride)
    ]
    # a batch's every layer output together stays under EXPLAIN_BATCH_VALUES numbers
    per_image = sum(math.prod(s.shape) for s in spec.shapes()) + spec.channels * rows * cols
    batch = max(1, EXPLAIN_BATCH_VALUES // per_image)
    drops = []
    background = spec.value_range[0]
    for b in range(0, len(starts), batch):
        if should_stop is not None and should_stop():
            return None
        part = starts[b : b + batch]
        xb = x.repeat(len(part), 1, 1, 1)  # (p, C, H, W)
        for k, (r, q) in enumerate(part):
            xb[k, :, r : r + patch, q : q + patch] = background
        drops.append(model(xb)[:, c].float().cpu())  # (p,); no float64 on every device (MPS)
    drop = base - torch.cat(drops).numpy().astype(np.float64)  # (P,)
    total = np.zeros((rows, cols), np.float64)
    count = np.zeros((rows, cols), np.float64)
    for (r, q), d in zip(starts, drop, strict=True):
        total[r : r + patch, q : q + patch] += d
        count[r : r + patch, q : q + patch] += 1
    return Explanation(
        "occlusion",
        (total / count).astype(np.float32),
        c,
        spec.classes[c],
        base,
        patch=patch,
        stride=stride,
    )


def explain(
    model: ConvNet, image, method: str, cls=None, layer=None, patch=None, stride=None
) -> Explanation:
    if method == "occlusion":
        if layer is not None:
            raise DataError("--layer is for Grad-CAM; occlusion covers the input itself")
        e = occlusion(model, image, cls, patch, stride)
        assert e is not None  # None only when asked to stop
        return e
    if method == "gradcam":
        return gradcam(model, image, cls, layer)
    if method == "saliency":
        if layer is not None:
            raise DataError("--layer is for Grad-CAM; saliency is taken at the input")
        return saliency(model, image, cls)
    raise DataError(
        f"no explanation method {str(method)[:40]!r} (choose from {', '.join(METHODS)})"
    )
