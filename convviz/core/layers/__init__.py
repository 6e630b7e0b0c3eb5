"""Layer kinds: the registry (registry.py) and one module per built-in kind.

Importing this package registers the built-in kinds. A new kind is one new module here that
defines its dataclass and LayerKind and calls `register`, plus one import line below.
"""

from .avgpool import AvgPool
from .batchnorm import BatchNorm
from .conv import Conv
from .dense import Dense
from .dropout import Dropout
from .flatten import Flatten
from .gap import GlobalAvgPool
from .leakyrelu import LeakyReLU
from .maxpool import MaxPool
from .registry import (
    Field,
    LayerKind,
    Shape,
    description,
    kind_named,
    kind_names,
    kind_of,
    layer_from_dict,
    layer_to_dict,
    pair,
    register,
    square,
    unregister,
    words,
)
from .relu import ReLU
from .residual import Residual
from .sigmoid import Sigmoid
from .sizes import conv_out, pool_out
from .tanh import Tanh

__all__ = [
    "AvgPool",
    "BatchNorm",
    "Conv",
    "Dense",
    "Dropout",
    "Field",
    "Flatten",
    "LayerKind",
    "LeakyReLU",
    "MaxPool",
    "ReLU",
    "Shape",
    "Sigmoid",
    "Tanh",
    "conv_out",
    "description",
    "kind_named",
    "kind_names",
    "kind_of",
    "layer_from_dict",
    "layer_to_dict",
    "pair",
    "pool_out",
    "register",
    "square",
    "unregister",
    "words",
]
__all__ += ["GlobalAvgPool", "Residual"]  # gap.py, residual.py
