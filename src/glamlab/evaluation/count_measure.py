"""A count task's measure on the test split: the count error per slot (``[count]
metric``, mae or rmse, per slot and group), as ``glamlab backtest``, ``monitor`` and
``retrain`` judge the project, for :func:`glamlab.evaluation.evaluate` (its verdict and
the choice of the model in use then go by it, not by the rows' F1).

The rows' predictions are summed per slot, so the bootstrap resamples slots, not rows:
a slot's error is one unit (a row drawn twice would double its slot's error)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from ..items import Item
    from ..workspace import Workspace

Reducer = Callable[[np.ndarray, Any], dict[str, np.ndarray]]


def count_stats(y: np.ndarray, p: np.ndarray, slots: np.ndarray, k: int) -> np.ndarray:
    """Slots x 2: each slot's absolute and squared count error (the rows' ``p`` summed
    against their ``y`` summed)."""
    err = (np.bincount(slots, weights=np.asarray(p, float), minlength=k)
           - np.bincount(slots, weights=np.asarray(y, float), minlength=k))
    return np.column_stack([np.abs(err), err**2])


def count_reducer(metric: str) -> Reducer:
    """The count error of summed :func:`count_stats` over ``n`` slots (one sum, or one per
    resample of the slots)."""
    def reduce(sums: np.ndarray, n: Any) -> dict[str, np.ndarray]:
        n = np.maximum(np.asarray(n, float), 1.0)
        if metric == "rmse":
            return {metric: np.sqrt(sums[..., 1] / n)}
        return {metric: sums[..., 0] / n}
    return reduce


def test_slots(ws: Workspace, items: Sequence[Item]) -> tuple[np.ndarray, int] | None:
    """Each test row's slot (its period and group columns) and the number of slots, for a
    count task (None otherwise, or when a row has no date)."""
    import pandas as pd

    from ..tasks.count import count_task
    from ..tasks.tabular import schema_of

    task = count_task(ws)
    if task is None or not items:
        return None
    schema = schema_of(ws)
    times = pd.to_datetime(pd.Series([i.meta.get(schema.time_column) for i in items]),
                           errors="coerce")
    if times.isna().any():
        return None
    keys = [times.dt.to_period(task.slot).dt.start_time.astype("int64")]
    keys += [pd.Series([str(i.meta.get(c)) for i in items]) for c in schema.group_columns]
    index = pd.MultiIndex.from_arrays(keys) if len(keys) > 1 else pd.Index(keys[0])
    codes, uniques = pd.factorize(index)
    return np.asarray(codes), len(uniques)


__all__ = ["count_reducer", "count_stats", "test_slots"]
