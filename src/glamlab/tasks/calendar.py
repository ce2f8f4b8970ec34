"""Input columns of a table that only say where a row's date lies in the calendar (its
year, month, week of the year...): they move on with the date by themselves, so
monitoring leaves them out of drift, and ingest names them (the one rule for both)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    from ..ingest.columns import TableSchema


#: positions in the calendar a column may hold, each with how to read it off a date
_CALENDAR: tuple[tuple[str, Any], ...] = (
    ("year", lambda t: t.dt.year),
    ("month", lambda t: t.dt.month),
    ("quarter", lambda t: t.dt.quarter),
    ("day of the month", lambda t: t.dt.day),
    ("day of the week", lambda t: t.dt.day_of_week),
    ("day of the week", lambda t: t.dt.day_of_week + 1),
    ("day of the year", lambda t: t.dt.day_of_year),
    ("week of the year", lambda t: t.dt.isocalendar().week.astype("int64")),
)
_CALENDAR_NAMES: tuple[tuple[str, Any], ...] = (
    ("month", lambda t: t.dt.month_name()),
    ("month", lambda t: t.dt.month_name().str[:3]),
    ("day of the week", lambda t: t.dt.day_name()),
    ("day of the week", lambda t: t.dt.day_name().str[:3]),
)


def calendar_positions(frame: pd.DataFrame, schema: TableSchema) -> dict[str, str]:
    """Input columns that only say where the row's date lies in the calendar (its
    year, month, week of the year, day of the month...), each with that position in
    words: they move on with the date by themselves, so their change is no sign of
    drift. A column counts when it equals a position read off the time column on
    (almost) every row, or when it holds whole numbers from 0 to 53, the same on every
    row of a date, that rise with the day of the year (a week number counted in a way
    of its own)."""
    import pandas as pd

    times = frame[schema.time_column]
    out: dict[str, str] = {}
    if times.isna().all():
        return out
    shared = times.duplicated(keep=False)  # dates with more than one row
    doy = times.dt.day_of_year.rank().to_numpy(float)
    for c in schema.features:
        if c not in frame.columns or c == schema.time_column:
            continue
        values = frame[c]
        known = values.notna() & times.notna()
        if known.sum() < 30 or values[known].nunique() < 2:
            continue
        v, t = values[known], times[known]
        numbers = pd.to_numeric(v, errors="coerce")
        found = None
        if numbers.notna().mean() > 0.99:
            found = next((words for words, read in _CALENDAR
                          if (numbers == read(t)).mean() >= 0.99), None)
            # a week number counted in a way of its own (the hotel bookings' is not the
            # ISO week): whole numbers from 0 to 53, the same on every row of a date,
            # rising with the day of the year (a price that rises with the date is not one)
            per_date = v[shared[known]].groupby(t[shared[known]]).nunique()
            weekly = bool(numbers.min() >= 0 and numbers.max() <= 53
                          and (numbers.dropna() % 1 == 0).all())
            if found is None and weekly and len(per_date) >= 20 and int(per_date.max()) == 1:
                m = numbers.notna().to_numpy()
                r = numbers.rank().to_numpy(float)[m]
                if float(np.corrcoef(r, doy[known.to_numpy()][m])[0, 1]) >= 0.95:
                    found = "week of the year"
        else:
            text = v.astype(str).str.strip().str.lower()
            found = next((words for words, read in _CALENDAR_NAMES
                          if (text == read(t).str.lower()).mean() >= 0.99), None)
        if found:
            out[c] = f"the {found} of {schema.time_column}"
    return out


def last_day(end: Any) -> str:
    """The last day of a period whose ``end`` is the day after it (half-open, as glamlab
    keeps periods), as a person reads it: August 2017, kept as [2017-08-01, 2017-09-01),
    is shown 2017-08-01 to 2017-08-31."""
    from datetime import date, timedelta

    return (date.fromisoformat(str(end)[:10]) - timedelta(days=1)).isoformat()


__all__ = ["calendar_positions", "last_day"]
