"""The backtest of a tabular project: rolling origin (monthly) over the period after the
time split, the baselines first, then the model, with week-block bootstrap intervals."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import EvaluationError
from ..registry.tabular import BASELINES, DEFAULT_MODEL, make_predictor
from ..tasks.tabular import project_frame, schema_of, split_frame

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..predictors.tabular import TabularPredictor
    from ..workspace import Workspace
    from .backtest import BacktestReport


def project_backtest(ws: Workspace, *, model: str = DEFAULT_MODEL,
                     params: dict[str, Any] | None = None, since: str | None = None,
                     until: str | None = None, count: bool | None = None,
                     count_freq: str | None = None, n_boot: int = 200, seed: int = 0,
                     allow_leaky: bool = False) -> BacktestReport:
    """Each month from ``since`` (default: the time split) to ``until`` (default: the last
    row): train every predictor on all rows before the month, score the month. ``count``
    scores the number of "yes" per slot (``count_freq`` × the card's group columns) by
    MAE (or the ``[count]`` metric) instead of each row by F1; by default a count task
    (``[count]`` in the card) is scored by its counts, any other by its rows."""
    import pandas as pd

    from ..tasks.count import count_task
    from .backtest import backtest

    task = count_task(ws)
    if count is None:
        count = task is not None
    count_freq = count_freq or (task.slot if task else "D")
    schema = schema_of(ws)
    frame = project_frame(ws, schema=schema)
    if schema.label_column:
        frame = frame[frame[schema.label_column].notna()].reset_index(drop=True)
    _, _, cutoff = split_frame(ws, frame)
    start = pd.Timestamp(since or cutoff).to_period("M").start_time
    t = frame[schema.time_column]
    end = pd.Timestamp(until) if until else t.max()
    origins = list(pd.date_range(start, end, freq="MS"))
    if start not in origins:
        origins.insert(0, start)
    if not origins or t.min() >= start:
        raise EvaluationError(f"no training rows before {start.date()}",
                              hint="backtest from a later date: --since YYYY-MM-DD")
    if not allow_leaky:  # a leaky column would make every fold look perfect, as in train
        from ..tasks.tabular import require_no_leakage

        require_no_leakage(frame[t < start], schema)
    def maker(name: str, p: dict[str, Any] | None = None) -> Callable[[], TabularPredictor]:
        return lambda: make_predictor(ws, name, p)

    makers = {name: maker(name) for name in BASELINES}
    makers[model] = maker(model, params)
    return backtest(frame, schema, makers, origins=origins,
                    group_by=list(schema.group_columns) if count else None,
                    count_freq=count_freq, count_metric=task.metric if task else "mae",
                    n_boot=n_boot, seed=seed)


__all__ = ["project_backtest"]
