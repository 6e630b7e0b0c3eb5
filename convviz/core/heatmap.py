"""An explanation's map as colours over the drawing: one recipe for the command line's picture
and the app's overlay, so both show the same thing.

The map is scaled by its largest absolute value, not stretched from its minimum: a map whose
values are all tiny stays faint instead of being blown up to full colour, and 0 always means
"did not matter". Negative values (covering a patch that raised the vote) are shown in blue.
"""

from __future__ import annotations

import numpy as np

HOT = np.array([255, 140, 0], np.float64)  # mattered for the class: orange, the app's accent
COLD = np.array([60, 130, 255], np.float64)  # covering it raised the vote: blue
STRENGTH = 0.75  # how opaque the colour is where the map is strongest


def normalised(m: np.ndarray) -> np.ndarray:
    """(H, W) -> (H, W) float32 in -1..1, divided by the largest |value| (non-finite -> 0)."""
    m = np.where(np.isfinite(m), m, 0.0).astype(np.float64)
    peak = float(np.abs(m).max()) if m.size else 0.0
    return (m / peak if peak > 0 else m).astype(np.float32)


def overlay_rgb(ink: np.ndarray, m: np.ndarray) -> np.ndarray:
    """ink (H, W) 0..1 (1 = ink, drawn white on black like the deck), map (H, W) ->
    (H, W, 3) uint8."""
    base = np.repeat(np.clip(ink, 0, 1)[..., None] * 255.0, 3, axis=2)  # (H, W, 3)
    n = normalised(m)[..., None]  # (H, W, 1)
    alpha = np.abs(n) * STRENGTH
    colour = np.where(n >= 0, HOT, COLD)  # (H, W, 3)
    return np.round(base * (1 - alpha) + colour * alpha).clip(0, 255).astype(np.uint8)


def overlay_rgba(m: np.ndarray) -> np.ndarray:
    """(H, W) map -> (H, W, 4) uint8 colours whose opacity follows the map: to lay over a
    drawing that is painted separately (the app's canvas)."""
    n = normalised(m)[..., None]  # (H, W, 1)
    rgb = np.where(n >= 0, HOT, COLD)  # (H, W, 3)
    alpha = np.abs(n) * STRENGTH * 255.0
    return np.concatenate([rgb, alpha], axis=2).round().clip(0, 255).astype(np.uint8)


def enlarged(rgb: np.ndarray, at_least: int = 256) -> np.ndarray:
    """Whole-pixel enlargement (nearest) so that a 28x28 map is big enough to see."""
    k = max(1, -(-at_least // max(rgb.shape[0], 1)))
    return np.repeat(np.repeat(rgb, k, axis=0), k, axis=1)
