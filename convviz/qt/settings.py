"""Where the app keeps what it remembers between runs (window layout, preset, device, weights).

The organisation name comes from CONVVIZ_SETTINGS_ORG (tests set it to keep away from a real
user's settings); CONVVIZ_SETTINGS_DIR, when set, puts the settings file in that folder (tests
point it at a temporary directory so runs never see each other's layout).
"""

from __future__ import annotations

import os

from PySide6.QtCore import QSettings

APP_NAME = "convviz"

# keys, in one place so a typo cannot silently lose a setting
GEOMETRY = "window/geometry"
STATE = "window/state"
PRESET = "model/preset"
DEVICE = "model/device"
WEIGHTS = "model/weights"
BRUSH_SIZE = "canvas/brush_size"
BRUSH_SOFTNESS = "canvas/brush_softness"
SHOWN_LAYERS = "panels/feature_maps/hidden_layers"
VOTE_MODE = "panels/votes/mode"


def app_settings() -> QSettings:
    org = os.environ.get("CONVVIZ_SETTINGS_ORG", "convviz")
    folder = os.environ.get("CONVVIZ_SETTINGS_DIR")
    if folder:
        os.makedirs(folder, exist_ok=True)
        return QSettings(os.path.join(folder, f"{org}-{APP_NAME}.ini"), QSettings.IniFormat)
    return QSettings(QSettings.IniFormat, QSettings.UserScope, org, APP_NAME)
