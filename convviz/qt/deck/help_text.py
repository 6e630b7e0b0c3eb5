"""The Help menu's words: what the app shows, in the order a lesson on CNNs introduces it."""

from __future__ import annotations

from html import escape

from convviz import __version__

from .. import theme
from .lesson import OUTLINE

# what the guide says about each idea of the lesson (lesson.OUTLINE gives the order and titles)
GUIDE: dict[str, str] = {
    "picture": (
        "The canvas is the network's whole world: a small square of pixels, each one a number. "
        "Ink is high, background is low (the classroom X/O network uses +1 and −1). Computers "
        "compare these numbers literally, so a drawing moved by a single pixel can look "
        "completely different to a naive program. The <i>trickier cases</i> buttons under the "
        "toolbar shift, turn, resize, thicken and thin your drawing so you can see how the "
        "network copes."
    ),
    "filtering": (
        "Instead of comparing whole pictures, the network looks for small pieces, called "
        "<i>features</i>: a short diagonal, a corner, a crossing. To test one spot, lay the "
        "feature over the picture, multiply each pair of pixels that line up, add the products "
        "and divide by how many pixels the feature has. A perfect match scores 1; a perfect "
        "mismatch scores −1."
    ),
    "convolution": (
        "Sliding a feature to every position and writing down each score gives a new grid, a "
        "<i>feature map</i>: bright where the feature was found. A convolution layer does this "
        "for several features at once and stacks the maps. The <b>Feature maps</b> panel shows "
        "them (orange above zero, blue below, dark near zero; hover to read a value, click to "
        "enlarge). The <b>Features</b> panel shows the features themselves."
    ),
    "pooling": (
        "Pooling walks a small window (often 2×2, moving 2 at a time) across each map and keeps"
        " only the largest value in each window. The maps get smaller, and a feature still "
        "counts when it sits a pixel to one side: a step towards ignoring small shifts."
    ),
    "relu": (
        "A rectified linear unit replaces every negative number with zero and leaves the rest "
        "alone. It keeps the arithmetic from drifting and lets the next layer look only at "
        "where features were found. In the maps, the blue simply disappears. Other networks "
        "use a leaky ReLU (negatives shrink instead of vanishing), a sigmoid (everything "
        "squeezed between 0 and 1) or tanh (between -1 and 1); the Activations panel draws "
        "each one's curve."
    ),
    "stacking": (
        "The output of one layer is a stack of pictures, so it can be fed to another layer. "
        "Convolution, ReLU and pooling are repeated: early layers find strokes and edges, later"
        " ones find combinations of them, and the maps become smaller and more abstract."
    ),
    "votes": (
        "At the end, the small maps are laid out in one long list, and every value in it votes "
        "for every class, strongly or weakly, for or against, according to its weight. The "
        "<b>Votes</b> panel adds the votes up (switch to probabilities to see them as shares of"
        " certainty) and shows which values pushed hardest for and against the winner."
    ),
    "learning": (
        "Nobody types in the features or the voting weights. Training shows the network many "
        "labelled examples; for each one the error is the right answer minus the network's "
        "answer. Backpropagation works out, for every weight, whether nudging it up or down "
        "would shrink that error, and gradient descent nudges them all a little. Repeated "
        "thousands of times, the features in the <b>Features</b> panel take shape."
    ),
}


def guide_html() -> str:
    parts = [
        f"<h2 style='color:{theme.TEXT}'>How convviz shows a network think</h2>",
        f"<p style='color:{theme.MUTED}'>Draw on the canvas. Every panel follows your pen: "
        "the numbers flow from the picture on the left, through the layers, to the votes."
        "</p>",
    ]
    for i, (key, title) in enumerate(OUTLINE, 1):
        parts.append(f"<h3 style='color:{theme.ACCENT}'>{i}. {title}</h3><p>{GUIDE[key]}</p>")
    parts.append(
        f"<h3 style='color:{theme.ACCENT}'>Using the app</h3><p>Left button draws, right button "
        "erases; Ctrl+Z and Ctrl+Shift+Z undo and redo whole strokes. Drop a picture on the "
        "canvas or use File ▸ Open image. Model ▸ Preset switches between the networks below. "
        "Every panel is a dock: drag it, stack it, float it, close it; View brings it back, "
        "and View ▸ Reset layout tidies up.</p>"
    )
    parts.append(presets_html())
    return "\n".join(parts)


def presets_html() -> str:
    """Every preset with its own help text (core/presets.py declares it, once)."""
    from convviz.core.presets import PRESETS

    items = "".join(
        f"<li><b>{escape(p.title)}</b>: {escape(p.help)}</li>" for p in PRESETS.values()
    )
    return f"<h3 style='color:{theme.ACCENT}'>The networks (Model ▸ Preset)</h3><ul>{items}</ul>"


def about_html() -> str:
    return (
        f"<h2>convviz {__version__}</h2><p>Watch a small convolutional neural network see, "
        "vote and learn, as you draw.</p><p>The lesson order follows Brandon Rohrer's "
        "<i>How Convolutional Neural Networks Work</i>.</p><p>Built with PySide6, "
        "pyqtgraph, NumPy and PyTorch. MIT licence.</p>"
    )
