"""Writing a weights file in a process of its own, for formats whose writer would hold up the
window: torch's ONNX exporter keeps Python's GIL for whole seconds at a time (1.3 s while it
first imports, 0.6 s in its optimiser, measured on 2 cores), so a thread beside the window still
freezes it. The child gets the network as its spec and a CPU copy of its weights (plain data,
nothing executable), rebuilds it, and calls weights.save_model like any other save.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

IN_OWN_PROCESS = (".onnx",)  # suffixes whose writer blocks the GIL for long


def _save(spec_json: str, snapshot: dict, path: str, summary: dict | None) -> str:
    import torch

    from .network import build
    from .spec import NetworkSpec
    from .weights import save_model

    torch.set_num_threads(1)  # the window keeps the other cores
    model = build(NetworkSpec.from_json(spec_json), seed=None)
    model.load_state_dict({k: torch.from_numpy(v) for k, v in snapshot.items()})
    return str(save_model(model.eval(), path, summary=summary))


def save_model_in_own_process(model, path, summary: dict | None = None) -> str:
    """weights.save_model(model, path, summary), run in a fresh (spawned) process; its
    WeightsError comes back as itself."""
    ctx = multiprocessing.get_context("spawn")  # never fork a process that runs Qt threads
    with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
        return pool.submit(
            _save, model.spec.to_json(), model.snapshot(), str(path), summary
        ).result()
