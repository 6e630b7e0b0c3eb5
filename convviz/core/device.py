"""Which device runs the network: `auto` takes CUDA, then Apple's MPS, then the CPU."""

from __future__ import annotations

import torch

from .errors import ConvvizError

CHOICES = ("auto", "cpu", "cuda", "mps")


def _mps_ok() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps and mps.is_available())


def available_devices() -> list[str]:
    """The device names present on this machine, 'cpu' always among them."""
    found = ["cpu"]
    if torch.cuda.is_available():
        found.append("cuda")
    if _mps_ok():
        found.append("mps")
    return found


def resolve_device(name: str = "auto") -> torch.device:
    name = (name or "auto").lower()
    if name not in CHOICES:
        raise ConvvizError(f"unknown device {name!r} (choose from {', '.join(CHOICES)})")
    present = available_devices()
    if name == "auto":
        name = "cuda" if "cuda" in present else "mps" if "mps" in present else "cpu"
    elif name not in present:
        raise ConvvizError(f"device {name!r} is not available here (found: {', '.join(present)})")
    return torch.device(name)


def describe(device: torch.device) -> str:
    """A short human name, e.g. 'CUDA (NVIDIA H100)' or 'CPU (2 threads)'."""
    if device.type == "cuda":
        return f"CUDA ({torch.cuda.get_device_name(device)})"
    if device.type == "mps":
        return "MPS (Apple GPU)"
    n = torch.get_num_threads()
    return f"CPU ({n} thread{'s' if n != 1 else ''})"
