"""A WAV file becomes the spectrogram network's input exactly as the sample data is made: the
sample data's own tones, written to WAV at 8 kHz and at 44.1 kHz stereo, give (nearly) the
sample data's input, and the bundled `spectrogram` network classifies generated WAVs."""

import json

import numpy as np
import pytest
from wav_files import sinc_resample, write_wav

from convviz.core import sounds_data as sd
from convviz.core.errors import ConvvizError
from convviz.core.presets import preset
from convviz.core.sound_input import load_sound_input, loudest_clip, resample
from convviz.core.wav_read import read_wav
from convviz.core.weights import load_model

ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]
BUNDLED = ROOT / "resources" / "spectrogram.safetensors"


def _sine(hz, rate, seconds=1.0):
    return np.sin(2 * np.pi * hz * np.arange(round(seconds * rate)) / rate)


def test_the_resampler_keeps_what_lies_below_4_khz_and_drops_what_lies_above():
    low = resample(_sine(1000.0, 44100), 44100, 8000)
    assert low.size == 8000
    inner = slice(200, -200)  # the ends touch (the FFT treats the sound as periodic)
    np.testing.assert_allclose(low[inner], _sine(1000.0, 8000)[inner], atol=0.02)
    # 6 kHz cannot be held at 8 kHz: a linear interpolator would fold it to 2 kHz; here it goes
    high = resample(_sine(6000.0, 44100), 44100, 8000)
    assert np.sqrt(np.mean(high[inner] ** 2)) < 0.01
    up = resample(_sine(1000.0, 8000), 8000, 48000)  # and upwards
    np.testing.assert_allclose(up[1000:-1000], _sine(1000.0, 48000)[1000:-1000], atol=0.02)


def test_the_loudest_clip_is_taken_and_a_short_sound_is_centred_in_silence():
    x = np.zeros(30)
    x[17:22] = 1.0
    assert loudest_clip(x, 5).tolist() == [1.0] * 5
    np.testing.assert_array_equal(loudest_clip(np.ones(3), 7), [0, 0, 1, 1, 1, 0, 0])


def _tone(name, seed):
    x = sd.tone(name, np.random.default_rng([seed, sd.SOUND_CLASSES.index(name)]))
    return x / np.abs(x).max() * 0.9  # full scale, as a recording would be


@pytest.mark.parametrize("rate,stereo", [(8000, False), (44100, True)])
def test_the_sample_datas_tones_written_to_wav_give_the_sample_datas_input(tmp_path, rate, stereo):
    spec = preset("spectrogram")
    rows, cols = spec.input_shape
    lo, hi = spec.value_range
    for name in sd.SOUND_CLASSES:
        x = _tone(name, 11)
        expected = sd.spectrogram(x, sd.SAMPLE_RATE, rows, cols) * (hi - lo) + lo  # make_arrays
        y = sinc_resample(x, sd.SAMPLE_RATE, rate) if rate != sd.SAMPLE_RATE else x
        if stereo:  # the two channels differ; their mean is the tone
            y = np.stack([0.8 * y, 1.2 * y], axis=1)
        got = load_sound_input(write_wav(tmp_path / f"{name}.wav", y, rate=rate), spec)
        assert got.shape == (1, rows, cols) and got.dtype == np.float32
        diff = np.abs(got[0] - expected)
        # (the differences: 16-bit samples, the mean taken off, at 44.1 kHz the test's own
        # windowed-sinc upsampler softening the top band, just under 4 kHz: left out of the max)
        worst = diff[1:].max()
        assert diff.mean() < 0.005 and worst < 0.15, (name, diff.mean(), worst)
        loud = expected.max(axis=0) > hi - 0.1 * (hi - lo)  # columns where the tone sounds
        assert (got[0].argmax(axis=0)[loud] == expected.argmax(axis=0)[loud]).mean() > 0.95


def test_the_bundled_network_classifies_generated_wavs_at_several_rates(tmp_path):
    model, _ = load_model(BUNDLED)
    right = total = 0
    for rate, channels in [(8000, 1), (44100, 2), (22050, 1)]:
        for ci, name in enumerate(sd.SOUND_CLASSES):
            rng = np.random.default_rng([2024, ci, rate])  # not the training data's seeds
            for i in range(12):
                x = sd.tone(name, rng, sample_rate=rate)  # noise over the whole band
                x = x / np.abs(x).max() * 0.9
                y = np.stack([x] * channels, axis=1) if channels > 1 else x
                path = write_wav(tmp_path / f"{name}{i}.wav", y, rate=rate)
                right += model.trace(load_sound_input(path, model.spec)).winner == ci
                total += 1
    assert right / total >= 0.95, f"{right} of {total}"


@pytest.mark.parametrize("rate,seconds", [(8000, 1.0), (44100, 3.0)])
def test_a_steady_tone_in_a_wav_has_no_bright_edge_columns(tmp_path, rate, seconds):
    # the whole sound, or a clip cut from inside a longer one: either way the first and last
    # columns were lit in every band (window padding), 6 to 8 times the others' brightness
    spec = preset("spectrogram")
    lo, hi = spec.value_range
    path = write_wav(tmp_path / "steady.wav", 0.5 * _sine(1000.0, rate, seconds), rate=rate)
    picture = (load_sound_input(path, spec)[0] - lo) / (hi - lo)
    means = picture.mean(axis=0)
    assert means.max() - means.min() < 0.005, (means[:2], means[-2:])


def test_a_longer_recording_finds_its_whistle_and_a_short_one_is_padded(tmp_path):
    spec = preset("spectrogram")
    x = _tone("rising", 5)
    quiet = np.random.default_rng(0).normal(0, 0.001, 3 * sd.SAMPLE_RATE)
    quiet[sd.SAMPLE_RATE : 2 * sd.SAMPLE_RATE] += x  # the tone in the middle of 3 s
    long = load_sound_input(write_wav(tmp_path / "long.wav", quiet), spec)
    short = load_sound_input(write_wav(tmp_path / "short.wav", x[2000:6000]), spec)
    alone = load_sound_input(write_wav(tmp_path / "alone.wav", x), spec)
    assert np.abs(long - alone).mean() < 0.05
    lo = spec.value_range[0]
    assert (short[0, :, :4] == lo).all() and (short[0, :, -4:] == lo).all()  # silence each side


def test_only_a_spectrogram_network_takes_a_sound(tmp_path):
    path = write_wav(tmp_path / "s.wav", _sine(500.0, 8000))
    with pytest.raises(ConvvizError, match="spectrogram network only; the network 'shapes'"):
        load_sound_input(path, preset("shapes"))
    assert read_wav(path).seconds == 1.0


def test_predict_and_trace_take_a_wav(tmp_path, capsys):
    from convviz.cli import main

    paths = [write_wav(tmp_path / f"{n}.wav", _tone(n, 8)) for n in sd.SOUND_CLASSES]
    assert main(["predict", str(BUNDLED), *map(str, paths), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["class"] for r in rows] == list(sd.SOUND_CLASSES)
    assert main(["trace", "--preset", "spectrogram", str(paths[0])]) == 0
    assert "input 1x32x48" in capsys.readouterr().out
    assert main(["predict", "--preset", "shapes", str(paths[0])]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "spectrogram network only" in err[0], err
