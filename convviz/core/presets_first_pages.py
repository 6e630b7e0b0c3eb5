"""The networks of the lesson's first pages, and their numbers: the deck's X or O (its three
hand-made features and its X picture), the sample shapes, LeNet-5. Declared as presets in
presets.py."""

from __future__ import annotations

import numpy as np

from .spec import Conv, Dense, Flatten, MaxPool, NetworkSpec, ReLU

# The deck's features, 1 = ink, -1 = background; order: diagonal down, crossing, diagonal up.
XO_FEATURES = (
    ((1, -1, -1), (-1, 1, -1), (-1, -1, 1)),
    ((1, -1, 1), (-1, 1, -1), (1, -1, 1)),
    ((-1, -1, 1), (-1, 1, -1), (1, -1, -1)),
)
XO_FEATURE_NAMES = ("diagonal down", "crossing", "diagonal up")

SHAPE_CLASSES = ("X", "O", "square", "triangle", "plus", "check")


def deck_x() -> np.ndarray:
    """The deck's X on the xo network's 9x9 grid, in its value range: ink (1) on both diagonals
    from one pixel in from the corners, background (-1) everywhere else. (9, 9) float32."""
    x = np.full((9, 9), -1.0, np.float32)
    for i in range(1, 8):
        x[i, i] = x[i, 8 - i] = 1.0
    return x


def xo() -> NetworkSpec:
    fixed = tuple(tuple(tuple(float(v) for v in row) for row in f) for f in XO_FEATURES)
    return NetworkSpec(
        name="xo",
        input_shape=(9, 9),
        channels=1,
        value_range=(-1.0, 1.0),
        layers=(Conv(3, 3, divide=True, bias=False, fixed=fixed), ReLU(), MaxPool(2, 2), Flatten()),
        classes=("X", "O"),
    )


def shapes() -> NetworkSpec:
    return NetworkSpec(
        name="shapes",
        input_shape=(28, 28),
        channels=1,
        value_range=(-1.0, 1.0),
        layers=(
            Conv(8, 5, padding=2),
            ReLU(),
            MaxPool(2, 2),  # 8 x 14 x 14
            Conv(16, 5, padding=2),
            ReLU(),
            MaxPool(2, 2),  # 16 x 7 x 7
            Flatten(),
            Dense(64),
            ReLU(),
        ),  # 784 -> 64
        classes=SHAPE_CLASSES,
    )


def lenet5() -> NetworkSpec:
    return NetworkSpec(
        name="lenet5",
        input_shape=(32, 32),
        channels=1,
        value_range=(-1.0, 1.0),
        layers=(
            Conv(6, 5),
            ReLU(),
            MaxPool(2, 2),  # 6 x 28 x 28 -> 6 x 14 x 14
            Conv(16, 5),
            ReLU(),
            MaxPool(2, 2),  # 16 x 10 x 10 -> 16 x 5 x 5
            Flatten(),
            Dense(120),
            ReLU(),
            Dense(84),
            ReLU(),
        ),
        classes=SHAPE_CLASSES,
    )
