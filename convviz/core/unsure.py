"""Unsure, not confident nonsense: flag a drawing unlike anything the network was trained on.

A softmax always names some class, even for a scribble. Three plain signs, each compared with the
drawings the network was validated on (the held-out part of its training set):
- its largest probability is lower than all but `QUANTILE` of the held-out drawings';
- its votes are weaker overall: the log-sum-exp of the votes (minus the "energy" of Liu et al.,
  2020) is lower than all but `QUANTILE` of theirs. Probabilities only compare the votes with
  each other; this also sees that every vote is small;
- it has more or less ink than any held-out drawing had (a filled canvas, one dot), with a margin
  for a small held-out set (INK_MARGIN).
A blank drawing (nothing but background) is "nothing drawn", before any of these.

The thresholds are worked out when training ends and stored with the weights (metadata "unsure").
A file without them (older files, the bundled weights) uses DEFAULT: only the probability, with
a fixed threshold.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from .blank import is_blank

QUANTILE = 0.01  # share of held-out drawings that would be flagged by each sign
DEFAULT_MIN_PROBABILITY = 0.5  # without calibration: less than even odds on its best guess
INK_LEVEL = 0.5  # a pixel is ink when it is past the middle of the value range
# The least and most ink of n held-out drawings leave out about 2/(n+1) of new drawings like
# them: 15% of a 12-drawing set, which flagged a third of a network's own training images. So
# the range seen is widened by a factor 1 + INK_MARGIN/sqrt(n) at each end (x1.72 for 12
# drawings, x1.25 for 100, x1.03 for 10,000): a ratio, so a dot or a filled canvas stays far
# outside it. 2.5 covers the 1,200 shapes of `convviz shapes` from any 12 of them.
INK_MARGIN = 2.5
# The same for the probability and the votes' strength: the QUANTILE of a few drawings is about
# their lowest, which leaves out 1/(n+1) of new ones. The threshold goes below it by its distance
# from the median times SCORE_MARGIN/sqrt(n) (0.43 for 12 drawings: for normal scores, the
# distance from the lowest of 12 to the 1% point; 0.07 for 500).
SCORE_MARGIN = 1.5


@dataclass(frozen=True)
class Calibration:
    min_probability: float
    min_logsumexp: float | None = None  # None: sign not used
    ink_share: tuple[float, float] | None = None  # (least, most) share of ink pixels seen
    held_out: int = 0  # drawings it was worked out on; 0 = the default, not calibrated

    def to_dict(self) -> dict:
        d = asdict(self)
        d["ink_share"] = list(self.ink_share) if self.ink_share else None
        return d

    @classmethod
    def from_dict(cls, d) -> Calibration | None:
        """A checked calibration, or None for anything malformed (it only adds a warning, so a
        file with a damaged one still opens, with the default)."""
        try:
            p = float(d["min_probability"])
            e = d.get("min_logsumexp")
            e = None if e is None else float(e)
            ink = d.get("ink_share")
            ink = None if ink is None else (float(ink[0]), float(ink[1]))
            n = int(d.get("held_out", 0))
        except (TypeError, KeyError, ValueError, IndexError, AttributeError):
            return None
        numbers = [p] + ([e] if e is not None else []) + (list(ink) if ink else [])
        if not all(math.isfinite(v) for v in numbers) or not 0 <= p <= 1 or n < 0:
            return None
        return cls(p, e, ink, n)


DEFAULT = Calibration(DEFAULT_MIN_PROBABILITY)


def _logsumexp(votes: np.ndarray) -> np.ndarray:  # (..., K) -> (...)
    v = votes.astype(np.float64)
    top = v.max(-1, keepdims=True)
    return (top + np.log(np.exp(v - top).sum(-1, keepdims=True)))[..., 0]


def _ink_share(images: np.ndarray, value_range) -> np.ndarray:  # (N, ...) -> (N,)
    lo, hi = value_range
    ink = (images.reshape(len(images), -1) - lo) / (hi - lo)
    return (ink > INK_LEVEL).mean(1)


def accepted_ink(cal: Calibration) -> tuple[float, float] | None:
    """The shares of ink pixels a drawing may have: the held-out range widened by a margin
    that shrinks as the held-out set grows (INK_MARGIN); None when not calibrated for ink."""
    if cal.ink_share is None:
        return None
    least, most = cal.ink_share
    widen = 1.0 + INK_MARGIN / math.sqrt(max(cal.held_out, 1))
    return least / widen, min(1.0, most * widen)


def _low_threshold(scores: np.ndarray) -> float:
    """The QUANTILE of held-out scores, lowered for a small set (SCORE_MARGIN)."""
    low = float(np.quantile(scores, QUANTILE))
    spread = float(np.median(scores)) - low
    return low - spread * SCORE_MARGIN / math.sqrt(len(scores))


def calibrate(votes: np.ndarray, images: np.ndarray, value_range) -> Calibration:
    """votes (N, K) and images (N, ...) of the held-out drawings -> thresholds."""
    votes = np.asarray(votes, np.float64)
    lse = _logsumexp(votes)
    prob = np.exp(votes.max(1) - lse)
    share = _ink_share(np.asarray(images), value_range)
    return Calibration(
        max(0.0, _low_threshold(prob)),
        _low_threshold(lse),
        (float(share.min()), float(share.max())),
        len(votes),
    )


def calibrate_model(model, x_val, batch_size: int = 512) -> Calibration | None:
    """The thresholds for a trained model from its held-out images x_val (N, C, H, W) tensor."""
    import torch

    if len(x_val) == 0:
        return None
    device = next(model.parameters()).device  # x_val may sit on the host (many images)
    with torch.inference_mode():
        votes = torch.cat(
            [
                model(x_val[i : i + batch_size].to(device)).float().cpu()
                for i in range(0, len(x_val), batch_size)
            ]
        ).numpy()
    return calibrate(votes, x_val.float().cpu().numpy(), model.spec.value_range)


def judge(votes, image, value_range, cal: Calibration | None) -> tuple[bool, str]:
    """(unsure, reason): the reason is one sentence a person can read, also when sure."""
    cal = cal or DEFAULT
    image = np.asarray(image, np.float32)
    if is_blank(image, value_range):  # (one definition of blank, the canvas's)
        return True, "nothing drawn: the input is blank"
    votes = np.asarray(votes, np.float64)
    if not np.isfinite(votes).all():
        return True, "its votes are not finite numbers (NaN or infinity)"
    lse = float(_logsumexp(votes))
    prob = float(np.exp(votes.max() - lse))
    basis = (
        f"set from the lowest {QUANTILE:.0%} of {cal.held_out} held-out drawings"
        if cal.held_out
        else "the default threshold (these weights carry no calibration)"
    )
    if prob < cal.min_probability:
        return True, (
            f"its largest probability {prob:.0%} is below {cal.min_probability:.0%}, {basis}"
        )
    if cal.min_logsumexp is not None and lse < cal.min_logsumexp:
        return True, (
            f"its votes are weak overall (log-sum-exp {lse:.2f} below "
            f"{cal.min_logsumexp:.2f}, {basis})"
        )
    accepted = accepted_ink(cal)
    if cal.ink_share is not None and accepted is not None:
        share = float(_ink_share(image[None], value_range)[0])
        least, most = cal.ink_share
        if not accepted[0] <= share <= accepted[1]:
            return True, (
                f"{share:.0%} of it is ink; the {cal.held_out} held-out drawings had {least:.0%} "
                f"to {most:.0%} (so {accepted[0]:.1%} to {accepted[1]:.0%} passes)"
            )
    if cal.held_out:
        return False, (
            f"its largest probability ({prob:.0%}), votes and ink are like those of "
            f"{cal.held_out} held-out drawings"
        )
    return False, (
        f"its largest probability {prob:.0%} is at least {cal.min_probability:.0%}, {basis}"
    )
