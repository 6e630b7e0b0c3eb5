"""The networks convviz knows by name.

- xo: the deck's classroom network. A 9x9 picture in -1..1, the deck's three hand-made 3x3
  features (fixed), filtering that divides by 9, ReLU, 2x2 max pooling with stride 2 (7x7 -> 4x4),
  and a vote layer for X and O: 3 maps x 4 x 4 = 48 values, each with a vote.
- shapes: what the app opens with. A 28x28 drawing and two convolution/ReLU/pooling blocks, small
  enough to retrain in seconds on a laptop CPU, big enough to tell six drawn shapes apart.
- lenet5: the LeNet-5 layout from the layer-design lesson: 32x32 input, 6 features of 5x5
  (28x28), pooling to 14x14, 16 features of 5x5 (10x10), pooling to 5x5, then 120 and 84
  neurons. The lesson says the first pooling has "a kernel size of 4", but (28 - 4)/2 + 1 = 13,
  not the 14 it states; a 2x2 window with stride 2 gives 14, so that is what is used here.
- resnet: see resnet() (PRESET_HELP["resnet"]).
"""

from __future__ import annotations

import numpy as np

from .errors import SpecError
from .layers import GlobalAvgPool, Residual
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
        name="xo", input_shape=(9, 9), channels=1, value_range=(-1.0, 1.0),
        layers=(Conv(3, 3, divide=True, bias=False, fixed=fixed), ReLU(), MaxPool(2, 2),
                Flatten()),
        classes=("X", "O"),
    )


def shapes() -> NetworkSpec:
    return NetworkSpec(
        name="shapes", input_shape=(28, 28), channels=1, value_range=(-1.0, 1.0),
        layers=(Conv(8, 5, padding=2), ReLU(), MaxPool(2, 2),      # 8 x 14 x 14
                Conv(16, 5, padding=2), ReLU(), MaxPool(2, 2),     # 16 x 7 x 7
                Flatten(), Dense(64), ReLU()),                     # 784 -> 64
        classes=SHAPE_CLASSES,
    )


def lenet5() -> NetworkSpec:
    return NetworkSpec(
        name="lenet5", input_shape=(32, 32), channels=1, value_range=(-1.0, 1.0),
        layers=(Conv(6, 5), ReLU(), MaxPool(2, 2),                 # 6 x 28 x 28 -> 6 x 14 x 14
                Conv(16, 5), ReLU(), MaxPool(2, 2),                # 16 x 10 x 10 -> 16 x 5 x 5
                Flatten(), Dense(120), ReLU(), Dense(84), ReLU()),
        classes=SHAPE_CLASSES,
    )


def resnet() -> NetworkSpec:
    # Sizes halve with 4x4 features at stride 2, padding 1: (32 - 4 + 2)/2 + 1 = 16 is whole,
    # where ResNet's own 3x3 at stride 2 gives 15.5 by the lesson's formula (torch floors it).
    def block(features: int, stride: int = 1) -> Residual:
        first = Conv(features, 3, padding=1) if stride == 1 else \
            Conv(features, 4, stride=2, padding=1)
        return Residual((first, ReLU(), Conv(features, 3, padding=1)))

    return NetworkSpec(
        name="resnet", input_shape=(32, 32), channels=3, value_range=(-1.0, 1.0),
        layers=(Conv(8, 4, stride=2, padding=1), ReLU(),           # stem: 8 x 16 x 16
                block(8), ReLU(),                                  # skip: the input as it is
                block(16, stride=2), ReLU(),                       # 16 x 8 x 8, 1x1 skip
                block(32, stride=2), ReLU(),                       # 32 x 4 x 4, 1x1 skip
                GlobalAvgPool()),                                  # 32 values, then the votes
        classes=SHAPE_CLASSES,
    )


PRESET_HELP = {  # (other presets are described in this module's docstring)
    "resnet": "a small residual network on 32x32 colour shapes: a stem convolution that "
              "halves the size, three residual blocks (the second and third halve it again, "
              "with a 1x1 convolution on the skip path), global average pooling, the votes",
}

PRESETS = {"xo": xo, "shapes": shapes, "lenet5": lenet5, "resnet": resnet}
DEFAULT_PRESET = "shapes"


def preset(name: str) -> NetworkSpec:
    try:
        return PRESETS[name]()
    except KeyError:
        raise SpecError(f"unknown preset {name!r} (choose from {', '.join(PRESETS)})") from None
