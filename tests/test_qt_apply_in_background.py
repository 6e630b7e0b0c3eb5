"""Architecture > Apply builds the new network off the window's thread (the session's "network"
background job): the panel says it is working, the newest request wins, a failure is one line."""

import threading

import pytest

import convviz.core.network as network
from convviz.qt.deck.architecture_wiring import EDITED


class _Calls(list):
    copies: list


@pytest.fixture
def slow_build(monkeypatch):
    """network.build, recording the thread it ran on and waiting for `release` first."""
    real = network.build
    calls, release = _Calls(), threading.Event()

    def build(spec, *a, **k):
        calls.append((spec, threading.current_thread()))
        assert release.wait(10), "the test never released the build"
        return real(spec, *a, **k)

    monkeypatch.setattr(network, "build", build)
    real_snapshot = network.ConvNet.snapshot
    copies = []  # (the model copied, the thread it was copied on)

    def snapshot(self):
        copies.append((self, threading.current_thread()))
        return real_snapshot(self)

    monkeypatch.setattr(network.ConvNet, "snapshot", snapshot)
    calls.copies = copies
    return calls, release


def _background_window(make_window):
    w = make_window()
    w.jobs.inline = False  # as in the app: slow work in the background
    return w, w.panels["architecture"]


def test_apply_builds_off_the_window_thread_and_the_panel_says_so(qtbot, make_window, slow_build):
    calls, release = slow_build
    w, arch = _background_window(make_window)
    before = w.session.model
    arch.blocks.setValue(3)
    want = arch.result.spec
    arch.apply_button.click()
    qtbot.waitUntil(lambda: bool(calls), timeout=5000)
    # the window is free while the build waits: the panel and the status bar say it works
    assert arch.building and "Building" in arch.status.text()
    assert w.jobs.running("network") and not arch.offer.isVisible()
    assert w.session.model is before
    release.set()
    qtbot.waitUntil(lambda: w.session.spec == want and not arch.building, timeout=10000)
    assert calls[0][1] is not threading.main_thread()
    # the panels' copy of the new weights was made there too, and only there
    mine = [t for m, t in calls.copies if m is w.session.model]
    assert mine and all(t is not threading.main_thread() for t in mine)
    # conv1 kept its weights (its shapes did not change); the rest start untrained
    assert w.session.model.spec == want and w.session.source == EDITED
    assert arch.offer.isVisible() and "This is the current network" in arch.status.text()
    assert "untrained" in w.statusBar().currentMessage()


def test_the_newest_apply_wins(qtbot, make_window, slow_build):
    calls, release = slow_build
    w, arch = _background_window(make_window)
    arch.blocks.setValue(3)
    first = arch.result.spec
    arch.apply_button.click()
    qtbot.waitUntil(lambda: len(calls) == 1, timeout=5000)
    arch.blocks.setValue(1)
    second = arch.result.spec
    assert first != second and arch.apply_button.isEnabled()
    arch.apply_button.click()
    qtbot.waitUntil(lambda: len(calls) == 2, timeout=5000)
    release.set()
    qtbot.waitUntil(lambda: not w.jobs.running() and not arch.building, timeout=10000)
    assert w.session.spec == second and w.session.model.spec == second


def test_a_failed_build_is_one_line_and_apply_can_be_tried_again(qtbot, make_window, monkeypatch):
    def broken(spec, *a, **k):
        raise RuntimeError("not enough memory\nand a long story")

    monkeypatch.setattr(network, "build", broken)
    w, arch = _background_window(make_window)
    shown = []
    monkeypatch.setattr(w, "show_error", shown.append)
    before = w.session.model
    arch.blocks.setValue(3)
    arch.apply_button.click()
    qtbot.waitUntil(lambda: bool(shown), timeout=5000)
    assert shown == ["could not build the network: not enough memory"]
    assert w.session.model is before and not arch.building and not arch.offer.isVisible()
    assert arch.apply_button.isEnabled() and "Apply to make this network" in arch.status.text()


def test_apply_while_a_run_owns_the_network_builds_nothing_and_says_why(
    qtbot, make_window, monkeypatch, slow_build
):
    calls, _release = slow_build
    w, arch = _background_window(make_window)
    shown = []
    monkeypatch.setattr(w, "show_error", shown.append)
    before = w.session.model
    w.session.lock("training is running: stop it first")
    arch.blocks.setValue(3)
    arch.apply_button.click()
    assert shown == ["training is running: stop it first"]
    assert calls == [] and not w.jobs.running() and w.session.model is before
    assert not arch.building and "Building" not in arch.status.text()  # not stuck "working"
    assert not arch.offer.isVisible()
