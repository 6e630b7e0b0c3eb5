"""What a finished run leaves with its network: the name it goes by and the results saved with
its weights (their summary), and the short words the status bar uses for where it learned."""

from __future__ import annotations

import os

from .worker import TrainJob, TrainOutcome


def trained_name(job: TrainJob) -> str:
    """A network trained on a folder is named after the folder ("digits"), not after the preset
    it started from; one trained on the sample shapes keeps its name."""
    kind, _, path = job.source.partition(" ")
    if kind != "folder":
        return job.model.spec.name
    from convviz.core.presets import PRESETS

    name = os.path.basename(os.path.normpath(path)) or "trained"
    return f"{name} (trained)" if name in PRESETS else name


MAX_SAVED_CONFUSION = 100  # classes: a bigger matrix is not kept with the weights (10,000² cells)


def results_summary(outcome: TrainOutcome) -> dict:
    """What the Results panel shows, as plain JSON kept with the weights (their summary)."""
    r = outcome.result
    saved = {
        "status": r.status,
        "epochs": len(r.epochs),
        "device": str(r.device),
        "images_per_second": float(r.images_per_second),
        "source": outcome.job.source,
        "trained": "only the votes" if getattr(r, "votes_only", False) else "every layer",
    }
    if r.val_accuracy is not None:
        saved["val_accuracy"] = float(r.val_accuracy)
    if r.confusion is not None:
        saved["val_images"] = int(r.confusion.sum())
        saved["val_wrong"] = int(r.confusion.sum() - r.confusion.trace())
        if len(r.confusion) <= MAX_SAVED_CONFUSION:
            saved["confusion"] = r.confusion.astype(int).tolist()
    return {"results": saved}


def short_source(source: str) -> str:
    """ "folder /long/path/shapes" -> "folder shapes": the status bar is narrow."""
    kind, _, path = source.partition(" ")
    return f"{kind} {os.path.basename(path.rstrip(os.sep))}" if kind == "folder" else source
