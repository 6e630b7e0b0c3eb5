"""The architecture editor's Qt-free model (core/layer_rows.py): rows as typed, the registry's
kinds and fields, block wrapping, and every row's shape, parameters, formula or reason."""

from dataclasses import dataclass, field

import pytest

from convviz.core.errors import SpecError
from convviz.core.layer_rows import LayerRows, default_text, row_kinds, text_fields
from convviz.core.layer_rows_check import OK, REFUSED, UNKNOWN
from convviz.core.layers import Field, LayerKind, register, unregister
from convviz.core.layers.registry import number
from convviz.core.limits import MAX_SPEC_JSON_BYTES
from convviz.core.presets import PRESETS, preset
from convviz.core.spec import Conv, Flatten, NetworkSpec, ReLU


def blank(size=(8, 8), channels=1, classes=("a", "b")) -> LayerRows:
    return LayerRows(NetworkSpec("new", size, channels, (-1.0, 1.0), (), classes))


def typed(model, kind, **texts):
    path = model.add(kind)
    for k, v in texts.items():
        model.set_text(path, k, v)
    return path


def by_path(model):
    return {ln.path: ln for ln in model.lines().lines if ln.path is not None}


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_reads_back_as_itself_with_the_specs_numbers(name):
    spec = preset(name)
    model = LayerRows.from_spec(spec)
    checked = model.lines()
    assert checked.ok and model.spec() == spec
    shown = [(ln.name, ln.shape, ln.params, ln.formula) for ln in checked.lines]
    from convviz.core.spec import every_row

    want = every_row(spec.shapes())
    assert sorted(shown, key=str) == sorted(
        [(s.name, s.shape, s.params, s.formula) for s in want], key=str
    )
    assert checked.total_params == sum(s.params for s in spec.shapes())


def test_a_residual_network_built_row_by_row():
    m = blank((8, 8))
    typed(m, "conv", features="4", size="3", padding="1")
    typed(m, "relu")
    typed(m, "conv", features="4", size="3", padding="1")
    typed(m, "relu")
    assert m.wrap((2,), (3,)) == (2,)
    typed(m, "pool", window="2", stride="2")
    typed(m, "flatten")
    typed(m, "fc", neurons="10")
    spec = m.spec()
    assert [x.kind for x in spec.layers] == ["conv", "relu", "residual", "pool", "flatten", "fc"]
    assert spec.layers[2].layers == (Conv(4, 3, padding=1), ReLU())
    lines = by_path(m)
    assert lines[(2,)].name == "residual1" and lines[(2, 0)].name == "residual1.conv1"
    assert lines[(2, 0)].formula == "(8 - 3 + 2·1)/1 + 1 = 8"
    assert lines[(2, 0)].params_formula == "4·4·3·3 = 144 (+4\u00a0biases)"
    assert lines[(3,)].shape == (4, 4, 4) and lines[(5,)].shape == (10,)
    skip = [ln for ln in m.lines().lines if ln.kind == "residual.skip"]
    assert len(skip) == 1 and skip[0].depth == 1
    m.unwrap((2,))
    assert [x.kind for x in m.spec().layers][:4] == ["conv", "relu", "conv", "relu"]


def test_an_impossible_row_has_its_reason_and_the_rows_after_it_are_unknown():
    m = blank((5, 5))
    typed(m, "conv", features="2", size="9")
    typed(m, "relu")
    typed(m, "flatten")
    lines = by_path(m)
    assert lines[(0,)].state == REFUSED
    reason = lines[(0,)].reason
    assert "layer 1 (conv1)" in reason and ("rows" in reason or "cols" in reason)
    assert "9x9" in reason and "5x5" in reason
    assert lines[(1,)].state == UNKNOWN and lines[(2,)].state == UNKNOWN
    with pytest.raises(SpecError) as e:
        m.spec()
    assert str(e.value) == reason
    m.set_text((0,), "size", "3")
    assert m.lines().ok and by_path(m)[(0,)].shape == (2, 3, 3)


def test_a_row_inside_a_block_that_does_not_fit_is_the_one_marked():
    m = blank((8, 8))
    typed(m, "conv", features="4", size="3", padding="1")
    typed(m, "conv", features="4", size="20")
    m.wrap((0,), (1,))
    typed(m, "flatten")
    lines = by_path(m)
    assert lines[(0, 0)].state == OK and lines[(0, 0)].shape == (4, 8, 8)
    assert lines[(0, 1)].state == REFUSED and "20x20" in lines[(0, 1)].reason
    assert lines[(0,)].state == REFUSED and lines[(1,)].state == UNKNOWN


def test_unreadable_text_and_missing_fields_are_the_rows_reason():
    m = blank()
    p = m.add("conv")
    lines = by_path(m)
    assert lines[p].state == REFUSED and "features" in lines[p].reason
    m.set_text(p, "features", "eight")
    assert "features" in by_path(m)[p].reason and "eight" in by_path(m)[p].reason
    m.set_text(p, "features", "2")
    m.set_text(p, "size", "3x5")
    m.set_text(p, "bias", "no")
    typed(m, "flatten")
    assert m.spec().layers[0] == Conv(2, (3, 5), bias=False)
    m.set_input("cols", "")
    assert not m.lines().ok and "the input's cols is empty" in m.lines().input_reason
    m.set_input("cols", "wide")
    assert "input cols: cannot read 'wide'" in m.lines().input_reason


def test_numbers_read_back_exactly():
    spec = NetworkSpec("v", 9, 1, (0.1307, 1.123456789), (Flatten(),), ("a", "b"))
    assert LayerRows.from_spec(spec).spec() == spec


def test_the_input_as_typed_rectangular_and_colour():
    m = blank()
    typed(m, "conv", features="2", size="3x5")
    typed(m, "flatten")
    for k, v in {"rows": "11", "cols": "16", "channels": "3", "low": "0", "high": "1"}.items():
        m.set_input(k, v)
    spec = m.spec()
    assert spec.input_shape == (11, 16) and spec.channels == 3 and spec.value_range == (0, 1)
    assert by_path(m)[(0,)].shape == (2, 9, 12)


def test_add_remove_duplicate_move_and_change_kind():
    m = LayerRows.from_spec(preset("shapes"))
    n = len(m.rows)
    assert m.rows[0].origin == "conv1"
    p = m.duplicate((0,))
    assert p == (1,) and m.rows[1].origin is None and m.rows[1].texts == m.rows[0].texts
    m.remove((1,))
    assert len(m.rows) == n
    assert m.move((1,), -1) == (0,) and m.rows[0].kind == "relu"
    m.move((0,), +1)
    m.set_kind((2,), "avgpool")
    assert m.rows[2].kind == "avgpool" and m.rows[2].origin is None
    assert m.rows[2].text("window") == "2"  # a field of the same name keeps its text
    m.wrap((0,), (1,))
    assert m.move((0, 0), -1) == (0,)  # out of the block, before it
    assert m.rows[0].kind == "conv" and m.rows[1].rows[0].kind == "relu"
    assert m.move((1, 0), +1) == (1,)  # its last row leaves: the empty block goes
    assert not any(r.is_block for r in m.rows)


@dataclass(frozen=True)
class Twice:
    times: int = 2
    kind: str = field(default="twice", init=False)


class TwiceKind(LayerKind):
    name = "twice"
    layer_type = Twice
    fields = (Field("times", number("times"), required=False),)
    label = "twice"
    description = "A toy kind."

    def formula(self, layer, shape):
        return f"x {layer.times}"


@pytest.fixture
def twice():
    register(TwiceKind())
    yield
    unregister("twice")


def test_a_kind_registered_anywhere_is_offered_with_its_fields(twice):
    assert "twice" in row_kinds() and "residual" not in row_kinds()
    assert text_fields("twice") == ("times",) and default_text("twice", "times") == "2"
    m = blank()
    typed(m, "twice", times="3")
    typed(m, "flatten")
    assert by_path(m)[(0,)].formula == "x 3" and m.spec().layers[0] == Twice(3)


def test_wrap_needs_neighbours_in_one_list():
    m = LayerRows.from_spec(preset("resnet"))
    with pytest.raises(SpecError, match="follow each other"):
        m.wrap((2,), (3, 1))
    m.wrap((0,), (0,))
    assert m.rows[0].is_block and m.lines().lines[1].name == "residual1.conv1"


def test_a_square_spec_made_in_python_reads_back():
    spec = NetworkSpec("s", 9, 1, (-1.0, 1.0), (Conv(2, 3), Flatten()), ("a", "b"))
    assert LayerRows.from_spec(spec).spec() == spec


@pytest.mark.parametrize(
    "text, words",
    [
        ("99999999999", "features must be between"),
        ("1e400", "features"),
        ("[" * 5000 + "]" * 5000, "features"),
        ("x" * (MAX_SPEC_JSON_BYTES + 1), "more than a field can hold"),
        ("true", "must be a whole number"),
    ],
    ids=["huge", "overflow", "deep", "long", "flag"],
)
def test_typed_text_past_the_limits_is_one_line_naming_the_field(text, words):
    m = blank()
    typed(m, "conv", features=text, size="3")
    typed(m, "flatten")
    reason = by_path(m)[(0,)].reason
    assert by_path(m)[(0,)].state == REFUSED and words in reason and "\n" not in reason
    assert "layer 1 (conv1)" in reason and len(reason) < 300
