"""The backtest of a tabular project: rolling origin (monthly) over the period after the
time split, the baselines first, then the model, with week-block bootstrap intervals."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import EvaluationError
from ..registry.tabular import BASELINES, DEFAULT_MODEL, make_predictor
from ..said import in_words
from ..tasks.tabular import project_frame, schema_of, split_frame

if TYPE_CHECKING:
    from collections.abc import Callable

    import pandas as pd

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
    (``[count]`` in the card) is scored by its counts, any other by its rows.

    ``model`` is a predictor (``tabular-gbm``) or a saved model of the project by its
    spec (``gbm-deep@2``, ``tabular-gbm@champion``): then its predictor is trained
    afresh each month with the parameters that model was trained with (``params``
    override them), and the report names it by that spec."""
    import pandas as pd

    from ..predictors.catalogue import params_taken
    from ..tasks.count import count_task
    from .backtest import backtest, one_outcome

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
    if len(t) and start > t.max():  # e.g. the cutoff after the last row: no month to test
        first = t.quantile(0.8).to_period("M").start_time
        raise EvaluationError(
            f"the backtest would start in {start:%B %Y}"
            + ("" if since else f" (the month of the time split's cutoff, {cutoff})")
            + f", after the last row ({t.max().date()}): there is no month to test",
            hint=in_words(
                f"start it inside the rows' time range: since='{first.date()}'"
                + ("" if since else "; or move the cutoff: set_time_split(ws, 'YYYY-MM-DD') "
                                    "(glamlab.tasks.tabular)"),
                f"start it inside the rows' time range: --since {first.date()}"
                + ("" if since else "; or move the cutoff: glamlab labels split --by-time "
                                    "--cutoff YYYY-MM-DD"),
                f"start it inside the rows' time range, from {first.date()}"
                + ("" if since else "; or move the first date of the test rows on the "
                                    "Labelling page")))
    if not origins or t.min() >= start:
        raise EvaluationError(f"no training rows before {start.date()}",
                              hint=in_words("backtest from a later date: since='YYYY-MM-DD'",
                                            "backtest from a later date: --since YYYY-MM-DD",
                                            "backtest from a later date"))
    # every row before the first month has one outcome: nothing to learn (nor to check
    # for leakage) from; say so with the month, before the leakage check's own words
    one = one_outcome(model, start, frame, frame[t < start], schema)
    if one is not None:
        raise one
    if not allow_leaky:  # a leaky column would make every fold look perfect, as in train
        from ..tasks.tabular import require_no_leakage

        require_no_leakage(frame[t < start], schema)
    def maker(name: str, p: dict[str, Any] | None = None) -> Callable[[], TabularPredictor]:
        def make() -> TabularPredictor:
            predictor = make_predictor(ws, name, p)
            if p:  # a value its library refuses while fitting: said as that parameter's
                fit = predictor.fit_table

                def fit_table(frame: pd.DataFrame, y: Any = None) -> TabularPredictor:
                    with params_taken(name, p, only_named=True):
                        return fit(frame, y)
                predictor.fit_table = fit_table  # type: ignore[method-assign]
            return predictor
        return make

    makers = {name: maker(name) for name in BASELINES}
    predictor, params = saved_or_predictor(ws, model, params)
    makers[model] = maker(predictor, params)
    report = backtest(frame, schema, makers, origins=origins,
                      group_by=list(schema.group_columns) if count else None,
                      count_freq=count_freq, count_metric=task.metric if task else "mae",
                      n_boot=n_boot, seed=seed)
    report.notes.extend(split_by_date_notes(ws, frame, cutoff))
    return report


def saved_or_predictor(ws: Workspace, model: str, params: dict[str, Any] | None = None
                       ) -> tuple[str, dict[str, Any] | None]:
    """(the predictor, its parameters) to backtest for ``model``: a predictor name as it
    is; a saved model's spec (``NAME@VERSION`` or ``NAME@ALIAS``) as its predictor with
    the parameters it was trained with (not its table schema: the project's current one),
    ``params`` on top."""
    if "@" not in model:
        return model, params
    from ..registry.models import get_model

    saved = get_model(ws, model)
    kept = {k: v for k, v in (saved.params or {}).items() if k != "schema"}
    return saved.predictor, {**kept, **(params or {})}


def split_by_date_notes(ws: Workspace, frame: pd.DataFrame, cutoff: str) -> list[str]:
    """What to say about rows whose stored split their (corrected) date disagrees with:
    the backtest's folds go by date, so there they count by their date, unlike in train
    and evaluate (:func:`glamlab.tasks.tabular.split_frame`)."""
    from ..tasks.splits import split_of

    schema = schema_of(ws)
    key = schema.id_column or "id"
    if key not in frame.columns or not len(frame):
        return []
    ids = frame[key].astype(str)
    stored = ids.map(split_of(ws, list(ids)))
    after = frame[schema.time_column] >= cutoff
    kept = sorted(ids[(stored == "train") & after])
    held = sorted(ids[(stored == "test") & ~after])
    notes = []
    if held:
        notes.append(f"{_rows(held)} of the test split (kept there: an evaluation read it) "
                     f"{'has' if len(held) == 1 else 'have'} a corrected date before {cutoff}: "
                     "the backtest goes by dates, so here "
                     f"{'it trains' if len(held) == 1 else 'they train'} the folds after that "
                     "date, while evaluate still tests on "
                     f"{'it' if len(held) == 1 else 'them'}.")
    if kept:
        notes.append(f"{_rows(kept)} of the train split (kept there: a saved model learned "
                     f"from {'it' if len(kept) == 1 else 'them'}) "
                     f"{'has' if len(kept) == 1 else 'have'} a corrected date on or after "
                     f"{cutoff}: the backtest goes by dates, so here "
                     f"{'it is' if len(kept) == 1 else 'they are'} scored in the month of "
                     "that date (by models trained afresh on the rows before it).")
    return notes


def _rows(ids: list[str]) -> str:
    shown = ", ".join(repr(i) for i in ids[:5]) + (f" and {len(ids) - 5:,} more"
                                                    if len(ids) > 5 else "")
    return f"{len(ids):,} row{'' if len(ids) == 1 else 's'} ({shown})"


__all__ = ["project_backtest", "split_by_date_notes"]
