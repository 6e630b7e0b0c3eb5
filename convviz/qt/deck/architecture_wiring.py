"""What the architecture panel's two requests do in the app (a panel_registry extension).

- apply_requested(spec): build the new network (convviz.core.network.build), keeping the weights
  of the layers whose shapes did not change (core/layer_rows_weights.py; the panel says which
  layer each row came from), and make it the session's model; every panel lays itself out again
  through Session.model_changed. The status bar says which layers kept their weights.
- train_requested(spec): training lives elsewhere. If the training tools are installed
  (window.services.request_training), they are asked; otherwise the status bar says where to
  look.
"""

from __future__ import annotations

from convviz.core.errors import ConvvizError
from convviz.core.layer_rows_weights import kept_words

UNTRAINED = "untrained (made in the Architecture panel)"
# where the weights came from when Apply kept some layers' weights (the rest start untrained)
EDITED = "edited in the Architecture panel (layers of unchanged shapes kept their weights)"


def build_untrained(spec, keep=None):
    """The work of Apply, on a background job's thread: building a big network (allocating and
    initialising its weights) and copying its weights for the panels can take longer than a
    frame. `keep`: (old spec, its weights snapshot, {new layer name: old layer name}) whose
    layers of unchanged shapes are copied in. Returns (model, snapshot, kept, fresh)."""
    from convviz.core.layer_rows_weights import keep_weights
    from convviz.core.network import build  # torch: long imported by the time anyone applies

    try:
        model = build(spec)
    except (ValueError, RuntimeError) as e:  # torch's own complaints, said as ours
        first = (str(e).strip().splitlines() or [type(e).__name__])[0][:200]
        raise ConvvizError(f"could not build the network: {first}") from None
    snapshot = model.snapshot()  # the panels' copy of the weights, made here too
    kept, fresh = [], list(snapshot.weighted_layers)
    if keep is not None:
        old_spec, old, came_from = keep
        state, kept, fresh = keep_weights(spec, snapshot, old_spec, old, came_from)
        if kept:
            snapshot = snapshot.with_arrays(state)
            model.load_snapshot(snapshot)
    return model, snapshot, kept, fresh


def apply_spec(window, spec) -> bool:
    """Build `spec`'s untrained network off the window's thread (the session's "network" job:
    the newest request, Apply or a preset, wins) and make it the session's model; the panel
    says it is working until then. A failure is shown as one line. False when refused now."""
    panel, session = window.panels.get("architecture"), window.session
    ended = panel.apply_ended if panel is not None else (lambda ok: None)
    if session.locked_reason:  # a run owns the network: say so, build nothing
        ended(False)
        window.show_error(session.locked_reason)
        return False
    if not window.may_replace_network():  # a trained network not exported: kept
        ended(False)
        return False

    def done(built):
        model, snapshot, kept, fresh = built
        if session.set_model(model, source=EDITED if kept else UNTRAINED, snapshot=snapshot):
            window.tell(kept_words(kept, fresh))
        ended(session.model is model)

    def failed(message):
        ended(False)
        window.show_error(
            message
            if message.startswith("could not build")
            else f"could not build the network: {message}"
        )

    keep = None
    old = session.current_weights() if session.model is not None else None
    came_from = getattr(panel, "applied_origins", None)
    if old is not None and came_from and old.made_by(session.spec):
        keep = (session.spec, old, dict(came_from))

    session.jobs.submit(
        "network",
        lambda _job: build_untrained(spec, keep),
        done,
        failed,
        text="Building the new network…",
        cancellable=False,
        cancelled=lambda: ended(False),
    )
    return True


def ask_for_training(window, spec) -> None:
    """Hand the new network to the training tools, when they are installed."""
    request = window.services.request_training
    if request is not None:
        request(spec)
    else:
        window.tell("No training tools are installed yet: see the Train menu.")


def connect_architecture(window) -> None:
    panel = window.panels.get("architecture")
    if panel is None:
        return
    panel.apply_requested.connect(lambda spec: apply_spec(window, spec))
    panel.train_requested.connect(lambda spec: ask_for_training(window, spec))
