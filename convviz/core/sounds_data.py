"""Generated sounds as spectrogram pictures: the deck's "beyond images" case, with numpy alone.

Four classes of tone, each a whistle somewhere in a clip of background noise:

    rising    the pitch glides up (by 1.5x to 3x, and at least MIN_GLIDE_HZ)
    falling   the pitch glides down (by the same)
    steady    one pitch
    warbling  the pitch wobbles up and down around one pitch (a vibrato, 4 to 9 times a second)

Start pitch, start time, duration, loudness and the noise level are drawn per sample from the
same ranges for every class, so only the pitch's path over time tells the classes apart.

`spectrogram` turns any samples into the picture a network takes: rows are frequency bands and
columns are moments in time, with LOW frequencies at the BOTTOM row and high ones at the top (how
people draw spectrograms), each value the log magnitude of a Hann-windowed short-time Fourier
transform, scaled to 0..1 over the loudest DYNAMIC_RANGE_DB decibels of the picture.
"""

from __future__ import annotations

import numpy as np

from . import limits
from .errors import DataError
from .imageio import save_png
from .shapes_data import output_folder

SOUND_CLASSES = ("rising", "falling", "steady", "warbling")
SAMPLE_RATE = 8000  # Hz: up to 4 kHz, where a whistled tune lies
CLIP_SECONDS = 1.0
LOWEST_HZ, HIGHEST_HZ = 200.0, 3600.0  # every tone stays inside, clear of 0 and of 4 kHz
DYNAMIC_RANGE_DB = 60.0  # quieter than this below the picture's loudest is black
WARBLE_MIN_HZ = 200.0
MIN_GLIDE_HZ = 500.0
MIN_FFT = 256  # samples a window at least: 32 ms at 8 kHz, 31 Hz between bins


def sound_names() -> tuple[str, ...]:
    return SOUND_CLASSES


def _check_side(what: str, n: int) -> None:
    lo, hi = limits.SOUNDS_SIZE_RANGE
    if not lo <= n <= hi:
        raise DataError(f"a spectrogram's {what} must be between {lo} and {hi}, got {n}")


def spectrogram(samples, sample_rate: float, rows: int, cols: int) -> np.ndarray:
    """Mono samples -> (rows, cols) float32 in 0..1: rows = frequency bands from 0 Hz (BOTTOM
    row) to half the sample rate (top row), equally wide; cols = moments equally spaced from half
    a window after the first sample to half a window before the last. Each column is one
    Hann-windowed FFT centred on its moment, of samples of the sound only (one shorter than a
    window is padded with silence); a band's value is its mean power, in decibels, mapped so
    the picture's loudest band is 1 and DYNAMIC_RANGE_DB below it 0."""
    _check_side("rows (frequency bands)", rows)
    _check_side("columns (moments)", cols)
    x = np.asarray(samples, dtype=np.float64).reshape(-1)
    if x.size == 0:
        raise DataError("a spectrogram needs at least one sample")
    if not np.isfinite(x).all():
        raise DataError("the sound holds samples that are not finite numbers")
    n_fft = max(MIN_FFT, 1 << int(np.ceil(np.log2(2 * rows))))  # at least one bin a band
    half = n_fft // 2
    if x.size >= n_fft:
        # every window wholly inside the sound: padding with silence cut the sound off at the
        # middle of the first and last windows, and that step splashed over every band (a
        # steady tone's edge columns came out 6 times brighter than the rest)
        padded, last_start = x, x.size - n_fft
    else:  # shorter than one window: centred on moments of the sound, padded with silence
        padded, last_start = np.concatenate([np.zeros(half), x, np.zeros(half)]), x.size - 1
    starts = np.round(np.linspace(0, last_start, cols)).astype(np.int64)
    frames = padded[starts[:, None] + np.arange(n_fft)[None, :]]  # (cols, n_fft)
    power = np.abs(np.fft.rfft(frames * np.hanning(n_fft), axis=1)) ** 2  # (cols, half + 1)
    edges = np.linspace(0, half + 1, rows + 1).round().astype(np.int64)
    sums = np.add.reduceat(power, edges[:-1], axis=1)  # (cols, rows), each band's bins summed
    bands = sums / np.diff(edges)[None, :]
    db = 10 * np.log10(bands + 1e-12)
    top = db.max()
    picture = np.clip((db - (top - DYNAMIC_RANGE_DB)) / DYNAMIC_RANGE_DB, 0.0, 1.0)
    return picture.T[::-1].astype(np.float32)  # (rows, cols), low frequencies at the bottom


def tone(
    name: str,
    rng: np.random.Generator,
    sample_rate: int = SAMPLE_RATE,
    seconds: float = CLIP_SECONDS,
) -> np.ndarray:
    """One randomly varied sound of class `name`: float64 samples, a tone in noise."""
    if name not in SOUND_CLASSES:
        raise DataError(f"no sound called {name!r} (choose from {', '.join(SOUND_CLASSES)})")
    n = round(seconds * sample_rate)
    t = np.arange(n) / sample_rate
    length = rng.uniform(0.45, 0.9) * seconds
    start = rng.uniform(0.0, seconds - length)
    ratio = rng.uniform(1.5, 3.0)  # how far a glide goes
    # every class draws its pitch from one range, chosen so a glide stays inside the band
    f0 = np.exp(rng.uniform(np.log(LOWEST_HZ * 1.4), np.log(HIGHEST_HZ / 1.4)))
    u = np.clip((t - start) / length, 0.0, 1.0)  # 0..1 along the tone
    if name in ("rising", "falling"):
        # from f0 by `ratio`, but at least MIN_GLIDE_HZ: a low tone's 1.5x would cross one band
        low = min(f0, HIGHEST_HZ / ratio, HIGHEST_HZ - MIN_GLIDE_HZ)
        high = max(low * ratio, low + MIN_GLIDE_HZ)
        path = u if name == "rising" else 1 - u
        freq = low * (high / low) ** path
    elif name == "steady":
        freq = np.full(n, f0)
    else:  # warbling: a vibrato of 4 to 9 wobbles a second, 8% to 20% either way but at least
        # WARBLE_MIN_HZ (a low tone's 8% would stay inside one band of a small picture)
        rate, swing = rng.uniform(4.0, 9.0), max(rng.uniform(0.08, 0.2) * f0, WARBLE_MIN_HZ)
        freq = f0 + swing * np.sin(2 * np.pi * rate * (t - start) + rng.uniform(0, 2 * np.pi))
    phase = 2 * np.pi * np.cumsum(freq) / sample_rate + rng.uniform(0, 2 * np.pi)
    # fades of 10 ms at each end: a hard edge would smear across every band
    fade = np.clip(np.minimum(t - start, start + length - t) / 0.01, 0.0, 1.0)
    loud = rng.uniform(0.2, 1.0)
    noise = rng.normal(0.0, loud * rng.uniform(0.05, 0.5), n)  # 6 dB to 26 dB below the tone
    return loud * fade * np.sin(phase) + noise


def make_arrays(
    classes=SOUND_CLASSES,
    per_class: int = 100,
    rows: int = 32,
    cols: int = 48,
    seed: int = 0,
    value_range=(0.0, 1.0),
):
    """(X (N, 1, rows, cols) float32 spectrograms in value_range, y (N,) int64). Each class has
    its own random stream: asking for more samples keeps the first ones."""
    if per_class < 1:
        raise DataError(f"need at least 1 sound per class, got {per_class}")
    _check_side("rows (frequency bands)", rows)
    _check_side("columns (moments)", cols)
    lo, hi = value_range
    x = np.empty((len(classes) * per_class, 1, rows, cols), np.float32)
    y = np.repeat(np.arange(len(classes), dtype=np.int64), per_class)
    for ci, name in enumerate(classes):
        rng = np.random.default_rng([seed, ci, 2])
        for i in range(per_class):
            x[ci * per_class + i, 0] = spectrogram(tone(name, rng), SAMPLE_RATE, rows, cols)
    return (x * (hi - lo) + lo).astype(np.float32), y


def write_folder(
    out_dir,
    per_class: int = 100,
    seed: int = 0,
    rows: int = 32,
    cols: int = 48,
    classes=SOUND_CLASSES,
) -> dict[str, int]:
    """A labelled folder of grayscale PNG spectrograms (one subfolder per class), the same
    pictures as make_arrays."""
    _check_side("rows (frequency bands)", rows)
    _check_side("columns (moments)", cols)
    out = output_folder(out_dir, classes)
    counts = {}
    for ci, name in enumerate(classes):
        rng = np.random.default_rng([seed, ci, 2])
        d = out / name
        d.mkdir(exist_ok=True)
        for i in range(per_class):
            picture = spectrogram(tone(name, rng), SAMPLE_RATE, rows, cols)
            save_png(d / f"{name}_{i:05d}.png", picture)
        counts[name] = per_class
    return counts
