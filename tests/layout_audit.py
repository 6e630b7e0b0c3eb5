"""Finds text a person cannot read whole: a label, button, tab, drop-down or table cell whose
words are wider (or, wrapped, taller) than the room it has, unless it is elided with "…" and
says the whole text in its tooltip; words a widget paints itself (a bar chart's labels and
values, reported by its `painted_texts()`) that it left out or cut; and widgets that lie
outside the window or their dock.

`audit(top)` walks every visible widget under `top` and returns one line per problem, naming
the widget's class, object name, text, the room it had and what it needed.
"""

from __future__ import annotations

from PySide6 import QtGui
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QComboBox,
    QLabel,
    QScrollArea,
    QStyle,
    QStyleOptionComboBox,
    QTabBar,
    QTableWidget,
    QToolButton,
    QWidget,
)

SLACK = 1  # px: rounding in the style's own arithmetic
ELLIPSIS = "…"


def _name(w: QWidget, text: str) -> str:
    chain, p = [], w
    while p is not None and len(chain) < 4:
        chain.append(p.objectName() or type(p).__name__)
        p = p.parentWidget()
    return f"{type(w).__name__} {'/'.join(reversed(chain))} {text[:60]!r}"


def _on_screen(w: QWidget) -> bool:
    """Visible, and not a tab hidden behind another (Qt calls those visible too)."""
    return w.isVisible() and not w.visibleRegion().isEmpty()


def _elided_with_tip(shown: str, tip: str, full: str) -> bool:
    return (
        ELLIPSIS in shown
        and bool(tip)
        and (not full or full.replace(ELLIPSIS, "") in tip or len(tip) >= len(full) // 2)
    )


def _plain(text: str) -> str:
    doc = QTextDocument()
    doc.setHtml(text)
    return doc.toPlainText()


def _always_wraps(lab: QLabel) -> bool:
    from convviz.qt.widgets.live_text import LiveText

    return isinstance(lab, LiveText)


def _label_problem(lab: QLabel) -> str | None:
    text = lab.text()
    if not text or (lab.pixmap() is not None and not lab.pixmap().isNull()):
        return None
    if hasattr(lab, "displayed_text"):  # an eliding label: what it paints must fit
        shown = lab.displayed_text()
        need = lab.fontMetrics().horizontalAdvance(shown)
        if need > lab.contentsRect().width() + SLACK:
            return f"paints {need} px in {lab.contentsRect().width()}"
        if shown != text and not (ELLIPSIS in shown and text in lab.toolTip()):
            return f"cuts {text!r} to {shown!r} without an ellipsis and a tooltip saying it"
        return None
    room = lab.contentsRect()
    room.adjust(lab.margin(), lab.margin(), -lab.margin(), -lab.margin())
    rich = lab.textFormat() == Qt.RichText or (
        lab.textFormat() == Qt.AutoText and QtGui.Qt.mightBeRichText(text)
    )
    if lab.wordWrap() or _always_wraps(lab):
        need_h = lab.heightForWidth(lab.width())
        if need_h > lab.height() + SLACK:
            return f"wrapped text needs {need_h} px high, has {lab.height()}"
        doc = QTextDocument()
        doc.setDefaultFont(lab.font())
        doc.setDocumentMargin(0)
        doc.setHtml(text) if rich else doc.setPlainText(text)
        doc.setTextWidth(room.width())
        if doc.size().width() > room.width() + SLACK + 2:  # a word longer than the line
            return f"a word needs {doc.size().width():.0f} px, has {room.width()}"
        return None
    if rich:
        doc = QTextDocument()
        doc.setDefaultFont(lab.font())
        doc.setDocumentMargin(0)
        doc.setHtml(text)
        need = doc.idealWidth()
    else:
        need = max(lab.fontMetrics().horizontalAdvance(line) for line in text.split("\n"))
    if need > room.width() + SLACK and not _elided_with_tip(text, lab.toolTip(), ""):
        return f"needs {need:.0f} px wide, has {room.width()}"
    return None


def _button_problem(b: QAbstractButton) -> str | None:
    text = b.text().replace("&&", "\0").replace("&", "").replace("\0", "&")
    if not text or (
        isinstance(b, QToolButton) and b.toolButtonStyle() == Qt.ToolButtonStyle.ToolButtonIconOnly
    ):
        return None
    need = b.sizeHint().width()
    if need > b.width() + SLACK and not _elided_with_tip(text, b.toolTip(), ""):
        return f"needs {need} px wide, has {b.width()}"
    return None


def _combo_problem(c: QComboBox) -> str | None:
    """A plain QComboBox paints its current item unelided: it must fit. One with
    `displayed_text()` (an eliding drop-down) must show text that fits, and when that is cut
    short, an ellipsis and the whole item in its tooltip."""
    full = c.currentText()
    if not full:
        return None
    shown = c.displayed_text() if hasattr(c, "displayed_text") else full
    opt = QStyleOptionComboBox()
    c.initStyleOption(opt)
    field = c.style().subControlRect(QStyle.CC_ComboBox, opt, QStyle.SC_ComboBoxEditField, c)
    need = c.fontMetrics().horizontalAdvance(shown)
    if need > field.width() + SLACK:
        return f"shows {field.width()} px of a {need} px item {shown!r}"
    if shown != full and not (ELLIPSIS in shown and full in c.toolTip()):
        return f"cuts {full!r} to {shown!r} without an ellipsis and a tooltip saying it"
    return None


def _tab_problems(bar: QTabBar) -> list[str]:
    out = []
    for i in range(bar.count()):
        text = bar.tabText(i).replace("&", "")
        need = bar.fontMetrics().horizontalAdvance(text)
        room = bar.tabRect(i).width() - 8  # the tab's own padding
        if need > room + SLACK and bar.elideMode() != Qt.ElideNone and not bar.tabToolTip(i):
            out.append(f"tab {text!r} cut ({room} px for {need})")
    return out


def _table_problems(t: QTableWidget) -> list[str]:
    out = []
    fm = t.fontMetrics()
    for r in range(t.rowCount()):
        if t.isRowHidden(r):
            continue
        for c in range(t.columnCount()):
            item = t.item(r, c)
            if item is None or not item.text():
                continue
            need = fm.horizontalAdvance(item.text()) + 8
            room = t.columnWidth(c)
            if need > room + SLACK and not item.toolTip():
                out.append(f"cell ({r}, {c}) {item.text()!r} needs {need} px, has {room}")
    return out


def _painted_problems(w: QWidget) -> list[str]:
    """A widget that paints its own words (the bar charts) says what it drew and what it had
    no room for (`painted_texts()`): each left-out word, and each one cut without an ellipsis
    and a tooltip saying it, is a problem."""
    drawn, dropped = w.painted_texts()
    out = (
        [
            f"leaves out {len(dropped)} of its words ({', '.join(map(repr, dropped[:4]))}) "
            f"at {w.width()}x{w.height()} px"
        ]
        if dropped
        else []
    )
    for full, shown, tip in drawn:
        if shown != full and not _elided_with_tip(shown, tip, full):
            out.append(f"paints {full!r} as {shown!r} without an ellipsis and a tooltip")
    return out


def _sideways_problems(area: QScrollArea) -> list[str]:
    """Wrapped text or a button in a scroll area that scrolls sideways: the panel is wider than
    its dock, so a wrapped line runs past the visible edge and reads cut mid-word (the Where it
    looked tab at 1024x768 once did), or a button sits half out of sight (Feature maps' Switch
    off did)."""
    if area.widget() is None or area.horizontalScrollBar().maximum() <= 0:
        return []
    seen = area.viewport().width()
    out = []
    for w in area.widget().findChildren(QWidget):
        wrapped = isinstance(w, QLabel) and w.wordWrap() and _plain(w.text()).strip()
        if not ((wrapped or isinstance(w, QAbstractButton)) and _on_screen(w)):
            continue  # (a button past the edge is as unreadable as a wrapped line)
        right = w.mapTo(area.viewport(), w.rect().topRight()).x()
        if right > seen:
            out.append(
                f"{_name(w, _text(w))} runs {right - seen} px past the edge of a "
                f"dock that scrolls sideways"
            )
    return out


def _scrolls(w: QWidget, top: QWidget) -> bool:
    """Inside a scroll area's viewport: out of sight there is only scrolled away."""
    p = w.parentWidget()
    while p is not None and p is not top:
        if isinstance(p.parentWidget(), QAbstractScrollArea) and p is p.parentWidget().viewport():
            return True
        p = p.parentWidget()
    return False


def _outside(w: QWidget, top: QWidget) -> str | None:
    """Part of `w` lies outside `top`'s rectangle (and no scroll area holds it)."""
    if w is top or w.isWindow() or _scrolls(w, top):
        return None
    r = QRect(w.mapTo(top, w.rect().topLeft()), w.size())
    if not top.rect().contains(r):
        return f"lies at {r.getRect()} outside its window {top.rect().getRect()}"
    return None


def dock_of(w: QWidget) -> str:
    """The objectName of the dock holding `w` ("" outside every dock)."""
    from PySide6.QtWidgets import QDockWidget

    p = w
    while p is not None:
        if isinstance(p, QDockWidget):
            return p.objectName()
        p = p.parentWidget()
    return ""


TEXTUAL = (QLabel, QAbstractButton, QComboBox)


def _overlaps(parent: QWidget) -> list[str]:
    """Text-bearing children of one parent drawn over each other (a layout squeezed below its
    minimum puts them on top of one another)."""
    kids = [
        k
        for k in parent.children()
        if isinstance(k, TEXTUAL) and not k.isWindow() and _on_screen(k)
    ]
    out = []
    for i, a in enumerate(kids):
        for b in kids[i + 1 :]:
            if a.geometry().adjusted(1, 1, -1, -1).intersects(b.geometry().adjusted(1, 1, -1, -1)):
                out.append(f"{_name(a, _text(a))} overlaps {_name(b, _text(b))}")
    return out


def _text(w) -> str:
    t = w.currentText() if isinstance(w, QComboBox) else w.text()
    return str(t)


def audit(top: QWidget, skip_docks=(), sideways: bool = True) -> list[str]:
    """Problems of the visible widgets under `top`, leaving out those in the docks named in
    `skip_docks` (checked apart: another piece of work owns them). `sideways`: wrapped text in
    a dock that scrolls sideways counts (from 1024x768 up; a smaller window may scroll)."""
    problems = []
    for w in [top, *top.findChildren(QWidget)]:
        if w.window() is not top or not _on_screen(w) or dock_of(w) in skip_docks:
            continue
        found = []
        if isinstance(w, QLabel):
            found.append(_label_problem(w))
        elif isinstance(w, QAbstractButton):
            found.append(_button_problem(w))
        elif isinstance(w, QComboBox):
            found.append(_combo_problem(w))
        elif isinstance(w, QTabBar):
            found.extend(_tab_problems(w))
        elif isinstance(w, QTableWidget):
            found.extend(_table_problems(w))
        elif isinstance(w, QScrollArea) and sideways:
            found.extend(_sideways_problems(w))
        elif callable(getattr(w, "painted_texts", None)):
            found.extend(_painted_problems(w))
        found.append(_outside(w, top))
        problems += [p for p in _overlaps(w)]
        text = w.text() if hasattr(w, "text") and callable(w.text) else ""
        problems += [f"{_name(w, str(text))}: {p}" for p in found if p]
    return problems
