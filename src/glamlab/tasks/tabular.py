"""A tabular project: rows of a table over time, a yes/no outcome per row.

The project card's ``[tabular]`` section is the table's schema
(:class:`~glamlab.ingest.columns.TableSchema`); ``[split]`` holds the time split
(``by = "time"``, ``train_until``: rows before that date train, later rows test and are
replayed). Each row is an item (modality ``record``, its columns in the metadata, the
outcome in its label column: outcomes that arrive later come by ingesting the rows again
with the outcome filled in, which makes a new version of each row).

The task kind is the ordinary ``single-label`` kind with the labels "0" and "1": a yes/no
outcome is a two-label classification, so the kind's metrics, policy and review apply.

The rest of glamlab reads gold labels from the ``labels`` table and the split from the
``splits`` table, so the table's known outcomes are kept there too: every row with an
outcome holds the label "1" or "0" given by :data:`TABLE_ANNOTATOR` (its source naming the
outcome column and the file), and sits in the train split when it happened before
``train_until``, else in the test split (but a row a saved model learned from never
moves into it, and a row of a frozen test split never leaves it: a corrected date keeps
such a row where it was, and training follows the ``splits`` table, so a row kept in
train trains new models). :func:`ingest_table` keeps them
in step with the rows it stores (a changed outcome replaces the label; a blank cell
changes nothing) and :func:`set_time_split` with the cutoff, so ``labels show``, ``status``, ``evaluate`` and
``act`` see what ``train``, ``backtest`` and ``retrain`` see. Rows without an outcome yet
(future bookings) have no label and no split: they are what ``act`` acts on.

- :func:`schema_of` reads the card; :func:`describe_table` infers the schema of a file;
- :func:`check_table` reads and types a table against the schema, storing nothing;
- :func:`ingest_table` checks a CSV/Parquet file (one error naming the column and the fix;
  a bad row is left out, a problem naming its id and line), stores its rows and runs the
  leakage check before anything is trained;
- :func:`project_frame` gives the ingested rows back as a typed table;
- :func:`set_time_split` / :func:`train_until` / :func:`split_frame`: the time split;
- :func:`require_no_leakage`: refuses to train while a column predicts the outcome almost
  perfectly and is not a never-feature.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import CONFIG_NAME, check_card_writable
from ..errors import ConfigError, LabelError
from ..ingest.base import Problem
from ..ingest.columns import (
    NO_OUTCOME,
    TableSchema,
    check_outcomes,
    frame_from_items,
    infer_schema,
    outcome_known,
    prepare,
    read_table,
)
from ..said import in_words

if TYPE_CHECKING:
    import pandas as pd

    from ..ingest import IngestReport
    from ..workspace import Workspace
    from .leakage import LeakageReport

TABULAR = "tabular"
#: who gives the outcomes that come in the table's rows (the ``labels`` rows' annotator)
TABLE_ANNOTATOR = "table"
#: the baselines a forecaster tries first (:mod:`glamlab.predictors.tabular`): the training
#: share of "yes", the share in the last period, the share in the same period a year before
BASELINES = ("tabular-share", "tabular-last-period", "tabular-last-year")
TRAIN_SHARE = 0.8  # the automatic split: the earliest 80% of the time range trains


def is_tabular(ws: Workspace) -> bool:
    return ws.card.modality == TABULAR


def schema_of(ws: Workspace) -> TableSchema:
    """The card's ``[tabular]`` section, checked."""
    if not is_tabular(ws):
        raise ConfigError(f"this is a {ws.card.modality} project, not a tabular one",
                          hint=in_words(
                              "create a tabular project: Workspace.init(DIR, task='NAME', "
                              "modality='tabular', labels=['0', '1'])",
                              "create a tabular project: glamlab init DIR --modality tabular "
                              "--task NAME --labels 0,1",
                              "create a new project whose items are rows of a table"))
    section = ws.card.section(TABULAR)
    if not section:
        raise ConfigError(f"{CONFIG_NAME} has no [tabular] section yet",
                          hint="ingest the table first: " + first_table_fix())
    return TableSchema.from_card(section)


def first_table_fix() -> str:
    """A tabular project's first table, in the caller's words (:mod:`glamlab.said`)."""
    return in_words("ingest_table(ws, 'FILE.csv', time_column='COL', label_column='COL')",
                    "glamlab ingest FILE.csv --time-column COL --label-column COL",
                    "bring the table in on the Bring items in page, choosing the date of "
                    "each row and its outcome")


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
    #: rows a saved model learned from kept out of the test split their date now puts
    #: them in by this ingest (said once, in the report's warnings)
    kept_in_split: int = 0
    #: rows of the frozen test split kept there though their corrected date now puts
    #: them in the training period, by this ingest (said once, naming them)
    kept_in_test: int = 0
    #: input columns that only say where the date lies in the calendar, each with that
    #: position in words: monitoring leaves them out of drift (the monitor's own rule,
    #: :func:`glamlab.tasks.calendar.calendar_positions`)
    calendar: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {**self.report.to_dict(), "schema": self.schema.to_card(),
                "leakage": self.leakage.to_dict() if self.leakage else None,
                "train_until": self.train_until, "follow_the_year": self.yearly,
                "kept_in_split": self.kept_in_split, "kept_in_test": self.kept_in_test,
                "calendar": dict(self.calendar), "calendar_words": self.calendar_words()}

    def calendar_words(self) -> str:
        """The columns monitoring leaves out of drift, each named, and why; '' for none."""
        if not self.calendar:
            return ""
        one = len(self.calendar) == 1
        named = ", ".join(f"{c} ({w})" for c, w in self.calendar.items())
        return (f"Left out of drift monitoring: {named}. {'It only says' if one else 'Each only says'} "
                "where the date lies in the calendar, which moves on with the date by itself, "
                f"so {'its' if one else 'their'} change between weeks is no sign that the "
                f"rows changed (models still read {'it' if one else 'them'}).")

    def summary(self) -> str:
        lines = [self.report.summary()]
        if self.yearly:
            cols = ", ".join(self.yearly)
            lines.append(f"{cols} only follow{'s' if len(self.yearly) == 1 else ''} the year of "
                         f"{self.schema.time_column}: every later year brings a value the "
                         "model never saw, so it can only guess there and monitoring calls "
                         "every new window unusual. Keep "
                         f"{'it' if len(self.yearly) == 1 else 'them'} out: "
                         + in_words("add " + ", ".join(repr(c) for c in self.yearly)
                                    + " to never_features=[...]",
                                    " ".join(f"--never-feature {c}" for c in self.yearly),
                                    "choose " + ("it" if len(self.yearly) == 1 else "them")
                                    + " under “Columns no model may read”") + ".")
        if self.calendar:
            lines.append(self.calendar_words())
        if self.train_until:
            lines.append(f"Time split: rows before {self.train_until} train, later rows test "
                         + in_words("(change it with set_time_split(ws, 'YYYY-MM-DD')).",
                                    "(change it with glamlab labels split --by-time --cutoff "
                                    "DATE).",
                                    "(change it on the Labelling page)."))
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
    #: the rows left out (an empty or repeated id, an empty or unreadable date, a word
    #: in a number column, a value not a date in a date column, an outcome that is not
    #: one of the two), each a problem naming the row's id and line and the fix
    problems: list[Problem] = field(default_factory=list)


def check_table(ws: Workspace, path: str | Path, *, time_column: str | None = None,
                label_column: str | None = None, id_column: str | None = None,
                positive: str | None = None, never_features: list[str] | None = None,
                group_columns: list[str] | None = None, types: dict[str, str] | None = None,
                units: dict[str, str] | None = None) -> CheckedTable:
    """What :func:`ingest_table` checks before it stores anything: the table read and
    typed against the card's ``[tabular]`` schema (or the schema the options describe,
    for a project's first table), a misspelt outcome column refused. A problem of a
    column (missing, of the wrong type, an empty file) is one error naming the column
    and the fix; nothing is written (also not the card). A problem of a row (an empty or
    repeated id, an empty or unreadable date, a word in a number column, a value that is
    not a date in another date column, an outcome that is not one of the project's two)
    leaves that row out: each is one of ``problems``, naming the row's id and line and
    the fix, and the other rows are checked and typed without them. An empty outcome is
    no problem: the row's outcome is not known yet, and it comes in to be predicted."""
    table = read_table(path).reset_index(drop=True)  # the index: each row's position
    source = str(path)
    section = ws.card.section(TABULAR)
    if section:
        schema = TableSchema.from_card(section)
        for name, value in (("time_column", time_column), ("label_column", label_column),
                            ("id_column", id_column), ("positive", positive)):
            if value and value != getattr(schema, name):
                raise ConfigError(f"the card's [tabular] {name} is {getattr(schema, name)!r}, "
                                  f"not {value!r}",
                                  hint=f"leave the option out, or edit [tabular] in {CONFIG_NAME}")
        extra = [c for c in never_features or [] if c not in schema.never_features]
        schema.never_features += extra
        bad = _bad_rows(table, schema.time_column, schema.id_column or "id", Path(path))
    else:
        if not time_column:
            raise ConfigError("a tabular project needs the name of its time column",
                              hint=in_words("add time_column='COL' (the date each row "
                                            "happened)",
                                            "add --time-column COL (the date each row happened)",
                                            "choose the date of each row"))
        if not len(table):  # it would fix the schema, and a time split at no date (NaT)
            raise ConfigError(f"{Path(path).name} holds no rows (a header only): a "
                              "project's first table fixes its columns and its time split",
                              hint="ingest a table with rows (and outcomes) first")
        bad = _bad_rows(table, time_column, id_column or "id", Path(path))
        schema = describe_table(table.drop(index=list(bad)), time_column=time_column,
                                label_column=label_column, id_column=id_column,
                                positive=positive or ws.card.positive_label or "1",
                                never_features=never_features, group_columns=group_columns,
                                types=types, units=units)
    id_col = schema.id_column or "id"
    if id_col not in table.columns:
        raise ConfigError(f"the table has no id column {id_col!r}",
                          hint=in_words("name the column of unique row ids with "
                                        "id_column='COL' (or add a column called id)",
                                        "name the column of unique row ids with --id-column "
                                        "COL (or add a column called id)",
                                        "choose the column of each row's id (or add a column "
                                        "called id to the table)"))
    has_label = bool(schema.label_column) and schema.label_column in table.columns
    if schema.label_column and not has_label:
        _check_outcome_name(table, schema)
    bad.update(_bad_cells(table.drop(index=list(bad)), schema, id_col, Path(path)))
    stored: dict[str, str] = {}
    if has_label:
        # a later table's outcomes are read as the stored rows' are: the same two values
        rest = table.drop(index=list(bad))
        if section:
            stored = _stored_outcome_values(ws, str(schema.label_column),
                                            set(rest[id_col].astype(str)))
        bad.update(_bad_outcomes(rest, schema, id_col, Path(path), stored))
    problems = [Problem(source, item, reason, hint) for _pos, (item, reason, hint)
                in sorted(bad.items())]
    table = table.drop(index=list(bad))
    ids = table[id_col].astype(str)
    typed = prepare(table, schema, require_label=has_label)  # one error per bad column
    if has_label:
        check_outcomes(table[schema.label_column], schema, ids, stored=stored,
                       source=Path(path).name)
    return CheckedTable(table, schema, typed, ids, has_label, problems)


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
    one error naming it and nothing is stored; a bad row (an empty or repeated id, an
    empty or unreadable date, a word in a number column, a value not a date in a date
    column, an outcome not one of the project's two) is left out, one of the
    report's problems (recorded as every ingest's are), and the other rows are stored
    (none: nothing is, and the card is left as it is). Then the leakage check runs on
    the rows with an outcome.

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

    start = time.monotonic()
    checked = check_table(ws, path, time_column=time_column, label_column=label_column,
                          id_column=id_column, positive=positive,
                          never_features=never_features, group_columns=group_columns,
                          types=types, units=units)
    table, schema, typed, ids = checked.table, checked.schema, checked.typed, checked.ids
    has_label = checked.has_label
    records = []
    origin = source or str(Path(path).resolve())
    # the rows left out are this ingest's problems, recorded as every ingest's are
    problems = [replace(p, source=origin) for p in checked.problems]
    if not len(table):  # every row left out: nothing stored, the card left as it is
        with ws.store.write() as conn:
            report = write_records(ws.store, conn, [], sources=[origin], problems=problems)
        report.seconds = time.monotonic() - start
        return TableIngest(report, schema, None, train_until(ws))
    stored = _stored_metas(ws, list(ids))
    known = ({i: m[schema.label_column] for i, m in stored.items()
              if not _blank(m.get(schema.label_column))} if schema.label_column else {})
    for rid, row in zip(ids, table.to_dict("records"), strict=True):
        meta = {str(k): _jsonable(v) for k, v in row.items()}
        if rid in known and _blank(meta.get(str(schema.label_column))):
            # a blank (or absent) outcome is "not known here", never an erased one
            meta[str(schema.label_column)] = known[rid]
        digest = hashlib.sha256(json.dumps({k: _canonical(v) for k, v in meta.items()},
                                           sort_keys=True, default=str).encode()).hexdigest()
        records.append(Record(item_id=rid, modality="record", source_kind="table",
                              source=origin, content_hash=digest, meta=meta))
    cutoff = train_until(ws)
    first_split = cutoff is None
    if cutoff is None:
        times = typed[schema.time_column]
        cutoff = str((times.min() + (times.max() - times.min()) * TRAIN_SHARE).date())
    # the card is saved after the rows: a card that cannot be written stops it first
    check_card_writable(ws.root / CONFIG_NAME)
    kept: list[str] = []
    held: list[str] = []
    with ws.store.write() as conn:
        from .splits import freeze_info

        frozen = not first_split and freeze_info(ws, conn=conn) is not None
        report = write_records(ws.store, conn, records, sources=[origin],
                               allow_source_change=allow_source_change, problems=problems)
        if schema.label_column:
            # the known outcomes as labels, each row with one in the split of its time
            outcomes = outcome_frame([(r.item_id, r.meta) for r in records], schema)
            synced = _sync_outcomes(ws, conn, schema, outcomes, cutoff, keep_test=frozen,
                                    source=f"{schema.label_column} column of {Path(origin).name}")
            if first_split:
                ws.store.audit(conn, TABLE_ANNOTATOR, "split.create", None, by="time",
                               train_until=cutoff, **synced["split"])
            # said once: only for rows whose stored date was on the other side of the
            # cutoff before this table (the correction is new); a table that brings the
            # same corrected date again says nothing more
            before = _before_cutoff(stored, schema, cutoff)
            kept = [i for i in synced["kept"] if before.get(i) is True]
            held = [i for i in synced["held"] if before.get(i) is False]
            if kept:
                report.warnings.append(kept_in_split(len(kept), cutoff))
            if held:
                report.warnings.append(kept_in_test(held, cutoff))
    ws.update_card({TABULAR: schema.to_card(),
                    **({"split": {"by": "time", "train_until": cutoff}} if first_split else {})})
    leakage = None
    if check_leaks and has_label and typed[schema.label_column].nunique() > 1:
        from .leakage import check_leakage

        leakage = check_leakage(typed, schema)
    year_bound = follow_the_year(typed, schema)
    from .calendar import calendar_positions

    calendar = calendar_positions(typed, schema)
    report.seconds = time.monotonic() - start  # reading, checking, storing, the leak check
    return TableIngest(report, schema, leakage, cutoff, year_bound, len(kept), len(held),
                       calendar)


def _at(path: Path, pos: int) -> str:
    """Where row ``pos`` (from 0) of a table read from ``path`` is: its line in a CSV or
    TSV file (a row a line after the header), its row number in Parquet."""
    lines = not any(s.lower() in (".parquet", ".pq") for s in path.suffixes)
    return f"line {pos + 2}" if lines else f"row {pos + 1}"


#: what every left-out row's fix ends with
_AGAIN = "and ingest the table again (the other rows were stored)"
#: a row left out: its position -> (the item named, the reason, the fix)
BadRows = dict[int, tuple[str, str, str]]


def _bad_rows(table: pd.DataFrame, name: str, id_column: str, path: Path) -> BadRows:
    """The rows that cannot be stored, by their position: an empty id cell (it would be
    stored as the item ``''``), an id on more than one row (every copy: which one is
    right is not known), an empty date (the row would sit in no month and, with an
    outcome, in the test split whatever its date) or one that cannot be read. A time
    column none of whose dates can be read is the wrong column: one error naming it and
    the fix (nothing is stored)."""
    from ..errors import ColumnError
    from ..ingest.columns import pandas

    pd = pandas()
    bad: BadRows = {}
    ids = table[id_column].astype(str) if id_column in table.columns else None
    if ids is not None:
        blank = (ids.str.strip() == "") | ids.isin(["nan", "None", "<NA>"])
        for pos in table.index[blank]:
            at = _at(path, pos)
            bad[pos] = (at, f"{at}: the id column {id_column!r} is empty; the row was left "
                            "out", f"give the row its own id, {_AGAIN}")
        twice = ids.duplicated(keep=False) & ~blank
        for rid, group in ids[twice].groupby(ids[twice], sort=False):
            where = ", ".join(_at(path, p) for p in group.index)
            for pos in group.index:
                bad.setdefault(pos, (str(rid), (
                    f"{_at(path, pos)}: the id {rid!r} is on {len(group)} rows ({where}); "
                    "every copy was left out, as which one is right is not known"),
                    f"keep one row with the id {rid!r} (give the others ids of their own), "
                    + _AGAIN))
    if name not in table.columns:
        return bad  # prepare() names the missing column
    col = table[name]
    if pd.api.types.is_datetime64_any_dtype(col):
        empty = col.isna()
        wrong = pd.Series(False, index=col.index)
    else:
        text = col.astype("string").str.strip().fillna("")
        empty = text == ""
        wrong = pd.to_datetime(text.where(~empty), errors="coerce",
                               format="ISO8601").isna() & ~empty
        if wrong.any() and wrong.sum() == (~empty).sum():
            first = text[wrong].iloc[0]
            raise ColumnError(
                f"the time column {name!r} is not a date: none of its "
                f"{int(wrong.sum()):,} values (such as {first!r} on "
                f"{_at(path, int(text[wrong].index[0]))}) can be read as one", column=name,
                hint="give dates as YYYY-MM-DD (ISO 8601), or name another column, and "
                     "ingest the table again (nothing was stored)")
    for pos in table.index[empty | wrong]:
        at = _at(path, pos)
        rid = ids[pos] if ids is not None and pos not in bad else None
        row = f"the row {rid!r}" if rid is not None else "the row"
        if empty[pos]:
            reason = (f"{at}: {row} has no date in the time column {name!r}; it was left "
                      "out (the time split, the backtest and monitoring go by the date)")
            hint = ("fill in its date (YYYY-MM-DD), or leave the row out until it is "
                    "known, " + _AGAIN)
        else:
            reason = (f"{at}: {row} has {str(col[pos]).strip()!r} in the time column "
                      f"{name!r}, not a date; it was left out")
            hint = f"write the date as YYYY-MM-DD (ISO 8601), {_AGAIN}"
        bad.setdefault(pos, (rid if rid is not None else at, reason, hint))
    return bad


def _bad_cells(table: pd.DataFrame, schema: TableSchema, id_column: str,
               path: Path) -> BadRows:
    """The rows with a word in a column the schema types as a number, or a value that is
    not a date in a date column besides the time column (never-features included:
    :func:`~glamlab.ingest.columns.prepare` types them too), where most of the column's
    values are of its type (a column mostly of other values is the wrong type: left to
    :func:`~glamlab.ingest.columns.prepare`, one error naming it and the fix)."""
    from ..ingest.columns import DATE, NUMBER, date_cells, number_cells

    bad: BadRows = {}
    ids = table[id_column].astype(str) if id_column in table.columns else None
    for name, kind in schema.columns.items():
        if kind not in (NUMBER, DATE) or name not in table.columns or name in (
                schema.time_column, id_column, schema.label_column):
            continue
        filled, wrong = (number_cells if kind == NUMBER else date_cells)(table[name])
        if not wrong.any() or wrong.sum() * 2 > filled.sum():
            continue
        for pos in table.index[wrong]:
            at = _at(path, pos)
            rid = ids[pos] if ids is not None else at
            value = str(table[name][pos]).strip()
            if kind == NUMBER:
                reason = (f"{at}: the row {rid!r} has {value!r} in the number column "
                          f"{name!r}; it was left out")
                hint = (f"write a number there (or leave the cell empty: not known), {_AGAIN}"
                        "; if the column holds words, type it as a category in "
                        f'[tabular.columns] ({name} = "category")')
            else:
                reason = (f"{at}: the row {rid!r} has {value!r} in the date column "
                          f"{name!r}, not a date; it was left out")
                hint = ("write the date as YYYY-MM-DD (ISO 8601), or leave the cell empty "
                        f"where it is not known, {_AGAIN}; if the column does not hold "
                        f'dates, type it as a category in [tabular.columns] ({name} = '
                        '"category")')
            bad.setdefault(pos, (rid, reason, hint))
    return bad


def _bad_outcomes(table: pd.DataFrame, schema: TableSchema, id_column: str, path: Path,
                  stored: dict[str, str]) -> BadRows:
    """The rows whose outcome is not one of the project's two (a third value, or beside
    the ``stored`` rows' values one they do not hold), where they are few
    (:func:`~glamlab.ingest.columns.odd_outcomes`): each left out, its stored version (if
    any) kept. An empty outcome is no problem: the row's outcome is not known yet (a
    booking still to come), and it comes in to be predicted and acted on."""
    from ..ingest.columns import odd_outcomes

    name = str(schema.label_column)
    odd, two = odd_outcomes(table[name], schema, stored=stored)
    bad: BadRows = {}
    ids = table[id_column].astype(str)
    for pos in table.index[odd]:
        at = _at(path, pos)
        rid = ids[pos]
        bad[pos] = (rid, (
            f"{at}: the row {rid!r} has {str(table[name][pos]).strip()!r} in the outcome "
            f"column {name!r}, not one of the project's two outcomes ({two[0]!r} for yes, "
            f"{two[1]!r} for no); it was left out"),
            f"write {two[0]!r} or {two[1]!r} there, or leave the cell empty where the "
            f"outcome is not known yet (the row then comes in to be predicted), {_AGAIN}")
    return bad


def kept_in_split(n: int, cutoff: str) -> str:
    """What to tell about ``n`` rows a saved model learned from that stay out of the test
    split though their date is on or after ``cutoff`` (:func:`_sync_outcomes`)."""
    one = n == 1
    return (f"{n:,} row{'' if one else 's'} whose date now falls on or after {cutoff} (the "
            f"test period) {'stays' if one else 'stay'} out of the test rows: a saved model "
            f"learned from {'it' if one else 'them'}, and a model is never tested on rows it "
            f"learned from. {'It stays' if one else 'They stay'} in the train split, so "
            "models trained from now on learn from "
            f"{'it' if one else 'them'} too")


def kept_in_test(ids: list[str], cutoff: str) -> str:
    """What to tell about rows of the frozen test split that stay there though their
    corrected date is now before ``cutoff`` (:func:`_sync_outcomes`)."""
    one = len(ids) == 1
    shown = ", ".join(repr(i) for i in ids[:5]) + (f" and {len(ids) - 5:,} more"
                                                  if len(ids) > 5 else "")
    return (f"{len(ids):,} test row{'' if one else 's'} ({shown}) now "
            f"{'has a date' if one else 'have dates'} before {cutoff} (the training "
            f"period), and {'stays' if one else 'stay'} in the test split: an evaluation "
            "has read the test split (it is frozen), and keeping it as it was keeps later "
            "results comparable with earlier ones; no model trains on "
            f"{'it' if one else 'them'}. To move {'it' if one else 'them'} into the train "
            f"split anyway: glamlab labels split --by-time --cutoff {cutoff} --force "
            "(logged; later results are then on a different test split)")


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
    from ..ingest.columns import ColumnError, closest_name

    known = {schema.time_column, schema.id_column or "id", *schema.columns,
             *schema.never_features, *schema.group_columns}
    unknown = [str(c) for c in table.columns if str(c) not in known]
    near = closest_name(str(schema.label_column), unknown, cutoff=0.8)
    if near:
        raise ColumnError(
            f"the table has no outcome column {schema.label_column!r}, but a column "
            f"{near!r} this project does not know: its outcomes would come in as none",
            column=near,
            hint=f"rename the column {near!r} to {schema.label_column!r} if it holds the "
                 "outcomes; if it does not, rename or drop it; then bring the table in again")


def _blank(v: Any) -> bool:
    """No outcome in this cell (as :func:`glamlab.ingest.columns.prepare` reads it)."""
    return v is None or (isinstance(v, float) and math.isnan(v)) or \
        str(v).strip() in NO_OUTCOME


def _stored_metas(ws: Workspace, ids: list[str]) -> dict[str, dict[str, Any]]:
    """Row id -> the metadata of its stored (current) version, for the rows of ``ids``
    stored already."""
    import sqlalchemy as sa

    t = ws.store.t.items
    out: dict[str, dict[str, Any]] = {}
    with ws.store.read() as conn:
        for i in range(0, len(ids), 900):
            for item_id, meta in conn.execute(sa.select(t.c.item_id, t.c.meta).where(
                    t.c.is_current.is_(True), t.c.item_id.in_(ids[i:i + 900]))):
                out[item_id] = dict(meta or {})
    return out


def _stored_outcome_values(ws: Workspace, label_column: str, besides: set[str]
                           ) -> dict[str, str]:
    """The outcome values (:func:`~glamlab.ingest.columns.outcome_text`) the stored
    (current) rows hold, each with a row that holds it; the rows of ``besides`` (those a
    table brings again, whose outcomes it replaces) left out."""
    import sqlalchemy as sa

    from ..ingest.columns import outcome_text

    t = ws.store.t.items
    out: dict[str, str] = {}
    with ws.store.read() as conn:
        for item_id, value in conn.execute(sa.select(t.c.item_id, t.c.meta[label_column]).where(
                t.c.is_current.is_(True), t.c.modality == "record",
                outcome_known(t.c.meta[label_column].as_string()))):
            if item_id not in besides and not _blank(value):
                out.setdefault(outcome_text(value), item_id)
    return out


def _before_cutoff(metas: dict[str, dict[str, Any]], schema: TableSchema, cutoff: str
                   ) -> dict[str, bool]:
    """Row id -> whether the date in ``metas`` falls before ``cutoff`` (rows without a
    readable date left out)."""
    if not metas:
        return {}
    slim = TableSchema(time_column=schema.time_column, id_column=_ITEM)
    frame = outcome_frame(list(metas.items()), slim)
    times = frame[schema.time_column]
    known = times.notna()
    return dict(zip(frame[_ITEM][known], (times[known] < cutoff).tolist(), strict=True))


def outcome_column(ws: Workspace) -> str | None:
    """The outcome column of a tabular project (None for another project, or one without
    an outcome column)."""
    if not is_tabular(ws):
        return None
    column = ws.card.section(TABULAR).get("label_column")
    return str(column) if column else None


def has_outcome(meta: Any, column: str) -> bool:
    """Whether a row's metadata holds its outcome (a row still to come has none)."""
    return not _blank((meta or {}).get(column))


def count_known_outcomes(ws: Workspace, people: Iterable[str] | None = None) -> int:
    """How many current rows have their outcome known: those that hold it in their
    outcome cell, and those still to come in the table whose outcome a person gave
    (:func:`people_outcomes`; ``people``: those rows' ids, when read already), as
    training reads them (:func:`project_frame`)."""
    import sqlalchemy as sa

    from ..store.ids import among, id_batches

    column = outcome_column(ws)
    if column is None:
        return 0
    given = sorted(people_outcomes(ws) if people is None else set(people))
    t = ws.store.t.items
    value = t.c.meta[column].as_string()
    with ws.store.read() as conn:
        known = int(conn.execute(sa.select(sa.func.count()).select_from(t).where(
            t.c.is_current.is_(True), outcome_known(value))).scalar() or 0)
        for batch in id_batches(conn, given):
            known += int(conn.execute(sa.select(sa.func.count()).select_from(t).where(
                t.c.is_current.is_(True), among(conn, t.c.item_id, batch),
                ~outcome_known(value))).scalar() or 0)
    return known


def _canonical(v: Any) -> Any:
    """A cell as the row's content hash sees it: a whole number the same however the
    file typed it (a CSV's "1", Parquet's 1, or 1.0 in a column with gaps), so the same
    row read from another file, or beside rows with missing values, is not a new
    version."""
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() and abs(v) < 2 ** 53 else repr(v)
    return v  # text as the file wrote it (a CSV's rows hash as they always did)


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
    """Every ingested row (latest versions) as a typed, time-ordered table, its outcome
    the row's gold label in force: the table's cell, unless a person gave the row
    another label since (:func:`people_outcomes`), so that training, backtests,
    retraining and monitoring read the label the evaluation and the exports read."""
    schema = schema or schema_of(ws)
    items = list(ws.items(where={"modality": "record"}))
    if not items:
        raise ConfigError("the project has no rows yet",
                          hint=first_table_fix())
    frame = frame_from_items(items, schema)
    label = schema.label_column
    people = people_outcomes(ws) if label else {}
    key = schema.id_column or "id"
    if people and key in frame.columns:
        given = frame[key].astype(str).map(people)
        if label not in frame.columns:
            frame[label] = float("nan")
        frame[label] = given.astype(float).where(given.notna(), frame[label])
    return frame


def people_outcomes(ws: Workspace) -> dict[str, float]:
    """The rows whose gold label in force (:func:`glamlab.store.gold.in_force`) a person
    gave (the Labelling page, "Change the label" on a row's page, ``glamlab labels
    import``) rather than the table (:data:`TABLE_ANNOTATOR`): row id -> its outcome,
    1.0 or 0.0. A reviewer's decision on a forecast (source ``review``) is not an
    outcome, and a label the table brings in later (a changed cell) is in force over
    a person's earlier one."""
    import sqlalchemy as sa

    from ..store.gold import in_force

    t = ws.store.t.labels
    with ws.store.read() as conn:
        rows = conn.execute(sa.select(t.c.item_id, t.c.label).where(
            # the cheap tests first: the table's own labels (most rows) need no look-up
            # (a row with no source is a person's: NULL != 'review' is not true in SQL)
            t.c.active.is_(True), t.c.annotator != TABLE_ANNOTATOR,
            sa.or_(t.c.source.is_(None), t.c.source != "review"), in_force(t))).all()
    return {str(r.item_id): 1.0 if str(r.label) == "1" else 0.0 for r in rows}


def train_until(ws: Workspace) -> str | None:
    split = ws.card.section("split")
    value = split.get("train_until") if split.get("by") == "time" else None
    return str(value) if value else None


def split_by_date(ws: Workspace, item_id: str, meta: Any) -> str:
    """The split a row joins by its date (the row's metadata ``meta``): ``train`` before
    the card's time split (:func:`train_until`), ``test`` from it on, as the rows of an
    ingested table join them; a row labelled by a person goes by its date too, whatever
    split was asked for. Refused in words for a row without a readable date, or before
    the project has a time split."""
    schema = schema_of(ws)
    cutoff = train_until(ws)
    if cutoff is None:
        raise LabelError(f"row {item_id!r} cannot be labelled yet: the project has no date "
                         "the test rows start on", item=item_id,
                         hint="choose the first date of the test rows (the Labelling page's "
                              "Test rows part) first")
    before = _before_cutoff({item_id: dict(meta or {})}, schema, cutoff)
    if item_id not in before:
        raise LabelError(f"row {item_id!r} has no readable date in its column "
                         f"{schema.time_column!r}, so it cannot join the test rows or "
                         "training", item=item_id,
                         hint=f"bring the row in again with its {schema.time_column} "
                              "filled in")
    return "train" if before[item_id] else "test"


def set_time_split(ws: Workspace, cutoff: str | None = None, *,
                   force: bool = False, actor: str = TABLE_ANNOTATOR) -> dict[str, Any]:
    """Rows before ``cutoff`` train, later ones test (default: the earliest 80% of the
    time range trains; a cutoff after the last row trains on every row, and the rows
    ingested later are the future). Returns the split's counts.

    The rows with a known outcome are put in the ``splits`` table by their time (and
    their outcomes stored as labels, for a project ingested before they were): what
    ``labels show``, ``status`` and ``evaluate`` read. A test split an evaluation has
    read (frozen) is moved only with ``force`` (logged), and never so that a saved
    model's training rows join it: moving the cutoff back over them is refused, and a
    row whose own date puts it after the cutoff keeps its split (``kept_in_split``).
    ``actor``: who the audit log names (the web app's admin; by default the table)."""
    import pandas as pd

    from .labels import trained_on
    from .splits import freeze_info

    schema = schema_of(ws)
    items = list(ws.items(where={"modality": "record"}))
    if not items:
        project_frame(ws, schema=schema)  # the error that says how to add rows
    frame = frame_from_items(items, schema)
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
    before = train_until(ws)
    moved = before is not None and day != before
    frozen = freeze_info(ws) if before is not None else None
    if frozen and moved and not force:
        raise LabelError(
            f"the test split is frozen: an evaluation ({frozen['by']}) read it on "
            f"{frozen['at']:%Y-%m-%d %H:%M} UTC, and moving the cutoff from {before} to "
            f"{day} would make later results incomparable",
            hint=in_words("keep the cutoff, or move it only if you must, with force=True (it "
                          "is logged)",
                          "keep the cutoff, or move it only if you must, with --force (it is "
                          "logged)",
                          "keep the date; new rows with their outcomes join the test rows or "
                          "training by their date"))
    outcomes = outcome_frame([(i.item_id, i.meta) for i in items], schema)
    # the card is saved after the rows: a card that cannot be written stops it first
    check_card_writable(ws.root / CONFIG_NAME)
    with ws.store.write() as conn:
        if before is not None and day < before:  # rows leave the training period
            joining = outcomes[(outcomes[schema.time_column] >= day)
                               & (outcomes[schema.time_column] < before)]
            found = trained_on(conn, ws, list(joining[_ITEM]))
            if found:
                raise LabelError(
                    f"a cutoff of {day} would put {len(found):,} row"
                    f"{'s' if len(found) != 1 else ''} a saved model trained on in the test "
                    f"split (e.g. {found[0]}): it would be scored on its own training rows",
                    item=found[0], hint=f"choose a cutoff on or after {before}: a model "
                                        "is never scored on the rows it learned from")
        # a frozen test split keeps its rows at the same cutoff unless forced
        synced: dict[str, Any] = {"split": {"kept": 0, "held": 0}, "held": []}
        if schema.label_column:
            synced = _sync_outcomes(ws, conn, schema, outcomes, day,
                                    source=f"{schema.label_column} column",
                                    keep_test=bool(frozen) and not force)
        if before is None or moved or synced["split"].get("moved"):
            ws.store.audit(conn, actor, "split.create", None, by="time",
                           train_until=day, forced=bool(frozen) and force, **synced["split"])
    ws.update_card({"split": {"by": "time", "train_until": day}})
    kept, held = synced["split"]["kept"], synced["split"]["held"]
    return {"by": "time", "train_until": day, "train": train - held + kept,
            "test": len(frame) - train + held - kept, "kept_in_split": kept,
            "kept_in_test": held, "held_rows": synced["held"]}


_ITEM = "\0item_id"  # the item id column of :func:`outcome_frame`


def outcome_frame(rows: list[tuple[str, Any]], schema: TableSchema) -> pd.DataFrame:
    """(item id, row metadata) pairs -> a typed table of item id, time and outcome (0/1,
    missing where the row has none yet), in time order."""
    import pandas as pd

    label = schema.label_column
    records = [{_ITEM: item_id, schema.time_column: (meta or {}).get(schema.time_column),
                **({label: (meta or {}).get(label)} if label else {})}
               for item_id, meta in rows]
    columns = [_ITEM, schema.time_column, *([label] if label else [])]
    table = pd.DataFrame(records, columns=columns)
    slim = TableSchema(time_column=schema.time_column, label_column=label,
                       positive=schema.positive, id_column=_ITEM)
    return prepare(table, slim, require_label=bool(label))


def outcome_label(y: float) -> str:
    """The gold label of a row's outcome (1 for the positive value, else 0)."""
    return "1" if y == 1 else "0"


def _sync_outcomes(ws: Workspace, conn: Any, schema: TableSchema, frame: pd.DataFrame,
                   cutoff: str, *, source: str, keep_test: bool = False) -> dict[str, Any]:
    """Keep the ``labels`` and ``splits`` tables in step with the known outcomes of
    ``frame`` (:func:`outcome_frame`), in the caller's write transaction: each row with
    an outcome holds it as a label from :data:`TABLE_ANNOTATOR` (a changed outcome
    replaces it) and sits in train (before ``cutoff``) or test. A row without an outcome
    is left as it is (a blank never erases an outcome). A row a saved model trained or
    was calibrated on keeps its split where its time would put it in test (``kept``): a
    model is never scored on the rows it learned from. With ``keep_test`` (the test split
    is frozen: an evaluation read it), a test row whose time would put it in train stays
    in test (``held``): the frozen test split does not change under a saved comparison.
    Returns the counts, and the ``kept`` and ``held`` row ids."""
    import sqlalchemy as sa

    from ..store import now
    from .labels import _chunks, trained_on

    label = str(schema.label_column)
    known = frame[frame[label].notna()]
    want_label = dict(zip(known[_ITEM], (outcome_label(y) for y in known[label]), strict=True))
    want_split = dict(zip(known[_ITEM], ["train" if t else "test"
                                         for t in (known[schema.time_column] < cutoff)],
                          strict=True))
    t = ws.store.t
    ids = list(want_label)
    have_label: dict[str, set[str]] = {}
    have_split: dict[str, str] = {}
    for chunk in _chunks(ids):
        for item_id, value in conn.execute(sa.select(t.labels.c.item_id, t.labels.c.label).where(
                t.labels.c.active.is_(True), t.labels.c.annotator == TABLE_ANNOTATOR,
                t.labels.c.item_id.in_(chunk))):
            have_label.setdefault(item_id, set()).add(value)
        have_split.update((r[0], r[1]) for r in conn.execute(
            sa.select(t.splits.c.item_id, t.splits.c.split).where(t.splits.c.item_id.in_(chunk))))
    relabel = [i for i, v in want_label.items() if have_label.get(i) != {v}]
    resplit = [i for i, s in want_split.items() if have_split.get(i) != s]
    # a row a saved model learned from never joins the test split (its date corrected to
    # after the cutoff, say): it keeps the split it has (moving the cutoff back over such
    # rows is refused in :func:`set_time_split`)
    kept = set(trained_on(conn, ws, [i for i in resplit if want_split[i] == "test"]))
    for i in kept:
        want_split[i] = have_split.get(i) or "train"
    # a row of a frozen test split stays in it (its date corrected to before the cutoff)
    held = {i for i in resplit if keep_test and want_split[i] == "train"
            and have_split.get(i) == "test"}
    for i in held:
        want_split[i] = "test"
    resplit = [i for i in resplit if have_split.get(i) != want_split[i]]
    stamp = now()
    for chunk in _chunks(relabel):
        conn.execute(t.labels.update().where(
            t.labels.c.item_id.in_(chunk), t.labels.c.annotator == TABLE_ANNOTATOR,
            t.labels.c.active.is_(True)).values(active=False))
    rows = [{"item_id": i, "label": want_label[i], "value": None, "annotator": TABLE_ANNOTATOR,
             "source": source, "active": True, "created_at": stamp} for i in relabel]
    for start in range(0, len(rows), 5000):
        conn.execute(t.labels.insert(), rows[start:start + 5000])
    for chunk in _chunks(resplit):
        conn.execute(t.splits.delete().where(t.splits.c.item_id.in_(chunk)))
    rows = [{"item_id": i, "split": want_split[i], "created_at": stamp} for i in resplit]
    for start in range(0, len(rows), 5000):
        conn.execute(t.splits.insert(), rows[start:start + 5000])
    changed = sum(1 for i in relabel if i in have_label)
    if relabel:
        ws.store.audit(conn, TABLE_ANNOTATOR, "labels.outcomes", source,
                       added=len(relabel) - changed, changed=changed)
    return {"labels": {"added": len(relabel) - changed, "changed": changed},
            "split": {"train": sum(1 for s in want_split.values() if s == "train"),
                      "test": sum(1 for s in want_split.values() if s == "test"),
                      "moved": len(resplit), "kept": len(kept), "held": len(held)},
            "kept": sorted(kept), "held": sorted(held)}


def split_frame(ws: Workspace, frame: pd.DataFrame | None = None
                ) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """(training rows, later rows, the cutoff) by the card's time split: a row before the
    cutoff trains, a later one does not, except a row whose split the ``splits`` table
    holds otherwise (a row a saved model learned from whose date was corrected to after
    the cutoff stays in train, and trains new models; a row of a frozen test split whose
    date was corrected to before it stays in test, and trains none), so training sees
    the split ``evaluate`` sees."""
    schema = schema_of(ws)
    frame = project_frame(ws, schema=schema) if frame is None else frame
    cutoff = train_until(ws)
    if cutoff is None:
        cutoff = set_time_split(ws)["train_until"]
    train = frame[schema.time_column] < cutoff
    key = schema.id_column or "id"
    if key in frame.columns and len(frame):
        from .splits import split_of

        ids = frame[key].astype(str)
        stored = split_of(ws, list(ids))
        held = ids.map(stored)
        train = train.where(held.isna(), held == "train")
    return (frame[train].reset_index(drop=True), frame[~train].reset_index(drop=True), cutoff)


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
            hint=in_words(
                f"add {', '.join(repr(b) for b in bad)} to [tabular] never_features in "
                f"{CONFIG_NAME} (or ingest_table(ws, FILE, never_features=[...])), or pass "
                "allow_leaky=True if the column is really known in advance",
                f"add {', '.join(repr(b) for b in bad)} to [tabular] never_features in "
                f"{CONFIG_NAME} (or glamlab ingest ... --never-feature COL), or pass "
                "--allow-leaky if the column is really known in advance",
                f"upload the table again with {', '.join(repr(b) for b in bad)} chosen under "
                "“Columns no model may read”"))
    return report


__all__ = ["BASELINES", "TABLE_ANNOTATOR", "TABULAR", "TableIngest", "count_known_outcomes",
           "describe_table", "follow_the_year", "ingest_table", "kept_in_split", "kept_in_test",
           "has_outcome", "is_tabular", "outcome_column", "outcome_frame", "outcome_label",
           "project_frame", "require_no_leakage", "schema_of", "set_time_split", "split_frame",
           "train_until"]
