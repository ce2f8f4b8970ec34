"""How good is the model on a window whose outcomes are not known yet?

Confidence-based performance estimation (CBPE, the method NannyML popularised): if the
model's probabilities are calibrated, a row predicted "yes" with probability ``p`` is a
true positive with probability ``p`` and a false positive with ``1 - p``; summing over
the window gives the expected confusion matrix, hence the expected F1. Here the outcomes
are also drawn from the probabilities many times, which gives an interval for the F1 the
window will turn out to have, and the same trick estimates the mean absolute error of
counts per group (a count is a sum of such draws).

The estimate rests on two assumptions: the probabilities are calibrated, and the link
between inputs and outcome has not changed. The first is checked on the reference; the
second cannot be checked before the outcomes arrive, but a window whose inputs fall
outside what the model was trained on (values beyond the training range, categories
never seen) is one where the model extrapolates: :class:`RangeCheck` says so, and the
estimate is then marked as not to be trusted.

An interval needs rows whose outcome is uncertain: a window where every probability is
exactly 0 or 1 (a model sure of every row, typically one calibrated on too few outcomes,
where isotonic calibration maps every score to 0 or 1) gives the same outcomes in every
draw, hence a zero-width interval that would read as certainty. Such an estimate is not
judged: :attr:`PerformanceEstimate.cannot_judge` says why in words, and the figures are
not shown as an estimate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..ingest.columns import CATEGORY, NUMBER, TableSchema

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class PerformanceEstimate:
    metric: str
    value: float
    low: float
    high: float
    n: int
    trusted: bool = True
    reasons: list[str] = field(default_factory=list)
    realised: float | None = None
    #: why the window's estimate cannot be judged (every probability 0 or 1: the draws
    #: cannot vary, so its interval has no width); None when it can
    cannot_judge: str | None = None
    #: the measure as the text names it (``F1 for 'is_canceled = 1'``: the F1 of the
    #: positive outcome); None: its stored name. Not in :meth:`to_dict`
    said: str | None = None

    def __post_init__(self) -> None:
        # kept at the precision --json and the web page (which reads the JSON) carry, so
        # the text, the HTML report, --json and the page print the same figure: a value
        # rounded only for the JSON (0.70749 -> 0.7075) read 0.707 in the text and 0.708
        # on the page
        for name in ("value", "low", "high", "realised"):
            v = getattr(self, name)
            if v is not None and np.isfinite(v):
                setattr(self, name, round(float(v), 4))

    def to_dict(self) -> dict[str, Any]:
        return {"metric": self.metric, "estimate": _r(self.value), "low": _r(self.low),
                "high": _r(self.high), "n": self.n, "trusted": self.trusted,
                "reasons": self.reasons, "realised": _r(self.realised),
                "cannot_judge": self.cannot_judge, "too_few_rows": self.too_few_rows()}

    def too_few_rows(self) -> str | None:
        """Why the window's rows are too few to tell how well the model does there, in
        words (:func:`too_few_rows`); None when its range is narrow enough."""
        if self.cannot_judge:
            return None
        return too_few_rows(self.metric, self.value, self.low, self.high)

    def summary(self) -> str:
        if self.cannot_judge:
            s = (f"estimated {self.said or self.metric}: cannot be judged on {self.n:,} rows: "
                 f"{self.cannot_judge}")
        else:
            s = (f"estimated {self.said or self.metric} {self.value:.3f} [{self.low:.3f}, {self.high:.3f}] "
                 f"on {self.n:,} rows before their outcomes are known")
        if self.realised is not None:
            s += f"; realised {self.realised:.3f}"
        if self.too_few_rows():
            s += f". {self.too_few_rows()}"
        if self.reasons:
            s += ". Not to be trusted: " + "; ".join(self.reasons)
        return s


#: a score from 0 to 1 (F1) whose 95% range is wider than this cannot tell a window where
#: the model does well from one where it does badly (0.55 from 0.75, say)
WIDE_SCORE = 0.2


def too_few_rows(metric: str, value: float | None, low: float | None,
                 high: float | None) -> str | None:
    """Why an estimate's rows are too few to tell how well the model does, in words;
    None when they are enough. The rule: the 95% range is wider than 0.2 for a score from
    0 to 1 (F1: :data:`WIDE_SCORE`), or wider than the estimated error itself for a
    count's error (MAE, RMSE: the error could be half as big or twice as big)."""
    if value is None or low is None or high is None:
        return None
    width = float(high) - float(low)
    if metric in ("mae", "rmse"):
        if width <= float(value):
            return None
        rule = f"wider than the estimated error itself, {float(value):.2f}"
    else:
        if width <= WIDE_SCORE:
            return None
        rule = f"wider than {WIDE_SCORE:.1f}"
    return (f"too few rows to tell: the 95% range is {width:.2f} wide ({rule}), so the "
            "model may do much better or worse here than the estimate; wait for more "
            "outcomes")


def why_not_judged(p: np.ndarray) -> str | None:
    """Why an estimate from these probabilities cannot be judged, in words; None when it
    can. Every probability exactly 0 or 1 leaves no row uncertain: the estimate repeats
    the model's own decisions and its interval has no width."""
    p = np.asarray(p, dtype=float)
    if len(p) and bool(np.all((p <= 0) | (p >= 1))):
        return ("the model gives every row a probability of exactly 0 or 1, so the estimate "
                "only repeats its own decisions and its range has no width; such "
                "probabilities usually come from a calibration on too few known outcomes: "
                "train on a longer period, or wait for this window's outcomes")
    return None


def _r(v: float | None) -> float | None:
    return None if v is None or not np.isfinite(v) else round(float(v), 4)


def f1_from_counts(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> np.ndarray:
    return np.asarray(2 * tp / np.maximum(2 * tp + fp + fn, 1e-12))


def realised_f1(y: np.ndarray, p: np.ndarray, threshold: float = 0.5) -> float:
    y = np.asarray(y, dtype=float)
    pred = np.asarray(p) >= threshold
    return float(f1_from_counts((pred * y).sum(), (pred * (1 - y)).sum(), (~pred * y).sum()))


def estimate_f1(p: np.ndarray, *, threshold: float = 0.5, draws: int = 500, seed: int = 0
                ) -> tuple[float, float, float]:
    """Expected F1 from calibrated probabilities, and the 95% range of the F1 the window
    will have if its outcomes follow them."""
    p = np.asarray(p, dtype=float)
    pred = p >= threshold
    value = float(f1_from_counts(p[pred].sum(), (1 - p[pred]).sum(), p[~pred].sum()))
    rng = np.random.default_rng(seed)
    Y = rng.random((draws, len(p))) < p
    tp = (Y & pred).sum(1)
    fp = (~Y & pred).sum(1)
    fn = (Y & ~pred).sum(1)
    lo, hi = np.percentile(f1_from_counts(tp, fp, fn), [2.5, 97.5])
    return value, float(lo), float(hi)


def estimate_count_mae(p: np.ndarray, groups: np.ndarray, *, draws: int = 500, seed: int = 0,
                       metric: str = "mae") -> tuple[float, float, float]:
    """Expected mean absolute error (or, with ``metric="rmse"``, root mean squared
    error) of counts per group predicted as the sum of the rows' probabilities
    (``groups``: a group number per row)."""
    p = np.asarray(p, dtype=float)
    _, g = np.unique(groups, return_inverse=True)
    k = int(g.max()) + 1
    predicted = np.bincount(g, weights=p, minlength=k)
    rng = np.random.default_rng(seed)
    errs = np.empty(draws)
    for i in range(draws):
        y = (rng.random(len(p)) < p).astype(float)
        d = np.bincount(g, weights=y, minlength=k) - predicted
        errs[i] = np.sqrt((d**2).mean()) if metric == "rmse" else np.abs(d).mean()
    lo, hi = np.percentile(errs, [2.5, 97.5])
    return float(errs.mean()), float(lo), float(hi)


class RangeCheck:
    """Which rows of a window fall outside what the model was trained on."""

    def __init__(self, schema: TableSchema, max_share: float = 0.1):
        self.schema = schema
        self.max_share = max_share

    def fit(self, frame: pd.DataFrame) -> RangeCheck:
        self.ranges_: dict[str, tuple[float, float]] = {}
        self.categories_: dict[str, set[str]] = {}
        for c in self.schema.features:
            if c not in frame.columns:
                continue
            kind = self.schema.columns[c]
            if kind == NUMBER:
                v = frame[c].to_numpy(dtype=float)
                v = v[np.isfinite(v)]
                if len(v):
                    self.ranges_[c] = (float(v.min()), float(v.max()))
            elif kind == CATEGORY:
                self.categories_[c] = set(map(str, frame[c].astype(str).unique()))
        return self

    def outside(self, window: pd.DataFrame) -> tuple[np.ndarray, dict[str, float]]:
        """Per row: outside the training range in some column; per column: the share."""
        bad = np.zeros(len(window), dtype=bool)
        shares: dict[str, float] = {}
        for c, (lo, hi) in self.ranges_.items():
            v = window[c].to_numpy(dtype=float)
            out = np.isfinite(v) & ((v < lo) | (v > hi))
            if out.any():
                shares[c] = float(out.mean())
            bad |= out
        for c, cats in self.categories_.items():
            out = ~window[c].astype(str).isin(cats).to_numpy()
            if out.any():
                shares[c] = float(out.mean())
            bad |= out
        return bad, shares

    def reasons(self, window: pd.DataFrame) -> list[str]:
        """Why the estimate cannot be trusted: a column with more than ``max_share`` of
        the window's rows outside the training range (a few new agents or countries
        are normal; half the bookings through a channel never seen is not)."""
        bad, shares = self.outside(window)
        worst = sorted(((c, s) for c, s in shares.items() if s > self.max_share),
                       key=lambda kv: -kv[1])
        if not worst:
            return []
        # "agent (14%)": the column, then the share of the window's rows outside its range
        detail = ", ".join(f"{c} ({s:.0%})" for c, s in worst[:3])
        return [f"{bad.mean():.0%} of the rows have inputs outside the training range; "
                f"the column{'s' if len(worst[:3]) > 1 else ''} with more than "
                f"{self.max_share:.0%} of the rows outside it: {detail}"]


def estimate(p: np.ndarray, window: pd.DataFrame, check: RangeCheck | None = None, *,
             metric: str = "f1", threshold: float = 0.5, groups: np.ndarray | None = None,
             draws: int = 500, seed: int = 0) -> PerformanceEstimate:
    """The estimate for one window, with the trust check and, when the window already
    carries its outcomes, the realised value beside it."""
    if metric == "f1":
        value, lo, hi = estimate_f1(p, threshold=threshold, draws=draws, seed=seed)
    elif metric in ("mae", "rmse"):
        if groups is None:
            raise ValueError("a count estimate needs the group of every row")
        value, lo, hi = estimate_count_mae(p, groups, draws=draws, seed=seed, metric=metric)
    else:
        raise ValueError(f"no estimate for {metric!r}; use f1, mae or rmse")
    reasons = check.reasons(window) if check is not None else []
    unjudged = why_not_judged(p)
    realised = None
    label = check.schema.label_column if check is not None else None
    if label and label in window.columns and window[label].notna().all():
        y = window[label].to_numpy(dtype=float)
        if metric == "f1":
            realised = realised_f1(y, p, threshold)
        else:
            assert groups is not None  # a count metric has its groups
            _, g = np.unique(groups, return_inverse=True)
            d = np.bincount(g, weights=y) - np.bincount(g, weights=p)
            realised = float(np.sqrt((d**2).mean()) if metric == "rmse" else np.abs(d).mean())
    return PerformanceEstimate(metric, value, lo, hi, len(p), not reasons and not unjudged,
                               reasons, realised, unjudged)


__all__ = ["PerformanceEstimate", "RangeCheck", "estimate", "estimate_count_mae",
           "estimate_f1", "realised_f1", "too_few_rows", "why_not_judged"]
