import os

# Before any QApplication exists: tests run without a display.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("CONVVIZ_SETTINGS_ORG", "convviz-tests")
