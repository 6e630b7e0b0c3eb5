"""What a finished run leaves with its network: the name it goes by and the results saved with
its weights (their summary), and the short words the status bar uses for where it learned."""

from __future__ import annotations

import os

from .worker import TrainJob, TrainOutcome

TRAINED_ON = " (trained on "  # the name of a network trained on a folder: "shapes (trained on
# digits)"


def trained_name(job: TrainJob) -> str:
    """A network trained on a folder is named after the network it started from and the
    folder ("shapes (trained on digits)"): the folder's name alone ("data") said nothing of
    the network. Trained again, the last folder replaces the one before. One trained on the
    sample shapes keeps its name."""
    kind, _, path = job.source.partition(" ")
    if kind != "folder":
        return job.model.spec.name
    folder = os.path.basename(os.path.normpath(path)) or "a folder"
    started = job.model.spec.name.split(TRAINED_ON)[0]
    return f"{started}{TRAINED_ON}{folder})"


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
