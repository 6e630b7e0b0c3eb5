"""Where the app keeps what it remembers between runs (window layout, preset, device, weights).

The organisation name comes from CONVVIZ_SETTINGS_ORG (tests set it to keep away from a real
user's settings); CONVVIZ_SETTINGS_DIR, when set, puts the settings file in that folder (tests
point it at a temporary directory so runs never see each other's layout).
"""

from __future__ import annotations

import os

from PySide6.QtCore import QSettings

APP_NAME = "convviz"

# the window's size before anything is remembered, and --screenshot's without --size (a laptop
# screen fits it after fit_screen; the README's pictures are taken at it)
DEFAULT_WINDOW = (1600, 1000)

# keys, in one place so a typo cannot silently lose a setting
GEOMETRY = "window/geometry"
STATE = "window/state"
PRESET = "model/preset"
DEVICE = "model/device"
WEIGHTS = "model/weights"  # a file: weights, or an imported model (window_reopen.py)
IMPORT_ANSWERS = "model/import_answers"  # an imported model's file and the answers given
BRUSH_SIZE = "canvas/brush_size"
BRUSH_SOFTNESS = "canvas/brush_softness"
PICTURE_FIT = "canvas/picture_fit"  # core.imageio.PICTURE_FITS: letterbox or crop
SHOWN_LAYERS = "panels/feature_maps/hidden_layers"
VOTE_MODE = "panels/votes/mode"
COLOUR_SCALE = "panels/feature_maps/colour_scale"


def remembered(key: str, default: str) -> str:
    """A remembered word (a mode, a preset), or `default`."""
    value = app_settings().value(key, default)
    return value if isinstance(value, str) else default


def remembered_list(key: str) -> list[str]:
    """A remembered list of names. An ini file cannot tell a one-item list from a word, so a
    single name comes back as that name, never as its letters."""
    value = app_settings().value(key, [])
    if isinstance(value, str):
        return [value] if value else []
    return [str(v) for v in value or []]


def remember(key: str, value) -> None:
    app_settings().setValue(key, value)


def app_settings() -> QSettings:
    org = os.environ.get("CONVVIZ_SETTINGS_ORG", "convviz")
    folder = os.environ.get("CONVVIZ_SETTINGS_DIR")
    if folder:
        os.makedirs(folder, exist_ok=True)
        return QSettings(os.path.join(folder, f"{org}-{APP_NAME}.ini"), QSettings.IniFormat)
    return QSettings(QSettings.IniFormat, QSettings.UserScope, org, APP_NAME)
