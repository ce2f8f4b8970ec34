"""Clipped corrections (acc, pacc): a group whose count lies outside what the classifier's
measured error rates can explain is flagged, and its interval is never a zero-width or
narrower-than-sampling interval reported as ok (the walkthrough of the subject-indexing
records: 3 of 24 items predicted yes against a false-positive rate of 44% read "0.000,
interval 0.000-0.000, ok")."""

from __future__ import annotations

import numpy as np
import pytest

from glamlab.trends.quantify import (
    AT_BOUND,
    ErrorRates,
    GroupStats,
    estimate,
    is_clipped,
    pool,
)

from .test_quantify import _scores


def _walkthrough_rates() -> ErrorRates:
    """100 labelled items with the label (80 predicted yes), 100 without (44 predicted yes)."""
    y = np.r_[np.ones(100, bool), np.zeros(100, bool)]
    pred = np.r_[np.arange(100) < 80, np.arange(100) < 44]
    s = np.where(pred, 0.7, 0.3)
    return ErrorRates.from_predictions("people", y, s, pred, source="synthetic")


def _group(k: int, n: int, yes: float = 0.7, no: float = 0.1) -> GroupStats:
    p = np.arange(n) < k
    return GroupStats.from_scores(np.where(p, yes, no), p)


@pytest.mark.parametrize("method", ["acc", "pacc"])
@pytest.mark.parametrize("k,n,edge", [(3, 24, 0), (15, 15, 100), (8, 60, 0)])
def test_a_clipped_group_is_flagged_and_keeps_the_uncorrected_share_sampling_interval(
        method, k, n, edge):
    g = _group(k, n, yes=0.7 if edge == 0 else 0.99, no=0.1)
    e = estimate(g, _walkthrough_rates(), method=method, n_boot=500, seed=1)
    assert e.estimate == edge / 100
    assert is_clipped(e.status) and e.clipped, e.status
    assert f"clipped at {edge}%" in e.status and "not reliable" in e.status
    if n < 30:
        assert e.status.startswith(f"too few items: n={n} (fewer than 30); clipped at")
    else:
        assert e.status.startswith("clipped at")
    width = e.high - e.low
    assert width > 0.05  # never the 0-0% (or 98.5-100%) of every draw clipped
    assert e.low <= e.estimate <= e.high
    if method == "acc":  # at least the raw share's Jeffreys interval
        assert e.low <= e.raw_low and e.high >= e.raw_high
    else:  # at least the mean score's (pcc) interval
        pcc = estimate(g, _walkthrough_rates(), method="pcc", n_boot=500, seed=1)
        assert e.low <= pcc.low and e.high >= pcc.high


@pytest.mark.parametrize("method", ["acc", "pacc"])
def test_a_group_inside_the_error_rates_is_not_flagged(method):
    g = _group(30, 50, no=0.3)  # 60% predicted yes: between fpr 44% and tpr 80%, and the
    # mean score (0.54) between the labelled negatives' (0.48) and positives' (0.62)
    e = estimate(g, _walkthrough_rates(), method=method, n_boot=300, seed=1)
    assert e.status == "ok" and not is_clipped(e.status)
    assert 0 < e.estimate < 1


def test_clipped_intervals_cover_the_truth_where_the_classifier_errs_differently():
    """Synthetic groups with known shares, labelled items from one classifier and groups
    where it separates the classes better (a lower false-positive rate, as in a decade it
    finds easy): acc/pacc's count falls below the measured false-positive rate and is
    clipped at 0. Before the fix every draw was clipped too and the interval, 0-0%, missed
    the truth about as often as not; the widened interval covers it."""
    rng = np.random.default_rng(5)
    for method in ("acc", "pacc"):
        hits, widths, flagged = [], [], []
        for i in range(60):
            y = rng.random(400) < 0.5
            s = _scores(rng, y)
            rates = ErrorRates.from_predictions("x", y, s, s >= 0.5)
            share = (0.05, 0.1, 0.9, 0.95)[i % 4]
            yg = rng.random((20, 40, 80)[i % 3]) < share
            sg = _scores(rng, yg, sep=3.5)
            e = estimate(GroupStats.from_scores(sg, sg >= 0.5), rates, method=method,
                         n_boot=300, seed=i)
            if e.estimate in (0.0, 1.0):  # clipped
                hits.append(e.low <= float(yg.mean()) <= e.high)
                widths.append(e.high - e.low)
                flagged.append(is_clipped(e.status))
        assert len(hits) >= 40, (method, len(hits))
        assert np.mean(hits) >= 0.9, (method, np.mean(hits))  # old code: about 0.42 (acc), 0.23 (pacc)
        assert min(widths) > 0.02, (method, min(widths))
        # flagged: those clipped by more than the sampling noise (a group of 20 at 5% is
        # often clipped by noise alone); the flag and the field agree
        assert np.mean(flagged) >= 0.25, (method, np.mean(flagged))


def test_clipped_intervals_stay_honest_under_pure_label_shift():
    """Where the label-shift assumption holds and a share near 0 or 1 is clipped only by
    the group's sampling noise, the widened intervals still hold the truth, and the groups
    are not flagged: the unclipped share's 95% interval reaches back into 0-100%, so it
    would miss the bound about 2.5% of the time (before: every clipped group flagged)."""
    rng = np.random.default_rng(6)
    for method in ("acc", "pacc", "emq"):
        hits, flagged = [], []
        for i in range(80):
            y = rng.random(400) < 0.5
            s = _scores(rng, y)
            rates = ErrorRates.from_predictions("x", y, s, s >= 0.5)
            yg = rng.random((20, 40, 80)[i % 3]) < (0.03, 0.08, 0.92, 0.97)[i % 4]
            sg = _scores(rng, yg)
            e = estimate(GroupStats.from_scores(sg, sg >= 0.5), rates, method=method,
                         n_boot=300, seed=i)
            if e.estimate <= AT_BOUND or e.estimate >= 1 - AT_BOUND:  # clipped
                hits.append(e.low <= float(yg.mean()) <= e.high)
                flagged.append(e.clipped)
                assert e.clipped == is_clipped(e.status)
        assert len(hits) >= 15 and np.mean(hits) >= 0.9, (method, len(hits), np.mean(hits))
        assert np.mean(flagged) <= 0.1, (method, np.mean(flagged))  # before: 1.0 (acc, pacc)


@pytest.mark.parametrize("method", ["acc", "pacc", "emq"])
def test_a_group_clipped_only_by_noise_is_not_flagged_but_keeps_the_wide_interval(method):
    """43 of 100 predicted yes against a false-positive rate of 44%: acc's unclipped share
    is -0.03 with an interval of about +-0.2 (pacc's, from the mean score 0.472 against
    0.476, the same; emq's EM stops at 0). That is noise, not a contradiction of the error
    rates: no flag, status "ok", but the interval still holds the uncorrected share's."""
    rates = _walkthrough_rates()
    g = _group(43, 100, no=0.3)
    e = estimate(g, rates, method=method, n_boot=500, seed=1)
    assert e.estimate <= AT_BOUND
    assert e.status == "ok" and not e.clipped and not is_clipped(e.status)
    ref = {"acc": (e.raw_low, e.raw_high),
           "pacc": _low_high(estimate(g, rates, method="pcc", n_boot=500, seed=1)),
           "emq": _calibrated_interval(g, rates)}[method]
    assert e.low <= ref[0] and e.high >= ref[1] and e.high > 0.3


def _low_high(e):
    return e.low, e.high


def _calibrated_interval(g, rates, n_boot=500, seed=1):
    """The sampling interval of the mean calibrated posterior (cpcc's point, the group's
    draws only): what a clipped emq interval holds."""
    from glamlab.trends.quantify import _calibration, _interval, _prior, _resample

    a, b = _calibration(rates, g.bins)
    qd = _resample(np.random.default_rng(seed), g.counts, _prior(rates, g.bins), n_boot)
    return _interval((qd * (a / (a + b))).sum(axis=1),
                     float((g.counts / g.counts.sum() * (a / (a + b))).sum()))


@pytest.mark.parametrize("k,n,edge", [(8, 60, 0), (20, 200, 0), (60, 60, 100)])
def test_emq_stuck_at_a_bound_is_flagged_like_acc_and_pacc(k, n, edge):
    """EM converging to 0 or 1 in (nearly) every bootstrap draw is acc's clipping by
    another road: the same flag, the same field, an interval widened to hold the
    calibrated share's (cpcc) sampling interval, never the collapsed 0-0% (before: status
    "ok", clipped nowhere)."""
    rates = _walkthrough_rates()
    g = _group(k, n, no=0.3)
    e = estimate(g, rates, method="emq", n_boot=500, seed=1)
    assert e.estimate == edge / 100
    assert e.clipped and is_clipped(e.status), e.status
    assert e.status.startswith(f"clipped at {edge}%") and "not reliable" in e.status
    assert "cpcc" in e.status
    low, high = _calibrated_interval(g, rates)
    assert e.low <= low and e.high >= high and e.high - e.low > 0.05
    assert e.low <= e.estimate <= e.high


def test_emq_inside_is_not_flagged():
    e = estimate(_group(30, 50, no=0.3), _walkthrough_rates(), method="emq", n_boot=300,
                 seed=1)
    assert 0.1 < e.estimate < 0.9 and e.status == "ok" and not e.clipped


def test_pooling_does_not_narrow_a_clipped_group():
    rates = _walkthrough_rates()
    groups = [_group(3, 24), _group(30, 50), _group(35, 50), _group(28, 50)]
    ests = [estimate(g, rates, method="acc", n_boot=300, seed=i, rates_seed=7)
            for i, g in enumerate(groups)]
    assert is_clipped(ests[0].status) and not is_clipped(ests[1].status)
    pooled = pool(ests)
    assert pooled[0].pooled and is_clipped(pooled[0].status) and pooled[0].clipped
    assert pooled[0].low <= ests[0].low and pooled[0].high >= ests[0].high
    assert pooled[0].low <= pooled[0].estimate <= pooled[0].high


def test_cross_validation_figures_do_not_change():
    """The flag and the widening are for what is shown; the draws that the method choice
    reads (the estimate and its spread) stay as they were."""
    rates = _walkthrough_rates()
    e = estimate(_group(3, 24), rates, method="acc", n_boot=300, seed=1)
    assert e.draws is not None and float(np.max(e.draws)) == 0.0 and e.estimate == 0.0
