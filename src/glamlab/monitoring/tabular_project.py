"""``glamlab monitor`` for a tabular project: the rows after the training period, window
by window (weeks, or months when weeks are too small to judge), each checked for drift
against the weeks before it (causes ranked, in words), with the model's performance
estimated from its calibrated probabilities (CBPE) and, once the window's outcomes are
in, the realised value beside it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import GlamlabError
from ..ingest.columns import f1_for
from ..progress import plural
from ..registry.tabular import champion_predictor
from ..tasks.tabular import project_frame, schema_of, split_frame
from .estimate import PerformanceEstimate, RangeCheck, estimate
from .tabular import DriftConfig, TabularDriftMonitor, TooFewReferenceRows, WindowDrift

if TYPE_CHECKING:
    import pandas as pd

    from ..workspace import Workspace

MIN_ROWS = 30  # the drift check's own minimum
WEEK_ROWS = 100  # below this many rows a week on average, windows are months


@dataclass
class WindowReport:
    drift: WindowDrift
    estimate: PerformanceEstimate

    def to_dict(self) -> dict[str, Any]:
        return {**self.drift.to_dict(), "estimate": self.estimate.to_dict()}

    def summary(self) -> str:
        return f"{self.drift.summary()}\n  Performance: {self.estimate.summary()}."


@dataclass
class SkippedWindow:
    """A window that could not be checked (too few rows before it to compare it with):
    named in the report, while the other windows are checked."""

    start: str
    end: str
    n: int
    reason: str
    hint: str

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "n": self.n, "reason": self.reason,
                "hint": self.hint}

    def summary(self) -> str:
        return (f"{self.start} to {self.end}, {self.n} rows: not checked: {self.reason}.\n"
                f"  To check it: {self.hint}.")


@dataclass
class TabularMonitorReport:
    model: str
    trained_until: str
    window: str
    windows: list[WindowReport] = field(default_factory=list)
    skipped: list[SkippedWindow] = field(default_factory=list)
    #: the outcome a yes/no table's F1 is measured for, in words (``is_canceled = 1``:
    #: ``TableSchema.positive_outcome``), which names it; None for a count task
    positive: str | None = None
    #: input columns not judged for drift, each with the position in the calendar it
    #: holds (``arrival_date_week_number``: "the week of the year of arrival_date")
    calendar: dict[str, str] = field(default_factory=dict)
    #: windows with fewer than :data:`MIN_ROWS` rows: too few to judge, not checked
    small: list[tuple[str, str, int]] = field(default_factory=list)
    #: what would let the small windows be checked, in the CLI's or the web app's words
    small_hint: str = ""
    #: each window is compared with the weeks just before it (``reference = "recent"``),
    #: and how to compare it with the training period instead, in the CLI's or the web
    #: app's words ('' with another reference)
    recent_hint: str = ""

    @property
    def flagged(self) -> list[WindowReport]:
        return [w for w in self.windows if w.drift.flagged]

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "trained_until": self.trained_until,
                "window": self.window, "flagged": len(self.flagged),
                "first_flagged": self.flagged[0].drift.start if self.flagged else None,
                "windows": [w.to_dict() for w in self.windows],
                "skipped": [w.to_dict() for w in self.skipped],
                "too_small": [{"start": a, "end": b, "n": n} for a, b, n in self.small],
                "too_small_hint": self.small_hint, "min_rows": MIN_ROWS,
                "calendar": dict(self.calendar), "calendar_words": self.calendar_words(),
                "headline": self.headline(), "counts": self.counts(),
                "too_small_words": self.small_words(), "lasting_words": self.lasting_words()}

    def headline(self) -> str:
        """The model, then :meth:`counts`."""
        return (f"Model {self.model} (trained on rows before {self.trained_until}); "
                + self.counts())

    def counts(self) -> str:
        """How many windows there were, how many were checked and why the others were not."""
        total = len(self.windows) + len(self.skipped) + len(self.small)
        parts = [f"{len(self.windows)} checked, {len(self.flagged)} flagged"]
        if self.skipped:
            parts.append(f"{len(self.skipped)} not checked (too few rows before "
                         f"{'it' if len(self.skipped) == 1 else 'them'} to compare with)")
        if self.small:
            parts.append(f"{len(self.small)} not checked (fewer than {MIN_ROWS} rows: too "
                         "few to judge)")
        return (f"{total} {plural(total, self.window)} with rows after it: "
                + "; ".join(parts) + ".")

    def calendar_words(self) -> str:
        """The columns not judged for drift, and why; '' when there are none."""
        if not self.calendar:
            return ""
        named = ", ".join(f"{c} ({w})" for c, w in self.calendar.items())
        one = len(self.calendar) == 1
        return (f"Not judged for drift: {named}. {'It is a position' if one else 'Each is a position'} "
                f"in the calendar, which moves on with the date by itself: "
                f"{'its' if one else 'their'} change between windows is expected and says "
                "nothing about the rows.")

    def lasting_words(self) -> str:
        """The windows after the first flagged one that were not flagged, when each window
        is compared with the weeks just before it: a change that lasts fills those weeks
        and stops standing out, though the rows have not gone back to what the model
        learned from. '' when there are none (or with another reference)."""
        if not self.recent_hint or not self.flagged:
            return ""
        first = self.flagged[0].drift
        quiet = [w for w in self.windows if w.drift.start > first.start and not w.drift.flagged]
        if not quiet:
            return ""
        causes = list(dict.fromkeys(w.drift.root_cause for w in self.flagged
                                    if w.drift.root_cause))
        one = len(quiet) == 1
        what = f"a change that lasts (here in {', '.join(causes)})" if causes else \
            "a change that lasts"
        return (f"{len(quiet)} {plural(len(quiet), self.window)} after the first flagged one "
                f"({first.start}) {'was' if one else 'were'} not flagged, but that does not "
                f"say the rows went back to what the model learned from: each {self.window} "
                f"is compared with {first.reference} it, so {what} stops standing out once "
                f"those days hold it too. To compare every {self.window} with the training "
                f"period: {self.recent_hint}.")

    def small_words(self) -> str:
        """The windows too small to judge, each named with its rows; '' when none."""
        if not self.small:
            return ""
        named = ", ".join(f"{a} to {b} ({n} {plural(n, 'row')})" for a, b, n in self.small)
        return (f"Not checked, fewer than {MIN_ROWS} rows (too few to judge): {named}."
                + (f" To check them: {self.small_hint}." if self.small_hint else ""))

    def summary(self) -> str:
        lines = [self.headline()]
        if self.lasting_words():
            lines.append(self.lasting_words())
        if self.calendar:
            lines.append(self.calendar_words())
        lines += [w.summary() for w in self.windows]
        lines += [w.summary() for w in self.skipped]
        if self.small:
            lines.append(self.small_words())
        return "\n".join(lines)


def window_starts(times: pd.Series, window: str) -> tuple[pd.Series, str]:
    """Each row's window (its week starting Monday, or its month) and the unit's name."""
    if window == "auto":
        weeks = times.dt.to_period("W-SUN").nunique()
        window = "week" if len(times) / max(1, weeks) >= WEEK_ROWS else "month"
    if window == "week":
        return times.dt.to_period("W-SUN").dt.start_time, window
    if window == "month":
        return times.dt.to_period("M").dt.start_time, window
    raise GlamlabError(f"unknown window {window!r}", hint="use week, month or auto")


#: the windows a tabular project's monitoring cuts its rows into (``[monitor] window``)
WINDOWS = ("auto", "week", "month")


def project_window(ws: Workspace) -> str:
    """The window the project's card chooses (``[monitor] window``: week, month or auto,
    the default: weeks unless they are too small), or one error naming the value."""
    value = str(ws.card.section("monitor").get("window") or "auto")
    if value not in WINDOWS:
        raise GlamlabError(f"[monitor] window = {value!r} is not a window of rows",
                           hint='use window = "week", "month" or "auto" in [monitor]')
    return value


def monitor_project(ws: Workspace, *, model: str | None = None, window: str | None = None,
                    since: str | None = None, until: str | None = None,
                    frame: pd.DataFrame | None = None, web: bool = False,
                    **config: Any) -> TabularMonitorReport:
    """Check every window of rows after the model's training period (or from ``since``
    to ``until``). ``window``: week, month or auto (default: the card's ``[monitor]
    window``, else auto). ``config`` overrides ``[monitor]`` (reference, recent_days,
    alpha, min_reference, ...). ``web``: an error's fix in the web app's words."""
    import pandas as pd

    from ..tasks.count import count_task, slot_keys

    schema = schema_of(ws)
    task = count_task(ws)
    frame = project_frame(ws, schema=schema) if frame is None else frame
    mv, predictor = champion_predictor(ws, model)
    cutoff = str(mv.card.get("train_until") or split_frame(ws, frame)[2])
    t = frame[schema.time_column]
    train = frame[t < cutoff]
    if schema.label_column:
        train = train[train[schema.label_column].notna()]
    p_all = predictor.predict_table(frame)
    cfg = DriftConfig.from_card(ws.card.section("monitor"), **config)
    # the model's scores on its own training rows are more confident than on new rows;
    # the drift thresholds come from windows replayed inside that period all the same
    monitor = TabularDriftMonitor(schema, cfg)
    monitor.web = web  # a table too short to replay windows in: its fix in the page's words
    monitor.fit(train.reset_index(drop=True), p_all[train.index.to_numpy()])
    check = RangeCheck(schema).fit(train)
    keep = t >= (since or cutoff)
    if until:
        keep &= t < until
    later = frame[keep]
    starts, unit = window_starts(later[schema.time_column], window or project_window(ws))
    monitor.window_unit = unit  # its hints know which windows were asked for
    report = TabularMonitorReport(mv.spec, cutoff, unit,
                                  positive=None if task else schema.positive_outcome,
                                  calendar=dict(monitor.calendar_))
    for _start, rows in later.groupby(starts, sort=True):
        if len(rows) < MIN_ROWS:
            times = rows[schema.time_column]
            report.small.append((str(times.min().date()), str(times.max().date()), len(rows)))
            continue
        p = p_all[rows.index.to_numpy()]
        try:
            drift = monitor.check(rows.reset_index(drop=True), p, before=frame,
                                  before_scores=p_all)
        except TooFewReferenceRows as exc:  # e.g. after a closure: the others are checked
            times = rows[schema.time_column]
            reason, hint = exc.message, exc.hint or ""
            if web:  # the page's words: what is missing, and who can change what
                reason = (f"only {exc.found:,} {plural(exc.found, 'row')} arrived in "
                          f"{exc.label} it, and each {unit} is compared with at least "
                          f"{exc.needed:,} rows that came before it")
                hint = ("whoever runs glamlab can set min_reference"
                        + (f" = {exc.found} (if {exc.found} rows are enough to compare "
                           "with)" if exc.found >= 20 else "")
                        + ' or reference = "all" (compare with the whole training period) '
                        "in the [monitor] section of the project's glamlab.toml")
            report.skipped.append(SkippedWindow(str(times.min().date()),
                                                str(times.max().date()), len(rows),
                                                reason, hint))
            continue
        est = (estimate(p, rows, check, metric=task.metric, seed=cfg.seed,
                        groups=slot_keys(rows, schema, task.slot)) if task else
               estimate(p, rows, check, metric="f1", seed=cfg.seed))
        if report.positive:  # the F1 of the positive outcome, not evaluate's f1_macro
            est.said = f1_for(report.positive)
        report.windows.append(WindowReport(drift, est))
    if cfg.reference == "recent":
        report.recent_hint = ("whoever runs glamlab can set reference = \"all\" in the "
                              "[monitor] section of the project's glamlab.toml" if web else
                              'set reference = "all" in the card\'s [monitor] section '
                              "(glamlab.toml)")
    if report.small:
        report.small_hint = ("use longer windows: glamlab monitor --window month"
                             if unit == "week" and not web else
                             f"a {unit} is judged once it holds at least {MIN_ROWS} rows")
    if not report.windows and not report.skipped:
        raise GlamlabError(f"no window after {pd.Timestamp(since or cutoff).date()} has "
                           f"{MIN_ROWS} rows or more",
                           hint="bring the newer rows in on the Bring rows in page" if web
                           else "ingest the newer rows, or use longer windows: --window month")
    return report


def store_alerts(ws: Workspace, report: TabularMonitorReport) -> int:
    """Record that the monitor ran and an alert per flagged window (its most likely
    cause, the columns' words), for ``glamlab status`` and the web app; a window already
    stored is not stored twice. Returns how many were added."""
    import sqlalchemy as sa

    from ..store import now

    t = ws.store.t.alerts
    added = 0
    with ws.store.write() as conn:
        ws.store.audit(conn, "glamlab", "monitor", report.model,
                       alerts=len(report.flagged))
        for w in report.flagged:
            d = w.drift
            key = f"{report.model} {d.start}..{d.end}"
            signal = f"drift: {d.root_cause or 'prediction'}"[:100]
            if conn.execute(sa.select(t.c.id).where(t.c.signal == signal,
                                                    t.c.window == key)).first():
                continue
            top = d.causes[0] if d.causes else (d.columns[0] if d.columns else None)
            conn.execute(t.insert().values(
                created_at=now(), signal=signal, window=key,
                value=float(top.z) if top is not None and top.z == top.z else None,
                threshold=float(d.threshold) if d.threshold == d.threshold else None,
                details={"model": report.model, "n": d.n,
                         "causes": [c.words for c in d.causes][:5]}))
            added += 1
    return added


def estimated_vs_realised(report: TabularMonitorReport) -> dict[str, Any]:
    """Mean absolute difference between estimated and realised performance (F1, or a
    count task's count error) over the windows whose outcomes are known (before and after
    the first flagged window)."""
    first = report.flagged[0].drift.start if report.flagged else None
    before = [w.estimate for w in report.windows if w.estimate.realised is not None
              and (first is None or w.drift.start < first)]
    after = [w.estimate for w in report.windows if w.estimate.realised is not None
             and first is not None and w.drift.start >= first]

    def mae(ests: list[PerformanceEstimate]) -> float | None:
        if not ests:
            return None
        return round(float(np.mean([abs(e.value - (e.realised or 0.0)) for e in ests])), 4)

    return {"before_first_flag": mae(before), "windows_before": len(before),
            "from_first_flag": mae(after), "windows_from": len(after)}


__all__ = ["TabularMonitorReport", "WindowReport", "estimated_vs_realised", "monitor_project",
           "store_alerts",
           "window_starts"]
