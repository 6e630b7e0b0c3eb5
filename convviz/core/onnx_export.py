"""Export a ConvNet to ONNX, written atomically as one self-contained file.

The file takes `input` (N, C, H, W) float32 in the spec's value range, with any batch size N,
and gives `votes` (N, classes): the same numbers as `model(x)` (onnxruntime agrees with torch
within 1e-5). The network's spec (JSON) and anything in `metadata` go into the model's
metadata_props as strings, so another tool can tell what the classes are.

Writes go to a temporary file beside the target, then replace it in one step: a failure leaves
no partial file and keeps an existing file intact. The weights are stored inside the file
(`external_data=False`): no side `.data` file.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import logging
import os
import tempfile
import warnings
from pathlib import Path

from .errors import WeightsError
from .new_files import give_new_file_mode

OPSET = 18


def export_onnx(model, path, metadata: dict[str, str] | None = None) -> Path:
    """Write `model` (a ConvNet) to `path` as ONNX. Raises WeightsError with one line."""
    import torch

    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise WeightsError(f"cannot write {path}: the folder {folder} does not exist")
    try:
        import onnx  # noqa: F401  (the dynamo exporter needs onnx and onnxscript)
        import onnxscript  # noqa: F401
    except ImportError as e:
        raise WeightsError(
            f"ONNX export needs the packages onnx and onnxscript ({e.name} is "
            f"missing): pip install onnx onnxscript"
        ) from None

    # A CPU copy in eval mode: the model the app shows (or trains) is never touched.
    cpu = copy.deepcopy(model).to("cpu").eval()
    spec = cpu.spec
    example = torch.zeros(2, spec.channels, spec.rows, spec.cols)
    try:  # a read-only folder, a full disk, a name too long: one line, as for any write
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as e:
        raise WeightsError(f"cannot write {path}: {e.strerror or e}") from None
    os.close(fd)
    try:
        with (
            warnings.catch_warnings(),
            contextlib.redirect_stdout(io.StringIO()),
            _quiet("torch.onnx"),
            _quiet("torch.export"),
            _quiet("onnxscript"),
        ):
            warnings.simplefilter("ignore")  # the exporter's chatter is not for the app's user
            program = _export(torch, cpu, example, optimize=True)
            # the optimizer may fold one layer's numbers into another's (batch normalisation
            # into the convolution before it, under the convolution's name): such a file could
            # not be opened back, so it is made again unoptimised, every tensor under its name
            if not set(cpu.state_dict()) <= set(program.model.graph.initializers):
                program = _export(torch, cpu, example, optimize=False)
        # the same keys as weights.metadata_for, so read_onnx gives back what save_model wrote
        props = {"spec": spec.to_json(), "classes": json.dumps(list(spec.classes))}
        props.update({str(k): str(v) for k, v in (metadata or {}).items()})
        for k, v in props.items():
            program.model.metadata_props[k] = v
        program.save(tmp, external_data=False)
        give_new_file_mode(tmp, path)  # mkstemp's file is private (0600)
        os.replace(tmp, path)
    except BaseException as e:
        _remove(tmp)
        _remove(tmp + ".data")
        if isinstance(e, (KeyboardInterrupt, SystemExit)):
            raise
        if isinstance(e, OSError):
            raise WeightsError(f"cannot write {path}: {e.strerror or e}") from None
        first = str(e).strip().split("\n")[0][:200]
        raise WeightsError(
            f"ONNX export of {spec.name!r} failed: {type(e).__name__}: {first}"
        ) from None
    return path


def _export(torch, model, example, optimize: bool):
    program = torch.onnx.export(
        model,
        (example,),
        dynamo=True,
        input_names=["input"],
        output_names=["votes"],
        dynamic_shapes={"x": {0: torch.export.Dim("batch", min=1)}},
        opset_version=OPSET,
        optimize=optimize,
        verbose=False,
    )
    if program is None:  # (only the legacy exporter returns nothing)
        raise RuntimeError("torch's ONNX exporter returned no program")
    return program


def read_onnx(path) -> tuple[dict, dict[str, str]]:
    """(state dict of float32 torch tensors, metadata strings) from a file `export_onnx` wrote."""
    from .onnx_read import read_onnx_declared

    declared = read_onnx_declared(Path(path))
    return declared.read(), declared.metadata


@contextlib.contextmanager
def _quiet(logger_name: str):
    log = logging.getLogger(logger_name)
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        log.setLevel(level)


def _remove(p: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.remove(p)
