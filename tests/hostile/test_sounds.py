"""Hostile WAV files given to the spectrogram network (`convviz predict WEIGHTS x.wav`, and
`trace`): sizes that lie, a file cut short, a data chunk of 4 GB declared in a small file, 0 and
1000 channels, sample rates of 0 and 10^9 Hz, compressed formats, things that are not files, a
10-minute sound. Each is refused in one line before anything its header asks for is allocated;
the largest sound the limits accept is read within the bound. Every file is made here, at test
time (long ones sparse: the zeros are never written).
"""

from __future__ import annotations

import os
import struct

import numpy as np
import pytest
from wav_files import chunk, fmt_body, wav_bytes  # tests/wav_files.py

from convviz.core import limits

from .harness import ROOT, assert_no_secret, assert_refused, convviz_cli, python_snippet

WEIGHTS = ROOT / "resources" / "spectrogram.safetensors"
TONE = np.sin(2 * np.pi * 700 * np.arange(8000) / 8000) * 0.5


def _file(tmp_path, data: bytes, name="x.wav"):
    p = tmp_path / name
    p.write_bytes(data)
    return p


def _riff(body: bytes) -> bytes:
    return struct.pack("<4sI", b"RIFF", len(body)) + body


def _sparse(tmp_path, rate, channels, bits, frames, name="long.wav"):
    """A WAV header for `frames` frames, then zeros the file system never stores."""
    head = _riff(b"WAVE" + chunk(b"fmt ", fmt_body(1, channels, rate, bits)))
    data = frames * channels * bits // 8
    head = head[:4] + struct.pack("<I", len(head) - 8 + 8 + data) + head[8:]
    p = tmp_path / name
    with open(p, "wb") as f:
        f.write(head + struct.pack("<4sI", b"data", data))
        f.truncate(len(head) + 8 + data)
    return p


# each: (a name, what makes the file, words its one line must hold)
CASES = [
    ("cut short", lambda t: _file(t, wav_bytes(TONE)[:-5000]), ["cut short"]),
    ("riff size lie", lambda t: _file(t, wav_bytes(TONE, riff_size=2**32 - 1)), ["says it is"]),
    (
        "4 GB of data declared",
        lambda t: _file(t, wav_bytes(TONE, data_size=2**32 - 16)),
        ["4,294,967,280 bytes", "cut short"],
    ),
    (
        "0 channels",
        lambda t: _file(t, wav_bytes(TONE, fmt=fmt_body(channels=0, block_align=2))),
        ["0 channels"],
    ),
    (
        "1000 channels",
        lambda t: _file(t, wav_bytes(TONE, fmt=fmt_body(channels=1000))),
        ["1000 channels", str(limits.SOUND_MAX_CHANNELS)],
    ),
    ("rate 0", lambda t: _file(t, wav_bytes(TONE, fmt=fmt_body(rate=0))), ["0 Hz"]),
    (
        "rate 1e9",
        lambda t: _file(t, wav_bytes(TONE, fmt=fmt_body(rate=10**9))),
        ["1,000,000,000 Hz"],
    ),
    (
        "MP3 in a WAV",
        lambda t: _file(t, wav_bytes(TONE, fmt=fmt_body(tag=0x55, bits=0, block_align=1))),
        ["compressed", "0x0055", "MP3"],
    ),
    (
        "extensible ADPCM",
        lambda t: _file(t, wav_bytes(TONE, fmt=fmt_body(extensible=True, subtype=2, bits=4))),
        ["compressed", "0x0002", "ADPCM"],
    ),
    ("not RIFF", lambda t: _file(t, b"ID3\x04" + bytes(4000)), ["not a WAV file"]),
    ("empty", lambda t: _file(t, b""), ["not a WAV file", "empty"]),
    (
        "a chunk past the end",
        lambda t: _file(t, _riff(b"WAVE" + chunk(b"LIST", b"abc", size=2**31))),
        ["'LIST' chunk", "past the end"],
    ),
    (
        "chunks without end",
        lambda t: _file(t, _riff(b"WAVE" + chunk(b"junk", b"") * 1_000_000)),
        ["more than", "chunks"],
    ),
    (
        "an odd chunk unpadded",  # its pad byte missing: the walk reads the next id one off
        lambda t: _file(t, _riff(b"WAVE" + chunk(b"LIST", b"abc")[:-1] + wav_bytes(TONE)[12:])),
        ["x.wav"],
    ),
    (
        "10 minutes",
        lambda t: _sparse(t, 8000, 1, 16, 600 * 8000),
        ["600.0 seconds", f"limit of {limits.SOUND_MAX_SECONDS} s"],
    ),
    (
        "over the file size",
        lambda t: _sparse(t, 192_000, 8, 32, 60 * 192_000),
        ["over convviz's limit", "a sound"],
    ),
]


@pytest.mark.parametrize("make,words", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_hostile_wav_is_refused_in_one_line(tmp_path, make, words):
    path = make(tmp_path)
    out = convviz_cli("predict", WEIGHTS, path, cwd=tmp_path, timeout=30)
    assert_refused(out, *words)


@pytest.mark.parametrize("kind", ["folder", "fifo", "device"])
def test_what_is_not_a_file_is_refused_and_never_waited_on(tmp_path, kind):
    path = tmp_path / "x.wav"
    if kind == "folder":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)  # opening it would wait for a writer for ever
    else:
        path.symlink_to("/dev/zero")  # reading it never ends
    out = convviz_cli("trace", "--weights", WEIGHTS, path, cwd=tmp_path, timeout=20)
    assert_refused(out, "not a file")


def test_a_sound_for_a_picture_network_is_refused(tmp_path, secret):
    path = _file(tmp_path, wav_bytes(TONE))
    out = convviz_cli("predict", "--preset", "shapes", path, cwd=tmp_path)
    assert_refused(out, "spectrogram network only", "'shapes' takes pictures")
    # a "WAV" that is another file's bytes: refused without showing them
    stolen = _file(tmp_path, secret.read_bytes(), "stolen.wav")
    out = convviz_cli("trace", "--weights", WEIGHTS, stolen, cwd=tmp_path)
    assert_refused(out, "not a WAV file")
    assert_no_secret(tmp_path / "x.wav", text=out.stdout + out.stderr)


def test_the_largest_sound_the_limits_allow_is_read_within_the_bound(tmp_path):
    # a minute at 192 kHz in 8 channels of 16 bits (184 MB): read a block at a time, mixed to one
    # channel as it goes; the 1.5 GB address-space limit would stop a reader that held it all
    path = _sparse(tmp_path, 192_000, 8, 16, limits.SOUND_MAX_SECONDS * 192_000)
    out = convviz_cli("predict", WEIGHTS, path, "--json", cwd=tmp_path, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    assert '"class"' in out.stdout
    ok = _file(tmp_path, wav_bytes(np.stack([TONE, TONE], 1), rate=44100, bits=24), "ok.wav")
    out = convviz_cli("trace", "--weights", WEIGHTS, ok, cwd=tmp_path)
    assert out.returncode == 0 and "input 1x32x48" in out.stdout, out.stderr[-2000:]


def test_a_fifo_swapped_in_after_the_size_check_is_not_waited_on(tmp_path):
    # the stat said "a file" (faked here); by the time it is opened it is a FIFO with no writer
    path = tmp_path / "x.wav"
    os.mkfifo(path)
    code = (
        "from convviz.core import wav_read\n"
        "from convviz.core.errors import ConvvizError\n"
        "wav_read.check_regular_file = lambda *a: 1000\n"
        "try:\n"
        f"    wav_read.read_wav({str(path)!r})\n"
        "except ConvvizError as e:\n"
        "    raise SystemExit(str(e))\n"
    )
    out = python_snippet(code, cwd=tmp_path, timeout=20)
    assert_refused(out, "not a file")
