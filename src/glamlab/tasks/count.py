"""A count task: how many rows of a slot say "yes" (no-shows per day and hotel, per
timed entry, per week).

A tabular project predicts a yes/no outcome per row (did this booking go unused?). Many
needs are about the number per slot instead: a museum sells extra tickets per timed
entry, so what matters is how many of that entry's booked visitors will not come. The
project card's ``[count]`` section makes a tabular project a count task::

    [count]
    slot = "D"        # the slot: a pandas period (h hour, D day, W week, M month)
    metric = "mae"    # mae (mean absolute error per slot) or rmse

The slot is also split by the ``[tabular] group_columns`` (a slot per day *and* hotel).
The rows' model stays the same (a calibrated yes/no model: a slot's expected count is
the sum of its rows' probabilities, and its spread their Poisson-binomial), so what
changes is how the project is judged: ``glamlab backtest`` scores counts per slot by
default, ``glamlab monitor`` estimates and realises the count error per window,
``glamlab retrain`` compares champion and challengers on it, and ``glamlab capacity``
turns the counts into the decision.

>>> set_count_task(ws, slot="D", metric="mae")
>>> count_task(ws)
CountTask(slot='D', metric='mae')
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..config import (
    COUNT_METRICS,
    SLOT_WORDS,
    CountTask,
    check_slot,
    count_section,
)
from ..errors import ConfigError
from ..said import in_words

if TYPE_CHECKING:
    from collections.abc import Sequence

    import pandas as pd

    from ..ingest.columns import TableSchema
    from ..workspace import Workspace


def count_task(ws: Workspace) -> CountTask | None:
    """The project's count task, or None when it predicts one outcome per row."""
    return count_section(ws.card)


def set_count_task(ws: Workspace, *, slot: str = "D", metric: str = "mae") -> CountTask:
    """Make a tabular project a count task (writes ``[count]`` to the card; the
    capacity decision's ``[decision] slot`` follows unless it is set)."""
    if ws.card.modality != "tabular":
        raise ConfigError(f"a count task counts rows of a table; this project is "
                          f"{ws.card.modality}", hint=in_words(
                              "create it with Workspace.init(..., modality='tabular')",
                              "create it with --modality tabular",
                              "create a project whose items are the rows of a table"))
    task = CountTask(slot=slot, metric=metric)
    decision = dict(ws.card.section("decision"))
    decision.setdefault("slot", slot)
    ws.update_card({"count": task.to_card(), "decision": decision})
    return task


def slot_keys(frame: pd.DataFrame, schema: TableSchema, slot: str,
              group_by: Sequence[str] | None = None) -> np.ndarray:
    """A slot number per row (its period and group columns), numbered from 0 in order of
    first appearance. A group value is compared as the table's text of it
    (:func:`glamlab.ingest.columns.category_text`): a missing one (empty, None, NaN) is
    the group ``(missing)``, the same slot whether the rows come from the project's
    table (backtest, monitor, retrain) or from items' metadata (evaluate)."""
    import pandas as pd

    from ..ingest.columns import category_text

    cols = [frame[schema.time_column].dt.to_period(slot).dt.start_time.astype("int64")]
    cols += [category_text(frame[c]) for c in (schema.group_columns if group_by is None
                                               else group_by)]
    keys = pd.MultiIndex.from_arrays(cols) if len(cols) > 1 else pd.Index(cols[0])
    return np.asarray(pd.factorize(keys)[0])


def slot_errors(y: np.ndarray, p: np.ndarray, slots: np.ndarray, k: int) -> np.ndarray:
    """Slots x 2: each of the ``k`` slots' absolute and squared count error (the rows'
    ``p`` summed against their ``y`` summed)."""
    err = (np.bincount(slots, weights=np.asarray(p, float), minlength=k)
           - np.bincount(slots, weights=np.asarray(y, float), minlength=k))
    return np.column_stack([np.abs(err), err**2])


def reduce_count_error(sums: np.ndarray, n: Any, metric: str) -> np.ndarray:
    """The count error (``metric``, mae or rmse) from summed :func:`slot_errors` over
    ``n`` slots (one sum, or one per resample of the slots)."""
    if metric not in COUNT_METRICS:
        raise ConfigError(f"no count metric {metric!r}",
                          hint=f"use {' or '.join(COUNT_METRICS)}")
    n = np.maximum(np.asarray(n, float), 1.0)
    if metric == "rmse":
        return np.asarray(np.sqrt(sums[..., 1] / n))
    return np.asarray(sums[..., 0] / n)


def count_error(y: np.ndarray, p: np.ndarray, slots: np.ndarray, metric: str = "mae",
                weights: np.ndarray | None = None) -> float:
    """The error of the predicted counts (sums of ``p``) against the realised ones (sums
    of ``y``) per slot; ``weights`` weigh the slots (a bootstrap's resample)."""
    k = int(slots.max()) + 1 if len(slots) else 0
    if k == 0:
        return float("nan")
    w = np.ones(k) if weights is None else np.asarray(weights, float)
    w = w * (np.bincount(slots, minlength=k) > 0)
    if w.sum() <= 0:
        return float("nan")
    stats = slot_errors(y, p, slots, k)
    sums = np.array([(w * stats[:, j]).sum() for j in range(stats.shape[1])])
    return float(reduce_count_error(sums, w.sum(), metric))


__all__ = ["COUNT_METRICS", "SLOT_WORDS", "CountTask", "check_slot", "count_error",
           "count_task", "reduce_count_error", "set_count_task", "slot_errors", "slot_keys"]
