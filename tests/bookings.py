"""The bundled sample of real hotel bookings (src/glamlab/demo_data/bookings), typed once
per test session."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

SAMPLE = (Path(__file__).resolve().parents[1] / "src" / "glamlab" / "demo_data" / "bookings"
          / "bookings-sample.csv.gz")
NEVER = ["reservation_status", "reservation_status_date", "assigned_room_type",
         "booking_changes", "arrival_date_year", "arrival_date_month",
         "arrival_date_week_number", "arrival_date_day_of_month"]


def raw():
    from glamlab.ingest.columns import read_table

    return read_table(SAMPLE)


@lru_cache(maxsize=1)
def _schema_and_frame():
    from glamlab.ingest.columns import infer_schema, prepare

    table = raw()
    schema = infer_schema(table, time_column="arrival_date", label_column="is_canceled",
                          id_column="id", never_features=NEVER, group_columns=["hotel"],
                          types={"agent": "category", "company": "category"},
                          units={"lead_time": "days"})
    return schema, prepare(table, schema)


def schema():
    return _schema_and_frame()[0]


def frame():
    return _schema_and_frame()[1].copy()


def split():
    f = frame()
    t = f["arrival_date"]
    return (f[t < "2017-01-01"].reset_index(drop=True),
            f[t >= "2017-01-01"].reset_index(drop=True))


def rows_project(make_ws, tmp_path: Path, name: str = "rows"):
    """A tabular project ``name``: 300 rows of the bookings sample, the last 20 without
    their outcome yet."""
    from glamlab.tasks.tabular import ingest_table

    ws = make_ws(name, task="no-shows", modality="tabular", labels=["0", "1"])
    table = raw().sort_values("arrival_date").head(300).reset_index(drop=True)
    table["is_canceled"] = table["is_canceled"].astype("Int64").astype(object)
    table.loc[table.index[-20:], "is_canceled"] = None
    table.to_csv(tmp_path / f"{name}.csv", index=False)
    ingest_table(ws, tmp_path / f"{name}.csv", time_column="arrival_date",
                 label_column="is_canceled", id_column="id", group_columns=["hotel"],
                 never_features=list(NEVER))
    return ws
