"""How much does keeping every layer's values cost? model.trace(image) against the plain forward
pass model(x) under torch.inference_mode, for every preset, on the CPU and on CUDA when present.

    python3 tests/bench/bench_trace.py [--runs 500] [--warmup 50] [--threads N] [--preset NAME]

Prints a markdown table: median and 95th percentile in milliseconds, and trace / forward. The
trace includes everything the app pays for: numpy image in, every layer (and the pool winners)
back on the CPU as numpy arrays. On CUDA the forward pass is timed up to a synchronize, so both
columns measure finished work. Every preset, colour and rectangular ones included; a large one
(AlexNet) gets fewer runs, as many as fit in about RUN_SECONDS.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np
import torch

from convviz.core.bundled import preset_model
from convviz.core.device import available_devices, describe
from convviz.core.presets import PRESETS

RUN_SECONDS = 5.0  # per preset and side, at most: a network of 58 million parameters is slow


def _time(fn, runs: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def _p95(samples: list[float]) -> float:
    return float(np.percentile(samples, 95))


def bench(name: str, device: torch.device, runs: int, warmup: int) -> dict:
    model = preset_model(name).to(device).eval()
    spec = model.spec
    image = (
        np.random.default_rng(0)
        .uniform(*spec.value_range, (spec.channels, spec.rows, spec.cols))
        .astype(np.float32)
    )
    x = torch.from_numpy(image)[None].to(device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)

    def forward():
        with torch.inference_mode():
            model(x)
        sync()

    def trace():
        model.trace(image)  # ends with one copy to the CPU: already synchronised

    one = min(_time(trace, 3, 1))  # the quickest of three: one call may meet a busy machine
    runs = max(10, min(runs, int(RUN_SECONDS * 1000 / max(one, 1e-3))))
    warmup = min(warmup, runs // 5)
    # interleave the two so that drift in the machine's load hits both alike
    f_all, t_all = [], []
    for _ in range(5):
        f_all += _time(forward, runs // 5, warmup)
        t_all += _time(trace, runs // 5, warmup)
    # the trace really is the forward pass
    with torch.inference_mode():
        votes = model(x)[0].float().cpu().numpy()
    assert np.allclose(model.trace(image).votes, votes, atol=1e-5)
    f_med, t_med = statistics.median(f_all), statistics.median(t_all)
    return {
        "preset": name,
        "device": device.type,
        "runs": len(f_all),
        "f_med": f_med,
        "f_p95": _p95(f_all),
        "t_med": t_med,
        "t_p95": _p95(t_all),
        "ratio": t_med / f_med,
    }


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=500)
    p.add_argument("--warmup", type=int, default=50)
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's choice)")
    p.add_argument("--preset", action="append", help="only this preset (repeatable)")
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    devices = [torch.device("cpu")]
    if "cuda" in available_devices():
        devices.append(torch.device("cuda"))
    print(
        f"torch {torch.__version__}; {', '.join(describe(d) for d in devices)}; "
        f"{args.runs} runs after {args.warmup} warm-up runs (x5 blocks, interleaved)\n"
    )
    print(
        "| preset | device | runs | forward median ms | forward p95 ms | trace median ms | "
        "trace p95 ms | trace / forward |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for device in devices:
        for name in args.preset or PRESETS:
            r = bench(name, device, args.runs, args.warmup)
            print(
                f"| {r['preset']} | {r['device']} | {r['runs']} | {r['f_med']:.3f} | "
                f"{r['f_p95']:.3f} | "
                f"{r['t_med']:.3f} | {r['t_p95']:.3f} | {r['ratio']:.2f}x |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
