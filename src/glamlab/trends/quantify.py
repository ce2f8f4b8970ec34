"""Quantification: how many items of a group have a label, corrected for the classifier's
errors, with a 95% interval.

"Classify and count" (``cc``) is biased whenever a group's share of a label differs from
the share the classifier saw in training: its errors pull every group's count toward the
training share, so a trend line can be an artefact of the model. The corrections here
use how the classifier behaves on labelled items (:class:`ErrorRates`):

=========  ==================================================================================
``cc``     share of items predicted positive
``pcc``    mean score (probabilistic classify and count)
``cpcc``   calibrated probabilistic classify and count: the mean of each item's posterior
           re-calibrated on the labelled items (the positive rate among labelled items in the
           item's cell, smoothed toward the cell's score). No division by ``tpr - fpr``: it
           cannot blow up, and it is exact when the classifier errs in the groups as it did
           on the labelled items, but it still leans toward the labelled share under a shift.
``acc``    adjusted classify and count: ``(cc - fpr) / (tpr - fpr)``
``pacc``   probabilistic adjusted: ``(pcc - m0) / (m1 - m0)`` with ``m1``/``m0`` the mean score of
           labelled positives/negatives
``emq``    expectation maximisation (Saerens, Latinne & Decaestecker 2002) over the posteriors
           re-calibrated on the labelled items: each item's cell (predicted yes/no x score bin)
           has a positive rate among labelled items; EM finds the group share under which the
           group's cells are most likely. This is SLD with binned, calibrated posteriors (the
           plain SLD on raw scores, :func:`sld`, assumes calibrated scores, which glamlab's
           multi-label models do not give: their thresholds are mapped to 0.5). A cell no
           labelled item fell in has no measured rate; there EM uses ``cpcc``'s calibrated
           posterior, the cell's score (drawn from ``cpcc``'s Beta in the bootstrap), as the
           posterior under the labelled share (:func:`_fill_unlabelled`).
=========  ==================================================================================

Everything works on *sufficient statistics*, never on items: a group is a count and a
score sum per cell (predicted yes/no x score bin, :class:`GroupStats`), which the database
computes with one GROUP BY (:mod:`glamlab.trends.aggregate`), and the labelled items are
the same cells per true class (:class:`ErrorRates`). Every label is quantified on its own
(one against the rest), for single- and multi-label tasks alike.

The 95% interval is a bootstrap over both sources of doubt at once: each draw resamples the
group's cells and the labelled cells of each class (Dirichlet: the error rates are measured
on a finite labelled set), and recomputes the estimate; the interval is the 2.5th to 97.5th
percentile of the draws. The group's cells are drawn from their Bayesian posterior: a
Dirichlet with the group's own counts plus one pseudo-item (:data:`PRIOR_ITEMS`), half of
it on the predicted-yes cells and half on the predicted-no cells, spread like the labelled
items (:func:`_prior`). With hundreds of items the pseudo-item changes nothing; with one or
two items it is what keeps the interval honest: a group of one item predicted yes is not
evidence that (nearly) all such items have the label, and its interval spans most of 0-100%
(the plain Bayesian bootstrap, with the counts alone, has no spread at all for one item).
The raw share's draws are then exactly Jeffreys' interval ``Beta(k + 1/2, n - k + 1/2)``
for ``k`` of ``n`` items predicted yes. ``cpcc``'s draws also draw the labels of the
group's items in each cell, given the cell's drawn rate (:func:`_labels_in_cells`): its
share is a mean of posteriors, whose spread alone is narrower than the group's binomial
noise ``p (1 - p) / n``.

Clipped groups (``acc``, ``pacc``, ``emq``). Where a group's predicted-yes share lies
outside ``[fpr, tpr]`` (for ``pacc``: its mean score outside ``[m0, m1]``), the adjusted
share lies outside [0, 1] and is clipped to 0 or 1. ``emq`` gets there by another road: its
likelihood is concave in the share, so EM stops at 0 or 1 exactly where the unconstrained
maximum lies beyond it. When it lies outside only by sampling noise (an unbiased estimate of
a share near 0 falls below 0 about half the time), that is no contradiction. When it lies
outside by more, it is not a measurement: the count lies outside what the classifier's
measured error rates can explain (the classifier errs differently in this group), every
bootstrap draw is clipped too, and the percentile interval shrinks to the boundary (0-0%,
or 98.5-100% for a group whose items are all predicted yes), claiming a certainty nothing
supports. The rule for "more than noise" (:func:`_beyond_noise`): the unclipped share's 95%
bootstrap interval (the group's items and the labelled items, without the between-group
error ``model_sd``) does not reach back to the bound it passes, i.e. at least 97.5% of the
draws lie beyond it too, the same as the clipped interval collapsing onto the bound; for
``emq``, at least 97.5% of the draws at the bound (within :data:`AT_BOUND`). Under pure
label shift a true share in [0, 1] is flagged about 2.5% of the time (a one-sided test at
that level; in the tests, at most 10% of the groups clipped by noise). Such a group is
flagged: ``Estimate.clipped`` and its status (``clipped at 0%: ...``, after ``too few
items`` where both apply; :func:`is_clipped`). Either way, flagged or not, a share clipped
at a bound keeps an interval that is the union of the bootstrap interval and the sampling
interval of the uncorrected share the correction starts from: the raw share's Jeffreys
interval for ``acc``, the mean score's (``pcc``) bootstrap interval for ``pacc``, the mean
calibrated posterior's (``cpcc``'s point, the group's draws) for ``emq`` (SLD's first
step). The rule: where the correction's model is contradicted by the group, it adds nothing
that can narrow what the group's own counts say, so the interval is never narrower than
the uncorrected share's sampling interval and it still reaches the boundary the correction
points to; the truth, between the clipped correction and the uncorrected share when the
classifier's error rates merely differ in the group, is then covered at the sampling
interval's rate (tested on synthetic groups with known shares). Pooling (:func:`pool`) does
not narrow a flagged group's interval. ``cpcc`` (a mean of calibrated posteriors) never
leaves [0, 1] and ``cc`` and ``pcc`` are not corrections: none of them is flagged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

METHODS = ("cc", "pcc", "cpcc", "acc", "pacc", "emq")
UNCORRECTED = ("cc", "pcc")  # need no labelled items
# The default is chosen per query by cross-validation over the labelled items' own groups
# (:func:`choose`); this is the method used when that is impossible (fewer than
# :data:`MIN_CV_GROUPS` labelled groups): on the subject-indexing dev records (artist-held-
# out, benchmarks/trends.py) the corrections that divide by tpr - fpr (acc, pacc, emq) were
# worse than plain counting, calibrated counting was not; see docs/trends.md.
DEFAULT_METHOD = "cpcc"
DEFAULT_POOL = False  # partial pooling across a label's groups (see :func:`pool`)
DEFAULT_STRATA = False  # error rates per group (see :meth:`ErrorRates.blend`)
CPCC_SMOOTHING = 2.0  # pseudo-items per cell, distributed like the cell's own score
MIN_CV_GROUPS = 3
#: MAEs closer than this are equal (the estimates are rounded to 4 decimals)
TIE = 1e-9
#: how :func:`choose`'s reason starts where a correction is used although cc or pcc had an
#: MAE as low or lower, within the cross-validation's noise
PREFERRED = "correction preferred"
STRATA_STRENGTH = 10.0
BINS = 20
MIN_ITEMS = 30  # fewer items in a group: the group is flagged "too few items"
PRIOR_ITEMS = 1.0  # pseudo-items added to every group's cells in the bootstrap (see _prior)
MIN_SEPARATION = 0.1  # tpr - fpr (or m1 - m0) below this: the classifier cannot be corrected
#: the corrections whose share is clipped to [0, 1] (see "Clipped groups" above)
CLIPPED_METHODS = ("acc", "pacc")
#: an ``emq`` share this close to 0 or 1 is at the bound (EM converges to a bound slowly)
AT_BOUND = 1e-3
#: what a clipped group's status starts with (after "too few items (...); " if both apply)
CLIPPED = "clipped at"
EM_ITERATIONS = 300
EM_TOL = 1e-7


def cell_of(scores: Any, predicted: Any, bins: int = BINS) -> np.ndarray:
    """The cell index of each item: ``predicted * bins + score bin`` (bins of width 1/bins;
    a score of 1.0 falls in the last bin)."""
    s = np.clip(np.asarray(scores, dtype=float), 0.0, 1.0)
    b = np.minimum((s * bins).astype(int), bins - 1)
    return np.asarray(predicted, dtype=bool).astype(int) * bins + b


def _cells(scores: Any, predicted: Any, bins: int) -> tuple[np.ndarray, np.ndarray]:
    c = cell_of(scores, predicted, bins)
    s = np.clip(np.asarray(scores, dtype=float), 0.0, 1.0)
    return (np.bincount(c, minlength=2 * bins).astype(float),
            np.bincount(c, weights=s, minlength=2 * bins).astype(float))


@dataclass(frozen=True)
class GroupStats:
    """One group's items for one label: item counts and score sums per cell."""

    counts: np.ndarray  # (2 * bins,)
    sums: np.ndarray  # (2 * bins,)

    @property
    def bins(self) -> int:
        return len(self.counts) // 2

    @property
    def n(self) -> int:
        return int(round(float(self.counts.sum())))

    @classmethod
    def empty(cls, bins: int = BINS) -> GroupStats:
        return cls(np.zeros(2 * bins), np.zeros(2 * bins))

    @classmethod
    def from_scores(cls, scores: Any, predicted: Any, bins: int = BINS) -> GroupStats:
        counts, sums = _cells(scores, predicted, bins)
        return cls(counts, sums)

    def __add__(self, other: GroupStats) -> GroupStats:
        return GroupStats(self.counts + other.counts, self.sums + other.sums)


@dataclass(frozen=True)
class ErrorRates:
    """How the classifier behaves on labelled items for one label: the cells of the items
    that truly have it (``pos``) and of those that do not (``neg``).

    ``source`` says which labelled items were used (e.g. "test split, 540 items"); see
    :func:`glamlab.trends.rates.labelled_rates`, the one place that decides."""

    label: str
    pos: GroupStats
    neg: GroupStats
    source: str = ""

    @classmethod
    def from_predictions(cls, label: str, truth: Any, scores: Any, predicted: Any, *,
                         bins: int = BINS, source: str = "") -> ErrorRates:
        y = np.asarray(truth, dtype=bool)
        s = np.asarray(scores, dtype=float)
        p = np.asarray(predicted, dtype=bool)
        return cls(label, GroupStats.from_scores(s[y], p[y], bins),
                   GroupStats.from_scores(s[~y], p[~y], bins), source)

    @property
    def n_pos(self) -> int:
        return self.pos.n

    @property
    def n_neg(self) -> int:
        return self.neg.n

    def blend(self, prior: ErrorRates, strength: float) -> ErrorRates:
        """These rates (measured on one group's labelled items) with ``strength``
        pseudo-items per class distributed like ``prior`` (the rates on all labelled
        items): a group with few labelled items leans on the overall rates, one with many
        keeps its own. The bootstrap then draws around the blend."""
        def mix(own: GroupStats, glob: GroupStats) -> GroupStats:
            total = glob.counts.sum()
            if total <= 0:
                return own
            add = strength * glob.counts / total
            mean = np.where(glob.counts > 0, glob.sums / np.maximum(glob.counts, 1e-12), 0.0)
            return GroupStats(own.counts + add, own.sums + add * mean)

        return ErrorRates(self.label, mix(self.pos, prior.pos), mix(self.neg, prior.neg),
                          f"{self.source} (blended with {prior.source}, strength {strength:g})")

    def summary(self) -> dict[str, Any]:
        b = self.pos.bins
        tpr = self.pos.counts[b:].sum() / max(self.pos.counts.sum(), 1)
        fpr = self.neg.counts[b:].sum() / max(self.neg.counts.sum(), 1)
        m1 = self.pos.sums.sum() / max(self.pos.counts.sum(), 1)
        m0 = self.neg.sums.sum() / max(self.neg.counts.sum(), 1)
        return {"label": self.label, "labelled_positives": self.n_pos,
                "labelled_negatives": self.n_neg, "tpr": round(float(tpr), 4),
                "fpr": round(float(fpr), 4), "mean_score_positives": round(float(m1), 4),
                "mean_score_negatives": round(float(m0), 4),
                "labelled_share": round(self.n_pos / max(self.n_pos + self.n_neg, 1), 4),
                "source": self.source}


# -- the estimators, vectorised over a leading axis of draws ---------------------------------


def _mean(counts: np.ndarray, cell_means: np.ndarray) -> np.ndarray:
    return (counts * cell_means).sum(axis=-1) / np.maximum(counts.sum(axis=-1), 1e-12)


def _estimate(method: str, q: np.ndarray, q_mean: np.ndarray, p1: np.ndarray,
              p0: np.ndarray, m1: np.ndarray, m0: np.ndarray, bins: int) -> np.ndarray:
    """``q``: the group's cell shares (..., C); ``p1``/``p0``: cell distributions of
    labelled positives/negatives (..., C); ``q_mean``, ``m1``, ``m0``: mean scores."""
    if method == "cc":
        return q[..., bins:].sum(axis=-1)
    if method == "pcc":
        return q_mean
    if method in CLIPPED_METHODS:
        return np.clip(_adjusted(method, q, q_mean, p1, p0, m1, m0, bins), 0.0, 1.0)
    if method == "emq":
        return _em_mixture(q, p1, p0)
    raise ValueError(f"unknown method {method!r}")


def _adjusted(method: str, q: np.ndarray, q_mean: np.ndarray, p1: np.ndarray, p0: np.ndarray,
              m1: np.ndarray, m0: np.ndarray, bins: int) -> np.ndarray:
    """``acc``'s or ``pacc``'s share before it is clipped to [0, 1]: below 0 where the group's
    predicted-yes share (mean score) is below the labelled negatives' (``fpr``, ``m0``), above 1
    where it is above the labelled positives' (``tpr``, ``m1``)."""
    if method == "acc":
        cc = q[..., bins:].sum(axis=-1)
        tpr, fpr = p1[..., bins:].sum(axis=-1), p0[..., bins:].sum(axis=-1)
        den = np.where(np.abs(tpr - fpr) < 1e-9, 1e-9, tpr - fpr)
        return np.asarray((cc - fpr) / den)
    den = np.where(np.abs(m1 - m0) < 1e-9, 1e-9, m1 - m0)
    return np.asarray((q_mean - m0) / den)


def _calibration(rates: ErrorRates, bins: int,
                 smoothing: float = CPCC_SMOOTHING) -> tuple[np.ndarray, np.ndarray]:
    """Beta parameters of P(label | cell) from the labelled items: the positives and
    negatives in each cell plus ``smoothing`` pseudo-items split by the bin's centre score
    (an empty cell falls back to its score)."""
    centre = np.tile((np.arange(bins) + 0.5) / bins, 2)
    return (rates.pos.counts + smoothing * centre,
            rates.neg.counts + smoothing * (1.0 - centre))


def _fill_unlabelled(p1: np.ndarray, p0: np.ndarray, unlabelled: np.ndarray,
                     posterior: np.ndarray, share: float) -> tuple[np.ndarray, np.ndarray]:
    """``p1``/``p0`` (labelled positives'/negatives' cell distributions) with the cells no
    labelled item fell in (``unlabelled``) given the ratio of a ``posterior`` under the
    labelled ``share``: ``posterior / share`` and ``(1 - posterior) / (1 - share)``.

    Without it such a cell has ``p1 = p0 = 0``, EM's posterior there is 0 and its items
    count as negatives whatever their score: a group whose items all fall where no labelled
    item did came out at 0%. EM reads a cell only through ``p1_c / p0_c`` (its likelihood
    changes by a constant per cell), so this is the cell with densities vanishingly small but
    in the ratio of that posterior; SLD's posterior of the cell under the labelled share is
    then ``posterior``. ``posterior`` is ``cpcc``'s calibrated posterior of the cell: the
    cell's score, as no labelled item says otherwise. Cells with labelled items keep their
    measured rates."""
    if not unlabelled.any():
        return p1, p0
    return (np.where(unlabelled, posterior / share, p1),
            np.where(unlabelled, (1.0 - posterior) / (1.0 - share), p0))


def _em_mixture(q: np.ndarray, p1: np.ndarray, p0: np.ndarray) -> np.ndarray:
    """The share ``pi`` maximising ``sum_c q_c log(pi p1_c + (1 - pi) p0_c)`` by EM
    (SLD's iteration with the posterior of cell c under the labelled share). Every cell
    holding some of ``q`` needs ``p1_c + p0_c > 0`` (:func:`_fill_unlabelled`)."""
    pi = np.full(q.shape[:-1], 0.5)
    for _ in range(EM_ITERATIONS):
        a = pi[..., None] * p1
        b = (1.0 - pi[..., None]) * p0
        post = np.where(a + b > 0, a / np.maximum(a + b, 1e-300), 0.0)
        new = (q * post).sum(axis=-1)
        if np.max(np.abs(new - pi)) < EM_TOL:
            pi = new
            break
        pi = new
    return np.clip(pi, 0.0, 1.0)


def sld(posteriors: Any, train_prior: float, *, tol: float = 1e-4,
        max_iter: int = 1000) -> float:
    """Plain SLD (EMQ) on item posteriors of the positive class, assuming they are
    calibrated under ``train_prior``: the textbook form, as quapy's ``EMQ.EM``."""
    s = np.clip(np.asarray(posteriors, dtype=float), 0.0, 1.0)
    tr = np.array([1.0 - train_prior, train_prior])
    if np.prod(tr) == 0:
        tr = (tr + 1e-4) / (tr + 1e-4).sum()
    px = np.stack([1.0 - s, s], axis=1)
    qs = tr.copy()
    prev = None
    for it in range(max_iter):
        ps = (qs / tr) * px
        ps = ps / ps.sum(axis=1, keepdims=True)
        qs = ps.mean(axis=0)
        if prev is not None and np.abs(qs - prev).mean() < tol and it > 10:
            break
        prev = qs
    return float(qs[1])


# -- estimates with intervals -------------------------------------------------------------------


@dataclass
class Estimate:
    """One (group, label) answer."""

    n: int
    raw: float | None  # cc
    raw_low: float | None
    raw_high: float | None
    estimate: float | None  # the chosen method's share
    low: float | None
    high: float | None
    method: str
    status: str = "ok"  # ok | too few items | no items | cannot correct: ...
    methods: dict[str, float | None] = field(default_factory=dict)
    pooled: bool = False
    draws: np.ndarray | None = field(default=None, repr=False)  # bootstrap draws of estimate
    clipped: bool = False  # the correction was clipped by more than noise (see is_clipped)

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if k != "draws"}


def _r(x: float | None) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), 4)


def estimate(group: GroupStats, rates: ErrorRates, *, method: str = DEFAULT_METHOD,
             n_boot: int = 1000, seed: int = 0, min_items: int = MIN_ITEMS,
             all_methods: bool = False, rates_seed: int | None = None,
             model_sd: float = 0.0, draw_cache: dict[Any, Any] | None = None) -> Estimate:
    """The share of ``rates.label`` in ``group`` by ``method``, a 95% interval (group
    sample size and labelled-set uncertainty together), and the raw ``cc`` share with its
    sampling interval. With ``all_methods``, ``methods`` holds every method's point estimate.
    ``rates_seed`` fixes the draws of the error rates, so that groups estimated with the
    same seed share them draw by draw (what :func:`pool` needs). ``model_sd`` adds the
    method's own error between groups (normal, on the share; measured by :func:`choose`)
    to every draw: what the bootstrap cannot see, e.g. a classifier that errs differently
    in one decade than on the labelled items. ``draw_cache`` (a dict the caller keeps for
    one ``rates`` object) reuses the draws of the error rates between groups estimated with
    the same ``rates_seed``: they are the same draws, made once."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    bins = group.bins
    if rates.pos.bins != bins:
        raise ValueError("the group and the labelled items use different bins")
    n = group.n
    if n == 0:
        return Estimate(0, None, None, None, None, None, None, method, status="no items")
    rng = np.random.default_rng(seed)
    centre = np.tile((np.arange(bins) + 0.5) / bins, 2)  # an empty cell's mean score
    cell_mean = np.where(group.counts > 0, group.sums / np.maximum(group.counts, 1e-12), centre)
    q = group.counts / group.counts.sum()
    q_mean = float(group.sums.sum() / group.counts.sum())

    status = "ok"
    n1, n0 = rates.n_pos, rates.n_neg
    corrected = method not in UNCORRECTED
    if corrected and (n1 == 0 or n0 == 0):
        status = ("cannot correct: no labelled items " +
                  ("with" if n1 == 0 else "without") + f" the label {rates.label!r}")
    p1 = rates.pos.counts / max(rates.pos.counts.sum(), 1e-12)
    p0 = rates.neg.counts / max(rates.neg.counts.sum(), 1e-12)
    mean1 = np.where(rates.pos.counts > 0, rates.pos.sums / np.maximum(rates.pos.counts, 1e-12), 0.0)
    mean0 = np.where(rates.neg.counts > 0, rates.neg.sums / np.maximum(rates.neg.counts, 1e-12), 0.0)
    m1, m0 = _mean(rates.pos.counts, mean1), _mean(rates.neg.counts, mean0)
    if status == "ok" and method == "acc":
        tpr, fpr = p1[bins:].sum(), p0[bins:].sum()
        if tpr - fpr < MIN_SEPARATION:
            status = f"cannot correct: the classifier barely separates (tpr {tpr:.2f}, fpr {fpr:.2f})"
    if status == "ok" and method == "pacc" and m1 - m0 < MIN_SEPARATION:
        status = f"cannot correct: scores barely separate (means {m1:.2f} vs {m0:.2f})"

    # bootstrap draws: the group's cells (Dirichlet posterior: its own counts plus one
    # pseudo-item, see _prior) and the labelled cells of each class (Dirichlet with a total
    # pseudo-count of one item spread over the cells)
    C = len(q)
    qd = _resample(rng, group.counts, _prior(rates, bins), n_boot)
    qd_mean = _mean(qd, cell_mean)
    raw_draws = qd[:, bins:].sum(axis=1)
    raw = float(q[bins:].sum())
    out = Estimate(n, _r(raw), *_interval(raw_draws, raw), None, None, None, method, status)
    alpha, beta = _calibration(rates, bins)
    # cells no labelled item fell in: emq reads cpcc's calibrated posterior there
    unlabelled = (rates.pos.counts + rates.neg.counts) <= 0
    share_l = n1 / max(n1 + n0, 1)
    if n1 > 0 and n0 > 0:
        e1, e0 = _fill_unlabelled(p1, p0, unlabelled, alpha / (alpha + beta), share_l)
    else:
        e1, e0 = p1, p0
    if all_methods and n1 > 0 and n0 > 0:
        out.methods = {m: _r(float((q * alpha / (alpha + beta)).sum()) if m == "cpcc" else
                             float(_estimate(m, q, np.asarray(q_mean),
                                             e1 if m == "emq" else p1,
                                             e0 if m == "emq" else p0, np.asarray(m1),
                                             np.asarray(m0), bins))) for m in METHODS}
    if status.startswith("cannot correct"):
        # a small group stays flagged as small, whatever else is wrong with it
        out.status = _join(too_few(n, min_items), status)
        return out
    noise = rng.normal(0.0, model_sd, size=n_boot) if model_sd > 0 else 0.0
    if method == "cpcc":
        memo = (draw_cache if draw_cache is not None and rates_seed is not None else {})
        post = memo.get(("cpcc", rates_seed, n_boot))
        if post is None:
            rrng = rng if rates_seed is None else np.random.default_rng(rates_seed)
            post = memo[("cpcc", rates_seed, n_boot)] = rrng.beta(alpha, beta, size=(n_boot, C))
        point = float((q * alpha / (alpha + beta)).sum())
        # the labels of the group's items in each cell, not only the cells' rates
        draws = np.clip((qd * _labels_in_cells(rng, group.counts, post)).sum(axis=1) + noise,
                        0.0, 1.0)
        return _finish(out, point, draws, n, min_items)
    if corrected:
        rrng = rng if rates_seed is None else np.random.default_rng(rates_seed)
        p1d = rrng.dirichlet(rates.pos.counts + 1.0 / C, size=n_boot)
        p0d = rrng.dirichlet(rates.neg.counts + 1.0 / C, size=n_boot)
        m1d, m0d = _mean(p1d, mean1), _mean(p0d, mean0)
        if method == "emq" and unlabelled.any():
            # the Dirichlet's pseudo-counts give such cells arbitrary rates; they take
            # cpcc's posterior draws instead (drawn last: the other draws do not change)
            p1d, p0d = _fill_unlabelled(p1d, p0d, unlabelled,
                                        rrng.beta(alpha, beta, size=(n_boot, C)), share_l)
    else:
        p1d = p0d = np.zeros((n_boot, C))
        m1d = m0d = np.zeros(n_boot)
    point = float(_estimate(method, q, np.asarray(q_mean), e1 if method == "emq" else p1,
                            e0 if method == "emq" else p0, np.asarray(m1), np.asarray(m0),
                            bins))
    sampled = _estimate(method, qd, qd_mean, p1d, p0d, m1d, m0d, bins)
    draws = np.clip(sampled + noise, 0.0, 1.0)
    out = _finish(out, point, draws, n, min_items)
    if method in CLIPPED_METHODS:
        unclipped = float(_adjusted(method, q, np.asarray(q_mean), p1, p0, np.asarray(m1),
                                    np.asarray(m0), bins))
        if not 0.0 <= unclipped <= 1.0:
            # the uncorrected share this correction starts from, with its sampling interval
            ref, ref_draws = (raw, raw_draws) if method == "acc" else (q_mean, qd_mean)
            _widen(out, _interval(ref_draws, ref))
            if _beyond_noise(unclipped, _adjusted(method, qd, qd_mean, p1d, p0d, m1d, m0d,
                                                  bins)):
                out.clipped = True
                out.status = _join(out.status, _clipped_note(
                    method, unclipped, ref, *((p0[bins:].sum(), p1[bins:].sum())
                                              if method == "acc" else (m0, m1))))
    elif method == "emq" and not AT_BOUND < point < 1.0 - AT_BOUND:
        # the calibrated share (cpcc) EM starts from, with the group's sampling interval
        calibrated = alpha / (alpha + beta)
        ref = float((q * calibrated).sum())
        _widen(out, _interval((qd * calibrated).sum(axis=1), ref))
        # EM stops at a bound where the likelihood's maximum lies beyond it (it is concave
        # in the share): a draw at the bound is a draw whose unclipped share is beyond it,
        # and the rule is acc's, the 95% interval collapsed onto the bound
        below = point <= AT_BOUND
        if (float(np.percentile(sampled, 97.5)) <= AT_BOUND if below
                else float(np.percentile(sampled, 2.5)) >= 1.0 - AT_BOUND):
            out.clipped = True
            out.status = _join(out.status, _clipped_note(method, -1.0 if below else 2.0,
                                                         ref, 0.0, 1.0))
    return out


def _labels_in_cells(rng: np.random.Generator, counts: np.ndarray,
                     post: np.ndarray) -> np.ndarray:
    """Draws of the share of a group's items that have the label in each cell, given draws
    ``post`` (n_boot, C) of the cell's rate P(label | cell): ``K / n_c`` with
    ``K ~ Binomial(n_c, rate)`` for the group's ``n_c`` items in the cell; a cell the group
    has no item in keeps its rate (only the prior's pseudo-item is drawn there).

    ``cpcc``'s share is the mean of the items' calibrated posteriors. The group's cells
    drawn (:func:`_resample`) and the rates drawn (:func:`_calibration`) make it vary with
    the group's mix of cells and with the labelled items, but not with whether each item in
    a cell has the label, which for ``n_c`` items at rate ``r`` varies by ``r (1 - r) / n_c``.
    Without it a group of ``n`` items gets a sampling variance of ``Var(posterior) / n``
    instead of the ``p (1 - p) / n`` of its own labels, which ``acc``'s draws (the cells
    drawn, then inverted) and the raw share's Jeffreys interval hold: the less the posteriors
    separate the items, the narrower cpcc's interval was than the group's binomial noise
    (for scores near 0.5, a third of it)."""
    n_c = np.rint(np.asarray(counts, dtype=float)).astype(np.int64)
    k = rng.binomial(np.broadcast_to(n_c, post.shape), post)
    return np.where(n_c > 0, k / np.maximum(n_c, 1), post)


def _beyond_noise(unclipped: float, unclipped_draws: np.ndarray) -> bool:
    """Whether a share outside [0, 1] lies outside by more than its sampling noise: its 95%
    bootstrap interval, before clipping, does not reach back to the bound it passes (at
    least 97.5% of the draws lie beyond it too; the same as the clipped draws' interval
    collapsing onto the bound). A share outside only by noise, e.g. -0.002 with an
    interval of -0.1 to 0.1, is what an unbiased estimate of a share near 0 gives about
    half the time; it is not flagged (its interval is widened all the same)."""
    if unclipped < 0.0:
        return float(np.percentile(unclipped_draws, 97.5)) < 0.0
    if unclipped > 1.0:
        return float(np.percentile(unclipped_draws, 2.5)) > 1.0
    return False


def _clipped_note(method: str, unclipped: float, observed: float, neg: float,
                  pos: float) -> str:
    """The status of a clipped group, in plain words: which edge, what was observed, which
    error rate it passes, and what that means."""
    below = unclipped < 0
    if method == "emq":
        return (f"{CLIPPED} {0 if below else 100}%: the group's predictions and scores fit "
                + ("labelled items without the label better than any mix with labelled items "
                   "that have it" if below else "labelled items with the label better than "
                   "any mix with labelled items that lack it")
                + "; the count lies outside what the model's measured error rates can "
                "explain, so the corrected share is not reliable here (its interval is "
                f"widened to hold the calibrated share's, cpcc {observed:.0%})")
    if method == "acc":
        seen = (f"{observed:.0%} predicted yes is " + (
            f"below the false-positive rate measured on labelled items ({neg:.0%})" if below
            else f"above the true-positive rate measured on labelled items ({pos:.0%})"))
        ref, what = "the raw share's", "count"
    else:
        seen = (f"the mean score {observed:.2f} is " + (
            f"below that of labelled items without the label ({neg:.2f})" if below
            else f"above that of labelled items with the label ({pos:.2f})"))
        ref, what = "the mean score's (pcc)", "mean score"
    return (f"{CLIPPED} {0 if below else 100}%: {seen}; the {what} lies outside what the "
            "model's measured error rates can explain, so the corrected share is not reliable "
            f"here (its interval is widened to hold {ref})")


def _join(status: str, note: str) -> str:
    if note in ("", "ok"):
        return status or "ok"
    return note if status in ("", "ok") else f"{status}; {note}"


def is_clipped(status: str) -> bool:
    """Whether a row's status says its corrected share was clipped (see the module's
    docstring, "Clipped groups")."""
    return status.startswith(CLIPPED) or f"; {CLIPPED}" in status


def _widen(out: Estimate, ref: tuple[float | None, float | None]) -> None:
    """``out``'s interval, widened to hold the interval ``ref`` (the union of the two)."""
    if out.low is not None and ref[0] is not None:
        out.low = min(out.low, ref[0])
    if out.high is not None and ref[1] is not None:
        out.high = max(out.high, ref[1])


def _prior(rates: ErrorRates, bins: int, items: float = PRIOR_ITEMS) -> np.ndarray:
    """The pseudo-items added to a group's cells before its cells are drawn: ``items / 2``
    on the predicted-yes cells and ``items / 2`` on the predicted-no cells, spread within
    each half like the labelled items (evenly where no labelled item falls in that half).

    Splitting it half and half makes the raw share's draws exactly Jeffreys' posterior
    ``Beta(k + 1/2, n - k + 1/2)`` (the Dirichlet's yes-cells add up to a Beta); spreading it
    like the labelled items keeps the pseudo-item's score cells realistic for the
    corrections, which read each cell's score."""
    seen = rates.pos.counts + rates.neg.counts
    out = np.zeros(2 * bins)
    for half in (slice(0, bins), slice(bins, 2 * bins)):
        part = seen[half]
        total = float(part.sum())
        out[half] = (items / 2) * (part / total if total > 0 else np.full(bins, 1.0 / bins))
    return out


def _resample(rng: np.random.Generator, counts: np.ndarray, prior: np.ndarray,
              n_boot: int) -> np.ndarray:
    """Bootstrap draws of a group's cell shares: the posterior Dirichlet of the group's cell
    counts plus ``prior`` (:func:`_prior`), drawn for the cells where either is non-zero.
    With counts alone this is the Bayesian bootstrap (Rubin 1981): same mean as the
    multinomial bootstrap, variance ``q (1 - q) / (n + 1)`` instead of ``/ n``, several times
    cheaper; but no spread at all when the group has one item, which the prior adds.
    Drawn as normalised gammas (what ``Generator.dirichlet`` does for these shapes)."""
    alpha = counts + prior
    out = np.zeros((n_boot, len(alpha)))
    nz = alpha > 0
    g = rng.standard_gamma(alpha[nz], size=(n_boot, int(nz.sum())))
    out[:, nz] = g / np.maximum(g.sum(axis=1, keepdims=True), 1e-300)
    return out


def _interval(draws: np.ndarray, point: float) -> tuple[float | None, float | None]:
    """The 2.5th and 97.5th percentiles of ``draws``, widened where needed to hold ``point``
    (as Jeffreys' interval is, by convention, for 0 or n of n: the upper limit of a group
    whose items are all predicted yes is 100%). Only a group of a few items needs it: its
    draws lean toward the prior, its point estimate does not."""
    low, high = float(np.percentile(draws, 2.5)), float(np.percentile(draws, 97.5))
    return _r(min(low, point)), _r(max(high, point))


def _finish(out: Estimate, point: float, draws: np.ndarray, n: int, min_items: int) -> Estimate:
    out.estimate = _r(point)
    out.low, out.high = _interval(draws, point)
    out.draws = draws
    few = too_few(n, min_items)
    if few:
        out.status = _join(few, out.status)
    return out


#: what a small group's status starts with (:func:`too_few`)
TOO_FEW = "too few items"


def too_few(n: int, min_items: int = MIN_ITEMS) -> str:
    """The status of a group of ``n`` items when that is fewer than ``min_items`` (else ""):
    ``too few items: n=1 (fewer than 30)``, the count itself, so that a one-item group's
    interval is read for what it is."""
    return f"{TOO_FEW}: n={n} (fewer than {min_items})" if n < min_items else ""


def is_too_few(status: str) -> bool:
    """Whether a row's status flags its group as too small to say much."""
    return status.startswith(TOO_FEW)


#: what a fully labelled group's status starts with (:func:`with_known`): its share is
#: exact, so it is no flag
EXACT = "every item labelled"


def is_flagged(status: str) -> bool:
    """Whether a row's status flags it (drawn hollow, read with care): anything but ``ok``
    and a fully labelled group's exact share (:data:`EXACT`)."""
    return status != "ok" and not status.startswith(EXACT)


def with_known(e: Estimate, known: int, positives: int, *, total: int | None = None,
               min_items: int = MIN_ITEMS, n_boot: int | None = None) -> Estimate:
    """``e`` (the estimate over a group's items nobody labelled) for the whole group, whose
    ``known`` labelled items are facts: ``positives`` of them have the label. The group's
    share is ``(positives + share x unlabelled) / items``, and so are its interval, its
    draws and every method's share (a finite population: only the unlabelled items are in
    doubt). A group whose items are all labelled has its exact share and no spread; one
    with none is ``e`` unchanged. ``total``: the group's items (default: ``e.n + known``).
    ``n_boot``: how many draws a fully labelled group's exact share repeats (default: as
    many as ``e`` has, else one), so that it lines up draw by draw with its label's other
    groups (:func:`pool`). The raw share (the model's own count) is the caller's to set."""
    n_u = e.n
    n = n_u + known if total is None else total
    if known <= 0 or n <= 0:
        return e

    def mix(x: float | None) -> float | None:
        return None if x is None else _r((positives + x * n_u) / n)

    exact = _r(positives / n)
    if n_u == 0:
        out = Estimate(n, e.raw, e.raw_low, e.raw_high, exact, exact, exact, e.method,
                       status=f"{EXACT}: the share is exact ({positives} of {n})",
                       methods={m: exact for m in METHODS},
                       draws=np.full(n_boot if n_boot is not None else
                                     len(e.draws) if e.draws is not None else 1,
                                     positives / n))
    else:
        status = e.status
        if is_too_few(status):  # the unlabelled part's size; the group's is said below
            status = status.split("; ", 1)[1] if "; " in status else "ok"
        out = Estimate(n, e.raw, e.raw_low, e.raw_high, mix(e.estimate), mix(e.low),
                       mix(e.high), e.method, status,
                       {m: mix(v) for m, v in e.methods.items()}, e.pooled,
                       None if e.draws is None else (positives + e.draws * n_u) / n,
                       e.clipped)
    out.status = _join(too_few(n, min_items), out.status)
    return out


def pool(estimates: list[Estimate], known: Sequence[tuple[int, int]] | None = None
         ) -> list[Estimate]:
    """Partial pooling of one label's groups (empirical Bayes, as in small-area
    estimation): each group's corrected share moves toward the collection's share by
    ``B = tau^2 / (tau^2 + s_g^2)``, where ``s_g^2`` is the group's own sampling variance and
    ``tau^2`` the spread of the true shares between groups, estimated from the data
    (method of moments). A large group, or real differences between groups, keep their
    value; a small noisy group borrows strength from the rest. The interval comes from the
    same bootstrap draws, shrunk draw by draw, with the normal-normal posterior's variance
    ``B s_g^2`` (the estimates must share ``rates_seed``).

    Groups without draws (not corrected, no items) are returned unchanged.

    ``known``: each group's labelled items and how many of them have the label (what
    :func:`with_known` mixed in). Their labels are facts, not estimates: only the share of
    the unlabelled items is pooled (toward the collection's share of unlabelled items,
    weighted by their number) and the known part is added back as it is. A fully labelled
    group (its share exact) is returned unchanged and takes no part in the pooling."""
    known = list(known) if known is not None else [(0, 0)] * len(estimates)
    if len(known) != len(estimates):
        raise ValueError("pool: one (labelled, positives) pair per estimate")
    n_all = np.array([float(e.n) for e in estimates])
    k_all = np.array([float(k) for k, _ in known])
    pos_all = np.array([float(p) for _, p in known])
    usable = [i for i, e in enumerate(estimates)
              if e.draws is not None and e.estimate is not None and n_all[i] > k_all[i]
              and EXACT not in e.status]
    if len(usable) < 3:
        return estimates
    full_n = n_all[usable]
    pos = pos_all[usable]
    n = full_n - k_all[usable]  # the unlabelled items: what is in doubt
    # the unlabelled part's share, and its draws (with_known gave (pos + share x n) / full)
    theta = (full_n * np.array([estimates[i].estimate for i in usable], dtype=float)
             - pos) / n
    D = np.stack([(full_n[k] * np.asarray(estimates[i].draws, dtype=float) - pos[k]) / n[k]
                  for k, i in enumerate(usable)])  # (groups, draws)
    mu_d = (n[:, None] * D).sum(axis=0) / n.sum()  # the collection's share, draw by draw
    mu = float((n * theta).sum() / n.sum())
    s2 = np.var(D - mu_d[None, :], axis=1)  # each group's own noise (shared rates cancel)
    tau2 = max(0.0, float(np.mean((theta - mu) ** 2 - s2)))
    B = tau2 / (tau2 + np.maximum(s2, 1e-12))
    out = list(estimates)
    rng = np.random.default_rng(len(usable))
    for k, i in enumerate(usable):
        e = estimates[i]
        # the normal-normal posterior: variance B s^2 around the shrunk value, i.e. the
        # shrunk draws (B^2 s^2) plus independent noise of variance B (1 - B) s^2
        extra = rng.normal(0.0, np.sqrt(B[k] * (1.0 - B[k]) * s2[k]), size=D.shape[1])
        shrunk = np.clip(mu_d + B[k] * (D[k] - mu_d) + extra, 0.0, 1.0)
        point = float(np.clip(mu + B[k] * (theta[k] - mu), 0.0, 1.0))
        # the labelled items' labels back in, as they are
        shrunk = (pos[k] + shrunk * n[k]) / full_n[k]
        point = float((pos[k] + point * n[k]) / full_n[k])
        out[i] = Estimate(e.n, e.raw, e.raw_low, e.raw_high, _r(point),
                          *_interval(shrunk, point), e.method, e.status, e.methods,
                          pooled=True, draws=shrunk, clipped=e.clipped)
        if e.clipped:  # its draws are not evidence: pooling must not narrow it
            _widen(out[i], (e.low, e.high))
    return out


# -- choosing the method, and the error the bootstrap cannot see --------------------------------


@dataclass
class Choice:
    """The method :func:`choose` picked, each label's between-group error (``model_sd``,
    added to the intervals), and the cross-validated figures of every method."""

    method: str
    model_sd: dict[str, float]
    table: dict[str, dict[str, Any]]
    reason: str
    #: where cc or pcc had the lowest MAE: how much lower than the best correction's, and the
    #: standard error of that difference (:func:`_margin`); None otherwise
    margin: dict[str, Any] | None = None

    @property
    def corrected(self) -> bool:
        """Whether the method chosen corrects the classifier's errors (not cc or pcc)."""
        return self.method not in UNCORRECTED

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "corrected": self.corrected,
                "model_sd": {k: round(v, 4) for k, v in self.model_sd.items()},
                "cross_validation": self.table, "reason": self.reason,
                "uncorrected_margin": None if self.margin is None else {
                    k: round(v, 4) if isinstance(v, float) else v
                    for k, v in self.margin.items()}}


def _sum_rates(label: str, parts: list[ErrorRates], source: str) -> ErrorRates:
    pos, neg = parts[0].pos, parts[0].neg
    for r in parts[1:]:
        pos, neg = pos + r.pos, neg + r.neg
    return ErrorRates(label, pos, neg, source)


def cross_validate(groups: Mapping[str | None, ErrorRates], *, methods: Sequence[str] = METHODS,
                   min_items: int = MIN_ITEMS, n_boot: int = 200, seed: int = 0
                   ) -> list[dict[str, Any]]:
    """Leave one labelled group out: for each group of labelled items (a decade, a source)
    with at least ``min_items`` items, estimate its share of the label from its predictions
    with error rates measured on the *other* groups, as a trend query estimates a group it
    has no labels for. One row per (group, method): the truth, the estimate, the bootstrap
    standard deviation."""
    keys = [g for g, r in groups.items() if g != "*" and r.n_pos + r.n_neg >= min_items]
    rows: list[dict[str, Any]] = []
    if len(keys) < 2:
        return rows
    for k, g in enumerate(keys):
        held = groups[g]
        rest = _sum_rates(held.label, [r for h, r in groups.items() if h not in ("*", g)],
                          f"labelled items outside {g}")
        stats = held.pos + held.neg
        truth = held.n_pos / stats.n
        for m in methods:
            e = estimate(stats, rest, method=m, n_boot=n_boot, seed=seed + k, min_items=0)
            rows.append({"group": g, "method": m, "n": stats.n, "truth": truth,
                         "estimate": e.estimate,
                         "sd": None if e.draws is None else float(np.std(e.draws))})
    return rows


def choose(per_label: Mapping[str, Mapping[str | None, ErrorRates]], *,
           methods: Sequence[str] = METHODS, min_items: int = MIN_ITEMS,
           min_groups: int = MIN_CV_GROUPS, n_boot: int = 200, seed: int = 0) -> Choice:
    """One method for a query's labels, by leave-one-group-out cross-validation on the
    labelled items grouped like the trend (label -> group -> :class:`ErrorRates` of that
    group's labelled items, e.g. ``labelled_rates(..., by=..., strength=0)``).

    The method with the lowest cross-validated mean absolute error among those that give an
    estimate in every held-out group, except that a method which corrects nothing (``cc``,
    ``pcc``) must earn its place: it is used only where its MAE is lower than the best
    correction's by more than the cross-validation's own noise, the standard error of the
    paired difference of absolute errors over the held-out (label, group) cells
    (:func:`_margin`, in ``margin``); otherwise, a tie included, the correction is used.
    Counting is biased toward the labelled share wherever a group's share differs from it,
    which is what the corrections remove; so the burden of proof is on counting, and a tie
    on a few held-out groups is no proof. The chosen method's residuals also measure what
    the bootstrap cannot see, the method's own error from group to group (a classifier
    that errs differently in one decade than on the labelled items): per label
    ``model_sd = tau * sqrt(p (1 - p))``, ``p`` the label's labelled share, ``tau^2`` the
    mean of the squared standardised residuals minus their bootstrap variance (method of
    moments, over every label's groups); or the label's own such figure (unstandardised)
    where its residuals say it is worse than the labels together. With fewer than
    ``min_groups`` usable groups (over all labels), nothing can be measured:
    :data:`DEFAULT_METHOD` and no extra error, said in ``reason``."""
    rows: list[dict[str, Any]] = []
    scale: dict[str, float] = {}
    for label, groups in per_label.items():
        parts = [r for g, r in groups.items() if g != "*"]
        if not parts:
            continue
        total = _sum_rates(label, parts, "")
        p = total.n_pos / max(total.n_pos + total.n_neg, 1)
        scale[label] = float(np.sqrt(max(p * (1 - p), 1e-4)))
        for r in cross_validate(groups, methods=methods, min_items=min_items, n_boot=n_boot,
                                seed=seed):
            rows.append({**r, "label": label})
    held = {(r["label"], r["group"]) for r in rows}
    if len(held) < min_groups:
        return Choice(DEFAULT_METHOD, {lab: 0.0 for lab in per_label}, {},
                      f"default, re-calibrated scores ({DEFAULT_METHOD}): fewer than "
                      f"{min_groups} groups have {min_items} or more labelled items, too few "
                      "to test the methods against each other on a group they have not "
                      "seen (cross-validation); the intervals do not include how much the "
                      "method itself errs from group to group")
    table: dict[str, dict[str, Any]] = {}
    for m in methods:
        mine = [r for r in rows if r["method"] == m]
        ok = [r for r in mine if r["estimate"] is not None]
        if not ok:
            table[m] = {"mae": None, "groups": 0, "without_estimate": len(mine)}
            continue
        err = np.array([r["estimate"] - r["truth"] for r in ok])
        z = np.array([(r["estimate"] - r["truth"]) / scale[r["label"]] for r in ok])
        zs = np.array([r["sd"] / scale[r["label"]] for r in ok])
        tau = float(np.sqrt(max(0.0, float(np.mean(z ** 2 - zs ** 2)))))
        half = 1.96 * np.sqrt(np.array([r["sd"] ** 2 + (tau * scale[r["label"]]) ** 2 for r in ok]))
        table[m] = {"mae": round(float(np.mean(np.abs(err))), 4), "groups": len(ok),
                    "without_estimate": len(mine) - len(ok), "tau": round(tau, 4),
                    "coverage_95_bootstrap_only": round(float(np.mean(
                        np.abs(err) <= 1.96 * np.array([r["sd"] for r in ok]))), 4),
                    "coverage_95_with_tau": round(float(np.mean(np.abs(err) <= half)), 4)}
    eligible = [m for m in methods if table[m]["mae"] is not None
                and table[m]["without_estimate"] == 0]
    best = min(eligible or [DEFAULT_METHOD], key=lambda m: table[m]["mae"] if m in table
               and table[m]["mae"] is not None else np.inf)
    others = [m for m in eligible if m not in UNCORRECTED]
    runner = min(others, key=lambda m: table[m]["mae"]) if others else None
    margin: dict[str, Any] | None = None
    if best in UNCORRECTED and runner is not None:
        margin = _margin(rows, best, runner)
        if margin["difference"] <= max(margin["standard_error"], TIE):
            best, runner = runner, best  # not better by more than the noise: correct
    tau = float(table.get(best, {}).get("tau") or 0.0)
    sd: dict[str, float] = {}
    for lab in per_label:
        mine = [r for r in rows if r["method"] == best and r["label"] == lab
                and r["estimate"] is not None]
        own = (float(np.sqrt(max(0.0, float(np.mean([((r["estimate"] - r["truth"]) ** 2
                                                       - r["sd"] ** 2) for r in mine])))))
               if mine else 0.0)
        sd[lab] = max(tau * scale.get(lab, 0.5), own)
    reason = (f"lowest cross-validated MAE (leave one of {len(held)} (label, group) cells "
              f"of the labelled test split out; methods giving an estimate in every one)")
    if margin is not None and best not in UNCORRECTED:
        assert runner is not None
        reason = (f"{PREFERRED}: {best} had the lowest cross-validated MAE of the corrections "
                  f"({table[best]['mae']}; leave one of {len(held)} (label, group) cells of "
                  f"the labelled test split out), and {runner} (MAE {table[runner]['mae']}), which is not a "
                  f"correction, was not better by more than the cross-validation's noise (MAE "
                  f"difference {margin['difference']:.4f}, standard error "
                  f"{margin['standard_error']:.4f})")
    elif best in UNCORRECTED:
        # a legitimate choice, but the "corrected" share then is the raw one: say so
        reason += (f"; {best} is not a correction, so the corrected share is the model's own "
                   + ("share" if best == "cc" else "mean score")
                   + " in every group: "
                   + (f"it came closer to the labelled groups' true shares (MAE "
                      f"{table[best]['mae']}) than the best correction, {runner} (MAE "
                      f"{table[runner]['mae']}), by more than the cross-validation's noise "
                      f"(MAE difference {margin['difference']:.4f}, standard error "
                      f"{margin['standard_error']:.4f})" if runner and margin else
                      "no correction gave an estimate in every held-out group")
                   + "; pass a method to correct anyway")
    return Choice(best, sd, table, reason, margin)


def _margin(rows: list[dict[str, Any]], uncorrected: str, correction: str) -> dict[str, Any]:
    """How much better the uncorrected method did than the correction over the same held-out
    (label, group) cells: the mean of the paired differences of absolute error (correction's
    minus the uncorrected's, i.e. the difference of their MAEs) and its standard error
    (their standard deviation over the square root of the number of cells; 0 with one cell).
    :func:`choose` keeps the uncorrected method only where the difference exceeds its
    standard error."""
    def errors(m: str) -> dict[tuple[Any, Any], float]:
        return {(r["label"], r["group"]): abs(r["estimate"] - r["truth"]) for r in rows
                if r["method"] == m and r["estimate"] is not None}

    mine, theirs = errors(uncorrected), errors(correction)
    d = np.array([theirs[k] - mine[k] for k in mine if k in theirs])
    se = float(np.std(d, ddof=1) / np.sqrt(len(d))) if len(d) > 1 else 0.0
    return {"uncorrected": uncorrected, "correction": correction,
            "difference": float(d.mean()) if len(d) else 0.0, "standard_error": se,
            "cells": int(len(d))}
