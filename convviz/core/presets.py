"""The networks convviz knows by name, each declared once: its layers, the words the Model menu,
the help and `convviz presets` show, and where its weights come from.

A preset is a `Preset`: `name`, `title` (the menu's line), `help` (a few sentences: what it is,
where it comes from in the lesson, what to look at), `make` (its NetworkSpec) and `weights`:

- "bundled": trained weights ship in resources/NAME.safetensors (`convviz bundle` makes them,
  core/bundled.py holds the recipes);
- "hand-set": the numbers are written out with the network (`hand_set`), as the lesson gives them;
- "none": the architecture only (the network can be built with random weights and traced).

Calling a Preset gives its spec, so `PRESETS[name]()` reads as it always has. The networks
themselves are built in presets_first_pages and presets_later_pages (the lesson's order); their
numbers (the deck's X, the classes, the CS231n demo's) are importable from here too, the one place
the app, the steppers and the tests read presets from.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .errors import SpecError
from .presets_first_pages import (
    SHAPE_CLASSES,
    XO_FEATURE_NAMES,
    XO_FEATURES,
    deck_x,
    lenet5,
    shapes,
    xo,
)
from .presets_later_pages import (
    CS231N_BIASES,
    CS231N_FILTERS,
    CS231N_INPUT,
    alexnet,
    cs231n,
    cs231n_weights,
    resnet,
    spectrogram,
    tinyvgg,
)
from .spec import NetworkSpec

__all__ = [
    "CS231N_BIASES",
    "CS231N_FILTERS",
    "CS231N_INPUT",
    "DEFAULT_PRESET",
    "PRESETS",
    "SHAPE_CLASSES",
    "WEIGHT_SOURCES",
    "XO_FEATURES",
    "XO_FEATURE_NAMES",
    "Preset",
    "deck_x",
    "preset",
]

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
