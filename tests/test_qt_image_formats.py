"""One list of image formats: the open-file dialog and the canvas's drop check offer exactly
what the decoder reads (convviz.core.imageio), so a file offered is never refused for its kind."""

import re

from PySide6.QtCore import QMimeData, QUrl

from convviz.core.imageio import IMAGE_SUFFIXES
from convviz.qt.widgets.canvas_widget import CanvasWidget
from convviz.qt.window_files import IMAGE_FILTER


class _Drop:
    def __init__(self, path):
        self._data = QMimeData()
        self._data.setUrls([QUrl.fromLocalFile(path)])

    def mimeData(self):  # Qt's name, read by the widget
        return self._data


def test_the_open_dialog_offers_exactly_the_decoders_suffixes():
    offered = set(re.findall(r"\*(\.\w+)", IMAGE_FILTER))
    assert offered == set(IMAGE_SUFFIXES)
    assert ".pgm" not in offered and ".ppm" not in offered  # offered once, then refused


def test_a_drop_is_taken_only_for_a_suffix_the_decoder_reads(tmp_path):
    for suffix in sorted(IMAGE_SUFFIXES):
        assert CanvasWidget._image_path(_Drop(str(tmp_path / f"a{suffix.upper()}")))
    for refused in (".pgm", ".ppm", ".txt", ".safetensors"):
        assert CanvasWidget._image_path(_Drop(str(tmp_path / f"a{refused}"))) is None
