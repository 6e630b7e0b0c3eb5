"""The trainer's stop and pause flags (core/shared_flag.py): an Event's behaviour across
processes, and nothing left behind when the app leaves by os._exit after a training run."""

import subprocess
import sys
import textwrap
import time

from convviz.core.shared_flag import SharedFlag


def test_a_flag_sets_clears_and_waits_like_an_event():
    import multiprocessing as mp

    f = SharedFlag(mp.get_context("spawn"))
    assert not f.is_set()
    t = time.monotonic()
    assert f.wait(0.05) is False and time.monotonic() - t >= 0.05
    f.set()
    assert f.is_set() and f.wait(0.0) is True and f.wait() is True
    f.clear()
    assert not f.is_set()


def test_quitting_after_a_training_run_leaves_no_semaphores_behind(tmp_path):
    """It was "resource_tracker: There appear to be 10 leaked semaphore objects" on every quit
    after training: two multiprocessing Events, never unlinked before os._exit."""
    script = textwrap.dedent(
        """
        import numpy as np
        from convviz.app import leave_now
        from convviz.core.network import build
        from convviz.core.presets import preset
        from convviz.core.train_process import TrainerProcess
        from convviz.core.trainer_messages import Failed, Finished
        from convviz.core.training import TrainConfig

        spec = preset("shapes").with_classes(("a", "b"))
        x = np.random.default_rng(0).uniform(-1, 1, (16, 1, 28, 28)).astype(np.float32)
        y = np.arange(16) % 2
        p = TrainerProcess()
        p.submit(build(spec, seed=0), x, y, TrainConfig(epochs=1, batch_size=8, device="cpu"))
        while True:
            msg = p.recv(120)
            assert msg is not None and not isinstance(msg, Failed), msg
            if isinstance(msg, Finished):
                break
        p.stop.set(); p.running.clear()  # the flags the window sets, as it does on a stop
        print("trained", flush=True)
        leave_now(0)
        """
    )
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0 and "trained" in run.stdout, run.stderr[-2000:]
    time.sleep(1.0)  # the resource tracker speaks once the process it watched is gone
    assert "leaked" not in run.stderr, run.stderr[-2000:]
