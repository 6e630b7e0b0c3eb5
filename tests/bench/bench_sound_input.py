"""WAV files into the `spectrogram` network: how often the bundled weights are right on generated
WAVs at several sample rates, and how long reading and transforming a WAV takes (a one-second
clip, and the longest sound the limits accept).

    python3 tests/bench/bench_sound_input.py [--per-class 25]

The sounds are sounds_data.tone's, made at each rate itself (so their noise reaches that rate's
Nyquist frequency, as a recording's does) with seeds the training data never used.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import numpy as np  # noqa: E402
from wav_files import write_wav  # noqa: E402

from convviz.core import limits  # noqa: E402
from convviz.core.sound_input import load_sound_input  # noqa: E402
from convviz.core.sounds_data import SOUND_CLASSES, tone  # noqa: E402
from convviz.core.weights import load_model  # noqa: E402

RATES = [(8000, 1), (16000, 1), (22050, 2), (44100, 2), (48000, 1)]


def accuracy(model, folder: Path, per_class: int) -> list[tuple[str, int, int]]:
    rows = []
    for rate, channels in RATES:
        right = 0
        for ci, name in enumerate(SOUND_CLASSES):
            rng = np.random.default_rng([7, ci, rate])
            for _ in range(per_class):
                x = tone(name, rng, sample_rate=rate)
                x = x / np.abs(x).max() * 0.9
                y = np.stack([x] * channels, axis=1) if channels > 1 else x
                path = write_wav(folder / "s.wav", y, rate=rate)
                right += model.trace(load_sound_input(path, model.spec)).winner == ci
        label = f"{rate:,} Hz {'stereo' if channels == 2 else 'mono'}"
        rows.append((label, right, per_class * len(SOUND_CLASSES)))
    return rows


def timed(path: Path, spec, repeat: int) -> float:
    t0 = time.perf_counter()
    for _ in range(repeat):
        load_sound_input(path, spec)
    return (time.perf_counter() - t0) / repeat


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-class", type=int, default=25)
    args = ap.parse_args()
    model, _ = load_model(ROOT / "resources" / "spectrogram.safetensors")
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        rows = accuracy(model, folder, args.per_class)
        print("| WAV files | right | of |")
        print("| --- | ---: | ---: |")
        for label, right, total in rows:
            print(f"| {label} | {right} | {total} |")
        right, total = sum(r[1] for r in rows), sum(r[2] for r in rows)
        print(f"| all | {right} | {total} ({right / total:.1%}) |")
        one = write_wav(folder / "one.wav", np.zeros((44100, 2)), rate=44100)
        seconds = limits.SOUND_MAX_SECONDS
        rng = np.random.default_rng(0)
        big = write_wav(
            folder / "big.wav", rng.normal(0, 0.1, (seconds * 192_000, 2)), rate=192_000
        )
        print(f"\n1 s at 44.1 kHz stereo -> input: {timed(one, model.spec, 20) * 1000:.1f} ms")
        print(f"{seconds} s at 192 kHz stereo -> input: {timed(big, model.spec, 2):.2f} s")


if __name__ == "__main__":
    main()
