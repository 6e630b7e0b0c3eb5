"""What the guided tour says and sets up, one TourStep per idea, in the lesson's order: a picture
is numbers, filtering, a convolution layer, pooling, ReLU, stacking, votes, learning.

A step's `setup(window)` puts the live app in the state its words talk about and returns True
when done, or False when it must wait for the network (it is then run again after the next
trace). Setups only select and play: they never change the person's saved settings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from convviz.core.presets import deck_x, preset

from .lesson import TITLES

DECK_X = deck_x()  # the lesson's X in the xo network's value range (1 = ink, -1 = background)

CANVAS, TRAIN_MENU = "canvas", "train_menu"  # targets that are not docks
CROSSING = 1  # the xo network's crossing feature (diagonal down, crossing, diagonal up)


@dataclass(frozen=True)
class TourStep:
    title: str
    body: str  # rich text
    target: str  # a dock key, CANVAS or TRAIN_MENU: what the step points at
    setup: Callable[[object], bool] | None = None
    uses_xo: bool = False  # the step shows the xo network with the lesson's X on the canvas
    front: str | None = None  # a dock brought to the front too (the target is a menu)


# ---- setups ----------------------------------------------------------------------------------
def xo_loaded(window) -> bool:
    return window.session.spec == preset("xo")


def show_deck_x(window) -> bool:
    """Switch to the xo network (if needed) and put the lesson's X on the canvas. True once the
    network is ready (it loads in a thread in the app)."""
    s = window.session
    if not xo_loaded(window):
        s.load_preset("xo", background=window.background)
    if not np.array_equal(s.canvas.as_input(), DECK_X):
        s.canvas.set_input(DECK_X)  # one undo step: Ctrl+Z brings back the previous drawing
    return s.ready


def _ready_trace(window) -> bool:
    s = window.session
    return show_deck_x(window) and s.trace is not None and s.trace.layers[0].values.shape[1] == 7


def setup_filtering(window) -> bool:
    """The crossing feature lined up with the centre of the X (a perfect match: 1)."""
    if not _ready_trace(window):
        return False
    panel = window.panels["filtering"]
    panel.select("conv1", 0, CROSSING)
    if panel.stepper is None:
        return False
    panel.pause()
    ho, wo = panel.stepper.output.shape[-2:]
    panel.seek((ho // 2) * wo + wo // 2)
    return True


def setup_feature_maps(window) -> bool:
    if not _ready_trace(window):
        return False
    window.panels["feature_maps"].select_map("conv1", CROSSING)
    return True


def setup_pooling(window) -> bool:
    if not _ready_trace(window):
        return False
    panel = window.panels["pooling"]
    panel.select("pool1", CROSSING)
    if panel.stepper is None:
        return False
    panel.seek(0)
    panel.play()
    return True


def setup_relu(window) -> bool:
    if not _ready_trace(window):
        return False
    window.panels["relu"].select("relu1", CROSSING)
    return True


def setup_deck_x(window) -> bool:
    return show_deck_x(window)


# ---- the words (titles from the lesson's one outline, lesson.OUTLINE) -------------------------
STEPS: list[TourStep] = [
    TourStep(
        TITLES["picture"],
        "To the network the canvas is only a 9 × 9 table of numbers: <b>+1</b> where there is "
        "ink, <b>−1</b> where there is none. Here is the classroom X. A program that compared "
        "such tables cell by cell would call two X's different as soon as one moved by a "
        "single pixel. Try the ◀ ▶ ⟲ buttons above the canvas, then come back with Ctrl+Z.",
        CANVAS,
        setup_deck_x,
        uses_xo=True,
    ),
    TourStep(
        TITLES["filtering"],
        "A <i>feature</i> is a tiny picture; this one is the 3 × 3 crossing. Place it on a "
        "patch, multiply each pair of numbers lying on top of each other, add the nine products "
        "and divide by nine. At the centre of the X every pair agrees, so the score is "
        "<b>1</b>, a perfect match. Use the step buttons to send the feature elsewhere.",
        "filtering",
        setup_filtering,
        uses_xo=True,
    ),
    TourStep(
        TITLES["convolution"],
        "Scoring one feature at every position gives a new grid, a <i>feature map</i>, bright "
        "wherever the drawing looks like the feature. A convolution layer does this for each "
        "of its features (here two diagonals and the crossing) and stacks the maps. Click any "
        "map to see it large with its numbers.",
        "feature_maps",
        setup_feature_maps,
        uses_xo=True,
    ),
    TourStep(
        TITLES["pooling"],
        "A 2 × 2 window hops across each map two cells at a time and keeps only its largest "
        "value, so the 7 × 7 maps become 4 × 4. A good match still counts when it sits a cell "
        "to one side: a first step towards not caring exactly where something is drawn.",
        "pooling",
        setup_pooling,
        uses_xo=True,
    ),
    TourStep(
        TITLES["relu"],
        "A rectified linear unit turns every negative number into 0 and leaves the others as "
        "they are; red lines surround the cells it changes. That keeps the numbers tame as "
        "they pass through layer after layer. (In the network it sits right after filtering; "
        "the lesson simply introduces it after pooling.)",
        "relu",
        setup_relu,
        uses_xo=True,
    ),
    TourStep(
        TITLES["stacking"],
        "Every layer takes a stack of maps and hands on a stack of maps, so the layers fit "
        "together like bricks: filter, ReLU, pool, and again. Deeper blocks combine the simple "
        "features of earlier ones into larger patterns. This panel lists each layer and the "
        "shape it makes; open <i>Quick start</i> and raise <i>Convolution blocks</i> to watch "
        "the maps shrink, or edit the rows themselves (Apply only if you want that new "
        "network).",
        "architecture",
    ),
    TourStep(
        TITLES["votes"],
        "At the end the last maps are laid out as one long list, and each value casts a "
        "weighted vote for every answer. The answer with the largest total wins. This panel "
        "shows the totals and the values that pushed hardest for and against the winner. "
        "Such layers can be stacked too, as hidden layers.",
        "votes",
    ),
    TourStep(
        TITLES["learning"],
        "Apart from the classroom features, nobody chose these weights by hand. Training shows "
        "the network pictures whose answers are known and measures <b>error = right answer − "
        "actual answer</b>. Each feature pixel and voting weight is then moved a little in the "
        "direction that makes the error smaller, again and again. Start it from the "
        "<b>Train</b> menu; the Backprop panel shows the error for your drawing.",
        TRAIN_MENU,
        front="backprop",
    ),
]
