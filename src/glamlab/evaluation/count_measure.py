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


def count_reducer(metric: str) -> Reducer:
    """The count error (:func:`glamlab.tasks.count.reduce_count_error`) of summed
    :func:`glamlab.tasks.count.slot_errors` over ``n`` slots, as the bootstrap reduces."""
    from ..tasks.count import reduce_count_error

    reduce_count_error(np.zeros(2), 1, metric)  # an unknown metric is refused here

    def reduce(sums: np.ndarray, n: Any) -> dict[str, np.ndarray]:
        return {metric: reduce_count_error(sums, n, metric)}
    return reduce


def test_slots(ws: Workspace, items: Sequence[Item]) -> tuple[np.ndarray, int] | None:
    """Each test row's slot (:func:`glamlab.tasks.count.slot_keys`, as backtest, monitor
    and retrain number them) and the number of slots, for a count task (None otherwise,
    or when a row has no date)."""
    import pandas as pd

    from ..tasks.count import count_task, slot_keys
    from ..tasks.tabular import schema_of

    task = count_task(ws)
    if task is None or not items:
        return None
    schema = schema_of(ws)
    times = pd.to_datetime(pd.Series([i.meta.get(schema.time_column) for i in items]),
                           errors="coerce")
    if times.isna().any():
        return None
    frame = pd.DataFrame({c: [i.meta.get(c) for i in items] for c in schema.group_columns},
                         index=times.index, dtype=object)
    frame[schema.time_column] = times
    codes = slot_keys(frame, schema, task.slot)
    return codes, int(codes.max()) + 1


__all__ = ["count_reducer", "test_slots"]
