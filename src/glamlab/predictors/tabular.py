"""Predictors for rows of a table (a yes/no outcome per row, e.g. a booking that is
cancelled or not taken up), with the baselines a forecaster would try first.

- ``tabular-gbm``: gradient-boosted trees on the typed columns (scikit-learn's
  HistGradientBoosting, or LightGBM with ``engine="lightgbm"``), categories handled
  natively, the time column entering only as its season (month, week, weekday: never
  the year, which a model cannot extrapolate), and calibrated on the **latest** part of
  the training period (``auto`` by default: isotonic when those rows hold at least
  :data:`MIN_ISOTONIC` of each outcome, else Platt's sigmoid, since isotonic regression
  on a few outcomes maps every score to exactly 0 or 1), so that its probabilities can be
  summed
  into counts, turned into decisions and used to estimate performance before the
  outcomes are known (:mod:`glamlab.monitoring.estimate`);
- ``tabular-share``: the training share of "yes" for every row;
- ``tabular-last-period``: the share in the last ``days`` of the training period;
- ``tabular-last-year``: the share among training rows of the same period one year
  (52 weeks) earlier, falling back to the training share.

Every one works on a typed table (:meth:`TabularPredictor.fit_table`,
:meth:`TabularPredictor.predict_table`: the probability of "yes" per row) and, through
the common :class:`~glamlab.predictors.base.Predictor` protocol, on ingested items whose
metadata hold the row (the ``schema`` parameter is the card's ``[tabular]`` section).
A count per group (e.g. no-shows per day) is the sum of the rows' probabilities
(:func:`glamlab.evaluation.backtest.group_counts`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from ..errors import MissingDependency, PredictorError
from ..ingest.columns import CATEGORY, DATE, NUMBER, TableSchema, frame_from_items
from .base import Predictor

if TYPE_CHECKING:
    import pandas as pd

    from ..items import Item

MAX_CATEGORIES = 250  # HistGradientBoosting takes at most 255 bins per categorical column
YEAR_DAYS = 364  # 52 weeks: the same weekday one year earlier


class TabularPredictor(Predictor):
    """Base: the schema, the table and item paths, and ``classes_`` ``["0", "1"]``."""

    modalities: ClassVar[tuple[str, ...]] = ("record",)
    supports_multi_label: ClassVar[bool] = False
    batch_size: ClassVar[int] = 4096

    schema: dict[str, Any] | None

    def _schema(self) -> TableSchema:
        if not self.schema:
            raise PredictorError(f"{self.name} needs the table's schema",
                                 hint="pass schema= (the [tabular] section of glamlab.toml)")
        return TableSchema.from_card(self.schema)

    # -- tables ------------------------------------------------------------------------
    def fit_table(self, frame: pd.DataFrame, y: Any = None) -> TabularPredictor:
        """Learn from a typed table (:func:`glamlab.ingest.columns.prepare`); ``y``
        defaults to its label column (0/1)."""
        schema = self._schema()
        if y is None:
            if not schema.label_column or schema.label_column not in frame.columns:
                raise PredictorError(f"{self.name}: the table has no label column",
                                     hint="prepare the table with its label, or pass y")
            y = frame[schema.label_column].to_numpy()
        y = np.asarray(y, dtype=float)
        keep = ~np.isnan(y)
        if not keep.any():
            raise PredictorError(f"{self.name}: no labelled rows", hint="import outcomes first")
        frame = frame.loc[keep].reset_index(drop=True)
        self.classes_ = ["0", "1"]
        self.multi_label_ = False
        self._fit_table(frame, y[keep], schema)
        self.fitted_ = True
        return self

    def predict_table(self, frame: pd.DataFrame) -> np.ndarray:
        """The probability of "yes" for every row."""
        from ..errors import NotFittedError

        if not getattr(self, "fitted_", False):
            raise NotFittedError(f"{self.name}: predict called before fit",
                                 hint="call fit_table(frame) first, or load a saved model")
        if len(frame) == 0:
            return np.zeros(0)
        return np.clip(np.asarray(self._predict_table(frame, self._schema()), dtype=float), 0, 1)

    def _fit_table(self, frame: pd.DataFrame, y: np.ndarray, schema: TableSchema) -> None:
        raise NotImplementedError

    def _predict_table(self, frame: pd.DataFrame, schema: TableSchema) -> np.ndarray:
        raise NotImplementedError

    # -- items (the common protocol) -----------------------------------------------------
    def _positive_index(self) -> int:
        schema = self._schema()
        if schema.positive in self.classes_:
            return self.classes_.index(schema.positive)
        if len(self.classes_) == 2:
            return 1
        raise PredictorError(f"{self.name}: a yes/no task needs two labels, not {self.classes_}",
                             hint="give the task two labels, e.g. --labels 0,1")

    def _fit(self, items: list[Item], Y: np.ndarray) -> None:
        schema = self._schema()
        pos = self._positive_index()
        frame = frame_from_items(items, schema)
        # prepare() sorts rows by time: line the labels up by id
        by_id = {item.item_id: Y[i, pos] for i, item in enumerate(items)}
        ids = frame[schema.id_column or "id"] if (schema.id_column or "id") in frame else None
        if ids is None:
            raise PredictorError(f"{self.name}: the rows have no ids", hint="ingest with ids")
        y = np.array([by_id[i] for i in ids], dtype=float)
        classes = self.classes_
        self._fit_table(frame, y, schema)
        self.classes_ = classes

    def _predict_batch(self, items: list[Item]) -> np.ndarray:
        schema = self._schema()
        frame = frame_from_items(items, schema)
        key = schema.id_column or "id"
        p = self.predict_table(frame)
        by_id = dict(zip(frame[key], p, strict=True))
        pos = self._positive_index()
        out = np.zeros((len(items), len(self.classes_)))
        for r, item in enumerate(items):
            out[r, pos] = by_id[item.item_id]
            out[r, 1 - pos] = 1.0 - by_id[item.item_id]
        return out


# -- features ---------------------------------------------------------------------------
def season(times: pd.Series) -> dict[str, np.ndarray]:
    """Where in the year and week a time falls (never the year itself)."""
    return {"_month": times.dt.month.to_numpy(dtype=float),
            "_week": times.dt.isocalendar().week.to_numpy(dtype=float),
            "_weekday": times.dt.day_of_week.to_numpy(dtype=float)}


class _Encoder:
    """Typed table -> model matrix: numbers as they are, categories as pandas
    categoricals with the categories seen in training (the rarest folded into missing),
    dates as days from the time column, the time column as its season."""

    def __init__(self, schema: TableSchema, frame: pd.DataFrame):
        self.features = [c for c in schema.features if c in frame.columns]
        self.kinds = {c: schema.columns[c] for c in self.features}
        self.time = schema.time_column
        self.categories: dict[str, list[str]] = {}
        for c, kind in self.kinds.items():
            if kind == CATEGORY:
                counts = frame[c].value_counts()
                self.categories[c] = sorted(map(str, counts.index[:MAX_CATEGORIES]))

    def __call__(self, frame: pd.DataFrame) -> pd.DataFrame:
        import pandas as pd

        missing = [c for c in self.features if c not in frame.columns]
        if missing:
            from ..errors import ColumnError

            raise ColumnError(f"the table lacks the column {missing[0]!r} the model was "
                              "trained with", column=missing[0],
                              hint="give rows with the same columns as the training table")
        cols: dict[str, Any] = {}
        for c in self.features:
            kind = self.kinds[c]
            if kind == NUMBER:
                cols[c] = frame[c].to_numpy(dtype=float)
            elif kind == DATE:
                cols[c] = ((frame[c] - frame[self.time]).dt.days).to_numpy(dtype=float)
            else:
                codes = pd.Index(self.categories[c]).get_indexer(frame[c].astype(str))
                cols[c] = pd.Categorical.from_codes(codes, categories=self.categories[c])
        cols.update(season(frame[self.time]))
        return pd.DataFrame(cols, index=frame.index)


#: fewer rows of either outcome than this among the calibration rows: ``auto`` calibrates
#: with Platt's sigmoid, not isotonic regression (which, on 65 rows with 4 "yes",
#: mapped every score to exactly 0 or 1: a model claiming to be sure of every row)
MIN_ISOTONIC = 20

#: fewer calibration rows than this (or rows of one outcome only): not calibrated
MIN_CALIBRATION_ROWS = 50


def _calibration_method(method: str, y: np.ndarray) -> str:
    if method != "auto":
        return method
    rarer = int(min(np.sum(y == 1), np.sum(y != 1)))
    return "isotonic" if rarer >= MIN_ISOTONIC else "sigmoid"


def _calibrator(method: str, scores: np.ndarray, y: np.ndarray) -> Any:
    if method == "isotonic":
        from sklearn.isotonic import IsotonicRegression

        return IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(scores, y)
    if method == "sigmoid":
        from sklearn.linear_model import LogisticRegression

        # Platt's targets: (yes + 1) / (yes + 2) and 1 / (no + 2), not 1 and 0, so that
        # a few perfectly separated rows do not give probabilities of 0 and 1; each row
        # enters twice, as "yes" and as "no", weighted by its target
        pos = int(np.sum(y == 1))
        target = np.where(y == 1, (pos + 1) / (pos + 2), 1 / (len(y) - pos + 2))
        x = _logit(scores)[:, None]
        return LogisticRegression(C=1e6).fit(
            np.vstack([x, x]), np.r_[np.ones(len(y)), np.zeros(len(y))],
            sample_weight=np.r_[target, 1 - target])
    raise PredictorError(f"unknown calibration {method!r}",
                         hint="use auto, isotonic, sigmoid or none")


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def _apply(calibrator: Any, scores: np.ndarray) -> np.ndarray:
    if calibrator is None:
        return scores
    if hasattr(calibrator, "predict_proba"):
        return np.asarray(calibrator.predict_proba(_logit(scores)[:, None])[:, 1])
    return np.asarray(calibrator.predict(scores))


class TabularGBM(TabularPredictor):
    """Gradient-boosted trees on typed columns, calibrated on the latest rows."""

    name: ClassVar[str] = "tabular-gbm"
    intended_use = ("a yes/no outcome per row of a table (a booking cancelled or not taken up), "
                    "with probabilities calibrated on the latest part of the training period")
    limitations = ("learns the past: a change in how rows arise (lead times, channels, prices) "
                   "can make it wrong; monitor it and retrain when outcomes arrive")

    def __init__(self, schema: dict[str, Any] | None = None, engine: str = "hgb",
                 calibration: str = "auto", calibration_fraction: float = 0.2,
                 max_iter: int = 300, learning_rate: float = 0.05, max_leaf_nodes: int = 31,
                 seed: int = 0, threads: int | None = None):
        self.schema = schema
        self.engine = engine
        self.calibration = calibration
        self.calibration_fraction = calibration_fraction
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.seed = seed
        self.threads = threads

    def _model(self) -> Any:
        if self.engine == "hgb":
            from sklearn.ensemble import HistGradientBoostingClassifier

            return HistGradientBoostingClassifier(
                max_iter=self.max_iter, learning_rate=self.learning_rate,
                max_leaf_nodes=self.max_leaf_nodes, categorical_features="from_dtype",
                l2_regularization=1.0, random_state=self.seed)
        if self.engine == "lightgbm":
            try:
                import lightgbm
            except ImportError as exc:
                raise MissingDependency("lightgbm", "tabular") from exc
            return lightgbm.LGBMClassifier(
                n_estimators=self.max_iter, learning_rate=self.learning_rate,
                num_leaves=self.max_leaf_nodes, reg_lambda=1.0, random_state=self.seed,
                n_jobs=self.threads or -1, verbose=-1, max_cat_to_onehot=8,
                min_data_per_group=50, cat_smooth=10.0)
        raise PredictorError(f"unknown engine {self.engine!r}", hint="use hgb or lightgbm")

    def _fit_table(self, frame: pd.DataFrame, y: np.ndarray, schema: TableSchema) -> None:
        if len(np.unique(y)) < 2:
            raise PredictorError(f"{self.name}: every training row has the same outcome",
                                 hint="train on a period with both outcomes")
        order = np.argsort(frame[schema.time_column].to_numpy(), kind="stable")
        frame, y = frame.iloc[order].reset_index(drop=True), y[order]
        n_cal = int(len(frame) * self.calibration_fraction) if self.calibration != "none" else 0
        tail = y[-n_cal:] if n_cal else y[:0]
        # the rows set aside to calibrate on, and their outcomes (the card says them)
        self.calibration_rows_ = {"rows": n_cal, "yes": int(np.sum(tail == 1)),
                                  "no": int(np.sum(tail != 1))}
        if n_cal and (n_cal < MIN_CALIBRATION_ROWS or len(np.unique(tail)) < 2):
            n_cal = 0  # too few rows to calibrate on: the model's own scores
        fit_rows = slice(0, len(frame) - n_cal)
        self.encoder_ = _Encoder(schema, frame)
        X = self.encoder_(frame)
        model = self._model()
        with self._threads():
            model.fit(X.iloc[fit_rows], y[fit_rows])
        self.model_ = model
        self.calibrator_ = None
        self.calibrated_with_: str | None = None
        self.reference_: dict[str, Any] = {}
        if n_cal:
            with self._threads():
                raw = model.predict_proba(X.iloc[-n_cal:])[:, 1]
            self.calibrated_with_ = _calibration_method(self.calibration, y[-n_cal:])
            self.calibrator_ = _calibrator(self.calibrated_with_, raw, y[-n_cal:])
            self.reference_ = {
                "time": frame[schema.time_column].iloc[-n_cal:].to_numpy(),
                "proba": _apply(self.calibrator_, raw), "y": y[-n_cal:]}
        self.trained_until_ = frame[schema.time_column].max()
        self.n_train_ = int(len(frame))

    def _predict_table(self, frame: pd.DataFrame, schema: TableSchema) -> np.ndarray:
        with self._threads():
            raw = self.model_.predict_proba(self.encoder_(frame))[:, 1]
        return _apply(self.calibrator_, raw)

    def _threads(self) -> Any:
        """At most ``threads`` OpenMP threads (both engines use OpenMP; on a busy machine
        fewer threads than cores is much faster than spinning ones)."""
        import contextlib

        if self.threads is None:
            return contextlib.nullcontext()
        from threadpoolctl import threadpool_limits

        return threadpool_limits(limits=self.threads, user_api="openmp")

    def card(self) -> dict[str, Any]:
        out = super().card()
        out["calibration"] = self._calibration_done()
        out["calibrated_on"] = _calibration_words(out["calibration"])
        return out

    def _calibration_done(self) -> dict[str, Any]:
        """What calibration was done: ``method`` (isotonic, sigmoid or None), the
        ``rows`` set aside for it with their ``yes`` and ``no``, the ``fraction`` of the
        training rows they were, and ``skipped`` (why not) where none was. Models saved
        before ``calibrated_with_`` and ``calibration_rows_`` existed: what their
        calibrator and reference rows show."""
        fraction = float(self.calibration_fraction)
        rows = getattr(self, "calibration_rows_", None)
        calibrator = getattr(self, "calibrator_", None)
        if rows is None:  # saved before the rows were kept
            ref = getattr(self, "reference_", None) or {}
            if calibrator is not None and len(ref.get("y", ())):
                cal_y = np.asarray(ref["y"])
                rows = {"rows": int(len(cal_y)), "yes": int(np.sum(cal_y == 1)),
                        "no": int(np.sum(cal_y != 1))}
            else:
                n = (int(getattr(self, "n_train_", 0) * fraction)
                     if self.calibration != "none" else 0)
                rows = {"rows": n, "yes": None, "no": None}
        method = getattr(self, "calibrated_with_", None)
        if method is None and calibrator is not None:  # saved before calibrated_with_
            method = ("sigmoid" if hasattr(calibrator, "predict_proba") else "isotonic")
        out: dict[str, Any] = {"method": method, "requested": self.calibration,
                               "fraction": fraction, **rows, "skipped": None}
        if method is None:
            if self.calibration == "none":
                out["skipped"] = "calibration=none"
            elif rows["rows"] < MIN_CALIBRATION_ROWS:
                out["skipped"] = f"fewer than {MIN_CALIBRATION_ROWS} rows"
            else:
                out["skipped"] = "one outcome only"
        return out


def _calibration_words(c: dict[str, Any]) -> str:
    """The card's sentence on calibration, from :meth:`TabularGBM._calibration_done`."""
    share = f"the latest {c['fraction']:.0%} of the training rows"
    rows = f"{c['rows']:,} row{'s' if c['rows'] != 1 else ''}"
    counts = (f" ({c['yes']:,} with the outcome, {c['no']:,} without)"
              if c.get("yes") is not None else "")
    own = "the probabilities are the trees' own scores"
    if c["method"] is None:
        if c["skipped"] == "calibration=none":
            return f"not calibrated (calibration=none): {own}"
        if c["skipped"] == f"fewer than {MIN_CALIBRATION_ROWS} rows":
            return (f"not calibrated: {share} were {rows}, fewer than the "
                    f"{MIN_CALIBRATION_ROWS} needed to calibrate on; {own}")
        return f"not calibrated: {share} ({rows}) all had the same outcome; {own}"
    name = ("isotonic regression" if c["method"] == "isotonic" else
            "Platt's sigmoid" if c["method"] == "sigmoid" else str(c["method"]))
    why = (f"; chosen because fewer than {MIN_ISOTONIC} of one outcome there are too few "
           "for isotonic regression" if c["requested"] == "auto" and c["method"] == "sigmoid"
           else "")
    return f"{name} on {share}: {rows}{counts}{why}"


# -- baselines -----------------------------------------------------------------------------
class TrainingShare(TabularPredictor):
    """The training share of "yes" for every row."""

    name: ClassVar[str] = "tabular-share"
    intended_use = "a floor: what knowing only how often the outcome happens scores"
    limitations = "the same probability for every row"

    def __init__(self, schema: dict[str, Any] | None = None):
        self.schema = schema

    def _fit_table(self, frame: pd.DataFrame, y: np.ndarray, schema: TableSchema) -> None:
        self.share_ = float(np.mean(y))

    def _predict_table(self, frame: pd.DataFrame, schema: TableSchema) -> np.ndarray:
        return np.full(len(frame), self.share_)


class LastPeriod(TabularPredictor):
    """The share of "yes" in the last ``days`` days of the training period."""

    name: ClassVar[str] = "tabular-last-period"
    intended_use = "a floor that follows the latest level of the outcome"
    limitations = "the same probability for every row; no season"

    def __init__(self, schema: dict[str, Any] | None = None, days: int = 28):
        self.schema = schema
        self.days = days

    def _fit_table(self, frame: pd.DataFrame, y: np.ndarray, schema: TableSchema) -> None:
        import pandas as pd

        t = frame[schema.time_column]
        recent = (t > t.max() - pd.Timedelta(days=self.days)).to_numpy()
        self.share_ = float(np.mean(y[recent]))

    def _predict_table(self, frame: pd.DataFrame, schema: TableSchema) -> np.ndarray:
        return np.full(len(frame), self.share_)


class SamePeriodLastYear(TabularPredictor):
    """The share of "yes" among training rows within ``days`` days of the same date
    52 weeks earlier (the training share where there were none)."""

    name: ClassVar[str] = "tabular-last-year"
    intended_use = "a floor that knows the season"
    limitations = "needs a year of history; ignores everything but the date"

    def __init__(self, schema: dict[str, Any] | None = None, days: int = 7,
                 min_rows: int = 20):
        self.schema = schema
        self.days = days
        self.min_rows = min_rows

    def _fit_table(self, frame: pd.DataFrame, y: np.ndarray, schema: TableSchema) -> None:
        day = frame[schema.time_column].to_numpy().astype("datetime64[D]").astype(np.int64)
        self.first_day_ = int(day.min())
        span = int(day.max()) - self.first_day_ + 1
        self.n_ = np.bincount(day - self.first_day_, minlength=span).astype(float)
        self.pos_ = np.bincount(day - self.first_day_, weights=y, minlength=span)
        self.share_ = float(np.mean(y))

    def _predict_table(self, frame: pd.DataFrame, schema: TableSchema) -> np.ndarray:
        day = frame[schema.time_column].to_numpy().astype("datetime64[D]").astype(np.int64)
        centre = day - YEAR_DAYS - self.first_day_
        cn = np.r_[0.0, np.cumsum(self.n_)]
        cp = np.r_[0.0, np.cumsum(self.pos_)]
        lo = np.clip(centre - self.days, 0, len(self.n_))
        hi = np.clip(centre + self.days + 1, 0, len(self.n_))
        n = cn[hi] - cn[lo]
        pos = cp[hi] - cp[lo]
        return np.where(n >= self.min_rows, pos / np.maximum(n, 1), self.share_)


BASELINES = ("tabular-share", "tabular-last-period", "tabular-last-year")

__all__ = ["BASELINES", "LastPeriod", "SamePeriodLastYear", "TabularGBM", "TabularPredictor",
           "TrainingShare", "season"]
