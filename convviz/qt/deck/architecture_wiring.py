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


def build_untrained(spec):
    """The work of Apply, on a background job's thread: building a big network (allocating and
    initialising its weights) and copying its weights for the panels can take longer than a
    frame. Returns (model, snapshot)."""
    from convviz.core.network import build  # torch: long imported by the time anyone applies

    try:
        model = build(spec)
    except (ValueError, RuntimeError) as e:  # torch's own complaints, said as ours
        first = (str(e).strip().splitlines() or [type(e).__name__])[0][:200]
        raise ConvvizError(f"could not build the network: {first}") from None
    return model, model.snapshot()  # the panels' copy of the weights, made here too


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

    def done(built):
        model, snapshot = built
        if session.set_model(model, source=UNTRAINED, snapshot=snapshot):
            window.tell("A new, untrained network: its votes are guesses until it is trained.")
        ended(session.model is model)

    def failed(message):
        ended(False)
        window.show_error(
            message
            if message.startswith("could not build")
            else f"could not build the network: {message}"
        )

    session.jobs.submit(
        "network",
        lambda _job: build_untrained(spec),
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
