"""`convviz summary` and core.summary: the shapes table the window shows, printed.

The rows the architecture panel shows are the rows the command prints (one function makes
them); the table fits 80 columns, formulas wrapped; --json has the documented keys; --preset and
--spec import no torch; a stranger's weights file or spec gets the usual checks and one line.
"""

import json

import pytest
from reference import rect_spec

from convviz.cli import main
from convviz.cli_summary import table_text, wrap_formula
from convviz.core.presets import PRESETS, preset
from convviz.core.summary import byte_text, summarise, table_rows
from tests.hostile.crafted import alexnet_dict, safetensors_file
from tests.hostile.harness import assert_refused, convviz_cli, python_snippet

JSON_KEYS = {"name", "input", "classes", "rows", "totals"}
ROW_KEYS = {"name", "kind", "label", "shape", "params", "formula", "params_formula", "depth"}
TOTAL_KEYS = {"params", "params_bytes", "activations", "activations_bytes"}


def test_rows_and_totals_of_the_shapes_preset():
    s = summarise(preset("shapes"))
    assert [r.name for r in s.rows][:4] == ["input", "conv1", "relu1", "pool1"]
    assert s.rows[0].shape == (1, 28, 28) and s.rows[-1].name == "votes"
    conv1 = s.rows[1]
    assert (conv1.kind, conv1.label, conv1.shape_text, conv1.params, conv1.formula) == (
        "conv",
        "filtering",
        "8×28×28",
        8 * 25 + 8,
        "(28 - 5 + 2·2)/1 + 1 = 28",
    )
    assert s.params == sum(x.params for x in preset("shapes").shapes()) == 54_054
    assert (
        s.activations
        == 784 + 2 * 8 * 28 * 28 + 8 * 14 * 14 + 2 * 16 * 14 * 14 + 16 * 7 * 7 + 784 + 64 + 64 + 6
    )
    assert s.params_bytes == 4 * 54_054
    assert byte_text(1536) == "1.5 KiB" and byte_text(12) == "12 bytes"


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_fits_80_columns_with_every_row(name):
    s = summarise(preset(name))
    text = table_text(s)
    assert max(map(len, text.splitlines())) <= 80, text
    for r in s.rows:
        name = "  " * r.depth + r.name  # a block's inside rows are indented under it
        assert any(line.startswith(name + " ") or line == name for line in text.splitlines()), (
            r.name
        )
        if r.params:
            assert r.params_text in text


def test_long_formulas_wrap_between_dimensions_within_80_columns():
    text = table_text(summarise(rect_spec(hidden=7)))
    lines = text.splitlines()
    assert max(map(len, lines)) <= 80, text
    conv = next(i for i, ln in enumerate(lines) if ln.startswith("conv1"))
    assert lines[conv].endswith("rows: (11 - 3 + 2·1)/2 + 1 = 6")
    assert lines[conv + 1].strip() == "cols: (16 - 5 + 2·2)/1 + 1 = 16"
    # the continuation starts under the formula column
    assert lines[conv + 1].index("cols") == lines[conv].index("rows")
    assert wrap_formula("a b c d", 3) == ["a b", "c d"] and wrap_formula("", 10) == []


def test_a_narrow_table_puts_formulas_on_their_own_lines():
    text = table_text(summarise(rect_spec(hidden=7)), width=56)
    assert max(map(len, text.splitlines())) <= 56, text
    assert "\n    rows: (11 - 3 + 2·1)/2 + 1 = 6\n    cols:" in text


def test_the_architecture_panel_shows_the_same_rows(qtbot):
    """The panel's layer list says, row by row, what `convviz summary` prints."""
    from convviz.qt.panels.architecture import ArchitecturePanel

    panel = ArchitecturePanel()
    qtbot.addWidget(panel)
    spec = preset("lenet5")
    panel.set_model(spec)
    want = {r.title.split(" ")[0]: r for r in table_rows(spec, spec.shapes())}
    lines = panel.editor.checked.lines
    assert [ln.name for ln in lines] == [n for n in want if n != "input"]
    for ln in lines:
        r = want[ln.name]
        shown = panel.editor.lines[ln.path] if ln.path is not None else panel.editor.votes
        text = shown.result.text()
        count = r.params_text or "0"  # (the table leaves a layer without any blank)
        assert text.startswith(f"→ {r.shape_text} · {count} parameters"), text
        assert all(part in text for part in r.how.split("; ") if part), (text, r.how)
    assert want["conv1"].title == "conv1 (filtering)" and "votes" in want


def test_json_has_the_documented_keys(capsys, tmp_path):
    spec_path = tmp_path / "rect.json"
    spec_path.write_text(rect_spec(hidden=7).to_json())
    assert main(["summary", "--spec", str(spec_path), "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert set(d) == JSON_KEYS and set(d["totals"]) == TOTAL_KEYS
    assert all(set(r) == ROW_KEYS for r in d["rows"])
    assert d["input"] == {"channels": 3, "rows": 11, "cols": 16}
    assert d["rows"][1]["shape"] == [4, 6, 16] and d["rows"][1]["params"] == 4 * 3 * 15 + 4
    s = summarise(rect_spec(hidden=7))
    assert d["totals"] == {
        "params": s.params,
        "params_bytes": 4 * s.params,
        "activations": s.activations,
        "activations_bytes": 4 * s.activations,
    }


def test_weights_file_gives_the_network_it_describes(capsys, tmp_path):
    from convviz.core.network import build
    from convviz.core.weights import save_model

    path = save_model(build(rect_spec(hidden=7), seed=0), tmp_path / "rect.safetensors")
    assert main(["summary", "--weights", str(path)]) == 0
    assert capsys.readouterr().out == table_text(summarise(rect_spec(hidden=7))) + "\n"


def test_preset_and_spec_import_no_torch_and_alexnet_sized_costs_nothing(tmp_path):
    """In a fresh process: the table of a 62-million-parameter network, nothing built."""
    spec = tmp_path / "alexnet.json"
    spec.write_text(json.dumps(alexnet_dict()))
    code = (
        "import sys\n"
        "from convviz.cli import main\n"
        f"assert main(['summary', '--preset', 'shapes']) == 0\n"
        f"assert main(['summary', '--spec', {str(spec)!r}, '--json']) == 0\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    out = python_snippet(code, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    text, _, js = out.stdout.partition("\n{")
    assert "conv1     filtering" in text and "54,054" in text
    d = json.loads("{" + js)
    assert d["rows"][1]["shape"] == [96, 55, 55]
    assert d["rows"][1]["formula"] == "(227 - 11 + 2·0)/4 + 1 = 55"
    assert d["totals"]["params"] > 50_000_000


def test_bad_input_is_one_line(capsys, tmp_path):
    bad = tmp_path / "bad.json"
    d = rect_spec(hidden=7).to_dict()
    d["layers"][0]["stride"] = [3, 1]  # rows: (11 - 3 + 2*1)/3 + 1 = 4.33
    bad.write_text(json.dumps(d))
    cases = {
        "--spec": (str(bad), ["layer 1 (conv1)", "rows", "(11 - 3 + 2*1)/3 + 1"]),
        "--preset": ("nope", ["unknown preset 'nope'"]),
    }
    for option, (value, words) in cases.items():
        assert main(["summary", option, value]) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("convviz: error: ")
        assert all(w in err for w in words), err
    (tmp_path / "folder.json").mkdir()
    assert main(["summary", "--spec", str(tmp_path / "folder.json")]) == 1
    assert "not a file" in capsys.readouterr().err


def test_a_strangers_weights_file_is_refused_in_one_line(tmp_path):
    """The usual checks opening a weights file makes, under the hostile harness's limits."""
    huge = dict(alexnet_dict(), input_size=4000)
    path = safetensors_file(tmp_path / "huge.safetensors", spec_json=huge)
    assert_refused(
        convviz_cli("summary", "--weights", path, cwd=tmp_path), "huge.safetensors", "limit"
    )
    other = safetensors_file(tmp_path / "other.safetensors", spec_json=preset("lenet5").to_dict())
    assert_refused(
        convviz_cli("summary", "--weights", other, cwd=tmp_path), "does not fit the network"
    )


def test_the_table_reads_on_a_terminal_without_unicode(tmp_path):
    out = python_snippet(
        "from convviz.cli import main; main(['summary', '--preset', 'xo'])",
        cwd=tmp_path,
        env={"PYTHONIOENCODING": "ascii"},
    )
    assert out.returncode == 0, out.stderr
    assert "(9 - 3 + 2*0)/1 + 1 = 7" in out.stdout and "3x7x7" in out.stdout


def test_a_blocks_inside_rows_come_before_its_own_and_count_once():
    """A composite kind's LayerShape.inside (the residual block's layers and skip path)."""
    from dataclasses import dataclass

    from convviz.core.spec import LayerShape
    from convviz.core.summary import Summary

    @dataclass(frozen=True)
    class Block(LayerShape):
        inside: tuple = ()

    spec = preset("xo")
    inner = (
        LayerShape("residual1.conv1", "conv", (3, 7, 7), 30, "(7 - 3 + 2·1)/1 + 1 = 7"),
        LayerShape("residual1.skip", "residual.skip", (3, 7, 7), 0, "as it is"),
    )
    shapes = [spec.shapes()[0], Block("residual1", "residual", (3, 7, 7), 30, "", inner)]
    rows = table_rows(spec, shapes)
    assert [(r.name, r.depth) for r in rows] == [
        ("input", 0),
        ("conv1", 0),
        ("residual1.conv1", 1),
        ("residual1.skip", 1),
        ("residual1", 0),
    ]
    s = Summary(spec, rows)
    assert s.params == 27 + 30 and s.activations == 81 + 4 * 147  # conv1 has 27
    text = table_text(s)
    assert "\n  residual1.conv1 " in text and "\nresidual1 " in text


def test_the_parameters_are_counted_as_the_lesson_counts_alexnets_first_layer():
    """The lesson: 96 filters of 11x11x3 share 96*11*11*3 = 34,848 weights, biases apart."""
    rows = {r.name: r for r in summarise(preset("alexnet")).rows}
    assert rows["conv1"].params == 34_848 + 96
    assert rows["conv1"].params_formula == "96·3·11·11 = 34,848 (+96\u00a0biases)"
    assert rows["relu1"].params_formula == "" and rows["pool1"].params_formula == ""
    assert "34,848" in rows["conv1"].how and "= 55" in rows["conv1"].how
