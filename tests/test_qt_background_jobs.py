"""Slow work runs off the window's thread (background.py): opening images and weights, exporting,
building presets; newest request wins; failures are one line; closing waits for every thread."""

import threading

import numpy as np
import pytest

from convviz.qt.background import BackgroundJobs

WAIT = 30_000  # ms


def test_a_job_runs_on_its_own_thread_and_delivers_on_the_windows(qtbot):
    jobs = BackgroundJobs()
    here, seen = threading.get_ident(), {}
    job = jobs.submit(
        "k",
        lambda _job: threading.get_ident(),
        lambda worker: seen.update(worker=worker, deliver=threading.get_ident()),
    )
    qtbot.waitUntil(lambda: "worker" in seen, timeout=WAIT)
    assert seen["worker"] != here and seen["deliver"] == here
    assert not jobs.running() and not job.thread.is_alive()


def test_the_newest_request_of_a_kind_wins(qtbot):
    jobs = BackgroundJobs()
    release, got = threading.Event(), []
    first = jobs.submit("image", lambda _job: release.wait(WAIT / 1000) and "first", got.append)
    jobs.submit("image", lambda _job: "second", got.append)
    jobs.submit("other", lambda _job: "other kind", got.append)  # another kind is left alone
    qtbot.waitUntil(lambda: len(got) == 2, timeout=WAIT)
    release.set()
    first.thread.join()
    qtbot.wait(50)
    assert sorted(got) == ["other kind", "second"] and first.cancelled()


def test_a_cancelled_job_says_so_instead_of_delivering(qtbot):
    jobs = BackgroundJobs()
    release, got, said = threading.Event(), [], []
    job = jobs.submit(
        "scan",
        lambda _job: release.wait(WAIT / 1000) and "late",
        got.append,
        cancelled=lambda: said.append("cancelled"),
    )
    jobs.cancel("scan")
    release.set()
    qtbot.waitUntil(lambda: bool(said), timeout=WAIT)
    assert said == ["cancelled"] and got == [] and job.cancelled()


def test_a_failure_is_one_line_and_busy_says_what_runs(qtbot):
    jobs = BackgroundJobs()
    busy, failures = [], []
    jobs.busy.connect(lambda text, cancellable: busy.append((text, cancellable)))

    def work(_job):
        raise ValueError("bad\nsecond line")

    jobs.submit("k", work, lambda _r: None, failures.append, text="Opening x.png…")
    qtbot.waitUntil(lambda: bool(failures), timeout=WAIT)
    assert failures == ["ValueError: bad"]
    assert busy[0] == ("Opening x.png…", True) and busy[-1] == ("", False)


def test_shutdown_cancels_and_waits_for_every_thread(qtbot):
    jobs = BackgroundJobs()
    started, done = threading.Event(), []

    def work(job):
        started.set()
        while not job.cancelled():
            threading.Event().wait(0.01)
        return "late"

    job = jobs.submit("k", work, done.append)
    started.wait(WAIT / 1000)
    assert jobs.shutdown()
    assert not job.thread.is_alive()
    qtbot.wait(50)
    assert done == []  # a cancelled job's result is dropped


def test_nothing_starts_after_shutdown(qtbot):
    jobs = BackgroundJobs()
    ran, done = [], []
    assert jobs.shutdown()
    late = jobs.submit("k", lambda _job: ran.append(1), done.append)
    qtbot.wait(50)
    assert late.cancelled() and late.thread is None
    assert ran == [] and done == [] and jobs.running() == []


# ---- the window ------------------------------------------------------------------------------
@pytest.fixture
def window(make_window):
    w = make_window("xo")
    w.jobs.inline = False  # as in the app (tests elsewhere load in place)
    return w


def blocking(monkeypatch, target, result=None):
    """Replace `target` with a function that waits for the test's go-ahead."""
    go, calls = threading.Event(), []

    def slow(*args, **kwargs):
        calls.append(threading.get_ident())
        assert go.wait(WAIT / 1000)
        return result(*args, **kwargs) if callable(result) else result

    monkeypatch.setattr(target, slow)
    return go, calls


def test_opening_an_image_leaves_the_window_free(qtbot, window, monkeypatch, tmp_path):
    go, calls = blocking(
        monkeypatch,
        "convviz.core.imageio.load_image",
        lambda path, shape, vr, *_a, **_k: np.full(shape, vr[1], np.float32),
    )
    window.open_image(str(tmp_path / "huge.png"))  # returns while the picture decodes
    qtbot.waitUntil(lambda: bool(calls), timeout=WAIT)
    assert calls[0] != threading.get_ident()
    busy = window.status_line.busy_label
    assert busy.isVisibleTo(window) and "huge.png" in busy.text()
    assert window.status_line.busy_cancel.isVisibleTo(window)
    assert window.session.canvas.ink.max() == 0  # not yet
    go.set()
    qtbot.waitUntil(lambda: window.session.canvas.ink.min() == 1, timeout=WAIT)
    assert not window.status_line.busy_label.isVisibleTo(window)


def test_cancel_drops_the_image(qtbot, window, monkeypatch, tmp_path):
    go, calls = blocking(
        monkeypatch,
        "convviz.core.imageio.load_image",
        lambda path, shape, vr, *_a, **_k: np.full(shape, vr[1], np.float32),
    )
    window.open_image(str(tmp_path / "huge.png"))
    qtbot.waitUntil(lambda: bool(calls), timeout=WAIT)
    window.status_line.busy_cancel.click()
    go.set()
    window.jobs.shutdown()
    qtbot.wait(50)
    assert window.session.canvas.ink.max() == 0
    assert not window.status_line.busy_label.isVisibleTo(window)


def test_exporting_leaves_the_window_free(qtbot, window, monkeypatch, tmp_path):
    out = tmp_path / "xo.safetensors"
    go, calls = blocking(monkeypatch, "convviz.core.weights.save_model", lambda *a, **k: out)
    monkeypatch.setattr(
        "convviz.qt.window_files.QFileDialog.getSaveFileName", lambda *a, **k: (str(out), "")
    )
    window.export_weights()
    qtbot.waitUntil(lambda: bool(calls), timeout=WAIT)
    assert (
        calls[0] != threading.get_ident()
        and "Exporting xo.safetensors" in window.status_line.busy_label.text()
    )
    go.set()
    qtbot.waitUntil(lambda: "Saved" in window.statusBar().currentMessage(), timeout=WAIT)


def test_opening_weights_leaves_the_window_free(qtbot, window, monkeypatch, tmp_path):
    from convviz.core.bundled import preset_model
    from convviz.core.weights import save_model

    path = tmp_path / "shapes.safetensors"
    save_model(preset_model("shapes"), path)
    from convviz.core import weights

    go, calls = blocking(monkeypatch, "convviz.core.weights.load_model", weights.load_model)
    window.open_weights(str(path))
    qtbot.waitUntil(lambda: bool(calls), timeout=WAIT)
    assert calls[0] != threading.get_ident() and window.session.spec.name == "xo"
    go.set()
    qtbot.waitUntil(lambda: window.session.spec.name == "shapes", timeout=WAIT)


def test_a_preset_chosen_while_weights_open_wins(qtbot, window, monkeypatch, tmp_path):
    from convviz.core import weights
    from convviz.core.bundled import preset_model

    path = tmp_path / "shapes.safetensors"
    weights.save_model(preset_model("shapes"), path)
    go, calls = blocking(monkeypatch, "convviz.core.weights.load_model", weights.load_model)
    window.open_weights(str(path))
    qtbot.waitUntil(lambda: bool(calls), timeout=WAIT)
    window.preset_actions["lenet5"].trigger()  # the later choice
    qtbot.waitUntil(
        lambda: window.session.ready and window.session.spec.name == "lenet5", timeout=WAIT
    )
    go.set()
    qtbot.wait(200)
    assert window.session.spec.name == "lenet5"  # the slow file did not take over afterwards


def test_closing_waits_for_every_thread(qtbot, window, monkeypatch, tmp_path):
    go, calls = blocking(
        monkeypatch,
        "convviz.core.imageio.load_image",
        lambda path, size, vr: np.zeros((size, size), np.float32),
    )
    window.open_image(str(tmp_path / "huge.png"))
    qtbot.waitUntil(lambda: bool(calls), timeout=WAIT)
    job = window.jobs.running()[0]
    threading.Timer(0.2, go.set).start()
    window.persist = False
    assert window.close()
    assert not job.thread.is_alive()  # waited for, not left running after the window went


def test_onnx_is_written_by_a_process_of_its_own(qtbot, window, monkeypatch, tmp_path):
    """torch's ONNX exporter holds the GIL for whole seconds: a thread would still freeze the
    window, so the file is written by another process."""

    from convviz.core.weights import load_model

    def not_here(*_a, **_k):
        raise AssertionError("ONNX written in the window's process")

    monkeypatch.setattr("convviz.core.weights.save_model", not_here)  # the child has its own
    out = tmp_path / "xo.onnx"
    monkeypatch.setattr(
        "convviz.qt.window_files.QFileDialog.getSaveFileName", lambda *a, **k: (str(out), "")
    )
    window.export_weights()
    qtbot.waitUntil(lambda: "Saved" in window.statusBar().currentMessage(), timeout=120_000)
    model, _meta = load_model(out)
    assert model.spec == window.session.spec
    assert oct(out.stat().st_mode & 0o777) == oct(0o666 & ~_umask())


def _umask() -> int:
    import os

    mask = os.umask(0o022)
    os.umask(mask)
    return mask
