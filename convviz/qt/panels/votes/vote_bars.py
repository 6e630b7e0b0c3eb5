"""The vote bars: one per class (the strongest VOTES_MAX_BARS of more, the winner first), as raw
votes or probabilities, the winner marked, and while the network is edited a dashed outline where
the unedited network's vote ended with the change written beside it. A part of VotesPanel
(panel.py)."""

from __future__ import annotations

import numpy as np

from ....core.limits import VOTES_MAX_BARS
from ... import theme
from ...widgets.bar_chart import Bars, name_tooltip

RAW, PROBABILITIES = "raw", "probabilities"
NO_DRAWING_NOTE = "no drawing: no votes"


class VoteBarsSection:
    """VotesPanel's bars (a mixin: these run on the panel)."""

    def _ghosts(self, trace) -> np.ndarray | None:
        """The unedited network's votes (or probabilities) for this drawing, as shown."""
        before = self.reference(trace) if self.reference is not None and self.edited else None
        if before is None or len(before) != len(trace.votes):
            return None
        before = np.asarray(before, np.float64)
        if self.mode == PROBABILITIES:
            e = np.exp(before - before.max())
            before = e / e.sum()
        return before.astype(np.float32)

    def _show_no_drawing(self) -> None:
        """A blank canvas: every class's name with no bar and no number (the network's votes
        for nothing would read as an answer), and a note under them saying why."""
        n = min(len(self.class_names), VOTES_MAX_BARS)
        self.rows_shown = np.arange(n)
        self.bar_texts = [""] * n
        self.view.show_bars(
            Bars(
                labels=self.class_names[:n],
                values=np.zeros(n, np.float32),
                colours=[theme.RAISED] * n,
                span=(0.0, 1.0),
                note=NO_DRAWING_NOTE,
            )
        )

    def _show_bars(self, values: np.ndarray, win: int) -> None:
        """win: the winner's class index, or -1 for no winner (a blank canvas)."""
        rows, note = self._rows_shown(values, win)
        self.rows_shown = rows  # bar i is class rows_shown[i] (a click on a bar names it)
        at = np.flatnonzero(rows == win)
        values, win = values[rows], (int(at[0]) if len(at) else -1)
        ghosts = None if self.ghost_values is None else self.ghost_values[rows]
        n = len(values)
        if self.edited:
            # what the outline means first: a narrow dock cuts the end of the line
            said = (
                "Edited network, dashed = before the edit: "
                if ghosts is not None
                else "Edited network: "
            )
            note = "; ".join(t for t in (said + self.edited, note) if t)
        if self.mode == PROBABILITIES:
            lo, hi = 0.0, 1.0
        else:
            both = values if ghosts is None else np.concatenate([values, ghosts])
            finite = both[np.isfinite(both)]
            lo = min(0.0, float(finite.min())) if len(finite) else 0.0
            hi = max(0.0, float(finite.max())) if len(finite) else 1.0
            span = max(hi - lo, 1e-6)
            lo, hi = lo - 0.05 * span, hi + 0.05 * span
        fmt = "{:.0%}" if self.mode == PROBABILITIES else "{:+.2f}"
        short = [fmt.format(v) for v in values]
        if ghosts is not None:  # how the edit moved each vote, beside it
            dfmt = "{:+.0%}" if self.mode == PROBABILITIES else "{:+.2f}"
            short = [
                f"{t} ({dfmt.format(v - g)})" if np.isfinite(v - g) else t
                for t, v, g in zip(short, values, ghosts, strict=True)
            ]
        # the winner is also told in words, unless the dock is too narrow to keep the bars long
        texts = [t + ("  ◀ winner" if i == win else "") for i, t in enumerate(short)]
        self.bar_texts = texts
        self.view.show_bars(
            Bars(
                labels=[self.class_names[i] for i in rows],
                values=values,
                colours=[theme.ACCENT if i == win else theme.RAISED for i in range(n)],
                texts=texts,
                short_texts=short,
                text_colours=[theme.ACCENT if i == win else theme.MUTED for i in range(n)],
                span=(lo, hi),
                note=note,
                ghosts=ghosts,
                tooltips=[
                    name_tooltip(self.spec.classes[i])
                    if len(self.spec.classes[i]) > len(self.class_names[i])
                    else ""
                    for i in rows
                ],
            )
        )

    def _on_row_clicked(self, row: int) -> None:
        if 0 <= row < len(self.rows_shown):
            self.class_clicked.emit(int(self.rows_shown[row]))

    def _rows_shown(self, values: np.ndarray, win: int) -> tuple[np.ndarray, str]:
        """Which classes get a bar: all of them up to VOTES_MAX_BARS, in their order; of more,
        the strongest VOTES_MAX_BARS (the winner first), so that 10,000 classes stay readable."""
        n = len(values)
        if n <= VOTES_MAX_BARS:
            return np.arange(n), ""
        key = np.nan_to_num(values.astype(np.float64), nan=-np.inf)
        top = np.argpartition(-key, VOTES_MAX_BARS - 1)[:VOTES_MAX_BARS]
        top = top[np.argsort(-key[top], kind="stable")]
        if win >= 0 and win not in top:
            top = np.concatenate([[win], top[:-1]])
        return top, f"the strongest {VOTES_MAX_BARS} of {n:,} classes"
