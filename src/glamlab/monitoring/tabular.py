"""Drift of tabular inputs with a root cause: which columns moved, ranked, in plain words.

:class:`TabularDriftMonitor` learns from the **training period** how much each input
column, and the model's predictions, normally vary between windows of a given size,
then for a new window flags the columns that moved beyond that, ranks them, and says
what changed ("lead_time: median 68 days in the reference, 2 days in this window").

How a window is compared:

- the **reference** of a window is, with ``reference = "recent"`` (the default), the
  rows of the ``recent_days`` before the window (inputs only: no outcome is needed):
  a sudden change (an app that makes people book days ahead) stands out against the
  weeks just before it, while the season, which moves slowly, does not; with
  ``reference = "season"``, the training rows of the same time of year (the window's
  days ± ``season_days``) in the latest training year that has them (another year for
  a window inside the training period): slow year-on-year drift shows there, but so
  does every year-on-year difference; with ``reference = "all"``, the whole training
  period;
- a column's **statistics** are, for numbers, the Kolmogorov–Smirnov distance and the
  location shift (the Mann–Whitney statistic: how far the window's values sit from the
  reference's middle), for categories the Jensen–Shannon distance of the category
  shares (unseen categories included); the predictions are one more numeric column;
- **group by group** (``strata``, the card's first group column, e.g. the hotel): each
  group of the window is compared with the same group of the reference and the
  statistics averaged with the window's group shares, so a window that happens to hold
  mostly one hotel's bookings does not look like a change in prices, countries and
  agents; a change in the mix of hotels shows in the hotel column itself;
- **the season** (``season``, with the recent reference and more than a year of
  training rows): a number's location shift is judged against the shift seen at the
  same time of another training year (the same days, at least a week, against the
  ``recent_days`` before them). Prices that rise every spring are then not a change;
  prices that rise by half are. A window with no such days in the training period is
  judged on its plain shift;
- **calibration**: windows of the same size are replayed inside the training period
  (contiguous runs of rows in time order, each against its own reference, and, with
  ``season``, only where another year has the same days), giving each statistic's
  usual value and spread. A window's column score is ``z = (t - mean) / sd`` with ``t``
  the statistic on a log scale (``scale = "log"``: ``log(statistic + its usual
  value)``, which tames the long tails of columns whose rare values come in bursts, so
  that one column's bursts do not set everyone's threshold); the window is flagged when
  any column's ``z`` is over the threshold ``T``: the ``1 - alpha`` quantile of the
  largest column ``z`` over the training windows (a Gumbel law fitted to them, the law
  of the largest of many scores: a 1% tail cannot be read off 50 windows directly;
  never below ``sigma``), so about ``alpha`` of the training windows would have been
  flagged whatever the number of columns. Thresholds never look at the windows being checked.
- rows identical in every input column (a group booked as many identical rooms) count
  once (``distinct``), in the window and in its reference;
- the **root cause** is the flagged input column whose statistic moved furthest beyond
  its usual value (``effect``, in the statistic's own units, 0 to 1 for every column):
  ``z`` says whether a column moved beyond its usual variation, the effect which moved
  most. Ranking by ``z`` would name a column that hardly ever varies (a few more repeat
  guests among last-minute bookings) before the lead time that moved by months.

Works on typed tables (:func:`glamlab.ingest.columns.prepare`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import GlamlabError
from ..ingest.columns import CATEGORY, DATE, TableSchema
from ..progress import plural
from ..tasks.calendar import calendar_positions

if TYPE_CHECKING:
    import pandas as pd

PREDICTION = "prediction"
#: windows replayed inside the training period needed to learn a column's usual variation
MIN_REPLAYED = 10
UNSEEN = "(unseen)"


class TooFewReferenceRows(GlamlabError):
    """A window has fewer rows to compare it with than ``[monitor] min_reference``
    (``found``: how many it has, ``needed``: how many are needed, ``label``: which rows
    they are, "the 28 days before")."""

    found: int = 0
    needed: int = 0
    label: str = ""


@dataclass
class DriftConfig:
    reference: str = "recent"  # recent | season | all
    recent_days: int = 28
    season_days: int = 14
    alpha: float = 0.01
    sigma: float = 3.0
    max_calibration_windows: int = 200
    min_reference: int = 200
    distinct: bool = True  # identical rows (a group booked as fifty rooms) count once
    # compare each group (hotel) with the same group of the reference: "auto" = the
    # card's first group column when it is a category input; "" = the pooled rows
    strata: str = "auto"
    min_stratum: int = 30  # a group with fewer reference rows is compared with all rows
    # "log": z on log(statistic + its usual value), which tames the long right tails of
    # distances (a rare value that comes in a burst); "linear": z on the statistic
    scale: str = "log"
    # with the recent reference, judge a number's location shift against the shift seen
    # at the same time of another training year (prices that rise every spring are not a
    # change; prices that rise by half are)
    season: bool = True
    seed: int = 0

    @classmethod
    def from_card(cls, section: dict[str, Any], **override: Any) -> DriftConfig:
        cfg = cls(**{k: v for k, v in section.items() if k in cls.__dataclass_fields__})
        for k, v in override.items():
            if v is not None:
                setattr(cfg, k, v)
        if cfg.reference not in ("recent", "season", "all"):
            raise GlamlabError(f"unknown reference {cfg.reference!r}",
                               hint='use reference = "recent", "season" or "all" in [monitor]')
        if not 0 < cfg.alpha < 1:
            raise GlamlabError("alpha must be between 0 and 1", hint="e.g. alpha = 0.01")
        if cfg.scale not in ("log", "linear"):
            raise GlamlabError(f"unknown scale {cfg.scale!r}",
                               hint='use scale = "log" or "linear" in [monitor]')
        return cfg


@dataclass
class ColumnDrift:
    column: str
    kind: str  # number | category | prediction
    statistic: float
    z: float
    usual: float  # the column's mean statistic over the training windows
    flagged: bool
    words: str
    # how far the distance is beyond its usual value, in the distance's own units (0 to
    # 1 for every column): what ranks the flagged columns
    effect: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"column": self.column, "kind": self.kind, "statistic": _r(self.statistic),
                "z": _r(self.z), "usual": _r(self.usual), "effect": _r(self.effect),
                "flagged": self.flagged, "words": self.words}


def rank(columns: list[ColumnDrift]) -> list[ColumnDrift]:
    """Flagged columns first, largest effect first; then the others, most unusual first.

    ``z`` says whether a column moved beyond its usual variation; among the columns
    that did, the one that moved furthest is the likely cause. Ranking by ``z`` would
    put first a column that rarely varies at all (a few more repeat guests among
    last-minute bookings) ahead of the lead time that moved by months."""
    return sorted(columns, key=lambda c: (not c.flagged, -(c.effect if c.flagged else c.z)))


@dataclass
class WindowDrift:
    n: int
    start: str
    end: str
    reference: str
    reference_rows: int
    threshold: float
    columns: list[ColumnDrift] = field(default_factory=list)  # ranked, largest z first

    @property
    def flagged(self) -> bool:
        return any(c.flagged for c in self.columns)

    @property
    def causes(self) -> list[ColumnDrift]:
        """Flagged input columns, most unusual first (the predictions are not a cause)."""
        return [c for c in self.columns if c.flagged and c.kind != PREDICTION]

    @property
    def root_cause(self) -> str | None:
        causes = self.causes
        return causes[0].column if causes else None

    def ranking(self) -> list[str]:
        return [c.column for c in self.columns if c.kind != PREDICTION]

    def to_dict(self) -> dict[str, Any]:
        return {"n": self.n, "start": self.start, "end": self.end, "reference": self.reference,
                "reference_rows": self.reference_rows, "threshold": _r(self.threshold),
                "flagged": self.flagged, "root_cause": self.root_cause,
                "columns": [c.to_dict() for c in self.columns]}

    def summary(self, top: int = 5) -> str:
        head = (f"{self.start} to {self.end}, {self.n:,} rows, against {self.reference} "
                f"({self.reference_rows:,} rows):")
        if not self.flagged:
            return f"{head} nothing moved beyond its usual variation."
        lines = [f"{head} {len([c for c in self.columns if c.flagged])} signal(s) beyond "
                 "their usual variation, most unusual first:"]
        lines += [f"  - {c.words}" for c in self.columns if c.flagged][:top]
        if self.root_cause:
            lines.append(f"Most likely cause: {self.root_cause}.")
        return "\n".join(lines)



def _r(v: float) -> float | None:
    return None if v is None or not np.isfinite(v) else round(float(v), 4)


# -- statistics -------------------------------------------------------------------------------
def ks_distance(ref_sorted: np.ndarray, cur: np.ndarray) -> float:
    """Two-sample Kolmogorov–Smirnov distance (``ref_sorted`` already sorted)."""
    if len(ref_sorted) == 0 or len(cur) == 0:
        return float("nan")
    cur = np.sort(cur)
    grid = np.concatenate([ref_sorted, cur])
    a = np.searchsorted(ref_sorted, grid, side="right") / len(ref_sorted)
    b = np.searchsorted(cur, grid, side="right") / len(cur)
    return float(np.max(np.abs(a - b)))


def signed_location_shift(ref_sorted: np.ndarray, cur: np.ndarray) -> float:
    """``mean u - 1/2`` where ``u`` is each window value's mid-rank quantile in the
    reference (the Mann-Whitney statistic): 0 for no shift, +1/2 when every value is
    above the reference's range, -1/2 when every value is below it."""
    if len(ref_sorted) == 0 or len(cur) == 0:
        return float("nan")
    lo = np.searchsorted(ref_sorted, cur, side="left")
    hi = np.searchsorted(ref_sorted, cur, side="right")
    return float(np.mean((lo + hi) / (2 * len(ref_sorted))) - 0.5)


def location_shift(ref_sorted: np.ndarray, cur: np.ndarray) -> float:
    """How far the window sits from the middle of the reference: ``|mean u - 1/2|``
    (see :func:`signed_location_shift`)."""
    return abs(signed_location_shift(ref_sorted, cur))


def gumbel_quantile(values: np.ndarray, q: float) -> float:
    """The ``q`` quantile of a Gumbel distribution fitted (by its mean and spread) to
    ``values``, the largest column score of each replayed window. The largest of many
    scores follows that law; fitting it reads the 1% tail from 50 windows, where the
    plain 99th percentile of 50 values is only their maximum (and so too low)."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    beta = float(np.std(v, ddof=1)) * np.sqrt(6) / np.pi
    mu = float(np.mean(v)) - 0.5772156649 * beta
    return mu - beta * float(np.log(-np.log(q)))


def js_distance(p_counts: np.ndarray, q_counts: np.ndarray) -> float:
    """Jensen–Shannon distance (base 2) between two count vectors on the same bins."""
    if p_counts.sum() == 0 or q_counts.sum() == 0:
        return float("nan")
    p = p_counts / p_counts.sum()
    q = q_counts / q_counts.sum()
    m = 0.5 * (p + q)
    with np.errstate(divide="ignore", invalid="ignore"):
        kl_p = np.where(p > 0, p * np.log2(p / m), 0.0).sum()
        kl_q = np.where(q > 0, q * np.log2(q / m), 0.0).sum()
    return float(np.sqrt(max(0.0, 0.5 * kl_p + 0.5 * kl_q)))


# -- the monitor ------------------------------------------------------------------------------
class TabularDriftMonitor:
    """Learn the usual variation of each column on the training period; check windows."""

    def __init__(self, schema: TableSchema, config: DriftConfig | None = None):
        self.schema = schema
        self.config = config or DriftConfig()
        #: the windows checked ("week", "month"), when a caller says: the hints then
        #: suggest shorter windows only where there are any
        self.window_unit: str | None = None
        #: the hints in the web app's words (no command, no flag: the Monitoring page's
        #: choice of weeks, what whoever runs glamlab sets in glamlab.toml)
        self.web = False

    # -- fitting ----------------------------------------------------------------------------
    def fit(self, reference: pd.DataFrame, scores: np.ndarray | None = None
            ) -> TabularDriftMonitor:
        """``reference``: the training period's typed rows; ``scores``: the model's
        probabilities on them (cross-fitted if possible: in-sample scores are more
        confident than the model will be on new rows)."""
        schema = self.schema
        ref = reference.sort_values(schema.time_column, kind="stable").reset_index(drop=True)
        if scores is not None:
            scores = np.asarray(scores, dtype=float)[
                np.argsort(reference[schema.time_column].to_numpy(), kind="stable")]
        if len(ref) < 2 * self.config.min_reference:
            raise GlamlabError(f"only {len(ref)} reference rows, too few to learn how the "
                               "columns vary", hint="give the whole training period")
        self.columns_: list[tuple[str, str]] = []
        self.values_: dict[str, np.ndarray] = {}
        self.categories_: dict[str, list[str]] = {}
        # a position in the calendar (the week of the year) moves on with the date by
        # itself: its change says nothing about the rows, so it is not judged
        self.calendar_: dict[str, str] = calendar_positions(ref, schema)
        for c in schema.features:
            if c not in ref.columns or c in self.calendar_:
                continue
            kind = schema.columns[c]
            if kind == CATEGORY:
                cats = sorted(map(str, ref[c].astype(str).unique()))
                self.categories_[c] = cats
                self.values_[c] = self._codes(ref[c], c)
            elif kind == DATE:
                self.values_[c] = (ref[c] - ref[schema.time_column]).dt.days.to_numpy(float)
            else:
                self.values_[c] = ref[c].to_numpy(dtype=float)
            self.columns_.append((c, "category" if kind == CATEGORY else "number"))
        if scores is not None:
            self.values_[PREDICTION] = scores
            self.columns_.append((PREDICTION, PREDICTION))
        strata = schema.group_columns[0] if (self.config.strata == "auto"
                                             and schema.group_columns) else self.config.strata
        if strata and (strata, "category") not in self.columns_:
            if self.config.strata != "auto":
                from ..errors import ColumnError

                raise ColumnError(f"cannot compare the window group by group on {strata!r}: "
                                  "it is not a category input column", column=strata,
                                  hint='name a category input in [monitor] strata, or '
                                       'strata = "" to compare all rows together')
            strata = ""
        self.strata_: str | None = strata or None
        times = ref[schema.time_column]
        self.times_ = times.to_numpy()
        self.year_ = times.dt.year.to_numpy()
        self.doy_ = times.dt.day_of_year.to_numpy()
        self.n_ref_ = len(ref)
        # the season can be told from a change only with more than a year of training rows
        span = (self.times_[-1] - self.times_[0]) / np.timedelta64(1, "D")
        self.season_ = bool(self.config.season and self.config.reference == "recent"
                            and span >= 365 + self.config.recent_days)
        self.calibration_: dict[int, tuple[np.ndarray, np.ndarray, float, int]] = {}
        self.replayed_: dict[int, np.ndarray] = {}  # the statistics of the replayed windows
        self.usual_: dict[int, np.ndarray] = {}
        self.offset_: dict[int, np.ndarray] = {}
        return self

    def _codes(self, col: pd.Series, name: str) -> np.ndarray:
        import pandas as pd

        cats = self.categories_[name]
        codes = pd.Index(cats).get_indexer(col.astype(str)).astype(np.int64)
        return np.where(codes < 0, len(cats), codes)  # the last bin: never seen in training

    def _window_values(self, window: pd.DataFrame, scores: np.ndarray | None
                       ) -> dict[str, np.ndarray]:
        from ..errors import ColumnError

        out: dict[str, np.ndarray] = {}
        for c, kind in self.columns_:
            if c == PREDICTION:
                if scores is None:
                    raise GlamlabError("the monitor learned the predictions' variation but "
                                       "the window has no predictions",
                                       hint="pass the model's scores for the window")
                out[c] = np.asarray(scores, dtype=float)
                continue
            if c not in window.columns:
                raise ColumnError(f"the window lacks the column {c!r}", column=c,
                                  hint="give windows with the training table's columns")
            if kind == "category":
                out[c] = self._codes(window[c], c)
            elif self.schema.columns[c] == DATE:
                out[c] = (window[c] - window[self.schema.time_column]).dt.days.to_numpy(float)
            else:
                out[c] = window[c].to_numpy(dtype=float)
        return out

    # -- references ---------------------------------------------------------------------------
    def _reference_rows(self, times: np.ndarray, own_year: int | None,
                        cfg: DriftConfig | None = None) -> tuple[np.ndarray, str]:
        """Training rows to compare a window (its ``times``) with (under ``cfg``, default
        the monitor's own settings)."""
        cfg = cfg or self.config
        if cfg.reference == "all":
            return np.arange(self.n_ref_), "the training period"
        if cfg.reference == "recent":
            start = times.min()
            lo = np.searchsorted(self.times_, start - np.timedelta64(cfg.recent_days, "D"))
            hi = np.searchsorted(self.times_, start)
            return np.arange(lo, hi), f"the {cfg.recent_days} days before"
        doy = pd_day_of_year(times)
        centre, half = _circular_span(doy)
        d = np.abs(self.doy_ - centre) % 365
        d = np.minimum(d, 365 - d)
        near = d <= half + cfg.season_days
        years = sorted({int(y) for y in np.unique(self.year_[near])}, reverse=True)
        if own_year is not None and own_year in years:
            # a window inside the training period: the nearest other year
            years = sorted((y for y in years if y != own_year), key=lambda y: abs(y - own_year))
        for y in years:
            rows = np.flatnonzero(near & (self.year_ == y))
            if len(rows) >= cfg.min_reference:
                return rows, f"the same weeks of {y}"
        return np.empty(0, dtype=np.int64), "no same weeks of another year"

    # -- statistics -------------------------------------------------------------------------
    def _statistics(self, reference: dict[str, np.ndarray], values: dict[str, np.ndarray]
                    ) -> np.ndarray:
        """Two statistics per column: its distance (JS for categories, KS for numbers)
        and, for numbers, how far the window sits from the reference's middle
        (``location``, 0 for categories). KS alone is dominated by clumps of equal
        values (a group booking: fifty rows with one lead time); the location is not.

        With a stratum column (the hotel), each group of the window is compared with the
        same group of the reference and the statistics are averaged, weighted by the
        window's group shares: a window that happens to hold mostly one hotel's rows
        (one hotel's prices, countries, agents) is then not a change in every column;
        a change in the mix of hotels shows in the stratum column itself."""
        k_cols = len(self.columns_)
        out = np.zeros(2 * k_cols)
        s = self.strata_
        parts: list[tuple[float, np.ndarray, np.ndarray]] = []  # weight, reference, window rows
        if s is not None:
            n_cur = len(values[s])
            pooled = np.arange(len(reference[s]))
            for g, count in zip(*np.unique(values[s], return_counts=True), strict=True):
                r_rows = np.flatnonzero(reference[s] == g)
                if len(r_rows) < self.config.min_stratum:
                    r_rows = pooled
                parts.append((count / n_cur, r_rows, np.flatnonzero(values[s] == g)))
        for j, (c, kind) in enumerate(self.columns_):
            ref, cur = reference[c], values[c]
            groups = ([(1.0, ref, cur)] if s is None or c == s
                      else [(w, ref[r], cur[v]) for w, r, v in parts])
            dist = loc = 0.0
            for w, r_c, c_c in groups:
                d, lo = self._column_statistics(c, kind, r_c, c_c)
                dist += w * d
                loc += w * lo
            out[j] = dist
            out[k_cols + j] = loc  # signed: see _adjusted
        return np.nan_to_num(out, nan=0.0)

    def _adjusted(self, ref: dict[str, np.ndarray], values: dict[str, np.ndarray],
                  seasonal: tuple[np.ndarray, np.ndarray] | None) -> np.ndarray:
        """The window's statistics; with ``seasonal`` (the rows of the same weeks of
        another training year and of the weeks before them), each number's location
        shift less the shift seen then."""
        stat = self._statistics(self._distinct(ref), self._distinct(values))
        k_cols = len(self.columns_)
        if seasonal is not None:
            w_rows, r_rows = seasonal
            usual = self._statistics(self._distinct(self._take(r_rows)),
                                     self._distinct(self._take(w_rows)))
            stat[k_cols:] -= usual[k_cols:]
        stat[k_cols:] = np.abs(stat[k_cols:])
        return stat

    def _seasonal_rows(self, times: np.ndarray, own_year: int | None,
                       cfg: DriftConfig | None = None) -> tuple[np.ndarray, np.ndarray] | None:
        """The training rows of the same days in another year (at least a week, for a
        shorter window) and of the ``recent_days`` before them: what the window's
        change from its recent reference would be if only the season moved."""
        import pandas as pd

        cfg = cfg or self.config
        if not (cfg.season and cfg.reference == "recent"):
            return None
        start, end = pd.Timestamp(times.min()), pd.Timestamp(times.max())
        years = sorted({int(y) for y in np.unique(self.year_)} - {start.year}, reverse=True)
        if own_year is not None:  # a window inside the training period: the nearest year
            years.sort(key=lambda y: abs(y - start.year))
        for y in years:
            shift = pd.DateOffset(years=y - start.year)
            a = (start + shift).to_datetime64()
            b = max((end + shift), (start + shift) + pd.Timedelta(days=7)).to_datetime64()
            lo = np.searchsorted(self.times_, a, side="left")
            hi = np.searchsorted(self.times_, b, side="right")
            r_lo = np.searchsorted(self.times_, a - np.timedelta64(cfg.recent_days, "D"))
            if hi - lo >= cfg.min_stratum and lo - r_lo >= cfg.min_reference:
                return np.arange(lo, hi), np.arange(r_lo, lo)
        return None

    def _column_statistics(self, c: str, kind: str, ref: np.ndarray, cur: np.ndarray
                           ) -> tuple[float, float]:
        """Distance and signed location shift of one column (0 for categories)."""
        if kind == "category":
            k = len(self.categories_[c]) + 1
            d = js_distance(np.bincount(ref, minlength=k).astype(float),
                            np.bincount(cur, minlength=k).astype(float))
            return (0.0 if not np.isfinite(d) else d), 0.0
        r = np.sort(ref[np.isfinite(ref)])
        w = cur[np.isfinite(cur)]
        d = ks_distance(r, w)
        loc = signed_location_shift(r, w)
        # a change in how often the value is missing is drift too
        miss = abs(np.mean(~np.isfinite(ref)) - np.mean(~np.isfinite(cur))) if len(ref) else 0.0
        d = max(d, miss) if np.isfinite(d) else miss
        return d, (loc if np.isfinite(loc) else 0.0)

    def calibrate(self, n: int) -> tuple[np.ndarray, np.ndarray, float, int]:
        """Usual statistic (mean, sd) per column and the threshold on z for windows of
        ``n`` rows, from windows replayed inside the training period."""
        if n in self.calibration_:
            return self.calibration_[n]
        cfg = self.config
        starts = self._replay_starts(n)
        stats = []
        for s in starts:
            idx = np.arange(int(s), min(int(s) + n, int(self.n_ref_)))
            year = int(np.bincount(self.year_[idx]).argmax())
            rows, _ = self._reference_rows(self.times_[idx], year)
            if len(rows) < cfg.min_reference:
                continue  # nothing to compare with (the first weeks; no other year)
            seasonal = self._seasonal_rows(self.times_[idx], year)
            if seasonal is None and self.season_:
                continue  # no other year to tell the season from a change
            stats.append(self._adjusted(self._take(rows), self._take(idx), seasonal))
        if len(stats) < MIN_REPLAYED:
            raise GlamlabError(
                f"only {len(stats)} window{'' if len(stats) == 1 else 's'} of {n} rows could be replayed inside the training "
                f"period to learn the usual variation ({MIN_REPLAYED} are needed; each needs "
                f"{cfg.min_reference} reference rows before it"
                + (" and the same days of another year" if self.season_ else "") + ")",
                hint=self._replay_fixes(n))
        S = np.vstack(stats)
        self.replayed_[n] = S
        self.usual_[n] = np.nanmean(S, axis=0)
        self.offset_[n] = np.maximum(np.nanmedian(S, axis=0), 1e-3)
        T = self._scale(S, n)
        mean = np.nanmean(T, axis=0)
        sd = np.maximum(np.nanstd(T, axis=0, ddof=1), 1e-3)
        top = np.nanmax((T - mean) / sd, axis=1)
        threshold = float(max(cfg.sigma, gumbel_quantile(top, 1 - cfg.alpha)))
        self.calibration_[n] = (mean, sd, threshold, len(S))
        return self.calibration_[n]

    def _replay_starts(self, n: int) -> np.ndarray:
        """Where the windows of ``n`` rows replayed inside the training period start."""
        cfg = self.config
        starts = np.arange(0, max(1, self.n_ref_ - n + 1), max(1, n // 2))
        rng = np.random.default_rng([cfg.seed, n])
        if len(starts) > cfg.max_calibration_windows:
            starts = np.sort(rng.choice(starts, cfg.max_calibration_windows, replace=False))
        return starts

    def _replayable(self, n: int, cfg: DriftConfig) -> int:
        """How many windows of ``n`` rows would have a reference (and, with the season, the
        same days of another year) under the settings ``cfg``: index look-ups only."""
        span = (self.times_[-1] - self.times_[0]) / np.timedelta64(1, "D")
        season = bool(cfg.season and cfg.reference == "recent"
                      and span >= 365 + cfg.recent_days)
        count = 0
        for s in self._replay_starts(n):
            idx = np.arange(int(s), min(int(s) + n, int(self.n_ref_)))
            times = self.times_[idx]
            year = int(np.bincount(self.year_[idx]).argmax())
            if len(self._reference_rows(times, year, cfg)[0]) < cfg.min_reference:
                continue
            if season and self._seasonal_rows(times, year, cfg) is None:
                continue
            count += 1
        return count

    def _replay_fixes(self, n: int) -> str:
        """The hint of a table too small to replay windows of ``n`` rows in: the card
        settings that would give enough windows, tried before they are suggested (never
        the setting the card has already), the gentlest first."""
        from dataclasses import replace

        cfg = self.config
        lower = [m for m in (100, 50, 30, 20) if m < cfg.min_reference]
        # each group: one kind of change, gentlest first; the first that works is offered
        groups: list[list[tuple[str, DriftConfig]]] = [
            [(f"min_reference = {m} (fewer reference rows per window)",
              replace(cfg, min_reference=m)) for m in lower]]
        if self.season_:
            groups.append([("season = false (the training period has too few rows on the "
                            "same days of another year to tell the season from a change)",
                            replace(cfg, season=False))])
            groups.append([(f"season = false and min_reference = {m}",
                            replace(cfg, season=False, min_reference=m)) for m in lower])
        if cfg.reference != "all":
            groups.append([('reference = "all" (the whole training period as reference)',
                            replace(cfg, reference="all"))])
        fixes: list[str] = []
        for group in groups:
            found = next((words for words, alt in group
                          if self._replayable(n, alt) >= MIN_REPLAYED), None)
            if found and len(fixes) < 2:
                fixes.append(found)
        if self.web:  # the Monitoring page: weeks chosen there, the rows brought in
            history = (f"bring a longer history in on the Bring rows in page "
                       f"({self.n_ref_:,} training rows now)")
            shorter = f"choose weeks above (these windows hold {n} rows)"
        else:
            history = f"ingest a longer history ({self.n_ref_:,} training rows)"
            shorter = (f"monitor shorter windows (these hold {n} rows; glamlab monitor "
                       "--window week)")
        # weeks are the shortest windows: with them already, only the history can grow
        longer = history if self.window_unit == "week" else f"{shorter}, or {history}"
        if not fixes:
            return longer
        where = ("whoever runs glamlab can set in the [monitor] section of the project's "
                 "glamlab.toml: " if self.web else
                 "set in the card's [monitor] section (glamlab.toml): ")
        return where + "; or ".join(fixes) + "; or " + longer

    def _scale(self, stats: np.ndarray, n: int) -> np.ndarray:
        if self.config.scale == "log":
            return np.log(stats + self.offset_[n])
        return stats

    def z_scores(self, stats: np.ndarray, n: int) -> np.ndarray:
        """How unusual each statistic is for a window of ``n`` rows (in spreads)."""
        mean, sd, _, _ = self.calibrate(n)
        return (self._scale(stats, n) - mean) / sd

    # -- checking ----------------------------------------------------------------------------
    def _distinct(self, values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """With ``distinct``, rows identical in every input column count once: a group
        booked as fifty identical rows is one decision, and would otherwise swing a
        small window's statistics as much as a real change does."""
        if not self.config.distinct:
            return values
        inputs = [c for c, kind in self.columns_ if kind != PREDICTION]
        M = np.column_stack([np.nan_to_num(values[c].astype(float), nan=-1e300)
                             for c in inputs])
        _, keep = np.unique(M, axis=0, return_index=True)
        keep.sort()
        return {c: v[keep] for c, v in values.items()}

    def _take(self, rows: np.ndarray) -> dict[str, np.ndarray]:
        return {c: self.values_[c][rows] for c, _ in self.columns_}

    def check(self, window: pd.DataFrame, scores: np.ndarray | None = None, *,
              before: pd.DataFrame | None = None, before_scores: np.ndarray | None = None
              ) -> WindowDrift:
        """Compare one window of typed rows (and the model's scores on them). With the
        ``recent`` reference, ``before`` gives the rows that arrived before the window
        (and ``before_scores`` the model's scores on them); without it the training
        rows are used, which suits a window that follows the training period."""
        if not hasattr(self, "columns_"):
            from ..errors import NotFittedError

            raise NotFittedError("the drift monitor is not fitted",
                                 hint="call fit(training rows) first")
        n = len(window)
        if n < 30:
            raise GlamlabError(f"a window of {n} {plural(n, 'row')} is too small to judge",
                               hint="give windows of at least 30 rows")
        schema = self.schema
        times = window[schema.time_column]
        values = self._window_values(window, scores)
        year = int(times.dt.year.mode().iloc[0])
        own = year if year in set(np.unique(self.year_).tolist()) else None
        mean, sd, threshold, _ = self.calibrate(n)
        if self.config.reference == "recent" and before is not None:
            start = times.min()
            bt = before[schema.time_column]
            keep = ((bt >= start - pd_days(self.config.recent_days)) & (bt < start)).to_numpy()
            ref = {c: v[keep] for c, v in self._window_values(
                before, None if before_scores is None else np.asarray(before_scores)).items()}
            label = f"the {self.config.recent_days} days before"
        else:
            rows, label = self._reference_rows(times.to_numpy(), own)
            ref = self._take(rows)
        n_ref = len(next(iter(ref.values()))) if ref else 0
        if n_ref < self.config.min_reference:
            fixes = ['reference = "all" (the whole training period as reference)']
            if self.config.reference == "recent" and before is None:
                fixes.insert(0, "give the rows that came before the window (before=)")
            elif n_ref >= 20:
                fixes.insert(0, f"min_reference = {n_ref} (if {n_ref} rows are enough to "
                                "compare a window with)")
            exc = TooFewReferenceRows(
                f"only {n_ref} reference rows for the window starting {times.min().date()} "
                f"({label}; at least {self.config.min_reference} are needed)",
                hint="set in the card's [monitor] section (glamlab.toml): " + "; or ".join(fixes)
                if before is not None or self.config.reference != "recent" else
                "; or ".join(fixes))
            exc.found, exc.needed, exc.label = n_ref, self.config.min_reference, label
            raise exc
        seasonal = self._seasonal_rows(times.to_numpy(), own) if self.season_ else None
        stat = self._adjusted(ref, values, seasonal)
        ref, values = self._distinct(ref), self._distinct(values)
        z = self.z_scores(stat, n)
        usual = self.usual_[n]
        k_cols = len(self.columns_)
        cols = []
        for j, (c, kind) in enumerate(self.columns_):
            best = j if z[j] >= z[k_cols + j] else k_cols + j  # distance or location
            zj = float(z[best]) if np.isfinite(z[best]) else 0.0
            effect = max(stat[j] - usual[j], stat[k_cols + j] - usual[k_cols + j])
            words = self._words(c, kind, ref[c], values[c], zj, threshold)
            cols.append(ColumnDrift(c, kind, float(stat[best]), zj, float(usual[best]),
                                    zj > threshold, words, float(effect)))
        cols = rank(cols)
        return WindowDrift(n, str(times.min().date()), str(times.max().date()), label,
                           n_ref, threshold, cols)

    def _words(self, c: str, kind: str, ref: np.ndarray, cur: np.ndarray, z: float,
               threshold: float) -> str:
        tail = f" ({z:.1f} times its usual spread; flagged above {threshold:.1f})"
        name = "the model's predicted probability" if kind == PREDICTION else c
        if kind == "category":
            cats = [*self.categories_[c], UNSEEN]
            k = len(cats)
            p = np.bincount(ref, minlength=k) / max(1, len(ref))
            q = np.bincount(cur, minlength=k) / max(1, len(cur))
            j = int(np.argmax(np.abs(q - p)))
            if j == k - 1:
                return (f"{c}: {q[j]:.0%} of this window has values never seen in training"
                        + tail)
            return f"{c}: {cats[j]!r} {p[j]:.0%} of the reference, {q[j]:.0%} of this window" + tail
        unit = self.schema.units.get(c, "")
        unit = f" {unit}" if unit else ""
        r, w = ref[np.isfinite(ref)], cur[np.isfinite(cur)]
        if not len(r) or not len(w):
            return f"{name}: missing values changed" + tail
        year = "year" in c.lower()  # 2017, not 2,017
        return (f"{name}: median {_fmt(np.median(r), year)}{unit} in the reference, "
                f"{_fmt(np.median(w), year)}{unit} in this window (mean "
                f"{_fmt(r.mean(), year)} → {_fmt(w.mean(), year)})" + tail)


def pd_days(n: int) -> Any:
    import pandas as pd

    return pd.Timedelta(days=n)


def pd_day_of_year(times: np.ndarray) -> np.ndarray:
    import pandas as pd

    return np.asarray(pd.DatetimeIndex(times).day_of_year)


def _fmt(v: float, year: bool = False) -> str:
    """A number for the words: 1,234 and 0.42; a year (``year``) without a separator."""
    if year and 1000 <= abs(v) < 10000:
        return f"{v:.0f}"
    return f"{v:,.0f}" if abs(v) >= 10 else f"{v:.2g}"


def _circular_span(doy: np.ndarray) -> tuple[float, float]:
    """Centre and half-width (days) of a set of days of the year, across New Year."""
    days = np.unique(doy)
    if len(days) == 1:
        return float(days[0]), 0.0
    gaps = np.diff(np.r_[days, days[0] + 365])
    j = int(np.argmax(gaps))  # the largest gap is outside the span
    start = days[(j + 1) % len(days)]
    width = 365 - gaps[j]
    return float((start + width / 2) % 365), float(width / 2)


__all__ = ["ColumnDrift", "DriftConfig", "TabularDriftMonitor", "WindowDrift",
           "calendar_positions", "js_distance",
           "gumbel_quantile", "ks_distance", "location_shift", "rank",
           "signed_location_shift"]
