"""The docks around the canvas: where each goes (left, right, as a tab of another), how wide
the columns start, a large panel scrolling inside a small dock, and how a docked panel is
connected to the session (panel_contract.Panel, held back while nobody can see it).

DockedPanels is the main window's half that does this; it expects the window to set
`session`, `docks`, `panels`, `_places`, `view_menu` and `_view_separator`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QDockWidget, QFrame, QLabel, QScrollArea, QTabBar, QWidget

from .panel_contract import Panel, check_panel

AREAS = {
    "left": Qt.LeftDockWidgetArea,
    "right": Qt.RightDockWidgetArea,
    "top": Qt.TopDockWidgetArea,
    "bottom": Qt.BottomDockWidgetArea,
}
# A dock tab bar is at least two scroll arrows + 75 px wide; slim arrows keep a tab group from
# widening the smallest layout (which must fit an 800 px screen).
# (exactly the 16 px Qt leaves for each arrow, no border: a wider arrow hung off the window)
TAB_ARROWS_STYLE = (
    "QTabBar QToolButton { min-width: 16px; max-width: 16px; padding: 0px; border: none; }"
)
SCROLL_WIDER_THAN = 240  # px: a panel needing more than this at its narrowest gets scroll bars
# px: a panel needing more height than this scrolls instead of making its dock (and the whole
# window) taller; a column of docks on a 768 px projector must fit below the menu bar
SCROLL_TALLER_THAN = 220


class SidewaysScroll(QScrollArea):
    """Holds a large panel in a dock: it scrolls when the dock is narrower or lower than the
    panel's minimum, and otherwise fills the dock exactly. (A plain resizable scroll area sizes
    a panel with wrapped text by its preferred height for the width, which can push the
    panel's bottom row, the stepper controls, out of sight.) The dock asks for no more than
    SCROLL_TALLER_THAN px of height, so Reset layout fits a 1024x768 screen."""

    def __init__(self, widget: QWidget):
        super().__init__()
        self.setFrameShape(QFrame.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarAsNeeded)
        self.setWidgetResizable(False)
        self.setWidget(widget)
        widget.installEventFilter(self)  # its minimum grows (a longer step count): refit

    def _fit(self) -> None:
        w = self.widget()
        if w is not None:
            vp, least = self.viewport().size(), w.minimumSizeHint()
            width = max(vp.width(), least.width())
            lay = w.layout()
            # wrapped text is taller in a narrower dock than the minimum hint (taken at another
            # width) says: the least height at the width it gets, or its last lines are cut
            need = (
                lay.totalMinimumHeightForWidth(width)
                if lay is not None and lay.hasHeightForWidth()
                else -1
            )
            w.resize(width, max(vp.height(), least.height(), need))

    def viewportEvent(self, event):
        if event.type() == QEvent.Resize:
            self._fit()
        return super().viewportEvent(event)

    def eventFilter(self, obj, event):
        if obj is self.widget() and event.type() == QEvent.LayoutRequest:
            self._fit()
        return False

    def minimumSizeHint(self):
        hint = super().minimumSizeHint()
        if self.widget() is not None:
            hint.setHeight(
                max(
                    hint.height(), min(SCROLL_TALLER_THAN, self.widget().minimumSizeHint().height())
                )
            )
        return hint


def fit_screen(window: QWidget, size: tuple[int, int]) -> tuple[int, int]:
    """`size`, made no larger than the screen's free area (less the window frame's room). The
    offscreen platform's pretend 800x800 screen is left out: nobody looks at it, and tests and
    screenshots set their own sizes."""
    from PySide6.QtGui import QGuiApplication

    screen = window.screen()
    if screen is None or QGuiApplication.platformName() == "offscreen":
        return size
    free = screen.availableGeometry()
    return min(size[0], free.width()), min(size[1], free.height() - FRAME_ROOM)


FRAME_ROOM = 30  # px: a title bar the window manager adds above the window


def default_dock_widths(window_width: int) -> tuple[int, int]:
    """The left and right dock columns' widths after Reset layout: shares of the window (420
    and 680 px from 1800 px up), never narrower than 270 and 360 px (the votes' names, the
    steppers' controls); the canvas keeps the rest (about 380 px of a 1024 px projector,
    where fixed 420 + 680 px docks squeezed it, or it them)."""
    left = int(min(LEFT_DOCK_PX[1], max(LEFT_DOCK_PX[0], 0.26 * window_width - 16)))
    right = int(min(RIGHT_DOCK_PX[1], max(RIGHT_DOCK_PX[0], 0.42 * window_width - 50)))
    return left, right


# the dock columns' (narrowest, widest) widths after Reset layout, and how the left column's
# two docks share its height (votes above, kernels below)
LEFT_DOCK_PX = (270, 420)
RIGHT_DOCK_PX = (360, 680)
LEFT_COLUMN_SHARES = (0.62, 0.38)


@dataclass
class DockPlace:
    area: str
    visible: bool
    tabify_with: str | None


class DockedPanels:
    """Making, placing and resetting the docks, and wiring the panels in them."""

    def _make_dock(self, key, title, area="right", visible=True, tabify_with=None) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(key)
        dock.setFeatures(
            QDockWidget.DockWidgetClosable
            | QDockWidget.DockWidgetMovable
            | QDockWidget.DockWidgetFloatable
        )
        waiting = QLabel("Loading…", alignment=Qt.AlignCenter)
        waiting.setObjectName("hint")
        dock.setWidget(waiting)
        self.docks[key] = dock
        self._places[key] = DockPlace(area, visible, tabify_with)
        self._place_dock(key)
        dock.dockLocationChanged.connect(self.whole_tab_titles)  # dragged onto another dock
        toggle = dock.toggleViewAction()
        toggle.setText(title)
        self.view_menu.insertAction(self._view_separator, toggle)
        return dock

    def _place_dock(self, key: str) -> None:
        dock, place = self.docks[key], self._places[key]
        dock.setFloating(False)
        if place.tabify_with in self.docks:
            self.tabifyDockWidget(self.docks[place.tabify_with], dock)
            self.docks[self._tab_root(key)].raise_()  # the group's first tab stays in front
        else:
            self.addDockWidget(AREAS[place.area], dock)
        dock.setVisible(place.visible)
        self.whole_tab_titles()

    def whole_tab_titles(self) -> None:
        """Tabs of docks stacked together show their whole titles and scroll when they do not
        fit: Qt's default cuts every title short instead ("F…", "P…" on a laptop screen)."""
        for bar in self.findChildren(QTabBar, options=Qt.FindChildOption.FindDirectChildrenOnly):
            bar.setElideMode(Qt.TextElideMode.ElideNone)
            bar.setUsesScrollButtons(True)

    def _tab_root(self, key: str) -> str:
        """The dock a chain of `tabify_with` ends at (the first tab of the group)."""
        seen = set()
        while key not in seen and self._places[key].tabify_with in self.docks:
            seen.add(key)
            key = self._places[key].tabify_with
        return key

    def add_panel(
        self,
        title: str,
        widget: QWidget,
        area: str = "right",
        key: str | None = None,
        visible: bool = True,
        tabify_with: str | None = None,
    ) -> QDockWidget:
        """Put `widget` in a dock (made if new) and connect it to the session: it must keep
        panel_contract.Panel (PanelContractError otherwise)."""
        key = key or title.lower().replace(" ", "_")
        panel = check_panel(widget, key)  # a panel that breaks the contract fails here, loudly
        dock = self.docks.get(key) or self._make_dock(key, title, area, visible, tabify_with)
        least = widget.minimumSizeHint()
        if least.width() > SCROLL_WIDER_THAN or least.height() > SCROLL_TALLER_THAN:
            # a large panel scrolls in a small dock instead of growing the window past the
            # screen (a tab group is as wide as its widest tab's minimum, a column of docks as
            # tall as their minimums together)
            dock.setWidget(SidewaysScroll(widget))
        else:
            dock.setWidget(widget)
        self.panels[key] = widget
        self._connect_panel(panel, dock)
        return dock

    def _connect_panel(self, panel: Panel, dock: QDockWidget) -> None:
        """Session -> panel. A panel nobody can see (a tab behind another, a closed dock) gets
        only the newest weights and trace once it is shown, so hidden panels cost nothing while
        the person draws or the network trains."""
        s = self.session
        # the newest argument of each held-back call, in the order they are made when shown:
        # weights before the trace
        pending: dict[Callable, object] = {}

        def deliver(call: Callable, arg) -> None:
            # a tab behind another stays "visible" to Qt, but nothing of it is on screen
            if self.isVisible() and (not panel.isVisible() or dock.visibleRegion().isEmpty()):
                pending[call] = arg
            else:
                call(arg)

        def on_shown(visible: bool) -> None:
            if visible:
                for call in (panel.show_weights, panel.show_trace):
                    if call in pending:
                        call(pending.pop(call))

        def set_model(spec) -> None:
            pending.clear()  # the session sends the new network's weights and trace next
            panel.set_model(spec, s.snapshot)

        dock.visibilityChanged.connect(on_shown)
        s.model_changed.connect(set_model)
        s.weights_changed.connect(lambda snap: deliver(panel.show_weights, snap))
        s.trace_changed.connect(lambda trace: deliver(panel.show_trace, trace))
        if s.snapshot is not None:
            panel.show_weights(s.snapshot)
        if s.trace is not None:
            panel.show_trace(s.trace)

    def reset_layout(self) -> None:
        """The default layout, sized for the window as it is now. (Large panels scroll in their
        docks, so no column of docks is taller than a 768 px projector.)"""
        self._layout_pending = False
        for dock in self.docks.values():
            dock.setFloating(False)
            self.removeDockWidget(dock)
        for key in self.docks:
            self._place_dock(key)
        left, right = default_dock_widths(self.width())
        self.resizeDocks(
            [d for k, d in self.docks.items() if self._places[k].area == "left"][:1],
            [left],
            Qt.Horizontal,
        )
        self.resizeDocks(
            [d for k, d in self.docks.items() if self._places[k].area == "right"][:1],
            [right],
            Qt.Horizontal,
        )
        left_column = [
            d
            for k, d in self.docks.items()
            if self._places[k].area == "left"
            and self._places[k].tabify_with is None
            and self._places[k].visible
        ]
        if len(left_column) == 2:  # the votes over the kernels: the votes get the larger part
            self.resizeDocks(
                left_column, [int(self.height() * s) for s in LEFT_COLUMN_SHARES], Qt.Vertical
            )
