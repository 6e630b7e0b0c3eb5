"""The trained weights that ship in resources/, and how to make them again.

`convviz bundle` (or `python -m convviz bundle`) regenerates them: it generates fresh sample
data with a fixed seed (the recipe's: shapes, shapes in colour, or sounds), trains each preset
on the CPU with a fixed seed, checks the result on a second, independently generated set and
writes resources/<preset>.safetensors. A "hand-set" preset's numbers are in presets.py instead,
and an architecture-only one has none (see presets.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import ConvvizError
from .network import ConvNet, build
from .presets import PRESETS, preset
from .shapes_data import make_arrays
from .snapshot import state_key
from .training import TrainConfig, evaluate, train
from .weights import load_model, save_model


def resources_dir() -> Path:
    """resources/ inside an installed wheel (convviz/resources), else the checkout's top level
    (an editable install or a plain checkout)."""
    try:
        from importlib.resources import files

        p = Path(str(files("convviz.resources")))
        if p.is_dir():
            return p
    except (ModuleNotFoundError, TypeError):
        pass
    return Path(__file__).resolve().parents[2] / "resources"


def bundled_path(name: str) -> Path:
    return resources_dir() / f"{name}.safetensors"


def preset_model(name: str) -> ConvNet:
    """The preset with its own weights: bundled (resources/), hand-set (written out in
    presets.py), or freshly initialised when none ship for it (an architecture-only preset, or
    a shipped file that no longer matches the preset's layers)."""
    spec = preset(name)
    declared = PRESETS[name]
    if declared.hand_set is not None:
        return hand_set_model(spec, declared.hand_set())
    path = bundled_path(name)
    if path.is_file():
        try:
            model, _ = load_model(path)
            if model.spec.layers == spec.layers and model.spec.input_shape == spec.input_shape:
                return model
        except ConvvizError:
            pass
    return build(spec)


def hand_set_model(spec, values: dict[str, dict[str, np.ndarray]]) -> ConvNet:
    """The network of `spec` with the given weights ({layer name: {"weight"/"bias": array}});
    every layer must be given, so nothing is left to chance."""
    import torch

    model = build(spec)
    names = [s.name for s in spec.shapes()]
    state = {
        state_key(i, param): torch.as_tensor(np.asarray(array, np.float32))
        for i, name in enumerate(names)
        for param, array in values.get(name, {}).items()
    }
    model.load_state_dict(state)  # strict: a missing or unknown layer raises
    return model


@dataclass
class BundleRecipe:
    preset: str
    per_class: int
    epochs: int
    lr: float
    seed: int = 7
    test_seed: int = 1234  # a different seed draws a held-out set the training never saw
    val_split: float = 0.1  # the training's validation share: the "unsure" calibration's data
    data: str = "shapes"  # one of DATA: what the preset is trained and checked on
    augment: bool = True  # shifts, turns and scaling: drawings yes; a spectrogram's rows no
    # CPU threads: None = torch's count on this machine (how the older files were made); 1 for
    # the bigger colour network, which on a busy 2-core machine trained ten times faster on one
    # thread than on two fighting for the cores (and the sums' order then never depends on them)
    threads: int | None = None


RECIPES = {
    "xo": BundleRecipe("xo", per_class=600, epochs=12, lr=0.02),
    "shapes": BundleRecipe("shapes", per_class=1500, epochs=12, lr=3e-3),
    "lenet5": BundleRecipe("lenet5", per_class=1500, epochs=12, lr=2e-3),
    # no augmentation for these two: its fill is one background value, while a colour picture
    # has its own background colour; and for a sound a shifted pitch is another sound
    "tinyvgg": BundleRecipe(
        "tinyvgg",
        per_class=1000,
        epochs=12,
        lr=3e-3,
        data="colour shapes",
        augment=False,
        threads=1,
    ),
    "spectrogram": BundleRecipe(
        "spectrogram", per_class=800, epochs=30, lr=3e-3, data="sounds", augment=False
    ),
    "resnet": BundleRecipe(
        "resnet", per_class=1000, epochs=10, lr=3e-3, data="colour shapes", augment=False, threads=1
    ),
}


def sample_data(data: str, spec, per_class: int, seed: int):
    """(X, y) of the named generated data (DATA), drawn for `spec`'s input and classes."""
    if data == "sounds":
        from .sounds_data import make_arrays as make_sounds

        return make_sounds(spec.classes, per_class, spec.rows, spec.cols, seed, spec.value_range)
    return make_arrays(
        spec.classes,
        per_class,
        spec.input_shape,
        seed,
        spec.value_range,
        colour=data == "colour shapes",
    )


DATA = {
    "shapes": "convviz sample shapes",
    "colour shapes": "convviz sample shapes in colour",
    "sounds": "convviz generated sounds (spectrograms)",
}


def held_out_accuracy(
    model: ConvNet, per_class: int = 300, seed: int = 1234, data: str | None = None
) -> float:
    """Accuracy on freshly generated data (`data`: the preset's recipe's by default)."""
    import torch

    spec = model.spec
    data = data or (RECIPES[spec.name].data if spec.name in RECIPES else "shapes")
    x, y = sample_data(data, spec, per_class, seed)
    _, pred = evaluate(model.cpu().eval(), torch.as_tensor(x), torch.as_tensor(y))
    return float((pred == y).mean())


def make_bundle(name: str, out_dir, log=print) -> float:
    """Train one preset reproducibly and save it; returns the held-out accuracy."""
    import torch

    r = RECIPES[name]
    spec = preset(name)
    torch.use_deterministic_algorithms(True, warn_only=True)
    x, y = sample_data(r.data, spec, r.per_class, r.seed)
    model = build(spec, seed=r.seed)
    # a fixed thread count: one chosen by timing could change the sums' order from run to run
    res = train(
        model,
        x,
        y,
        TrainConfig(
            epochs=r.epochs,
            lr=r.lr,
            seed=r.seed,
            device="cpu",
            augment=r.augment,
            val_split=r.val_split,
            threads=r.threads or torch.get_num_threads(),
        ),
        on_epoch=lambda e: log(
            f"  {name} epoch {e.epoch}: loss {e.train_loss:.3f}, validation {e.val_accuracy:.1%}"
        ),
    )
    acc = held_out_accuracy(model, seed=r.test_seed)
    summary = res.summary() | {"held_out_accuracy": acc, "recipe": r.__dict__, "data": DATA[r.data]}
    save_model(model, Path(out_dir) / f"{name}.safetensors", summary)
    log(f"{name}: held-out accuracy {acc:.2%} on {r.test_seed=} {DATA[r.data]}")
    return acc


def make_all(out_dir, names=None, log=print) -> dict[str, float]:
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    return {n: make_bundle(n, out_dir, log) for n in (names or RECIPES)}


def calibrate_bundle(name: str, out_dir, log=print):
    """Add the "unsure" calibration (core/unsure.py) to a shipped file without training again:
    the same recipe's data and seed give the same validation split that `make_bundle`'s
    training calibrates on, so the result is what a full rerun would store, while the weights
    (and the accuracy figures in the README) stay exactly as they are."""
    import torch

    from .train_batches import split_indices
    from .unsure import calibrate_model

    r = RECIPES[name]
    model, meta = load_model(bundled_path(name))
    spec = model.spec
    x, y = sample_data(r.data, spec, r.per_class, r.seed)
    _, va_idx = split_indices(y, r.val_split, r.seed)  # make_bundle's split
    calibration = calibrate_model(model, torch.as_tensor(x[va_idx]))
    setattr(model, "calibration", calibration)  # noqa: B010 - as training does: saved with it
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    save_model(model, Path(out_dir) / f"{name}.safetensors", meta["summary"])
    log(f"{name}: calibrated on {len(va_idx)} held-out drawings")
    return calibration
