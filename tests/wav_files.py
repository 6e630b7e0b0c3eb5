"""WAV files made at test time, byte by byte, so that every field can be set (or lied about):
the reader's tests and the hostile cases both write theirs with `wav_bytes`."""

from __future__ import annotations

import struct

import numpy as np

GUID_TAIL = b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"


def chunk(chunk_id: bytes, body: bytes, size: int | None = None) -> bytes:
    """A RIFF chunk, padded to an even length; `size` overrides the size written."""
    n = len(body) if size is None else size
    return struct.pack("<4sI", chunk_id, n) + body + (b"\0" if len(body) & 1 else b"")


def fmt_body(
    tag=1, channels=1, rate=8000, bits=16, block_align=None, extensible=False, subtype=None
) -> bytes:
    block_align = channels * bits // 8 if block_align is None else block_align
    body = struct.pack("<HHIIHH", 0xFFFE if extensible else tag, channels, rate,
                       rate * block_align & 0xFFFFFFFF, block_align, bits)  # fmt: skip
    if extensible:
        sub = struct.pack("<H", tag if subtype is None else subtype) + GUID_TAIL
        body += struct.pack("<HHI", 22, bits, (1 << channels) - 1 if channels < 32 else 0) + sub
    return body


def pcm(samples, bits: int = 16, is_float: bool = False) -> bytes:
    """(n,) or (n, channels) samples in -1..1 -> interleaved little-endian sample bytes."""
    x = np.asarray(samples, dtype=np.float64)
    if is_float:
        return x.astype("<f4" if bits == 32 else "<f8").tobytes()
    if bits == 8:
        return np.clip(np.round(x * 127 + 128), 0, 255).astype(np.uint8).tobytes()
    top = 2 ** (bits - 1) - 1
    v = np.clip(np.round(x * top), -top, top).astype(np.int64)
    if bits == 24:
        b = (v & 0xFFFFFF).astype("<u4").view(np.uint8).reshape(-1, 4)[:, :3]
        return b.tobytes()
    return v.astype("<i2" if bits == 16 else "<i4").tobytes()


def wav_bytes(
    samples,
    rate: int = 8000,
    bits: int = 16,
    is_float: bool = False,
    extensible: bool = False,
    before_data: bytes = b"",
    riff_size: int | None = None,
    data_size: int | None = None,
    fmt: bytes | None = None,
) -> bytes:
    """A whole WAV file; `before_data`: extra chunks between "fmt " and "data"; the sizes and
    the fmt chunk's body may be given to lie."""
    x = np.asarray(samples, dtype=np.float64)
    channels = 1 if x.ndim == 1 else x.shape[1]
    fmt = (
        fmt
        if fmt is not None
        else fmt_body(3 if is_float else 1, channels, rate, bits, extensible=extensible)
    )
    body = b"WAVE" + chunk(b"fmt ", fmt) + before_data + chunk(b"data", pcm(x, bits, is_float),
                                                                data_size)  # fmt: skip
    n = len(body) if riff_size is None else riff_size
    return struct.pack("<4sI", b"RIFF", n) + body


def write_wav(path, samples, **kw):
    path.write_bytes(wav_bytes(samples, **kw))
    return path


def sinc_resample(x, rate_in: int, rate_out: int, half_width: int = 64) -> np.ndarray:
    """A slow, plain windowed-sinc interpolator (Hann window, `half_width` input samples each
    side), written independently of convviz's FFT resampler, for upsampling test sounds."""
    x = np.asarray(x, dtype=np.float64)
    n_out = round(x.size * rate_out / rate_in)
    t = np.arange(n_out) * rate_in / rate_out  # each output's time, in input samples
    out = np.zeros(n_out)
    base = np.floor(t).astype(np.int64)
    for k in range(-half_width + 1, half_width + 1):
        idx = base + k
        d = t - idx
        w = np.sinc(d) * (0.5 + 0.5 * np.cos(np.pi * d / half_width))
        ok = (idx >= 0) & (idx < x.size)
        out[ok] += x[idx[ok]] * w[ok]
    return out
