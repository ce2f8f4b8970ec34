"""Time-aware evaluation of tabular predictors: a split by time and a rolling-origin
backtest, never a random split.

- :func:`time_split`: train on rows before ``cutoff``, test on rows from it on;
- :func:`backtest`: for each origin (the first day of every month by default), train
  on everything before it and predict the next ``horizon`` (a month); the error of each
  fold shows how error changes over time, and the folds pooled give the overall score.

Scores come with 95% intervals from a **block bootstrap over weeks** of the time
column: rows of the same week share weather, holidays and events, so resampling single
rows would make the intervals too narrow. A yes/no task reports F1 (at 0.5), ROC AUC and
the Brier score; a count task (``group_by``: a number per period and group, e.g.
cancellations per arrival day and hotel) reports the mean absolute error of the summed
probabilities against the realised counts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import EvaluationError, PredictorError
from ..ingest.columns import TableSchema

if TYPE_CHECKING:
    import pandas as pd

    from ..predictors.tabular import TabularPredictor

Factory = Callable[[], "TabularPredictor"]
BINARY_METRICS = ("f1", "auc", "brier")
#: what the text, the HTML report and the evaluate page say in place of a figure that
#: could not be measured: a ranking (AUC) over rows that all have the same outcome (a
#: quiet month in which nobody cancelled) has no value; ``--json`` writes it as null
NOT_MEASURED = "not enough outcomes: only one kind in these rows"


def no_positive(positive: str | None = None) -> str:
    """What stands in place of an F1 over rows none of which has the outcome it finds
    (a month in which nobody cancelled): there was nothing to find, so the F1 is not 0
    ("found none") but not measurable. ``positive``: that outcome in words
    (``is_canceled = 1``)."""
    said = f"'{positive}'" if positive else "the outcome it finds"
    return f"not measurable: no row here has {said}, so there was nothing to find"


def never_yes(positive: str | None = None) -> str:
    """Why a model's F1 is 0 with the interval [0, 0]: it never predicts the outcome
    (a baseline whose share of 'yes' stays below one half on every row), so it finds
    none. ``positive``: that outcome in words (``is_canceled = 1``)."""
    said = f"'{positive}'" if positive else "'yes'"
    return (f"it never predicts {said} (its chance stays below 0.5 on every row), so it "
            "finds none")


def not_measured(metric: str, positive: str | None = None) -> str:
    """Why ``metric`` has no value over some rows, in words: an F1 over rows without
    the outcome it finds (:func:`no_positive`), else :data:`NOT_MEASURED` (a ranking
    over rows of one outcome)."""
    return no_positive(positive) if metric.lower() == "f1" else NOT_MEASURED


def _finite(value: Any) -> bool:
    return value is not None and bool(np.isfinite(value))


def figure(score: Mapping[str, Any], why: str = NOT_MEASURED) -> str:
    """One score with its 95% interval as the text and the pages show it
    (``0.812 [0.790, 0.830]``), ``why`` it could not be measured (:func:`not_measured`;
    :data:`NOT_MEASURED` by default) where it has no value (NaN, or None as the stored
    JSON keeps it), never ``nan``."""
    value, low, high = score.get("value"), score.get("low"), score.get("high")
    if not _finite(value):
        return why
    if not (_finite(low) and _finite(high)):  # no resample had both outcomes
        return f"{value:.3f} (no interval: {why})"
    return f"{value:.3f} [{low:.3f}, {high:.3f}]"


# -- splitting ---------------------------------------------------------------------------
def time_split(frame: pd.DataFrame, schema: TableSchema, cutoff: Any
               ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows before ``cutoff`` (a date) and rows from it on."""
    import pandas as pd

    t = frame[schema.time_column]
    cut = pd.Timestamp(cutoff)
    train, test = frame[t < cut], frame[t >= cut]
    if train.empty or test.empty:
        raise EvaluationError(f"the cutoff {cut.date()} leaves "
                              f"{'no training' if train.empty else 'no test'} rows "
                              f"(the rows run from {t.min().date()} to {t.max().date()})",
                              hint="choose a cutoff inside that range")
    return train, test


def monthly_origins(frame: pd.DataFrame, schema: TableSchema, *, start: Any,
                    end: Any = None) -> list[Any]:
    import pandas as pd

    t = frame[schema.time_column]
    last = pd.Timestamp(end) if end is not None else t.max()
    return list(pd.date_range(pd.Timestamp(start), last, freq="MS"))


# -- scores with intervals -------------------------------------------------------------------
def weeks_of(times: pd.Series) -> np.ndarray:
    days = times.to_numpy().astype("datetime64[D]").astype(np.int64)
    _, idx = np.unique((days + 3) // 7, return_inverse=True)  # weeks from Monday
    return np.asarray(idx)


def block_weights(groups: np.ndarray, n_boot: int, seed: int) -> np.ndarray:
    """(n_boot, n_groups) counts: how often each block is drawn in each resample."""
    from .bootstrap import check_n_boot

    n_boot = check_n_boot(n_boot)
    k = int(groups.max()) + 1 if len(groups) else 0
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, k, size=(n_boot, k))
    return np.stack([np.bincount(d, minlength=k) for d in draws]).astype(float)


def binary_scores(y: np.ndarray, p: np.ndarray, weeks: np.ndarray, *, n_boot: int = 400,
                  seed: int = 0, threshold: float = 0.5) -> dict[str, dict[str, float]]:
    """F1, ROC AUC and Brier with week-block bootstrap intervals. The F1 of rows none of
    which has the outcome (``y`` all 0) is NaN, not 0: there was nothing to find; its
    interval leaves out the resamples without one."""
    from sklearn.metrics import roc_auc_score

    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    pred = p >= threshold
    k = int(weeks.max()) + 1
    S = np.stack([np.bincount(weeks, weights=w, minlength=k) for w in
                  (pred * y, pred * (1 - y), (~pred) * y, (p - y) ** 2, np.ones_like(y))], 1)
    W = block_weights(weeks, n_boot, seed)
    B = W @ S

    def f1(s: np.ndarray) -> np.ndarray:
        value = 2 * s[..., 0] / np.maximum(2 * s[..., 0] + s[..., 1] + s[..., 2], 1e-12)
        # no row with the outcome (no true positive, no false negative): not measurable
        return np.asarray(np.where(s[..., 0] + s[..., 2] > 0, value, np.nan))

    out: dict[str, dict[str, float]] = {}
    total = S.sum(0)
    boot = f1(B)
    out["f1"] = _ci(float(f1(total)), boot[np.isfinite(boot)])
    out["brier"] = _ci(float(total[3] / total[4]), B[:, 3] / np.maximum(B[:, 4], 1))
    if len(np.unique(y)) == 2:
        aucs = []
        for row in W[: min(n_boot, 200)]:
            w = row[weeks]
            if len(np.unique(y[w > 0])) == 2:
                aucs.append(roc_auc_score(y, p, sample_weight=w))
        out["auc"] = _ci(float(roc_auc_score(y, p)), np.array(aucs))
    else:
        out["auc"] = {"value": float("nan"), "low": float("nan"), "high": float("nan")}
    return out


def _ci(value: float, boot: np.ndarray) -> dict[str, float]:
    lo, hi = (np.percentile(boot, [2.5, 97.5]) if len(boot) else (np.nan, np.nan))
    return {"value": round(value, 6), "low": round(float(lo), 6), "high": round(float(hi), 6)}


def group_counts(frame: pd.DataFrame, schema: TableSchema, p: np.ndarray, *,
                 group_by: Sequence[str] = (), freq: str = "D") -> pd.DataFrame:
    """A count per period and group: rows, predicted count (the sum of the rows'
    probabilities) and, where the outcome is known, the realised count."""
    import pandas as pd

    keys = [frame[schema.time_column].dt.to_period(freq).dt.start_time.rename("period")]
    keys += [frame[c] for c in group_by]
    data = pd.DataFrame({"rows": 1.0, "predicted": np.asarray(p, dtype=float)},
                        index=frame.index)
    if schema.label_column and schema.label_column in frame.columns:
        data["realised"] = frame[schema.label_column].astype(float)
    return data.groupby(keys, observed=True, dropna=False).sum().reset_index()


def count_scores(counts: pd.DataFrame, *, n_boot: int = 400, seed: int = 0
                 ) -> dict[str, dict[str, float]]:
    """Mean absolute error and root mean squared error of the predicted counts, with
    week-block intervals."""
    diff = (counts["predicted"] - counts["realised"]).to_numpy()
    err = np.abs(diff)
    weeks = weeks_of(counts["period"])
    k = int(weeks.max()) + 1
    S = np.stack([np.bincount(weeks, weights=err, minlength=k),
                  np.bincount(weeks, weights=diff**2, minlength=k),
                  np.bincount(weeks, minlength=k).astype(float)], 1)
    B = block_weights(weeks, n_boot, seed) @ S
    n = np.maximum(B[:, 2], 1)
    mean_realised = float(counts["realised"].mean())
    return {"mae": _ci(float(err.mean()), B[:, 0] / n),
            "rmse": _ci(float(np.sqrt((diff**2).mean())), np.sqrt(B[:, 1] / n)),
            "mean_count": {"value": round(mean_realised, 6), "low": mean_realised,
                           "high": mean_realised}}


# -- reports ---------------------------------------------------------------------------------
@dataclass
class Fold:
    origin: str
    end: str
    train_rows: int
    test_rows: int
    scores: dict[str, dict[str, float]]  # model -> metric -> value

    def to_dict(self) -> dict[str, Any]:
        return {"origin": self.origin, "end": self.end, "train_rows": self.train_rows,
                "test_rows": self.test_rows, "scores": self.scores}


@dataclass
class BacktestReport:
    task: str  # binary | count
    metric: str
    models: list[str]
    folds: list[Fold]
    overall: dict[str, dict[str, dict[str, float]]]  # model -> metric -> value/low/high
    predictions: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    test_index: Any = field(default=None, repr=False)
    #: what to know about the rows (e.g. rows whose stored split their date disagrees with)
    notes: list[str] = field(default_factory=list)
    #: the outcome a yes/no task's F1 is measured for, in words (``is_canceled = 1``:
    #: ``TableSchema.positive_outcome``); the text and pages name the F1 after it
    positive: str | None = None

    def never_predicts(self) -> list[str]:
        """The models of a yes/no backtest that never predict the outcome on any row (a
        chance of at least 0.5): their F1 is 0 [0, 0], which the text and pages explain."""
        if self.task != "binary":
            return []
        return [m for m in self.models if m in self.predictions
                and not bool((np.asarray(self.predictions[m]) >= 0.5).any())]

    def f1_figure(self, model: str, score: Mapping[str, Any]) -> str:
        """``model``'s F1 as :func:`figure` says it, with why it is 0 where the model
        never predicts the outcome."""
        shown = figure(score, no_positive(self.positive))
        if model in self.never_predicts() and _finite(score.get("value")):
            shown += f" ({never_yes(self.positive)})"
        return shown

    @property
    def metric_words(self) -> str:
        """The headline measure as people read it: ``F1 for 'is_canceled = 1'`` (the F1
        of that outcome alone, not evaluate's average over outcomes), else its name."""
        from ..ingest.columns import f1_for

        return f1_for(self.positive) if self.metric == "f1" and self.positive else self.metric

    @property
    def not_measured(self) -> str:
        """Why the headline measure has no value where it has none, in words."""
        return not_measured(self.metric, self.positive)

    def unmeasured_months(self) -> list[str]:
        """The months (``2017-08``) whose headline measure no model has a value of (an F1
        where nobody cancelled)."""
        return [f.origin[:7] for f in self.folds
                if not any(_finite(f.scores[m].get(self.metric)) for m in self.models)]

    def to_dict(self) -> dict[str, Any]:
        return {"task": self.task, "metric": self.metric, "models": self.models,
                "overall": self.overall, "folds": [f.to_dict() for f in self.folds],
                "notes": list(self.notes), "never_yes": self.never_predicts()}

    def summary(self) -> str:
        lines = [f"{'Time split' if len(self.folds) == 1 else 'Rolling-origin backtest'} "
                 f"({len(self.folds)} fold{'s' if len(self.folds) != 1 else ''}), "
                 f"{self.metric_words} with 95% intervals (weeks resampled):"]
        for m in self.models:
            score = self.overall[m][self.metric]
            lines.append(f"  {m:24s} " + (self.f1_figure(m, score) if self.metric == "f1"
                                          else figure(score, self.not_measured)))
        return "\n".join([*lines, *(f"Note: {n}" for n in self.notes)])

    def unmeasured(self) -> list[str]:
        """The measures (besides the headline) that no model has a value of: the AUC of
        months whose rows all have one outcome."""
        return [k for k in dict.fromkeys(k for m in self.models for k in self.overall[m])
                if k != self.metric
                and not any(_finite(self.overall[m][k].get("value")) for m in self.models)]



def backtest(frame: pd.DataFrame, schema: TableSchema, models: Mapping[str, Factory], *,
             origins: Sequence[Any], horizon: str = "MS", group_by: Sequence[str] | None = None,
             count_freq: str = "D", count_metric: str = "mae", n_boot: int = 400,
             seed: int = 0) -> BacktestReport:
    """Train each model on the rows before each origin, predict until the next origin
    (the last fold runs ``horizon`` past its origin), score each fold and all folds
    pooled. ``group_by`` (possibly empty) makes it a count task, judged by
    ``count_metric`` (mae or rmse) per ``count_freq`` period and group."""
    import pandas as pd

    from .bootstrap import check_n_boot

    check_n_boot(n_boot)  # before any model is trained
    if not origins:
        raise EvaluationError("no backtest origins", hint="give at least one origin date")
    if not schema.label_column or schema.label_column not in frame.columns:
        raise EvaluationError("the table has no outcomes to evaluate against",
                              hint=f"import the label column {schema.label_column!r} first")
    task = "binary" if group_by is None else "count"
    metric = "f1" if task == "binary" else count_metric
    t = frame[schema.time_column]
    starts = [pd.Timestamp(o) for o in origins]
    ends = starts[1:] + [starts[-1] + pd.tseries.frequencies.to_offset(horizon)]
    folds: list[Fold] = []
    preds: dict[str, list[np.ndarray]] = {m: [] for m in models}
    index = []
    for start, end in zip(starts, ends, strict=True):
        train = frame[t < start]
        test = frame[(t >= start) & (t < end)]
        test = test[test[schema.label_column].notna()]
        if train.empty or test.empty:
            continue
        scores: dict[str, dict[str, float]] = {}
        for name, make in models.items():
            try:
                p = make().fit_table(train).predict_table(test)
            except (ValueError, PredictorError) as exc:  # say it plainly, with the month
                one = one_outcome(name, start, frame, train, schema)
                if one is not None:  # every row before the month has the same outcome
                    raise one from exc
                if isinstance(exc, PredictorError):
                    raise
                raise _few_rows(name, start, train, schema) from exc  # scikit-learn's
            preds[name].append(p)
            scores[name] = _fold_scores(test, schema, p, group_by, count_freq)
        index.append(test.index.to_numpy())
        folds.append(Fold(str(start.date()), str(end.date()), len(train), len(test), scores))
    if not folds:
        raise EvaluationError("no fold had both training and test rows",
                              hint="choose origins inside the table's time range")
    test_index = np.concatenate(index)
    pooled = frame.loc[test_index]
    overall = {}
    joined = {m: np.concatenate(v) for m, v in preds.items()}
    for name in models:
        if task == "binary":
            overall[name] = binary_scores(pooled[schema.label_column].to_numpy(), joined[name],
                                          weeks_of(pooled[schema.time_column]), n_boot=n_boot,
                                          seed=seed)
        else:
            counts = group_counts(pooled, schema, joined[name], group_by=group_by or (),
                                  freq=count_freq)
            overall[name] = count_scores(counts, n_boot=n_boot, seed=seed)
    return BacktestReport(task, metric, list(models), folds, overall, joined, test_index,
                          positive=schema.positive_outcome if task == "binary" else None)


def _few_rows(name: str, start: pd.Timestamp, train: pd.DataFrame,
              schema: TableSchema) -> EvaluationError:
    """The fold of ``start`` could not be trained: one message naming the month, how
    many training rows it had (and any number column none of them fills), and the fix."""
    empty = [c for c in schema.features if schema.columns.get(c) == "number"
             and c in train.columns and train[c].isna().all()]
    why = (f"; the column{'s' if len(empty) > 1 else ''} "
           f"{', '.join(repr(c) for c in empty)} {'have' if len(empty) > 1 else 'has'} "
           "no value in any of them" if empty else "")
    return EvaluationError(
        f"the backtest cannot train {name} for the month {start:%Y-%m}: only "
        f"{len(train)} training row{'s' if len(train) != 1 else ''} come before it{why}",
        hint=f"choose a later first month for the backtest (after {start:%Y-%m}), so that "
             "more rows come before it")


def one_outcome(name: str, start: pd.Timestamp, frame: pd.DataFrame, train: pd.DataFrame,
                 schema: TableSchema) -> EvaluationError | None:
    """The fold of ``start`` could not be trained because every row before it has the
    same outcome (a model learns nothing from one outcome): one message naming the month,
    the outcome, and the first month that has both outcomes before it (None when the
    rows before it have both)."""
    import pandas as pd

    label, when = schema.label_column, schema.time_column
    assert label is not None
    known = train[label].dropna()
    if known.nunique() != 1:
        return None
    only = known.iloc[0]
    said = int(only) if isinstance(only, float) and only.is_integer() else only
    rows = frame[frame[label].notna()]
    other = rows[rows[label] != only]
    where = f"the month {start:%Y-%m}"
    message = (f"the backtest cannot train {name} for {where}: all {len(known):,} training "
               f"row{'s' if len(known) != 1 else ''} before it have the same outcome "
               f"({label} = {said}), and a model needs rows of both outcomes to learn from")
    if other.empty:
        return EvaluationError(message, hint=f"every row of the table has {label} = {said}: "
                               "bring in rows with the other outcome too")
    both = max(rows[when][rows[label] == only].min(), other[when].min())
    first = (pd.Timestamp(both).to_period("M") + 1).start_time
    return EvaluationError(message, hint=f"choose a later first month for the backtest: "
                           f"{first:%Y-%m} or after, the first month with rows of both "
                           "outcomes before it")


def _fold_scores(test: pd.DataFrame, schema: TableSchema, p: np.ndarray,
                 group_by: Sequence[str] | None, freq: str) -> dict[str, float]:
    from sklearn.metrics import brier_score_loss, f1_score, roc_auc_score

    y = test[schema.label_column].to_numpy()
    if group_by is None:
        auc = roc_auc_score(y, p) if len(np.unique(y)) == 2 else float("nan")
        # a month in which nobody cancelled has no F1 (nothing to find), not 0
        f1 = (f1_score(y, p >= 0.5, zero_division=0.0) if (y == 1).any() else float("nan"))
        return {"f1": round(float(f1), 6),
                "auc": round(float(auc), 6), "brier": round(float(brier_score_loss(y, p)), 6)}
    counts = group_counts(test, schema, p, group_by=group_by, freq=freq)
    diff = (counts["predicted"] - counts["realised"]).to_numpy()
    return {"mae": round(float(np.abs(diff).mean()), 6),
            "rmse": round(float(np.sqrt((diff**2).mean())), 6)}


__all__ = ["NOT_MEASURED", "BacktestReport", "never_yes", "no_positive", "not_measured", "Fold", "backtest", "binary_scores",
           "count_scores", "block_weights", "figure", "group_counts", "monthly_origins", "time_split", "weeks_of"]
