"""The networks convviz knows by name, each declared once: its layers, the words the Model menu,
the help and `convviz presets` show, and where its weights come from.

A preset is a `Preset`: `name`, `title` (the menu's line), `help` (a few sentences: what it is,
where it comes from in the lesson, what to look at), `make` (its NetworkSpec) and `weights`:

- "bundled": trained weights ship in resources/NAME.safetensors (`convviz bundle` makes them,
  core/bundled.py holds the recipes);
- "hand-set": the numbers are written out in this module (`hand_set`), as the lesson gives them;
- "none": the architecture only (the network can be built with random weights and traced).

Calling a Preset gives its spec, so `PRESETS[name]()` reads as it always has.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .errors import SpecError
from .layers import BatchNorm, GlobalAvgPool, Residual
from .sounds_data import SOUND_CLASSES
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


# ---- the lesson's later pages: colour, any input shape, a real network's sizes -------------------

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


# ---- the declarations ------------------------------------------------------------------------
WEIGHT_SOURCES = ("bundled", "hand-set", "none")


@dataclass(frozen=True)
class Preset:
    name: str
    title: str  # the Model menu's line
    help: str  # a few sentences for a person: what it is, where the lesson has it, what to see
    make: Callable[[], NetworkSpec]
    weights: str = "bundled"  # one of WEIGHT_SOURCES
    # the numbers of a "hand-set" preset: {layer name: {"weight"/"bias": array}}
    hand_set: Callable[[], dict[str, dict[str, np.ndarray]]] | None = None
    opens_in: str = ""  # the window's panel (a dock key) to bring forward when it opens, if any

    def __call__(self) -> NetworkSpec:
        return self.make()

    @property
    def in_window(self) -> bool:
        """Every preset shows in the window (it draws colour and rectangular inputs); kept for
        callers that still ask."""
        return True

    @property
    def weights_text(self) -> str:
        return {
            "bundled": "trained weights ship with convviz",
            "hand-set": "hand-set weights (the lesson's numbers)",
            "none": "architecture only: no trained weights ship (random ones when built)",
        }[self.weights]


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset(
            "xo",
            "X or O (9×9, the classroom example)",
            make=xo,
            help=(
                "The deck's classroom network. A 9x9 picture in -1..1 goes through the deck's "
                "three hand-made 3x3 features (diagonal down, crossing, diagonal up), which stay "
                "fixed; filtering divides by 9 so a perfect match gives 1. Then ReLU, 2x2 max "
                "pooling with stride 2 (7x7 becomes 4x4, a window hanging over the edge still "
                "counts) and a vote for X and O from the 3 x 4 x 4 = 48 pooled values. Watch which "
                "pooled cells light up for an X and which for an O."
            ),
        ),
        Preset(
            "shapes",
            "Shapes (28×28)",
            make=shapes,
            help=(
                "What the app opens with: a 28x28 drawing, two blocks of convolution, ReLU and max "
                "pooling (28 -> 14 -> 7), then 64 fully connected neurons and six votes (X, O, "
                "square, triangle, plus, check). It is small enough to retrain in seconds on a "
                "laptop and large enough to learn its own features. Compare its first-layer "
                "features with the deck's hand-made ones."
            ),
        ),
        Preset(
            "lenet5",
            "LeNet-5 (32×32)",
            make=lenet5,
            help=(
                "LeNet-5 from the lesson's list of famous networks: a 32x32 input, 6 features of "
                "5x5 (28x28), pooling to 14x14, 16 features of 5x5 (10x10), pooling to 5x5, then "
                "120 and 84 neurons before the votes. The lesson's first pooling has 'a kernel "
                "size of 4', but (28 - 4)/2 + 1 = 13, not the 14 it states; a 2x2 window with "
                "stride 2 gives 14, so that is what this preset uses. Trained here on the six "
                "sample shapes."
            ),
        ),
        Preset(
            "cs231n",
            "CS231n convolution demo (5×5×3)",
            make=cs231n,
            weights="hand-set",
            hand_set=cs231n_weights,
            help=(
                "The Stanford CS231n convolution demo the lesson sends you to: a 5x5 picture with "
                "3 colour channels, zero padding 1, two filters of 3x3x3 moved with stride 2, "
                "giving (5 - 3 + 2*1)/2 + 1 = 3, so two 3x3 maps. Each filter has one 3x3 grid per "
                "input channel, because a filter always spans the input's full depth. The weights "
                "are set by hand in the demo's style (whole numbers -1..1, biases 1 and 0). The "
                "two votes are not part of the demo: convviz needs a decision at the end, so 'map "
                "1' adds up the first map and 'map 2' the second. Trace one input and redo a cell "
                "with pencil and paper."
            ),
        ),
        Preset(
            "tinyvgg",
            "Tiny VGG (64×64×3, CNN Explainer's layout)",
            make=tinyvgg,
            help=(
                "The Tiny VGG layout that CNN Explainer draws, a small cousin of the lesson's "
                "VGGNet with its stacks of small filters: a 64x64 colour picture, then twice (10 "
                "features of 3x3, ReLU, 10 features of 3x3, ReLU, 2x2 max pooling), then the "
                "votes. With no padding each 3x3 convolution trims a pixel all round: 64, 62, 60, "
                "30, 28, 26, 13. Trained on the sample shapes drawn in random colours on random "
                "backgrounds, so the colour never gives the class away: the features must find the "
                "outline in any colour."
            ),
        ),
        Preset(
            "alexnet",
            "AlexNet (227×227×3, sizes only)",
            make=alexnet,
            weights="none",
            opens_in="architecture",  # its sizes are the point: its weights are random
            help=(
                "AlexNet's layer sizes from the lesson: a 227x227x3 input, five convolutions (96 "
                "of 11x11 at stride 4, then 256 of 5x5, 384, 384 and 256 of 3x3) with 3x3 max "
                "pooling at stride 2 after the first, second and fifth, then fully connected "
                "layers of 4096, 4096 and the votes. The first layer is the lesson's worked "
                "example: (227 - 11)/4 + 1 = 55, so 55x55x96, with 96 x 11 x 11 x 3 = 34,848 "
                "weights (+96 biases). Architecture only: no trained weights ship with convviz (it "
                "works offline and AlexNet's were trained on ImageNet), so it is built with random "
                "weights. It has 10 placeholder classes instead of ImageNet's 1000, and leaves out "
                "the original's dropout and local response normalisation. About 58 million "
                "parameters (233 MB as float32): look at the sizes with `convviz summary --preset "
                "alexnet` before building it."
            ),
        ),
        Preset(
            "spectrogram",
            "Sounds as pictures (32×48 spectrogram)",
            make=spectrogram,
            help=(
                "The deck's 'beyond images' case: a sound turned into a picture, 32 frequency "
                "bands (rows, low at the bottom) by 48 moments (columns, left to right). Each of "
                "the first 16 features is 32x3: it spans every frequency row, so it can only slide "
                "along time, and it answers to the sound's spectrum over three moments. A second "
                "convolution and pooling along time follow, then votes for rising, falling, steady "
                "and warbling tones. Trained on generated sounds (`convviz sounds`)."
            ),
        ),
        Preset(
            "resnet",
            "Small ResNet (32×32×3, skip connections)",
            make=resnet,
            help=(
                "A small residual network, the lesson's ResNet in miniature: a 32x32 colour "
                "picture, a stem convolution that halves the size, then three residual blocks, "
                "each adding its input back to what its two convolutions make. The second and "
                "third blocks halve the size again, so their skip path needs a 1x1 convolution to "
                "match; then global average pooling (each map's mean) and the votes. Batch "
                "normalisation follows each convolution, as in ResNet. Trained on the sample "
                "shapes in random colours. Trace it to see a block's inside, its skip path and the "
                "sum."
            ),
        ),
    )
}
DEFAULT_PRESET = "shapes"


def preset(name: str) -> NetworkSpec:
    try:
        return PRESETS[name]()
    except KeyError:
        raise SpecError(f"unknown preset {name!r} (choose from {', '.join(PRESETS)})") from None
