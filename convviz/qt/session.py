"""The app's state in one object: the network, a CPU snapshot of its weights, the drawing and the
latest trace; views listen to its signals.

- model_changed(spec): the architecture (and so every panel's layout) changed. Emitted at once
  when a preset is chosen, before torch is even imported, so panels can lay themselves out.
- weights_changed(snapshot): {state_dict key: np array}, a CPU copy; never the live model.
- trace_changed(trace): the network's reading of the newest drawing.
- updated(ms): how long the last update took (trace plus every listener), for the status bar.
- failed(message): a one-line problem to show the person.

Tracing is coalesced: a change to the drawing only marks it dirty and starts a single-shot
timer, so there is at most one trace per screen frame and never a backlog; the newest drawing
is the one traced. Torch is imported lazily, in a loader thread, so the window shows first.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, QThread, QTimer, Qt, Signal

from convviz.core.errors import ConvvizError
from convviz.core.presets import preset as preset_spec
from convviz.core.spec import NetworkSpec

from .canvas_model import CanvasModel

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


class _PresetLoader(QThread):
    """Imports torch and builds a preset's network away from the GUI thread."""

    loaded = Signal(object, int)  # model, generation
    failed = Signal(str, int)

    def __init__(self, name: str, generation: int, parent=None):
        super().__init__(parent)
        self.name, self.generation = name, generation

    def run(self):
        try:
            model = load_preset_model(self.name)
        except Exception as e:  # shown in a dialog as one line; the app keeps running
            self.failed.emit(f"could not load the {self.name!r} network: {e}", self.generation)
            return
        self.loaded.emit(model, self.generation)


class Session(QObject):
    model_changed = Signal(object)  # NetworkSpec
    weights_changed = Signal(object)  # snapshot dict
    trace_changed = Signal(object)  # Trace
    device_changed = Signal(str)  # a readable description of the device in use
    updated = Signal(float)  # milliseconds the last update took
    failed = Signal(str)

    def __init__(self, preset_name: str = "shapes", parent=None):
        super().__init__(parent)
        self.preset_name = preset_name
        self.spec: NetworkSpec = preset_spec(preset_name)
        self.canvas = CanvasModel(self.spec.input_size, self.spec.value_range)
        self.canvas.subscribe(self.request_trace)
        self.model = None  # ConvNet once loaded; only this thread touches it
        self.snapshot = None
        self.trace = None
        self.source = ""  # where the weights came from: a preset name or a file
        self.device_name = "auto"
        self.frame_ms = FRAME_MS
        self.last_update_ms = 0.0
        self.trace_count = 0
        self._dirty = False
        self._last_start = -1e9
        self._generation = 0
        self._loaders: list[_PresetLoader] = []
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setTimerType(Qt.PreciseTimer)
        self._timer.timeout.connect(self.flush)

    # ---- the network -----------------------------------------------------------------------
    @property
    def ready(self) -> bool:
        return self.model is not None

    def load_preset(self, name: str, background: bool = True) -> None:
        """Switch to a preset: the spec (canvas size, panel layouts) changes at once; the
        network follows when built (in a loader thread when `background`)."""
        spec = preset_spec(name)  # raises SpecError for an unknown name
        self.preset_name = name
        self._generation += 1
        self.model, self.snapshot, self.trace = None, None, None
        self._set_spec(spec)
        if not background:
            self.set_model(load_preset_model(name), source=name)
            return
        loader = _PresetLoader(name, self._generation, self)
        loader.loaded.connect(self._on_loaded)
        loader.failed.connect(self._on_load_failed)
        loader.finished.connect(lambda: self._forget_loader(loader))
        self._loaders.append(loader)
        loader.start()

    def _forget_loader(self, loader) -> None:
        if loader in self._loaders:
            self._loaders.remove(loader)
        loader.deleteLater()

    def _on_loaded(self, model, generation: int) -> None:
        if generation == self._generation:  # a later choice wins over a slow earlier one
            self.set_model(model, source=self.preset_name)

    def _on_load_failed(self, message: str, generation: int) -> None:
        if generation == self._generation:
            self.failed.emit(message)

    def wait_for_loaders(self, ms: int = 30000) -> None:
        """Block until background loads finish (window close, tests, screenshots)."""
        for loader in list(self._loaders):
            loader.wait(ms)

    def set_model(self, model, source: str = "") -> None:
        """Use `model` (a ConvNet) from now on, e.g. one loaded from a file or newly trained.
        A model with a different spec re-lays-out every panel."""
        self._generation += 1  # any load still running is now stale
        from convviz.core.train_process import use_one_torch_thread_here

        use_one_torch_thread_here()  # before this thread's first op: see that function
        model.eval()
        try:
            device = resolve_device(self.device_name)
        except ConvvizError:  # e.g. last run used a GPU this machine lacks: fall back quietly
            self.device_name = "auto"
            device = resolve_device("auto")
        model.to(device)
        snapshot = model.snapshot()
        self.model, self.source = model, source
        # the new weights first: panels laying out on model_changed read session.snapshot
        self.snapshot = snapshot
        if model.spec != self.spec:
            self.trace = None  # it belongs to the old network
            self._set_spec(model.spec)
        self._publish_weights(snapshot)
        self.device_changed.emit(self.device_description())
        self.request_trace()

    def apply_snapshot(self, snapshot: dict) -> None:
        """Load weights given as a snapshot (e.g. from a training thread) into the network the
        panels read, then refresh every view."""
        import torch

        state = {k: torch.from_numpy(v) for k, v in snapshot.items()}
        self.model.load_state_dict(state)
        self._publish_weights(snapshot)
        # the trace now, not at the next frame: panels then repaint once for weights and trace
        # together (a few times a second while training, ~1 ms a trace)
        self.refresh()

    def _publish_weights(self, snapshot: dict) -> None:
        self.snapshot = snapshot
        self.weights_changed.emit(snapshot)

    def _set_spec(self, spec: NetworkSpec) -> None:
        self.spec = spec
        self.canvas.resize(spec.input_size, spec.value_range)
        self.model_changed.emit(spec)

    def load_weights(self, path: str) -> None:
        """Open a weights file (.safetensors, .pt, .onnx); raises ConvvizError on bad files."""
        from convviz.core.weights import load_model

        model, _meta = load_model(path)
        self.set_model(model, source=str(path))

    def export_weights(self, path: str) -> None:
        from convviz.core.weights import save_model

        if self.model is None:
            raise RuntimeError("the network is still loading")
        save_model(self.model, path, summary={"source": self.source, "preset": self.preset_name})

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
        except Exception as e:  # a bad model must not take the app down mid-stroke
            self.failed.emit(f"could not classify the drawing: {e}")
            return
        self.trace = trace
        self.trace_count += 1
        self.trace_changed.emit(trace)  # listeners update here, inside the timing
        self.last_update_ms = (time.perf_counter() - t0) * 1000.0
        self.updated.emit(self.last_update_ms)
