"""The lesson's outline, once: its ideas in teaching order (Brandon Rohrer's "How Convolutional
Neural Networks Work"), each with its title. The Help guide (help_text) and the guided tour
(tour_steps) both follow it, each with its own words for each idea: the guide explains, the tour
points at the live app."""

from __future__ import annotations

# (key, title) in teaching order: picture, filtering, convolution, pooling, ReLU, stacking,
# fully connected votes, learning
OUTLINE: tuple[tuple[str, str], ...] = (
    ("picture", "A picture is a grid of numbers"),
    ("filtering", "Filtering: does this small piece match here?"),
    ("convolution", "A convolution layer: every feature, everywhere"),
    ("pooling", "Pooling: keep the strongest match nearby"),
    ("relu", "ReLU: negatives become zero"),
    ("stacking", "Stacking layers"),
    ("votes", "Fully connected: every value votes"),
    ("learning", "Learning: backpropagation"),
)
KEYS = tuple(key for key, _ in OUTLINE)
TITLES = dict(OUTLINE)
