"""The app's state in one object: the network, a CPU snapshot of its weights, the drawing and the
latest trace; views listen to its signals.

- model_changed(spec): the architecture (and so every panel's layout) changed. Emitted at once
  when a preset is chosen, before torch is even imported, so panels can lay themselves out.
- weights_changed(snapshot): a core WeightsSnapshot, a CPU copy; never the live model.
- trace_changed(trace): the network's reading of the newest drawing.
- updated(ms): how long the last update took (trace plus every listener), for the status bar.
- failed(message): a one-line problem to show the person.
- moment_changed(label): the panels show a kept moment of the training timeline (its label), or
  the current weights again (""); timeline_changed(timeline): the network's timeline, or None.

Tracing is coalesced: a change to the drawing only marks it dirty and starts a single-shot
timer, so there is at most one trace per screen frame and never a backlog; the newest drawing
is the one traced. Torch is imported lazily, in a loader thread, so the window shows first.

Its half that shows a kept moment of the training timeline, and exports the current weights,
is session_moments.TimelineMoments.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from convviz.core.errors import ConvvizError
from convviz.core.presets import preset as preset_spec
from convviz.core.snapshot import WeightsSnapshot
from convviz.core.spec import NetworkSpec

from ..core.canvas_model import CANVAS_CHANNELS, CanvasModel
from .background import BackgroundJobs
from .session_moments import TimelineMoments

# how training/wiring.py names a finished run's network in `source`: such a network exists only
# in memory (and last-trained.safetensors, until the next run) until the person exports it
TRAINED_SOURCE = "trained on "
FRAME_MS = 16.0  # one 60 Hz frame; refined from the screen's refresh rate when there is one


def load_preset_model(name: str):
    """A preset's network with its bundled trained weights (fresh ones if none ship). Imports
    torch, so the app calls it from the loader thread."""
    from convviz.core.bundled import preset_model

    return preset_model(name)


def available_devices() -> list[str]:
    """The compute devices present here, "cpu" always first. Imports torch."""
    from convviz.core.device import available_devices as present

    return list(present())


def resolve_device(name: str):
    from convviz.core.device import resolve_device as resolve

    return resolve(name)


def weights_job(path: str):
    """The work of opening a weights file: returns (model, metadata), for a background job."""

    def work(_job):
        from convviz.core.timeline_file import load_timeline
        from convviz.core.weights import load_model

        model, meta = load_model(path)
        try:  # a damaged timeline costs the timeline, never the weights
            meta["timeline"] = load_timeline(path, model.snapshot())
        except ConvvizError as e:
            meta["timeline_error"] = str(e)
        return model, meta

    return work


class Session(TimelineMoments, QObject):
    model_changed = Signal(object)  # NetworkSpec
    weights_changed = Signal(object)  # WeightsSnapshot
    trace_changed = Signal(object)  # Trace
    device_changed = Signal(str)  # a readable description of the device in use
    updated = Signal(float)  # milliseconds the last update took
    failed = Signal(str)
    network_changed = Signal()  # a new network (or the same one from a new source) is in use
    lock_changed = Signal(str)  # why the network cannot be switched now ("" when it can)
    moment_changed = Signal(str)  # the timeline moment panels show; "" for the current weights
    timeline_changed = Signal(object)  # core Timeline of this network's training, or None

    def __init__(self, preset_name: str = "shapes", parent=None):
        super().__init__(parent)
        self.preset_name = preset_name
        self.spec: NetworkSpec = preset_spec(preset_name)
        self.canvas = CanvasModel(
            (self.spec.rows, self.spec.cols),
            self.spec.value_range,
            self.spec.channels,
            self.spec.input_kind,
        )
        self.canvas.subscribe(self.request_trace)
        self.model = None  # ConvNet once loaded; only this thread touches it
        self.snapshot = None
        self.trace = None
        self.source = ""  # where the weights came from: a preset name or a file
        # the source of a trained network not exported yet ("" when none): replacing it asks
        # first (window_files.may_replace_network)
        self.unexported = ""
        self.device_name = "auto"
        self.frame_ms = FRAME_MS
        self.last_update_ms = 0.0
        self.trace_count = 0
        self._dirty = False
        self._last_start = -1e9
        self.summary: dict = {}  # the network's training summary (from its file or its run)
        self.locked_reason = ""  # set while the network must not be switched (a run goes)
        self.timeline = None  # core Timeline of the network's training (saved with it), or None
        self.moment = ""  # the label of the kept moment the panels show; "" for the current
        self._current: WeightsSnapshot | None = None  # the current weights, while a moment shows
        self.jobs = BackgroundJobs(self)  # every slow load runs here: newest request wins
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setTimerType(Qt.PreciseTimer)
        self._timer.timeout.connect(self.flush)

    # ---- the network -----------------------------------------------------------------------
    @property
    def ready(self) -> bool:
        return self.model is not None

    def load_preset(self, name: str, background: bool = True) -> bool:
        """Switch to a preset: the spec (canvas size, panel layouts) changes at once; the
        network follows when built (in a background job when `background`). Refused (False,
        `failed` says why) while the network is locked."""
        spec = preset_spec(name)  # raises SpecError for an unknown name
        if self._refused() or not self._window_can_draw(spec):
            return False
        self.preset_name = name
        self.model, self.snapshot, self.trace = None, None, None
        self._set_spec(spec)
        self.jobs.inline = not background
        self.jobs.submit(
            "network",
            lambda _job: load_preset_model(name),
            lambda model: self.set_model(model, source=name),
            lambda message: self.failed.emit(f"could not load the {name!r} network: {message}"),
            text=f"Building the {name} network…",
            cancellable=False,
        )
        return True

    # ---- the lock: a training run owns the network -----------------------------------------
    def lock(self, reason: str) -> None:
        """From now on only `set_model(..., owner=True)` may replace the network; everything
        else is refused with `reason` (e.g. "training is running: stop it first")."""
        self.locked_reason = reason
        self.lock_changed.emit(reason)

    def unlock(self) -> None:
        self.locked_reason = ""
        self.lock_changed.emit("")

    def _refused(self) -> bool:
        if self.locked_reason:
            self.failed.emit(self.locked_reason)
            return True
        return False

    def _window_can_draw(self, spec: NetworkSpec) -> bool:
        """The canvas draws 1-channel (grayscale) and 3-channel (colour) pictures of any
        (rows, cols): a network taking another number of channels is refused before anything
        changes, `failed` saying why."""
        if spec.channels not in CANVAS_CHANNELS:
            self.failed.emit(
                f"the network {spec.name!r} takes {spec.channels}-channel pictures; the window "
                f"draws 1-channel (grayscale) and 3-channel (colour) ones"
            )
            return False
        return True

    def set_model(
        self,
        model,
        source: str = "",
        summary: dict | None = None,
        owner: bool = False,
        snapshot=None,
        timeline=None,
    ) -> bool:
        """Use `model` (a ConvNet) from now on, e.g. one loaded from a file or newly trained;
        `summary` is its training summary (kept with it: the Results panel reads it). A model
        with a different spec re-lays-out every panel. While locked only the `owner` (the
        training run) may; anyone else is refused (False, `failed` says why)."""
        if not owner and self._refused():
            return False
        if not self._window_can_draw(model.spec):
            return False
        for job in self.jobs.running("network"):
            job.cancel()  # a slower load still running is now stale
        from convviz.core.train_process import use_one_torch_thread_here

        use_one_torch_thread_here()  # before this thread's first op: see that function
        if self.moment and self.model is not None:  # the network in use holds a moment's
            self.model.load_snapshot(self._current)  # weights: its own come back (it may be
            # set again, e.g. by the tour, or kept: a finished run's outcome)
        model.eval()
        try:
            device = resolve_device(self.device_name)
        except ConvvizError:  # e.g. last run used a GPU this machine lacks: fall back quietly
            self.device_name = "auto"
            device = resolve_device("auto")
        model.to(device)
        # `snapshot`: the weights copied already, off this thread (a big network's copy is slow)
        snapshot = model.snapshot() if snapshot is None else snapshot
        self.model, self.source, self.summary = model, source, dict(summary or {})
        self.unexported = source if source.startswith(TRAINED_SOURCE) else ""
        if self.moment:  # a new network: its own weights, never a moment of the last one
            self.moment, self._current = "", None
            self.moment_changed.emit("")
        self.set_timeline(timeline)
        # the new weights first: panels laying out on model_changed read session.snapshot
        self.snapshot = snapshot
        if model.spec != self.spec:
            self.trace = None  # it belongs to the old network
            self._set_spec(model.spec)
        self._publish_weights(snapshot)
        self.device_changed.emit(self.device_description())
        self.network_changed.emit()
        self.request_trace()
        return True

    def apply_snapshot(self, snapshot: WeightsSnapshot) -> None:
        """Load weights given as a snapshot (e.g. from a training thread) into the network the
        panels read, then refresh every view. ValueError for weights of another network."""
        self.model.load_snapshot(snapshot)
        self._publish_weights(snapshot)
        # the trace now, not at the next frame: panels then repaint once for weights and trace
        # together (a few times a second while training, ~1 ms a trace)
        self.refresh()

    def _publish_weights(self, snapshot: WeightsSnapshot) -> None:
        self.snapshot = snapshot
        self.weights_changed.emit(snapshot)

    def _set_spec(self, spec: NetworkSpec) -> None:
        self.spec = spec
        shape = (spec.rows, spec.cols)
        self.canvas.resize(shape, spec.value_range, spec.channels, spec.input_kind)
        self.model_changed.emit(spec)

    def use_loaded(self, loaded, path: str) -> bool:
        """Adopt what `weights_job(path)` returned (with the timeline saved beside it)."""
        model, meta = loaded
        if meta.get("timeline_error"):
            self.failed.emit(f"opened the weights without their timeline: {meta['timeline_error']}")
        return self.set_model(
            model, source=str(path), summary=meta.get("summary"), timeline=meta.get("timeline")
        )

    # ---- the device ------------------------------------------------------------------------
    def set_device(self, name: str) -> None:
        """Run the network on "auto", "cpu", "cuda" or "mps"; ConvvizError if not present."""
        if self.model is not None:
            self.model.to(resolve_device(name))
        self.device_name = name
        if self.model is not None:
            self.device_changed.emit(self.device_description())
            self.request_trace()

    def device_description(self) -> str:
        if self.model is None:
            return self.device_name
        from convviz.core.device import describe

        return describe(self.model.device)

    # ---- tracing ---------------------------------------------------------------------------
    def request_trace(self) -> None:
        """Mark the drawing dirty; trace it at the next frame boundary (newest drawing wins)."""
        self._dirty = True
        if self.model is None or self._timer.isActive():
            return
        since = (time.perf_counter() - self._last_start) * 1000.0
        self._timer.start(int(max(0.0, self.frame_ms - since)))

    def refresh(self) -> None:
        """Trace the drawing again now, changed or not (new weights, a screenshot)."""
        self._dirty = True
        self.flush()

    def flush(self) -> None:
        """Trace the drawing now if it changed since the last trace."""
        self._timer.stop()
        if not self._dirty or self.model is None:
            return
        self._dirty = False
        self._last_start = t0 = time.perf_counter()
        try:
            trace = self.model.trace(self.canvas.as_input())
        except Exception as e:  # noqa: BLE001 - a bad model must not take the app down mid-stroke
            self.failed.emit(f"could not classify the drawing: {e}")
            return
        self.trace = trace
        self.trace_count += 1
        self.trace_changed.emit(trace)  # listeners update here, inside the timing
        self.last_update_ms = (time.perf_counter() - t0) * 1000.0
        self.updated.emit(self.last_update_ms)
