"""Where it looked: each method against an independent computation of the same thing.

Grad-CAM against float64 numpy written out by hand on a small network; occlusion against a plain
loop that covers one patch at a time; saliency against torch.autograd on the same input.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from convviz.core import explain as E
from convviz.core.errors import DataError, SpecError
from convviz.core.network import build
from convviz.core.spec import Conv, Dense, Flatten, MaxPool, NetworkSpec, ReLU


def small_spec(pad=0, classes=("a", "b", "c")):
    return NetworkSpec(
        "small", 6, 2, (-1.0, 1.0), (Conv(3, 3, padding=pad), ReLU(), Flatten()), classes
    )


def drawing(rng, spec):
    return rng.uniform(-1, 1, (spec.channels, spec.input_size, spec.input_size)).astype(np.float32)


def hand_conv(x, w, b):
    """x (C, H, W), w (K, C, k, k), b (K,) -> (K, H-k+1, W-k+1), float64 loops."""
    k = w.shape[-1]
    h = x.shape[1] - k + 1
    out = np.zeros((w.shape[0], h, h))
    for f in range(w.shape[0]):
        for i in range(h):
            for j in range(h):
                out[f, i, j] = (x[:, i : i + k, j : j + k] * w[f]).sum() + b[f]
    return out


@pytest.mark.parametrize("cls", [None, 0, 2])
def test_gradcam_matches_a_float64_hand_computation(cls):
    spec = small_spec()
    model = build(spec, seed=3)
    image = drawing(np.random.default_rng(1), spec)
    snap = {k: v.astype(np.float64) for k, v in model.snapshot().items()}
    # forward by hand: conv, ReLU, flatten, votes
    a = np.maximum(
        hand_conv(image.astype(np.float64), snap["layers.0.weight"], snap["layers.0.bias"]), 0
    )  # (3, 4, 4)
    w, b = snap["layers.3.weight"], snap["layers.3.bias"]  # (3 classes, 48)
    votes = w @ a.reshape(-1) + b
    c = int(np.argmax(votes)) if cls is None else cls
    # d vote_c / d A is the vote layer's row for c, laid out as the maps
    alpha = w[c].reshape(a.shape).mean(axis=(1, 2))  # (3,)
    cam = np.maximum((alpha[:, None, None] * a).sum(0), 0)  # (4, 4)

    e = E.gradcam(model, image, cls)
    assert e.cls == c and e.class_name == spec.classes[c] and e.layer == "conv1"
    assert e.vote == pytest.approx(votes[c], abs=1e-5)
    np.testing.assert_allclose(e.layer_map, cam, rtol=1e-5, atol=1e-6)
    assert e.map.shape == (6, 6)
    up = F.interpolate(
        torch.tensor(cam)[None, None], size=(6, 6), mode="bilinear", align_corners=False
    )[0, 0].numpy()
    np.testing.assert_allclose(e.map, up, rtol=1e-5, atol=1e-6)


def test_gradcam_picks_any_conv_layer_and_refuses_others():
    spec = NetworkSpec(
        "two",
        8,
        1,
        (-1.0, 1.0),
        (Conv(2, 3, padding=1), ReLU(), MaxPool(2, 2), Conv(3, 3), ReLU(), Flatten()),
        ("a", "b"),
    )
    model = build(spec, seed=0)
    image = drawing(np.random.default_rng(0), spec)
    assert E.gradcam(model, image).layer == "conv2"  # the last by default
    first = E.gradcam(model, image, layer="conv1")
    assert first.layer == "conv1" and first.layer_map.shape == (8, 8)
    with pytest.raises(SpecError, match="not a convolution layer"):
        E.gradcam(model, image, layer="pool1")
    with pytest.raises(SpecError, match="no layer called 'conv\\\\n9'"):
        E.gradcam(model, image, layer="conv\n9")


def occlusion_by_loop(model, image, c, patch, stride):
    """One forward pass per patch position, written plainly."""
    n = image.shape[-1]
    with torch.no_grad():
        base = float(model(torch.tensor(image)[None])[0, c])
    total, count = np.zeros((n, n)), np.zeros((n, n))
    starts = list(range(0, n - patch + 1, stride))
    if starts[-1] != n - patch:
        starts.append(n - patch)
    for r in starts:
        for q in starts:
            covered = image.copy()
            covered[:, r : r + patch, q : q + patch] = model.spec.value_range[0]
            with torch.no_grad():
                drop = base - float(model(torch.tensor(covered)[None])[0, c])
            total[r : r + patch, q : q + patch] += drop
            count[r : r + patch, q : q + patch] += 1
    return total / count


@pytest.mark.parametrize("patch,stride,cls", [(2, 1, None), (3, 2, 1), (4, 3, 0), (6, 6, 2)])
def test_occlusion_equals_a_loop_over_patches(patch, stride, cls):
    spec = small_spec(pad=1)
    model = build(spec, seed=5)
    image = drawing(np.random.default_rng(patch), spec)
    e = E.occlusion(model, image, cls, patch, stride)
    c = e.cls
    if cls is not None:
        assert c == cls
    np.testing.assert_allclose(
        e.map, occlusion_by_loop(model, image, c, patch, stride), rtol=1e-4, atol=1e-5
    )
    assert (e.patch, e.stride) == (patch, stride)


def test_occlusion_refuses_bad_patches_before_working():
    model = build(small_spec(), seed=0)
    image = np.zeros((2, 6, 6), np.float32)
    for patch, stride, words in [(0, 1, "patch size"), (7, 1, "patch size"), (2, 0, "stride")]:
        with pytest.raises(DataError, match=words):
            E.occlusion(model, image, None, patch, stride)
    assert E.default_patch(28) == (4, 2) and E.default_patch(9) == (2, 1)


def test_occlusion_stops_when_told():
    model = build(small_spec(), seed=0)
    image = np.zeros((2, 6, 6), np.float32)
    assert E.occlusion(model, image, None, 2, 1, should_stop=lambda: True) is None


@pytest.mark.parametrize("cls", [None, 1])
def test_saliency_equals_torch_autograd(cls):
    spec = NetworkSpec(
        "s",
        7,
        2,
        (0.0, 1.0),
        (Conv(2, 3), ReLU(), MaxPool(2, 2), Flatten(), Dense(5), ReLU()),
        ("a", "b", "c"),
    )
    model = build(spec, seed=2)
    image = np.random.default_rng(4).uniform(0, 1, (2, 7, 7)).astype(np.float32)
    x = torch.tensor(image)[None].requires_grad_(True)
    votes = model(x)[0]
    c = int(votes.argmax()) if cls is None else cls
    votes[c].backward()
    want = x.grad[0].abs().amax(0).numpy()
    e = E.saliency(model, image, cls)
    assert e.cls == c
    np.testing.assert_array_equal(e.map, want)


def test_classes_by_name_and_refusals():
    model = build(small_spec(), seed=0)
    image = np.zeros((2, 6, 6), np.float32)
    assert E.explain(model, image, "saliency", cls="b").cls == 1
    with pytest.raises(DataError, match="no class called 'z\\\\x00'"):
        E.explain(model, image, "saliency", cls="z\x00")
    with pytest.raises(DataError, match="out of range"):
        E.explain(model, image, "gradcam", cls=3)
    with pytest.raises(DataError, match="choose from occlusion"):
        E.explain(model, image, "lime")
    with pytest.raises(DataError, match="Grad-CAM"):
        E.explain(model, image, "occlusion", layer="conv1")
    with pytest.raises(DataError, match="takes 2x6x6"):
        E.explain(model, np.zeros((5, 5), np.float32), "saliency")


def test_every_method_on_the_bundled_networks_runs_inside_inference_mode():
    from convviz.core.bundled import preset_model

    model = preset_model("xo")
    image = np.full((9, 9), -1.0, np.float32)
    np.fill_diagonal(image, 1.0)
    with torch.inference_mode():  # the app traces inside inference mode
        for method in E.METHODS:
            e = E.explain(model, image, method)
            assert e.map.shape == (9, 9) and np.isfinite(e.map).all()
            assert e.class_name == "X"
