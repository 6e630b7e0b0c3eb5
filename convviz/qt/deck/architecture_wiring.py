"""What the architecture panel's two requests do in the app (a panel_registry extension).

- apply_requested(spec): build the new, untrained network (convviz.core.network.build) and make
  it the session's model; every panel lays itself out again through Session.model_changed.
- train_requested(spec): training lives elsewhere. If the training tools are installed
  (window.services.request_training), they are asked; otherwise the status bar says where to
  look.
"""

from __future__ import annotations

from convviz.core.errors import ConvvizError

UNTRAINED = "untrained (made in the Architecture panel)"


def apply_spec(window, spec) -> bool:
    """Make `spec`'s untrained network the session's model; a failure is shown as one line."""
    from convviz.core.network import build  # torch: long imported by the time anyone applies

    try:
        model = build(spec)
    except (ConvvizError, ValueError, RuntimeError) as e:
        window.show_error(f"could not build the network: {e}")
        return False
    window.session.set_model(model, source=UNTRAINED)
    window.tell("A new, untrained network: its votes are guesses until it "
                                   "is trained.")
    return True


def ask_for_training(window, spec) -> None:
    """Hand the new network to the training tools, when they are installed."""
    request = window.services.request_training
    if request is not None:
        request(spec)
    else:
        window.tell("No training tools are installed yet: see the Train "
                                       "menu.")


def connect_architecture(window) -> None:
    panel = window.panels.get("architecture")
    if panel is None:
        return
    panel.apply_requested.connect(lambda spec: apply_spec(window, spec))
    panel.train_requested.connect(lambda spec: ask_for_training(window, spec))
