"""The panel contract: a panel that breaks it is refused when the window docks it, loudly."""

import pytest
from PySide6.QtWidgets import QWidget

from convviz.qt import panel_registry
from convviz.qt.panel_contract import FedElsewhere, Panel, PanelContractError, check_panel


class GoodPanel(QWidget):
    def __init__(self):
        super().__init__()
        self.calls = []

    def set_model(self, spec, snapshot):
        self.calls.append("set_model")

    def show_weights(self, snapshot):
        self.calls.append("show_weights")

    def show_trace(self, trace):
        self.calls.append("show_trace")


class MisspeltPanel(QWidget):
    def set_model(self, spec, snapshot):
        pass

    def show_weights(self, snapshot):
        pass

    def show_trac(self, trace):  # the misspelling: once never called, now refused
        pass


class WrongArity(GoodPanel):
    def show_trace(self):
        pass


class FedElsewhereButMisspelt(FedElsewhere, QWidget):
    def show_wieghts(self, snapshot):  # would be silently never called: refused
        pass


def test_a_misspelt_method_is_refused_at_registration(qtbot, make_window):
    w = make_window()
    with pytest.raises(PanelContractError, match=r"'oops'.*no show_trace\(\).*show_trac"):
        w.add_panel("Oops", MisspeltPanel())
    assert "oops" not in w.panels and "oops" not in w.docks


@pytest.mark.parametrize(
    "panel, words",
    [
        (WrongArity, r"show_trace must take 1 argument"),
        (FedElsewhereButMisspelt, r"defines show_wieghts\(\).*misspelt show_weights"),
    ],
)
def test_other_breaches_are_named(qtbot, panel, words):
    with pytest.raises(PanelContractError, match=words):
        check_panel(panel(), "x")


def test_a_good_panel_is_connected_and_called(qtbot, make_window):
    w = make_window()
    panel = GoodPanel()
    w.add_panel("Good", panel)
    assert isinstance(panel, Panel) and w.panels["good"] is panel
    assert panel.calls[:1] == ["show_weights"]  # the session's current weights at once
    w.session.load_preset("xo", background=False)  # a new architecture
    assert "set_model" in panel.calls
    qtbot.waitUntil(lambda: "show_trace" in panel.calls, timeout=5000)


def test_every_registered_panel_keeps_the_contract(qtbot, make_window):
    w = make_window()
    for entry in panel_registry.PANELS:
        assert check_panel(w.panels[entry.key], entry.key) is w.panels[entry.key]


def test_extensions_install_into_services_not_onto_the_window(qtbot, make_window):
    w = make_window()
    assert w.services.training is not None and w.services.request_training is not None
    assert not hasattr(w, "training_tools") and not hasattr(w, "request_training")
