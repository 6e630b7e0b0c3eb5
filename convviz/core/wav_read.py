"""WAV files from strangers -> mono float samples, with the standard library and numpy alone.

Our own walk over the RIFF chunks (not Python's `wave`, which trusts the sizes it reads and
knows no float samples): every size in the file is judged against the file's real size and
limits.py's "sounds" section before a byte of sound is read or an array allocated. Read:
uncompressed PCM of 8 (unsigned), 16, 24 or 32 bits, IEEE float of 32 or 64 bits, in a plain
"fmt " chunk or a WAVE_FORMAT_EXTENSIBLE one with those subtypes; 1 to SOUND_MAX_CHANNELS
channels, mixed to one by their mean. Anything compressed (ADPCM, MP3 in a WAV, ...) is refused
naming its format tag. Every refusal is a SoundError: one line naming the file and the problem.
"""

from __future__ import annotations

import os
import stat
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import limits
from .errors import DataError
from .imageio import check_regular_file, shown

SOUND_SUFFIXES = (".wav", ".wave")
SOUND_FILTER = "Sounds (" + " ".join(f"*{s}" for s in SOUND_SUFFIXES) + ")"  # a file dialog's
PCM, IEEE_FLOAT, EXTENSIBLE = 0x0001, 0x0003, 0xFFFE
# the GUID of an extensible format's subtype, after its first two bytes (the format tag)
_GUID_TAIL = b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"
# names of the compressed formats a person may meet, so a refusal says what the file holds
_COMPRESSED = {
    0x0002: "Microsoft ADPCM",
    0x0006: "A-law",
    0x0007: "mu-law",
    0x0011: "IMA ADPCM",
    0x0031: "GSM 6.10",
    0x0050: "MPEG",
    0x0055: "MP3",
    0x0161: "Windows Media Audio",
    0x1610: "AAC",
    0xF1AC: "FLAC",
}
READS = "uncompressed PCM (8, 16, 24 or 32-bit) and 32 or 64-bit float WAV files"
_BLOCK_BYTES = 1 << 20  # samples are read and mixed to mono this many bytes at a time


class SoundError(DataError):
    """A sound file that cannot be used: str() is one line naming the file and the problem."""


@dataclass(frozen=True)
class Sound:
    samples: np.ndarray  # (n,) float32, the channels' mean, full scale -1..1
    sample_rate: int
    channels: int  # in the file, before mixing
    bits: int
    is_float: bool

    @property
    def seconds(self) -> float:
        return self.samples.size / self.sample_rate


def is_sound_path(path) -> bool:
    return Path(os.fsdecode(path)).suffix.lower() in SOUND_SUFFIXES


@dataclass(frozen=True)
class _Format:
    tag: int
    channels: int
    rate: int
    block_align: int
    bits: int


def read_wav(path) -> Sound:
    """A WAV file's sound, mixed to mono; SoundError for anything convviz does not read."""
    size = _check_file(path)
    name = shown(path)
    try:
        # non-blocking: a FIFO swapped in since the stat must not wait for a writer here
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as e:
        raise SoundError(f"{name}: cannot read it ({e.strerror or e})") from None
    with open(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise SoundError(f"{name}: not a file")
        try:
            fmt, data_at, data_bytes = _walk(f, size, name)
            return _samples(f, fmt, data_at, data_bytes, name)
        except struct.error:  # a header read short: the file shrank since it was measured
            raise SoundError(f"{name}: the file ended before its header did: cut short") from None
        except OSError as e:
            raise SoundError(f"{name}: cannot read it ({e.strerror or e})") from None


def _check_file(path) -> int:
    try:
        return check_regular_file(path, limits.SOUND_MAX_FILE_BYTES, "a sound")
    except DataError as e:
        raise SoundError(str(e)) from None


def _walk(f, size: int, name: str) -> tuple[_Format, int, int]:
    """The "fmt " chunk (judged) and where the "data" chunk's bytes lie, every size checked
    against the file's real size. Chunks are skipped by seeking, never read."""
    if size == 0:
        raise SoundError(f"{name}: not a WAV file (the file is empty)")
    head = f.read(12)
    if len(head) < 12 or head[:4] not in (b"RIFF", b"RIFX", b"RF64") or head[8:12] != b"WAVE":
        raise SoundError(f"{name}: not a WAV file (it does not start with RIFF ... WAVE)")
    if head[:4] != b"RIFF":
        kind = "big-endian (RIFX)" if head[:4] == b"RIFX" else "RF64 (over 4 GB)"
        raise SoundError(f"{name}: {kind} WAV files are not read; convviz reads {READS}")
    riff_end = 8 + struct.unpack("<I", head[4:8])[0]
    if riff_end > size:
        raise SoundError(
            f"{name}: the file says it is {riff_end:,} bytes long but it is {size:,}: "
            f"cut short or damaged"
        )
    fmt, pos = None, 12
    for _ in range(limits.SOUND_MAX_CHUNKS):
        if pos + 8 > riff_end:
            break
        f.seek(pos)
        chunk_id, chunk_bytes = struct.unpack("<4sI", f.read(8))
        body = pos + 8
        if chunk_id == b"data":
            if fmt is None:
                raise SoundError(f"{name}: the sound comes before its format (no 'fmt ' chunk)")
            if body + chunk_bytes > riff_end:
                raise SoundError(
                    f"{name}: the sound data says it is {chunk_bytes:,} bytes but only "
                    f"{riff_end - body:,} follow: the file is cut short or damaged"
                )
            return fmt, body, chunk_bytes
        if body + chunk_bytes > riff_end:
            raise SoundError(
                f"{name}: the {_id(chunk_id)} chunk says it is {chunk_bytes:,} bytes, "
                f"past the end of the file: cut short or damaged"
            )
        if chunk_id == b"fmt ":
            f.seek(body)
            fmt = _format(f.read(min(chunk_bytes, 40)), name)
        pos = body + chunk_bytes + (chunk_bytes & 1)  # a chunk of odd size has a pad byte
    else:
        raise SoundError(
            f"{name}: more than {limits.SOUND_MAX_CHUNKS:,} chunks before the sound "
            f"(a WAV file has a handful)"
        )
    what = "no 'fmt ' chunk" if fmt is None else "no 'data' chunk"
    raise SoundError(f"{name}: {what}: the file holds no sound")


def _id(chunk_id: bytes) -> str:
    return repr(chunk_id.decode("latin-1"))


def _format(raw: bytes, name: str) -> _Format:
    if len(raw) < 16:
        raise SoundError(f"{name}: the 'fmt ' chunk is {len(raw)} bytes, too short (16 at least)")
    tag, channels, rate, _byte_rate, block_align, bits = struct.unpack("<HHIIHH", raw[:16])
    # (the byte rate is redundant: what is read follows from channels, bits and rate alone)
    if tag == EXTENSIBLE:
        if len(raw) < 40:
            raise SoundError(f"{name}: an extensible 'fmt ' chunk of {len(raw)} bytes (40 needed)")
        guid = raw[24:40]
        if guid[2:] != _GUID_TAIL:
            raise SoundError(
                f"{name}: an extensible WAV of an unknown subtype; convviz reads {READS}"
            )
        tag = struct.unpack("<H", guid[:2])[0]
    if tag not in (PCM, IEEE_FLOAT):
        known = _COMPRESSED.get(tag)
        raise SoundError(
            f"{name}: the sound is compressed (format tag 0x{tag:04X}"
            f"{', ' + known if known else ''}); convviz reads {READS}"
        )
    if not 1 <= channels <= limits.SOUND_MAX_CHANNELS:
        raise SoundError(
            f"{name}: the file says it has {channels} channels; convviz reads 1 to "
            f"{limits.SOUND_MAX_CHANNELS}"
        )
    lo, hi = limits.SOUND_RATE_RANGE
    if not lo <= rate <= hi:
        raise SoundError(f"{name}: a sample rate of {rate:,} Hz; convviz reads {lo:,} to {hi:,} Hz")
    allowed = limits.SOUND_FLOAT_BITS if tag == IEEE_FLOAT else limits.SOUND_PCM_BITS
    if bits not in allowed:
        kind = "float" if tag == IEEE_FLOAT else "integer"
        raise SoundError(f"{name}: {bits}-bit {kind} samples; convviz reads {READS}")
    if block_align != channels * bits // 8:
        raise SoundError(
            f"{name}: the file says a frame is {block_align} bytes, but {channels} channels "
            f"of {bits} bits take {channels * bits // 8}: damaged"
        )
    return _Format(tag, channels, rate, block_align, bits)


def _samples(f, fmt: _Format, data_at: int, data_bytes: int, name: str) -> Sound:
    frames = data_bytes // fmt.block_align  # a trailing part-frame is left out
    if frames == 0:
        raise SoundError(f"{name}: the file holds no sound (0 samples)")
    seconds = frames / fmt.rate
    if seconds > limits.SOUND_MAX_SECONDS:
        raise SoundError(
            f"{name}: the sound is {seconds:,.1f} seconds long, over convviz's limit of "
            f"{limits.SOUND_MAX_SECONDS} s; cut out the part to classify"
        )
    mono = np.empty(frames, np.float32)  # the only array the sound's length sizes
    per_block = max(1, _BLOCK_BYTES // fmt.block_align)
    f.seek(data_at)
    for start in range(0, frames, per_block):
        n = min(per_block, frames - start)
        raw = f.read(n * fmt.block_align)
        if len(raw) != n * fmt.block_align:  # the file shrank while being read
            raise SoundError(f"{name}: the file ended before its sound did: cut short")
        block = _decode(raw, fmt).reshape(n, fmt.channels)
        if not np.isfinite(block).all():
            raise SoundError(f"{name}: the sound holds samples that are not finite numbers")
        mono[start : start + n] = block.mean(axis=1)
    return Sound(mono, fmt.rate, fmt.channels, fmt.bits, fmt.tag == IEEE_FLOAT)


def _decode(raw: bytes, fmt: _Format) -> np.ndarray:
    """Little-endian samples -> float64, integer ones scaled to -1..1 (full scale)."""
    if fmt.tag == IEEE_FLOAT:
        return np.frombuffer(raw, "<f4" if fmt.bits == 32 else "<f8").astype(np.float64)
    if fmt.bits == 8:  # unsigned, silence at 128
        return (np.frombuffer(raw, np.uint8).astype(np.float64) - 128.0) / 128.0
    if fmt.bits == 24:  # three bytes: widened to four, the sign carried by the top byte
        b = np.frombuffer(raw, np.uint8).reshape(-1, 3).astype(np.int32)
        v = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        v = np.where(v >= 1 << 23, v - (1 << 24), v)
        return v.astype(np.float64) / float(1 << 23)
    dtype = "<i2" if fmt.bits == 16 else "<i4"
    return np.frombuffer(raw, dtype).astype(np.float64) / float(1 << (fmt.bits - 1))
