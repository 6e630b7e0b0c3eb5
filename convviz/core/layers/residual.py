"""The residual block ("residual"): a run of layers whose input is added to its output.

    {"kind": "residual", "layers": [{"kind": "conv", ...}, {"kind": "relu"}, ...]}

output = inside(x) + skip(x). The skip path is the input as it is when the inside keeps its shape;
otherwise a 1x1 convolution (with biases) that gives the inside's number of maps, moved by the
stride that shrinks each dimension to the inside's size. That stride is input size / inside size
and must be a whole number: a 1x1 feature moved by S over W pixels lands on ceil(W/S) places, and
asking for an exact multiple keeps the rule one a person can check by dividing (32/16 = 2);
anything else is refused with the dimension and the numbers named.

The block's rows of the shapes table and its trace entries are its inside (named
"residual1.conv1", ...), then its skip path ("residual1.skip", kind "residual.skip"), then the
sum (the block's own row, "residual1"). The block's own parameter count is the whole block's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from ..errors import SpecError
from ..limits import MAX_RESIDUAL_DEPTH, MAX_RESIDUAL_LAYERS
from ..spec_json import listed
from .registry import (
    DIMENSIONS,
    Field,
    LayerKind,
    Shape,
    kind_of,
    layer_from_dict,
    layer_to_dict,
    register,
)

SKIP = "skip"  # the skip path's name inside a block, and its trace/table kind's suffix


@dataclass(frozen=True)
class Residual:
    layers: tuple  # the inside, in order (any kinds, blocks included, that keep maps)
    kind: str = field(default="residual", init=False)


def _read_layers(v, where: str) -> tuple:
    items = listed(v, f"{where} layers", SpecError, MAX_RESIDUAL_LAYERS)
    return tuple(layer_from_dict(d, f"{where} inner layer {j + 1}") for j, d in enumerate(items))


def _write_layers(layers) -> list:
    return [layer_to_dict(layer) for layer in layers]


def _check_size(layer: Residual, where: str) -> None:
    """Depth and layer count of a block, counted without recursion before anything else."""
    stack, count = [(layer, 1)], 0
    while stack:
        block, depth = stack.pop()
        if depth > MAX_RESIDUAL_DEPTH:
            raise SpecError(
                f"{where}: residual blocks nested {depth} deep; the limit is {MAX_RESIDUAL_DEPTH}"
            )
        inner = block.layers if isinstance(block.layers, tuple) else ()
        count += len(inner)
        if count > MAX_RESIDUAL_LAYERS:
            raise SpecError(
                f"{where}: more than {MAX_RESIDUAL_LAYERS} layers inside one residual block"
            )
        stack.extend((x, depth + 1) for x in inner if isinstance(x, Residual))
    if not isinstance(layer.layers, tuple) or not layer.layers:
        raise SpecError(f"{where}: a residual block needs at least one layer inside")


def _inner_names(layer: Residual, prefix: str = "") -> list[str]:
    """The inner layers' names, counted inside the block: conv1, relu1, conv2, ..."""
    counts: dict[str, int] = {}
    names = []
    for inner in layer.layers:
        k = kind_of(inner).name
        counts[k] = counts.get(k, 0) + 1
        names.append(f"{prefix}{k}{counts[k]}")
    return names


def _walk(layer: Residual, shape: Shape, where: str):
    """(inner layer, its kind, its name, its input shape, its output shape, where) in order."""
    s = shape
    for j, (inner, name) in enumerate(zip(layer.layers, _inner_names(layer), strict=True)):
        kind = kind_of(inner)
        w = f"{where} inner layer {j + 1} ({name})"
        kind.check_fields(inner, w)
        new = kind.out_shape(inner, s, w)
        yield inner, kind, name, s, new, w
        s = new


def _skip_stride(shape: Shape, inside: Shape, where: str) -> tuple[int, int] | None:
    """None when the input is added as it is, else the 1x1 skip convolution's (rows, cols)
    stride; SpecError when no 1x1 convolution can bring the input to the inside's shape."""
    if len(inside) != 3:
        raise SpecError(
            f"{where}: the inside of a residual block must give maps (it gives "
            f"{inside}); flatten after the block"
        )
    if inside == shape:
        return None
    stride = []
    for dim, n, m in zip(DIMENSIONS, shape[1:], inside[1:], strict=True):
        if m > n or n % m:
            raise SpecError(
                f"{where}: {dim}: the inside gives {m} from {n}; a 1x1 skip "
                f"convolution needs the input size to be a whole multiple of the "
                f"inside's ({n}/{m} is not a whole number)"
            )
        stride.append(n // m)
    return stride[0], stride[1]


def _skip_params(shape: Shape, inside: Shape) -> int:
    return inside[0] * shape[0] + inside[0]


class ResidualKind(LayerKind):
    name = "residual"
    layer_type = Residual
    fields = (Field("layers", _read_layers, write=_write_layers),)
    label = "residual block"
    after = "after adding the skip path"
    description = (
        "A run of layers whose input is added back to their output (the skip "
        "path; a 1x1 convolution when the shapes differ), as in ResNet."
    )
    part_words: ClassVar[dict[str, tuple[str, str]]] = {
        SKIP: ("skip path", "the skip path (the block's input)")
    }

    def out_shape(self, layer: Residual, shape: Shape, where: str) -> Shape:
        _check_size(layer, where)
        if len(shape) != 3:
            raise SpecError(f"{where}: a residual block needs maps, but its input is flat {shape}")
        inside = shape
        for *_, new, _w in _walk(layer, shape, where):
            inside = new
        _skip_stride(shape, inside, where)
        return inside

    def _inside_shape(self, layer: Residual, shape: Shape) -> Shape:
        return self.out_shape(layer, shape, "residual block")

    def formula(self, layer: Residual, shape: Shape) -> str:
        return (
            f"inside + skip path, value by value (the whole block: "
            f"{self.params(layer, shape):,} parameters)"
        )

    def state_shapes(self, layer: Residual, shape: Shape) -> dict[str, Shape]:
        want: dict[str, Shape] = {}
        for j, (inner, kind, _n, s, _new, _w) in enumerate(_walk(layer, shape, "")):
            for suffix, tensor in kind.state_shapes(inner, s).items():
                want[f"inner.{j}.{suffix}"] = tensor
        inside = self._inside_shape(layer, shape)
        if _skip_stride(shape, inside, "") is not None:
            want[f"{SKIP}.weight"] = (inside[0], shape[0], 1, 1)
            want[f"{SKIP}.bias"] = (inside[0],)
        return want

    def params(self, layer: Residual, shape: Shape) -> int:
        n = sum(kind.params(inner, s) for inner, kind, _n, s, _new, _w in _walk(layer, shape, ""))
        inside = self._inside_shape(layer, shape)
        return n + (_skip_params(shape, inside) if inside != shape else 0)

    def inside(self, layer: Residual, shape: Shape, name: str, where: str, tally) -> tuple:
        from ..spec import LayerShape  # (spec imports the kinds: only when asked)

        rows = []
        for inner, kind, n, s, new, w in _walk(layer, shape, where):
            full = f"{name}.{n}"
            inside = kind.inside(inner, s, full, w, tally)
            p = kind.params(inner, s)
            tally.add(w, new, 0 if inside else p)  # a nested block counted its own rows
            rows.append(
                LayerShape(
                    full,
                    kind.name,
                    new,
                    p,
                    kind.formula(inner, s),
                    inside,
                    params_formula=kind.params_formula(inner, s),
                )
            )
        out = rows[-1].shape
        stride = _skip_stride(shape, out, where)
        if stride is None:
            p, text = 0, f"the block's input as it is ({shape[0]}×{shape[1]}×{shape[2]})"
        else:
            p = _skip_params(shape, out)
            text = (
                f"1×1 convolution, {out[0]} features, stride {stride[0]}×{stride[1]}: "
                f"{shape[1]}/{stride[0]} = {out[1]}, {shape[2]}/{stride[1]} = {out[2]}"
            )
        tally.add(f"{where} skip path", out, p)
        counted = (
            ""
            if stride is None
            # as the kinds count theirs (registry.py)
            else (f"{out[0]}·{shape[0]}·1·1 = {out[0] * shape[0]:,} (+{out[0]:,}\u00a0biases)")
        )
        rows.append(
            LayerShape(
                f"{name}.{SKIP}", f"{self.name}.{SKIP}", out, p, text, params_formula=counted
            )
        )
        return tuple(rows)

    def part_keys(self, layer: Residual) -> tuple[tuple[str, str], ...]:
        """(name inside the block, its state-key prefix inside the block's), nested blocks'
        layers included: ("conv1", "inner.0"), ("residual1.conv1", "inner.2.inner.0"), and
        ("skip", "skip") (looked up only where the block has a skip convolution)."""
        keys: list[tuple[str, str]] = []
        for j, (inner, n) in enumerate(zip(layer.layers, _inner_names(layer), strict=True)):
            keys.append((n, f"inner.{j}"))
            keys.extend(
                (f"{n}.{sub}", f"inner.{j}.{key}") for sub, key in kind_of(inner).part_keys(inner)
            )
        keys.append((SKIP, SKIP))
        return tuple(keys)

    def module(self, layer: Residual, shape: Shape):
        from torch import nn

        from .block_modules import Residual as ResidualModule  # torch only when building

        inner, steps, s = [], [], shape
        for sub, kind, _n, s_in, new, _w in _walk(layer, shape, "residual block"):
            inner.append(kind.module(sub, s_in))
            steps.append(kind)
            s = new
        stride = _skip_stride(shape, s, "residual block")
        skip = None if stride is None else nn.Conv2d(shape[0], s[0], 1, stride=stride)
        return ResidualModule(inner, skip, steps, _inner_names(layer))

    def trace(self, module, x):
        """The sum, with the inside and the skip path as `parts`: (name inside the block, kind,
        values, the part's own trace entries), batch first."""
        parts, y = [], x
        for m, kind, n in zip(module.inner, module.steps, module.part_names, strict=True):
            y, more = kind.trace(m, y)
            parts.append((n, kind.name, y, more))
        s = x if module.skip is None else module.skip(x)
        parts.append((SKIP, f"{self.name}.{SKIP}", s, {}))
        return y + s, {"parts": parts}


register(ResidualKind())
