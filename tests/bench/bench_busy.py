"""Training speed on a busy computer. Prints figures; asserts nothing (not a timed test).

    python3 tests/bench/bench_busy.py [--quick] [--rounds 3] [--per-class 500] [--epochs 4]
                                      [--kinds cli,trainer,...] [--loads idle,busy,...]

Three ways to train the `shapes` network on the same images (batch 64, Adam, no augmentation,
no validation split), each in a process of its own:
  cli      `python -m convviz train FOLDER ...` (its "trained at N images/s" line)
  trainer  the app's trainer process (convviz.core.train_process.TrainerProcess, at the
           priority the app gives it, its threads chosen as it trains), fed a job as the
           window feeds it
  trainer-nice10  the same at nice 10 (CONVVIZ_TRAINER_NICE=10: the app's priority until
           the trainer watched its window; still used where it cannot)
  bare     the plainest PyTorch loop at torch's default thread count
  cli-unwatched, trainer-unwatched  the same without the machine watch (CONVVIZ_MACHINE_WATCH=0:
           every count timed, as before it)
under each load, measured side by side in one run (the loads take turns, round by round):
  idle     nothing else
  busy     a plain busy loop pinned to one core (on 4 or more cores: to half of them)
  torch    another PyTorch program training on 2 threads, as a notebook would
  two      two of the same kind at once (the figure is the two together)
Targets (issue 18): at least 0.7x the idle speed with a busy core, 0.5x next to another PyTorch
program, two convviz trainings together at least one alone; never slower than the bare loop
under the same load. `--quick` (one round of fewer images) finishes in about 3 minutes on 2
cores. `--kinds trainer,trainer-nice5,trainer-nice10 --loads idle,busy --rounds 6` measures
the trainer at three priorities back to back (the order alternates from round to round).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import benchlib

HERE = os.path.abspath(__file__)
KINDS = ("cli", "trainer", "trainer-nice10", "bare")
LOADS = ("idle", "busy", "torch", "two")
BATCH, LR = 64, 3e-3


# ---- workers: each runs in its own process and prints one JSON line ------------------------


def _arrays(data):
    import numpy as np

    with np.load(os.path.join(data, "arrays.npz")) as z:
        return z["X"], z["y"]


QUIET_S = 300.0  # s a trainer may stay silent (a starved nice-10 one importing torch took over 60)
BARE_CAP_S = 40.0  # a bare loop stops after this long and gives its rate so far (next to another
# PyTorch program it can fall to a few hundred images/s)


def worker_bare(data, epochs, cap_s=BARE_CAP_S):
    import torch
    import torch.nn.functional as F

    from convviz.core.network import build
    from convviz.core.presets import preset

    X, y = _arrays(data)
    model = build(preset("shapes").with_classes(tuple(map(str, range(int(y.max()) + 1)))), seed=0)
    xt, yt = torch.as_tensor(X), torch.as_tensor(y)
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    gen = torch.Generator().manual_seed(0)
    t0, done = time.perf_counter(), 0
    for _ in range(epochs):
        order = torch.randperm(len(xt), generator=gen)
        for b in range(0, len(xt), BATCH):
            sel = order[b : b + BATCH]
            loss = F.cross_entropy(model(xt[sel]), yt[sel])
            loss.item()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            done += len(sel)
            if time.perf_counter() - t0 > cap_s:
                break
        if time.perf_counter() - t0 > cap_s:
            break
    return {"ips": done / (time.perf_counter() - t0), "threads": torch.get_num_threads()}


def worker_trainer(data, epochs):
    from convviz.core.network import build
    from convviz.core.presets import preset
    from convviz.core.train_process import TrainerProcess
    from convviz.core.trainer_messages import Failed, Finished, Progress
    from convviz.core.training import TrainConfig

    X, y = _arrays(data)
    model = build(preset("shapes").with_classes(tuple(map(str, range(int(y.max()) + 1)))), seed=0)
    p = TrainerProcess()
    try:
        p.submit(
            model,
            X,
            y,
            TrainConfig(
                epochs=epochs, batch_size=BATCH, lr=LR, val_split=0, device="cpu", augment=False
            ),
        )
        threads = 0
        while True:
            msg = p.recv(QUIET_S)
            if msg is None:
                raise RuntimeError("the trainer went quiet")
            if isinstance(msg, Progress):
                threads = msg.progress.threads
            if isinstance(msg, Failed):
                raise RuntimeError(msg.message)
            if isinstance(msg, Finished):
                r = msg.result
                return {"ips": r.images_per_second, "threads": r.threads or threads}
    finally:
        p.close()


def worker_cli(data, epochs):
    import re

    with tempfile.TemporaryDirectory(prefix="convviz-bench-busy-") as out:
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "convviz",
                "train",
                os.path.join(data, "folder"),
                "--out",
                os.path.join(out, "w.safetensors"),
                "--epochs",
                str(epochs),
                "--val-split",
                "0",
                "--no-augment",
                "--device",
                "cpu",
                "--batch-size",
                str(BATCH),
                "--lr",
                str(LR),
            ],
            capture_output=True,
            text=True,
            cwd=benchlib.ROOT,
        )
    m = re.search(r"trained at ([\d,]+) images/s on (\d+) CPU thread", run.stderr)
    if run.returncode or not m:
        raise RuntimeError(f"convviz train failed: {run.stderr[-500:]}")
    return {"ips": float(m.group(1).replace(",", "")), "threads": int(m.group(2))}


def load_torch(data):
    """A notebook training on 2 threads, for ever."""
    import torch

    torch.set_num_threads(2)
    while True:
        worker_bare(data, 1000, cap_s=float("inf"))


# ---- the runner ------------------------------------------------------------------------------


def _spawn(*args):
    return subprocess.Popen(
        [sys.executable, HERE, *map(str, args)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=benchlib.ROOT,
    )


def _result(proc):
    out, _ = proc.communicate(timeout=600)
    if proc.returncode:
        raise RuntimeError(f"a worker failed (exit {proc.returncode})")
    return json.loads(out.strip().splitlines()[-1])


def _start_load(load, data):
    if load == "busy":  # one core busy; on 4 or more, half of them
        return benchlib.start_busy()
    if load == "torch":
        return [_spawn("--load-torch", "--data", data)]
    return []


def measure(kind, load, data, epochs):
    """images/s of `kind` under `load` (for "two": both runs together) and the threads used."""
    loads = _start_load(load, data)
    try:
        time.sleep(0.5 if loads else 0)  # the load is running before the measure starts
        runs = [
            _spawn("--worker", kind, "--data", data, "--epochs", epochs)
            for _ in range(2 if load == "two" else 1)
        ]
        got = [_result(r) for r in runs]
    finally:
        benchlib.stop(loads)
    return sum(g["ips"] for g in got), "+".join(str(g["threads"]) for g in got)


def prepare(per_class, root):
    import numpy as np

    from convviz.core.folders import load_folder
    from convviz.core.shapes_data import write_folder

    write_folder(os.path.join(root, "folder"), per_class=per_class, seed=0, size=28)
    im = load_folder(os.path.join(root, "folder"), 28, (-1.0, 1.0))
    np.savez(os.path.join(root, "arrays.npz"), X=im.X, y=im.y)
    return len(im.y)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="one round, fewer images (~3 min)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--per-class", type=int, default=500)
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument(
        "--kinds",
        default=",".join(KINDS),
        help="comma-separated, of: cli, trainer, trainer-niceN (the trainer at nice N), bare; "
        "cli-unwatched, trainer-unwatched: without the machine watch (CONVVIZ_MACHINE_WATCH=0)",
    )
    ap.add_argument(
        "--loads", default=",".join(LOADS), help="comma-separated, of: " + ", ".join(LOADS)
    )
    ap.add_argument("--worker")
    ap.add_argument("--data")
    ap.add_argument("--load-torch", action="store_true")
    a = ap.parse_args()
    if a.load_torch or a.worker:
        benchlib.die_with_parent()
    else:  # a timeout's SIGTERM still stops the loads (the finally blocks run)
        import signal

        signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    if a.load_torch:
        load_torch(a.data)
    if a.worker:
        kind = a.worker
        if kind.endswith("-unwatched"):  # read by the command line / trainer process it starts
            os.environ["CONVVIZ_MACHINE_WATCH"] = "0"
            kind = kind[: -len("-unwatched")]
        if kind.startswith("trainer-nice"):  # read by the trainer process it starts
            os.environ["CONVVIZ_TRAINER_NICE"] = kind[len("trainer-nice") :]
        work = {"cli": worker_cli, "bare": worker_bare}.get(kind, worker_trainer)
        print(json.dumps(work(a.data, a.epochs)))
        return
    kinds, loads = a.kinds.split(","), a.loads.split(",")
    for k in kinds:
        if not re.fullmatch(r"(cli|bare|trainer(-nice(1[0-9]|[0-9]))?)(-unwatched)?", k):
            ap.error(f"unknown kind {k!r}")
    for ld in loads:
        if ld not in LOADS:
            ap.error(f"unknown load {ld!r}")
    if a.quick:
        a.rounds, a.per_class, a.epochs = 1, 300, 3
    with tempfile.TemporaryDirectory(prefix="convviz-bench-busy-") as data:
        n = prepare(a.per_class, data)
        cores = len(os.sched_getaffinity(0))
        print(
            f"data: {n} images of 28x28, shapes network, batch {BATCH}, Adam, {a.epochs} "
            f"epochs, no augmentation, no validation; {cores} cores; {a.rounds} round(s), "
            f"loads in turn each round; figures are medians over rounds",
            flush=True,
        )
        rates = {(k, ld): [] for k in kinds for ld in loads}
        threads = {}
        t0 = time.perf_counter()
        for r in range(a.rounds):
            for load in loads:
                # every other round the other way round: no kind always runs first (A/B)
                for kind in kinds if r % 2 == 0 else kinds[::-1]:
                    ips, th = measure(kind, load, data, a.epochs)
                    rates[kind, load].append(ips)
                    threads[kind, load] = th
                    print(
                        f"   round {r + 1}: {kind:<17} {load:<6} {ips:>9,.0f} images/s "
                        f"(threads {th}; load average {os.getloadavg()[0]:.2f})",
                        flush=True,
                    )
        report(kinds, loads, rates, threads)
        print(f"(measured in {time.perf_counter() - t0:.0f} s)")


def report(kinds, loads, rates, threads):
    med = {key: statistics.median(v) for key, v in rates.items()}

    def vs_idle(kind, ld):
        return f"{med[kind, ld] / med[kind, 'idle']:4.2f}x " if "idle" in loads else ""

    heads = "".join(f"{ld:>22}" for ld in loads)
    print(f"{'images/s, x idle (threads at the end)':<32}" + heads)
    for kind in kinds:
        print(
            f"{kind:<32}"
            + "".join(
                f"{med[kind, ld]:>9,.0f} {vs_idle(kind, ld)}({threads[kind, ld]:>3})"
                for ld in loads
            )
        )
    if "idle" not in loads or "bare" not in kinds:
        return  # the targets need both
    print(
        "targets: busy >= 0.70x idle, torch >= 0.50x idle, two >= 1.00x idle (both "
        "together), and convviz >= the bare loop under the same load:"
    )
    goal = {"busy": 0.7, "torch": 0.5, "two": 1.0}
    for kind in (k for k in kinds if k != "bare"):
        for load, g in ((ld, g) for ld, g in goal.items() if ld in loads):
            x_idle = med[kind, load] / med[kind, "idle"]
            x_bare = med[kind, load] / med["bare", load]
            ok = "met" if x_idle >= g and x_bare >= 1 else "NOT met"
            print(f"  {kind:<17} {load:<6} {x_idle:4.2f}x idle, {x_bare:4.2f}x the bare loop: {ok}")


if __name__ == "__main__":
    main()
