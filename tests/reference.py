"""Pieces several tests share: where pooling windows start (the float64 references' rule) and
the rectangular colour network the rectangular-input tests use."""

from __future__ import annotations

from convviz.core.spec import Conv, Dense, Flatten, MaxPool, NetworkSpec, ReLU


def window_starts(n, window, stride):
    """Starts of the pooling windows along one axis: every start inside the map, until one window
    has reached the end (so a window hanging over the edge counts, and none starts outside)."""
    starts = []
    s = 0
    while s < n:
        starts.append(s)
        if s + window >= n:
            break
        s += stride
    return starts


def rect_spec(channels: int = 3, hidden: int | None = None) -> NetworkSpec:
    """11 rows x 16 cols; a 3x5 feature at stride (2, 1) with padding (1, 2); a 2x3 pooling
    window at stride (2, 2) that hangs over the bottom edge (6 rows -> 3, 16 -> 8); then, with
    `hidden`, a fully connected layer of that many neurons and ReLU (long per-dimension
    formulas on both sized layers)."""
    head = (Dense(hidden), ReLU()) if hidden else ()
    return NetworkSpec(
        "rect",
        (11, 16),
        channels,
        (-1.0, 1.0),
        (
            Conv(4, (3, 5), stride=(2, 1), padding=(1, 2)),
            ReLU(),
            MaxPool((2, 3), 2),
            Flatten(),
            *head,
        ),
        ("a", "b", "c"),
    )
