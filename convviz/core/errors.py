"""Errors that carry a one-line message meant for the person using convviz.

The command line prints them as `convviz: error: ...` and exits non-zero; the app shows them in a
dialog. Anything else escaping is a bug.
"""


class ConvvizError(Exception):
    """Base class: str(error) is a complete, one-line explanation."""


class SpecError(ConvvizError):
    """A network description whose layers do not fit together."""


class DataError(ConvvizError):
    """An image, grid or labelled folder that cannot be used."""


class WeightsError(ConvvizError):
    """A weights file that cannot be read, written, or does not fit the model."""
