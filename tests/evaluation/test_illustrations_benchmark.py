"""The illustrations benchmark's own measures: an F1 interval that brackets F1, and a
cold end-to-end rate with the CPU time per page and the load beside it."""

from __future__ import annotations

import numpy as np

from tests.evaluation.test_benchmark_scoring import _bench


def test_f1_interval_brackets_the_f1_and_narrows_with_more_pages() -> None:
    bench = _bench("illustrations")
    rng = np.random.default_rng(0)
    y = rng.random(400) < 0.5
    pred = np.where(rng.random(400) < 0.85, y, ~y)  # right 85% of the time
    f1 = 2 * (y & pred).sum() / (y.sum() + pred.sum())
    lo, hi = bench.f1_interval(y, pred)
    assert 0 <= lo < f1 < hi <= 1
    lo_small, hi_small = bench.f1_interval(y[:60], pred[:60])
    assert hi_small - lo_small > hi - lo


def test_cold_rate_starts_every_run_with_an_empty_feature_cache() -> None:
    from glamlab.features import MEMORY, active_store

    bench = _bench("illustrations")
    seen: list[object] = []

    class Probe:
        def predict_proba(self, pages: list[object]) -> None:
            seen.append(active_store())
            sum(i * i for i in range(20_000))  # a little CPU work

    rate, cpu, load = bench.cold_rate(Probe(), [object()] * 4, repeats=3)
    assert rate > 0 and cpu > 0 and len(load) == 2
    caches = seen[1:]  # after the warm-up call: one fresh cache per run
    assert len(caches) == 3 and len({id(c) for c in caches}) == 3
    assert all(c is not None and c is not MEMORY and len(c) == 0 for c in caches)
