"""File > Open model… in the window (issue 15): a TensorFlow tutorial's Keras CNN and a PyTorch
CNN exported to ONNX become the window's network, the range dialog answered as a person would;
every panel gets the trace; a refused file keeps the network in use; the report shows what
became what; the imported network exports and reads back like any other."""

from __future__ import annotations

import contextlib
import io
import os
import warnings

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
torch = pytest.importorskip("torch")
ort = pytest.importorskip("onnxruntime")

from torch import nn  # noqa: E402

from convviz.qt.import_dialog import ImportQuestions, ImportReport  # noqa: E402


def tutorial_keras(path):
    """The TensorFlow tutorial's CNN on 28x28 grayscale pictures (MNIST): it rescales its input
    itself, so the file says the values are 0..255."""
    keras = pytest.importorskip("keras")
    pytest.importorskip("h5py")
    L = keras.layers
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            L.Rescaling(1.0 / 255),
            L.Conv2D(8, 3, padding="same", activation="relu"),
            L.MaxPooling2D(),
            # "same" padding (with "valid" the second pooling rounds 11 down to 5: imported as a
            # pooling with edge "drop", tests/test_import_keras.py)
            L.Conv2D(16, 3, padding="same", activation="relu"),
            L.MaxPooling2D(),
            L.Flatten(),
            L.Dense(32, activation="relu"),
            L.Dense(10),
        ]
    )
    model.save(path)
    return model


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.features = nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 8, 3)
        )
        self.head = nn.Sequential(nn.ReLU(), nn.Flatten(), nn.Linear(8 * 12 * 12, 4))

    def forward(self, x):
        return self.head(self.features(x))


def torch_onnx(path):
    module = SmallCNN().eval()
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        torch.onnx.export(module, (torch.randn(1, 1, 28, 28),), str(path), dynamo=False)
    return path


def answering(w, monkeypatch, answer):
    """The window's questions answered by `answer(dialog)` then the Open button, as a person
    clicks; returns the dialogs shown."""
    shown = []

    def ask(dialog: ImportQuestions) -> bool:
        shown.append(dialog)
        answer(dialog)
        dialog.open_button.click()
        return dialog.result() == ImportQuestions.DialogCode.Accepted

    monkeypatch.setattr(w, "answer_import", ask)
    return shown


def record_traces(w) -> dict:
    """Every panel's show_trace, recorded (the docks call it by name when the trace comes)."""
    got: dict = {}
    for key, panel in w.panels.items():
        original = panel.show_trace

        def show(trace, key=key, original=original):
            got[key] = trace
            original(trace)

        panel.show_trace = show
    return got


def draw(w, qtbot):
    c = w.session.canvas
    for col in range(8, 20):
        c.begin_stroke(col + 0.5, 14.5)
        c.end_stroke()
    w.session.flush()


def test_a_keras_tutorials_cnn_opens_and_every_panel_shows_it(
    qtbot, make_window, tmp_path, monkeypatch
):
    path = tmp_path / "mnist_cnn.keras"
    keras_model = tutorial_keras(path)
    (tmp_path / "labels.txt").write_text("\n".join(f"digit {i}" for i in range(10)))
    w = make_window("shapes")
    errors = []
    monkeypatch.setattr(w, "show_error", errors.append)
    shown = answering(w, monkeypatch, lambda d: None)
    got = record_traces(w)
    w.open_model(str(path))
    assert errors == []
    # Rescaling(1/255) says the range and labels.txt beside it the names: nothing to ask
    assert shown == []
    s = w.session
    assert s.spec.name == "mnist_cnn" and s.spec.classes[3] == "digit 3"
    assert s.source == str(path) and w.import_report_action.isEnabled()
    draw(w, qtbot)
    for dock in w.docks.values():  # a tab behind another gets the trace when it shows
        dock.show()
        dock.raise_()
    qtbot.waitUntil(lambda: all(got.get(k) is s.trace for k in w.panels), timeout=5000)
    # the votes are Keras's on the same picture (Keras gets 0..255 pixels, channels last)
    x = s.canvas.as_input()
    ink = (x - s.spec.value_range[0]) / (s.spec.value_range[1] - s.spec.value_range[0])
    want = np.asarray(keras_model(ink.reshape(1, 28, 28, 1) * 255.0).detach().cpu())[0]
    np.testing.assert_allclose(s.trace.votes, want, atol=1e-4)


def test_an_onnx_model_trained_on_minus_one_to_one(qtbot, make_window, tmp_path, monkeypatch):
    path = torch_onnx(tmp_path / "small.onnx")
    w = make_window("shapes")
    errors = []
    monkeypatch.setattr(w, "show_error", errors.append)

    def answer(d):
        assert d.chosen_range() == "0..1"  # no hint in the file: the usual one preselected
        d.choose_range("-1..1")
        d.classes_edit.setText("up, down, left, right")

    shown = answering(w, monkeypatch, answer)
    w.open_model(str(path))
    assert errors == [] and len(shown) == 1
    s = w.session
    assert tuple(s.spec.value_range) == (-1.0, 1.0)
    assert s.spec.classes == ("up", "down", "left", "right")
    draw(w, qtbot)
    x = s.canvas.as_input()
    assert x.min() == -1.0 and x.max() > 0.5  # the canvas speaks the model's values
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    want = sess.run(None, {sess.get_inputs()[0].name: x.reshape(1, 1, 28, 28).astype(np.float32)})[
        0
    ][0]
    np.testing.assert_allclose(s.trace.votes, want, atol=1e-4, rtol=0)
    # exported like any network, to .safetensors and .onnx, and read back the same
    from convviz.core.weights import load_model

    for suffix in (".safetensors", ".onnx"):
        out = tmp_path / f"again{suffix}"
        s.export_weights(str(out))
        again, _meta = load_model(out)
        assert again.spec == s.spec
        np.testing.assert_allclose(again.trace(x).votes, s.trace.votes, atol=1e-5)


def test_wrong_class_names_are_said_in_the_dialog(qtbot, make_window, tmp_path):
    from convviz.core.importing import import_model

    path = torch_onnx(tmp_path / "small.onnx")
    w = make_window("shapes")
    d = ImportQuestions(w, import_model(path), range_said=False, file_name="small.onnx")
    qtbot.addWidget(d)
    d.classes_edit.setText("a, b")
    d.open_button.click()
    assert d.result() != ImportQuestions.DialogCode.Accepted
    assert "4 classes" in d.message.text() and "\n" not in d.message.text()
    d.choose_range("mean/std")
    d.classes_edit.setText("")
    d.mean_edit.setText("0.5")
    d.std_edit.setText("0.25")
    assert d.answers() == {"value_range": None, "mean": (0.5,), "std": (0.25,), "classes": None}


def test_a_refused_file_keeps_the_network_in_use(qtbot, make_window, tmp_path, monkeypatch):
    w = make_window("shapes")
    before = (w.session.model, w.session.spec)
    errors = []
    monkeypatch.setattr(w, "show_error", errors.append)
    shown = answering(w, monkeypatch, lambda d: None)
    bad = tmp_path / "notes.onnx"
    bad.write_bytes(b"this is not a model")
    w.open_model(str(bad))
    assert shown == [] and len(errors) == 1
    assert errors[0].startswith("could not open notes.onnx: ") and "\n" not in errors[0]
    assert (w.session.model, w.session.spec) == before
    assert not w.import_report_action.isEnabled()


def test_cancelling_the_questions_keeps_the_network_in_use(
    qtbot, make_window, tmp_path, monkeypatch
):
    path = torch_onnx(tmp_path / "small.onnx")
    w = make_window("shapes")
    before = w.session.model
    monkeypatch.setattr(w, "answer_import", lambda d: False)
    w.open_model(str(path))
    assert w.session.model is before


def test_the_report_dialog_shows_what_became_what(qtbot, make_window, tmp_path, monkeypatch):
    path = torch_onnx(tmp_path / "small.onnx")
    w = make_window("shapes")
    answering(w, monkeypatch, lambda d: None)
    w.open_model(str(path))
    dialog = w.show_import_report()
    qtbot.addWidget(dialog)
    assert isinstance(dialog, ImportReport) and "small.onnx" in dialog.windowTitle()
    text = dialog.text.toPlainText()
    assert "Conv" in text and "-> conv1" in text and "votes" in text
    assert "--range" not in text  # the window says how to choose in the window
    assert dialog.text.isReadOnly()
    dialog.copy_button.click()
    from PySide6.QtGui import QGuiApplication

    assert QGuiApplication.clipboard().text() == text


def test_the_dialogs_fit_at_1024x768(qtbot, make_window, tmp_path):
    """Every label and button of the questions (both forms) and of the report whole."""
    from layout_audit import audit
    from PySide6.QtWidgets import QApplication

    from convviz.core.importing import import_model

    path = torch_onnx(tmp_path / "small.onnx")
    w = make_window("shapes")
    w.resize(1024, 768)
    imported = import_model(path)
    dialogs = [
        ImportQuestions(w, imported, range_said=False, file_name="small.onnx"),
        ImportQuestions(w, imported, range_said=True, found_classes=["a", "b", "c", "d"]),
        ImportReport(w, "small.onnx", imported.report),
    ]
    problems = []
    for d in dialogs:
        qtbot.addWidget(d)
        d.show()
        for _ in range(4):
            QApplication.processEvents()
        assert d.width() <= 1024 and d.height() <= 768
        problems += [f"{d.windowTitle()}: {p}" for p in audit(d)]
    assert not problems, "\n".join(problems)


def test_reading_runs_off_the_windows_thread(qtbot, make_window, tmp_path, monkeypatch):
    import threading

    path = torch_onnx(tmp_path / "small.onnx")
    w = make_window("shapes")
    w.jobs.inline = False  # as the app runs it
    from convviz.qt import import_wiring

    threads = []
    for name in ("read_first", "read_with"):
        real = getattr(import_wiring, name)

        def spy(*a, real=real):
            threads.append(threading.current_thread())
            return real(*a)

        monkeypatch.setattr(import_wiring, name, spy)
    answering(w, monkeypatch, lambda d: d.choose_range("0..255"))
    w.open_model(str(path))
    qtbot.waitUntil(lambda: w.session.spec.name == "small", timeout=20_000)
    assert tuple(w.session.spec.value_range) == (0.0, 255.0)
    assert len(threads) == 2 and threading.main_thread() not in threads


def test_open_a_keras_model_retrain_its_votes_on_a_folder_export_onnx(
    qtbot, make_training_window, tmp_path, monkeypatch
):
    """As the issue's new user does it: open the tutorial's .keras file, retrain only its votes
    on a folder from the Train dialog (in the trainer process), export ONNX."""
    from test_folders_helpers import make_folder

    path = tmp_path / "mnist_cnn.keras"
    tutorial_keras(path)
    folder = make_folder(tmp_path / "data", per_class=8, classes=("bar", "o", "x"))
    w = make_training_window()
    monkeypatch.setattr(w, "show_error", lambda m: pytest.fail(m))
    answering(w, monkeypatch, lambda d: None)
    w.open_model(str(path))
    s = w.session
    imported = {k: v.detach().clone() for k, v in s.model.state_dict().items()}
    tools = w.services.training

    def fill(dialog) -> bool:
        dialog.set_folder(str(folder))
        qtbot.waitUntil(lambda: dialog.images is not None, timeout=30_000)
        dialog.epochs.setValue(2)
        dialog.batch.setValue(8)
        dialog.votes_only.setChecked(True)
        dialog.train_button.click()
        return dialog.result() == dialog.DialogCode.Accepted

    monkeypatch.setattr(tools, "run_dialog", fill)
    with qtbot.waitSignal(tools.controller.finished, timeout=60_000):
        tools.train_on_folder()
    qtbot.waitUntil(lambda: not s.locked_reason, timeout=10_000)
    assert s.spec.classes == ("bar", "o", "x")
    votes = f"layers.{len(s.model.layers) - 1}."
    now = s.model.state_dict()
    for k, v in imported.items():
        if not k.startswith(votes):
            assert torch.equal(v.cpu(), now[k].cpu()), k
    assert s.summary["results"]["trained"] == "only the votes"
    out = tmp_path / "retrained.onnx"
    s.export_weights(str(out))
    draw(w, qtbot)
    x = s.canvas.as_input()
    sess = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    want = sess.run(None, {sess.get_inputs()[0].name: x.reshape(1, 1, 28, 28).astype(np.float32)})
    np.testing.assert_allclose(s.trace.votes, want[0][0], atol=1e-4)


def test_no_model_opens_while_a_run_trains_the_network(qtbot, make_window, tmp_path, monkeypatch):
    path = torch_onnx(tmp_path / "small.onnx")
    w = make_window("shapes")
    before = w.session.model
    errors = []
    monkeypatch.setattr(w, "show_error", errors.append)
    shown = answering(w, monkeypatch, lambda d: None)
    w.session.lock("training is running: stop it first")
    assert not w.open_model_action.isEnabled()
    w.open_model(str(path))
    assert errors == ["training is running: stop it first"] and shown == []
    assert w.session.model is before
    w.session.unlock()
    assert w.open_model_action.isEnabled()


def test_a_network_the_window_cannot_show_is_refused_before_any_question(
    qtbot, make_window, tmp_path, monkeypatch
):
    path = torch_onnx(tmp_path / "small.onnx")
    w = make_window("shapes")
    before = w.session.model
    said = []
    w.session.failed.disconnect()  # (the window's own dialog would wait for a click)
    w.session.failed.connect(said.append)

    def cannot(spec):
        w.session.failed.emit(f"the window cannot show {spec.name!r}")
        return False

    monkeypatch.setattr(w.session, "_window_can_draw", cannot, raising=False)
    shown = answering(w, monkeypatch, lambda d: None)
    w.open_model(str(path))
    assert shown == [] and said == ["the window cannot show 'small'"]
    assert w.session.model is before and not w.import_report_action.isEnabled()


def test_a_model_too_large_to_run_live_offers_its_layers_in_the_architecture_panel(
    qtbot, make_window, tmp_path, monkeypatch
):
    from convviz.core.importing import onnx_file

    w = make_window("shapes")
    before = (w.session.model, w.session.spec)
    monkeypatch.setattr(onnx_file, "IMPORT_MAX_PARAMETERS", 100)  # SmallCNN has more
    asked = []
    monkeypatch.setattr(w, "ask_show_layers", lambda name, line: asked.append(line) or True)
    shown = answering(w, monkeypatch, lambda d: None)
    w.open_model(str(torch_onnx(tmp_path / "big.onnx")))
    assert shown == [] and len(asked) == 1 and "too large to show live" in asked[0]
    panel = w.panels["architecture"]
    assert panel.base.layers[0].kind == "conv" and panel.base != before[1]
    assert (w.session.model, w.session.spec) == before  # the network in use stays
    assert w.docks["architecture"].isVisible()
    # answered No: nothing changes
    monkeypatch.setattr(w, "ask_show_layers", lambda name, line: False)
    w.panels["architecture"].set_model(w.session.spec)
    w.open_model(str(tmp_path / "big.onnx"))
    assert w.panels["architecture"].base == w.session.spec
