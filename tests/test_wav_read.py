"""The WAV reader, in process: every sample format it reads gives the samples written (mixed to
mono), chunks it does not know are walked past (odd sizes padded), and each kind of bad file is
refused with one line naming the problem. (Bounded, in-a-subprocess cases: hostile/test_sounds.)
"""

import struct
import wave

import numpy as np
import pytest
from wav_files import chunk, fmt_body, wav_bytes, write_wav

from convviz.core import limits
from convviz.core.errors import ConvvizError
from convviz.core.wav_read import SoundError, is_sound_path, read_wav

RNG = np.random.default_rng(3)
STEREO = RNG.uniform(-0.9, 0.9, (1000, 2))


@pytest.mark.parametrize(
    "bits,is_float,extensible,tolerance",
    [
        (8, False, False, 1 / 100),
        (16, False, False, 1e-4),
        (24, False, False, 1e-6),
        (32, False, False, 1e-8),
        (32, True, False, 1e-7),
        (64, True, False, 1e-12),
        (24, False, True, 1e-6),
        (32, True, True, 1e-7),
    ],
)
def test_every_sample_format_reads_back_as_the_channels_mean(
    tmp_path, bits, is_float, extensible, tolerance
):
    path = write_wav(
        tmp_path / "s.wav",
        STEREO,
        rate=44100,
        bits=bits,
        is_float=is_float,
        extensible=extensible,
    )
    s = read_wav(path)
    assert (s.sample_rate, s.channels, s.bits, s.is_float) == (44100, 2, bits, is_float)
    assert s.samples.dtype == np.float32 and s.samples.shape == (1000,)
    np.testing.assert_allclose(s.samples, STEREO.mean(axis=1), atol=tolerance)


def test_pythons_own_wave_module_files_read_with_negative_samples_and_8_bit_silence(tmp_path):
    path = tmp_path / "w.wav"
    values = np.array([0, 1, -1, 32767, -32768, 1000], "<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(values.tobytes())
    np.testing.assert_allclose(read_wav(path).samples, values / 32768.0)
    # 8-bit is unsigned: 128 is silence, 0 the most negative
    raw = tmp_path / "u8.wav"
    raw.write_bytes(
        wav_bytes(np.zeros(4), bits=8)[:-4] + bytes([128, 0, 255, 128])
    )  # the samples replaced
    np.testing.assert_allclose(read_wav(raw).samples, [0.0, -1.0, 127 / 128, 0.0])


def test_unknown_chunks_are_walked_past_with_odd_sizes_padded(tmp_path):
    extra = chunk(b"LIST", b"INFOabc") + chunk(b"bext", b"x" * 11) + chunk(b"fact", b"\0" * 4)
    path = write_wav(tmp_path / "c.wav", STEREO[:, 0], before_data=extra)
    np.testing.assert_allclose(read_wav(path).samples, STEREO[:, 0], atol=1e-4)
    # a data chunk of odd size (8-bit mono, 5 samples) then its pad byte, and a chunk after it
    odd = wav_bytes(np.zeros(5), bits=8)
    body = odd[12:] + chunk(b"LIST", b"INFO")
    path.write_bytes(struct.pack("<4sI4s", b"RIFF", 4 + len(body), b"WAVE") + body)
    assert read_wav(path).samples.size == 5
    # a part-frame at the end of the data (3 bytes of 16-bit stereo) is left out
    path.write_bytes(wav_bytes(STEREO[:3])[:-3])
    fixed = bytearray(path.read_bytes())
    struct.pack_into("<I", fixed, 4, len(fixed) - 8)
    struct.pack_into("<I", fixed, 40, 12 - 3)
    path.write_bytes(bytes(fixed))
    assert read_wav(path).samples.size == 2


def _refused(tmp_path, data: bytes, *words, name="bad.wav"):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(SoundError) as e:
        read_wav(path)
    line = str(e.value)
    assert "\n" not in line and line.startswith(str(path)), line
    for w in words:
        assert w.lower() in line.lower(), (w, line)
    return line


def test_each_bad_file_is_refused_naming_its_problem(tmp_path):
    ok = wav_bytes(np.zeros(100))
    _refused(tmp_path, b"", "not a WAV file")
    _refused(tmp_path, b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "not a WAV file")
    _refused(tmp_path, b"RIFX" + ok[4:], "big-endian")
    _refused(tmp_path, ok[:-50], "says it is", "cut short")  # the RIFF size now lies
    _refused(tmp_path, wav_bytes(np.zeros(100), riff_size=10**9), "says it is", "cut short")
    _refused(tmp_path, wav_bytes(np.zeros(100), data_size=2**32 - 2), "data", "cut short")
    _refused(tmp_path, wav_bytes(np.zeros(0)), "no sound", "0 samples")
    _refused(tmp_path, wav_bytes(np.zeros(4), fmt=fmt_body(channels=0)), "0 channels")
    _refused(tmp_path, wav_bytes(np.zeros(4), fmt=fmt_body(channels=1000)), "1000 channels")
    _refused(tmp_path, wav_bytes(np.zeros(4), fmt=fmt_body(rate=0)), "sample rate of 0 Hz")
    _refused(tmp_path, wav_bytes(np.zeros(4), fmt=fmt_body(rate=10**9)), "1,000,000,000 Hz")
    _refused(
        tmp_path, wav_bytes(np.zeros(4), fmt=fmt_body(tag=0x55)), "compressed", "0x0055", "MP3"
    )
    _refused(tmp_path, wav_bytes(np.zeros(4), fmt=fmt_body(tag=2)), "compressed", "ADPCM")
    _refused(
        tmp_path, wav_bytes(np.zeros(4), fmt=fmt_body(extensible=True, subtype=0x11)), "0x0011"
    )
    _refused(tmp_path, wav_bytes(np.zeros(4), fmt=fmt_body(bits=12)), "12-bit integer")
    _refused(tmp_path, wav_bytes(np.zeros(4), fmt=fmt_body(tag=3, bits=16)), "16-bit float")
    _refused(tmp_path, wav_bytes(np.zeros(4), fmt=fmt_body(block_align=7)), "frame is 7 bytes")
    _refused(tmp_path, wav_bytes(np.zeros(4), fmt=b"\1\0"), "too short")
    no_fmt = b"WAVE" + chunk(b"data", b"\0" * 8)
    _refused(tmp_path, struct.pack("<4sI", b"RIFF", len(no_fmt)) + no_fmt, "no 'fmt '")
    no_data = b"WAVE" + chunk(b"fmt ", fmt_body())
    _refused(tmp_path, struct.pack("<4sI", b"RIFF", len(no_data)) + no_data, "no 'data'")
    lying = b"WAVE" + chunk(b"fmt ", fmt_body()) + chunk(b"LIST", b"", size=10**6)
    _refused(tmp_path, struct.pack("<4sI", b"RIFF", len(lying)) + lying, "'LIST' chunk", "past")
    many = b"WAVE" + chunk(b"junk", b"") * (limits.SOUND_MAX_CHUNKS + 1)
    _refused(tmp_path, struct.pack("<4sI", b"RIFF", len(many)) + many, "more than", "chunks")
    nan = wav_bytes(np.array([0.0, np.nan]), bits=32, is_float=True)
    _refused(tmp_path, nan, "not finite")


def test_a_sound_over_the_time_limit_is_refused_from_its_header(tmp_path):
    seconds = limits.SOUND_MAX_SECONDS + 1
    frames = seconds * 8000
    head = wav_bytes(np.zeros(0))
    fixed = bytearray(head)
    struct.pack_into("<I", fixed, 4, len(head) - 8 + 2 * frames)
    struct.pack_into("<I", fixed, 40, 2 * frames)
    path = tmp_path / "long.wav"
    with open(path, "wb") as f:
        f.write(bytes(fixed))
        f.truncate(len(head) + 2 * frames)  # a sparse file: zeros, nothing written
    line = _refused(tmp_path, path.read_bytes(), f"{seconds:,.1f} seconds", "limit of")
    assert str(limits.SOUND_MAX_SECONDS) in line


def test_not_a_regular_file_or_missing(tmp_path):
    folder = tmp_path / "x.wav"
    folder.mkdir()
    with pytest.raises(ConvvizError, match="not a file"):
        read_wav(folder)
    with pytest.raises(ConvvizError, match="no such file"):
        read_wav(tmp_path / "missing.wav")
    assert is_sound_path("a/B.WAV") and is_sound_path("x.wave") and not is_sound_path("x.png")
