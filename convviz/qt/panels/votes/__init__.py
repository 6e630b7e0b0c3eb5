"""Votes: one bar per class, the winner marked, as raw votes or as probabilities; and, under it,
the deck's "every value gets a vote": which inputs of the last layer pushed hardest for and
against the winner (input value x its weight, from convviz.core.network.vote_contributions).

What if (joined by qt/why_wiring.py): a click on an input's "why" bar asks to switch it off
(`input_clicked`); while the network is edited, each vote bar has a dashed outline where the
unedited network's vote ended, and the change written beside it (`set_what_if`).

Modules: panel (VotesPanel: the headline, the switch, what the session calls), vote_bars (a bar
per class, the strongest of many, the what-if outlines) and why_bars (the inputs that pushed
hardest for and against the winner).
"""
