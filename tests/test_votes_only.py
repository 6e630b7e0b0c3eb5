"""Keep what it learned, retrain the votes: a votes-only run changes the last fully connected
layer and nothing else (batch normalisation's running statistics included), in this process,
in a trainer process and from the command line."""

import json
import time

import numpy as np
import pytest
import torch

from convviz.core.layers import BatchNorm, Conv, Dense, Dropout, Flatten, MaxPool, ReLU
from convviz.core.network import build
from convviz.core.shapes_data import make_arrays
from convviz.core.spec import NetworkSpec
from convviz.core.training import TrainConfig, train, with_new_votes

CLASSES = ("O", "square", "triangle")


def bn_spec(classes=CLASSES) -> NetworkSpec:
    """A network with batch normalisation (buffers that move in training mode) and a hidden
    layer with dropout before the votes."""
    return NetworkSpec(
        "bn",
        16,
        1,
        (0.0, 1.0),
        (
            Conv(4, 3, padding=1),
            BatchNorm(),
            ReLU(),
            MaxPool(2, 2),
            Flatten(),
            Dense(12),
            ReLU(),
            Dropout(0.25),
        ),
        tuple(classes),
    ).validate()


@pytest.fixture(scope="module")
def data():
    return make_arrays(CLASSES, 20, 16, seed=3, value_range=(0.0, 1.0))


def votes_prefix(model) -> str:
    return f"layers.{len(model.layers) - 1}."


def assert_only_votes_changed(before: dict, after: dict, prefix: str) -> None:
    assert before.keys() == after.keys()
    kept = [k for k in before if not k.startswith(prefix)]
    assert any("running_mean" in k for k in kept)  # the test covers batch norm's statistics
    for k in kept:
        assert np.array_equal(np.asarray(before[k]), np.asarray(after[k])), k  # bit-identical
    for k in (prefix + "weight", prefix + "bias"):
        assert not np.array_equal(np.asarray(before[k]), np.asarray(after[k])), k


def _state(model) -> dict:
    return {k: v.detach().cpu().numpy().copy() for k, v in model.state_dict().items()}


def test_a_votes_only_run_changes_the_votes_and_nothing_else(data):
    x, y = data
    model = build(bn_spec(), seed=1)
    before = _state(model)
    result = train(model, x, y, TrainConfig(epochs=2, batch_size=8, device="cpu", votes_only=True))
    assert result.status == "done"
    assert_only_votes_changed(before, _state(model), votes_prefix(model))
    assert all(p.requires_grad for p in model.parameters())  # the freezing ends with the run
    summary = json.loads(json.dumps(result.summary()))
    assert summary["trained"] == "only the votes"


def test_without_the_option_every_layer_learns(data):
    x, y = data
    model = build(bn_spec(), seed=1)
    before = _state(model)
    result = train(model, x, y, TrainConfig(epochs=1, batch_size=8, device="cpu"))
    after = _state(model)
    assert result.summary()["trained"] == "every layer"
    for k in ("layers.0.weight", "layers.1.running_mean", "layers.5.weight"):
        assert not np.array_equal(before[k], after[k]), k


def test_new_votes_for_other_classes_keep_every_other_layer():
    model = build(bn_spec(), seed=1)
    other = with_new_votes(model, ("a", "b", "c", "d", "e"), seed=0)
    assert other.spec.classes == ("a", "b", "c", "d", "e")
    old, new = model.state_dict(), other.state_dict()
    prefix = votes_prefix(model)
    for k, v in old.items():
        if not k.startswith(prefix):
            assert torch.equal(v, new[k]), k
    assert new[prefix + "weight"].shape == (5, 12)


def test_a_trainer_process_trains_only_the_votes(data):
    from convviz.core.train_process import TrainerProcess
    from convviz.core.trainer_messages import ENDINGS

    x, y = data
    model = build(bn_spec(), seed=1)
    before = _state(model)
    trainer = TrainerProcess()
    try:
        trainer.submit(
            model, x, y, TrainConfig(epochs=2, batch_size=8, device="cpu", votes_only=True)
        )
        t, ending = time.monotonic(), None
        while ending is None and time.monotonic() - t < 90:
            msg = trainer.recv(0.1)
            if isinstance(msg, ENDINGS):
                ending = msg
    finally:
        trainer.close()
    assert ending is not None and ending.kind == "finished", ending
    assert ending.result.votes_only and ending.result.summary()["trained"] == "only the votes"
    after = {k: ending.weights[k] for k in before}
    assert_only_votes_changed(before, after, votes_prefix(model))


def test_the_command_line_flag_retrains_only_the_votes(tmp_path):
    from convviz.cli import main
    from convviz.core.shapes_data import write_folder
    from convviz.core.weights import load_model, save_model

    start = build(bn_spec(("p", "q")), seed=2)  # other classes than the folder's: new votes
    save_model(start, tmp_path / "start.safetensors")
    folder = tmp_path / "shapes"
    write_folder(folder, 8, seed=1, size=16, classes=CLASSES)
    out = tmp_path / "votes.safetensors"
    code = main(
        [
            "train",
            str(folder),
            "--from",
            str(tmp_path / "start.safetensors"),
            "--votes-only",
            "--epochs",
            "1",
            "--out",
            str(out),
            "--device",
            "cpu",
        ]
    )
    assert code == 0
    trained, meta = load_model(out)
    assert trained.spec.classes == tuple(sorted(CLASSES))
    assert meta["summary"]["trained"] == "only the votes"
    prefix = votes_prefix(start)
    for k, v in start.state_dict().items():
        if not k.startswith(prefix):
            assert torch.equal(v, trained.state_dict()[k]), k


def test_votes_only_needs_a_network_that_learned_something(tmp_path, capsys):
    from convviz.cli import main

    code = main(["train", str(tmp_path), "--votes-only", "--out", str(tmp_path / "o.pt")])
    assert code != 0
    err = capsys.readouterr().err
    assert "--votes-only" in err and "--from" in err and "Traceback" not in err


def test_the_command_line_retrains_the_votes_of_a_keras_model(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    pytest.importorskip("h5py")
    from convviz.cli import main
    from convviz.core.importing import import_model
    from convviz.core.shapes_data import write_folder
    from convviz.core.weights import load_model

    L = keras.layers
    keras.utils.set_random_seed(0)
    path = tmp_path / "tiny.keras"
    keras.Sequential(
        [
            keras.Input((16, 16, 1)),
            L.Rescaling(1 / 255),
            L.Conv2D(4, 3, padding="same", activation="relu"),
            L.MaxPooling2D(),
            L.Flatten(),
            L.Dense(5),
        ]
    ).save(path)
    folder = tmp_path / "shapes"
    write_folder(folder, 6, seed=1, size=16, classes=CLASSES)
    out = tmp_path / "votes.safetensors"
    argv = ["train", str(folder), "--from", str(path), "--votes-only", "--epochs", "1"]
    assert main([*argv, "--out", str(out), "--device", "cpu"]) == 0
    start, (trained, _meta) = import_model(path).model(), load_model(out)
    prefix = votes_prefix(start)
    assert trained.spec.classes == tuple(sorted(CLASSES))
    for k, v in start.state_dict().items():
        if not k.startswith(prefix):
            assert torch.equal(v, trained.state_dict()[k]), k
