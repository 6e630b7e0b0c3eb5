"""`--panel` takes a dock's key or the title on its tab: `convviz --screenshot X --panel
activations` opened nothing (only the key "relu" was known), and --help named five of them."""

from convviz.qt.panel_registry import PANELS, panel_key, panel_names


def test_a_panel_is_found_by_its_key_or_by_its_tabs_title_in_any_case():
    assert panel_key("relu") == "relu"
    assert panel_key("activations") == "relu"
    assert panel_key("Activations") == "relu"
    assert panel_key("where-it-looked") == "why"
    assert panel_key("Where it looked") == "why"
    assert panel_key("feature_maps") == panel_key("feature-maps") == "feature_maps"
    assert panel_key("nothing-like-it") is None
    for e in PANELS:  # every title and every key names its own dock, no other
        assert panel_key(e.title) == panel_key(e.key) == e.key


def test_help_lists_every_panel_name():
    from convviz.cli import _parser

    text = "".join(_parser().format_help().split())  # argparse wraps lines at hyphens too
    assert "activations/relu" in text
    for name in panel_names().split(", "):
        assert name + "," in text or name + ";" in text


def test_a_screenshot_brings_forward_the_panel_named_by_its_title(qapp, tmp_path, monkeypatch):
    import convviz.app as app_module
    from convviz.qt.main_window import MainWindow

    seen = {}
    grab = MainWindow.grab

    def spy(window):
        seen["hidden"] = window.docks["relu"].visibleRegion().isEmpty()
        return grab(window)

    monkeypatch.setattr(MainWindow, "grab", spy)
    assert app_module.screenshot(str(tmp_path / "a.png"), preset="xo", panel="activations") == 0
    assert seen == {"hidden": False}


def test_an_unknown_panel_name_lists_the_names_it_takes(qapp, tmp_path, capsys):
    import convviz.app as app_module

    assert app_module.screenshot(str(tmp_path / "a.png"), preset="xo", panel="nope") == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("convviz: error: no panel called 'nope'")
    assert "activations/relu" in err and len(err.splitlines()) == 1
