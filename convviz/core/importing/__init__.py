"""A person's own model, made in another tool, opened as a convviz network (issue 15).

`import_model(path, ...)` gives an `Imported`: the network's spec, its weights keyed by the
network's own state_dict names, and a short report of what was mapped to what. Nothing half
made: the spec is checked (`NetworkSpec.from_dict`, the resource budget) and the weights compared
with the network before anything is returned. ONNX (.onnx: onnx_*.py) and Keras (.keras and
legacy .h5: keras_*.py). A model that fits but is too large to show live raises ModelTooLarge,
which carries its architecture only (the spec, no weights) for the architecture view.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from ..errors import SpecError
from .inputs import (
    DEFAULT_RANGE,
    class_names,
    normalisation,
    parse_numbers,
    parse_range,
    read_classes_file,
    stated_range,
)
from .onnx_file import ModelRefused, ModelTooLarge

__all__ = [
    "Imported",
    "ModelRefused",
    "ModelTooLarge",
    "import_model",
    "parse_numbers",
    "parse_range",
    "read_classes_file",
]

SUFFIXES = (".onnx", ".keras", ".h5")


@dataclass
class Imported:
    spec: object  # NetworkSpec
    state: dict[str, np.ndarray]
    report: list[str]
    # what the file itself says about its pictures' range (its own Rescaling, Normalization or
    # Sub/Div at the input), None when it says nothing: then the window asks
    stated_range: tuple[float, float] | None = None
    suggested_range: tuple[float, float] = DEFAULT_RANGE  # the choice to preselect when asking
    classes_source: str = ""  # where the class names came from, in the report's words

    def model(self):
        """The ConvNet with the imported weights, in eval mode (WeightsError if they do not
        fit, which would be a bug here: the shapes were compared when importing)."""
        import torch

        from ..network import ConvNet
        from ..weights import check_fits

        if not self.state:
            name = self.spec.name  # type: ignore[attr-defined]
            raise ModelTooLarge(
                f"{name}: imported as its architecture only (too large to show live): "
                f"there are no weights to build it with"
            )
        net = ConvNet(self.spec)  # type: ignore[arg-type]
        own = net.state_dict()
        state = {
            k: torch.from_numpy(np.ascontiguousarray(v, np.float32)) for k, v in self.state.items()
        }
        for k, v in own.items():  # counters torch keeps that no file states
            if k not in state and k.endswith("num_batches_tracked"):
                state[k] = v
        check_fits(net, state, self.spec.name)  # type: ignore[attr-defined]
        net.load_state_dict(state)
        return net.eval()


def import_model(path, *, value_range=None, mean=None, std=None, classes=None) -> Imported:
    """The model at `path` as a convviz network, or ModelRefused with one line.

    value_range: (lo, hi); mean/std: one number or one a channel (inputs.py says how each is
    used); classes: the class names (else the file's metadata, else a labels.txt or
    classes.txt beside it, else numbers)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ModelRefused(f"{path}: convviz imports {', '.join(SUFFIXES)} models")
    from .onnx_import import network_parts

    if suffix in (".keras", ".h5"):
        from .keras_import import keras_steps

        (channels, rows, cols), steps, in_graph, too_large = keras_steps(path)
        graph: object = SimpleNamespace(path=path, too_large=too_large)
        metadata: dict[str, str] = {}
    else:
        from .onnx_file import read_onnx_graph
        from .onnx_import import walk

        onnx_graph = read_onnx_graph(path)
        (channels, rows, cols), steps, in_graph = walk(onnx_graph)
        graph, metadata = onnx_graph, onnx_graph.metadata
    vrange, first, first_params, range_note = normalisation(
        channels, value_range, mean, std, in_graph
    )
    layers, state, votes, placed = network_parts(graph, steps, first, first_params)
    names, source = class_names(votes.shape[0], classes, metadata, path)
    d = {
        "name": path.stem[:80] or "imported",
        "input_shape": [rows, cols],
        "channels": channels,
        "value_range": list(vrange),
        "layers": layers,
        "classes": names,
    }
    from ..spec import NetworkSpec

    try:
        spec = NetworkSpec.from_dict(d)
    except SpecError as e:
        raise ModelRefused(f"{path}: the network it makes does not fit convviz: {e}") from None
    said = stated_range(in_graph)
    imported = Imported(spec, state, [], said, said or DEFAULT_RANGE, source)
    imported.report = _report(spec, placed, first is not None, range_note, source)
    too_large = getattr(graph, "too_large", "")
    if too_large:  # the architecture only: its weights are dropped here, never handed on
        imported.state = {}
        imported.report.append(too_large.split(": ", 1)[1])
        raise ModelTooLarge(too_large, architecture=imported)
    return imported


def _part_lines(parts, rows) -> list[str]:
    """A residual block's inside, one line a node, under the block's own line."""
    lines = []
    for node, step, index in parts:
        what = f"{node.op_type} {node.name!r}"
        if index is None or index >= len(rows):
            lines.append(f"      {what} -> {step.note}")
        else:
            r = rows[index]
            lines.append(f"      {what} -> {r.name} ({'x'.join(map(str, r.shape))}): {step.note}")
    return lines


def _report(spec, placed, normalise_first: bool, range_note: str, source: str) -> list[str]:
    shapes = spec.shapes()
    lines = [
        f"{spec.name}: input {spec.channels}x{spec.rows}x{spec.cols} (channels x rows x "
        f"cols); {range_note}"
    ]
    if normalise_first:
        lines.append(f"  (added) -> {shapes[0].name}: per-channel normalisation")
    for node, step, index in placed:
        what = f"{node.op_type} {node.name!r}"
        if index is None:
            lines.append(f"  {what} -> {step.note}")
        else:
            s = shapes[index]
            lines.append(f"  {what} -> {s.name} ({'x'.join(map(str, s.shape))}): {step.note}")
            lines += _part_lines(step.parts, s.inside)
    from ..imageio import shown as escaped  # a name from a stranger's file: no control codes

    shown = ", ".join(map(escaped, spec.classes[:12])) + (", ..." if len(spec.classes) > 12 else "")
    lines.append(f"classes ({source}): {shown}")
    return lines
