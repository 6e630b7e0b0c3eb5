"""The core and the command line work where Qt cannot even be imported."""

import ast
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = textwrap.dedent(r'''
    import importlib, importlib.abc, json, pkgutil, sys

    BLOCKED = ("PySide6", "shiboken6", "pyqtgraph", "PyQt5", "PyQt6", "PySide2")

    class NoQt(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ImportError(f"Qt is blocked in this test: {name}")
            return None

    sys.meta_path.insert(0, NoQt())
    try:
        import PySide6  # noqa: F401 - only whether it imports
    except ImportError:
        pass
    else:
        raise SystemExit("the blocker did not block")

    import convviz.core
    names = sorted(m.name for m in pkgutil.iter_modules(convviz.core.__path__))
    for name in names:
        importlib.import_module(f"convviz.core.{name}")
    import convviz.cli

    from convviz.core.bundled import preset_model
    model = preset_model("xo")
    from convviz.core.presets import deck_x

    x = deck_x()
    t = model.trace(x)
    assert len(t.layers) == 5 and t.classes[t.winner] == "X"

    # the command line's trace, in this same Qt-less process
    with open(sys.argv[1], "w") as f:
        f.write("\n".join(" ".join(f"{v:g}" for v in row) for row in x))
    code = convviz.cli.main(["trace", "--preset", "xo", sys.argv[1], "--json"])
    assert code == 0
    qt = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
    assert not qt, qt
    print("MODULES", json.dumps(names), file=sys.stderr)
''')


def test_core_and_cli_import_and_trace_without_qt(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "x.txt")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    modules = proc.stderr.split("MODULES", 1)[1].strip()
    for expected in (
        "spec",
        "network",
        "presets",
        "device",
        "imageio",
        "shapes_data",
        "training",
        "weights",
        "bundled",
        "folders",
        "onnx_export",
    ):
        assert f'"{expected}"' in modules
    assert '"model": "xo"' in proc.stdout and '"votes"' in proc.stdout


def test_core_sources_import_nothing_from_qt_even_lazily():
    # the subprocess above only sees imports on the paths it runs; this reads every import
    # statement, including those inside functions
    blocked = {"PySide6", "shiboken6", "pyqtgraph", "PyQt5", "PyQt6"}
    for path in sorted((ROOT / "convviz" / "core").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [("." * node.level) + (node.module or "")]
            else:
                continue
            for name in names:
                assert name.split(".")[0] not in blocked, f"{path.name}: imports {name}"
                assert not name.startswith("..qt") and not name.startswith("convviz.qt"), (
                    f"{path.name}: imports {name}"
                )
