"""Opening a person's own model (issue 15, ONNX): models built in PyTorch, exported with both of
torch's exporters, imported; convviz's votes match onnxruntime's within 1e-4 and the trace shows
every layer. Models that do not fit are refused whole, each reason once with the node's name.

The layer kinds other branches add (batch norm, average pooling, ...) have their tests here
already: each skips, naming the kind, until that kind is registered."""

from __future__ import annotations

import contextlib
import io
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from torch import nn  # noqa: E402 - after the importorskips

from convviz.cli import main  # noqa: E402
from convviz.core.importing import ModelRefused, import_model  # noqa: E402
from convviz.core.layers import kind_named  # noqa: E402
from convviz.core.weights import load_model  # noqa: E402

EXPORTERS = [pytest.param(False, id="torchscript"), pytest.param(True, id="dynamo")]


def export(module: nn.Module, shape, path, dynamo: bool, **kw):
    module.eval()
    x = torch.randn(*shape)
    options = {"dynamo": True, "external_data": False} if dynamo else {"dynamo": False}
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        torch.onnx.export(module, (x,), str(path), **options, **kw)
    return path


def onnx_outputs(path, x: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: x.astype(np.float32)})[0]


def assert_same_votes(path, shape, final=None, to_onnx_input=None, **options):
    """Import, then on 3 random inputs convviz's votes (through `final`, the dropped softmax)
    equal onnxruntime's within 1e-4; the trace has one entry per layer, votes last."""
    imported = import_model(path, **options)
    net = imported.model()
    rng = np.random.default_rng(0)
    for _ in range(3):
        x = rng.uniform(0, 1, size=shape).astype(np.float32)
        with torch.no_grad():
            votes = net(torch.from_numpy(x))
        if final is not None:
            votes = final(votes, dim=1)
        want = onnx_outputs(path, x if to_onnx_input is None else to_onnx_input(x))
        np.testing.assert_allclose(votes.numpy(), want, atol=1e-4, rtol=0)
    spec = imported.spec
    trace = net.trace(x[0])
    assert [lt.name for lt in trace.layers] == [s.name for s in spec.shapes()]
    with torch.no_grad():
        np.testing.assert_allclose(trace.votes, net(torch.from_numpy(x))[0].numpy(), atol=1e-5)
    return imported


class LeNet(nn.Module):
    def __init__(self, ceil=False):
        super().__init__()
        self.c1, self.c2 = nn.Conv2d(1, 6, 5, padding=2), nn.Conv2d(6, 16, 5)
        self.pool = nn.MaxPool2d(2, ceil_mode=ceil)
        self.f1, self.f2 = nn.Linear(16 * 5 * 5, 32), nn.Linear(32, 10)
        self.drop = nn.Dropout(0.3)

    def forward(self, x):
        x = self.pool(torch.relu(self.c1(x)))
        x = self.pool(torch.relu(self.c2(x)))
        x = self.drop(torch.relu(self.f1(torch.flatten(x, 1))))
        return torch.log_softmax(self.f2(x), 1)


@pytest.mark.parametrize("dynamo", EXPORTERS)
def test_a_lenet_like_model_gives_the_same_votes_and_every_layer_is_traced(tmp_path, dynamo):
    path = export(LeNet(), (1, 1, 28, 28), tmp_path / "lenet.onnx", dynamo)
    imported = assert_same_votes(path, (1, 1, 28, 28), final=torch.log_softmax)
    spec = imported.spec
    assert [layer.kind for layer in spec.layers] == [
        "conv",
        "relu",
        "pool",
        "conv",
        "relu",
        "pool",
        "flatten",
        "fc",
        "relu",
    ]
    assert spec.layers[0].padding == 2 and spec.classes == tuple("0123456789")
    report = "\n".join(imported.report)
    assert "-> votes (10)" in report and "LogSoftmax" in report and "dropped" in report


class Rectangular(nn.Module):
    """3 channels, a 5x7 input, a 3x5 kernel with stride 2 and padding (1, 2), max pooling that
    hangs over the edge (ceil_mode), and a fully connected layer written as x @ W + b."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, (3, 5), stride=2, padding=(1, 2))
        self.pool = nn.MaxPool2d(2, stride=2, ceil_mode=True)
        self.w = nn.Parameter(torch.randn(4 * 2 * 2, 3))
        self.b = nn.Parameter(torch.randn(3))

    def forward(self, x):
        x = self.pool(torch.relu(self.conv(x)))
        return torch.flatten(x, 1) @ self.w + self.b


@pytest.mark.parametrize("dynamo", EXPORTERS)
def test_rectangular_kernels_strides_ceil_pooling_and_matmul_add(tmp_path, dynamo):
    path = export(Rectangular(), (1, 3, 5, 7), tmp_path / "rect.onnx", dynamo)
    imported = assert_same_votes(path, (1, 3, 5, 7))
    conv = imported.spec.layers[0]
    assert (conv.size, conv.stride, conv.padding) == ((3, 5), 2, (1, 2))
    assert imported.spec.input_shape == (5, 7) and imported.spec.channels == 3


class Downsampling(nn.Module):
    """The usual torch CNN's first layer: a 3x3 convolution at stride 2, padding 1, on 32x32:
    (32 - 3 + 2)/2 + 1 = 16.5, which torch rounds down to 16."""

    def __init__(self):
        super().__init__()
        self.conv, self.fc = nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.Linear(8 * 16 * 16, 4)

    def forward(self, x):
        return self.fc(torch.flatten(torch.relu(self.conv(x)), 1))


@pytest.mark.parametrize("dynamo", EXPORTERS)
def test_a_convolution_that_leaves_the_last_rows_out_drops_them_as_torch(tmp_path, dynamo):
    path = export(Downsampling(), (1, 3, 32, 32), tmp_path / "down.onnx", dynamo)
    imported = assert_same_votes(path, (1, 3, 32, 32))
    conv = imported.spec.layers[0]
    assert (conv.size, conv.stride, conv.padding, conv.edge) == (3, 2, 1, "drop")
    assert imported.spec.shapes()[0].shape == (8, 16, 16)
    assert "8 features 3x3, stride 2, padding 1, the last rows/cols left out" in "\n".join(
        imported.report
    )
    # per dimension, with a rectangular kernel: rows 3.5 -> 3, cols 4.5 -> 4
    path = export(Rectangular(), (1, 3, 6, 8), tmp_path / "rect.onnx", dynamo)
    conv = assert_same_votes(path, (1, 3, 6, 8)).spec.layers[0]
    assert conv.edge == "drop" and conv.padding == (1, 2)


def test_a_convolution_whose_sizes_are_whole_keeps_the_default_edge(tmp_path):
    imported = import_model(export(LeNet(), (1, 1, 28, 28), tmp_path / "lenet.onnx", False))
    convs = [la for la in imported.spec.layers if la.kind == "conv"]
    assert convs and all(c.edge == "keep" for c in convs)
    assert "edge" not in str(imported.spec.to_dict())


class ViewFlatten(nn.Module):
    """The tutorials' x.view(x.size(0), -1), exported for any batch size: the Reshape's target is
    computed from the picture's Shape (Shape, Gather, Unsqueeze, Concat)."""

    def __init__(self):
        super().__init__()
        self.conv, self.fc = nn.Conv2d(1, 4, 3), nn.Linear(4 * 6 * 6, 3)

    def forward(self, x):
        x = torch.relu(self.conv(x))
        return self.fc(x.view(x.size(0), -1))


@pytest.mark.parametrize("dynamo", EXPORTERS)
def test_a_variable_batch_size_and_the_view_that_flattens(tmp_path, dynamo):
    kw = (
        {"dynamic_shapes": ({0: torch.export.Dim("batch")},)}
        if dynamo
        else {"input_names": ["x"], "dynamic_axes": {"x": {0: "batch"}}}
    )
    path = export(ViewFlatten(), (2, 1, 8, 8), tmp_path / "view.onnx", dynamo, **kw)
    imported = assert_same_votes(path, (1, 1, 8, 8))
    assert [layer.kind for layer in imported.spec.layers] == ["conv", "relu", "flatten"]


class Floor(nn.Module):
    """torch's default pooling (ceil_mode=False) on odd maps: 7x7 pooled by 2 rounds down to 3x3
    (convviz's usual pooling would give 4x4), then an average pooling 3 -> 1 at stride 2."""

    def __init__(self):
        super().__init__()
        self.conv, self.fc = nn.Conv2d(1, 2, 3, padding=1), nn.Linear(2 * 1 * 1, 2)
        self.pool, self.avg = nn.MaxPool2d(2), nn.AvgPool2d(2, stride=2)

    def forward(self, x):
        return self.fc(torch.flatten(self.avg(self.pool(torch.relu(self.conv(x)))), 1))


@pytest.mark.parametrize("dynamo", EXPORTERS)
def test_pooling_that_rounds_down_to_another_size_drops_the_window_over_the_edge(tmp_path, dynamo):
    path = export(Floor(), (1, 1, 7, 7), tmp_path / "floor.onnx", dynamo)
    imported = assert_same_votes(path, (1, 1, 7, 7))
    pools = [la for la in imported.spec.layers if la.kind in ("pool", "avgpool")]
    assert [(la.kind, la.edge) for la in pools] == [("pool", "drop"), ("avgpool", "drop")]
    rows = {s.name: s for s in imported.spec.shapes()}
    assert rows["pool1"].shape == (2, 3, 3) and rows["avgpool1"].shape == (2, 1, 1)
    assert rows["pool1"].formula == "floor((7 - 2)/2) + 1 = 3"
    assert "edge dropped" in "\n".join(imported.report)


def test_pooling_that_rounds_down_to_the_same_size_is_imported(tmp_path):
    # 28 -> 14 -> 5 (from 10): floor and ceiling agree, so LeNet's default pooling maps exactly,
    # as convviz's usual pooling (its JSON as it always was: no edge written)
    path = export(LeNet(ceil=False), (1, 1, 28, 28), tmp_path / "lenet.onnx", False)
    imported = assert_same_votes(path, (1, 1, 28, 28), final=torch.log_softmax)
    pools = [la for la in imported.spec.to_dict()["layers"] if la["kind"] == "pool"]
    assert pools == [{"window": 2, "stride": 2, "kind": "pool"}] * 2


class Colour(nn.Module):
    def __init__(self, channels_last=False):
        super().__init__()
        self.channels_last = channels_last
        self.conv, self.fc = nn.Conv2d(3, 4, 3), nn.Linear(4 * 6 * 6, 3)

    def forward(self, x):
        if self.channels_last:
            x = x.permute(0, 3, 1, 2)
        return torch.softmax(self.fc(torch.flatten(torch.relu(self.conv(x)), 1)), 1)


def test_value_range_mean_and_std_and_per_channel_normalisation(tmp_path):
    path = export(Colour(), (1, 3, 8, 8), tmp_path / "colour.onnx", False)
    assert import_model(path).spec.value_range == (0.0, 1.0)
    assert import_model(path, value_range=(-1, 1)).spec.value_range == (-1.0, 1.0)
    same = import_model(path, mean=(0.5,), std=(0.25,))
    assert same.spec.value_range == (-2.0, 2.0) and len(same.spec.layers) == 3
    # one mean and std a channel: a first 1x1 convolution; convviz is given the 0..1 picture,
    # onnxruntime the normalised one
    mean, std = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])
    per = assert_same_votes(
        path,
        (1, 3, 8, 8),
        final=torch.softmax,
        mean=tuple(mean),
        std=tuple(std),
        to_onnx_input=lambda x: (x - mean[None, :, None, None]) / std[None, :, None, None],
    )
    assert per.spec.layers[0].size == 1 and per.spec.value_range == (0.0, 1.0)
    assert "per-channel normalisation" in "\n".join(per.report)
    with pytest.raises(ModelRefused, match="--mean gives 2 numbers"):
        import_model(path, mean=(0.1, 0.2), std=(1.0,))


class Normalising(Colour):
    """The model normalises its own input first (Sub and Div, or one Div by 255)."""

    def __init__(self, mean, std):
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1))

    def forward(self, x):
        return super().forward((x - self.mean) / self.std)


@pytest.mark.parametrize("dynamo", EXPORTERS)
def test_a_normalisation_written_in_the_model_is_folded_in(tmp_path, dynamo):
    per = export(
        Normalising([0.5, 0.4, 0.3], [0.2, 0.3, 0.4]), (1, 3, 8, 8), tmp_path / "per.onnx", dynamo
    )
    imported = assert_same_votes(per, (1, 3, 8, 8), final=torch.softmax)
    assert imported.spec.layers[0].size == 1  # one a channel: a first 1x1 convolution
    assert "folded" in "\n".join(imported.report)
    # dividing by 255 itself: the model was fed 0..255, and convviz's range says where that went
    scaled = export(Normalising([0.0], [255.0]), (1, 3, 8, 8), tmp_path / "255.onnx", dynamo)
    imported = assert_same_votes(
        scaled, (1, 3, 8, 8), final=torch.softmax, to_onnx_input=lambda x: x * 255
    )
    assert imported.spec.value_range == pytest.approx((0.0, 1.0))
    assert "0..255 assumed" in imported.report[0] and len(imported.spec.layers) == 3


@pytest.mark.parametrize("dynamo", EXPORTERS)
def test_a_channels_last_input_is_read_channels_first(tmp_path, dynamo):
    path = export(Colour(channels_last=True), (1, 8, 8, 3), tmp_path / "nhwc.onnx", dynamo)
    imported = import_model(path)
    assert imported.spec.channels == 3 and imported.spec.input_shape == (8, 8)
    net = imported.model()
    x = np.random.default_rng(1).uniform(0, 1, (1, 3, 8, 8)).astype(np.float32)
    with torch.no_grad():
        votes = torch.softmax(net(torch.from_numpy(x)), 1).numpy()
    np.testing.assert_allclose(votes, onnx_outputs(path, x.transpose(0, 2, 3, 1)), atol=1e-4)


def test_class_names_given_from_metadata_or_numbered(tmp_path):
    path = export(Colour(), (1, 3, 8, 8), tmp_path / "colour.onnx", False)
    assert import_model(path, classes=["a", "b", "c"]).spec.classes == ("a", "b", "c")
    model = onnx.load(str(path))
    onnx.helper.set_model_props(model, {"classes": '["cat", "dog", "bird"]'})
    onnx.save(model, str(path))
    imported = import_model(path)
    assert imported.spec.classes == ("cat", "dog", "bird")
    assert "from the file's metadata" in imported.report[-1]
    with pytest.raises(ModelRefused, match="votes for 3 classes but 2 class names"):
        import_model(path, classes=["a", "b"])


# ---- refused as a whole -------------------------------------------------------------------------
def test_grouped_and_dilated_convolutions_are_each_listed_once_by_node(tmp_path):
    class Odd(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Sequential(
                nn.Conv2d(2, 4, 3, groups=2),
                nn.Conv2d(4, 4, 3, groups=2),
                nn.Conv2d(4, 4, 3, dilation=2),
            )
            self.fc = nn.Linear(4 * 4 * 4, 2)

        def forward(self, x):
            return self.fc(torch.flatten(self.stem(x), 1))

    path = export(Odd(), (1, 2, 12, 12), tmp_path / "odd.onnx", False)
    with pytest.raises(ModelRefused) as e:
        import_model(path)
    line = str(e.value)
    assert "\n" not in line and "(2 reasons)" in line
    assert "Conv '/stem/stem.0/Conv' (and 1 more) uses groups=2: grouped convolutions" in line
    assert "Conv '/stem/stem.2/Conv' uses dilations=[2, 2]" in line


def test_an_lstm_and_two_inputs_are_refused_with_the_report(tmp_path):
    class Recurrent(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm, self.fc = nn.LSTM(8, 4, batch_first=True), nn.Linear(4, 2)

        def forward(self, x):
            return self.fc(self.lstm(x.flatten(1, 2))[0][:, -1])

    path = export(Recurrent(), (1, 1, 3, 8), tmp_path / "lstm.onnx", False)
    with pytest.raises(ModelRefused, match=r"LSTM '.*' recurrent layers are not supported"):
        import_model(path)

    class Two(nn.Module):
        def forward(self, a, b):
            return torch.flatten(a + b, 1)

    two = tmp_path / "two.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Two(), (torch.randn(1, 1, 4, 4), torch.randn(1, 1, 4, 4)), str(two), dynamo=False
        )
    with pytest.raises(ModelRefused, match="the model takes 2 inputs"):
        import_model(two)


def test_a_model_that_does_not_end_in_a_fully_connected_layer_is_refused(tmp_path):
    class Tail(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv, self.fc = nn.Conv2d(1, 2, 3), nn.Linear(2 * 2 * 2, 3)

        def forward(self, x):
            return torch.relu(self.fc(torch.flatten(self.conv(x), 1)))

    path = export(Tail(), (1, 1, 4, 4), tmp_path / "tail.onnx", False)
    with pytest.raises(ModelRefused, match="votes must come from a fully connected layer"):
        import_model(path)


# ---- the kinds other branches add: each test skips until its kind is registered -----------------
class Kinds(nn.Module):
    """conv -> relu -> (the layer under test) -> ... -> fc. Batch norm after the ReLU, so that
    neither exporter can fold it into the convolution."""

    def __init__(self, middle: nn.Module, flat: int):
        super().__init__()
        self.conv, self.middle, self.fc = nn.Conv2d(2, 4, 3, padding=1), middle, nn.Linear(flat, 3)

    def forward(self, x):
        return self.fc(torch.flatten(self.middle(torch.relu(self.conv(x))), 1))


def _bn():
    bn = nn.BatchNorm2d(4, eps=1e-3)  # Keras' epsilon: folded into the running variance
    with torch.no_grad():
        bn.running_mean.uniform_(-1, 1)
        bn.running_var.uniform_(0.5, 2)
        bn.weight.uniform_(0.5, 2)
        bn.bias.uniform_(-1, 1)
    return bn


NEW_KINDS = [  # (kind, module between the ReLU and the flatten, values flattened)
    ("batchnorm", _bn, 4 * 8 * 8),
    ("avgpool", lambda: nn.AvgPool2d(2), 4 * 4 * 4),
    ("gap", lambda: nn.AdaptiveAvgPool2d(1), 4),
    ("leakyrelu", lambda: nn.LeakyReLU(0.2), 4 * 8 * 8),
    ("sigmoid", nn.Sigmoid, 4 * 8 * 8),
    ("tanh", nn.Tanh, 4 * 8 * 8),
]


def _needs(kind: str):
    return pytest.mark.skipif(
        kind_named(kind) is None, reason=f"the layer kind {kind!r} is not registered on this branch"
    )


@pytest.mark.parametrize("dynamo", EXPORTERS)
@pytest.mark.parametrize(
    "kind, middle, flat", [pytest.param(*k, marks=_needs(k[0]), id=k[0]) for k in NEW_KINDS]
)
def test_the_new_layer_kinds_give_the_same_votes(tmp_path, kind, middle, flat, dynamo):
    torch.manual_seed(0)
    path = export(Kinds(middle(), flat), (1, 2, 8, 8), tmp_path / f"{kind}.onnx", dynamo)
    imported = assert_same_votes(path, (1, 2, 8, 8))
    assert kind in [layer.kind for layer in imported.spec.layers]


@pytest.mark.skipif(
    kind_named("leakyrelu") is not None,
    reason="the layer kind 'leakyrelu' is registered: the model is imported",
)
def test_a_kind_this_convviz_lacks_is_named_in_the_refusal(tmp_path):
    path = export(Kinds(nn.LeakyReLU(0.2), 4 * 8 * 8), (1, 2, 8, 8), tmp_path / "l.onnx", False)
    with pytest.raises(ModelRefused, match="would become a 'leakyrelu' layer"):
        import_model(path)


# ---- the command line ---------------------------------------------------------------------------
def test_convviz_import_prints_the_report_and_writes_weights(tmp_path, capsys):
    path = export(Colour(), (1, 3, 8, 8), tmp_path / "colour.onnx", False)
    out = tmp_path / "colour.safetensors"
    # "--range -1..1" as typed: argparse alone would take -1..1 for an option
    assert (
        main(
            [
                "import",
                str(path),
                "--to",
                str(out),
                "--range",
                "-1..1",
                "--classes",
                "red,green,blue",
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "Conv '/conv/Conv' -> conv1 (4x6x6)" in printed and f"wrote {out}" in printed
    model, _ = load_model(out)
    assert model.spec.classes == ("red", "green", "blue")
    assert model.spec.value_range == (-1.0, 1.0)
    x = np.random.default_rng(2).uniform(-1, 1, (1, 3, 8, 8)).astype(np.float32)
    with torch.no_grad():
        votes = torch.softmax(model(torch.from_numpy(x)), 1).numpy()
    np.testing.assert_allclose(votes, onnx_outputs(path, x), atol=1e-4)


def test_convviz_import_refusals_are_one_line(tmp_path, capsys):
    path = export(Colour(), (1, 3, 8, 8), tmp_path / "colour.onnx", False)
    out = tmp_path / "never.safetensors"
    for extra in (["--range", "1..x"], ["--mean", "0.5"], ["--classes", "a,b"]):
        assert main(["import", str(path), "--to", str(out), *extra]) == 1
        err = capsys.readouterr().err
        assert err.startswith("convviz: error: ") and err.count("\n") == 1, err
    assert not out.exists()


def test_predict_and_trace_take_a_model_from_another_tool_directly(tmp_path, capsys):
    from convviz.core.importing import import_model as imp
    from convviz.core.weights import save_model

    path = export(Colour(), (1, 3, 8, 8), tmp_path / "colour.onnx", False)
    picture = tmp_path / "p.png"
    from PIL import Image

    Image.fromarray(np.full((8, 8, 3), 200, np.uint8)).save(picture)
    assert main(["predict", str(path), str(picture), "--json"]) == 0
    assert '"votes"' in capsys.readouterr().out
    assert main(["trace", "--weights", str(path), str(picture)]) == 0
    assert "conv1 (conv) 4x6x6" in capsys.readouterr().out
    # convviz's own .onnx weights are still read as weights, with their class names
    own = tmp_path / "own.onnx"
    save_model(imp(path, classes=["r", "g", "b"]).model(), own)
    assert main(["predict", str(own), str(picture)]) == 0
    assert "votes: r " in capsys.readouterr().out
