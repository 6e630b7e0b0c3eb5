"""A training timeline saved beside its weights: the companion file NAME.timeline.

Why a companion and not the weights file itself: the weights file stays a plain network that
other programs (and older convviz) read as before, and its reader's rule "exactly the network's
tensors" stays whole; a timeline can be tens of megabytes that nobody exporting to ONNX wants.
`WEIGHTS.safetensors` -> `WEIGHTS.safetensors.timeline` (any weights format; the suffix says
whose it is, so `net.pt` and `net.safetensors` never share one).

Inside it is a safetensors file: one float32 tensor "moments" of shape (moments, numbers in the
network), and metadata (every value a string): format "convviz-timeline", the network's identity
(snapshot.network_id) and the moments as JSON (epoch, step, end, validation accuracy, confusion
table). It is read with the weights file's bounded reader (weights_read.open_weights): header
and tensor sizes are judged against the file, then the tensor's declared shape against the
network it must belong to and limits.TIMELINE_MAX_MOMENTS / TIMELINE_MAX_BYTES, all before any
tensor byte is read. A timeline of another network is refused, never shown under its names.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from .errors import WeightsError
from .limits import MAX_SPEC_JSON_BYTES, TIMELINE_MAX_BYTES, TIMELINE_MAX_MOMENTS
from .snapshot import WeightsSnapshot
from .spec_json import loads_bounded
from .timeline import Moment, Timeline
from .weights_read import open_weights

MAGIC = "convviz-timeline"
SUFFIX = ".timeline"


def companion(weights_path) -> Path:
    """Where the timeline of the weights at `weights_path` is kept."""
    p = Path(weights_path)
    return p.with_name(p.name + SUFFIX)


def save_timeline(timeline: Timeline, weights_path) -> Path | None:
    """Write `timeline` beside the weights (atomically); None (and nothing written) when it is
    empty. An older companion of other weights at that path is replaced: it no longer fits."""
    from safetensors.numpy import save_file

    from .weights import atomic_write

    path = companion(weights_path)
    if not len(timeline):
        if path.exists():
            path.unlink()  # the weights there now have no timeline: an old one would lie
        return None
    rows = np.stack([m.snapshot.flat for m in timeline.moments])
    meta = {
        "format": MAGIC,
        "network": str(timeline.network),
        "moments": json.dumps([_moment_dict(m) for m in timeline.moments]),
    }
    atomic_write(path, lambda tmp: save_file({"moments": rows}, tmp, metadata=meta))
    return path


def _moment_dict(m: Moment) -> dict:
    d: dict = {"epoch": m.epoch, "step": m.step, "end": m.end}
    if m.val_accuracy is not None:
        d["val_accuracy"] = float(m.val_accuracy)
    if m.confusion is not None:
        d["confusion"] = m.confusion.astype(int).tolist()
    return d


def load_timeline(weights_path, template: WeightsSnapshot) -> Timeline | None:
    """The timeline saved beside `weights_path`, for the network whose weights `template` are
    (a snapshot of the loaded model); None when there is none. WeightsError (one line) for a
    file that is damaged, too large, or belongs to another network."""
    path = companion(weights_path)
    if not path.is_file():
        return None
    declared = open_weights(path, ".safetensors")  # header bounded, spans within the file
    meta = declared.metadata
    if not isinstance(meta, dict) or meta.get("format") != MAGIC:
        raise WeightsError(f"{path}: not a convviz timeline")
    if meta.get("network") != template.network:
        raise WeightsError(
            f"{path}: a timeline of another network than {Path(weights_path).name}"
            f" (it was not saved with these weights)"
        )
    numbers = template.flat.size
    t = declared.tensors.get("moments")
    if set(declared.tensors) != {"moments"} or t is None or t.dtype != "float32":
        raise WeightsError(
            f"{path}: the file is damaged (it must hold one float32 table 'moments')"
        )
    if len(t.shape) != 2 or t.shape[1] != numbers:
        raise WeightsError(
            f"{path}: its moments have shape {t.shape}; this network's weights "
            f"are {numbers:,} numbers"
        )
    count = t.shape[0]
    if count > TIMELINE_MAX_MOMENTS or count * numbers * 4 > TIMELINE_MAX_BYTES:
        raise WeightsError(
            f"{path}: {count:,} moments of {numbers:,} numbers; the limit is "
            f"{TIMELINE_MAX_MOMENTS} moments and {TIMELINE_MAX_BYTES:,} bytes"
        )
    infos = loads_bounded(
        meta.get("moments", "[]"), f"{path}: its moments", WeightsError, MAX_SPEC_JSON_BYTES
    )
    if not isinstance(infos, list) or len(infos) != count:
        raise WeightsError(
            f"{path}: the file is damaged (it describes "
            f"{len(infos) if isinstance(infos, list) else 'no'} moments for "
            f"{count})"
        )
    rows = declared.read()["moments"].numpy()
    if not np.isfinite(rows).all():
        raise WeightsError(f"{path}: its weights hold NaN or infinite numbers")
    classes = len(template.weight(template.weighted_layers[-1]))
    keys, shapes = tuple(template.shapes), tuple(template.shapes.values())
    timeline = Timeline()
    for i, info in enumerate(infos):
        snap = WeightsSnapshot(
            template.network, template.layer_names, keys, shapes, np.ascontiguousarray(rows[i])
        )
        timeline.moments.append(_moment(path, i, info, snap, classes))
    return timeline


def _moment(path: Path, i: int, info, snap: WeightsSnapshot, classes: int) -> Moment:
    def bad(what: str) -> WeightsError:
        return WeightsError(f"{path}: moment {i} is described wrongly ({what})")

    if not isinstance(info, dict):
        raise bad("not a JSON object")
    epoch, step, end = info.get("epoch"), info.get("step"), info.get("end", False)
    if not (
        type(epoch) is int and type(step) is int and epoch >= 0 and step >= 0 and type(end) is bool
    ):
        raise bad("epoch, step and end")
    acc = info.get("val_accuracy")
    if acc is not None and not (
        isinstance(acc, float | int) and math.isfinite(acc) and 0 <= acc <= 1
    ):
        raise bad("val_accuracy")
    conf = info.get("confusion")
    if conf is not None:
        ok = (
            isinstance(conf, list)
            and len(conf) == classes
            and all(
                isinstance(r, list)
                and len(r) == classes
                and all(type(v) is int and v >= 0 for v in r)
                for r in conf
            )
        )
        if not ok:
            raise bad(f"its confusion table is not {classes} x {classes} counts")
        conf = np.asarray(conf, np.int64)
    return Moment(snap, epoch, step, end, conf, None if acc is None else float(acc))
