"""Training on a GPU against a bare PyTorch loop on the same GPU and against the CPU. Prints
figures; asserts nothing (not a timed test).

    python3 tests/bench/bench_gpu.py [--quick] [--preset tinyvgg --preset shapes ...]
                                     [--rounds 3] [--per-class 1000] [--epochs 3]
                                     [--device cuda] [--cpu-seconds 20]

For each preset, on the preset's own input (the generated sample shapes, in colour for a
3-channel network), batch 64, Adam, no augmentation, no validation split, the images on the
device:
  bare      the plainest loop on the GPU: no read of the loss until the end
  convviz   core.training.train (what `convviz train` and the app's trainer run)
  trainer   the app's trainer process, fed the job as the window feeds it (live updates
            included)
  bare-bf16 the bare loop under torch.autocast(bfloat16): the mixed-precision experiment
  cpu       core.training.train on the CPU (its threads chosen as it trains), for --cpu-seconds
and then how far a bfloat16 forward pass lands from the float32 one the panels show (each
layer's largest difference against the layer's largest value, and how often the answer
differs). Targets (issue 18): convviz within 5% of the bare loop, and at least 5x the CPU for
tinyvgg. Without a CUDA GPU it says so and measures nothing (`--device cpu` runs it all on the
CPU, only to check the script itself).
"""

from __future__ import annotations

import argparse
import copy
import statistics
import time

import benchlib  # the repository on the path, Qt offscreen, settings apart

BATCH, LR = 64, 1e-3


def _sync(device):
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize(device)


def bare(model, X, y, epochs, device, autocast=False) -> float:
    """images/s of the plainest loop; the losses are never read (the fastest a loop can go)."""
    import torch
    import torch.nn.functional as F

    _sync(device)
    t0 = time.perf_counter()  # the images' copy to the device counted, as train() counts it
    model.to(device).train()
    xt, yt = torch.as_tensor(X).to(device), torch.as_tensor(y).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    gen = torch.Generator().manual_seed(0)
    for _ in range(epochs):
        order = torch.randperm(len(xt), generator=gen).to(device)
        for b in range(0, len(xt), BATCH):
            sel = order[b : b + BATCH]
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=autocast):
                loss = F.cross_entropy(model(xt[sel]), yt[sel])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    _sync(device)
    return len(xt) * epochs / (time.perf_counter() - t0)


def _config(device: str, epochs: int):
    from convviz.core.training import TrainConfig

    return TrainConfig(
        epochs=epochs,
        batch_size=BATCH,
        lr=LR,
        val_split=0.0,
        device=device,
        augment=False,
        keep_best=False,
    )


def ours(model, X, y, epochs, device) -> float:
    import torch

    from convviz.core.training import train

    dev = torch.device(device)
    _sync(dev)
    t0 = time.perf_counter()
    train(model, X, y, _config(device, epochs))
    _sync(dev)
    return len(y) * epochs / (time.perf_counter() - t0)


def trainer(model, X, y, epochs, device) -> float:
    from convviz.core.train_process import TrainerProcess
    from convviz.core.trainer_messages import Failed, Finished

    p = TrainerProcess()
    try:
        p.submit(model, X, y, _config(device, epochs))
        while True:
            msg = p.recv(600)
            if msg is None or isinstance(msg, Failed):
                raise RuntimeError(getattr(msg, "message", "the trainer went quiet"))
            if isinstance(msg, Finished):
                return msg.result.images_per_second
    finally:
        p.close()


def cpu(model, X, y, seconds: float) -> float:
    """convviz on the CPU for about `seconds` (a whole GPU run's images would take minutes)."""
    rate = ours(copy.deepcopy(model), X[:512], y[:512], 1, "cpu")
    n = int(min(len(y), max(512, rate * seconds)))
    return ours(model, X[:n], y[:n], 1, "cpu")


def precision(model, X, device) -> str:
    """How far bfloat16 autocast lands from float32, layer by layer, on 256 images."""
    import torch

    model = model.to(device).eval()
    x = torch.as_tensor(X[:256]).to(device)
    outs: dict[str, list] = {"f32": [], "bf16": []}
    for key, on in (("f32", False), ("bf16", True)):
        h = x
        with torch.inference_mode(), torch.autocast(device.type, torch.bfloat16, enabled=on):
            for layer in model.layers:
                h = layer(h)
                outs[key].append(h.float())
    worst = []
    for name, a, b in zip(model.names, outs["f32"], outs["bf16"], strict=True):
        off = (a - b).abs().max() / a.abs().max().clamp_min(1e-12)
        worst.append(f"{name} {off.item():.1%}")
    differ = (outs["f32"][-1].argmax(1) != outs["bf16"][-1].argmax(1)).float().mean().item()
    return (
        f"largest difference / layer's largest value: {', '.join(worst)}; "
        f"the answer differs on {differ:.1%} of the images"
    )


RUNS = {  # name -> (model, X, y, epochs, device) -> images/s
    "bare": lambda m, X, y, e, d: bare(m, X, y, e, d),
    "convviz": lambda m, X, y, e, d: ours(m, X, y, e, d.type),
    "trainer": lambda m, X, y, e, d: trainer(m, X, y, e, d.type),
    "bare-bf16": lambda m, X, y, e, d: bare(m, X, y, e, d, autocast=True),
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--preset", action="append", help="default: tinyvgg and shapes")
    ap.add_argument("--per-class", type=int, default=1000)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=3, help="back-to-back rounds (medians)")
    ap.add_argument("--cpu-seconds", type=float, default=20.0)
    ap.add_argument("--device", default="cuda", help="cuda (or cpu: checks the script only)")
    ap.add_argument("--quick", action="store_true", help="300 a class, 1 round")
    a = ap.parse_args()
    import torch

    from convviz.core.device import describe
    from convviz.core.network import build

    if a.device == "cuda" and not torch.cuda.is_available():
        print("no CUDA GPU here: nothing measured (this benchmark needs one)")
        return
    if a.quick:
        a.per_class, a.rounds, a.cpu_seconds = 300, 1, 5.0
    device = torch.device(a.device)
    print(f"on {describe(device)}, torch {torch.__version__}; batch {BATCH}, Adam, no augmentation")
    for name in a.preset or ["tinyvgg", "shapes"]:
        spec, X, y = benchlib.sample_arrays(name, a.per_class)
        start = build(spec, seed=0)
        shape = "x".join(map(str, (spec.channels, spec.rows, spec.cols)))
        print(f"\n{name}: {len(y)} images {shape}, {a.epochs} epochs a run")
        for run in RUNS.values():  # warm up (cuDNN's choice of kernels, the first allocations)
            run(copy.deepcopy(start), X, y, 1, device)
        rates: dict[str, list[float]] = {k: [] for k in RUNS}
        for i in range(a.rounds):  # the order turns round by round
            order = list(RUNS)[i % len(RUNS) :] + list(RUNS)[: i % len(RUNS)]
            for k in order:
                try:
                    rates[k].append(RUNS[k](copy.deepcopy(start), X, y, a.epochs, device))
                except Exception as e:  # noqa: BLE001 - a benchmark reports and goes on
                    print(f"  {k}: failed: {e}")
        med = {k: statistics.median(v) for k, v in rates.items() if v}
        on_cpu = cpu(copy.deepcopy(start), X, y, a.cpu_seconds)
        for k, v in med.items():
            vs = f"  {v / med['bare']:.2f}x the bare loop" if "bare" in med else ""
            print(f"  {k:10s} {v:12,.0f} images/s{vs}  {v / on_cpu:.1f}x the CPU")
        print(f"  {'cpu':10s} {on_cpu:12,.0f} images/s (convviz on the CPU)")
        print(f"  bfloat16: {precision(copy.deepcopy(start), X, device)}")


if __name__ == "__main__":
    main()
