import os
import tempfile

# Before any QApplication exists: tests run without a display.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("CONVVIZ_SETTINGS_ORG", "convviz-tests")
# Never touch the person's own saved layout or last-trained network; tests that look at
# settings point this at their own folder.
os.environ.setdefault("CONVVIZ_SETTINGS_DIR", tempfile.mkdtemp(prefix="convviz-tests-"))
