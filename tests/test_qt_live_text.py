"""LiveText: wraps like a word-wrapped QLabel, but a new text of the same height lays nothing
out."""

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QLabel, QVBoxLayout, QWidget

from convviz.qt.widgets.live_text import LiveText

SHORT = "Epoch 1 of 3, batch 10 of 300  ·  loss 1.234  ·  9,000 images/s"
LONG = SHORT + "  ·  about 1 min 20 s left, and some more words that need another line or two"


class LayoutRequests(QObject):
    def __init__(self):
        super().__init__()
        self.count = 0

    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.LayoutRequest:
            self.count += 1
        return False


def shown(qtbot, width: int):
    box = QWidget()
    qtbot.addWidget(box)
    text = LiveText(SHORT)
    below = QLabel("below")
    lay = QVBoxLayout(box)
    lay.addWidget(text)
    lay.addWidget(below, 1)
    box.resize(width, 300)
    box.show()
    qtbot.waitExposed(box)
    QApplication.processEvents()
    return box, text, below


def test_text_gets_every_line_it_needs_at_any_width(qtbot):
    for width in (160, 300, 900):
        _box, text, below = shown(qtbot, width)
        text.setText(LONG)
        QApplication.processEvents()
        need = text.heightForWidth(text.width())
        assert text.height() >= need
        assert below.geometry().top() >= text.geometry().top() + need  # nothing drawn over it
        assert text.text() == LONG


def test_new_numbers_on_as_many_lines_lay_nothing_out(qtbot):
    box, text, _ = shown(qtbot, 900)
    watch = LayoutRequests()
    box.installEventFilter(watch)
    for i in range(20):  # progress reports: the same words, new numbers
        text.setText(SHORT.replace("10 of", f"{i + 11} of"))
        QApplication.processEvents()
    assert watch.count == 0
    before = text.height()
    text.setText(LONG + LONG)  # now it needs more lines: the layout must run
    QApplication.processEvents()
    assert watch.count >= 1 and text.height() > before


def test_a_qlabel_would_lay_out_every_time(qtbot):
    """Why LiveText exists: the same updates through a QLabel ask for a layout each time."""
    box, _, below = shown(qtbot, 900)
    watch = LayoutRequests()
    box.installEventFilter(watch)
    below.setWordWrap(True)
    for i in range(5):
        below.setText(SHORT.replace("10 of", f"{i + 11} of"))
        QApplication.processEvents()
    assert watch.count >= 5


def test_rich_text_wraps_and_reads_as_plain_text(qtbot):
    _box, text, _ = shown(qtbot, 200)
    html = "<b>Why plus?</b> " + " ".join(["each value times its weight"] * 4)
    text.setText(html)
    QApplication.processEvents()
    assert text.text() == html and text.accessibleName().startswith("Why plus? each value")
    assert text.height() >= text.heightForWidth(text.width()) > 3 * text.fontMetrics().height()
    assert text.height_for(html, 2000) < text.height_for(html, 200)  # wider: fewer lines
    picture = text.grab().toImage()
    assert any(
        picture.pixelColor(x, y) != picture.pixelColor(0, 0)  # it drew something
        for x in range(0, picture.width(), 3)
        for y in range(0, picture.height(), 3)
    )


def test_height_follows_the_width_after_texts_changed_at_another_width(qtbot):
    """The layout remembers heights for widths it has seen; a text that kept its height at the
    wide width still gets the height it needs when the panel is narrowed again."""
    box, text, below = shown(qtbot, 260)
    for width in (900, 260, 900):
        box.resize(width, 300)
        QApplication.processEvents()
    text.setText(SHORT.replace("9,000", "12,345") + "  ·  about 20 min 34 s left")
    QApplication.processEvents()
    box.resize(260, 300)
    QApplication.processEvents()
    assert text.height() >= text.heightForWidth(text.width())
    assert below.geometry().top() >= text.geometry().bottom()


def test_copy_puts_the_plain_text_on_the_clipboard(qtbot):
    _box, text, _below = shown(qtbot, 400)
    text.setText("<b>Training failed:</b> the cpu device ran out of memory")
    text.copy()
    assert QApplication.clipboard().text() == "Training failed: the cpu device ran out of memory"
