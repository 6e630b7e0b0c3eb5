"""convviz: watch a small convolutional neural network see, vote and learn."""

__version__ = "0.1.0"
