"""The trained weights that ship in resources/, and how to make them again.

`convviz bundle` (or `python -m convviz bundle`) regenerates them: it draws fresh sample shapes
with a fixed seed, trains each preset on the CPU with a fixed seed, checks the result on a
second, independently drawn set and writes resources/<preset>.safetensors.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import ConvvizError
from .network import ConvNet, build
from .presets import preset
from .shapes_data import make_arrays
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
    """The preset with its bundled weights, or freshly initialised when none ship for it (or the
    shipped file no longer matches the preset's layers)."""
    spec = preset(name)
    path = bundled_path(name)
    if path.is_file():
        try:
            model, _ = load_model(path)
            if model.spec.layers == spec.layers and model.spec.input_shape == spec.input_shape:
                return model
        except ConvvizError:
            pass
    return build(spec)


@dataclass
class BundleRecipe:
    preset: str
    per_class: int
    epochs: int
    lr: float
    seed: int = 7
    test_seed: int = 1234  # a different seed draws a held-out set the training never saw
    val_split: float = 0.1  # the training's validation share: the "unsure" calibration's data


RECIPES = {
    "xo": BundleRecipe("xo", per_class=600, epochs=12, lr=0.02),
    "shapes": BundleRecipe("shapes", per_class=1500, epochs=12, lr=3e-3),
    "lenet5": BundleRecipe("lenet5", per_class=1500, epochs=12, lr=2e-3),
    "resnet": BundleRecipe("resnet", per_class=800, epochs=8, lr=6e-3),
}


def held_out_accuracy(model: ConvNet, per_class: int = 300, seed: int = 1234) -> float:
    import torch

    spec = model.spec
    x, y = make_arrays(spec.classes, per_class, spec.input_shape, seed, spec.value_range,
                       colour=spec.channels == 3)
    _, pred = evaluate(model.cpu().eval(), torch.as_tensor(x), torch.as_tensor(y))
    return float((pred == y).mean())


def make_bundle(name: str, out_dir, log=print) -> float:
    """Train one preset reproducibly and save it; returns the held-out accuracy."""
    import torch

    r = RECIPES[name]
    spec = preset(name)
    torch.use_deterministic_algorithms(True, warn_only=True)
    x, y = make_arrays(spec.classes, r.per_class, spec.input_shape, r.seed, spec.value_range,
                       colour=spec.channels == 3)
    model = build(spec, seed=r.seed)
    # a fixed thread count: one chosen by timing could change the sums' order from run to run
    res = train(model, x, y, TrainConfig(epochs=r.epochs, lr=r.lr, seed=r.seed, device="cpu",
                                         augment=True, val_split=r.val_split,
                                         threads=torch.get_num_threads()),
                on_epoch=lambda e: log(f"  {name} epoch {e.epoch}: loss {e.train_loss:.3f}, "
                                       f"validation {e.val_accuracy:.1%}"))
    acc = held_out_accuracy(model, seed=r.test_seed)
    summary = res.summary() | {"held_out_accuracy": acc, "recipe": r.__dict__,
                               "data": "convviz sample shapes"}
    save_model(model, Path(out_dir) / f"{name}.safetensors", summary)
    log(f"{name}: held-out accuracy {acc:.2%} on {r.test_seed=} sample shapes")
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
    x, y = make_arrays(spec.classes, r.per_class, spec.input_shape, r.seed, spec.value_range,
                       colour=spec.channels == 3)
    _, va_idx = split_indices(y, r.val_split, r.seed)  # make_bundle's split
    model.calibration = calibrate_model(model, torch.as_tensor(x[va_idx]))
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    save_model(model, Path(out_dir) / f"{name}.safetensors", meta["summary"])
    log(f"{name}: calibrated on {len(va_idx)} held-out drawings")
    return model.calibration
