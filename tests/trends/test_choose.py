"""Calibrated counting (cpcc), and the per-query choice of method by cross-validation over
the labelled items' own groups, with the between-group error it measures."""

from __future__ import annotations

import numpy as np

from glamlab.trends.quantify import (
    DEFAULT_METHOD,
    ErrorRates,
    GroupStats,
    choose,
    cross_validate,
    estimate,
)


def _labelled_group(rng, n, share, shift=0.0, sep=1.6):
    """Labelled items of one group; ``shift`` moves the scores of both classes (the
    classifier errs differently in this group: what label-shift corrections assume away)."""
    y = rng.random(n) < share
    z = rng.normal(np.where(y, sep / 2, -sep / 2) + shift, 1.0)
    s = 1.0 / (1.0 + np.exp(-z))
    return ErrorRates.from_predictions("x", y, s, s >= 0.5, source="synthetic")


def _truth(r: ErrorRates) -> float:
    return r.n_pos / (r.n_pos + r.n_neg)


def test_cpcc_is_right_without_shift_and_never_leaves_the_unit_interval():
    rng = np.random.default_rng(10)
    rates = _labelled_group(rng, 3000, 0.3)
    errs = {"cc": [], "cpcc": []}
    for i in range(20):
        g = _labelled_group(rng, 500, 0.3)
        for m in errs:
            e = estimate(g.pos + g.neg, rates, method=m, n_boot=100, seed=i)
            assert 0.0 <= e.low <= e.estimate <= e.high <= 1.0
            errs[m].append(abs(e.estimate - _truth(g)))
    # the raw count of a 0.3-share label is biased (false positives > misses); calibrated is not
    assert np.mean(errs["cpcc"]) < 0.5 * np.mean(errs["cc"]), errs
    assert np.mean(errs["cpcc"]) < 0.03


def test_choose_prefers_a_correction_under_pure_label_shift():
    rng = np.random.default_rng(11)
    groups = {str(1900 + 10 * k): _labelled_group(rng, 400, share)
              for k, share in enumerate([0.05, 0.15, 0.3, 0.5, 0.7, 0.85])}
    c = choose({"x": groups}, n_boot=100)
    assert c.method in ("acc", "pacc", "emq"), c.table
    assert c.table[c.method]["mae"] < 0.5 * c.table["cc"]["mae"]


def test_choose_measures_the_error_the_bootstrap_cannot_see():
    """Groups whose classifier behaviour differs (score shifts) and shares near each other:
    the label-shift corrections divide by tpr - fpr and blow up, calibrated counting does
    not; the residuals give a between-group error that brings coverage back to ~95%."""
    rng = np.random.default_rng(12)
    groups = {str(1800 + 10 * k): _labelled_group(rng, 300, 0.3 + 0.05 * rng.standard_normal(),
                                                 shift=rng.normal(0.0, 0.6))
              for k in range(10)}
    c = choose({"x": groups}, n_boot=200)
    assert c.method not in ("acc", "emq"), c.table
    row = c.table[c.method]
    assert row["coverage_95_bootstrap_only"] < 0.8 <= row["coverage_95_with_tau"], row
    assert c.model_sd["x"] > 0.02
    # new groups of the same kind: intervals with the measured error cover them
    rates = ErrorRates("x", GroupStats.empty(), GroupStats.empty())
    for r in groups.values():
        rates = ErrorRates("x", rates.pos + r.pos, rates.neg + r.neg)
    hits = plain = 0
    for i in range(60):
        g = _labelled_group(rng, 300, 0.3 + 0.05 * rng.standard_normal(), shift=rng.normal(0.0, 0.6))
        wide = estimate(g.pos + g.neg, rates, method=c.method, model_sd=c.model_sd["x"], seed=i,
                        n_boot=300)
        narrow = estimate(g.pos + g.neg, rates, method=c.method, seed=i, n_boot=300)
        hits += wide.low <= _truth(g) <= wide.high
        plain += narrow.low <= _truth(g) <= narrow.high
    assert hits / 60 >= 0.88 and plain < hits, (hits, plain)


def test_cross_validation_holds_each_group_out():
    rng = np.random.default_rng(13)
    groups = {"a": _labelled_group(rng, 200, 0.2), "b": _labelled_group(rng, 200, 0.6),
              "c": _labelled_group(rng, 10, 0.5)}  # too small to be held out
    rows = cross_validate(groups, methods=["cc", "acc"], n_boot=50)
    assert {r["group"] for r in rows} == {"a", "b"}
    assert {r["method"] for r in rows} == {"cc", "acc"}
    for r in rows:
        assert r["truth"] == _truth(groups[r["group"]])


def test_too_few_groups_fall_back_to_the_default_and_say_so():
    rng = np.random.default_rng(14)
    c = choose({"x": {"a": _labelled_group(rng, 200, 0.2), "b": _labelled_group(rng, 20, 0.2)}})
    assert c.method == DEFAULT_METHOD and c.model_sd == {"x": 0.0}
    assert "fewer than" in c.reason


def test_the_cli_offers_every_method():
    from glamlab.cli.trends import trends as command
    from glamlab.trends.quantify import METHODS

    option = next(p for p in command.params if p.name == "method")
    assert list(option.type.choices) == list(METHODS)
