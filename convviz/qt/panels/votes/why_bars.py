"""The deck's "every value gets a vote", under the bars: the inputs of the last layer that pushed
hardest for and against the winner (input value x its weight, convviz.core.trace's
vote_contributions); a click on one asks to switch it off (what if). A part of VotesPanel
(panel.py)."""

from __future__ import annotations

import html

import numpy as np

from ... import theme
from ...widgets.bar_chart import Bars

TOP_CONTRIBUTIONS = 5  # strongest votes shown for, and the same number against, the winner


def why_text(name: str, count: int, bias: float, total: float) -> str:
    name = html.escape(name)  # a class is a folder's name: "a<b" or "R&D" must read as such
    return (
        f"<b>Why {name}?</b> The inputs with the strongest votes for it (orange) and "
        f"against it (blue), each value × its weight. All {count} votes plus the bias "
        f"{bias:+.2f} make {total:+.2f}."
    )


class WhyBarsSection:
    """VotesPanel's "why" bars (a mixin: these run on the panel)."""

    def _show_why(self, trace, win: int) -> None:
        from convviz.core.trace import vote_contributions

        contrib, bias = vote_contributions(trace, self.snapshot, win)
        order = np.argsort(contrib)
        k = min(TOP_CONTRIBUTIONS, len(contrib) // 2 or 1)
        pick = np.concatenate([order[::-1][:k], order[:k][::-1]])  # strongest for, then against
        vals = contrib[pick]
        self.contributions = (pick, vals)
        m = max(float(np.abs(vals).max()), 1e-6)
        self.why_view.show_bars(
            Bars(
                labels=[self.names[j] for j in pick],
                values=vals,
                colours=[theme.POSITIVE if v >= 0 else theme.NEGATIVE for v in vals],
                span=(-m * 1.05, m * 1.05),
            )
        )
        self.why_label.setText(
            why_text(self.class_names[win], len(contrib), bias, float(contrib.sum() + bias))
        )

    def _on_why_clicked(self, row: int) -> None:
        pick = self.contributions
        if pick is not None and 0 <= row < len(pick[0]):
            self.input_clicked.emit(int(pick[0][row]))
