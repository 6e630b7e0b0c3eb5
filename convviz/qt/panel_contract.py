"""What a panel receives from the session, as a typed contract checked when the panel is
registered, and the one place where extensions offer each other what they install.

Every panel the main window docks implements all three calls of `Panel` (a panel that ignores
one says so with an empty method): the window calls them directly, so a misspelt `show_trace`
is refused when the window starts instead of silently never being called.

    set_model(spec, snapshot)   the architecture changed (snapshot None while loading)
    show_weights(snapshot)      new weights: a core WeightsSnapshot (a CPU copy, read by layer
                                name); a show_trace of the drawing under these weights
                                always follows
    show_trace(trace)           the network's reading of the newest drawing (core Trace)
Both say which network made them (`made_by(spec)`): a panel ignores those of another network
(the last one's, still on their way), it never compares shapes.

Panels fed by something other than the session (training's docks, fed by its wiring) inherit
`FedElsewhere`, which answers the three calls with nothing.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:  # no torch and no training package at import time
    from ..core.snapshot import WeightsSnapshot as Snapshot
    from ..core.spec import NetworkSpec
    from ..core.trace import Trace
    from .training.wiring import TrainingTools


@runtime_checkable
class Panel(Protocol):
    def set_model(self, spec: NetworkSpec, snapshot: Snapshot | None) -> None: ...

    def show_weights(self, snapshot: Snapshot) -> None: ...

    def show_trace(self, trace: Trace) -> None: ...


# each call with the number of arguments it is made with
CALLS: dict[str, int] = {"set_model": 2, "show_weights": 1, "show_trace": 1}


class FedElsewhere:
    """A docked widget that takes nothing from the session (its wiring feeds it)."""

    def set_model(self, spec: NetworkSpec, snapshot: Snapshot | None) -> None:
        pass

    def show_weights(self, snapshot: Snapshot) -> None:
        pass

    def show_trace(self, trace: Trace) -> None:
        pass


class PanelContractError(TypeError):
    """A panel that does not keep the contract: a programming mistake, refused at start."""


def check_panel(widget: Any, key: str) -> Panel:
    """`widget` if it keeps the contract; otherwise PanelContractError naming what is wrong."""
    name = f"panel {key!r} ({type(widget).__name__})"
    for call, arity in CALLS.items():
        method = getattr(widget, call, None)
        if not callable(method):
            near = _near_misses(widget, call)
            hint = f" (found {', '.join(near)}: misspelt?)" if near else ""
            raise PanelContractError(f"{name} has no {call}(), a call of the panel contract{hint}")
        try:
            inspect.signature(method).bind(*([None] * arity))
        except TypeError:
            raise PanelContractError(
                f"{name}: {call} must take {arity} argument(s), it is "
                f"{call}{inspect.signature(method)}"
            ) from None
    if not isinstance(widget, FedElsewhere):
        return widget  # it wrote all three calls itself: a misspelling left one missing above
    # FedElsewhere answers all three, so a misspelt override would go unnoticed: look for one
    for attr in _own_names(widget):
        near = difflib.get_close_matches(attr, CALLS, n=1, cutoff=0.8)
        if near and attr not in CALLS:
            raise PanelContractError(
                f"{name} defines {attr}(), which the window never calls: misspelt {near[0]}?"
            )
    return widget


def _own_names(widget: Any) -> set[str]:
    """Method names the widget's own classes define (not Qt's, such as setModel)."""
    names: set[str] = set()
    for cls in type(widget).__mro__:
        if not cls.__module__.startswith(("PySide6", "shiboken6", "builtins", "typing")):
            names.update(n for n, v in vars(cls).items() if callable(v))
    return names


def _near_misses(widget: Any, call: str) -> list[str]:
    return difflib.get_close_matches(call, _own_names(widget), n=2, cutoff=0.7)


@dataclass
class Services:
    """What extensions (panel_registry.EXTENSIONS) install and read from each other, in one
    declared place instead of attributes hung on the window."""

    # set by training.wiring.connect_training: the run, the Train menu, closing mid-run
    training: TrainingTools | None = None
    # asked by deck.architecture_wiring when the architecture panel's Train is pressed
    request_training: Callable[[NetworkSpec], None] | None = None
