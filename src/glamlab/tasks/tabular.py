"""A tabular project: rows of a table over time, a yes/no outcome per row.

The project card's ``[tabular]`` section is the table's schema
(:class:`~glamlab.ingest.columns.TableSchema`); ``[split]`` holds the time split
(``by = "time"``, ``train_until``: rows before that date train, later rows test and are
replayed). Each row is an item (modality ``record``, its columns in the metadata, the
outcome in its label column: outcomes that arrive later come by ingesting the rows again
with the outcome filled in, which makes a new version of each row).

The task kind is the ordinary ``single-label`` kind with the labels "0" and "1": a yes/no
outcome is a two-label classification, so the kind's metrics, policy and review apply.

- :func:`schema_of` reads the card; :func:`describe_table` infers the schema of a file;
- :func:`check_table` reads and types a table against the schema, storing nothing;
- :func:`ingest_table` checks a CSV/Parquet file (one error naming the column and the fix),
  stores its rows and runs the leakage check before anything is trained;
- :func:`project_frame` gives the ingested rows back as a typed table;
- :func:`set_time_split` / :func:`train_until` / :func:`split_frame`: the time split;
- :func:`require_no_leakage`: refuses to train while a column predicts the outcome almost
  perfectly and is not a never-feature.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import CONFIG_NAME
from ..errors import ConfigError, LabelError
from ..ingest.columns import (
    NO_OUTCOME,
    TableSchema,
    frame_from_items,
    infer_schema,
    prepare,
    read_table,
)

if TYPE_CHECKING:
    import pandas as pd

    from ..ingest import IngestReport
    from ..workspace import Workspace
    from .leakage import LeakageReport

TABULAR = "tabular"
TRAIN_SHARE = 0.8  # the automatic split: the earliest 80% of the time range trains


def is_tabular(ws: Workspace) -> bool:
    return ws.card.modality == TABULAR


def schema_of(ws: Workspace) -> TableSchema:
    """The card's ``[tabular]`` section, checked."""
    if not is_tabular(ws):
        raise ConfigError(f"this is a {ws.card.modality} project, not a tabular one",
                          hint="create a tabular project: glamlab init DIR --modality tabular "
                               "--task NAME --labels 0,1")
    section = ws.card.section(TABULAR)
    if not section:
        raise ConfigError(f"{CONFIG_NAME} has no [tabular] section yet",
                          hint="ingest the table first: glamlab ingest FILE.csv "
                               "--time-column COL --label-column COL")
    return TableSchema.from_card(section)


def describe_table(table: pd.DataFrame, *, time_column: str, label_column: str | None,
                   id_column: str | None = None, positive: str = "1",
                   never_features: list[str] | None = None,
                   group_columns: list[str] | None = None,
                   units: dict[str, str] | None = None,
                   types: dict[str, str] | None = None) -> TableSchema:
    """The schema of a raw table (types inferred; one error naming a wrong column)."""
    return infer_schema(table, time_column=time_column, label_column=label_column,
                        positive=positive, id_column=id_column,
                        never_features=list(never_features or []),
                        group_columns=list(group_columns or []), units=dict(units or {}),
                        types=types)


@dataclass
class TableIngest:
    report: IngestReport
    schema: TableSchema
    leakage: LeakageReport | None
    train_until: str | None
    yearly: list[str] = field(default_factory=list)  # features that only follow the year

    def to_dict(self) -> dict[str, Any]:
        return {**self.report.to_dict(), "schema": self.schema.to_card(),
                "leakage": self.leakage.to_dict() if self.leakage else None,
                "train_until": self.train_until, "follow_the_year": self.yearly}

    def summary(self) -> str:
        lines = [self.report.summary()]
        if self.yearly:
            cols = ", ".join(self.yearly)
            lines.append(f"{cols} only follow{'s' if len(self.yearly) == 1 else ''} the year of "
                         f"{self.schema.time_column}: every later year brings a value the "
                         "model never saw, so it can only guess there and monitoring calls "
                         "every new window unusual. Keep "
                         f"{'it' if len(self.yearly) == 1 else 'them'} out: "
                         + " ".join(f"--never-feature {c}" for c in self.yearly) + ".")
        if self.train_until:
            lines.append(f"Time split: rows before {self.train_until} train, later rows test "
                         "(change it with glamlab labels split --by-time --cutoff DATE).")
        if self.leakage is not None:
            lines.append(self.leakage.summary())
        return "\n".join(lines)


@dataclass
class CheckedTable:
    """A table read and typed against the project's schema, nothing stored yet."""
    table: pd.DataFrame
    schema: TableSchema
    typed: pd.DataFrame
    ids: pd.Series
    has_label: bool  # the outcome column is in the table


def check_table(ws: Workspace, path: str | Path, *, time_column: str | None = None,
                label_column: str | None = None, id_column: str | None = None,
                positive: str | None = None, never_features: list[str] | None = None,
                group_columns: list[str] | None = None, types: dict[str, str] | None = None,
                units: dict[str, str] | None = None) -> CheckedTable:
    """What :func:`ingest_table` checks before it stores anything: the table read and
    typed against the card's ``[tabular]`` schema (or the schema the options describe,
    for a project's first table), its ids unique, a misspelt outcome column refused.
    One error naming the column and the fix; nothing is written (also not the card)."""
    table = read_table(path)
    section = ws.card.section(TABULAR)
    if section:
        schema = TableSchema.from_card(section)
        for name, value in (("time_column", time_column), ("label_column", label_column),
                            ("id_column", id_column)):
            if value and value != getattr(schema, name):
                raise ConfigError(f"the card's [tabular] {name} is {getattr(schema, name)!r}, "
                                  f"not {value!r}",
                                  hint=f"leave the option out, or edit [tabular] in {CONFIG_NAME}")
        extra = [c for c in never_features or [] if c not in schema.never_features]
        schema.never_features += extra
    else:
        if not time_column:
            raise ConfigError("a tabular project needs the name of its time column",
                              hint="add --time-column COL (the date each row happened)")
        schema = describe_table(table, time_column=time_column, label_column=label_column,
                                id_column=id_column,
                                positive=positive or ws.card.positive_label or "1",
                                never_features=never_features, group_columns=group_columns,
                                types=types, units=units)
    id_col = schema.id_column or "id"
    if id_col not in table.columns:
        raise ConfigError(f"the table has no id column {id_col!r}",
                          hint="name the column of unique row ids with --id-column COL "
                               "(or add a column called id)")
    has_label = bool(schema.label_column) and schema.label_column in table.columns
    if schema.label_column and not has_label:
        _check_outcome_name(table, schema)
    typed = prepare(table, schema, require_label=has_label)  # one error per bad column
    ids = table[id_col].astype(str)
    if not ids.is_unique:
        raise ConfigError(f"the id column {id_col!r} has repeated values "
                          f"(e.g. {ids[ids.duplicated()].iloc[0]!r})",
                          hint="give every row its own id")
    return CheckedTable(table, schema, typed, ids, has_label)


def ingest_table(ws: Workspace, path: str | Path, *, time_column: str | None = None,
                 label_column: str | None = None, id_column: str | None = None,
                 positive: str | None = None, never_features: list[str] | None = None,
                 group_columns: list[str] | None = None, types: dict[str, str] | None = None,
                 units: dict[str, str] | None = None, check_leaks: bool = True,
                 allow_source_change: bool = False, source: str | None = None) -> TableIngest:
    """Store the rows of a CSV (optionally gzipped), TSV or Parquet file as items.

    The first table of a project fixes the schema (options given here, or the card's
    ``[tabular]``); later tables (new rows, or the same rows with their outcomes) must
    fit it. The whole table is typed first (:func:`check_table`), so a wrong column is
    one error naming it and nothing is stored. Then the leakage check runs on the rows
    with an outcome.

    A later table may leave the outcome column out, or keep it with every value empty:
    its rows come in without outcomes, and a row whose outcome is stored already keeps
    it (a blank cell is "not known here", never an erased outcome). Rows already
    ingested from another file (their
    outcomes, arriving in a new file) are refused as a whole unless
    ``allow_source_change``: then each changed row becomes a new version. ``source``
    names the file the rows belong to (default: the file's resolved path; the web app
    names an upload by its file name, the same for every upload of that file)."""
    from ..ingest import write_records
    from ..ingest.base import Record

    checked = check_table(ws, path, time_column=time_column, label_column=label_column,
                          id_column=id_column, positive=positive,
                          never_features=never_features, group_columns=group_columns,
                          types=types, units=units)
    table, schema, typed, ids = checked.table, checked.schema, checked.typed, checked.ids
    has_label = checked.has_label
    records = []
    origin = source or str(Path(path).resolve())
    known = _known_outcomes(ws, schema.label_column, list(ids)) if schema.label_column else {}
    for rid, row in zip(ids, table.to_dict("records"), strict=True):
        meta = {str(k): _jsonable(v) for k, v in row.items()}
        if rid in known and _blank(meta.get(str(schema.label_column))):
            # a blank (or absent) outcome is "not known here", never an erased one
            meta[str(schema.label_column)] = known[rid]
        digest = hashlib.sha256(json.dumps(meta, sort_keys=True, default=str).encode()
                                ).hexdigest()
        records.append(Record(item_id=rid, modality="record", source_kind="table",
                              source=origin, content_hash=digest, meta=meta))
    with ws.store.write() as conn:
        report = write_records(ws.store, conn, records, sources=[origin],
                               allow_source_change=allow_source_change)
    ws.card.raw[TABULAR] = schema.to_card()
    cutoff = train_until(ws)
    if cutoff is None:
        times = typed[schema.time_column]
        cutoff = str((times.min() + (times.max() - times.min()) * TRAIN_SHARE).date())
        ws.card.raw["split"] = {"by": "time", "train_until": cutoff}
    ws.save_card()
    leakage = None
    if check_leaks and has_label and typed[schema.label_column].nunique() > 1:
        from .leakage import check_leakage

        leakage = check_leakage(typed, schema)
    return TableIngest(report, schema, leakage, cutoff, follow_the_year(typed, schema))


def follow_the_year(frame: pd.DataFrame, schema: TableSchema) -> list[str]:
    """Feature columns whose value is fixed by the year of the time column and differs
    between years (an ``arrival_date_year``): the future always lies outside their
    training range."""
    times = frame[schema.time_column]
    years = times.dt.year
    if years.nunique() < 2:
        return []
    out = []
    for c in schema.features:
        if c not in frame.columns:
            continue
        values = frame[c]
        known = values.notna()
        if known.sum() < 2 or values[known].nunique() < 2:
            continue
        per_year = values[known].groupby(years[known]).nunique()
        if int(per_year.max()) == 1 and values[known].nunique() == int(per_year.size):
            out.append(c)
    return out


def _check_outcome_name(table: Any, schema: TableSchema) -> None:
    """A table without the outcome column but with a column the project does not know
    whose name is nearly the outcome's (``is_cancelled`` for ``is_canceled``): refused,
    as its outcomes would come in as no outcomes, silently."""
    import difflib

    from ..ingest.columns import ColumnError

    known = {schema.time_column, schema.id_column or "id", *schema.columns,
             *schema.never_features, *schema.group_columns}
    unknown = [str(c) for c in table.columns if str(c) not in known]
    close = difflib.get_close_matches(str(schema.label_column), unknown, n=1, cutoff=0.8)
    if close:
        raise ColumnError(
            f"the table has no outcome column {schema.label_column!r}, but a column "
            f"{close[0]!r} this project does not know: its outcomes would come in as none",
            column=close[0],
            hint=f"rename the column {close[0]!r} to {schema.label_column!r} if it holds the "
                 "outcomes; if it does not, rename or drop it; then bring the table in again")


def _blank(v: Any) -> bool:
    """No outcome in this cell (as :func:`glamlab.ingest.columns.prepare` reads it)."""
    return v is None or (isinstance(v, float) and math.isnan(v)) or \
        str(v).strip() in NO_OUTCOME


def _known_outcomes(ws: Workspace, label_column: str, ids: list[str]) -> dict[str, Any]:
    """Row id -> the outcome its stored (current) version holds, where it holds one."""
    import sqlalchemy as sa

    t = ws.store.t.items
    out: dict[str, Any] = {}
    with ws.store.read() as conn:
        for i in range(0, len(ids), 900):
            for item_id, meta in conn.execute(sa.select(t.c.item_id, t.c.meta).where(
                    t.c.is_current.is_(True), t.c.item_id.in_(ids[i:i + 900]))):
                value = (meta or {}).get(label_column)
                if not _blank(value):
                    out[item_id] = value
    return out


def _jsonable(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, float):
        return None if math.isnan(v) else v
    if hasattr(v, "item"):  # numpy scalars
        v = v.item()
        return None if isinstance(v, float) and math.isnan(v) else v
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return v


def project_frame(ws: Workspace, *, schema: TableSchema | None = None) -> pd.DataFrame:
    """Every ingested row (latest versions) as a typed, time-ordered table."""
    schema = schema or schema_of(ws)
    items = list(ws.items(where={"modality": "record"}))
    if not items:
        raise ConfigError("the project has no rows yet",
                          hint="glamlab ingest FILE.csv --time-column COL --label-column COL")
    return frame_from_items(items, schema)


def train_until(ws: Workspace) -> str | None:
    split = ws.card.section("split")
    value = split.get("train_until") if split.get("by") == "time" else None
    return str(value) if value else None


def set_time_split(ws: Workspace, cutoff: str | None = None) -> dict[str, Any]:
    """Rows before ``cutoff`` train, later ones test (default: the earliest 80% of the
    time range trains; a cutoff after the last row trains on every row, and the rows
    ingested later are the future). Returns the split's counts."""
    import pandas as pd

    schema = schema_of(ws)
    frame = project_frame(ws, schema=schema)
    times = frame[schema.time_column]
    if cutoff is None:
        stamp = times.min() + (times.max() - times.min()) * TRAIN_SHARE
    else:
        try:
            stamp = pd.Timestamp(cutoff)
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"{cutoff!r} is not a date", hint="give it as YYYY-MM-DD") from exc
    day = str(stamp.date())
    train = int((times < day).sum())
    if train == 0:
        raise ConfigError(f"a cutoff of {day} leaves no rows to train on "
                          f"(rows run {times.min().date()} to {times.max().date()})",
                          hint="choose a later date")
    ws.card.raw["split"] = {"by": "time", "train_until": day}
    ws.save_card()
    return {"by": "time", "train_until": day, "train": train, "test": len(frame) - train}


def split_frame(ws: Workspace, frame: pd.DataFrame | None = None
                ) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """(training rows, later rows, the cutoff) by the card's time split."""
    schema = schema_of(ws)
    frame = project_frame(ws, schema=schema) if frame is None else frame
    cutoff = train_until(ws)
    if cutoff is None:
        cutoff = set_time_split(ws)["train_until"]
    t = frame[schema.time_column]
    return (frame[t < cutoff].reset_index(drop=True), frame[t >= cutoff].reset_index(drop=True),
            cutoff)


def require_no_leakage(frame: pd.DataFrame, schema: TableSchema) -> LeakageReport:
    """The leakage check before training: a column that predicts the outcome almost
    perfectly on its own and is not a never-feature stops training."""
    from .leakage import check_leakage

    report = check_leakage(frame, schema)
    bad = [f.column for f in report.flagged if not f.excluded]
    if bad:
        raise LabelError(
            f"{', '.join(bad)} predict{'s' if len(bad) == 1 else ''} the outcome almost "
            f"perfectly on {'its' if len(bad) == 1 else 'their'} own (probably written after "
            "the outcome is known)",
            hint=f"add {', '.join(repr(b) for b in bad)} to [tabular] never_features in "
                 f"{CONFIG_NAME} (or glamlab ingest ... --never-feature COL), or pass "
                 "--allow-leaky if the column is really known in advance")
    return report


__all__ = ["TABULAR", "TableIngest", "describe_table", "follow_the_year", "ingest_table",
           "is_tabular",
           "project_frame", "require_no_leakage", "schema_of", "set_time_split", "split_frame",
           "train_until"]
