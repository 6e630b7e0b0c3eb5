"""An output named like the file being read, and a model or class list that is not a plain file.

`import M --to M`, `export W --to W` and `explain W P --out P` (also under another name or
through a link) would replace what they read: a person's own model by its import, trained
weights and their timeline by one early moment, the picture by its map. Each is refused in one
line before anything is read or written. A FIFO named x.keras or x.h5 waited for a writer for
ever, a link to /dev/zero read for ever, and so did a FIFO given as --classes-file: each is one
line now, and never opened for a blocking read."""

from __future__ import annotations

import json
import os

import pytest

from .harness import assert_refused, convviz_cli, python_snippet
from .test_import import small_model

pytest.importorskip("onnx")


def test_an_output_that_is_the_input_is_refused_and_the_input_kept(tmp_path):
    model = small_model(tmp_path / "mine.onnx")
    before = model.read_bytes()
    assert_refused(
        convviz_cli("import", "mine.onnx", "--to", "./mine.onnx", cwd=tmp_path),
        "--to ./mine.onnx",
        "the file being read",
    )
    (tmp_path / "link.onnx").symlink_to("mine.onnx")
    assert_refused(
        convviz_cli("import", "mine.onnx", "--to", "link.onnx", cwd=tmp_path), "the file being read"
    )
    assert model.read_bytes() == before
    # a convviz weights file and a picture: export and explain never write over them
    outcome = convviz_cli("import", "mine.onnx", "--to", "w.safetensors", cwd=tmp_path)
    assert outcome.returncode == 0, outcome.stderr
    weights = (tmp_path / "w.safetensors").read_bytes()
    assert_refused(
        convviz_cli("export", "w.safetensors", "--to", "w.safetensors", cwd=tmp_path),
        "the file being read",
    )
    from PIL import Image

    Image.new("L", (4, 4), 200).save(tmp_path / "p.png")
    picture = (tmp_path / "p.png").read_bytes()
    outcome = convviz_cli(
        "explain",
        "w.safetensors",
        "p.png",
        "--method",
        "occlusion",
        "--out",
        "p.png",
        cwd=tmp_path,
    )
    assert_refused(outcome, "--out p.png", "the file being read")
    assert (tmp_path / "w.safetensors").read_bytes() == weights
    assert (tmp_path / "p.png").read_bytes() == picture


# Each path given is opened as a model (import_model) or a class list; prints {name: line}.
OPEN_EACH = """
import json
from convviz.core.errors import ConvvizError
from convviz.core.importing import import_model, read_classes_file
out = {}
for name in NAMES:
    try:
        (read_classes_file if name.endswith(".txt") else import_model)(name)
        out[name] = "ok"
    except ConvvizError as e:
        out[name] = str(e)
print(json.dumps(out))
"""


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are a POSIX thing")
def test_a_model_or_class_list_that_is_a_pipe_or_a_device_is_one_line(tmp_path):
    pytest.importorskip("h5py")
    for name in ("pipe.keras", "pipe.h5", "pipe.onnx", "names.txt"):
        os.mkfifo(tmp_path / name)
    for name in ("zero.keras", "zero.h5"):
        (tmp_path / name).symlink_to("/dev/zero")
    names = ["pipe.keras", "pipe.h5", "pipe.onnx", "names.txt", "zero.keras", "zero.h5"]
    outcome = python_snippet(OPEN_EACH.replace("NAMES", repr(names)), cwd=tmp_path, timeout=30)
    assert not outcome.timed_out and outcome.returncode == 0, outcome.stderr[-2000:]
    results = json.loads(outcome.stdout)
    for name in names:
        assert name in results[name] and "not a file" in results[name], (name, results[name])
    # the command line: one line for a pipe given as --classes-file
    small_model(tmp_path / "m.onnx")
    outcome = convviz_cli(
        "import",
        "m.onnx",
        "--classes-file",
        "names.txt",
        "--to",
        "o.safetensors",
        cwd=tmp_path,
        timeout=30,
    )
    assert_refused(outcome, "names.txt", "not a file")
    assert not (tmp_path / "o.safetensors").exists()
