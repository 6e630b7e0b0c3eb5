"""Training in the app (a panel_registry extension): the Train menu, the run, and closing mid-run.

- Train > Train on folder... / Train on sample shapes open the TrainDialog; Pause/Resume and
  Stop press the Training panel's buttons and are enabled only while a run goes.
- While training, every panel shows the network as it is now: the session gets a copy of the
  network being trained (made before the run starts) and the trainer's weight snapshots are
  loaded into that copy a few times a second. The job's own model is read only once the run
  has ended (it then holds the weights training ended on).
- Opening the Train dialog starts the trainer process (convviz.core.train_process), so torch is
  loaded by the time the person presses Train.
- The ending: a finished run (or one that diverged, with its last good weights) becomes the
  app's model and is remembered for next time; a stopped run puts the earlier network back until
  the person presses "Keep what it learned"; a failed run puts it back and says why in one line.
- While a run goes the session is locked: nothing else may switch the network (the Model menu
  says why). A network trained on a folder is named after the folder (its spec's name, saved in
  its weights); its results are saved with it, so the Results panel always describes the
  network in use, also after a restart.
- Closing during a run asks Keep / Discard / Cancel (`TrainingTools.ask_keep`, replaceable in
  tests), then stops the run within a batch and waits for it: never an abort.
"""

from __future__ import annotations

import copy
import dataclasses
import os

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QDialog, QMessageBox

from convviz.core.errors import ConvvizError

from .. import settings
from ..session import TRAINED_SOURCE  # how the window knows a network is unexported
from .controller import TrainingController
from .panel import TrainingPanel
from .results import TrainingResults
from .session_docks import SessionBackprop, fill_dock
from .train_menu import TrainMenu
from .trained_network import results_summary, short_source, trained_name
from .worker import TrainJob, TrainOutcome

KEEP, DISCARD, CANCEL = "keep", "discard", "cancel"
LOCKED = "training is running: stop it to switch the network, preset or weights"
REMEMBERED = "last-trained.safetensors"  # next to the settings file: reopened at the next start
TRAINING_HEIGHT = 480  # px: the loss plots under the feature maps, both still readable


# ---- the wiring ------------------------------------------------------------------------------
class TrainingTools(TrainMenu, QObject):
    """Owns the TrainingController for as long as the window lives and connects it to the
    session, the docks and the Train menu."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.session = window.session
        self.controller = TrainingController(self)
        self.panel: TrainingPanel = window.panels["training"]
        self.results: TrainingResults = window.panels["results"]
        self.backprop: SessionBackprop = window.panels["backprop"]
        self.ask_keep = self._ask_keep  # replaceable: tests answer without a dialog
        self._before = None  # (model, source): the network before this run, for Discard
        self._display = None  # the session's copy of the network being trained
        self._settled = False  # the run's ending is decided (closing): late signals change nothing

        self.panel.attach(self.controller)
        c = self.controller
        c.started.connect(self._on_started)
        c.snapshot.connect(self._on_snapshot)
        c.paused.connect(self._show_paused)
        c.finished.connect(self._on_finished)
        c.failed.connect(self._on_failed)
        c.model_ready.connect(self._adopt)
        fill_dock(window.docks["training"], self.panel)
        self._make_actions(window.train_menu)
        window.close_guards.append(self.may_close)
        window.closing.connect(self._stop_for_good)
        self.session.network_changed.connect(self._show_results_of_network)
        self._show_results_of_network()

    # ---- starting --------------------------------------------------------------------------
    def train_on_folder(self) -> None:
        self._train(samples=False)

    def train_on_samples(self) -> None:
        self._train(samples=True)

    def request_training(self, spec) -> None:
        """The Architecture panel's "Train it now": the dialog with that network chosen, on the
        sample shapes when its classes are shapes the app can draw, else on a folder."""
        from convviz.core.shapes_data import shape_names

        self._train(samples=set(spec.classes) <= set(shape_names()), network=spec)

    def _train(self, samples: bool, network=None) -> None:
        from .dialog import TrainDialog

        if self.controller.is_running():
            self.window.show_error("a training run is already going; stop it first")
            return
        self.controller.prepare()  # the trainer process starts while the person chooses
        self.session.show_current()  # a run starts from the current weights, not a moment
        dialog = TrainDialog(
            self.window, current_model=self.session.model, samples=samples, network=network
        )
        try:
            if self.run_dialog(dialog):
                self.start(dialog.job())
        except ConvvizError as e:
            self.window.show_error(str(e))
        finally:
            dialog.deleteLater()

    def run_dialog(self, dialog) -> bool:
        """Modal: True when the person pressed Train."""
        return dialog.exec() == QDialog.DialogCode.Accepted

    def start(self, job: TrainJob) -> None:
        """Train `job` (its model ends with the trained weights); the panels follow a copy."""
        s = self.session
        name = trained_name(job)
        if name != job.model.spec.name:  # the run's network is named now, so its copy is too
            job.model.spec = dataclasses.replace(job.model.spec, name=name)
        self._before = (s.model, s.source, s.summary) if s.model is not None else None
        self._display = copy.deepcopy(job.model)  # before the thread starts: no sharing
        self._settled = False
        s.lock(LOCKED)
        s.set_model(self._display, source=f"training on {job.source}", owner=True)
        try:
            self.controller.start(job)
        except BaseException:
            s.unlock()
            self._put_back()
            raise

    def show_dock(self, key: str) -> None:
        """Show a dock (back in its place or tab group) and bring it to the front."""
        w = self.window
        dock = w.docks[key]
        first = not dock.isVisible()
        if key == "training" and w.tabifiedDockWidgets(dock) and not dock.isFloating():
            # a run goes: its plots back under the tab group (see make_room), not a tab of it
            # (splitDockWidget beside a tabbed dock would make it a tab again: Qt's rule)
            w.removeDockWidget(dock)
            w.addDockWidget(w.dockWidgetArea(w.docks["backprop"]), dock, Qt.Orientation.Vertical)
            first = True
        dock.show()
        dock.raise_()
        if key == "training" and first and not dock.isFloating():
            w.resizeDocks([dock], [TRAINING_HEIGHT], Qt.Orientation.Vertical)
        w.whole_tab_titles()  # the training tab may have made a new tab bar

    def _on_started(self) -> None:
        self._set_running(True)
        self.show_dock("training")
        self.window.tell("Training: every panel follows the network as it learns.", note=True)

    def _on_snapshot(self, snapshot) -> None:
        # only into the copy made for this run: the person may have opened another network
        if self._display is not None and self.session.model is self._display:
            self.session.apply_current(snapshot)  # (kept aside while a moment is shown)

    # ---- the ending ------------------------------------------------------------------------
    def _on_finished(self, outcome: TrainOutcome) -> None:
        self._set_running(False)
        self.session.unlock()
        if self._settled:
            return
        if outcome.status == "diverged":
            self.window.show_error(f"Training stopped: {outcome.result.message}.")
        elif outcome.status in ("stopped", "failed"):
            self._put_back()  # "Keep what it learned" (the panel) adopts it after all

    def _on_failed(self, message: str) -> None:
        if not self._settled:
            self.window.show_error(message)

    def _adopt(self, outcome: TrainOutcome) -> None:
        """The trained network becomes the app's model (the last good weights if it diverged)."""
        if self._settled:
            return
        job = outcome.job
        self.session.unlock()  # a run's ending, or "Keep what it learned" after it
        self.session.set_model(
            outcome.model, source=f"{TRAINED_SOURCE}{job.source}", summary=results_summary(outcome)
        )
        self._display = None
        self.make_room()
        if outcome.result.val_indices is not None:  # a validation split: results to show
            self.show_dock("results")
        r = outcome.result
        acc = f", validation accuracy {r.val_accuracy:.0%}" if r.val_accuracy is not None else ""
        self.window.tell(f"Now using the network trained on {short_source(job.source)}{acc}.")
        self.remember(outcome.model)

    def make_room(self) -> None:
        """A run has ended: the Training dock becomes a tab of the group it sat under (the
        Results' group), so the panels get their height back; its ending and plots stay there,
        a click away. The next run puts it back under the group (show_dock)."""
        w = self.window
        dock = w.docks["training"]
        if dock.isFloating() or not dock.isVisible() or w.tabifiedDockWidgets(dock):
            return  # torn off or closed by the person, or a tab already: left where it is
        w.tabifyDockWidget(w.docks["backprop"], dock)
        w.whole_tab_titles()

    def _put_back(self) -> None:
        """The network from before the run, if the session still shows this run's copy."""
        if self._before is not None and self.session.model is self._display:
            model, source, summary = self._before
            self.session.set_model(model, source=source, summary=summary, owner=True)
        self._display = None
        self.session.unlock()

    def _show_results_of_network(self) -> None:
        """The Results panel describes the network in use: this run's outcome while it is the
        trained network, the results saved with a network opened from a file, or nothing."""
        s, outcome = self.session, self.controller.outcome
        if s.model is not None and s.model is self._display:
            self.results.show_waiting(s.spec.name)
        elif outcome is not None and outcome.result is not None and s.model is outcome.model:
            self.results.show_outcome(outcome)
        else:
            self.results.show_saved(s.summary.get("results"), s.spec)
        if outcome is not None and not self.controller.is_running():
            in_use = s.model is not None and (s.model is outcome.model or s.model is self._display)
            self.panel.show_last_run(in_use, outcome.model.spec.name)

    def remember(self, model) -> None:
        """Save the trained network next to the settings, to reopen it at the next start."""
        if not self.window.persist:
            return  # screenshots and the like leave the person's files alone
        from convviz.core.weights import save_model

        store = settings.app_settings()
        path = os.path.join(os.path.dirname(store.fileName()), REMEMBERED)
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            save_model(model, path, summary=dict(self.session.summary, source=self.session.source))
            from convviz.core.timeline import Timeline
            from convviz.core.timeline_file import save_timeline

            save_timeline(self.session.timeline or Timeline(), path)  # replayable next time
        except (ConvvizError, OSError) as e:
            self.window.tell(f"could not keep a copy for next time: {e}")
            return
        store.setValue(settings.WEIGHTS, path)

    # ---- closing ---------------------------------------------------------------------------
    def _ask_keep(self) -> str:
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "convviz",
            "Training is still running. Keep what the network has learned so far?",
            parent=self.window,
        )
        box.setInformativeText(
            "Keep opens it again next time; Discard goes back to the network from before training."
        )
        keep = box.addButton("Keep", QMessageBox.ButtonRole.AcceptRole)
        discard = box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(keep)

        def ended(outcome: TrainOutcome) -> None:
            """The run ended behind the question: it no longer fits; say what happened and
            offer to close (its ending has been applied already, as any run's is)."""
            box.setText(
                "Training has finished: the network now uses what it learned."
                if outcome.status == "done"
                else f"Training has ended ({outcome.status})."
            )
            box.setInformativeText("Close convviz now, or Cancel to stay.")
            keep.setText("Close")
            discard.hide()

        self.controller.finished.connect(ended)
        try:
            box.exec()
        finally:
            self.controller.finished.disconnect(ended)
        clicked = box.clickedButton()
        return KEEP if clicked is keep else DISCARD if clicked is discard else CANCEL

    def may_close(self) -> bool:
        """A close guard: while a run goes, ask; then stop it, wait for the thread and apply the
        answer. False (Cancel) keeps the window open and the run going."""
        if not self.controller.is_running():
            return True
        answer = self.ask_keep()
        if answer == CANCEL:
            return False
        if not self.controller.is_running():  # it ended while asked: its own ending stands
            return True
        outcome = self.controller.stop_and_wait()  # within a batch, paused or not
        if answer == KEEP and outcome is not None and outcome.result is not None:
            self._adopt(outcome)  # its weights are the last snapshot: the thread has ended
        else:
            self._put_back()
        self._settled = True  # the finished signal still queued must not undo the answer
        return True

    def _stop_for_good(self) -> None:
        """The window goes: no thread may outlive it (a running QThread destroyed aborts)."""
        if self.controller.is_running():
            self._settled = True
            self.controller.stop_and_wait()


def connect_training(window) -> None:
    """The extension: give the window its training tools."""
    if not all(key in window.panels for key in ("training", "results", "backprop")):
        return
    tools = TrainingTools(window)
    window.services.training = tools
    window.services.request_training = tools.request_training
