"""What both parts of "What it learned" draw with: the blank, a kernel's colours, and putting a
picture on the canvas."""

from __future__ import annotations

import numpy as np

from ... import theme
from ...widgets.thumbnails import grey

BLANK = np.array([[[27, 31, 38]]], np.uint8)  # theme.PANEL: where there is nothing to show


def on_canvas(session, image: np.ndarray) -> None:
    """Put an image of the network's input shape ((C, H, W) or (H, W)) on the canvas."""
    session.canvas.set_input(grey(image))


def kernel_rgb(weight: np.ndarray) -> np.ndarray:
    """(C, k, k) weights -> (k, k, 3): their mean over the input maps, orange positive and
    blue negative on the kernels panel's symmetric scale."""
    w = np.asarray(weight, np.float32).reshape(-1, *np.shape(weight)[-2:]).mean(axis=0)
    top = float(np.abs(w).max()) or 1.0
    return theme.DIVERGING_LUT[np.round((w / top + 1) * 127.5).clip(0, 255).astype(int)]
