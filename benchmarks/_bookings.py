"""The hotel bookings of ``shared/data/bookings`` as one typed table (shared by the drift
benchmark and the script that cuts the bundled sample).

The raw file has the arrival date in three columns (year, month name, day) and no id;
this adds ``id`` (the row's position in the file, ``b000000``…) and ``arrival_date``
(ISO 8601), and keeps every original column unchanged.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]
# written after the outcome (see SOURCE.md), and the date parts that repeat the time column
NEVER_FEATURES = ["reservation_status", "reservation_status_date", "assigned_room_type",
                  "booking_changes", "arrival_date_year", "arrival_date_month",
                  "arrival_date_week_number", "arrival_date_day_of_month"]
UNITS = {"lead_time": "days", "adr": "EUR a night", "days_in_waiting_list": "days"}


def bookings_schema(table: pd.DataFrame):  # -> glamlab.ingest.columns.TableSchema
    from glamlab.ingest.columns import infer_schema

    return infer_schema(table, time_column="arrival_date", label_column="is_canceled",
                        id_column="id", never_features=NEVER_FEATURES, group_columns=["hotel"],
                        types={"agent": "category", "company": "category"}, units=UNITS)


def hotel_table(path: str | Path, *, as_strings: bool = True) -> pd.DataFrame:
    """The table; ``as_strings=False`` lets pandas read numbers as numbers (faster)."""
    raw = (pd.read_csv(path, dtype=str, keep_default_na=False) if as_strings
           else pd.read_csv(path, keep_default_na=False, na_values=["NULL", ""],
                            low_memory=False))
    month = raw["arrival_date_month"].map({m: i for i, m in enumerate(MONTHS, 1)})
    date = pd.to_datetime(dict(year=raw["arrival_date_year"].astype(int), month=month.astype(int),
                               day=raw["arrival_date_day_of_month"].astype(int)))
    out = raw.copy()
    out.insert(0, "arrival_date", date.dt.strftime("%Y-%m-%d"))
    out.insert(0, "id", [f"b{i:06d}" for i in range(len(raw))])
    return out


def sample(path: str | Path, per_month: int = 110, seed: int = 0) -> pd.DataFrame:
    """The same number of bookings from every arrival month (July 2015 - August 2017)."""
    table = hotel_table(path)
    month = table["arrival_date"].str[:7]
    parts = [g.sample(min(per_month, len(g)), random_state=seed) for _, g in table.groupby(month)]
    return pd.concat(parts).sort_values(["arrival_date", "id"]).reset_index(drop=True)


if __name__ == "__main__":  # python benchmarks/_bookings.py SRC OUT.csv.gz
    import sys

    sample(sys.argv[1]).to_csv(sys.argv[2], index=False)
