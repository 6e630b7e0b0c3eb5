"""Saving and opening trained networks.

A weights file carries its own network description, so opening it rebuilds the right network
with its class names. Formats, chosen by suffix:
- .safetensors (default): tensors plus metadata, every value a JSON string.
- .pt: a plain dict {"state_dict": ..., "metadata": ...} of tensors and strings; read back with
  torch.load(weights_only=True), so a file that tries to run code is refused, never executed.
- .onnx: for other runtimes (see onnx_export.py); the same metadata in the model's properties.

Opening goes in two steps (weights_read.py): what the file declares (metadata; each tensor's
name, type and shape), judged here against the resource budget and the network it describes,
and only then the tensors themselves. Nothing is built and no tensor read for a file that asks
too much.

Writes are atomic: the bytes go to a temporary file in the same folder, which replaces the
target only once complete, so a failure never leaves a partial file or harms an existing one.
"""

from __future__ import annotations

import json
import os
import pickle
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import torch

from .. import __version__
from .errors import ConvvizError, SpecError, WeightsError
from .limits import WEIGHT_DTYPES
from .network import ConvNet, state_shapes
from .new_files import give_new_file_mode
from .spec import NetworkSpec
from .spec_json import loads_bounded
from .weights_read import Declared, open_weights

FORMATS = (".safetensors", ".pt", ".onnx")
MAGIC = "convviz-weights"


def metadata_for(model: ConvNet, summary: dict | None = None) -> dict[str, str]:
    """Every value a string (safetensors requires it): JSON for structured data."""
    # optional extras a network may carry (attributes set by training, a file, what-if edits)
    calibration: Any = getattr(model, "calibration", None)
    edits: Any = getattr(model, "edits", None)
    return {
        "format": MAGIC,
        "convviz_version": __version__,
        "spec": model.spec.to_json(),
        "classes": json.dumps(list(model.spec.classes)),
        "value_range": json.dumps(list(model.spec.value_range)),
        "summary": json.dumps(summary or {}),
        # optional (older files lack it): when a drawing counts as unsure, see unsure.py
        **({"unsure": json.dumps(calibration.to_dict())} if calibration is not None else {}),
        # optional: the what-if edits made by hand (whatif.py), so an edited network says so
        **({"edited": json.dumps(list(edits))} if edits else {}),
    }


def atomic_write(path, write) -> None:
    """Call write(tmp_path) and move the result onto `path` only when it succeeded."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except FileNotFoundError:
        raise WeightsError(f"cannot write {path}: the folder {folder} does not exist") from None
    except OSError as e:
        raise WeightsError(f"cannot write {path}: {e.strerror or e}") from None
    os.close(fd)
    try:
        write(tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        give_new_file_mode(tmp, path)  # mkstemp's file is private (0600)
        os.replace(tmp, path)
    except OSError as e:
        raise WeightsError(f"cannot write {path}: {e.strerror or e}") from None
    except Exception as e:  # noqa: BLE001 - safetensors and torch report a full disk as their own errors
        reason = (str(e).strip().splitlines() or [type(e).__name__])[0][:200]
        raise WeightsError(f"cannot write {path}: {reason}") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def save_model(model: ConvNet, path, summary: dict | None = None) -> Path:
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise WeightsError(
            f"{path}: unknown weights format {suffix or '(none)'!r}; use one of "
            f"{', '.join(FORMATS)}"
        )
    meta = metadata_for(model, summary)
    state = {k: v.detach().float().cpu().contiguous() for k, v in model.state_dict().items()}
    if suffix == ".safetensors":
        from safetensors.torch import save_file

        atomic_write(path, lambda tmp: save_file(state, tmp, metadata=meta))
    elif suffix == ".pt":
        atomic_write(path, lambda tmp: torch.save({"state_dict": state, "metadata": meta}, tmp))
    else:
        from .onnx_export import export_onnx

        export_onnx(model, path, meta)
    return path


def _sniff(path: Path) -> str:
    with open(path, "rb") as f:
        head = f.read(16)
        size = os.fstat(f.fileno()).st_size
    # safetensors first: its 8-byte little-endian header length may itself start with b"PK" or
    # 0x80 (a 1664-byte header is 80 06 00 ...), which would otherwise look like a torch file
    if len(head) >= 9 and head[8:9] == b"{" and int.from_bytes(head[:8], "little") + 8 <= size:
        return ".safetensors"
    if head[:2] == b"PK":
        return ".pt"  # torch's zip format
    if head[:1] == b"\x80":
        return ".pt"  # an old-style pickle: torch.load(weights_only=True) will judge it
    if len(head) >= 9 and head[8:9] == b"{":
        return ".safetensors"  # 8-byte header length, then a JSON header
    return path.suffix.lower()


# The metadata keys convviz writes, and what each must decode to (safetensors keeps every value
# as a string; JSON inside it). Other keys are kept as they are, unread.
_META_JSON = {
    "spec": dict,
    "classes": list,
    "value_range": list,
    "summary": dict,
    "unsure": dict,
    "edited": list,
}


def _checked_metadata(path: Path, meta) -> dict[str, str]:
    if not isinstance(meta, dict) or meta.get("format") != MAGIC or "spec" not in meta:
        raise WeightsError(
            f"{path}: holds no convviz network description; it was not written "
            f"by convviz or comes from another program"
        )
    for k, v in meta.items():
        if not (isinstance(k, str) and isinstance(v, str)):
            raise WeightsError(
                f"{path}: its metadata {str(k)[:40]!r} is {type(v).__name__}, not text"
            )
    return meta


def _decoded(path: Path, meta: dict[str, str], key: str, default=None):
    """A metadata value's JSON, of the type _META_JSON names; one line when it is not."""
    if key not in meta:
        return default
    value = loads_bounded(meta[key], f"{path}: its metadata {key!r}", WeightsError)
    if not isinstance(value, _META_JSON[key]):
        raise WeightsError(
            f"{path}: its metadata {key!r} is a JSON {type(value).__name__}, not "
            f"a {'list' if _META_JSON[key] is list else 'JSON object'}"
        )
    return value


def _spec_of(path: Path, meta: dict[str, str]) -> NetworkSpec:
    """The network the metadata describes, judged against the budget (nothing built yet)."""
    try:
        return NetworkSpec.from_dict(_decoded(path, meta, "spec"))
    except SpecError as e:
        raise WeightsError(f"{path}: its network description is invalid: {e}") from None


def judge_metadata(path, meta) -> tuple[NetworkSpec, dict]:
    """(the network the metadata describes, its training summary): every value's type checked,
    the description judged against the resource budget, nothing built. Raises WeightsError."""
    path = Path(path)
    meta = _checked_metadata(path, meta)
    spec = _spec_of(path, meta)
    for key in ("classes", "value_range"):  # repeated from the spec for other tools: typed too
        _decoded(path, meta, key)
    try:
        summary = _decoded(path, meta, "summary", {})
    except WeightsError:
        summary = {}  # a summary is for people to read; the weights are fine without it
    return spec, summary


def _check_declared(path: Path, declared: Declared, want: dict[str, tuple]) -> None:
    """Names, shapes and dtypes the file declares against what the network needs: before any
    tensor is read."""
    have = declared.tensors
    _check_shapes(path, want, {k: tuple(t.shape) for k, t in have.items()})
    for k, t in have.items():
        if t.dtype not in WEIGHT_DTYPES:
            raise WeightsError(
                f"{path}: {k} holds {t.dtype[:20]} numbers; convviz reads "
                f"{', '.join(WEIGHT_DTYPES)}"
            )


def _open_checked(path) -> tuple[Path, Declared, NetworkSpec]:
    path = Path(path)
    try:
        if not path.is_file():
            raise WeightsError(
                f"{path}: no such file"
                if not path.exists()
                else f"{path}: not a file (a folder or a device)"
            )
        declared = open_weights(path, _sniff(path))
    except WeightsError:
        raise
    except PermissionError:
        raise WeightsError(f"{path}: cannot read it (no permission)") from None
    except OSError as e:
        raise WeightsError(f"{path}: cannot read it ({e.strerror or type(e).__name__})") from None
    except pickle.UnpicklingError:
        raise WeightsError(
            f"{path}: refused: it holds Python objects other than plain weights "
            f"(possibly code); nothing in it was run"
        ) from None
    except (zipfile.BadZipFile, EOFError):
        raise WeightsError(f"{path}: the file is damaged or truncated") from None
    except Exception as e:  # noqa: BLE001 - torch raises many types for damaged files
        raise WeightsError(
            f"{path}: the file is damaged or not weights ({type(e).__name__})"
        ) from None
    spec, _ = judge_metadata(path, declared.metadata)
    _check_declared(path, declared, state_shapes(spec))
    return path, declared, spec


def network_of(path) -> NetworkSpec:
    """The network a weights file describes, with every check opening it makes (its header and
    metadata judged, the tensors it declares compared with the network), no tensor read and
    nothing built: `convviz summary --weights`."""
    return _open_checked(path)[2]


def read_weights(path) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """(state dict as float32, metadata) from any format convviz writes, executing nothing.

    The network description in the metadata is judged against the resource budget and the
    tensors the file declares are compared with it before any of them is read."""
    path, declared, _ = _open_checked(path)
    try:
        state = declared.read()
    except WeightsError:
        raise
    except OSError as e:
        raise WeightsError(f"{path}: cannot read it ({e.strerror or type(e).__name__})") from None
    except Exception as e:  # noqa: BLE001 - safetensors raises many types for damaged files
        raise WeightsError(
            f"{path}: the file is damaged or not weights ({type(e).__name__})"
        ) from None
    for k, v in state.items():
        if not torch.isfinite(v).all():
            raise WeightsError(f"{path}: {k} holds values that are not finite")
    return state, declared.metadata


def load_model(path, device="cpu") -> tuple[ConvNet, dict]:
    """Rebuild the network a file describes and fill in its weights.

    Returns (model in eval mode on `device`, {"summary": ..., "convviz_version": ...})."""
    state, meta = read_weights(path)
    spec, summary = judge_metadata(path, meta)
    model = ConvNet(spec)
    check_fits(model, state, path)
    model.load_state_dict(state)
    # optional extras, kept on the network so that saving it again keeps them
    setattr(model, "calibration", _calibration(path, meta))  # noqa: B010
    setattr(model, "edits", _edits(path, meta))  # noqa: B010
    return model.to(device).eval(), {
        "summary": summary,
        "convviz_version": meta.get("convviz_version", "?"),
    }


def _calibration(path, meta: dict):
    """The optional "unsure" thresholds; None (the default is used) when absent or malformed."""
    from .unsure import Calibration

    try:
        d = _decoded(Path(path), meta, "unsure")
    except WeightsError:
        return None
    return None if d is None else Calibration.from_dict(d)


def _edits(path, meta: dict) -> list[str]:
    """The optional list of hand edits, as short texts; [] when absent or malformed."""
    try:
        edits = _decoded(Path(path), meta, "edited", [])
    except WeightsError:
        return ["edited (the list of edits is unreadable)"] if "edited" in meta else []
    return [str(e)[:200] for e in edits[:1000]]


def check_fits(model: ConvNet, state: dict, path="weights") -> None:
    """Refuse, naming the first difference, weights that do not fit `model`."""
    want = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    _check_shapes(path, want, {k: tuple(v.shape) for k, v in state.items()})
    for k, v in state.items():
        if not torch.isfinite(v).all():
            raise WeightsError(f"{path}: {k} holds values that are not finite")


def _check_shapes(path, want: dict[str, tuple], have: dict[str, tuple]) -> None:
    """Tensor names and shapes in a file against what the network needs; the first difference
    is named (a name from the file cut to 80 characters)."""
    for k in want:
        if k not in have:
            raise WeightsError(f"{path}: does not fit the network: {k} is missing")
        if want[k] != tuple(have[k]):
            raise WeightsError(
                f"{path}: does not fit the network: {k} is "
                f"{'x'.join(map(str, have[k]))} in the file but the network "
                f"needs {'x'.join(map(str, want[k]))}"
            )
    extra = sorted(set(have) - set(want))
    if extra:
        raise WeightsError(f"{path}: does not fit the network: unexpected tensor {extra[0][:80]}")


def load_into(model: ConvNet, path) -> dict:
    """Fill an existing network, refusing a file made for another architecture."""
    other, info = load_model(path)
    if other.spec.layers != model.spec.layers or other.spec.input_shape != model.spec.input_shape:
        raise WeightsError(
            f"{path}: made for another network ({other.spec.name}), not {model.spec.name}"
        )
    model.load_state_dict(other.state_dict())
    return info


def refuse_same_file(out, *sources, option: str = "--to") -> None:
    """Refuse an output that is one of the files the command reads (the same file under another
    name or through a link too): writing it would replace what is being read, e.g. a person's
    own model by its import, or trained weights and their timeline by one early moment."""
    for source in sources:
        try:
            same = os.path.samefile(out, source)
        except (OSError, ValueError):  # the output does not exist yet (or the source does not)
            same = False
        if same:
            raise ConvvizError(
                f"{option} {out} is the file being read ({source}): writing it would replace "
                f"it; give another name (nothing was written)"
            )


def assert_writable(path) -> None:
    """Fail early (before an expensive step) when `path` cannot be written."""
    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise WeightsError(
            f"{path}: unknown weights format {path.suffix or '(none)'!r}; use one "
            f"of {', '.join(FORMATS)}"
        )
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise WeightsError(f"cannot write {path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise ConvvizError(f"cannot write {path}: no permission to write in {folder}")
