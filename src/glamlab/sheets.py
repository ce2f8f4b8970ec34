"""Spreadsheets people open and fill in: CSV as Excel and OpenRefine read it, and Excel
``.xlsx`` workbooks (openpyxl, the ``spreadsheets`` extra).

Writing: :func:`write_sheet` writes a header and rows as CSV (UTF-8 with a byte-order
mark, so Excel shows ``réc-001`` and not ``rÃ©c-001``; ``bom=False`` for pipes) or as
``.xlsx`` with every text cell typed as text (nothing is ever evaluated, so nothing needs
escaping). In CSV a text cell a spreadsheet would evaluate as a formula (starting with
``= + - @``, their full-width forms, a tab or a carriage return, and not a plain number
such as ``-1234``) gets a leading ``'`` (:func:`formula_safe`) - except in the id columns
the caller names: an id is never altered, so joins in OpenRefine keep working; the ids
that a spreadsheet would evaluate are counted (:attr:`SheetReport.risky_ids`) so the
caller can say "open the .xlsx instead".

Reading: :func:`read_sheet` reads a small sheet a person filled in (CSV with ``,``, ``;``,
tab or ``|`` between cells, sniffed from the header; or ``.xlsx``).
"""

from __future__ import annotations

import csv
import datetime as _dt
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from .errors import GlamlabError, IngestError, MissingDependency

DELIMITERS = (",", ";", "\t", "|")
SNIFF_BYTES = 1 << 16
SHEET_FORMATS = ("csv", "xlsx")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_PLAIN_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?([eE][+-]?\d+)?$")
# characters an .xlsx cell cannot hold (XML 1.0 control characters)
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def formula_safe(value: Any) -> Any:
    """A text cell a spreadsheet will not evaluate: prefix ``'`` to a cell starting with
    = + - @ (or their full-width forms, which some spreadsheets read the same way), a tab
    or a carriage return. A plain number such as ``-1234`` or ``+3.5`` is left as it is:
    a spreadsheet reads it as that number, so an id column keeps joining in OpenRefine."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) \
            and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def would_evaluate(value: Any) -> bool:
    """Whether a spreadsheet would take this CSV cell for a formula."""
    return formula_safe(value) is not value


# what Excel, opening a CSV, turns into a number that is no longer the id: leading zeros
# (0042 -> 42), scientific notation (1E5 -> 100000), more digits than it keeps (16+)
_NUMBER_LIKE = re.compile(r"^(0\d+(\.\d+)?|\d+(\.\d+)?[eE][+-]?\d+|\d{16,})$")


def would_become_number(value: Any) -> bool:
    """Whether a spreadsheet opening this CSV cell would read it as a different number
    (``0042`` as 42, ``1E5`` as 100000, ``1234567890123456789`` rounded)."""
    return isinstance(value, str) and bool(_NUMBER_LIKE.match(value.strip()))


@dataclass
class SheetReport:
    rows: int = 0
    risky_ids: int = 0  # distinct ids written as they are that a spreadsheet would evaluate
    number_like_ids: int = 0  # distinct ids a spreadsheet would read as another number


def sheet_format(path: str | os.PathLike[str] | None, fmt: str | None = None) -> str:
    """``csv`` or ``xlsx``: ``fmt`` when given, else from the file name (csv by default)."""
    if fmt:
        return fmt
    return "xlsx" if path is not None and Path(path).suffix.lower() == ".xlsx" else "csv"


def write_sheet(out: IO[Any], header: Sequence[str], rows: Iterable[Sequence[Any]], *,
                fmt: str = "csv", id_columns: Iterable[str] = (), bom: bool = True,
                title: str = "glamlab") -> SheetReport:
    """Write ``header`` and ``rows`` to ``out`` (a text handle opened with ``newline=""``
    for CSV; a binary handle for xlsx). ``None`` cells are empty."""
    ids = {i for i, c in enumerate(header) if c in set(id_columns)}
    report = SheetReport()
    if fmt == "xlsx":
        return _write_xlsx(out, header, rows, ids, report, title)
    if bom:
        out.write("\ufeff")
    w = _LfWriter(out)
    w.writerow([formula_safe(h) for h in header])
    risky: set[Any] = set()  # distinct ids: an item has a row per label in some exports
    number_like: set[Any] = set()
    for row in rows:
        cells = []
        for i, v in enumerate(row):
            if v is None:
                cells.append("")
            elif i in ids:
                if would_evaluate(v):
                    risky.add(v)
                elif would_become_number(v):
                    number_like.add(v)
                cells.append(v)
            else:
                cells.append(formula_safe(v))
        w.writerow(cells)
        report.rows += 1
        report.risky_ids, report.number_like_ids = len(risky), len(number_like)
    return report


class _LfWriter:
    """A CSV writer whose rows end in ``\n`` and whose cells holding a carriage return
    are quoted as those holding a line feed are. Python's writer with
    ``lineterminator="\n"`` leaves a lone CR unquoted, and a spreadsheet reads it as the
    end of the row: the rest of the cell becomes the first cell of a new row, where
    ``=HYPERLINK(...)`` after the CR is a formula that :func:`formula_safe` (which looks
    at the start of the cell) never saw. Each row is written with ``\r\n`` (so both are
    quoted) and its ending made ``\n``."""

    def __init__(self, out: IO[Any]):
        import io

        self._out = out
        self._buf = io.StringIO(newline="")
        self._w = csv.writer(self._buf, lineterminator="\r\n")

    def writerow(self, cells: Sequence[Any]) -> None:
        self._buf.seek(0)
        self._buf.truncate()
        self._w.writerow(cells)
        self._out.write(self._buf.getvalue()[:-2] + "\n")


def write_csv_file(path: str | os.PathLike[str], header: Sequence[str],
                   rows: Iterable[Sequence[Any]], *, id_columns: Iterable[str] = ()
                   ) -> SheetReport:
    """A CSV people open, written to ``path`` (owner-only) as every glamlab CSV is: UTF-8
    with a byte-order mark (Excel then shows ``é`` as ``é``), formula-safe cells."""
    from .files import open_private

    with open_private(path, "w", newline="", encoding="utf-8") as fh:
        return write_sheet(fh, header, rows, id_columns=id_columns)


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]], *,
              id_columns: Iterable[str] = ()) -> bytes:
    """The same CSV as :func:`write_csv_file`, as the bytes of a download."""
    import io

    buf = io.StringIO(newline="")
    write_sheet(buf, header, rows, id_columns=id_columns)
    return buf.getvalue().encode("utf-8")


def _write_xlsx(out: IO[bytes], header: Sequence[str], rows: Iterable[Sequence[Any]],
                ids: set[int], report: SheetReport, title: str) -> SheetReport:
    try:
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell
    except ImportError as exc:
        raise MissingDependency("openpyxl", "spreadsheets") from exc
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])

    def cell(value: Any, as_text: bool) -> Any:
        if value is None:
            return WriteOnlyCell(sheet, value=None)
        if isinstance(value, bool) or as_text or not isinstance(value, int | float):
            c = WriteOnlyCell(sheet, value=_ILLEGAL_XML.sub("", str(value)))
            c.data_type = "s"  # text, never a formula, whatever it starts with
            return c
        return WriteOnlyCell(sheet, value=value)

    sheet.append([cell(h, True) for h in header])
    for row in rows:
        sheet.append([cell(v, i in ids) for i, v in enumerate(row)])
        report.rows += 1
    book.save(out)
    return report


def sniff_delimiter(path: str | Path) -> str:
    """The delimiter of a delimited text file, from its header line: the one of ``,``,
    ``;``, tab and ``|`` found most often outside quotes (``,`` when none or a tie)."""
    try:
        with open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
            head = fh.read(SNIFF_BYTES)
    except OSError:
        return ","
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for ch in head:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in ("\n", "\r"):
            break
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(DELIMITERS, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","




_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}


MAX_FIELD = 2**31 - 1  # OCR text can be long; the csv module's default limit is 128 KiB


class LongFields:
    """A csv reader that accepts fields up to :data:`MAX_FIELD` characters. The csv
    module's limit is one setting for the whole process: it is raised only while a row
    of this table is parsed, and put back at once, never changed for anyone else's reader
    in between."""

    def __init__(self, reader: Any):
        self._reader = reader

    @property
    def line_num(self) -> int:
        return int(self._reader.line_num)

    def __iter__(self) -> LongFields:
        return self

    def __next__(self) -> list[str]:
        previous = csv.field_size_limit(MAX_FIELD)
        try:
            return next(self._reader)  # type: ignore[no-any-return]
        finally:
            csv.field_size_limit(previous)


class CsvLines:
    """A file's lines as the csv reader takes them, keeping those of the record being
    read (:attr:`record`), so a record the strict reader refuses can be read again."""

    def __init__(self, fh: Any):
        self._fh = fh
        self.record: list[str] = []

    def __iter__(self) -> CsvLines:
        return self

    def __next__(self) -> str:
        line = next(self._fh)
        self.record.append(line)
        return line  # type: ignore[no-any-return]


def loose_row(lines: list[str], delimiter: str, *, field_limit: int | None = None
              ) -> list[str] | None:
    """The row that one line holds, read as the csv module reads by default (a stray
    quote inside a cell, as in ``"Moby Dick" by Melville``, is kept as text), or None when
    ``lines`` are several (a quote that runs on over lines is a problem to report, not a
    row) or hold no row. A strict reader refuses such a cell; only a quote never closed
    must stop the reading. ``field_limit``: the longest cell allowed while reading (the
    process's limit is put back at once)."""
    if len(lines) != 1:
        return None
    previous = csv.field_size_limit(field_limit) if field_limit else None
    try:
        rows = [r for r in csv.reader(lines, delimiter=delimiter) if r]
    except csv.Error:
        return None
    finally:
        if previous is not None:
            csv.field_size_limit(previous)
    return rows[0] if len(rows) == 1 else None


def quote_fix(delimiter: str) -> str:
    """The fix for a CSV row with more cells than the header, in the same words for
    every reader of CSV files (a sheet of labels, a table of rows)."""
    return (f"put a cell that holds a {_DELIMITER_NAMES.get(delimiter, 'delimiter')} "
            f"({delimiter!r}) in double quotes")


def read_sheet(path: str | Path, *, error: type[GlamlabError] = IngestError,
               limit: int | None = None, problems: list[tuple[int, str]] | None = None
               ) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """A small sheet a person filled in (labels): its header and its rows as
    ``(line or row number, column -> cell text)``. CSV/TSV (UTF-8, with or without a BOM,
    the delimiter sniffed) or Excel ``.xlsx`` (the first worksheet; needs openpyxl).
    ``error``: the exception raised when the file cannot be read; ``limit``: read at
    most that many rows (0: the header only).

    A CSV row with more cells than the header (a cell holding the delimiter, unquoted) is
    never cut down to the header's columns: it is appended to ``problems`` as ``(line,
    reason with the fix)`` and left out of the rows, or, without ``problems``, the file is
    refused (``error``) naming its lines. A quote that is never closed (it would swallow
    the rest of the file into one cell) refuses the file, naming the line it opens on."""
    p = Path(path)
    if p.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_xlsx(p, error, limit)
    delimiter = "\t" if p.suffix.lower() == ".tsv" else sniff_delimiter(p)
    try:
        fh = open(p, newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise error(f"cannot read {p}: {exc.strerror}", hint="check the path") from exc
    out: list[tuple[int, dict[str, str]]] = []
    overflow: list[tuple[int, int]] = []  # (line, cells) of rows longer than the header
    with fh:
        record = CsvLines(fh)
        reader = LongFields(csv.reader(record, delimiter=delimiter, strict=True))
        start = 1
        try:
            header = [h.strip() for h in next(reader, [])]
            while limit is None or len(out) < limit:
                start = reader.line_num + 1
                record.record.clear()
                try:
                    row = next(reader, None)
                except csv.Error as exc:
                    # a stray quote inside a cell ("Moby Dick" by Melville) is read as
                    # before; only a quote never closed refuses the file
                    row = (None if "unexpected end of data" in str(exc)
                           else loose_row(record.record, delimiter, field_limit=MAX_FIELD))
                    if row is None:
                        raise
                if row is None:
                    break
                if not row:
                    continue
                if len(row) > len(header) and any(c.strip() for c in row[len(header):]):
                    overflow.append((start, len(row)))
                    continue
                out.append((start, dict(zip(header, row, strict=False))))
        except csv.Error as exc:
            if "unexpected end of data" in str(exc):
                raise error(f"{p.name} line {start}: a quote opens in this line and is never "
                            "closed, so the rest of the file would be read as one cell; "
                            "nothing was read",
                            hint="close the quote on that line (a quote inside a cell is "
                                 'written twice: "") and try again') from exc
            raise error(f"{p.name} line {start}: not valid CSV ({exc})",
                        hint='fix the quoting on that line (a cell is quoted as a whole: '
                             '"like, this"; a quote inside it is written twice: "")') from exc
        except UnicodeDecodeError as exc:
            raise error(f"{p.name} is not UTF-8 text",
                        hint="save it as UTF-8 CSV (in Excel: CSV UTF-8), or as .xlsx") from exc
    fix = quote_fix(delimiter)
    found = [(line, f"{cells} values where the header has {len(header)} columns: {fix}")
             for line, cells in overflow]
    if found and problems is None:
        lines = ", ".join(str(line) for line, _ in found[:10])
        more = f" and {len(found) - 10} more" if len(found) > 10 else ""
        raise error(f"{p.name} line {overflow[0][0]}: {overflow[0][1]} values where the "
                    f"header has {len(header)} columns (rows with more cells than the "
                    f"header: line {lines}{more}); nothing was read",
                    hint=f"{fix}, then try again")
    if problems is not None:
        problems.extend(found)
    return header, out


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, _dt.datetime | _dt.date):
        return value.isoformat()
    return str(value)


def _read_xlsx(p: Path, error: type[GlamlabError], limit: int | None = None
               ) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    try:
        import openpyxl
    except ImportError as exc:
        raise MissingDependency("openpyxl", "spreadsheets") from exc
    import zipfile

    try:
        book = openpyxl.load_workbook(p, read_only=True, data_only=True)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise error(f"cannot read {p.name} as an Excel workbook ({exc})",
                    hint="save it again as .xlsx, or as CSV UTF-8") from exc
    try:
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        first = next(rows, None)
        header = [_cell_text(v).strip() for v in (first or ())]
        out: list[tuple[int, dict[str, str]]] = []
        for n, values in enumerate(rows, 2):
            if limit is not None and len(out) >= limit:
                break
            cells = [_cell_text(v) for v in values]
            if not any(c.strip() for c in cells):
                continue
            out.append((n, {h: c for h, c in zip(header, cells, strict=False) if h}))
    finally:
        book.close()
    return header, out



def risky_ids_warning(count: int, fix: str, *, number_like: int = 0) -> str:
    """What to tell the person when ids were written as they are although a spreadsheet
    may change them: ``count`` it may evaluate as formulas (:attr:`SheetReport.risky_ids`),
    ``number_like`` it may read as other numbers (:attr:`SheetReport.number_like_ids`);
    ``fix`` is the way out this export offers. It also says how to open the CSV safely,
    and that spaces around ids were removed when the items were brought in."""
    parts = []
    if count:
        parts.append(f"{count:,} ids start with = + - or @ and are written as they are (so "
                     "they still join); a spreadsheet may take them for formulas.")
    parts.append((f"{number_like:,} ids look like numbers: " if number_like else
                  "Ids that look like numbers change too: ")
                 + "Excel opens 0042 as 42 and 1E5 as 100000.")
    return (" ".join(parts) + " To keep every id exactly, open the file in Excel with Data > "
            "From Text/CSV and set the id column to Text, or " + fix + ". (Spaces around "
            "ids were removed when the items and labels were brought in, so that they join: "
            "'0042 ' is kept as 0042.)")
