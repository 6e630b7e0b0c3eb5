"""The networks of the lesson's later pages: colour, any input shape, a real network's sizes
(the CS231n demo with its hand-set numbers, Tiny VGG, a small ResNet, AlexNet, the spectrogram
network). Declared as presets in presets.py."""

from __future__ import annotations

import numpy as np

from .layers import BatchNorm, GlobalAvgPool, Residual
from .presets_first_pages import SHAPE_CLASSES
from .sounds_data import SOUND_CLASSES
from .spec import Conv, Dense, Flatten, MaxPool, NetworkSpec, ReLU

# The CS231n demo's numbers in its own style (small whole numbers: inputs 0..2, weights -1..1,
# the first filter's bias 1, the second's 0). [filter][channel][row][col], channels R, G, B.
CS231N_FILTERS = (
    (
        ((1, 0, -1), (0, 1, 0), (-1, 0, 1)),
        ((0, 1, 0), (1, -1, 1), (0, 1, 0)),
        ((-1, -1, 0), (0, 0, 0), (0, 1, 1)),
    ),
    (
        ((0, 1, 1), (-1, 0, 1), (-1, -1, 0)),
        ((1, 0, 0), (0, -1, 0), (0, 0, 1)),
        ((0, -1, 0), (1, 1, -1), (0, 1, 0)),
    ),
)
CS231N_BIASES = (1, 0)
# An input in the demo's style: 3 channels of 5x5, values 0, 1 or 2 ([channel][row][col]).
CS231N_INPUT = (
    ((0, 1, 2, 0, 1), (2, 2, 0, 1, 0), (1, 0, 0, 2, 2), (0, 1, 1, 0, 2), (2, 0, 1, 1, 0)),
    ((1, 0, 2, 2, 0), (0, 1, 1, 0, 2), (2, 2, 0, 1, 1), (1, 0, 2, 0, 0), (0, 2, 1, 2, 1)),
    ((2, 1, 0, 0, 1), (1, 2, 2, 0, 0), (0, 0, 1, 2, 1), (2, 1, 0, 1, 2), (1, 1, 2, 0, 0)),
)
CS231N_CLASSES = ("map 1", "map 2")
ALEXNET_CLASSES = tuple(f"class {i}" for i in range(1, 11))


def cs231n() -> NetworkSpec:
    return NetworkSpec(
        name="cs231n",
        input_shape=(5, 5),
        channels=3,
        value_range=(0.0, 2.0),
        layers=(Conv(2, 3, stride=2, padding=1), Flatten()),  # 5x5x3 -> 3x3x2 -> 18 values
        classes=CS231N_CLASSES,
    )


def cs231n_weights() -> dict[str, dict[str, np.ndarray]]:
    """The demo's filters and biases, and a head the demo does not have: "map 1" adds up the
    first map's nine values and "map 2" the second's, so the votes say which filter answered
    more strongly. {layer name: {"weight": ..., "bias": ...}}."""
    votes = np.zeros((2, 18), np.float32)
    votes[0, :9] = votes[1, 9:] = 1.0  # flatten keeps map 1's nine values first
    return {
        "conv1": {
            "weight": np.asarray(CS231N_FILTERS, np.float32),
            "bias": np.asarray(CS231N_BIASES, np.float32),
        },
        "votes": {"weight": votes, "bias": np.zeros(2, np.float32)},
    }


def tinyvgg() -> NetworkSpec:
    def block():  # CNN Explainer's Tiny VGG: two 3x3 convolutions (no padding), then pooling
        return (Conv(10, 3), ReLU(), Conv(10, 3), ReLU(), MaxPool(2, 2))

    return NetworkSpec(
        # -1..1 (not CNN Explainer's 0..1): a centred input trains far faster without batch
        # normalisation (measured: stuck at chance for 3 epochs on 0..1, see bundled.py)
        name="tinyvgg",
        input_shape=(64, 64),
        channels=3,
        value_range=(-1.0, 1.0),
        layers=(*block(), *block(), Flatten()),  # 64 -> 62 -> 60 -> 30 -> 28 -> 26 -> 13
        classes=SHAPE_CLASSES,
    )


def resnet() -> NetworkSpec:
    # Sizes halve with 4x4 features at stride 2, padding 1: (32 - 4 + 2)/2 + 1 = 16 is whole,
    # where ResNet's own 3x3 at stride 2 gives 15.5 by the lesson's formula (torch floors it).
    # Batch normalisation after each convolution, as ResNet has it: without it every run here
    # stayed at chance (the random background colours swamp the averaged maps); with it the
    # recipe reaches 99% in a few epochs.
    def block(features: int, stride: int = 1) -> Residual:
        first = (
            Conv(features, 3, padding=1) if stride == 1 else Conv(features, 4, stride=2, padding=1)
        )
        return Residual((first, BatchNorm(), ReLU(), Conv(features, 3, padding=1), BatchNorm()))

    return NetworkSpec(
        name="resnet",
        input_shape=(32, 32),
        channels=3,
        value_range=(-1.0, 1.0),
        layers=(
            Conv(16, 4, stride=2, padding=1),
            BatchNorm(),
            ReLU(),  # stem: 16 x 16 x 16
            block(16),
            ReLU(),  # skip: the input as it is
            block(32, stride=2),
            ReLU(),  # 32 x 8 x 8, 1x1 skip
            block(32, stride=2),
            ReLU(),  # 32 x 4 x 4, 1x1 skip
            GlobalAvgPool(),
        ),  # 32 values, then votes
        classes=SHAPE_CLASSES,
    )


def alexnet() -> NetworkSpec:
    return NetworkSpec(
        name="alexnet",
        input_shape=(227, 227),
        channels=3,
        value_range=(0.0, 1.0),
        layers=(
            Conv(96, 11, stride=4),
            ReLU(),
            MaxPool(3, 2),  # 55x55x96 -> 27
            Conv(256, 5, padding=2),
            ReLU(),
            MaxPool(3, 2),  # 27x27x256 -> 13
            Conv(384, 3, padding=1),
            ReLU(),  # 13x13x384
            Conv(384, 3, padding=1),
            ReLU(),
            Conv(256, 3, padding=1),
            ReLU(),
            MaxPool(3, 2),  # 13x13x256 -> 6
            Flatten(),
            Dense(4096),
            ReLU(),
            Dense(4096),
            ReLU(),
        ),  # 9216 -> 4096 -> 4096
        classes=ALEXNET_CLASSES,
    )


def spectrogram() -> NetworkSpec:
    return NetworkSpec(
        # silence -1, the loudest band 1: centred, which trains far faster than 0..1 did
        name="spectrogram",
        input_shape=(32, 48),
        channels=1,
        value_range=(-1.0, 1.0),
        # each feature spans all 32 frequency bands and 3 moments, so it slides along time only
        layers=(
            Conv(16, (32, 3)),
            ReLU(),
            MaxPool((1, 2), (1, 2)),  # 16 x 1 x 46 -> 23
            Conv(16, (1, 3)),
            ReLU(),
            MaxPool((1, 2), (1, 2)),  # 16 x 1 x 21 -> 11
            Flatten(),
        ),
        classes=SOUND_CLASSES,
        input_kind="spectrogram",
    )
