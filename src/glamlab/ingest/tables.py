"""Tables: CSV (and TSV), JSONL and Parquet, one item per row, streamed.

* the id comes from ``id_column`` (default: a column called ``id``); a table without it
  is refused as a whole with a problem that lists its columns;
* ``text_column`` (default: a column called ``text``, if any) gives the item text; for a
  text task (``options.needs_text``) without one, the column is found from its values
  (running text: filled, varied, with spaces), or the table is refused listing the
  candidates, and a row with an empty text is a problem for that row;
* a ``.csv`` file's delimiter is sniffed from its header: ``,``, ``;`` (Excel in French or
  German), tab or ``|``;
* ``image_column`` gives an image path relative to the table file (or an absolute path,
  or an http(s) URL fetched lazily): the row becomes an image item, its header is read
  at ingest; a missing or unreadable image is a problem for that row only; with
  ``options.image_root`` (a table uploaded in the web app) a local path must be a file
  inside that folder (no absolute path, no ``..``, no link out of it), else it is a
  problem for that row;
* every other column is kept as metadata;
* in an image project (``options.needs_image``), a table with no image column and no text
  column gives no item: each row is a problem naming its line and the fix (an item with
  nothing to read would be run, counted and exported; such a table is most often labels).

A Parquet file types its columns: a text column of numbers, dates or lists refuses the
file (naming the column and the columns that hold text), where a CSV's cells are all text.
A JSONL row types its own values: a row whose text is a number, a list or an object is a
problem for that row (naming the line, the item and the type), the rest of the file comes in.

The modality is ``image`` for rows with an image, ``text`` for rows with a text column,
``record`` otherwise. Rows are read in a stream (CSV row by row, Parquet by record
batch), so memory does not grow with the table. A row with bytes that are not UTF-8, an
empty id or the wrong number of fields is recorded as a problem naming the file and the
line, and the rest of the table carries on. A quote that is never closed would make the
rest of the file one cell: it is a problem naming the line the quote opens on, and the
rows from that line on are not ingested (where they start cannot be known).
"""

from __future__ import annotations

import csv
import datetime as _dt
import decimal
import hashlib
import json
import math
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ..files import loads_json
from ..said import in_words
from ..sheets import DELIMITERS, MAX_FIELD, CsvLines, LongFields, loose_row, sniff_delimiter
from .base import IngestOptions, Problem, Record, is_lfs_pointer, lfs_problem

KIND = "table"
FORMATS = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl",
           ".parquet": "parquet", ".pq": "parquet"}
PARQUET_BATCH = 8192
MAX_ENCODING_PROBLEMS = 1000  # then the file is taken to be in another encoding


def _clip(value: str, n: int = 40) -> str:
    return value if len(value) <= n else value[: n - 1] + "…"


def can_read(source: str) -> bool:
    p = Path(source)
    return p.is_file() and p.suffix.lower() in FORMATS


SAMPLE_ROWS = 500  # rows read to find the text column
# column names that say "this is the text" (compared lower-case, without _ - and spaces)
TEXT_NAMES = {"text", "ocr", "ocrtext", "fulltext", "content", "body", "transcription",
              "transcript", "sentence", "snippet", "pathortext", "plaintext", "texte", "volltext"}


def _looks_like_text(values: list[Any]) -> float:
    """How much a column's sampled values look like running text: the mean length of its
    values, or 0 when they are mostly empty, repeated, or words without spaces."""
    filled = [v.strip() for v in values if isinstance(v, str) and v.strip()]
    if not filled or len(filled) < 0.5 * len(values):
        return 0.0
    if len(set(filled)) < 0.5 * len(filled):
        return 0.0
    if sum(1 for v in filled if " " in v) < 0.3 * len(filled):
        return 0.0
    mean = sum(len(v) for v in filled) / len(filled)
    return mean if mean >= 12 else 0.0


def _norm(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


def find_text_column(names: list[str], rows: list[dict[str, Any]],
                     exclude: tuple[str | None, ...] = ()
                     ) -> tuple[str | None, list[tuple[str, str]]]:
    """The column of a table that holds the item text, found from its values (running
    text: filled, varied, with spaces): (the column, or None when none or several could
    be; the candidates with an example value when it is not clear). The ingest of a text
    task and the web app's column-mapping step both use it."""
    scores = {}
    for name in names:
        if name in exclude:
            continue
        score = _looks_like_text([r.get(name) for r in rows])
        if score:
            scores[name] = score
    ranked = sorted(scores, key=lambda n: -scores[n])
    named = [n for n in ranked if _norm(n) in TEXT_NAMES]
    chosen = named[0] if len(named) == 1 else ranked[0] if len(ranked) == 1 else None
    if chosen is None:
        return None, [(n, str(next((r[n] for r in rows if r.get(n)), ""))) for n in ranked]
    return chosen, []


def find_image_column(names: list[str], rows: list[dict[str, Any]], base: Path,
                      exclude: tuple[str | None, ...] = ()) -> str | None:
    """The column of a table that holds image paths or web addresses, found from its
    values, for an image project's table ingested without ``--image-column``: the one
    column whose filled sampled values nearly all (90%) end in an image file's suffix,
    and, for paths, name files that exist next to the table (at least one of the first
    ten). None when no column or several could be."""
    from .images import IMAGE_SUFFIXES

    found = []
    for name in names:
        if name in exclude:
            continue
        values = [str(r[name]).strip() for r in rows
                  if r.get(name) is not None and str(r[name]).strip()]
        if not values:
            continue
        suffixed = [v for v in values
                    if Path(v.split("?")[0].split("#")[0]).suffix.lower() in IMAGE_SUFFIXES]
        if len(suffixed) < 0.9 * len(values):
            continue
        web = [v for v in suffixed if v.startswith(("http://", "https://"))]
        local = [v for v in suffixed[:10] if not v.startswith(("http://", "https://"))]
        exists = False
        for v in local:
            try:
                exists = (base / v).is_file()
            except (OSError, ValueError):
                exists = False
            if exists:
                break
        if exists or len(web) >= 0.9 * len(values):
            found.append(name)
    return found[0] if len(found) == 1 else None


#: the web page where a table's columns are matched (Bring items in)
_MATCH_COLUMNS = "when you match the table's columns on the Bring items in page"


def text_column_fix(verb: str = "name the column that holds the text") -> str:
    """How to name a table's text column, in the caller's words (:mod:`glamlab.said`):
    ``text_column='NAME'`` (Python), ``--text-column NAME`` (the command line), the
    column chosen as the item's text (the web page)."""
    return in_words(f"{verb} with text_column='NAME'", f"{verb} with --text-column NAME",
                    f"choose the column that holds the text as the item's text {_MATCH_COLUMNS}")


def id_column_fix() -> str:
    """How to name a table's id column, in the caller's words."""
    return in_words("name the column that holds item ids with id_column='NAME'",
                    "name the column that holds item ids with --id-column NAME",
                    f"choose the column that holds each item's id {_MATCH_COLUMNS}")


def _chosen_words(what: str, flag: str, argument: str) -> str:
    """A column glamlab chose itself, and how to choose another, in the caller's words."""
    return in_words(f"choose another with {argument}='NAME'", f"choose another with {flag} NAME",
                    f"choose another as {what} {_MATCH_COLUMNS}")


class _Columns:
    """The roles of a table's columns, checked once per file.

    ``sample`` gives the first rows as mappings (read only when the text column has to be
    found from the values)."""

    def __init__(self, path: Path, source: str, names: list[str], options: IngestOptions,
                 sample: Callable[[], list[dict[str, Any]]] | None = None):
        self.path = path
        self.source = source
        self.names = names
        self.base = path.parent
        self.options = options
        self.id_col = options.id_column or "id"
        self.text_col = options.text_column or ("text" if "text" in names else None)
        self.image_col = options.image_column
        if (self.image_col is None and options.needs_image and self.id_col in names
                and sample):
            self.image_col = self._find_image(sample())
        self.kind = FORMATS[path.suffix.lower()]
        self.source_kind = "csv" if self.kind == "tsv" else self.kind
        self.candidates: list[tuple[str, str]] = []  # (column, an example value)
        self.needs_text = options.needs_text and not self.image_col
        # an image project's table with neither images nor text: no row can be an item
        self.no_content = options.needs_image and not self.image_col
        if self.needs_text and self.text_col is None and self.id_col in names and sample:
            self.text_col = self._find_text(sample())
        # a column mapping other than the default is part of the content: ingesting the
        # table again with another text column makes new versions, not "unchanged"
        self.roles = (f"\x1etext={self.text_col}".encode()
                      if self.text_col not in (None, "text") else b"")

    def _find_image(self, rows: list[dict[str, Any]]) -> str | None:
        root = Path(self.options.image_root) if self.options.image_root else self.base
        chosen = find_image_column(self.names, rows, root, exclude=(self.id_col,))
        if chosen is not None:
            self.options.say(f"{self.path.name}: the images are taken from the column "
                             f"{chosen!r} (found from its values; "
                             + _chosen_words("the item's image", "--image-column",
                                             "image_column") + ")")
        return chosen

    def _find_text(self, rows: list[dict[str, Any]]) -> str | None:
        chosen, self.candidates = find_text_column(self.names, rows,
                                                   exclude=(self.id_col, self.image_col))
        if chosen is not None:
            self.options.text_columns.append({"source": str(self.path), "column": chosen})
            self.options.say(f"{self.path.name}: the item text is taken from the column "
                             f"{chosen!r} (found from its values; "
                             + _chosen_words("the item's text", "--text-column",
                                             "text_column") + ")")
        return chosen

    def problem(self) -> Problem | None:
        listed = ", ".join(self.names) if self.names else "(none)"
        if self.id_col not in self.names:
            if self.options.id_column:
                reason = f"the id column {self.id_col!r} is not in {self.path.name}"
            else:
                reason = f"{self.path.name} has no 'id' column"
            if len(self.names) == 1 and any(d in self.names[0] for d in DELIMITERS[1:]):
                reason += " (is it separated by another character than the file type says?)"
            return Problem(self.source, str(self.path), f"{reason}; its columns are: {listed}",
                           id_column_fix())
        for col, flag, arg, what in (
                (self.options.text_column, "--text-column", "text_column", "the item's text"),
                (self.image_col, "--image-column", "image_column", "the item's image")):
            if col and col not in self.names:
                given = in_words(f"as {arg}=", f"with {flag}", f"as {what}")
                return Problem(self.source, str(self.path),
                               f"the column {col!r} given {given} is not in {self.path.name}; "
                               f"its columns are: {listed}",
                               in_words(f"check the spelling of {arg}=",
                                        f"check the spelling of {flag}",
                                        f"choose one of its columns as {what} "
                                        + _MATCH_COLUMNS))
        if self.needs_text and self.text_col is None:
            if self.candidates:
                shown = "; ".join(f"{n!r} (e.g. {_clip(v)!r})" for n, v in self.candidates[:6])
                return Problem(self.source, str(self.path),
                               f"this is a text task and {self.path.name} has no 'text' column; "
                               f"several columns could hold the text: {shown}; nothing was "
                               "ingested", text_column_fix("choose the text column"))
            return Problem(self.source, str(self.path),
                           f"this is a text task and {self.path.name} has no 'text' column, nor "
                           f"any column that looks like running text (its columns are: "
                           f"{listed}); nothing was ingested",
                           text_column_fix())
        return None

    def _outside_root(self, img: Path, ref: str, item_id: str, value: str) -> Problem | None:
        """With ``options.image_root`` (a table uploaded in the web app), a local image
        that is not a file inside that folder (an absolute path, ``..``, a link out of
        it, or no such file there) is a problem for its row, named without the server's
        folders; the images' web addresses are what such a table gives."""
        if self.options.image_root is None:
            return None
        root = Path(self.options.image_root).resolve()
        try:
            target = img.resolve()
            outside = not target.is_relative_to(root)
            if not outside and target.is_file():
                return None
        except (OSError, ValueError, RuntimeError):  # a name no file system takes, a loop
            outside = True
        fix = ("give each image's web address (starting with http:// or https://), or "
               "upload the images as a .zip and then this table for their labels")
        if "://" in value:
            why = "is not a web address starting with http:// or https://"
        elif outside:
            why = "is a path on the server outside the upload, which this page does not read"
        else:
            why = "is not a web address, and no such file came with the table"
        return Problem(self.source, f"{self.path}:{ref}",
                       f"{ref}: the image {_clip(value, 80)!r} of item {item_id!r} {why}; "
                       "the row was left out", fix)

    def record(self, ref: str, item_id: str, text: str | None, image: Any,
               meta: dict[str, Any], digest: hashlib._Hash) -> Record | Problem:
        modality = "text" if self.text_col else "record"
        if self.no_content and not self.text_col:
            return Problem(self.source, f"{self.path}:{ref}",
                           f"{ref}: item {item_id!r} has no image and no text: "
                           f"{self.path.name} has no column of images or text, and this "
                           "project's items are images; nothing was created for it",
                           in_words(
                               "name the column of image paths or web addresses with "
                               "image_column='NAME'; if the table gives labels for images "
                               f"already here, import them with import_labels(ws, "
                               f"{self.path.name!r}) (an id not in the project: check the "
                               "id, or bring the images in first)",
                               "name the column of image paths or web addresses with "
                               "--image-column NAME; if the table gives labels for images "
                               f"already here, import them with `glamlab labels import "
                               f"{self.path.name}` (an id not in the project: check the id, "
                               "or bring the images in first)",
                               "choose the column of image paths or web addresses as the "
                               f"item's image {_MATCH_COLUMNS}; if the table gives labels "
                               "for images already here, bring it in as a spreadsheet of "
                               "labels instead (an id not in the project: check the id, or "
                               "bring the images in first)"))
        if self.needs_text and not (text or "").strip():
            return Problem(self.source, f"{self.path}:{ref}",
                           f"{ref}: item {item_id!r} has no text in the column "
                           f"{self.text_col!r} (this is a text task); it was skipped",
                           "fill in the text or drop the row")
        uri = width = height = None
        if self.image_col:
            if image is None or image == "":
                return Problem(self.source, f"{self.path}:{ref}",
                               f"{ref}: item {item_id!r} has no value in the image column "
                               f"{self.image_col!r}", "fill in the image path or drop the row")
            from .images import BadImage, read_header

            value = str(image)
            if value.startswith(("http://", "https://")):
                uri = value
                digest.update(b"\x1d" + value.encode())
            else:
                img = Path(value)
                if not img.is_absolute():
                    img = self.base / img
                outside = self._outside_root(img, ref, item_id, value)
                if outside is not None:
                    return outside
                if not img.is_file():
                    return Problem(self.source, f"{self.path}:{ref}",
                                   f"{ref}: the image {value!r} of item {item_id!r} does not "
                                   f"exist (looked for {img})",
                                   "image paths are relative to the table file; fix the path")
                try:
                    head = read_header(img, self.options, all_frames=False)
                except BadImage as exc:
                    return Problem(self.source, f"{self.path}:{ref}",
                                   f"{ref}: image {value!r} of item {item_id!r}: {exc.reason}",
                                   exc.hint)
                uri = str(img.resolve())
                width, height = head.width, head.height
                meta["format"] = head.format
                digest.update(b"\x1d" + head.digest.encode())
            modality = "image"
        return Record(item_id=item_id, modality=modality, source_kind=self.source_kind,
                      source=self.source, content_hash=digest.hexdigest(), uri=uri,
                      text=text, width=width, height=height, meta=meta)


def read(source: str, options: IngestOptions) -> Iterator[Record | Problem]:
    path = Path(source)
    if is_lfs_pointer(path):
        yield lfs_problem(source, path)
        return
    kind = FORMATS[path.suffix.lower()]
    if kind in ("csv", "tsv"):
        yield from _read_csv(path, source, options,
                             "\t" if kind == "tsv" else sniff_delimiter(path))
    elif kind == "jsonl":
        yield from _read_jsonl(path, source, options)
    else:
        yield from _read_parquet(path, source, options)


def _not_utf8(ref: str) -> str:
    return f"{ref}: the row has bytes that are not UTF-8; it was skipped"


NOT_UTF8_HINT = ("save the table as UTF-8 (in Excel: CSV UTF-8; or `iconv -f latin1 -t utf-8`) "
                 "and ingest again")


def _read_csv(path: Path, source: str, options: IngestOptions,
              delimiter: str) -> Iterator[Record | Problem]:
    with open(path, encoding="utf-8-sig", errors="surrogateescape", newline="") as fh:
        # strict: a quote never closed is an error, not the rest of the file in one cell
        lines = CsvLines(fh)
        reader = LongFields(csv.reader(lines, delimiter=delimiter, strict=True))
        try:
            header = next(reader)
        except StopIteration:
            yield Problem(source, str(path), f"{path.name} is empty (no header row)",
                          "export the table with a header row")
            return
        except csv.Error as exc:
            yield Problem(source, str(path), f"cannot read the header of {path.name}: {exc}",
                          "check that the file is CSV")
            return
        try:
            "".join(header).encode("utf-8")
        except UnicodeEncodeError:
            yield Problem(source, f"{path}:line 1", "line 1: the header row has bytes that "
                          "are not UTF-8; the file was skipped", NOT_UTF8_HINT)
            return
        header = [h.strip() for h in header]
        cols = _Columns(path, source, header, options,
                        sample=lambda: _sample_csv(path, header, delimiter))
        bad = cols.problem()
        if bad is not None:
            yield bad
            return
        n = len(header)
        id_i = header.index(cols.id_col)
        text_i = header.index(cols.text_col) if cols.text_col else -1
        image_i = header.index(cols.image_col) if cols.image_col else -1
        meta_cols = [(name, i) for i, name in enumerate(header) if i not in (id_i, text_i)]
        head_sig = ("\x1f".join(header) + "\x1e").encode() + cols.roles
        sha256 = hashlib.sha256
        last_line = reader.line_num
        bad_encoding = 0
        while True:
            lines.record.clear()
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                loose = (None if "unexpected end of data" in str(exc)
                         else loose_row(lines.record, delimiter, field_limit=MAX_FIELD))
                if loose is None:
                    yield _quoting_problem(source, path, last_line + 1, reader.line_num, exc)
                    if "unexpected end of data" in str(exc):
                        return  # where the rows after the quote start cannot be known
                    last_line = reader.line_num
                    continue
                row = loose  # a stray quote inside a cell: the row as it always was read
            start = last_line + 1
            last_line = reader.line_num
            if not row:
                continue
            ref = f"line {start}"
            joined = "\x1f".join(row)
            try:
                raw = joined.encode("utf-8")
            except UnicodeEncodeError:
                yield Problem(source, f"{path}:{ref}", _not_utf8(ref), NOT_UTF8_HINT)
                bad_encoding += 1
                if bad_encoding >= MAX_ENCODING_PROBLEMS:
                    yield Problem(source, str(path),
                                  f"{bad_encoding:,} rows of {path.name} are not UTF-8: the "
                                  f"file is in another encoding; the rest of it was skipped",
                                  NOT_UTF8_HINT)
                    return
                continue
            if len(row) != n:
                yield Problem(source, f"{path}:{ref}",
                              f"{ref}: {len(row)} values where the header has {n} columns",
                              "check the quoting and the number of separators on that line")
                continue
            item_id = row[id_i].strip()
            if not item_id:
                yield Problem(source, f"{path}:{ref}",
                              f"{ref}: the id column {cols.id_col!r} is empty",
                              "give every row an id")
                continue
            if last_line > start and (swallowed := _rows_in_cells(row, item_id, delimiter)):
                yield Problem(source, f"{path}:{ref}",
                              f"{ref}: item {item_id!r} runs over lines {start}-{last_line}, "
                              f"and some of them look like rows of their own (starting "
                              f"{', '.join(map(repr, swallowed[:3]))}); it was stored as it "
                              "is, but if a quote is missing its closing quote those rows "
                              "are inside its cell", QUOTE_HINT)
            meta = {name: row[i] for name, i in meta_cols}
            digest = sha256(head_sig)
            digest.update(raw)
            yield cols.record(ref, item_id, row[text_i] if text_i >= 0 else None,
                              row[image_i] if image_i >= 0 else None, meta, digest)


QUOTE_HINT = ('close the quote (a cell is quoted as a whole: "like, this"; a quote inside '
              'a cell is written twice: "") and ingest the file again')


def _id_shape(value: str) -> str:
    return re.sub(r"[A-Za-z]+", "a", re.sub(r"\d+", "9", value))


def _rows_in_cells(row: list[str], item_id: str, delimiter: str) -> list[str]:
    """The lines inside the cells of a row read over several lines that start like a row
    of the table (a value shaped like the row's id, then the delimiter): the sign of a
    quote closed too late. Their first values, or none."""
    shape = _id_shape(item_id)
    found = []
    for cell in row:
        for line in cell.splitlines()[1:]:
            head, sep, _rest = line.partition(delimiter)
            head = head.strip()
            if sep and head and head != item_id and _id_shape(head) == shape:
                found.append(head)
    return found


def _quoting_problem(source: str, path: Path, start: int, end: int,
                     exc: csv.Error) -> Problem:
    """A row the csv reader could not read: where its quote opened, and what was left
    out because of it."""
    ref = f"line {start}"
    if "unexpected end of data" in str(exc):
        span = f"lines {start}-{end}" if end > start else ref
        return Problem(source, f"{path}:{ref}",
                       f"{ref}: a quote opens in this line and is never closed, so the rest "
                       f"of the file ({span}) would be one cell; nothing from {ref} on was "
                       "ingested" + (" (the rows before it were)" if start > 2 else ""),
                       QUOTE_HINT)
    skipped = f"lines {start}-{end} were" if end > start else f"{ref} was"
    return Problem(source, f"{path}:{ref}",
                   f"{ref}: not valid CSV ({exc}); {skipped} skipped"
                   + (" (a quote opened on line "
                      f"{start} seems to run on to line {end})" if end > start else ""),
                   QUOTE_HINT)


def _sample_csv(path: Path, header: list[str], delimiter: str) -> list[dict[str, Any]]:
    """The first :data:`SAMPLE_ROWS` well-formed rows, as mappings (bad rows skipped)."""
    rows: list[dict[str, Any]] = []
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
        reader = LongFields(csv.reader(fh, delimiter=delimiter))
        try:
            next(reader)
            for row in reader:
                if len(row) == len(header):
                    rows.append(dict(zip(header, row, strict=True)))
                if len(rows) >= SAMPLE_ROWS:
                    break
        except (csv.Error, StopIteration):
            pass
    return rows


def _sample_jsonl(path: Path) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    with open(path, "rb") as fh:
        for line in fh:
            try:
                row = loads_json(line)  # too deeply nested: a ValueError, as bad JSON
            except ValueError:
                continue
            if isinstance(row, dict):
                rows.append(row)
            if len(rows) >= SAMPLE_ROWS:
                break
    return rows


def _jsonable(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        # pandas' NaN for an empty cell (a Parquet column of floats, a JSON Lines "NaN"):
        # no value. JSON has no NaN: stored, it made SQLite's JSON functions fail
        # ("malformed JSON") on every trend or filter over the items
        return None
    if v is None or isinstance(v, str | int | float | bool):
        return v
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_jsonable(x) for x in v]
    if isinstance(v, _dt.datetime | _dt.date | _dt.time):
        return v.isoformat()
    if isinstance(v, decimal.Decimal):
        return float(v)
    if isinstance(v, bytes):
        return v.hex()
    return str(v)


def _mapping_record(cols: _Columns, ref: str, row: dict[str, Any],
                    raw: bytes | None) -> Record | Problem:
    value = row.get(cols.id_col)
    item_id = "" if value is None else str(value).strip()
    if not item_id:
        return Problem(cols.source, f"{cols.path}:{ref}",
                       f"{ref}: the id field {cols.id_col!r} is missing or empty",
                       "give every row an id")
    text = row.get(cols.text_col) if cols.text_col else None
    if text is not None and not isinstance(text, str):
        text = str(text)
    meta = {k: _jsonable(v) for k, v in row.items() if k != cols.id_col and k != cols.text_col}
    if raw is None:
        raw = json.dumps([item_id, text, meta], ensure_ascii=False, default=str).encode()
    digest = hashlib.sha256(cols.roles + raw)
    image = row.get(cols.image_col) if cols.image_col else None
    return cols.record(ref, item_id, text, image, meta, digest)


def _json_kind(value: Any) -> str:
    """A JSON value's type in plain words, with its JSON name."""
    if isinstance(value, bool):
        return "a yes/no value (JSON true/false)"
    if isinstance(value, int | float):
        return "a number (JSON number)"
    if isinstance(value, list):
        return "a list (JSON array)"
    if isinstance(value, dict):
        return "a record (JSON object)"
    return f"a {type(value).__name__}"


def _text_type_problem(cols: _Columns, ref: str, row: dict[str, Any]) -> Problem | None:
    """A JSONL row whose text field holds a number, a list or an object, not a string:
    refused (it would become the item's "text" through ``str()``), the rest of the file
    comes in. The row's JSON types are its own, unlike a Parquet column's (checked once
    for the file by :func:`_parquet_text_type`, under the same condition: a text task, or
    a text field named with --text-column)."""
    if not cols.text_col or not (cols.needs_text or cols.options.text_column):
        return None
    value = row.get(cols.text_col)
    if value is None or isinstance(value, str):
        return None
    raw_id = row.get(cols.id_col)
    who = f"item {str(raw_id).strip()!r}" if raw_id not in (None, "") else "the row"
    shown = _clip(json.dumps(value, ensure_ascii=False, default=str))
    return Problem(cols.source, f"{cols.path}:{ref}",
                   f"{ref}: {who} has {_json_kind(value)} in the text field "
                   f"{cols.text_col!r} ({shown}), not text; it was skipped",
                   'write the text as a JSON string in quotes ("' + cols.text_col + '": "..."), '
                   "or " + text_column_fix("name the field that holds the text"))


def _read_jsonl(path: Path, source: str, options: IngestOptions) -> Iterator[Record | Problem]:
    cols: _Columns | None = None
    with open(path, "rb") as fh:
        for lineno, line in enumerate(fh, 1):
            line = line.strip()
            if not line:
                continue
            ref = f"line {lineno}"
            try:
                row = loads_json(line)
            except UnicodeDecodeError:
                yield Problem(source, f"{path}:{ref}", _not_utf8(ref), NOT_UTF8_HINT)
                continue
            except ValueError as exc:
                yield Problem(source, f"{path}:{ref}", f"{ref}: not valid JSON: {exc}",
                              "every line of a JSONL file must be one JSON object")
                continue
            if not isinstance(row, dict):
                yield Problem(source, f"{path}:{ref}",
                              f"{ref}: a JSON {type(row).__name__}, not an object",
                              "every line of a JSONL file must be one JSON object")
                continue
            if cols is None:
                cols = _Columns(path, source, list(row), options,
                                sample=lambda: _sample_jsonl(path))
                bad = cols.problem()
                if bad is not None:
                    yield bad
                    return
            yield _text_type_problem(cols, ref, row) or _mapping_record(cols, ref, row, line)


def _read_parquet(path: Path, source: str, options: IngestOptions) -> Iterator[Record | Problem]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        yield Problem(source, str(path), f"not a readable Parquet file: {exc}",
                      "re-export the table")
        return
    try:
        cols = _Columns(path, source, list(pf.schema_arrow.names), options,
                        sample=lambda: next(pf.iter_batches(batch_size=SAMPLE_ROWS)).to_pylist()
                        if pf.metadata.num_rows else [])
        bad = cols.problem() or _parquet_text_type(cols, pf.schema_arrow)
        if bad is not None:
            yield bad
            return
        n = 0
        for batch in pf.iter_batches(batch_size=PARQUET_BATCH):
            for row in batch.to_pylist():
                n += 1
                yield _mapping_record(cols, f"row {n}", row, None)
    except (pa.ArrowException, OSError) as exc:
        yield Problem(source, str(path), f"the Parquet file broke off while reading: {exc}",
                      "re-export the table")
    finally:
        pf.close()


def _is_text_type(kind: Any) -> bool:
    import pyarrow as pa

    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    return bool(pa.types.is_string(kind) or pa.types.is_large_string(kind)
                or getattr(pa.types, "is_string_view", lambda _k: False)(kind)
                or pa.types.is_null(kind))  # all empty: each row says it has no text


def _parquet_text_type(cols: _Columns, schema: Any) -> Problem | None:
    """A Parquet table whose text column holds numbers, dates or lists (typed in the
    file, unlike a CSV's cells) is refused as a whole, naming the column, its type and
    the columns that do hold text: each number would become an item's "text"."""
    if not cols.text_col or not (cols.needs_text or cols.options.text_column):
        return None
    kind = schema.field(cols.text_col).type
    if _is_text_type(kind):
        return None
    import pyarrow as pa

    plain = next((words for test, words in (
        (pa.types.is_integer, "numbers"), (pa.types.is_floating, "numbers"),
        (pa.types.is_decimal, "numbers"), (pa.types.is_boolean, "yes/no values"),
        (pa.types.is_temporal, "dates or times"), (pa.types.is_list, "lists"),
        (pa.types.is_large_list, "lists"), (pa.types.is_struct, "records"),
        (pa.types.is_binary, "bytes"), (pa.types.is_large_binary, "bytes")) if test(kind)),
        "values")
    texts = [f.name for f in schema if _is_text_type(f.type)
             and f.name not in (cols.id_col, cols.image_col, cols.text_col)]
    return Problem(cols.source, str(cols.path),
                   f"the text column {cols.text_col!r} of {cols.path.name} holds {plain} ({kind}), "
                   "not text; nothing was ingested",
                   text_column_fix()
                   + (f" (its text columns: {', '.join(texts)})" if texts else
                      " (it has no column of text: save the text as a string column)"))
