"""Hostile weights and model files, made at test time from a real model: a stranger's file looks
like one convviz wrote, with one thing changed."""

from __future__ import annotations

import json
import zipfile
import zlib
from pathlib import Path

import torch


def model_and_meta(preset_name="xo"):
    from convviz.core.network import build
    from convviz.core.presets import preset
    from convviz.core.weights import metadata_for

    model = build(preset(preset_name), seed=1)
    state = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    return model, state, metadata_for(model)


def spec_dict(preset_name="shapes") -> dict:
    from convviz.core.presets import preset

    return preset(preset_name).to_dict()


def alexnet_dict() -> dict:
    """AlexNet's layers (one group per convolution, no local response normalisation)."""

    def conv(f, k, s=1, p=0):
        return [
            {"kind": "conv", "features": f, "size": k, "stride": s, "padding": p},
            {"kind": "relu"},
        ]

    pool = [{"kind": "pool", "window": 3, "stride": 2}]
    fc = [{"kind": "fc", "neurons": 4096}, {"kind": "relu"}]
    layers = (
        conv(96, 11, 4)
        + pool
        + conv(256, 5, 1, 2)
        + pool
        + conv(384, 3, 1, 1)
        + conv(384, 3, 1, 1)
        + conv(256, 3, 1, 1)
        + pool
        + [{"kind": "flatten"}]
        + fc
        + fc
    )
    return {
        "name": "alexnet",
        "input_size": 227,
        "channels": 3,
        "value_range": [0, 1],
        "layers": layers,
        "classes": [f"class {i}" for i in range(1000)],
    }


def safetensors_file(
    path: Path, *, spec_json=None, state=None, meta_changes=None, preset_name="shapes"
) -> Path:
    """A safetensors file of `preset_name`'s real weights whose metadata says `spec_json`."""
    from safetensors.torch import save_file

    _, real_state, meta = model_and_meta(preset_name)
    if spec_json is not None:
        meta["spec"] = spec_json if isinstance(spec_json, str) else json.dumps(spec_json)
    meta.update(meta_changes or {})
    save_file(state if state is not None else real_state, str(path), metadata=meta)
    return path


def pt_file(path: Path, *, state=None, meta=None, preset_name="xo") -> Path:
    _, real_state, real_meta = model_and_meta(preset_name)
    torch.save(
        {
            "state_dict": real_state if state is None else state,
            "metadata": real_meta if meta is None else meta,
        },
        str(path),
    )
    return path


def pt_with_compressed_storage(path: Path, inflated: int, preset_name="xo") -> Path:
    """A good .pt whose first storage record is replaced by a deflated run of `inflated` zero
    bytes: a few MB on disk, `inflated` bytes once read."""
    good = path.with_name(path.name + ".good")
    pt_file(good, preset_name=preset_name)
    block = bytes(1 << 20)
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = c.compress(block) + c.flush(zlib.Z_FULL_FLUSH)
    again = c.compress(block) + c.flush(zlib.Z_FULL_FLUSH)  # the same bytes for every block
    blocks = inflated >> 20
    stream = first + again * (blocks - 1) + c.flush()
    crc, chunk = 0, bytes(64 << 20)
    for at in range(0, blocks << 20, len(chunk)):
        crc = zlib.crc32(chunk[: min(len(chunk), (blocks << 20) - at)], crc)
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(path, "w") as zout:
        for info in zin.infolist():
            if not info.filename.endswith("/data/0"):
                zout.writestr(info, zin.read(info))
                continue
            zi = zipfile.ZipInfo(info.filename, date_time=(2024, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.file_size, zi.compress_size, zi.CRC = blocks << 20, len(stream), crc
            zi.header_offset = zout.fp.tell()
            zout.fp.write(zi.FileHeader(zip64=None))
            zout.fp.write(stream)
            zout.filelist.append(zi)
            zout.NameToInfo[zi.filename] = zi
            zout.start_dir = zout.fp.tell()
    good.unlink()
    return path


def onnx_file(path: Path, *, external=None, dims=None, raw=None, preset_name="xo") -> Path:
    """A model file holding `preset_name`'s initializers (layers.*) and convviz's metadata.
    external: (initializer name, location, offset, length) kept in another file instead.
    dims/raw: override the first initializer's declared shape / bytes."""
    import onnx
    from onnx import helper, numpy_helper

    _, state, meta = model_and_meta(preset_name)
    inits = []
    for i, (name, t) in enumerate(state.items()):
        tp = numpy_helper.from_array(t.float().numpy(), name)
        if i == 0 and dims is not None:
            del tp.dims[:]
            tp.dims.extend(dims)
        if i == 0 and raw is not None:
            tp.raw_data = raw
        if external is not None and name == external[0]:
            tp.ClearField("raw_data")
            tp.data_location = onnx.TensorProto.EXTERNAL
            for k, v in (
                ("location", external[1]),
                ("offset", str(external[2])),
                ("length", str(external[3])),
            ):
                e = tp.external_data.add()
                e.key, e.value = k, v
        inits.append(tp)
    graph = helper.make_graph([], "g", [], [], initializer=inits)
    model = helper.make_model(graph)
    for k, v in meta.items():
        p = model.metadata_props.add()
        p.key, p.value = k, v
    path.write_bytes(model.SerializeToString())
    return path


def keras_file(path: Path, layers: list, weights: dict, batch_shape=(None, 4, 4, 1)) -> Path:
    """A Keras 3 .keras zip as Keras writes one (config.json, model.weights.h5), made from
    parts: a Sequential of `layers` (config dicts) after an InputLayer of `batch_shape`, and
    `weights` {"layers/NAME/vars/I": array} (no Keras needed)."""
    import io

    import h5py

    config = {
        "class_name": "Sequential",
        "config": {
            "layers": [
                {"class_name": "InputLayer", "config": {"batch_shape": list(batch_shape)}},
                *layers,
            ]
        },
    }
    buf = io.BytesIO()
    with h5py.File(buf, "w") as f:
        for k, v in weights.items():
            f[k] = v
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("config.json", json.dumps(config))
        z.writestr("model.weights.h5", buf.getvalue())
    return path
