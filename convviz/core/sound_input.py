"""A WAV file -> a spectrogram network's input, made exactly as the sample data is (sounds_data).

The steps, each a choice the network's training data fixes:

1. read: core/wav_read (limits checked first), the channels mixed to one by their mean;
2. resample to sounds_data.SAMPLE_RATE with a band-limited FFT resampler (the spectrum kept up
   to the new Nyquist frequency and cut there, as scipy.signal.resample does): a linear
   interpolator would fold a 44.1 kHz recording's hiss above 4 kHz back into the picture, which
   the sample data never has. One FFT of at most a minute (limits.SOUND_MAX_SECONDS) is cheap;
3. the mean taken off (a microphone's DC offset would light the bottom row; the sample data's
   mean is 0 already);
4. one CLIP_SECONDS clip: the loudest (most energy) of a longer sound, so that a whistle in a
   longer recording is found; a shorter sound is padded with silence on both sides equally,
   centred as the sample data's tones mostly are;
5. sounds_data.spectrogram(clip, SAMPLE_RATE, rows, cols), mapped into the value range as
   sounds_data.make_arrays maps it: (1, rows, cols) float32.
"""

from __future__ import annotations

import numpy as np

from .errors import DataError
from .imageio import shown
from .sounds_data import CLIP_SECONDS, SAMPLE_RATE, spectrogram
from .wav_read import Sound, is_sound_path, read_wav

SPECTROGRAM_KIND = "spectrogram"  # spec.INPUT_KINDS: the networks that take a sound


def resample(samples: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """Band-limited resampling by the FFT: the spectrum below both Nyquist frequencies kept
    exactly, everything above dropped (no aliasing); float64 out, round(n x rate_out/rate_in)
    samples (at least 1). The signal is treated as periodic, so its two ends touch: nearly
    harmless here, where the clip is mostly taken from inside; a whole one-second sound's ends
    ring faintly in the top band only (under 0.1 of the range in the first and last columns)."""
    x = np.asarray(samples, dtype=np.float64)
    if rate_in == rate_out:
        return x
    n_out = max(1, round(x.size * rate_out / rate_in))
    spectrum = np.fft.rfft(x)
    keep = min(spectrum.size, n_out // 2 + 1)
    out = np.fft.irfft(spectrum[:keep], n_out)
    return out * (n_out / x.size)  # irfft divides by its own length: keep the loudness


def loudest_clip(samples: np.ndarray, length: int) -> np.ndarray:
    """`length` samples: the run of them with the most energy, or the sound padded with
    silence equally on both sides when it is shorter."""
    x = np.asarray(samples, dtype=np.float64)
    if x.size <= length:
        before = (length - x.size) // 2
        return np.concatenate([np.zeros(before), x, np.zeros(length - x.size - before)])
    energy = np.concatenate([[0.0], np.cumsum(x * x)])
    start = int(np.argmax(energy[length:] - energy[:-length]))  # the first of equal ones
    return x[start : start + length]


def sound_to_input(sound: Sound, rows: int, cols: int, value_range) -> np.ndarray:
    """A read sound -> (1, rows, cols) float32 in value_range, as the sample data is made."""
    x = resample(sound.samples, sound.sample_rate, SAMPLE_RATE)
    x = x - x.mean()
    clip = loudest_clip(x, round(CLIP_SECONDS * SAMPLE_RATE))
    picture = spectrogram(clip, SAMPLE_RATE, rows, cols)
    lo, hi = value_range
    return (picture * (hi - lo) + lo).astype(np.float32)[None]


def load_sound_input(path, spec) -> np.ndarray:
    """A WAV file -> the input of `spec` (a spectrogram network): (1, rows, cols)."""
    if spec.input_kind != SPECTROGRAM_KIND:
        raise DataError(
            f"{shown(path)}: a sound is the input of a spectrogram network only; the network "
            f"{spec.name!r} takes pictures"
        )
    if spec.channels != 1:
        raise DataError(
            f"{shown(path)}: a sound makes a 1-channel spectrogram but the network "
            f"{spec.name!r} takes {spec.channels} channels"
        )
    rows, cols = spec.input_shape
    return sound_to_input(read_wav(path), rows, cols, spec.value_range)


def load_network_input(path, spec) -> np.ndarray:
    """What the command line gives a network: a WAV file for a spectrogram network (a sound
    for any other is refused), else a picture or number grid (imageio.load_input)."""
    from .imageio import load_input

    if is_sound_path(path):
        return load_sound_input(path, spec)
    return load_input(path, spec.input_shape, spec.value_range, spec.channels)
