"""A Keras model file read as data: a Keras 3 `.keras` zip (config.json and model.weights.h5)
or a legacy `.h5` file (HDF5 whose `model_config` attribute is the config, its numbers under
model_weights/). Sizes are judged before reading; the config is JSON read within bounds and never
deserialised (a Lambda layer's code is text that is never run); the numbers are HDF5 datasets read
with h5py after their shapes are judged, and a link to another file (HDF5 external links, virtual
or external datasets) is refused on every step of the way. TensorFlow is not needed.
"""

from __future__ import annotations

import io
import math
import os
import zipfile
from pathlib import Path

import numpy as np

from ..limits import (
    IMPORT_ARCHITECTURE_MAX_PARAMETERS,
    IMPORT_MAX_FILE_BYTES,
    IMPORT_MAX_PARAMETERS,
    MAX_SPEC_JSON_BYTES,
)
from ..spec_json import loads_bounded, open_regular
from .onnx_file import ModelRefused


def _member(z: zipfile.ZipFile, name: str, limit: int, path: Path) -> bytes:
    try:
        info = z.getinfo(name)
    except KeyError:
        raise ModelRefused(f"{path}: not a Keras model (no {name} in it)") from None
    if info.file_size > limit:
        raise ModelRefused(
            f"{path}: its {name} is {info.file_size:,} bytes; the limit is {limit:,}"
        )
    return z.read(name)


def read_keras(path: Path):
    """(config dict, the weights' h5py File); ModelRefused for anything else."""
    try:
        with _opened(path) as f, zipfile.ZipFile(f) as z:
            config = loads_bounded(
                _member(z, "config.json", MAX_SPEC_JSON_BYTES, path),
                f"{path}: its config.json",
                ModelRefused,
            )
            weights = _member(z, "model.weights.h5", IMPORT_MAX_FILE_BYTES, path)
    except (zipfile.BadZipFile, EOFError):
        raise ModelRefused(
            f"{path}: not a Keras model, or the file is damaged or truncated"
        ) from None
    except OSError as e:
        raise ModelRefused(f"{path}: cannot read it ({e.strerror or type(e).__name__})") from None
    h5py = _h5py(path)
    try:
        h5 = h5py.File(io.BytesIO(weights), "r")
    except Exception:  # noqa: BLE001 - h5py raises OSError and others for damaged data
        raise ModelRefused(f"{path}: its weights are damaged or truncated") from None
    if not isinstance(config, dict):
        raise ModelRefused(f"{path}: its config.json is not a model description")
    return config, h5


class KerasWeights:
    """Each layer's numbers by (layer name, index), their shapes judged before any is read.

    `where(layer, i)` gives the dataset's path inside the file: a .keras file names a layer by
    its class and place (layers/conv2d_1/vars/0), a legacy .h5 file by its name and the group's
    weight_names (model_weights/NAME/NAME/kernel:0). Every link on the way is checked."""

    def __init__(self, path: Path, h5, where):
        self.path, self.h5, self.where, self.total = path, h5, where, 0

    def _checked(self, where: str):
        import h5py

        parts = where.split("/")
        for k in range(1, len(parts) + 1):
            link = self.h5.get("/".join(parts[:k]), getlink=True)
            if link is None:
                raise ModelRefused(
                    f"{self.path}: its weights have no {where[:80]!r}; the file is "
                    f"damaged or from another Keras version"
                )
            if not isinstance(link, h5py.HardLink):
                raise ModelRefused(
                    f"{self.path}: refused: {where[:80]!r} points to another file "
                    f"or place; convviz reads only what is inside the model"
                )
        return self.h5.get(where)

    def too_large(self) -> str:
        """The line saying the model is too large to show live ("" when it is not). Up to
        IMPORT_ARCHITECTURE_MAX_PARAMETERS its numbers are still read (no more than that many:
        each shape is judged first), so that its architecture can be shown, as for ONNX."""
        if self.total <= IMPORT_MAX_PARAMETERS:
            return ""
        return (
            f"{self.path}: too large to show live: the model has {self.total:,} parameters; "
            f"convviz shows and trains models of up to {IMPORT_MAX_PARAMETERS:,} (its "
            f"architecture can still be shown, without the weights)"
        )

    def var(self, layer: str, i: int) -> np.ndarray:
        import h5py

        where = self.where(self, layer, i)
        ds = self._checked(where)
        if not isinstance(ds, h5py.Dataset) or ds.is_virtual or ds.external:
            raise ModelRefused(
                f"{self.path}: refused: {where[:80]!r} is not numbers stored in the model"
            )
        if ds.shape is None:  # an HDF5 "null" dataspace: no numbers at all
            raise ModelRefused(f"{self.path}: {where[:80]!r} holds no numbers")
        self.total += math.prod(ds.shape)
        if self.total > IMPORT_ARCHITECTURE_MAX_PARAMETERS:
            raise ModelRefused(
                f"{self.path}: the model has more than "
                f"{IMPORT_ARCHITECTURE_MAX_PARAMETERS:,} parameters; convviz shows models of "
                f"up to {IMPORT_MAX_PARAMETERS:,}"
            )
        if ds.dtype.kind != "f":
            raise ModelRefused(f"{self.path}: {where[:80]!r} holds {ds.dtype} numbers")
        a = np.asarray(ds[()], np.float32)
        if not np.isfinite(a).all():
            raise ModelRefused(f"{self.path}: {where[:80]!r} holds values that are not finite")
        return a


def keras_where(names: dict[str, str]):
    def where(w: KerasWeights, layer: str, i: int) -> str:
        return f"layers/{names.get(layer, layer)}/vars/{i}"

    return where


def h5_where(w: KerasWeights, layer: str, i: int) -> str:
    group = w._checked(f"model_weights/{layer}")
    names = group.attrs.get("weight_names", []) if group is not None else []
    if i >= len(names) or len(names) > 64:
        raise ModelRefused(
            f"{w.path}: its weights for {layer[:60]!r} are not all there; the file is damaged"
        )
    name = names[i].decode() if isinstance(names[i], bytes) else str(names[i])
    return f"model_weights/{layer}/{name}"


def _h5py(path: Path):
    try:
        import h5py
    except ImportError:
        raise ModelRefused(
            f"{path}: opening Keras files needs the package h5py (pip install "
            f"h5py, or convviz[keras])"
        ) from None
    return h5py


def _opened(path: Path):
    """The model file, opened only when it is a plain file (a FIFO or /dev/zero named x.keras
    waited or read for ever) of at most IMPORT_MAX_FILE_BYTES, judged before a byte is read."""
    f = open_regular(path, ModelRefused)
    size = os.fstat(f.fileno()).st_size
    if size > IMPORT_MAX_FILE_BYTES:
        f.close()
        raise ModelRefused(
            f"{path}: a model file of {size:,} bytes; convviz opens models "
            f"up to {IMPORT_MAX_FILE_BYTES:,} bytes"
        )
    return f


def read_h5(path: Path):
    """(config dict, the open h5py File) of a legacy Keras .h5 model; ModelRefused otherwise.
    The file is read whole (at most IMPORT_MAX_FILE_BYTES), as a .keras file's weights are."""
    try:
        with _opened(path) as f:
            data = f.read(IMPORT_MAX_FILE_BYTES + 1)
    except OSError as e:
        raise ModelRefused(f"{path}: cannot read it ({e.strerror or type(e).__name__})") from None
    h5py = _h5py(path)
    try:
        h5 = h5py.File(io.BytesIO(data), "r")
    except Exception:  # noqa: BLE001 - h5py raises OSError and others for damaged data
        raise ModelRefused(
            f"{path}: not a Keras .h5 model, or the file is damaged or truncated"
        ) from None
    try:
        text = h5.attrs.get("model_config")
        if text is None:
            raise ModelRefused(
                f"{path}: an HDF5 file without a model_config: weights only, or not a Keras "
                f"model (save the whole model, model.save('model.keras'))"
            )
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        if not isinstance(text, str) or len(text) > MAX_SPEC_JSON_BYTES:
            raise ModelRefused(f"{path}: its model_config is not text of a bounded size")
        config = loads_bounded(text, f"{path}: its model_config", ModelRefused)
        if not isinstance(config, dict):
            raise ModelRefused(f"{path}: its model_config is not a model description")
    except BaseException:
        h5.close()
        raise
    return config, h5


def class_based_names(layers: list) -> dict[str, str]:
    """Layer name -> the name a .keras weights file keeps it under: by its class and place, the
    first Conv2D layers/conv2d, the second layers/conv2d_1 (Keras's saving_lib), in config order."""
    import re

    seen: dict[str, int] = {}
    names = {}
    for layer in layers:
        cls = str(layer.get("class_name"))
        if cls == "InputLayer":
            continue
        snake = re.sub(r"([a-z])([A-Z])", r"\1_\2", re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", cls))
        snake = snake.lower()
        k = seen[snake] = seen.get(snake, -1) + 1
        name = str(layer.get("name") or (layer.get("config") or {}).get("name") or cls)
        names[name] = snake + (f"_{k}" if k else "")
    return names
