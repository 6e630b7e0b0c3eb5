"""An ONNX model -> a convviz network with the same weights, or a refusal listing every reason.

The graph is walked from its one input to its one output as a chain of operators, each mapped by
onnx_ops.MAPPINGS; where the path forks, up to the Add that joins it again, the two branches
become one residual block (onnx_residual.py). Every node is walked at most once (a crafted file
that loops back is refused). What comes out is a spec as JSON and the tensors keyed by the
network's own state_dict names: both go through `NetworkSpec.from_dict` and the normal weights
check, so a layer kind registered later (batch norm, average pooling, ...) is imported as soon as
it exists.
The last fully connected layer becomes the votes (convviz's implicit last layer); a final
Softmax or LogSoftmax is dropped, because the votes are what comes before it.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from ..layers import kind_named
from ..snapshot import state_key
from .inputs import judge_input
from .onnx_file import ModelRefused, OnnxGraph
from .onnx_ops import KNOWN_UNSUPPORTED, MAPPINGS
from .onnx_residual import BlockProblem, residual_step, split
from .onnx_step import UNREADABLE, Problem, Shape, Step, attributes

# Handled by the walk itself (onnx_ops.MAPPINGS says why)
WALK_OPS = ("Softmax", "LogSoftmax", "Transpose", "Add", "Sub", "Mul", "Div", "Constant")
ARITHMETIC = ("Add", "Sub", "Mul", "Div")
CHANNELS_LAST = [0, 3, 1, 2]  # Transpose at the input of a TensorFlow converter's model
# What an export with a variable batch size computes a Reshape's target with, from the picture's
# own Shape: `x.view(x.size(0), -1)` becomes Shape -> Gather -> Unsqueeze -> Concat([that, -1])
SHAPE_OPS = ("Shape", "Gather", "Unsqueeze", "Squeeze", "Concat", "Slice", "Cast", "Constant")


class Problems:
    """Each reason once, with the first node it applies to and how many more share it."""

    def __init__(self, path):
        self.path = path
        self.found: dict[str, list[str]] = {}
        # layers left unchecked after a walk stopped at a problem: what each would be given is
        # not known, so any reason found for them would only be a consequence of that problem
        self.unchecked = 0

    def add(self, node, reason: str) -> None:
        who = f"{node.op_type} {node.name!r}" if node is not None else "the model"
        key = f"{node.op_type if node is not None else ''}: {reason}"
        self.found.setdefault(key, []).append(who)

    def raise_any(self) -> None:
        if not self.found:
            return
        parts = []
        for key, who in self.found.items():
            more = f" (and {len(who) - 1} more)" if len(who) > 1 else ""
            parts.append(f"{who[0]}{more} {key.split(': ', 1)[1]}")
        n = len(parts)
        after = ""
        if self.unchecked:
            one = self.unchecked == 1
            after = (
                f" ({'the layer' if one else f'the {self.unchecked} layers'} after it "
                f"{'was' if one else 'were'} not checked: {'it depends' if one else 'they depend'}"
                f" on what it gives)"
            )
        raise ModelRefused(
            f"{self.path}: cannot be opened as a convviz network "
            f"({n} reason{'s' if n > 1 else ''}): {'; '.join(parts)}{after}"
        )


def shape_helpers(graph: OnnxGraph) -> set[int]:
    """The nodes (by id) that only work out a Reshape's target from the batch size (SHAPE_OPS).
    Such a target, [the batch, n...], is made known to the graph as [0, n...] (ONNX's "keep this
    dimension"), so that the Reshape is judged like one with a stored target."""
    producer = {o: n for n in graph.nodes for o in n.output}
    helpers: set[int] = set()
    for node in graph.nodes:
        if node.op_type != "Reshape" or len(node.input) < 2 or graph.is_constant(node.input[1]):
            continue
        found: dict[int, object] = {}
        stack, ok = [node.input[1]], True
        while stack and ok:
            n = producer.get(stack.pop())
            if n is None or id(n) in found:
                continue
            ok = n.op_type in SHAPE_OPS
            found[id(n)] = n
            if n.op_type != "Shape":  # a Shape's input is the picture itself: not followed
                stack.extend(i for i in n.input if i and not graph.is_constant(i))
        concat = producer.get(node.input[1])
        if (
            not ok
            or concat is None
            or concat.op_type != "Concat"
            or len(concat.input) < 2
            or not all(graph.is_constant(i) for i in concat.input[1:])
        ):
            continue
        rest = [int(v) for i in concat.input[1:] for v in graph.value(i).reshape(-1)]
        graph.know(node.input[1], np.array([0, *rest], np.int64))
        helpers |= set(found)
    return helpers


def _static_checks(graph: OnnxGraph, problems: Problems, helpers: set[int]) -> None:
    """What is wrong whatever the shapes: operators convviz has no layer for, and settings
    (groups, dilations) it cannot follow; every node is looked at, so all of them are listed."""
    for node in graph.nodes:
        op = node.op_type
        if id(node) in helpers:
            continue
        if node.domain not in ("", "ai.onnx"):
            problems.add(node, f"is a custom operator from {node.domain[:60]!r}: not supported")
        elif op not in MAPPINGS and op not in WALK_OPS:
            problems.add(node, KNOWN_UNSUPPORTED.get(op, "is not supported"))
        elif op in ("Conv", "MaxPool", "AveragePool"):
            a = attributes(node)
            if a.get("group", 1) != 1:
                problems.add(
                    node, f"uses groups={a['group']}: grouped convolutions are not supported"
                )
            if any(d != 1 for d in a.get("dilations", [1])):
                problems.add(
                    node,
                    f"uses dilations={list(a['dilations'])}: dilated windows are not supported",
                )
    if len(graph.inputs) != 1:
        names = ", ".join(repr(i.name[:40]) for i in graph.inputs[:4])
        problems.add(
            None, f"takes {len(graph.inputs)} inputs ({names}); a convviz network takes one picture"
        )
    if len(graph.outputs) != 1:
        problems.add(
            None, f"gives {len(graph.outputs)} outputs; a convviz network gives one set of votes"
        )


def _input_shape(graph: OnnxGraph) -> list[int | None]:
    dims = graph.inputs[0].type.tensor_type.shape.dim
    return [d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else None for d in dims]


def walk(graph: OnnxGraph):
    """(input shape (C, H, W), [(node, step)] in order, (scale, shift) per channel that the
    model applies to its input before the first layer). Raises ModelRefused with every reason
    the file gives."""
    problems = Problems(graph.path)
    helpers = shape_helpers(graph)
    _static_checks(graph, problems, helpers)
    problems.raise_any()
    consumers = _consumers(graph, helpers)
    current = graph.inputs[0].name
    dims = _input_shape(graph)
    steps: list[tuple[object, Step]] = []
    users = consumers[current]
    channels_last = (
        len(users) == 1
        and users[0].op_type == "Transpose"
        and list(attributes(users[0]).get("perm", [])) == CHANNELS_LAST
    )
    if len(dims) != 4 or None in dims[1:]:
        raise ModelRefused(
            f"{graph.path}: its input is {_dims_text(dims)}; convviz opens "
            f"models taking one picture of a fixed size (batch, channels, rows, "
            f"cols)"
        )
    if channels_last:
        shape: Shape = (dims[3], dims[1], dims[2])  # type: ignore[assignment]
        steps.append((users[0], Step(None, shape, "dropped: the picture is given channels first")))
        current = users[0].output[0]
    else:
        shape = tuple(dims[1:])  # type: ignore[arg-type]
    judge_input(graph.path, *shape)
    input_shape = shape
    visited = {id(users[0])} if channels_last else set()
    current, scale, shift = _fold_input_arithmetic(graph, consumers, current, shape, steps, visited)
    _follow_the_path(graph, consumers, current, shape, steps, visited, problems)
    problems.raise_any()
    _refuse_off_the_path(graph, visited | helpers, problems)
    return input_shape, steps, (scale, shift)


def _consumers(graph: OnnxGraph, helpers) -> dict[str, list]:
    """Each tensor's name -> the nodes that read it (constants and shape helpers left out)."""
    consumers: dict[str, list] = defaultdict(list)
    for node in graph.nodes:
        if node.op_type != "Constant" and id(node) not in helpers:
            for name in dict.fromkeys(node.input):  # a node using a tensor twice counts once
                consumers[name].append(node)
    return consumers


def _fold_input_arithmetic(
    graph: OnnxGraph, consumers, current: str, shape: Shape, steps: list, visited: set
):
    """(the tensor after them, scale, shift): the arithmetic on the picture before the first
    layer, folded into the input's values; each one a step, marked visited."""
    scale, shift = np.ones(shape[0], np.float64), np.zeros(shape[0], np.float64)
    while True:  # arithmetic on the picture before the first layer (Sub, Div, Mul, Add)
        users = consumers.get(current, [])
        if len(users) != 1 or users[0].op_type not in ARITHMETIC:
            break
        node = users[0]
        c = _input_constant(graph, node, current, shape[0])
        if c is None or id(node) in visited:  # (a loop: the path walk below refuses it)
            break
        op = node.op_type
        scale, shift = (
            (scale, shift + c)
            if op == "Add"
            else (scale, shift - c)
            if op == "Sub"
            else (scale * c, shift * c)
            if op == "Mul"
            else (scale / c, shift / c)
        )
        steps.append((node, Step(None, shape, "folded into the input's values")))
        visited.add(id(node))
        current = node.output[0]
    return current, scale, shift


def _follow_the_path(
    graph: OnnxGraph,
    consumers,
    current: str,
    shape: Shape,
    steps: list,
    visited: set,
    problems: Problems,
) -> None:
    """The layers from `current` to the output, one step each, as long as the path does not
    branch; the first that cannot be imported (or a branch) is added to `problems`."""
    while True:
        users = consumers.get(current, [])
        if current in graph.outputs and not users:
            break
        if len(users) > 1:  # a fork: a residual block, up to the Add that joins it again
            block = _block(graph, consumers, current, users, shape, problems)
            if block is None:
                break
            join, step, nodes = block
            if any(id(n) in visited for n in nodes):
                problems.add(join, "is reached again: the graph loops back on itself")
                break
            visited |= {id(n) for n in nodes}
            steps.append((join, step))
            shape, current = step.shape, join.output[0]
            continue
        if not users:
            node = next((n for n in graph.nodes if current in n.output), None)
            problems.add(node, "gives a value nothing uses")
            break
        node = users[0]
        if id(node) in visited:  # a crafted file: walking on would go round for ever
            problems.add(node, "is reached again: the graph loops back on itself")
            break
        visited.add(id(node))
        try:
            step = _map(graph, node, shape, consumers)
        except Problem as p:
            problems.add(node, p.reason)
            break
        steps.append((node, step))
        if step.consumed == 2:
            node = consumers[node.output[0]][0]
            visited.add(id(node))
        shape = step.shape
        current = node.output[0]


def _block(graph: OnnxGraph, consumers, current: str, users, shape: Shape, problems: Problems):
    """(the joining Add, the residual block's step, the nodes it took), or None with the
    reason added to `problems`."""
    join = None
    try:
        inside, skip, join = split(graph, consumers, users)
        step = residual_step(
            graph, inside, skip, shape, lambda node, s: _map(graph, node, s, consumers)
        )
    except BlockProblem as bp:
        fork = next((n for n in graph.nodes if current in n.output), users[0])
        problems.add(bp.node or join or fork, bp.reason)
        return None
    return join, step, [*inside, *skip, join]


def _refuse_off_the_path(graph: OnnxGraph, reached, problems: Problems) -> None:
    for node in graph.nodes:
        if node.op_type != "Constant" and id(node) not in reached:
            problems.add(node, "is not on the path from the input to the output")
    problems.raise_any()


def _input_constant(graph: OnnxGraph, node, data: str, channels: int):
    """The stored number (or one a channel) `node` applies to the picture, as float64 per
    channel; None when it is not that (then the walk refuses it with a reason)."""
    if len(node.input) != 2 or node.input[0] != data or not graph.is_constant(node.input[1]):
        return None  # (c - x and c / x are not what a normalisation writes)
    c = graph.value(node.input[1]).astype(np.float64).reshape(-1)
    if c.size not in (1, channels) or (node.op_type == "Div" and (c == 0).any()):
        return None
    return np.broadcast_to(c, channels)


def _dims_text(dims) -> str:
    return "x".join("?" if d is None else str(d) for d in dims) or "a single number"


def _map(graph: OnnxGraph, node, shape: Shape, consumers) -> Step:
    try:
        return _mapped(graph, node, shape, consumers)
    except UNREADABLE as e:
        raise Problem(f"has settings or numbers convviz cannot read ({type(e).__name__})") from None


def _mapped(graph: OnnxGraph, node, shape: Shape, consumers) -> Step:
    op = node.op_type
    if op in ("Softmax", "LogSoftmax"):
        out = node.output[0]
        if out in graph.outputs and not consumers.get(out):
            return Step(None, shape, "dropped: the votes are what comes before it")
        raise Problem("comes before the end; only a final softmax is supported")
    if op == "Transpose":
        raise Problem("reorders the values; only a channels-last picture at the input is supported")
    if op == "Add":
        raise Problem(
            "adds something other than a skip path forked from this one (a stored constant, "
            "another input): not supported"
        )
    if op in ARITHMETIC:
        raise Problem(
            "does arithmetic inside the network; only on the input picture (a "
            "normalisation) is supported"
        )
    if op == "MatMul":
        after = consumers.get(node.output[0], [])
        following = after[0] if len(after) == 1 and after[0].op_type == "Add" else None
        return MAPPINGS[op](graph, node, shape, following)
    return MAPPINGS[op](graph, node, shape)


def network_parts(graph, steps, first=None, first_params=None):
    """(hidden layers as JSON, tensors by state_dict key, the votes' step, [(node, step, layer
    index or None)]): the last fully connected layer is the votes."""
    problems = Problems(graph.path)
    weighted = [i for i, (_, s) in enumerate(steps) if s.layer is not None]
    if not weighted or steps[weighted[-1]][1].layer["kind"] != "fc":
        last = steps[weighted[-1]][0] if weighted else None
        problems.add(
            last,
            "ends the model; convviz's votes must come from a fully connected "
            "layer (Gemm, or MatMul + Add) at the very end",
        )
        problems.raise_any()
    votes_at = weighted[-1]
    for node, step in steps:
        kind = step.layer["kind"] if step.layer else None
        if kind is not None and kind_named(kind) is None:
            problems.add(
                node, f"would become a {kind!r} layer, which this convviz does not have yet"
            )
    problems.raise_any()
    layers: list[dict] = [first] if first else []
    state = {state_key(0, k): v for k, v in (first_params or {}).items()}
    placed = []
    for at, (node, step) in enumerate(steps):
        index = None
        if step.layer is not None:
            index = len(layers)
            if at != votes_at:
                layers.append(step.layer)
            state.update({state_key(index, k): v for k, v in step.params.items()})
        placed.append((node, step, index))
    return layers, state, steps[votes_at][1], placed
