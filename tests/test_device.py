"""Devices: auto picks what is there; asking for what is not gives a clear message; the same
numbers on a GPU as on the CPU (the GPU test skips without one)."""

import numpy as np
import pytest
import torch

from convviz.core.device import CHOICES, available_devices, describe, resolve_device
from convviz.core.errors import ConvvizError
from convviz.core.network import build
from convviz.core.presets import PRESETS, preset
from convviz.core.shapes_data import make_arrays
from convviz.core.training import TrainConfig, train

HAS_CUDA = torch.cuda.is_available()


def test_cpu_is_always_there():
    assert available_devices()[0] == "cpu"
    assert resolve_device("cpu") == torch.device("cpu")
    assert describe(torch.device("cpu")).startswith("CPU (")


def test_auto_picks_the_best_present_device():
    found = available_devices()
    want = "cuda" if "cuda" in found else "mps" if "mps" in found else "cpu"
    assert resolve_device("auto").type == want
    assert resolve_device(None).type == want and resolve_device("").type == want
    assert resolve_device("AUTO").type == want


@pytest.mark.skipif(HAS_CUDA, reason="this machine has CUDA")
def test_auto_is_cpu_without_a_gpu(monkeypatch):
    monkeypatch.setattr("convviz.core.device._mps_ok", lambda: False)
    assert resolve_device("auto") == torch.device("cpu")


def test_an_absent_device_is_refused_clearly(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr("convviz.core.device._mps_ok", lambda: False)
    for name in ("cuda", "mps"):
        with pytest.raises(ConvvizError) as info:
            resolve_device(name)
        msg = str(info.value)
        assert msg == f"device {name!r} is not available here (found: cpu)"
    with pytest.raises(
        ConvvizError,
        match=r"unknown device 'tpu' \(choose from auto, cpu, cuda, "
        r"mps\)",
    ):
        resolve_device("tpu")
    assert set(CHOICES) == {"auto", "cpu", "cuda", "mps"}


def test_training_on_an_absent_device_fails_before_touching_the_model(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    model = build(preset("xo"))
    before = model.snapshot()
    x, y = make_arrays(("X", "O"), 2, 9)
    with pytest.raises(ConvvizError, match="not available"):
        train(model, x, y, TrainConfig(device="cuda"))
    assert all(np.array_equal(before[k], v) for k, v in model.snapshot().items())


@pytest.mark.gpu
@pytest.mark.skipif(not HAS_CUDA, reason="needs a CUDA GPU")
# square grayscale presets: this test draws square sample shapes (the others' data differ)
@pytest.mark.parametrize(
    "name",
    sorted(n for n in PRESETS if preset(n).channels == 1 and preset(n).rows == preset(n).cols),
)
def test_cuda_trace_and_training_match_the_cpu(name):
    torch.backends.cudnn.allow_tf32 = False  # compare plain float32 with plain float32
    torch.backends.cuda.matmul.allow_tf32 = False
    assert describe(resolve_device("cuda")).startswith("CUDA (")
    spec = preset(name)
    n = spec.input_size
    image = np.random.default_rng(0).uniform(-1, 1, (n, n)).astype(np.float32)
    cpu = build(spec, seed=1)
    gpu = build(spec, seed=1).to("cuda")
    t_cpu, t_gpu = cpu.trace(image), gpu.trace(image)
    for i, (a, b) in enumerate(zip(t_cpu.layers, t_gpu.layers, strict=True)):
        assert a.name == b.name and a.values.shape == b.values.shape
        np.testing.assert_allclose(b.values, a.values, atol=1e-4, rtol=1e-4, err_msg=a.name)
        if a.kind == "pool":  # ties (all-zero windows after ReLU) may pick another pixel, but
            src = t_gpu.input_of(i)  # every winner must hold its window's maximum
            c, h, w = src.shape
            picked = np.take_along_axis(src.reshape(c, h * w), b.winners.reshape(c, -1), 1)
            np.testing.assert_array_equal(picked.reshape(b.values.shape), b.values)
    # a few training batches on each device, from the same start. A tiny learning rate: Adam
    # moves every weight by about lr per step whatever the gradient's size, so a gradient near
    # zero whose sign differs between devices could otherwise differ by 2 * lr per step.
    x, y = make_arrays(spec.classes, 8, n, seed=2, value_range=spec.value_range)
    cfg = dict(epochs=1, batch_size=16, lr=1e-5, val_split=0, seed=3)
    r_cpu = train(cpu, x, y, TrainConfig(device="cpu", **cfg))
    r_gpu = train(gpu, x, y, TrainConfig(device="cuda", **cfg))
    assert r_gpu.status == r_cpu.status == "done" and "CUDA" in r_gpu.device
    assert gpu.device.type == "cuda"
    assert abs(r_gpu.epochs[0].train_loss - r_cpu.epochs[0].train_loss) < 1e-4
    a, b = cpu.snapshot(), gpu.snapshot()
    start = build(spec, seed=1).snapshot()
    assert any(not np.array_equal(a[k], start[k]) for k in a)  # training moved the weights
    for k in a:
        np.testing.assert_allclose(b[k], a[k], atol=1e-4, rtol=1e-4, err_msg=k)
    np.testing.assert_allclose(gpu.trace(image).votes, cpu.trace(image).votes, atol=1e-4, rtol=1e-4)
