"""A Keras model's config -> the layers in the order they run, with residual blocks marked.

Sequential: the layers as listed. Functional (Keras 3 "Functional", Keras 2 "Model"): each
layer's inputs are read from its inbound nodes (only names are read: nothing is deserialised),
and the path is walked from the one input to the one output. Where it forks, both branches are
followed to the Add that joins them: one branch is the skip path (nothing, or a 1x1 Conv2D with
or without a BatchNormalization after it), the other the block's inside, as in onnx_residual.py.
Every layer must be on that path; a shared layer (called twice) is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

from .onnx_file import ModelRefused
from .onnx_import import Problems

FUNCTIONAL = ("Functional", "Model")


@dataclass
class Block:
    inside: list  # layer dicts, in order
    skip: list  # [] (the input as it is), [Conv2D] or [Conv2D, BatchNormalization]
    add: dict  # the Add layer that joins them


def node_of(layer: dict) -> SimpleNamespace:
    """What the report and the refusal name a layer by: its class and its name."""
    cls = str(layer.get("class_name"))[:60]
    c = layer.get("config") or {}
    return SimpleNamespace(op_type=cls, name=str(layer.get("name") or c.get("name") or cls)[:80])


def _name(layer: dict) -> str:
    return str(layer.get("name") or (layer.get("config") or {}).get("name") or "")


def _tensor_sources(value, found: list) -> None:
    """The layer names in a Keras 3 call's args: each __keras_tensor__'s keras_history[0]."""
    stack = [value]
    while stack and len(found) < 16:
        v = stack.pop()
        if isinstance(v, dict):
            if v.get("class_name") == "__keras_tensor__":
                history = (v.get("config") or {}).get("keras_history")
                if isinstance(history, list) and history:
                    found.append(str(history[0]))
            else:
                stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(reversed(v))


def layer_inputs(layer: dict, problems: Problems) -> list[str]:
    """The names of the layers whose outputs this layer takes, in order."""
    nodes = layer.get("inbound_nodes") or []
    if not isinstance(nodes, list):
        return []
    if len(nodes) > 1:
        problems.add(node_of(layer), "is used more than once (a shared layer): not supported")
        return []
    if not nodes:
        return []
    node = nodes[0]
    found: list[str] = []
    if isinstance(node, dict):  # Keras 3: {"args": [...], "kwargs": {...}}
        _tensor_sources(node.get("args"), found)
    elif isinstance(node, list):  # Keras 2: [[name, node index, tensor index, kwargs], ...]
        found = [str(t[0]) for t in node[:16] if isinstance(t, list) and t]
    return found


def _io_names(value) -> list[str]:
    """input_layers/output_layers: [name, 0, 0] (one) or [[name, 0, 0], ...]."""
    if isinstance(value, list) and value and isinstance(value[0], str):
        return [value[0]]
    if isinstance(value, list):
        return [str(v[0]) for v in value if isinstance(v, list) and v]
    return []


def plan(path, config: dict) -> tuple[list, list]:
    """(the layers as listed, [layer dict or Block] in running order, the input layer first)."""
    cls = config.get("class_name")
    c = config.get("config") or {}
    layers = c.get("layers") if isinstance(c, dict) else None
    if not isinstance(layers, list) or not layers or not all(isinstance(x, dict) for x in layers):
        raise ModelRefused(f"{path}: its config lists no layers")
    for i, layer in enumerate(layers):  # each layer's settings are read as a JSON object
        if not isinstance(layer.get("config") or {}, dict):
            raise ModelRefused(
                f"{path}: its config's layer {i + 1} has settings that are not a JSON object"
            )
    if cls == "Sequential":
        return layers, layers
    if cls not in FUNCTIONAL:
        raise ModelRefused(
            f"{path}: a {str(cls)[:40]} model; convviz imports Sequential and "
            f"functional Keras models"
        )
    return layers, _functional_order(path, c, layers)


def _functional_order(path, c: dict, layers: list) -> list:
    problems = Problems(path)
    by_name = {_name(x): x for x in layers}
    ins, outs = _io_names(c.get("input_layers")), _io_names(c.get("output_layers"))
    if len(ins) != 1 or len(outs) != 1:
        problems.add(
            None,
            f"takes {len(ins)} inputs and gives {len(outs)} outputs; a convviz network takes "
            f"one picture and gives one set of votes",
        )
        problems.raise_any()
    consumers: dict[str, list[dict]] = {}
    inputs_of: dict[str, list[str]] = {}
    for layer in layers:
        inputs_of[_name(layer)] = layer_inputs(layer, problems)
        for source in dict.fromkeys(inputs_of[_name(layer)]):
            consumers.setdefault(source, []).append(layer)
    problems.raise_any()
    if ins[0] not in by_name:
        raise ModelRefused(f"{path}: its input layer {ins[0][:40]!r} is not among its layers")
    order, seen, current = [by_name[ins[0]]], {ins[0]}, ins[0]
    for _ in range(len(layers) + 1):
        users = consumers.get(current, [])
        if current == outs[0] and not users:
            break
        if any(_name(u) in seen for u in users):  # a crafted config: it would go round
            problems.add(node_of(users[0]), "is reached again: the layers loop back")
            break
        if len(users) == 1:
            if len(inputs_of[_name(users[0])]) != 1:
                problems.add(node_of(users[0]), "joins paths that do not fork from one layer")
                break
            order.append(users[0])
            seen.add(current := _name(users[0]))
            continue
        if not users:
            problems.add(node_of(by_name[current]), "gives a value nothing uses")
            break
        block = _block(users, consumers, inputs_of, len(layers), problems)
        if block is None:
            break
        order.append(block)
        seen |= {_name(x) for x in (*block.inside, *block.skip, block.add)}
        current = _name(block.add)
    problems.raise_any()
    for layer in layers:
        if _name(layer) not in seen:
            problems.add(node_of(layer), "is not on the path from the input to the output")
    problems.raise_any()
    return order


def _is_join(layer: dict, inputs_of) -> bool:
    return layer.get("class_name") == "Add" and len(inputs_of[_name(layer)]) == 2


def _branch(first: dict, consumers, inputs_of, limit: int, problems: Problems):
    chain: list[dict] = []
    layer = first
    for _ in range(limit):
        if _is_join(layer, inputs_of):
            return chain, layer
        chain.append(layer)
        after = consumers.get(_name(layer), [])
        if len(after) != 1:
            problems.add(
                node_of(layer),
                "forks again inside a branch: a residual block inside another is not imported yet"
                if after
                else "ends a branch that no Add joins again: not supported",
            )
            return None
        layer = after[0]
    return None


def _is_skip_conv(chain: list) -> bool:
    classes = [x.get("class_name") for x in chain]
    if classes not in (["Conv2D"], ["Conv2D", "BatchNormalization"]):
        return False
    k = (chain[0].get("config") or {}).get("kernel_size", 1)
    return k in (1, [1, 1], (1, 1))


def _block(users, consumers, inputs_of, limit, problems: Problems) -> Block | None:
    if len(users) != 2:
        problems.add(node_of(users[0]), f"is one of {len(users)} layers fed by one: not supported")
        return None
    a, b = (_branch(u, consumers, inputs_of, limit, problems) for u in users)
    if a is None or b is None:
        return None
    if a[1] is not b[1]:
        problems.add(node_of(users[0]), "starts a branch that another Add joins: not supported")
        return None
    add, chains = a[1], [a[0], b[0]]
    second = inputs_of[_name(add)][1]  # Add()([inside, skip]): the skip comes second
    order = sorted(range(2), key=lambda i: (_name(chains[i][-1]) if chains[i] else None) != second)
    for i in order:
        if not chains[i] or _is_skip_conv(chains[i]):
            return Block(chains[1 - i], chains[i], add)
    problems.add(
        node_of(add),
        "joins two paths, neither of which is the block's input as it is or a 1x1 Conv2D "
        "(with batch normalisation): convviz's skip path is one of those",
    )
    return None
