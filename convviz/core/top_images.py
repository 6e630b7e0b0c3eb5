"""The images that excite each feature most, and each class's most and least confident images:
one pass over a labelled set of images, in batches, keeping only a running top-k.

A feature's response to an image is its strongest value anywhere in its map (the convolution's
output, before ReLU), and where that was: with the receptive field (receptive_field.py) that
position names the patch of the image the feature saw. Memory stays bounded: a batch's layer
outputs stay under limits.TOP_IMAGES_BATCH_BYTES, and between batches only k candidates a
feature (and a class) are kept, never the activations.

Ties go to the image that comes first, so the result does not depend on the batch size.
No Qt: the window runs `find_top_images` in a background job.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from .errors import DataError
from .limits import TOP_IMAGES_BATCH_BYTES, TOP_IMAGES_BATCH_MAX

TOP_K = 9  # a 3x3 grid of images a feature


@dataclass
class LayerTops:
    """The top images of every feature of one convolution layer; arrays are (features, k),
    best first; index -1 where fewer than k images were seen."""

    layer_index: int
    name: str
    scores: np.ndarray  # float32: the feature's strongest value in that image
    indices: np.ndarray  # int64: into the images
    rows: np.ndarray  # int64: where in the feature's map, row
    cols: np.ndarray  # int64: and column


@dataclass
class ClassTops:
    """Per class, among the images of that class: the k it was surest of (highest probability
    for their own class) and the k it was least sure of; (classes, k), index -1 when unused."""

    most: np.ndarray  # int64 image indices, surest first
    most_p: np.ndarray  # float32
    least: np.ndarray  # int64, least sure first
    least_p: np.ndarray


@dataclass
class TopImages:
    layers: dict[int, LayerTops]  # by hidden layer index
    classes: ClassTops
    images: int  # how many images were looked at (fewer when stopped)
    complete: bool


def _keep_best(scores, indices, extra, k: int, descending: bool = True):
    """Merge candidates: scores/indices (G, m) and extra arrays (G, m) each; keep k per row,
    best score first, ties to the lower image index (-1 = empty, always last)."""
    s = np.where(indices < 0, -np.inf if descending else np.inf, scores)
    key = -s if descending else s
    order = np.lexsort((np.where(indices < 0, np.iinfo(np.int64).max, indices), key), axis=-1)[
        :, :k
    ]
    pick = [np.take_along_axis(a, order, axis=-1) for a in (scores, indices, *extra)]
    return pick


def batch_size_for(model) -> int:
    """Images a batch so that one batch's layer outputs stay under TOP_IMAGES_BATCH_BYTES."""
    per_image = sum(int(np.prod(s.shape)) for s in model.spec.shapes()) * 4
    return int(max(1, min(TOP_IMAGES_BATCH_MAX, TOP_IMAGES_BATCH_BYTES // max(per_image, 1))))


def find_top_images(
    model,
    X: np.ndarray,
    y: np.ndarray,
    k: int = TOP_K,
    batch: int | None = None,
    should_stop: Callable[[], bool] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> TopImages:
    """One pass of `model` (a ConvNet, not changed) over X (N, C, H, W) with labels y (N,).
    Stops early, with what it has (complete False), when `should_stop()` turns true."""
    X = np.asarray(X)
    y = np.asarray(y)
    spec = model.spec
    if X.ndim != 4 or len(X) != len(y) or X.shape[1] != spec.channels:
        raise DataError(
            f"images are {'x'.join(map(str, X.shape))} with {len(y)} labels; "
            f"the network {spec.name!r} takes {spec.channels} channel(s)"
        )
    if len(y) and (y.min() < 0 or y.max() >= len(spec.classes)):
        raise DataError(f"labels must be class numbers 0..{len(spec.classes) - 1}")
    batch = batch or batch_size_for(model)
    convs = [i for i, kind in enumerate(model.kinds) if kind == "conv"]
    n_classes = len(spec.classes)
    tops = {}
    for i in convs:
        f = spec.shapes()[i].shape[0]
        empty = (
            np.full((f, k), -np.inf, np.float32),
            np.full((f, k), -1, np.int64),
            np.zeros((f, k), np.int64),
            np.zeros((f, k), np.int64),
        )
        tops[i] = list(empty)
    most: list[np.ndarray] = [
        np.full((n_classes, k), -np.inf, np.float32),
        np.full((n_classes, k), -1, np.int64),
    ]
    least: list[np.ndarray] = [
        np.full((n_classes, k), np.inf, np.float32),
        np.full((n_classes, k), -1, np.int64),
    ]
    seen, complete = 0, True
    device = model.device
    was_training = model.training
    model.eval()
    try:
        for start in range(0, len(X), batch):
            if should_stop is not None and should_stop():
                complete = False
                break
            xb = torch.as_tensor(np.asarray(X[start : start + batch], np.float32), device=device)
            ids = np.arange(start, start + len(xb), dtype=np.int64)
            with torch.inference_mode():
                x = xb
                for i, m in enumerate(model.layers):
                    x = m(x)
                    if i in tops:
                        _merge_feature(tops[i], x, ids, k)
                probs = torch.softmax(x.float(), dim=1).cpu().numpy()
            _merge_classes(most, least, probs, y[start : start + len(xb)], ids, k)
            seen += len(xb)
            if progress is not None:
                progress(seen, len(X))
    finally:
        model.train(was_training)
    layers = {i: LayerTops(i, model.names[i], *tops[i]) for i in convs}
    return TopImages(layers, ClassTops(most[1], most[0], least[1], least[0]), seen, complete)


def _merge_feature(top: list, out: torch.Tensor, ids: np.ndarray, k: int) -> None:
    """out (n, F, H, W): each feature's strongest value per image and where, merged into top."""
    n, f, _h, w = out.shape
    best, where = out.reshape(n, f, -1).max(dim=2)  # first position of the maximum
    best_np = best.float().cpu().numpy().T  # (F, n)
    where_np = where.cpu().numpy().T.astype(np.int64)
    cand_ids = np.broadcast_to(ids, (f, n))
    merged = _keep_best(
        np.concatenate([top[0], best_np], 1),
        np.concatenate([top[1], cand_ids], 1),
        [np.concatenate([top[2], where_np // w], 1), np.concatenate([top[3], where_np % w], 1)],
        k,
    )
    top[:] = merged


def _merge_classes(
    most: list, least: list, probs: np.ndarray, labels: np.ndarray, ids: np.ndarray, k: int
) -> None:
    """Each image's probability for its own class, merged into that class's most and least."""
    own = probs[np.arange(len(labels)), labels].astype(np.float32)
    for c in np.unique(labels):
        mine = labels == c
        for kept, descending in ((most, True), (least, False)):
            s, i = _keep_best(
                np.concatenate([kept[0][c : c + 1], own[mine][None]], 1),
                np.concatenate([kept[1][c : c + 1], ids[mine][None]], 1),
                [],
                k,
                descending,
            )
            kept[0][c], kept[1][c] = s[0], i[0]
