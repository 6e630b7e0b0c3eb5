"""`convviz shapes --colour`, `--rows/--cols` and `convviz sounds`, run in this process."""

import numpy as np
import pytest
from PIL import Image

from convviz.cli import main
from convviz.core.shapes_data import make_arrays
from convviz.core.sounds_data import SOUND_CLASSES
from convviz.core.sounds_data import make_arrays as make_sounds


def test_shapes_colour_writes_rgb_rectangles(tmp_path, capsys):
    assert (
        main(
            [
                "shapes",
                str(tmp_path / "c"),
                "--colour",
                "--per-class",
                "2",
                "--rows",
                "12",
                "--cols",
                "20",
                "--seed",
                "4",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "wrote 12 images of 6 classes" in out and "12x20 pixels, colour (RGB)" in out
    x, _ = make_arrays(("X",), 2, (12, 20), seed=4, value_range=(0.0, 1.0), colour=True)
    with Image.open(tmp_path / "c" / "X" / "X_00001.png") as im:
        assert im.mode == "RGB" and im.size == (20, 12)
        rgb = np.asarray(im, np.float32).transpose(2, 0, 1) / 255
    np.testing.assert_allclose(rgb, x[1], atol=0.5 / 255 + 1e-6)


def test_shapes_gray_square_by_default(tmp_path, capsys):
    assert (
        main(["shapes", str(tmp_path / "g"), "--per-class", "1", "--size", "10", "--cols", "14"])
        == 0
    )
    assert "10x14 pixels, grayscale" in capsys.readouterr().out
    with Image.open(tmp_path / "g" / "O" / "O_00000.png") as im:
        assert im.mode == "L" and im.size == (14, 10)


@pytest.mark.parametrize(
    "argv, words",
    [
        (["shapes", "OUT", "--rows", "4"], "--rows must be between 5 and 512, got 4"),
        (["shapes", "OUT", "--cols", "100000"], "--cols must be between"),
        (["sounds", "OUT", "--rows", "1000"], "--rows must be between 4 and 512, got 1000"),
        (["sounds", "OUT", "--per-class", "0"], "--per-class must be between 1"),
    ],
)
def test_bad_numbers_are_one_line(tmp_path, capsys, argv, words):
    argv = [str(tmp_path / "o") if a == "OUT" else a for a in argv]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and words in err
    assert not (tmp_path / "o").exists()


def test_sounds_writes_the_spectrograms(tmp_path, capsys):
    assert (
        main(
            [
                "sounds",
                str(tmp_path / "s"),
                "--per-class",
                "2",
                "--rows",
                "16",
                "--cols",
                "24",
                "--seed",
                "9",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "wrote 8 spectrograms of 4 classes (rising, falling, steady, warbling)" in out
    assert sorted(p.name for p in (tmp_path / "s").iterdir()) == sorted(SOUND_CLASSES)
    x, _ = make_sounds(per_class=2, rows=16, cols=24, seed=9)
    with Image.open(tmp_path / "s" / "warbling" / "warbling_00000.png") as im:
        assert im.mode == "L" and im.size == (24, 16)
        np.testing.assert_allclose(np.asarray(im) / 255, x[6, 0], atol=0.5 / 255 + 1e-6)


def test_a_colour_folder_trains_a_three_channel_network_and_trace_takes_three_grids(
    tmp_path, capsys
):
    import dataclasses
    import json

    from convviz.core.presets import preset

    spec = dataclasses.replace(preset("shapes"), channels=3)
    (tmp_path / "spec.json").write_text(json.dumps(spec.to_dict()))
    data, weights = tmp_path / "data", tmp_path / "w.safetensors"
    assert main(["shapes", str(data), "--colour", "--per-class", "3"]) == 0
    assert (
        main(
            [
                "train",
                str(data),
                "--spec",
                str(tmp_path / "spec.json"),
                "--epochs",
                "1",
                "--out",
                str(weights),
            ]
        )
        == 0
    )
    err = capsys.readouterr().err
    assert "18 images in 6 classes from" in err and "loaded in colour (RGB)" in err
    grids = np.zeros((3, 28, 28))
    grids[1, 10:18, 10:18] = 1
    text = "\n\n".join("\n".join(" ".join(f"{v:g}" for v in row) for row in g) for g in grids)
    (tmp_path / "g.txt").write_text(text)
    assert main(["trace", "--weights", str(weights), str(tmp_path / "g.txt"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert np.asarray(out["input"]).shape == (3, 28, 28)
    np.testing.assert_array_equal(out["input"], grids)
    (tmp_path / "two.txt").write_text("\n\n".join(text.split("\n\n")[:2]))
    assert main(["trace", "--weights", str(weights), str(tmp_path / "two.txt")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "2 grids but the model takes 3 channels" in err
    assert main(["predict", str(weights), str(data / "X" / "X_00000.png")]) == 0
