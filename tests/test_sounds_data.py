"""Generated sounds and the spectrogram transform, checked by hand: where a known tone's energy
must lie, low frequencies at the bottom row."""

import numpy as np
import pytest
from PIL import Image

from convviz.core import limits
from convviz.core.errors import DataError
from convviz.core.sounds_data import (
    SAMPLE_RATE,
    SOUND_CLASSES,
    make_arrays,
    sound_names,
    spectrogram,
    tone,
    write_folder,
)


def _sine(hz, seconds=1.0, rate=SAMPLE_RATE):
    t = np.arange(int(seconds * rate)) / rate
    return np.sin(2 * np.pi * hz * t)


def test_a_steady_sine_lies_in_its_band_counted_from_the_bottom():
    # 32 bands over 0..4000 Hz: 125 Hz each. 1062.5 Hz is the middle of band 8 from the bottom
    # (1000..1125 Hz), so row 32 - 1 - 8 = 23 counted from the top.
    s = spectrogram(_sine(1062.5), SAMPLE_RATE, 32, 40)
    assert s.shape == (32, 40) and s.dtype == np.float32
    assert s.min() >= 0 and s.max() <= 1
    assert (s.argmax(axis=0) == 23).all()  # every column
    # a low tone is near the bottom, a high one near the top
    assert spectrogram(_sine(190.0), SAMPLE_RATE, 32, 8).argmax(axis=0).tolist() == [30] * 8
    assert spectrogram(_sine(3900.0), SAMPLE_RATE, 32, 8).argmax(axis=0).tolist() == [0] * 8
    # another sample rate: 16 bands over 0..2000 Hz, 125 Hz each; 600 Hz is band 4 -> row 11
    assert (spectrogram(_sine(600.0, rate=4000), 4000, 16, 10).argmax(axis=0) == 11).all()


def test_a_rising_tone_climbs_from_column_to_column():
    t = np.arange(SAMPLE_RATE) / SAMPLE_RATE
    freq = 300 + 3000 * t  # 300 Hz -> 3300 Hz over one second
    s = spectrogram(np.sin(2 * np.pi * np.cumsum(freq) / SAMPLE_RATE), SAMPLE_RATE, 32, 24)
    peak_band = 31 - s.argmax(axis=0)  # counted from the bottom
    assert (np.diff(peak_band) >= 0).all() and peak_band[-1] - peak_band[0] >= 20
    # and where it should be: the band of the frequency at each column's moment
    half = 128  # half a 256-sample window: the first and last moments lie that far in
    moments = np.linspace(half, SAMPLE_RATE - half, 24) / SAMPLE_RATE
    expected = ((300 + 3000 * moments) // 125).astype(int)
    assert np.abs(peak_band - expected).max() <= 1


def test_a_steady_tone_is_as_bright_in_the_first_and_last_columns_as_in_the_rest():
    # each column's window lies wholly inside the sound: padding with silence put a hard edge at
    # the middle of the first and last windows, which lit every band there (mean 0.375 a column
    # at the edges against 0.059 inside for this tone)
    for hz, rows, cols in ((1000.0, 32, 48), (1003.7, 32, 48), (440.0, 64, 20)):
        s = spectrogram(0.5 * _sine(hz), SAMPLE_RATE, rows, cols)
        means = s.mean(axis=0)
        assert means.max() - means.min() < 0.005, (hz, means[:2], means[-2:])
        np.testing.assert_allclose(s[:, 0], s[:, cols // 2], atol=0.01)  # band by band
    # a sound shorter than one window still gives a picture, centred on its own samples
    short = spectrogram(_sine(1000.0, seconds=0.01), SAMPLE_RATE, 32, 8)
    assert (short.argmax(axis=0) == 23).all()


def test_loudness_does_not_change_the_picture_and_silence_is_refused_cleanly():
    a = spectrogram(_sine(1000) + 0.01 * np.random.default_rng(0).normal(size=8000), 8000, 16, 16)
    b = spectrogram(
        10 * (_sine(1000) + 0.01 * np.random.default_rng(0).normal(size=8000)), 8000, 16, 16
    )
    np.testing.assert_allclose(a, b, atol=1e-5)
    quiet = spectrogram(np.zeros(100), 8000, 8, 8)  # nothing there: a flat picture, no NaN
    assert np.isfinite(quiet).all()
    with pytest.raises(DataError, match="not finite"):
        spectrogram(np.array([0.0, np.nan]), 8000, 8, 8)
    with pytest.raises(DataError, match="at least one sample"):
        spectrogram(np.array([]), 8000, 8, 8)
    hi = limits.SOUNDS_SIZE_RANGE[1]
    with pytest.raises(DataError, match=f"rows .* between .* and {hi}, got {hi + 1}"):
        spectrogram(_sine(100), 8000, hi + 1, 8)


def _path_of_peak(picture):
    return picture.shape[0] - 1 - picture.argmax(axis=0)


def test_each_class_looks_like_its_name():
    x, y = make_arrays(per_class=20, rows=32, cols=48, seed=4)
    assert sound_names() == SOUND_CLASSES and x.shape == (80, 1, 32, 48)
    for picture, label in zip(x[:, 0], y, strict=True):
        loud = picture.max(axis=0) > 0.9  # columns where the tone sounds
        band = _path_of_peak(picture)[loud]
        name = SOUND_CLASSES[label]
        rise = band[-3:].mean() - band[:3].mean()
        if name == "rising":
            assert rise >= 3
        elif name == "falling":
            assert rise <= -3
        elif name == "steady":
            assert np.ptp(band) <= 1
        else:
            assert np.ptp(band) >= 2 and abs(rise) < np.ptp(band) + 1


def test_samples_vary_and_are_the_same_for_a_seed():
    a, ya = make_arrays(per_class=5, rows=16, cols=20, seed=1)
    b, _ = make_arrays(per_class=5, rows=16, cols=20, seed=1)
    c, _ = make_arrays(per_class=5, rows=16, cols=20, seed=2)
    more, _ = make_arrays(per_class=7, rows=16, cols=20, seed=1)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    np.testing.assert_array_equal(more[:5], a[:5])  # more samples keep the first
    assert ya.tolist() == [0] * 5 + [1] * 5 + [2] * 5 + [3] * 5
    steady = [_path_of_peak(p)[p.max(axis=0) > 0.9][0] for p in a[10:15, 0]]
    assert len(set(steady)) > 2  # random start pitches
    m, _ = make_arrays(per_class=5, rows=16, cols=20, seed=1, value_range=(-1.0, 1.0))
    np.testing.assert_allclose(m, a * 2 - 1, atol=1e-6)
    with pytest.raises(DataError, match="no sound called 'hum'"):
        tone("hum", np.random.default_rng(0))


def test_write_folder_writes_grayscale_pngs_of_the_arrays(tmp_path):
    counts = write_folder(tmp_path / "s", per_class=2, seed=3, rows=16, cols=24)
    assert counts == {c: 2 for c in SOUND_CLASSES}
    x, _ = make_arrays(per_class=2, rows=16, cols=24, seed=3)
    with Image.open(tmp_path / "s" / "falling" / "falling_00001.png") as im:
        assert im.mode == "L" and im.size == (24, 16)
        np.testing.assert_allclose(np.asarray(im) / 255, x[3, 0], atol=0.5 / 255 + 1e-6)
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "steady").write_text("mine")  # a file where a class folder would go
    with pytest.raises(DataError, match="already holds other files"):
        write_folder(tmp_path / "t", per_class=1)
