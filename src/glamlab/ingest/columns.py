"""Typed columns for tabular items: each row of a table is an item, each column a
number, a category or a date.

A :class:`TableSchema` says which column is the time (when the row happened: an
arrival date), which is the outcome, which must never be features because they are
written after the outcome (``reservation_status`` in the hotel bookings), and the
type of every other column. It is recorded in the project card::

    [tabular]
    time_column = "arrival_date"
    label_column = "is_canceled"
    positive = "1"                 # the outcome value counted as "yes"
    id_column = "id"
    never_features = ["reservation_status", "reservation_status_date"]
    group_columns = ["hotel"]      # a count task counts per time period and group

    [tabular.columns]              # inferred at init, editable
    lead_time = "number"
    hotel = "category"

    [tabular.units]                # optional, for plain-words reports
    lead_time = "days"

:func:`infer_schema` proposes one from a table; :func:`prepare` turns a raw table
(strings from a CSV, or values from Parquet) into typed columns and raises one
:class:`~glamlab.errors.ColumnError` naming the column and the fix when a column is
missing or cannot be read as its type. :func:`frame_from_items` builds the same
table from ingested items (their metadata), so the lifecycle can keep rows in the
store like every other item.

Needs pandas (``pip install 'glamlab[tabular]'``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import ColumnError, MissingDependency

if TYPE_CHECKING:
    import pandas as pd

NUMBER, CATEGORY, DATE = "number", "category", "date"
TYPES = (NUMBER, CATEGORY, DATE)
#: a text column with more distinct values than this share of rows is an identifier
ID_LIKE_SHARE = 0.5
MISSING = "(missing)"


def pandas() -> Any:
    try:
        import pandas as pd
    except ImportError as exc:  # pragma: no cover - pandas comes with the tabular extra
        raise MissingDependency("pandas", "tabular") from exc
    return pd


#: positive values that say nothing alone: the outcome is named with its column
CODED_VALUES = ("0", "1", "true", "false", "yes", "no", "y", "n", "t", "f")


def f1_for(outcome: str) -> str:
    """The F1 of one outcome, named as backtest and monitor show it: ``F1 for
    'no-show'`` (not the F1 averaged over the outcomes that evaluate reports)."""
    return f"F1 for '{outcome}'"


@dataclass
class TableSchema:
    """The roles and types of a table's columns."""

    time_column: str
    label_column: str | None = None
    positive: str = "1"
    id_column: str | None = None
    columns: dict[str, str] = field(default_factory=dict)  # feature -> number|category|date
    never_features: list[str] = field(default_factory=list)
    group_columns: list[str] = field(default_factory=list)
    units: dict[str, str] = field(default_factory=dict)

    @property
    def positive_outcome(self) -> str:
        """The outcome a yes/no table's F1 (backtest, monitor) is measured for, as a
        curator reads it: the positive value where it is a word (``no-show``), else the
        column with it (``is_canceled = 1``: a bare ``1`` says nothing)."""
        value = str(self.positive)
        if self.label_column and value.strip().lower() in CODED_VALUES:
            return f"{self.label_column} = {value}"
        return value

    @property
    def features(self) -> list[str]:
        """The columns a model may read (the time column enters as its season)."""
        skip = {self.time_column, self.label_column, self.id_column, *self.never_features}
        return [c for c in self.columns if c not in skip]

    def validate(self) -> None:
        for name, kind in self.columns.items():
            if kind not in TYPES:
                raise ColumnError(f"column {name!r} has the unknown type {kind!r}",
                                  column=name,
                                  hint=f"use one of {', '.join(TYPES)} in [tabular.columns]")
        if self.label_column and self.label_column in self.never_features:
            raise ColumnError(f"the label column {self.label_column!r} is also listed in "
                              "never_features", column=self.label_column,
                              hint="remove it from [tabular] never_features")

    def to_card(self) -> dict[str, Any]:
        """The ``[tabular]`` section of the project card."""
        out: dict[str, Any] = {"time_column": self.time_column, "positive": self.positive,
                               "never_features": list(self.never_features),
                               "columns": dict(self.columns)}
        if self.label_column:
            out["label_column"] = self.label_column
        if self.id_column:
            out["id_column"] = self.id_column
        if self.group_columns:
            out["group_columns"] = list(self.group_columns)
        if self.units:
            out["units"] = dict(self.units)
        return out

    def to_dict(self) -> dict[str, Any]:
        return self.to_card()

    @classmethod
    def from_card(cls, section: Mapping[str, Any]) -> TableSchema:
        known = {"time_column", "label_column", "positive", "id_column", "columns",
                 "never_features", "group_columns", "units"}
        unknown = set(section) - known
        if unknown:
            raise ColumnError(f"[tabular] has unknown keys: {', '.join(sorted(unknown))}",
                              hint=f"use {', '.join(sorted(known))}")
        if not section.get("time_column"):
            raise ColumnError("[tabular] names no time column",
                              hint='add time_column = "NAME" (the date each row happened)')
        schema = cls(time_column=str(section["time_column"]),
                     label_column=section.get("label_column"),
                     positive=str(section.get("positive", "1")),
                     id_column=section.get("id_column"),
                     columns={str(k): str(v) for k, v in dict(section.get("columns", {})).items()},
                     never_features=[str(c) for c in section.get("never_features", [])],
                     group_columns=[str(c) for c in section.get("group_columns", [])],
                     units={str(k): str(v) for k, v in dict(section.get("units", {})).items()})
        schema.validate()
        return schema


def read_table(path: str | Path) -> pd.DataFrame:
    """A CSV (optionally gzipped), TSV or Parquet file as a table of strings/values."""
    pd = pandas()
    p = Path(path)
    suffixes = [s.lower() for s in p.suffixes]
    try:
        if ".parquet" in suffixes or ".pq" in suffixes:
            return pd.read_parquet(p)
        sep = "\t" if ".tsv" in suffixes else ","
        return _read_csv(p, sep)
    except FileNotFoundError as exc:
        raise ColumnError(f"{p} does not exist", hint="check the path") from exc
    except pd.errors.EmptyDataError as exc:
        raise ColumnError(f"{p.name} is empty: no header row, no rows",
                          hint="give a CSV (UTF-8) with a header row naming the columns, "
                               "then a row per item; nothing was stored") from exc
    except (ValueError, OSError) as exc:
        raise ColumnError(f"cannot read {p.name} as a table: {exc}",
                          hint="give a CSV (UTF-8, with a header row) or a Parquet file") from exc


def _read_csv(p: Path, sep: str) -> pd.DataFrame:
    """A CSV/TSV file (optionally compressed) as a table of strings. A row with more
    cells than the header is never read into other columns or cut down silently (pandas
    refuses it in the middle of a file, with its own words, and in the first row takes
    the first column for the row names, shifting every column): :func:`_read_rows` reads
    the file again to name it."""
    import warnings

    pd = pandas()
    with warnings.catch_warnings():
        warnings.simplefilter("error", pd.errors.ParserWarning)
        try:
            return pd.read_csv(p, sep=sep, dtype=str, keep_default_na=False, index_col=False)
        except (pd.errors.ParserError, pd.errors.ParserWarning) as exc:
            problem: Exception = exc
    return _read_rows(p, sep, problem)


def _read_rows(p: Path, sep: str, problem: Exception) -> pd.DataFrame:
    """The table of a CSV file pandas could not read (``problem``), read row by row: a
    row with more (non-empty) cells than the header is one error naming the file, its
    line, the extra cell and the fix (the same words as :func:`glamlab.sheets.read_sheet`);
    empty cells past the header (a trailing delimiter) are dropped."""
    import csv
    import gzip

    from ..sheets import quote_fix

    suffixes = [s.lower() for s in p.suffixes]
    if suffixes and suffixes[-1] not in (".csv", ".tsv", ".txt", ".gz"):
        raise ColumnError(f"cannot read {p.name} as a table: {problem}",
                          hint="give a CSV (UTF-8, with a header row) or a Parquet file")
    opener = gzip.open if suffixes and suffixes[-1] == ".gz" else open
    overflow: list[tuple[int, int, list[str]]] = []  # (line, cells, the extra cells)
    with opener(p, "rt", newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh, delimiter=sep, strict=True)
        header = next(reader, [])
        rows: list[list[str]] = []
        start = reader.line_num + 1
        try:
            for row in reader:
                line, start = start, reader.line_num + 1
                if not row:
                    continue
                extra = [c for c in row[len(header):] if c.strip()]
                if extra:
                    overflow.append((line, len(row), extra))
                rows.append(row[:len(header)] + [""] * (len(header) - len(row)))
        except csv.Error as exc:
            raise ColumnError(f"{p.name} line {start}: not valid CSV ({exc}); nothing was "
                              "read", hint='fix the quoting on that line (a cell is quoted '
                              'as a whole: "like, this"; a quote inside it is written '
                              'twice: "")') from exc
    if overflow:
        line, cells, extra = overflow[0]
        lines = ", ".join(str(o[0]) for o in overflow[:10])
        more = f" and {len(overflow) - 10} more" if len(overflow) > 10 else ""
        others = (f"; rows with more cells than the header: line {lines}{more}"
                  if len(overflow) > 1 else "")
        one = len(extra) == 1
        raise ColumnError(
            f"{p.name} line {line}: {cells} values where the header has {len(header)} "
            f"columns (the extra cell{'' if one else 's'}: "
            f"{', '.join(repr(c) for c in extra[:3])}{others}); nothing was read",
            hint=f"{quote_fix(sep)}, or remove the extra cell{'' if one else 's'}, then "
                 "try again")
    return pandas().DataFrame(rows, columns=header, dtype=str)


def _check_columns(frame: pd.DataFrame, names: Iterable[tuple[str | None, str]]) -> None:
    present = list(frame.columns)
    for name, role in names:
        if name is not None and name not in present:
            close = closest_name(name, present)
            near = f" (did you mean {close!r}?)" if close else ""
            raise ColumnError(
                f"the {role} {name!r} is not in the table{near}; its columns are: "
                f"{', '.join(map(str, present))}", column=name,
                hint=f"name an existing column as the {role}")


def closest_name(name: str, names: Sequence[Any], *, cutoff: float = 0.6) -> str | None:
    """The column of ``names`` that ``name`` most likely misspells, or None."""
    import difflib

    found = difflib.get_close_matches(str(name), [str(n) for n in names], n=1, cutoff=cutoff)
    return found[0] if found else None


def infer_schema(frame: pd.DataFrame, *, time_column: str, label_column: str | None = None,
                 positive: str = "1", id_column: str | None = None,
                 never_features: Sequence[str] = (), group_columns: Sequence[str] = (),
                 types: Mapping[str, str] | None = None,
                 units: Mapping[str, str] | None = None) -> TableSchema:
    """Propose a schema: a column whose values all read as numbers is a number, one
    whose values all read as dates is a date, anything else a category. ``types``
    overrides the guess per column."""
    _check_columns(frame, [(time_column, "time column"), (label_column, "label column"),
                           (id_column, "id column"),
                           *((c, "never-a-feature column") for c in never_features),
                           *((c, "group column") for c in group_columns),
                           *((c, "typed column") for c in (types or {}))])
    if label_column is not None and len(frame) and _no_outcome(frame[label_column]).all():
        # a project's first table names its outcome column: empty throughout, it is most
        # likely the wrong column (later tables may leave it empty: no outcomes yet)
        raise ColumnError(
            f"the label column {label_column!r} is empty: "
            + ("its one row has no outcome" if len(frame) == 1 else
               f"none of the {len(frame):,} rows has an outcome"), column=label_column,
            hint="name the column that holds the outcomes (yes/no) as the label column, or "
                 "ingest a table with some outcomes known first")
    columns: dict[str, str] = {}
    for name in frame.columns:
        name = str(name)
        if name in (id_column, label_column):
            continue
        if types and name in types:
            columns[name] = types[name]
        elif name == time_column:
            columns[name] = DATE
        else:
            columns[name] = _guess(frame[name])
    schema = TableSchema(time_column=time_column, label_column=label_column, positive=positive,
                         id_column=id_column, columns=columns,
                         never_features=list(never_features), group_columns=list(group_columns),
                         units=dict(units or {}))
    schema.validate()
    _parse_dates(frame[time_column], time_column, role="time column")
    return schema


def _guess(col: pd.Series) -> str:
    pd = pandas()
    if pd.api.types.is_bool_dtype(col):
        return CATEGORY
    if pd.api.types.is_numeric_dtype(col):
        return NUMBER
    if pd.api.types.is_datetime64_any_dtype(col):
        return DATE
    text = col.astype(str).str.strip()
    filled = text[(text != "") & ~text.isin(["NA", "NULL", "nan", "NaN", "None"])]
    if filled.empty:
        return CATEGORY
    if pd.to_numeric(filled, errors="coerce").notna().all():
        return NUMBER
    sample = filled.head(200)
    if sample.str.match(r"^\d{4}-\d{2}-\d{2}").all():
        parsed = pd.to_datetime(sample, errors="coerce", format="ISO8601")
        if parsed.notna().all():
            return DATE
    return CATEGORY


def _parse_dates(col: pd.Series, name: str, *, role: str) -> pd.Series:
    pd = pandas()
    if pd.api.types.is_datetime64_any_dtype(col):
        out = col
    else:
        text = col.astype(str).str.strip()
        numbers = text[text != ""]
        if len(numbers) and numbers.str.fullmatch(r"\d{1,4}(\.0)?").all():
            # ISO 8601 reads "2015" as a year: a column of years (or of days of the month,
            # week numbers) would put every row on the first day of its year, and the
            # weeks and months monitoring and retraining compare would not exist
            raise ColumnError(
                f"the {role} {name!r} holds whole numbers such as {numbers.iloc[0]!r}, not "
                "dates: every row would fall on the same day of its year, so there would be "
                "no weeks or months to compare", column=name,
                hint="name a column with a whole date per row (YYYY-MM-DD); when the table "
                     "gives the date in parts (year, month, day), join them into one date "
                     "column first")
        out = pd.to_datetime(text, errors="coerce", format="ISO8601")
        bad = out.isna() & (text != "")
        if bad.any():
            first = text[bad].iloc[0]
            raise ColumnError(
                f"the {role} {name!r} is not a date: {int(bad.sum()):,} values such as "
                f"{first!r} cannot be read as one", column=name,
                hint="give dates as YYYY-MM-DD (ISO 8601), or name another column")
    if getattr(out.dt, "tz", None) is not None:
        out = out.dt.tz_convert(None)
    return out.astype("datetime64[ns]")


def prepare(frame: pd.DataFrame, schema: TableSchema, *, require_label: bool = True
            ) -> pd.DataFrame:
    """Typed copy of ``frame``: numbers as floats (empty → missing), categories as
    strings (empty → ``(missing)``), dates as datetimes, the label as 0/1 (``positive``
    is 1). Rows come back in time order. Raises :class:`ColumnError` naming the column
    and the fix for a missing column, a time column that is not a date, or numbers
    that are not numbers."""
    pd = pandas()
    roles = [(schema.time_column, "time column"),
             *((c, "column") for c in schema.columns if c not in schema.never_features),
             *((c, "group column") for c in schema.group_columns)]
    if require_label:
        if not schema.label_column:
            raise ColumnError("the task names no label column",
                              hint='add label_column = "NAME" to [tabular] in glamlab.toml')
        roles.append((schema.label_column, "label column"))
    missing = [c for c in schema.columns
               if c not in schema.never_features and c not in frame.columns]
    if missing:  # a later table without a column the models read
        close = [closest_name(c, list(frame.columns)) for c in missing]
        near = "".join(f" (did you mean {n!r} for {c!r}?)" for c, n in zip(missing, close,
                                                                           strict=True) if n)
        one = len(missing) == 1
        raise ColumnError(
            f"the table has no column {', '.join(map(repr, missing))}{near}: "
            f"{'it is' if one else 'they are'} among the columns this project's models read "
            "(every table of a project has the columns of its first)", column=missing[0],
            hint=f"add {'the column' if one else 'the columns'} (empty cells are fine: a "
                 "value not known), or, if models should no longer read "
                 f"{'it' if one else 'them'}, add {'it' if one else 'them'} to "
                 "never_features in [tabular] of glamlab.toml; nothing was stored")
    _check_columns(frame, roles)
    ids = (frame[schema.id_column].astype(str)
           if schema.id_column and schema.id_column in frame.columns else None)
    out = pd.DataFrame(index=frame.index)
    if schema.id_column and schema.id_column in frame.columns:
        out[schema.id_column] = frame[schema.id_column].astype(str)
    out[schema.time_column] = _parse_dates(frame[schema.time_column], schema.time_column,
                                           role="time column")
    for name, kind in schema.columns.items():
        if name == schema.time_column or name not in frame.columns:
            continue
        col = frame[name]
        if kind == NUMBER:
            out[name] = _numbers(col, name, ids)
        elif kind == DATE:
            out[name] = _parse_dates(col, name, role="date column")
        else:
            out[name] = category_text(col)
    if schema.label_column and schema.label_column in frame.columns:
        out[schema.label_column] = _label(frame[schema.label_column], schema)
    return out.sort_values(schema.time_column, kind="stable").reset_index(drop=True)


#: what a number cell holds when the number is not known
_NO_NUMBER = ("", "NA", "NULL", "nan", "NaN", "None")


def number_cells(col: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Where a column typed as a number holds a value (not an empty cell), and where that
    value is not a number (a word), as :func:`prepare` reads it."""
    pd = pandas()
    if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        return col.notna(), pd.Series(False, index=col.index)
    text = col.astype(str).str.strip()
    empty = text.isin(_NO_NUMBER)
    return ~empty, pd.to_numeric(text.where(~empty), errors="coerce").isna() & ~empty


def date_cells(col: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Where a column typed as a date holds a value (not an empty cell), and where that
    value cannot be read as a date, as :func:`prepare` reads it."""
    pd = pandas()
    if pd.api.types.is_datetime64_any_dtype(col):
        return col.notna(), pd.Series(False, index=col.index)
    text = col.astype(str).str.strip()
    filled = text != ""
    return filled, pd.to_datetime(text, errors="coerce", format="ISO8601").isna() & filled


def _numbers(col: pd.Series, name: str, ids: pd.Series | None = None) -> pd.Series:
    """``col`` as numbers (an empty cell: missing); one error naming the column, the
    first row (by its id, where ``ids`` gives them) whose value is not a number, and
    the fix."""
    pd = pandas()
    if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        return col.astype(float)
    text = col.astype(str).str.strip()
    empty = text.isin(_NO_NUMBER)
    values = pd.to_numeric(text.where(~empty), errors="coerce")
    bad = values.isna() & ~empty
    if bad.any():
        n = int(bad.sum())
        first = bad.to_numpy().nonzero()[0][0]
        row = f" (row {ids.iloc[first]!r})" if ids is not None else ""
        raise ColumnError(
            f"column {name!r} is typed as a number but {n:,} "
            f"{'value is' if n == 1 else 'values are'} not: {text.iloc[first]!r}{row}"
            + ("" if n == 1 else " is the first"), column=name,
            hint=f'type it as a category in [tabular.columns] ({name} = "category"), '
                 "or fix the values")
    return values.astype(float)


def category_text(col: pd.Series) -> pd.Series:
    """A category column as the table's text: stripped, whole numbers as the file wrote
    them, and an empty, None, NaN or NA cell as ``(missing)``."""
    pd = pandas()
    text = col.astype(object).where(col.notna(), MISSING).astype(str).str.strip()
    # numbers read from a float column print as "9.0": keep them as the file wrote them
    if pd.api.types.is_float_dtype(col):
        whole = col.notna() & (col == col.round())
        text = text.where(~whole, col.where(whole).astype("Int64").astype(str))
    return text.replace({"": MISSING, "NULL": MISSING, "NA": MISSING, "nan": MISSING,
                         "<NA>": MISSING}).astype(object)


#: what an outcome cell holds when the outcome is not known (yet), once read as text
NO_OUTCOME = ("", "nan", "None", "NA", "<NA>")


def outcome_known(value: Any) -> Any:
    """The SQL condition that a stored row's outcome cell (``value``: its text, e.g.
    ``items.meta[column].as_string()``) holds an outcome: what :data:`NO_OUTCOME` and the
    Python reading of a cell (stripped) say, counted in the database."""
    import sqlalchemy as sa

    return sa.and_(value.is_not(None), sa.func.trim(value).not_in(NO_OUTCOME))


def _no_outcome(col: pd.Series) -> pd.Series:
    """Where a label column has no outcome (yet): no value at all (pandas 3 keeps it
    missing through astype(str)), or an empty cell."""
    return col.isna() | col.astype(str).str.strip().isin(NO_OUTCOME)


_WHOLE_FLOAT = re.compile(r"^(-?\d+)\.0+$")


def _label(col: pd.Series, schema: TableSchema) -> pd.Series:
    """The outcome as 0/1, missing where it is not known yet (a column of new rows may be
    empty throughout: they come in without outcomes, like rows without the column)."""
    # a whole number written as a float is that number: a column with missing values
    # reads as floats (1.0, 0.0 in Parquet, pandas), and "1.0" is the positive "1"
    text = col.astype(str).str.strip().str.replace(_WHOLE_FLOAT, r"\1", regex=True)
    empty = _no_outcome(col)
    positive = _WHOLE_FLOAT.sub(r"\1", str(schema.positive).strip())
    values = set(text[~empty].unique())
    if positive not in values and len(values) > 2:
        raise ColumnError(
            f"the label column {schema.label_column!r} has {len(values)} values and none is "
            f"the positive value {positive!r}", column=schema.label_column,
            hint='set positive = "VALUE" in [tabular] (the outcome counted as yes)')
    y = (text == positive).astype(float)
    return y.where(~empty)


def outcome_text(value: Any) -> str:
    """An outcome cell as :func:`check_outcomes` compares it: stripped text, a whole
    number written as a float (``1.0``) as that number."""
    return _WHOLE_FLOAT.sub(r"\1", str(value).strip())


def odd_outcomes(col: pd.Series, schema: TableSchema, *,
                 stored: Mapping[str, str] | None = None) -> tuple[pd.Series, list[str]]:
    """The rows of a table's outcome column whose value is not one of the project's two
    outcomes, where they are few (at most half the rows with an outcome): a third value
    on a row (``maybe``, ``Yes`` beside ``yes``), or beside the values the stored rows
    hold (``stored``, as :func:`check_outcomes` takes it) one they do not. Returns that
    mask (all False where there are none, or where they are many: a column of the wrong
    values is :func:`check_outcomes`'s error, naming the column and the fix) and the two
    outcomes, the positive one first (one, or none, where they are not known yet). An
    empty cell is never odd: the outcome is not known yet."""
    pd = pandas()
    text = col.astype(str).str.strip().str.replace(_WHOLE_FLOAT, r"\1", regex=True)
    known = ~_no_outcome(col)
    counts = text[known].value_counts()
    positive = _WHOLE_FLOAT.sub(r"\1", str(schema.positive).strip())
    have = set(stored or {})
    none = pd.Series(False, index=col.index)
    if len(have) == 2 and positive in have:
        two = [positive, *(v for v in have if v != positive)]
    elif have and not have - {positive} and positive in counts.index and len(counts) > 2:
        # the stored rows hold the positive value only: the table's commonest other is no
        two = [positive, str(next(v for v in counts.index if v != positive))]
    elif len(have) == 1 and positive not in have:
        two = [positive, *have]
    elif not have and len(counts) > 2 and positive in counts.index:
        two = [positive, str(next(v for v in counts.index if v != positive))]
    else:  # two values or fewer, or none of them the positive one: check_outcomes says it
        return none, []
    odd = known & ~text.isin(two)
    if not odd.any() or int(odd.sum()) * 2 > int(known.sum()):
        return none, two
    return odd, two


def check_outcomes(col: pd.Series, schema: TableSchema, ids: pd.Series, *,
                   stored: Mapping[str, str] | None = None, source: str = "the table") -> None:
    """A table's outcome column holds a yes/no outcome: at most two values (and empty
    cells), one of them the positive value when there are two. :func:`prepare` reads
    every value but the positive one as "no", so a third value (``maybe``, ``Yes``
    beside ``yes``) or a yes/no column read with the positive value ``1`` would make
    those rows "no" outcomes, silently. Raises :class:`ColumnError` naming the column,
    the values, rows that hold them and the fix (a table's ingest leaves out the few
    rows :func:`odd_outcomes` finds first, each a problem of its own: what is left here
    is a column of the wrong values).

    ``stored``: the outcome values the project's rows hold already (as
    :func:`outcome_text` writes them; each with a row that holds it): together with
    them, still two values at most (a second table writing ``1``/``0`` where the first
    wrote ``yes``/``no`` is refused, naming both and the fix; ``source`` names the
    table in that error)."""
    text = col.astype(str).str.strip().str.replace(_WHOLE_FLOAT, r"\1", regex=True)
    known = ~_no_outcome(col)
    counts = text[known].value_counts()
    positive = _WHOLE_FLOAT.sub(r"\1", str(schema.positive).strip())
    name = schema.label_column
    if stored:  # first: what the stored rows hold says which values are right
        _check_stored_outcomes(text, known, ids, positive, stored, name, source)
    if len(counts) > 2 and positive in counts.index:
        others = [str(v) for v in counts.index if v != positive]
        odd = others[1:]  # the most common other value is "no"; the rest are not outcomes
        rows = ids[known & text.isin(odd)].astype(str).head(3).tolist()
        raise ColumnError(
            f"the outcome column {name!r} holds {len(counts)} different values "
            f"({', '.join(repr(str(v)) for v in sorted(counts.index, key=str))}); a yes/no "
            f"outcome has two ({positive!r} and {others[0]!r} here): rows "
            f"{', '.join(repr(r) for r in rows)} hold {', '.join(repr(v) for v in odd[:3])}",
            column=name,
            hint=f"correct those rows to {positive!r} or {others[0]!r} (leave the cell empty "
                 "where the outcome is not known yet) and ingest the table again")
    if len(counts) == 2 and positive not in counts.index:
        values = sorted(str(v) for v in counts.index)
        raise ColumnError(
            f"the outcome column {name!r} holds {values[0]!r} and {values[1]!r}, and "
            f"neither is the positive value {positive!r}: every row would count as no",
            column=name,
            hint=f"say which value counts as yes (one of {values[0]!r}, {values[1]!r}): "
                 "--positive VALUE with the project's first table (or positive = \"VALUE\" "
                 "in [tabular] of glamlab.toml once it is there), and ingest the table again")


def _check_stored_outcomes(text: pd.Series, known: pd.Series, ids: pd.Series, positive: str,
                           stored: Mapping[str, str], name: str | None, source: str) -> None:
    """The table's outcome values beside those the stored rows hold (:func:`check_outcomes`)."""
    values = set(text[known].unique())
    both = values | set(stored)
    if len(both) <= 2 and (len(both) < 2 or positive in both):
        return
    new = sorted(values - set(stored))
    if not new:  # the stored rows disagree among themselves; nothing new comes here
        return
    rows = ids[known & text.isin(new)].astype(str).head(3).tolist()
    have = sorted(stored)
    no = [v for v in have if v != positive]
    said = ", ".join(repr(v) for v in new)
    raise ColumnError(
        f"the outcome column {name!r} of {source} holds {said} (row"
        f"{'s' if len(rows) != 1 else ''} {', '.join(repr(r) for r in rows)}), but the rows "
        f"stored already hold {' and '.join(repr(v) for v in have)} (e.g. row "
        f"{stored[have[0]]!r}): a yes/no outcome has two values, and every value but "
        f"{positive!r} would be read as no",
        column=name,
        hint=f"write the outcomes as the stored rows do ({positive!r} for yes"
             + (f", {no[0]!r} for no" if no else "") + "; leave the cell empty where the "
             "outcome is not known yet) and ingest the table again")


class _Row(Protocol):
    """What :func:`frame_from_items` reads of an item (``glamlab.items.Item`` has it; the
    ingest layer does not import items)."""

    @property
    def item_id(self) -> str: ...

    @property
    def meta(self) -> Mapping[str, Any]: ...


def frame_from_items(items: Iterable[_Row], schema: TableSchema) -> pd.DataFrame:
    """The table of ingested rows (items' metadata), typed by :func:`prepare` (the
    label, when present in the metadata, included)."""
    pd = pandas()
    rows = []
    for item in items:
        row = dict(item.meta)
        row[schema.id_column or "id"] = item.item_id
        rows.append(row)
    frame = pd.DataFrame(rows)
    has_label = bool(schema.label_column) and schema.label_column in frame.columns
    return prepare(frame, schema, require_label=has_label)


__all__ = ["CATEGORY", "DATE", "NUMBER", "TableSchema", "category_text", "check_outcomes",
           "date_cells", "frame_from_items", "infer_schema", "number_cells", "odd_outcomes",
           "outcome_text", "prepare", "read_table"]
