"""Help > How convviz works: the guide, in a window that can stay open beside the app."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout

from .help_text import guide_html


class HelpDialog(QDialog):
    _open: HelpDialog | None = None

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("How convviz works")
        self.resize(720, 760)
        self.text = QTextBrowser()
        self.text.setOpenExternalLinks(True)
        self.text.setHtml(guide_html())
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.close)
        lay = QVBoxLayout(self)
        lay.addWidget(self.text)
        lay.addWidget(buttons)

    @classmethod
    def show_guide(cls, parent) -> HelpDialog:
        """One guide window, raised when asked for again (not modal: draw while reading)."""
        if cls._open is None or cls._open.parent() is not parent:
            cls._open = cls(parent)
        cls._open.show()
        cls._open.raise_()
        return cls._open
