"""Bootstrap intervals, paired comparisons and slices on cases with known answers."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
from scipy import stats as sps

from glamlab.evaluation.bootstrap import (
    Resamples,
    bootstrap_ci,
    bootstrap_counts,
    format_p,
    holm,
    mcnemar,
    paired_bootstrap,
    slice_metrics,
)
from glamlab.tasks.kinds import classification_metrics as M


def _reduce(sums, n, k):
    return M.single_label_metrics(sums, n, k)


def _case(n: int, acc: float, seed: int = 1, k: int = 2):
    rng = np.random.default_rng(seed)
    t = rng.integers(0, k, n)
    wrong = rng.random(n) > acc
    p = np.where(wrong, (t + 1) % k, t)
    return t, p


def test_bootstrap_counts_rows_are_resamples() -> None:
    W = bootstrap_counts(50, 200, seed=3).matrix()
    assert W.shape == (200, 50)
    np.testing.assert_array_equal(W.sum(axis=1), 50)
    assert (W >= 0).all()


def test_chunked_resamples_match_their_matrix_and_are_seeded() -> None:
    S = np.random.default_rng(0).random((300, 4))
    small = Resamples(300, 50, seed=2, max_cells=300 * 7)  # chunks of 7 resamples
    assert small.chunk == 7
    np.testing.assert_allclose(small @ S, small.matrix() @ S)
    np.testing.assert_array_equal(small.matrix(), Resamples(300, 50, 2, 300 * 7).matrix())
    assert not np.array_equal(small.matrix(), Resamples(300, 50, 3, 300 * 7).matrix())


def test_vectorised_bootstrap_equals_the_naive_loop() -> None:
    t, p = _case(120, 0.8)
    S = M.single_label_stats(t, p, 2)
    reduce = partial(_reduce, k=2)
    n_boot, seed, n = 300, 7, len(t)
    ci = bootstrap_ci(S, reduce, ["accuracy", "f1_macro"], n_boot=n_boot, seed=seed)
    # the same draws, one resample at a time, through the scikit-learn-checked metrics
    W = bootstrap_counts(n, n_boot, seed).matrix().astype(int)
    draws = [np.repeat(np.arange(n), row) for row in W]
    accs = [M.accuracy(list(t[d]), list(p[d])) for d in draws]
    f1s = [M.f1(list(t[d]), list(p[d]), "macro") for d in draws]
    assert ci["accuracy"]["low"] == pytest.approx(np.percentile(accs, 2.5))
    assert ci["accuracy"]["high"] == pytest.approx(np.percentile(accs, 97.5))
    assert ci["f1_macro"]["low"] == pytest.approx(np.percentile(f1s, 2.5))
    assert ci["accuracy"]["value"] == pytest.approx(float((t == p).mean()))
    assert ci["accuracy"]["low"] < ci["accuracy"]["value"] < ci["accuracy"]["high"]


def test_interval_narrows_with_more_items() -> None:
    widths = []
    for n in (100, 2000):
        t, p = _case(n, 0.8)
        ci = bootstrap_ci(M.single_label_stats(t, p, 2), partial(_reduce, k=2), ["accuracy"])
        widths.append(ci["accuracy"]["high"] - ci["accuracy"]["low"])
    assert widths[1] < widths[0] / 2


def test_paired_bootstrap_identical_candidates_show_no_difference() -> None:
    t, p = _case(200, 0.7)
    S = M.single_label_stats(t, p, 2)
    cmp = paired_bootstrap(S, S.copy(), partial(_reduce, k=2), "accuracy", names=("A", "B"))
    assert cmp.difference == 0
    assert cmp.p_value == 1.0
    assert cmp.verdict.startswith("no detectable difference")


def test_paired_bootstrap_finds_a_clear_winner() -> None:
    t, pa = _case(300, 0.6, seed=2)
    S_a = M.single_label_stats(t, pa, 2)
    S_b = M.single_label_stats(t, t, 2)  # always right
    cmp = paired_bootstrap(S_a, S_b, partial(_reduce, k=2), "accuracy", names=("A", "B"))
    assert cmp.difference > 0.3
    assert cmp.p_value < 0.005
    assert cmp.verdict == f"B is better than A (B minus A: {cmp.difference:+.3f}, p < 0.001)"
    flipped = paired_bootstrap(S_b, S_a, partial(_reduce, k=2), "accuracy", names=("B", "A"))
    assert flipped.verdict == (f"B is better than A (A minus B: {flipped.difference:+.3f}, "
                               "p < 0.001)")
    assert flipped.difference < 0  # the sign follows the words: A minus B


def test_comparison_verdict_names_what_the_difference_subtracts() -> None:
    """The sign of a difference is read with what it subtracts, so "between X and Y
    (difference +0.001)" cannot be read as Y - X by one reader and X - Y by another."""
    from glamlab.evaluation.bootstrap import Comparison

    cmp = Comparison("m@2", "m@1", "f1", 0.500, 0.501, 0.001, -0.01, 0.012, 0.6, 1000,
                     {"only_a_right": 3, "only_b_right": 5})
    assert "(m@1 minus m@2: +0.001," in cmp.verdict
    other = cmp.flipped()
    assert (other.a, other.b, other.difference) == ("m@1", "m@2", -0.001)
    assert (other.low, other.high) == (-0.012, 0.01)
    assert other.mcnemar == {"only_a_right": 5, "only_b_right": 3}
    worded = other.describe("champion", "challenger")
    assert worded == ("no detectable difference between champion m@1 and challenger m@2 on f1 "
                      "(challenger minus champion: -0.001, p = 0.600)"), worded


def test_paired_bootstrap_small_difference_is_not_significant() -> None:
    t, pa = _case(100, 0.8, seed=4)
    pb = pa.copy()
    wrong = np.flatnonzero(pa != t)
    pb[wrong[0]] = t[wrong[0]]  # B fixes one item out of 100
    cmp = paired_bootstrap(M.single_label_stats(t, pa, 2), M.single_label_stats(t, pb, 2),
                           partial(_reduce, k=2), "accuracy")
    assert cmp.difference == pytest.approx(0.01)
    assert not cmp.significant


def test_mcnemar_exact_known_answer() -> None:
    a = np.array([False] * 10 + [True] * 40)
    b = np.array([True] * 10 + [True] * 40)  # B right on 10 items A got wrong, never worse
    r = mcnemar(a, b)
    assert r["method"] == "exact"
    assert r["only_b_right"] == 10 and r["only_a_right"] == 0
    assert r["p_value"] == pytest.approx(2 * 0.5 ** 10)


def test_mcnemar_chi2_with_continuity_known_answer() -> None:
    a = np.array([True] * 10 + [False] * 30 + [True] * 60)
    b = np.array([False] * 10 + [True] * 30 + [True] * 60)
    r = mcnemar(a, b)
    assert r["method"] == "chi2-continuity"
    assert r["statistic"] == pytest.approx((abs(10 - 30) - 1) ** 2 / 40)
    assert r["p_value"] == pytest.approx(sps.chi2.sf(9.025, 1))
    assert r["p_value"] == pytest.approx(0.00266, abs=1e-4)


def test_holm_adjustment() -> None:
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])


def test_format_p() -> None:
    assert format_p(0.0031) == "p = 0.003"
    assert format_p(0.0004) == "p < 0.001"


def test_slices_flag_the_slice_that_does_worse() -> None:
    rng = np.random.default_rng(0)
    n = 300
    t = rng.integers(0, 2, n)
    p = t.copy()
    group = np.array(["a"] * 100 + ["b"] * 100 + ["c"] * 90 + ["tiny"] * 10)
    bad = np.flatnonzero(group == "c")
    p[bad[: 45]] = 1 - t[bad[: 45]]  # half wrong in slice c
    noise = rng.choice(np.flatnonzero(group != "c"), 10, replace=False)
    p[noise] = 1 - t[noise]
    S = M.single_label_stats(t, p, 2)
    rows = {r["value"]: r for r in slice_metrics(S, partial(_reduce, k=2), "accuracy",
                                                 list(group), min_size=20, n_perm=500)}
    assert rows["c"]["worse"] is True
    assert rows["c"]["p_value"] < 0.05
    assert rows["a"]["worse"] is False and rows["b"]["worse"] is False
    assert rows["tiny"]["worse"] is None and "too few" in rows["tiny"]["note"]
    assert rows["c"]["accuracy"] == pytest.approx(0.5)


@pytest.mark.parametrize("distinct_rows", [2, 200])
def test_the_slice_test_permutes_it_does_not_resample(distinct_rows) -> None:
    """The null draws sets of distinct items (a permutation test): a set of all n items
    sums to the total every time, and no draw holds more copies of a row than exist."""
    from glamlab.evaluation.bootstrap import _random_subset_sums

    rng = np.random.default_rng(0)
    n = 200
    S = (np.arange(n)[:, None] % distinct_rows == np.arange(2)[None, :]).astype(float)
    S = np.hstack([S, (np.arange(n) % distinct_rows)[:, None].astype(float)])
    full = _random_subset_sums(S, n, 50, rng)
    assert np.allclose(full, S.sum(axis=0))
    m = 150
    draws = _random_subset_sums(S, m, 200, rng)
    assert (draws[:, 0] <= S[:, 0].sum()).all() and (draws[:, 1] <= S[:, 1].sum()).all()
