"""The Session's kept moments and its export: the panels may show a moment of the network's
training timeline in place of its current weights, which are kept aside meanwhile; exporting
always saves the current weights (with the timeline beside them).

TimelineMoments is the Session's half that does this (mixed into Session, a QObject): it expects
`model`, `snapshot`, `summary`, `source`, `preset_name`, `moment`, `_current`, `timeline`, the
signals `moment_changed` and `timeline_changed`, and `apply_snapshot`.
"""

from __future__ import annotations

from convviz.core.snapshot import WeightsSnapshot


class TimelineMoments:
    """The kept moments and the export (mixed into Session)."""

    # ---- the training timeline: a kept moment in place of the current weights ---------------
    def set_timeline(self, timeline) -> None:
        self.timeline = timeline
        self.timeline_changed.emit(timeline)

    def show_moment(self, snapshot: WeightsSnapshot, label: str) -> None:
        """Every panel shows these kept weights (labelled `label`) until `show_current`; the
        current weights are kept aside (and are what export saves)."""
        if not self.moment:
            self._current = self.snapshot
        self.moment = label
        self.apply_snapshot(snapshot)
        self.moment_changed.emit(label)

    def show_current(self) -> None:
        """Back from a kept moment to the current weights (nothing to do if already there)."""
        if self.moment and self._current is not None:
            current, self._current, self.moment = self._current, None, ""
            self.apply_snapshot(current)
            self.moment_changed.emit("")

    def apply_current(self, snapshot: WeightsSnapshot) -> None:
        """New current weights (a training run's): shown at once, or kept aside while the
        panels show a moment."""
        if self.moment:
            self._current = snapshot
        else:
            self.apply_snapshot(snapshot)

    def current_weights(self) -> WeightsSnapshot | None:
        return self._current if self.moment else self.snapshot

    def export_job(self, path: str):
        """The work of exporting the network as it is now to `path`, for a background job: the
        copy is taken here (training may change the network meanwhile), the writing there."""
        import copy

        from convviz.core.export_process import IN_OWN_PROCESS, save_model_in_own_process
        from convviz.core.weights import save_model

        if self.model is None:
            raise RuntimeError("the network is still loading")
        from convviz.core.timeline import Timeline
        from convviz.core.timeline_file import save_timeline

        summary = dict(self.summary, source=self.source, preset=self.preset_name)
        model = copy.deepcopy(self.model)
        if self.moment:  # the panels show a kept moment: the current weights are saved
            model.load_snapshot(self._current)
        timeline = Timeline()  # its moments as they are now (an empty one removes a stale file)
        timeline.moments = list(self.timeline.moments) if self.timeline else []
        if str(path).lower().endswith(IN_OWN_PROCESS):  # a writer that would freeze the window
            model = model.cpu()

        def write(_job):
            """Returns the timeline file written beside the weights, or None (no moments): the
            window says so, a second file the person did not name."""
            if str(path).lower().endswith(IN_OWN_PROCESS):
                save_model_in_own_process(model, path, summary)
            else:
                save_model(model, path, summary=summary)
            return save_timeline(timeline, path)

        return write

    def export_weights(self, path: str) -> None:
        """Export here and now (the window uses `export_job` in the background)."""
        self.export_job(path)(None)
