"""The Votes panel's names for the vote layer's inputs look through value-by-value layers."""

from convviz.core.layers import Dropout, LeakyReLU
from convviz.core.names import input_names
from convviz.core.spec import Conv, Dense, Flatten, NetworkSpec, ReLU


def _spec(layers):
    return NetworkSpec("n", 6, 1, (-1.0, 1.0), tuple(layers), ("a", "b"))


def test_a_hidden_layer_names_its_neurons_through_relu_and_dropout():
    names = input_names(_spec([Flatten(), Dense(5), ReLU(), Dropout(0.5)]))
    assert names == [f"fc1 neuron {k}" for k in range(1, 6)]


def test_map_cells_are_named_through_dropout_and_leaky_relu_after_flatten():
    names = input_names(_spec([Conv(2, 3), LeakyReLU(), Flatten(), Dropout(0.2)]))
    assert len(names) == 2 * 4 * 4
    assert names[0] == "leakyrelu1 map 1 (1,1)" and names[-1] == "leakyrelu1 map 2 (4,4)"
