"""Residual additions in an ONNX model (issue 15): an Add joining a skip path becomes convviz's
`residual` block. Models with torchvision-like blocks (the input as it is, or a 1x1 convolution
skip, with or without batch normalisation) are exported with both of torch's exporters and give
onnxruntime's votes within 1e-4; a skip convviz cannot say is refused with the node and why."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from test_import_onnx import EXPORTERS, assert_same_votes, export  # noqa: E402
from torch import nn  # noqa: E402

from convviz.core.importing import ModelRefused, import_model  # noqa: E402


def _randomised(bn: nn.BatchNorm2d) -> nn.BatchNorm2d:
    with torch.no_grad():  # statistics far from 0/1, so that a wrong fold shows in the votes
        bn.running_mean.uniform_(-1, 1)
        bn.running_var.uniform_(0.5, 2)
        bn.weight.uniform_(0.5, 2)
        bn.bias.uniform_(-1, 1)
    return bn


class Block(nn.Module):
    """torchvision's BasicBlock, except that it halves the size with a 4x4 convolution at stride
    2 (as convviz's resnet preset) unless `first` says 3 (torchvision's own: on an even size it
    leaves the last row out, convviz's edge "drop"; tested below)."""

    def __init__(self, cin, cout, stride=1, bn=True, first=None, skip_size=1):
        super().__init__()
        k = first or (3 if stride == 1 else 4)
        self.c1 = nn.Conv2d(cin, cout, k, stride, 1, bias=not bn)
        self.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=not bn)
        norm = (lambda: _randomised(nn.BatchNorm2d(cout))) if bn else nn.Identity
        self.b1, self.b2 = norm(), norm()
        self.down = None
        if cin != cout or stride != 1:
            conv = nn.Conv2d(cin, cout, skip_size, stride, skip_size // 2, bias=not bn)
            self.down = nn.Sequential(conv, norm())

    def forward(self, x):
        out = self.b2(self.c2(torch.relu(self.b1(self.c1(x)))))
        out += x if self.down is None else self.down(x)
        return torch.relu(out)


class SmallResNet(nn.Module):
    def __init__(self, bn=True, **second):
        super().__init__()
        self.stem = nn.Conv2d(3, 4, 3, padding=1)
        self.b1, self.b2 = Block(4, 4, bn=bn), Block(4, 8, 2, bn=bn, **second)
        self.fc = nn.Linear(8, 3)

    def forward(self, x):
        x = self.b2(self.b1(torch.relu(self.stem(x))))
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


@pytest.mark.parametrize("bn", [True, False], ids=["batchnorm", "plain"])
@pytest.mark.parametrize("dynamo", EXPORTERS)
def test_residual_blocks_give_the_same_votes(tmp_path, dynamo, bn):
    torch.manual_seed(0)
    path = export(SmallResNet(bn), (1, 3, 8, 8), tmp_path / "res.onnx", dynamo)
    imported = assert_same_votes(path, (1, 3, 8, 8))
    kinds = [layer.kind for layer in imported.spec.layers]
    assert kinds == ["conv", "relu", "residual", "relu", "residual", "relu", "gap"]
    identity, down = imported.spec.layers[2], imported.spec.layers[4]
    assert [x.kind for x in identity.layers] == ["conv", "relu", "conv"]  # batch norm folded
    assert "layers.4.skip.weight" in imported.state and "layers.2.skip.weight" not in imported.state
    report = "\n".join(imported.report)
    assert "-> residual1 (4x8x8): inside + skip path: the block's input as it is" in report
    assert "-> residual2 (8x4x4): inside + skip path Conv" in report
    assert "-> residual2.conv1 (8x4x4)" in report  # the inside, one line a node
    assert down.layers[0].stride == 2


def test_batch_norm_kept_by_the_exporter_inside_and_on_the_skip_path(tmp_path):
    # PRESERVE keeps each BatchNormalization as its own node (eval mode folds them into the
    # convolutions): inside they become batchnorm layers, on the skip path they are folded into
    # the 1x1 convolution
    torch.manual_seed(1)
    path = export(
        SmallResNet(True),
        (1, 3, 8, 8),
        tmp_path / "bn.onnx",
        False,
        training=torch.onnx.TrainingMode.PRESERVE,
    )
    imported = assert_same_votes(path, (1, 3, 8, 8))
    inside = [x.kind for x in imported.spec.layers[4].layers]
    assert inside == ["conv", "batchnorm", "relu", "conv", "batchnorm"]
    assert "(batch norm folded in)" in "\n".join(imported.report)


def _refusal(tmp_path, model, shape, name) -> str:
    path = export(model, shape, tmp_path / name, False)
    with pytest.raises(ModelRefused) as e:
        import_model(path)
    line = str(e.value)
    assert "\n" not in line and "(1 reason)" in line
    return line


def test_a_skip_convviz_cannot_say_is_refused_naming_the_node_and_why(tmp_path):
    # torchvision's own downsampling: 3x3 at stride 2 on 9x9 gives 5x5, and the 1x1 skip at
    # stride 2 gives 5x5 too; convviz's skip moves by 9/5, not a whole number
    line = _refusal(tmp_path, SmallResNet(first=3), (1, 3, 9, 9), "odd.onnx")
    assert "Conv '/b2/down/down.0/Conv'" in line
    assert "rows: the inside gives 5 from 9" in line and "(9/5)" in line
    # a 3x3 convolution on the skip path is neither the input nor a 1x1 convolution
    line = _refusal(tmp_path, SmallResNet(skip_size=3), (1, 3, 8, 8), "wide.onnx")
    assert "Add '/b2/Add' joins two paths, neither of which" in line


@pytest.mark.parametrize("dynamo", EXPORTERS)
def test_torchvisions_basic_block_downsampling_on_an_even_size(tmp_path, dynamo):
    # torchvision's own BasicBlock: a 3x3 at stride 2, padding 1, on 32x32 gives 16 (16.5
    # rounded down: convviz's edge "drop"), and its 1x1 skip at stride 2 gives 16 too
    torch.manual_seed(1)
    path = export(SmallResNet(first=3), (1, 3, 32, 32), tmp_path / "basic.onnx", dynamo)
    imported = assert_same_votes(path, (1, 3, 32, 32))
    down = imported.spec.layers[4]
    assert down.kind == "residual" and down.layers[0].edge == "drop"
    assert (down.layers[0].size, down.layers[0].stride, down.layers[0].padding) == (3, 2, 1)
    assert "layers.4.skip.weight" in imported.state
    report = "\n".join(imported.report)
    assert "-> residual2 (8x16x16): inside + skip path Conv" in report


def test_a_branch_that_forks_again_is_refused(tmp_path):
    class Nested(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Conv2d(2, 2, 3, padding=1), nn.Conv2d(2, 2, 3, padding=1)
            self.fc = nn.Linear(2 * 4 * 4, 2)

        def forward(self, x):
            y = torch.relu(self.a(x))
            y = y + self.b(y)  # a block inside the outer block
            return self.fc(torch.flatten(x + y, 1))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        line = _refusal(tmp_path, Nested(), (1, 2, 4, 4), "nested.onnx")
    assert "forks again inside a branch" in line


def test_the_imported_block_trains_like_any_network(tmp_path):
    # the result is a normal convviz network: its residual block's weights are where the
    # network's own state_dict has them, and a gradient reaches the skip convolution
    path = export(SmallResNet(True), (1, 3, 8, 8), tmp_path / "res.onnx", False)
    net = import_model(path).model().train()
    x = torch.from_numpy(np.random.default_rng(3).uniform(0, 1, (4, 3, 8, 8)).astype(np.float32))
    net(x).sum().backward()
    skip = dict(net.named_parameters())["layers.4.skip.weight"]
    assert skip.grad is not None and skip.grad.abs().sum() > 0
