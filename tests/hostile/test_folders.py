"""Hostile labelled folders: links that lead out of the folder or round in circles, folders nested
deeper than any data set, more files than the limit, names that are not UTF-8, and Cancel.
Cases that once walked the whole disk or took gigabytes run in a bounded process."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from test_folders_helpers import draw, make_folder

from convviz.core import limits
from convviz.core.errors import DataError
from convviz.core.folders import LoadCancelled, list_folder, load_folder, pillow_decode

from .harness import assert_refused, convviz_cli, python_snippet

REPORT = (
    "import sys\n"
    "from convviz.core.folders import load_folder\n"
    "d = load_folder(sys.argv[1] if len(sys.argv) > 1 else {root!r}, 28)\n"
    "print(d.counts())\n"
    "for s in d.skipped: print(s.path + ': ' + s.reason)\n"
)


def _loaded(tmp_path, root: Path, **kw):
    out = python_snippet(REPORT.format(root=str(root)), cwd=tmp_path, **kw)
    assert out.returncode == 0 and not out.timed_out, out.stderr[-3000:]
    return out.stdout


def test_links_out_of_the_folder_are_not_followed(tmp_path):
    root = make_folder(tmp_path / "data", per_class=3)
    outside = tmp_path / "outside"
    outside.mkdir()
    draw("x").save(outside / "private.png")
    (root / "disk").symlink_to("/")  # a class folder that is the whole disk
    (root / "o" / "up").symlink_to("/")  # a folder inside a class
    (root / "x" / "private.png").symlink_to(outside / "private.png")  # one picture
    out = _loaded(tmp_path, root, timeout=30)
    assert "{'o': 3, 'x': 3}" in out
    for name in ("disk", "o/up", "x/private.png"):
        assert f"{name}: a link to outside the chosen folder: not followed" in out, name


def test_a_fifo_named_png_is_skipped_not_waited_on(tmp_path):
    root = make_folder(tmp_path / "data", per_class=3)
    os.mkfifo(root / "x" / "pipe.png")  # opening it would wait for a writer for ever
    out = _loaded(tmp_path, root, timeout=30)
    assert "{'o': 3, 'x': 3}" in out and "x/pipe.png: not a file" in out
    # the app's loader: it samples headers to choose its threads, then decodes with Qt
    code = (
        f"from convviz.core.folders import list_folder, load_folder\n"
        f"from convviz.qt.training.folder_decode import decode_threads, qimage_decode\n"
        f"listing = list_folder({str(root)!r})\n"
        f"print(decode_threads([p for p, _ in listing.files], sample=99))\n"
        f"d = load_folder({str(root)!r}, 28, decoder=qimage_decode, listing=listing)\n"
        f"print(d.counts(), [s.path + ': ' + s.reason for s in d.skipped])\n"
    )
    app = python_snippet(code, cwd=tmp_path, timeout=30)
    assert app.returncode == 0 and not app.timed_out, app.stderr[-2000:]
    assert "{'o': 3, 'x': 3} ['x/pipe.png: not a file']" in app.stdout


def test_links_inside_the_folder_are_followed(tmp_path):
    root = make_folder(tmp_path / "data", per_class=3)
    store = root / ".store"  # hidden: not a class, reached only through the link
    store.mkdir()
    for i in range(2):
        draw("x").save(store / f"s{i}.png")
    (root / "x" / "more").symlink_to("../.store")
    (root / "x" / "again.png").symlink_to("x000.png")
    data = load_folder(root, 28)
    assert data.counts() == {"o": 3, "x": 6}
    assert "x/more/s0.png" in data.paths and "x/again.png" in data.paths


def test_one_link_loop_counts_each_picture_once(tmp_path):
    root = make_folder(tmp_path / "data", per_class=3)
    (root / "x" / "loop").symlink_to(".")  # each picture counted 41 times before
    out = _loaded(tmp_path, root)
    assert "{'o': 3, 'x': 3}" in out
    assert "x/loop: a folder already listed (reached again through a link)" in out


def test_two_link_loops_in_bounded_memory(tmp_path):
    root = make_folder(tmp_path / "data", per_class=3)
    (root / "x" / "a").symlink_to(".")  # 2^40 paths: 5.7 GB before
    (root / "x" / "b").symlink_to("..")
    out = _loaded(tmp_path, root, timeout=30)
    assert "{'o': 3, 'x': 3}" in out


@pytest.fixture
def deep_folder(tmp_path):
    """A labelled folder whose class 'x' holds folders nested 1,500 deep. Made and removed one
    level at a time: Path.mkdir(parents=True) and shutil.rmtree (pytest's clean-up) recurse."""
    root = make_folder(tmp_path / "data", per_class=3)
    levels = [str(root / "x")]
    for _ in range(1500):
        levels.append(os.path.join(levels[-1], "d"))
        os.mkdir(levels[-1])
    draw("x").save(os.path.join(levels[-1], "deep.png"))
    yield root
    os.remove(os.path.join(levels[-1], "deep.png"))
    for level in reversed(levels[1:]):
        os.rmdir(level)


def test_folders_nested_1500_deep_are_one_line(tmp_path, deep_folder):
    root = deep_folder
    out = convviz_cli(
        "train",
        root,
        "--out",
        tmp_path / "m.safetensors",
        "--epochs",
        "1",
        cwd=tmp_path,
        timeout=60,
    )
    assert_refused(out, "'x'", f"nested more than {limits.FOLDER_MAX_DEPTH} deep")
    assert not (tmp_path / "m.safetensors").exists()


def test_the_depth_limit_is_exact(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "FOLDER_MAX_DEPTH", 2)
    root = make_folder(tmp_path / "data", per_class=2)
    (root / "x" / "a" / "b").mkdir(parents=True)
    draw("x").save(root / "x" / "a" / "b" / "ok.png")  # depth 2: listed
    assert list_folder(root).counts() == {"o": 2, "x": 3}
    (root / "x" / "a" / "b" / "c").mkdir()
    with pytest.raises(DataError, match="class folder 'x' holds folders nested more than 2"):
        list_folder(root)


def test_the_file_count_limit_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "FOLDER_MAX_FILES", 50)
    root = make_folder(tmp_path / "data", per_class=30)
    with pytest.raises(DataError) as err:
        list_folder(root)
    assert "more than 50 files and folders" in str(err.value) and "\n" not in str(err.value)


def test_the_decoded_size_is_checked_before_allocating(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "FOLDER_MAX_DECODED_BYTES", 10 * 28 * 28 * 4)
    root = make_folder(tmp_path / "data", per_class=6)
    with pytest.raises(DataError, match=r"12 images of 28x28 take .* over convviz's limit"):
        load_folder(root, 28)
    assert load_folder(root, 9).X.shape == (12, 1, 9, 9)


def test_cancel_stops_listing(tmp_path):
    root = make_folder(tmp_path / "data", per_class=3)
    asked = []

    def cancel():
        asked.append(1)
        return True

    with pytest.raises(LoadCancelled):
        list_folder(root, should_cancel=cancel)
    assert len(asked) == 1  # at the first folder, before anything was listed


def test_cancel_stops_decoding_within_a_picture(tmp_path):
    root = make_folder(tmp_path / "data", per_class=100)  # one chunk of 128 and more
    decoded = []

    def decoder(path, size):
        decoded.append(path)
        return pillow_decode(path, size)

    with pytest.raises(LoadCancelled):
        load_folder(root, 28, decoder=decoder, threads=1, should_cancel=lambda: len(decoded) >= 3)
    assert len(decoded) == 3  # not the rest of the chunk


# ---- names that are not UTF-8 ---------------------------------------------------------------


@pytest.fixture
def latin1_folder(tmp_path) -> Path:
    """A class folder and files named in Latin-1 bytes (not valid UTF-8), as old archives are."""
    root = make_folder(tmp_path / "data", per_class=3, classes=("o",))
    cls = os.path.join(os.fsencode(root), b"caf\xe9")
    os.mkdir(cls)
    for i in range(3):
        draw("x").save(os.fsdecode(os.path.join(cls, b"\xe9t\xe9%d.png" % i)))
    with open(os.path.join(cls, b"notes\n\xff.txt"), "w") as f:  # a newline in a name
        f.write("not a picture")
    return root


def test_non_utf8_names_load_the_same_in_the_cli_and_the_app(latin1_folder):
    from convviz.qt.training.folder_decode import qimage_decode

    cli = load_folder(latin1_folder, 28)
    app = load_folder(latin1_folder, 28, decoder=qimage_decode, threads=1)
    for data in (cli, app):
        assert data.classes == ("caf\\xe9", "o")  # shown escaped, the same everywhere
        assert data.counts() == {"caf\\xe9": 3, "o": 3}
        assert "caf\\xe9/\\xe9t\\xe90.png" in data.paths
        assert [s.path for s in data.skipped] == ["caf\\xe9/notes\\n\\xff.txt"]
        assert all(line.isprintable() for line in data.report().splitlines())
        data.report().encode("utf-8")  # no surrogates left: a Qt label can show it
    assert np.abs(cli.X - app.X).mean() < 0.02
