"""Quantification methods on synthetic prevalence-shifted data, and against quapy."""

from __future__ import annotations

import numpy as np
import pytest

from glamlab.trends.quantify import (
    METHODS,
    ErrorRates,
    GroupStats,
    cell_of,
    estimate,
    sld,
)


def _scores(rng, y, sep=1.6):
    """A classifier's scores: logistic of a Gaussian whose mean depends on the class."""
    z = rng.normal(np.where(y, sep / 2, -sep / 2), 1.0)
    return 1.0 / (1.0 + np.exp(-z))


def _world(rng, n_lab=2000, lab_share=0.5):
    y = rng.random(n_lab) < lab_share
    s = _scores(rng, y)
    return ErrorRates.from_predictions("x", y, s, s >= 0.5, source="synthetic")


def _group(rng, n, share):
    y = rng.random(n) < share
    s = _scores(rng, y)
    return GroupStats.from_scores(s, s >= 0.5), float(y.mean())


def test_cells_cover_scores_and_predictions():
    c = cell_of([0.0, 0.049, 0.05, 0.999, 1.0, 0.3], [0, 0, 0, 1, 1, 1], bins=20)
    assert c.tolist() == [0, 0, 1, 39, 39, 26]


@pytest.mark.parametrize("share", [0.05, 0.2, 0.8])
def test_corrections_beat_classify_and_count_under_shift(share):
    rng = np.random.default_rng(1)
    rates = _world(rng)
    errs: dict[str, list[float]] = {m: [] for m in METHODS}
    for i in range(20):
        g, truth = _group(rng, 3000, share)
        for m in METHODS:
            e = estimate(g, rates, method=m, n_boot=200, seed=i)
            errs[m].append(abs(e.estimate - truth))
    mae = {m: float(np.mean(v)) for m, v in errs.items()}
    # cc and pcc drift toward the labelled share (0.5); the corrections do not
    for m in ("acc", "pacc", "emq"):
        assert mae[m] < 0.5 * mae["cc"], mae
        assert mae[m] < 0.03, mae
    assert mae["cc"] > 0.08


def test_interval_covers_the_truth_about_95_percent():
    rng = np.random.default_rng(2)
    hits = {m: 0 for m in ("acc", "pacc", "emq")}
    trials = 60
    for i in range(trials):
        rates = _world(rng, n_lab=300)  # a small labelled set: its doubt matters
        g, truth = _group(rng, 200, 0.15)
        for m in hits:
            e = estimate(g, rates, method=m, n_boot=400, seed=i)
            hits[m] += e.low <= truth <= e.high
    for m, h in hits.items():
        assert 0.85 <= h / trials <= 1.0, (m, h)


def _calibrated(rng, n):
    """A weak but calibrated classifier with known error rates: each item's score is its
    probability of the label (uniform on 0.3-0.7); predicted yes at 0.5."""
    s = rng.uniform(0.3, 0.7, n)
    y = rng.random(n) < s
    return s, y


def test_cpcc_interval_holds_the_groups_own_binomial_noise():
    """Groups of 200 items from a weak calibrated classifier (scores 0.3-0.7, the label drawn
    with the score's probability), as many labelled items, no shift: cpcc is unbiased here,
    and its interval must hold each group's realised share about 95% of the time. The mean
    posterior varies little from group to group (scores sit near 0.5), but whether each item
    has the label varies by ``p (1 - p)``: an interval made of the posteriors' spread and the
    calibration's alone (what cpcc had) held the truth about a third of the time."""
    rng = np.random.default_rng(21)
    s, y = _calibrated(rng, 4000)
    rates = ErrorRates.from_predictions("x", y, s, s >= 0.5, source="synthetic")
    trials, hits, widths = 200, 0, []
    for i in range(trials):
        gs, gy = _calibrated(rng, 200)
        e = estimate(GroupStats.from_scores(gs, gs >= 0.5), rates, method="cpcc", n_boot=400,
                     seed=i)
        hits += e.low <= float(gy.mean()) <= e.high
        widths.append(e.high - e.low)
    assert 0.90 <= hits / trials <= 0.99, hits
    # no wider than the binomial interval of a share near 0.5 in 200 items needs (+-6.9
    # points), plus the calibration's and the mix of cells' share
    assert float(np.median(widths)) < 2 * 1.96 * np.sqrt(0.25 / 200) * 1.3, np.median(widths)


def test_interval_widens_with_a_smaller_labelled_set():
    rng = np.random.default_rng(3)
    g, _ = _group(rng, 5000, 0.3)
    big = _world(np.random.default_rng(4), n_lab=20000)
    small = _world(np.random.default_rng(4), n_lab=100)
    wb = estimate(g, big, method="pacc").high - estimate(g, big, method="pacc").low
    ws_ = estimate(g, small, method="pacc").high - estimate(g, small, method="pacc").low
    assert ws_ > 2 * wb


def test_small_and_empty_groups_are_flagged_not_hidden():
    rng = np.random.default_rng(5)
    rates = _world(rng)
    g, _ = _group(rng, 12, 0.3)
    e = estimate(g, rates)
    assert e.status.startswith("too few items") and e.n == 12 and e.estimate is not None
    empty = estimate(GroupStats.empty(), rates)
    assert empty.status == "no items" and empty.estimate is None


@pytest.mark.parametrize("method", METHODS)
def test_a_one_item_group_gets_an_honestly_wide_interval(method):
    """One item predicted yes (score 0.97) says little about its group's share: the raw
    interval is Jeffreys' (about 15% to 100%) and the corrected one is as wide, not the
    near-certain 97%-100% a bootstrap over one item gives; the estimate is inside it."""
    from scipy.stats import beta

    rates = _world(np.random.default_rng(11))
    one = GroupStats.from_scores([0.97], [True])
    e = estimate(one, rates, method=method, n_boot=4000)
    assert e.n == 1 and e.status.startswith("too few items") and e.raw == 1.0
    assert abs(e.raw_low - beta.ppf(0.025, 1.5, 0.5)) < 0.03 and e.raw_high == 1.0
    assert e.low < 0.5 and e.low <= e.estimate <= e.high
    none = estimate(GroupStats.from_scores([0.02], [False]), rates, method=method, n_boot=4000)
    assert none.raw_low == 0.0 and abs(none.raw_high - beta.ppf(0.975, 0.5, 1.5)) < 0.03
    assert none.high > 0.5 and none.low <= none.estimate <= none.high


def test_the_raw_interval_is_jeffreys_and_narrows_with_the_group():
    from scipy.stats import beta

    rates = _world(np.random.default_rng(12))
    widths = []
    for n in (2, 10, 100, 1000):
        k = n // 5
        s = np.r_[np.full(k, 0.8), np.full(n - k, 0.2)]
        e = estimate(GroupStats.from_scores(s, s >= 0.5), rates, n_boot=4000)
        assert abs(e.raw_low - beta.ppf(0.025, k + 0.5, n - k + 0.5)) < 0.02, n
        assert abs(e.raw_high - beta.ppf(0.975, k + 0.5, n - k + 0.5)) < 0.02, n
        widths.append(e.high - e.low)
    assert widths == sorted(widths, reverse=True) and widths[0] > 0.5


@pytest.mark.parametrize(("method", "share"), [("cpcc", 0.5), ("acc", 0.3), ("emq", 0.3)])
def test_tiny_groups_intervals_cover_the_share_they_were_drawn_from(method, share):
    """Groups of two items drawn from a decade with a given share: the interval holds it
    nearly always (a bootstrap over two items cannot: both often fall in one cell, and its
    interval is a point). cpcc is tested without a shift from the labelled share (0.5), which
    it leans toward whatever the group's size: that is what ``model_sd`` adds for."""
    rng = np.random.default_rng(13)
    rates = _world(rng)
    trials = 150
    hits = 0
    for i in range(trials):
        g, _ = _group(rng, 2, share)
        e = estimate(g, rates, method=method, n_boot=400, seed=i)
        hits += e.low <= share <= e.high
    assert hits / trials >= 0.9, hits


def test_a_label_never_seen_in_labelled_items_cannot_be_corrected():
    rng = np.random.default_rng(6)
    s = rng.random(100)
    rates = ErrorRates.from_predictions("x", np.zeros(100, bool), s, s >= 0.5)
    g, _ = _group(rng, 100, 0.3)
    e = estimate(g, rates, method="acc")
    assert e.status.startswith("cannot correct") and e.estimate is None and e.raw is not None


def test_stats_add_up():
    rng = np.random.default_rng(7)
    s = rng.random(50)
    a = GroupStats.from_scores(s[:20], s[:20] > 0.5)
    b = GroupStats.from_scores(s[20:], s[20:] > 0.5)
    whole = GroupStats.from_scores(s, s > 0.5)
    assert np.allclose((a + b).counts, whole.counts) and np.allclose((a + b).sums, whole.sums)


# -- against quapy -----------------------------------------------------------------------------

quapy = pytest.importorskip("quapy")


def test_acc_pacc_cc_pcc_match_quapy_formulas():
    import quapy.functional as F

    rng = np.random.default_rng(8)
    rates = _world(rng)
    g, _ = _group(rng, 1000, 0.25)
    summ = rates.summary()
    cc = g.counts[20:].sum() / g.n
    pcc = g.sums.sum() / g.n
    want_acc = F.solve_adjustment_binary(cc, summ["tpr"], summ["fpr"])
    want_pacc = F.solve_adjustment_binary(pcc, summ["mean_score_positives"],
                                          summ["mean_score_negatives"])
    e = estimate(g, rates, method="acc", all_methods=True, n_boot=50)
    assert e.methods["cc"] == pytest.approx(cc, abs=1e-4)
    assert e.methods["pcc"] == pytest.approx(pcc, abs=1e-4)
    assert e.methods["acc"] == pytest.approx(want_acc, abs=2e-3)  # summary rounds to 4 places
    assert e.methods["pacc"] == pytest.approx(want_pacc, abs=2e-3)


def test_sld_matches_quapy_emq():
    from quapy.method.aggregative import EMQ

    rng = np.random.default_rng(9)
    y = rng.random(2000) < 0.2
    s = _scores(rng, y)
    ours = sld(s, train_prior=0.5)
    theirs, _ = EMQ.EM(np.array([0.5, 0.5]), np.stack([1 - s, s], axis=1))
    assert ours == pytest.approx(theirs[1], abs=1e-3)


def test_binned_emq_agrees_with_sld_on_calibrated_scores():
    """With calibrated scores, EM over labelled cells and SLD over raw posteriors find
    the same share (both are maximum likelihood under label shift)."""
    rng = np.random.default_rng(10)
    # calibrated posteriors under a 0.5 prior: P(y=1|s) = s
    s_lab = rng.random(20000)
    y_lab = rng.random(20000) < s_lab
    rates = ErrorRates.from_predictions("x", y_lab, s_lab, s_lab >= 0.5)
    # a shifted group: resample by class to a 0.2 share
    s = rng.random(60000)
    y = rng.random(60000) < s
    idx = np.concatenate([rng.choice(np.flatnonzero(y), 400), rng.choice(np.flatnonzero(~y), 1600)])
    g = GroupStats.from_scores(s[idx], s[idx] >= 0.5)
    ours = estimate(g, rates, method="emq", n_boot=50).estimate
    assert ours == pytest.approx(sld(s[idx], 0.5), abs=0.03)
    assert ours == pytest.approx(0.2, abs=0.04)


def test_pooling_helps_small_groups_and_keeps_real_differences():
    from glamlab.trends.quantify import pool

    rng = np.random.default_rng(11)
    rates = _world(rng, n_lab=1000)
    for shares, expect_better in (([0.3] * 10, True), ([0.05, 0.9] * 5, False)):
        raw_err, pooled_err, cover = [], [], []
        for rep in range(6):
            groups = [_group(rng, 40, s) for s in shares]
            ests = [estimate(g, rates, method="pacc", n_boot=300, seed=rep * 100 + i,
                             rates_seed=rep) for i, (g, _) in enumerate(groups)]
            pooled = pool(ests)
            for (_g, truth), e, p in zip(groups, ests, pooled, strict=True):
                raw_err.append(abs(e.estimate - truth))
                pooled_err.append(abs(p.estimate - truth))
                cover.append(p.low <= truth <= p.high)
                assert p.pooled and p.n == e.n
        if expect_better:  # no real differences: pooling removes most of the noise
            assert np.mean(pooled_err) < 0.7 * np.mean(raw_err)
        else:  # large real differences: pooling barely moves the estimates
            assert np.mean(pooled_err) < 1.2 * np.mean(raw_err)
        assert np.mean(cover) >= 0.85


def test_blend_leans_on_overall_rates_when_a_group_has_few_labels():
    rng = np.random.default_rng(12)
    overall = _world(rng, n_lab=2000)
    y = np.array([True, False, True])
    s = np.array([0.1, 0.9, 0.2])  # three odd labelled items
    few = ErrorRates.from_predictions("x", y, s, s >= 0.5).blend(overall, 10.0)
    assert abs(few.summary()["tpr"] - overall.summary()["tpr"]) < 0.3
    assert few.n_pos + few.n_neg == pytest.approx(3 + 20, abs=1)


def _two_bin_rates():
    """Labelled items only at scores 0.7 and 0.3: 18 of 20 positives at 0.7, 18 of 20
    negatives at 0.3; every other cell has no labelled item."""
    truth = [True] * 20 + [False] * 20
    scores = [0.7] * 18 + [0.3] * 2 + [0.7] * 2 + [0.3] * 18
    return ErrorRates.from_predictions("x", truth, scores, [s >= 0.5 for s in scores])


def _binned_posteriors(rates, scores, predicted):
    """SLD's input for each item: the positive rate among labelled items in its cell, or its
    cell's centre score where no labelled item fell (cpcc's calibrated posterior there)."""
    bins = rates.pos.bins
    c = cell_of(scores, predicted, bins)
    pos, neg = rates.pos.counts[c], rates.neg.counts[c]
    centre = (c % bins + 0.5) / bins
    return np.where(pos + neg > 0, pos / np.maximum(pos + neg, 1e-12), centre)


def test_emq_counts_items_in_cells_no_labelled_item_fell_in():
    """15 of 15 items predicted yes at 0.99, where no labelled item scored: EM used to drop
    the cell (its items counted as negatives) and said 0% with a 0-100% interval while
    cpcc says 97.5%."""
    rates = _two_bin_rates()
    g = GroupStats.from_scores([0.99] * 15, [True] * 15)
    cpcc = estimate(g, rates, method="cpcc", n_boot=500)
    e = estimate(g, rates, method="emq", n_boot=500)
    assert cpcc.estimate == pytest.approx(0.975)
    assert e.estimate > 0.9
    assert e.low > 0.5 and e.low <= cpcc.estimate <= e.high
    # the mirror image: items predicted no at 0.01 are (nearly) all without the label
    g0 = GroupStats.from_scores([0.01] * 15, [False] * 15)
    e0 = estimate(g0, rates, method="emq", n_boot=500)
    assert e0.estimate < 0.1 and e0.high < 0.5
    # and a group half in labelled, half in unlabelled cells sits between
    mixed = GroupStats.from_scores([0.99] * 20 + [0.3] * 20, [True] * 20 + [False] * 20)
    em = estimate(mixed, rates, method="emq", n_boot=500, all_methods=True)
    assert 0.35 < em.estimate < 0.75
    assert em.methods["emq"] == em.estimate


@pytest.mark.parametrize("unlabelled_items", [0, 25])
def test_emq_matches_quapy_on_binned_posteriors(unlabelled_items):
    """emq is SLD over the binned, calibrated posteriors (quapy's EMQ.EM with the labelled
    share as its training prevalence), with or without items in cells no labelled item
    fell in; with none, nothing changed from the measured cells alone."""
    from quapy.method.aggregative import EMQ

    rng = np.random.default_rng(21)
    y_lab = rng.random(600) < 0.4
    s_lab = np.clip(_scores(rng, y_lab), 0.12, 0.88)  # nothing labelled near 0 or 1
    rates = ErrorRates.from_predictions("x", y_lab, s_lab, s_lab >= 0.5)
    y = rng.random(300) < 0.25
    s = np.clip(_scores(rng, y), 0.12, 0.88)
    s = np.concatenate([s, rng.uniform(0.9, 1.0, unlabelled_items)])
    g = GroupStats.from_scores(s, s >= 0.5)
    post = _binned_posteriors(rates, s, s >= 0.5)
    share = rates.n_pos / (rates.n_pos + rates.n_neg)
    theirs, _ = EMQ.EM(np.array([1 - share, share]), np.stack([1 - post, post], axis=1),
                       epsilon=1e-8)
    e = estimate(g, rates, method="emq", n_boot=200)
    assert e.estimate == pytest.approx(theirs[1], abs=1e-3)
    if unlabelled_items:
        assert e.estimate > estimate(GroupStats.from_scores(s[:300], s[:300] >= 0.5), rates,
                                     method="emq", n_boot=50).estimate
