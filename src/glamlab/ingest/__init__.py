"""Reading collections into items: one module per source kind.

A folder is walked by :mod:`glamlab.ingest.folders`, which pairs page images with
their OCR (ALTO/PAGE XML, ``.txt``) so that a page is one item.

``ingest(store, sources, options)`` picks a reader for each source, streams its records in
batches through the single writer and records bad input as ``ingest_errors``.
Re-ingesting adds nothing; changed content becomes a new item version.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..errors import IngestError
from ..progress import Progress, plural
from ..said import in_words
from ..store import jsontext, now
from .base import (
    IngestOptions,
    Problem,
    Record,
    SourceReader,
    check_record,
    nul_note,
    problem_line,
    strip_nul,
)

if TYPE_CHECKING:
    from ..store import Store

#: two rows or files of one upload with the same id, in the web pages' words
_WEB_OWN_IDS = ("give every row its own id (in the table, or choose another column as the "
                "id when you match its columns), or every file its own name, then upload it "
                "again on the Bring items in page")

#: the source kinds whose items are a table's rows (no file of their own to rename)
TABLE_KINDS = ("csv", "jsonl", "parquet")

# Order matters: the first reader whose can_read() says yes takes the source.
READER_MODULES = [
    "glamlab.ingest.iiif",
    "glamlab.ingest.xml",
    "glamlab.ingest.annif",
    "glamlab.ingest.tables",
    "glamlab.ingest.text",
    "glamlab.ingest.images",
]
BATCH = 2000
PROGRESS_INTERVAL = 5.0  # seconds between progress lines when not in a terminal
MAX_PROBLEMS_IN_REPORT = 50
SHOWN_IN_SUMMARY = 5


@dataclass
class IngestReport:
    ingest_id: int
    sources: list[str]
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    # of ``failed``, the mistakes in what was asked (a path that does not exist): said,
    # not stored as ingest problems
    not_recorded: int = 0
    # of ``failed``, the problems whose item came in all the same (Problem.left_out False)
    came_in: int = 0
    kept_ids: int = 0  # items that kept the id an earlier glamlab gave them
    seconds: float = 0.0
    problems: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # OCR pages whose named page image is not there (Problem.warning): stored, said in
    # one warning line, not counted in ``failed``; the first kept as the example
    no_image: int = 0
    no_image_example: dict[str, Any] | None = None
    # sources that gave neither an item nor a problem: {"source", "reason", "hint"}
    empty_sources: list[dict[str, str]] = field(default_factory=list)
    # text columns glamlab chose itself (no --text-column): {"source", "column"}
    text_columns: list[dict[str, str]] = field(default_factory=list)
    # what was said to the person while reading (options.notify): also in the JSON
    notes: list[str] = field(default_factory=list)
    # of ``unchanged``, the items whose id belongs to an item from another source with
    # the same text (a table of texts, then the folder of the same texts): here already,
    # not stored again (the other is kept); the first as the example
    same_text: int = 0
    same_text_example: dict[str, Any] | None = None

    @property
    def nothing(self) -> bool:
        """Nothing was brought in and nothing was wrong: every source was empty (a table
        with a header only, a folder with no file glamlab reads)."""
        return not self.seen and not self.failed

    @property
    def seen(self) -> int:
        return self.added + self.updated + self.unchanged

    def to_dict(self) -> dict[str, Any]:
        return {
            "ingest_id": self.ingest_id,
            "sources": self.sources,
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "unchanged_from_another_source": self.same_text,
            # the first of them (its id and the source it is kept from), for the web's note
            "same_text_example": ({k: self.same_text_example.get(k) for k in ("item", "source")}
                                  if self.same_text and self.same_text_example else None),
            "failed": self.failed,
            "came_in_with_problem": self.came_in,
            "kept_earlier_ids": self.kept_ids,
            "seconds": round(self.seconds, 3),
            "items_per_s": round(self.seen / self.seconds, 1) if self.seconds else None,
            "problems": self.problems,
            "empty_sources": self.empty_sources,
            "text_columns": self.text_columns,
            "notes": self.notes,
            "pages_without_image": self.no_image,
            "warnings": self.all_warnings(),
        }

    def all_warnings(self) -> list[str]:
        """The warnings, the pages without their image said in one line first."""
        return [*([self.image_warning()] if self.no_image else []), *self.warnings]

    def image_warning(self) -> str:
        """One line for every OCR page whose named image is not there, the first named."""
        n, first = self.no_image, self.no_image_example or {}
        text = (f"{n:,} OCR {plural(n, 'page')} {'name' if n != 1 else 'names'} a page "
                "image that is not there; "
                f"{'their' if n != 1 else 'its'} text came in, stored as text only "
                f"(no image to show, zoom or crop)")
        if first:
            text += f", e.g. {first['reason'].split('; the page was stored')[0]}"
        return (text + "; listed with `glamlab items --errors`. Nothing to do if the text "
                "is all you need; otherwise put each image beside its OCR file under the "
                "name it gives and ingest the folder again")

    def same_text_words(self) -> str:
        """The items here already from another source with the same text, in a line."""
        n, first = self.same_text, self.same_text_example or {}
        fields = first.get("fields") or []
        shown = ", ".join(fields[:4]) + (f" and {len(fields) - 4:,} more"
                                         if len(fields) > 4 else "")
        return (f"{n:,} of the unchanged {'is an item' if n == 1 else 'are items'} here "
                f"already with the same text from another source (e.g. "
                f"{first.get('item')!r}, from {first.get('source')}): not stored again, "
                f"the {'item' if n == 1 else 'items'} from there kept. Nothing to do if "
                f"{'it is the same document' if n == 1 else 'they are the same documents'}"
                + (f"; to store this source's metadata ({shown}) as a new version instead, "
                   "ingest it again with --allow-source-change" if fields else "") + ".")

    def summary(self) -> str:
        text = (f"{self.added:,} new {plural(self.added, 'item')}, {self.updated:,} new "
                f"{plural(self.updated, 'version')} of changed items, "
                f"{self.unchanged:,} unchanged")
        if self.kept_ids:
            text += (f"; {self.kept_ids:,} {plural(self.kept_ids, 'item')} kept the ids an "
                     "earlier glamlab version gave them (see docs/formats.md, item ids)")
        recorded = self.failed - self.not_recorded
        if self.failed and recorded == self.failed:
            text += (f"; {self.failed:,} {plural(self.failed, 'problem')} recorded (see them with "
                     f"`glamlab items --errors`)")
        elif self.failed:
            text += f"; {self.failed:,} {plural(self.failed, 'problem')}" + (
                f", {recorded:,} recorded (see them with `glamlab items --errors`)"
                if recorded else "")
        if self.failed:
            for p in self.problems[:SHOWN_IN_SUMMARY]:
                text += f"\n  {problem_line(p['item'] or p['source'], p['reason'])}" + (
                    f" (fix: {p['hint']})" if p["hint"] else "")
            if self.failed > SHOWN_IN_SUMMARY:
                text += f"\n  ... and {self.failed - SHOWN_IN_SUMMARY:,} more"
        if self.same_text:
            text += f"\nnote: {self.same_text_words()}"
        for w in self.all_warnings():
            text += f"\nwarning: {w}"
        return text


def readers() -> list[SourceReader]:
    return [importlib.import_module(m) for m in READER_MODULES]  # type: ignore[misc]


def reader_for(source: str) -> SourceReader | None:
    for reader in readers():
        if reader.can_read(source):
            return reader
    return None


TABLE_SUFFIXES = (".csv", ".tsv", ".jsonl", ".ndjson", ".parquet", ".csv.gz", ".tsv.gz")


def why_empty(source: str) -> tuple[str, str]:
    """Why ``source`` gave no item and no problem, and the fix, in words for a person."""
    path = Path(source)
    name = path.name or source
    if "://" not in source and path.is_dir():
        return (f"the folder {name} holds no file glamlab reads (images, ALTO/PAGE/hOCR, "
                "plain text, IIIF manifests, METS, CSV/JSONL/Parquet)",
                "point glamlab ingest at the folder with the scans or OCR files; the "
                "supported kinds are listed in glamlab ingest --help")
    if "://" not in source and path.is_file() and path.stat().st_size == 0:
        return (f"{name} is empty", "check the export that wrote it, then ingest it again")
    if name.lower().endswith(TABLE_SUFFIXES):
        return (f"{name} has no rows (column names only?)",
                "check the export that wrote it, then ingest it again")
    return (f"{name} holds no items", "check that it is the collection you meant, then "
            "ingest it again")


def iter_records(sources: Iterable[str], options: IngestOptions,
                 empty: list[str] | None = None) -> Iterator[Record | Problem]:
    """The records and problems of ``sources``, in order; a source that gives neither
    is appended to ``empty`` when given."""
    for source in sources:
        count = 0
        for rec in _source_records(source, options):
            count += 1
            yield rec
        if not count and empty is not None:
            empty.append(source)


def missing_path(source: str) -> tuple[str, str] | None:
    """Why ``source`` cannot be read when it is a local path that does not exist (a typing
    mistake, a file moved), with where it was looked for, and the fix; None when it is
    there, or is a web address. ``glamlab ingest`` refuses such a source before reading
    any (exit 2, nothing ingested); :func:`ingest` reports it as a problem not stored."""
    if "://" in source or Path(source).exists():
        return None
    where = Path(source).absolute()
    relative = "" if Path(source).is_absolute() else (
        f"; a relative path is read from the current folder, {Path.cwd()}, not from the "
        "workspace's")
    return (f"{source} does not exist (looked for {where}{relative})",
            "check the path (a typing mistake? the file moved?) and ingest it again")


def _source_records(source: str, options: IngestOptions) -> Iterator[Record | Problem]:
    reader = reader_for(source)
    missing = missing_path(source) if reader is None else None
    if missing is not None:
        yield Problem(source, None, *missing, recorded=False)
        return
    if reader is None:
        yield Problem(source, None, "no reader for this source (not a folder, image, "
                      "IIIF manifest or collection, METS, ALTO/PAGE/hOCR, text, Annif "
                      "corpus, CSV, JSONL or Parquet file, or it does not exist)",
                      "check the path; supported kinds are listed in glamlab ingest --help")
        return
    try:
        yield from reader.read(source, options)
    except IngestError as exc:
        yield Problem(source, exc.item, exc.message, exc.hint)


def _same_source(a: str, b: str) -> bool:
    """Whether two sources name the same place (a local path however it was written)."""
    if a == b:
        return True
    if "://" in a or "://" in b:
        return False
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return False


def ingest(store: Store, sources: list[str], options: IngestOptions, *,
           progress: bool = False) -> IngestReport:
    """Read ``sources`` into ``store`` (what :meth:`glamlab.Workspace.ingest` calls, with
    the options its project card gives).

    ``options.collection_depth``: how many levels of nested IIIF Collections are followed;
    ``options.remote_ocr``: fetch (and cache) OCR files that a METS gives as URLs;
    ``options.notify``: a callable for messages meant for the person (what a collection
    holds before it is read). An id that already belongs to an item from ANOTHER source,
    with other content, is a problem (two collections that happen to share ids must not
    overwrite each other), unless ``options.allow_source_change``: then the new content
    becomes a new version of the item (a table exported again under a new name, a folder
    that moved).

    The report names the sources that gave nothing (``empty_sources``, and a warning
    each), the text columns glamlab chose itself (``text_columns``) and everything said
    through ``options.notify`` (``notes``), so a script reading the JSON sees it too."""
    t = store.t
    notes: list[str] = []

    def note(message: str) -> None:
        notes.append(message)
        if told is not None:
            told(message)

    told = options.notify
    options = replace(options, notify=note, text_columns=[])
    with store.write() as conn:
        pk = conn.execute(
            t.ingests.insert().values(sources=sources, started_at=now())
        ).inserted_primary_key
        assert pk is not None
        ingest_id = int(pk[0])
    report = IngestReport(ingest_id=ingest_id, sources=sources)
    start = time.monotonic()
    # item_id -> hash() of its content hash, within this ingest (an int, not the 64-char
    # hex string: a million-row table then needs ~80 MB less)
    seen: dict[str, tuple[int, str]] = {}  # item id -> (content hash, where it came from)
    records: list[Record] = []
    problems: list[Problem] = []

    def flush() -> None:
        if records or problems:
            refused = _write_batch(store, ingest_id, records, problems, report,
                                   allow_source_change=options.allow_source_change)
            records.clear()
            problems.clear()
            if refused:  # counted as read: what the store refused is a problem, not an item
                bar.update(-refused, problems=refused)

    empty: list[str] = []
    whole: set[str] = set()  # sources that failed as a whole (a wrong column, unreadable)
    read: set[str] = set()  # sources some item or row of which was read
    with Progress("ingest", enabled=progress, interval=PROGRESS_INTERVAL, said="read") as bar:
        for rec in iter_records(sources, options, empty):
            if not isinstance(rec, Problem):
                read.add(rec.source)
            if isinstance(rec, Problem):
                problems.append(rec)
                # the source as a whole failed (a wrong column, unreadable): unless some
                # of it was read before it broke off, its rows were not read again
                (whole if not rec.warning and rec.item_ref == rec.source else read).add(
                    rec.source)
                # a problem is not an item read; a warning's item comes in (counted then)
                bar.update(0, problems=0 if rec.warning else 1)
            elif (bad := check_record(rec)) is not None:
                problems.append(bad)
                bar.update(0, problems=1)
            else:
                previous = seen.get(rec.item_id)
                if previous is not None:
                    if previous[0] != hash(rec.content_hash):
                        # the one kept is named: two files of one stem (page.jpg, page.png)
                        # or two rows of one table, the person must know which one came in
                        kept = ("an earlier row of the same table"
                                if previous[1] == (rec.uri or rec.source) else previous[1])
                        # a file of a folder (page.jpg beside page.png): the one left out is
                        # named too, and the fix is to rename one (a folder has no id column)
                        left = (rec.uri if rec.uri and rec.source_kind not in TABLE_KINDS
                                and "://" not in rec.uri and Path(rec.uri).is_file() else None)
                        problems.append(Problem(
                            rec.source, left or rec.item_id,
                            f"duplicate id {rec.item_id!r} with different content; the first "
                            f"one was kept ({kept}), this one"
                            + (f" ({left})" if left else "") + " was left out",
                            # a table's row has no file of its own to rename
                            in_words("give every row of the table its own id (or choose "
                                     "another id_column=), then ingest it again",
                                     "give every row of the table its own id (or choose "
                                     "another --id-column), then ingest it again",
                                     _WEB_OWN_IDS)
                            if rec.source_kind in TABLE_KINDS else
                            "rename one of the two files (a file's id is its path in the "
                            "folder without the suffix), then ingest again" if left else
                            in_words("give every item a unique id (choose another "
                                     "id_column=, or rename the file)",
                                     "give every item a unique id (choose another "
                                     "--id-column, or rename the file)", _WEB_OWN_IDS)))
                        bar.update(0, problems=1)
                    else:
                        bar.update(1)
                    continue
                bar.update(1)
                # the file (a folder's image), else the source (a table's row)
                seen[rec.item_id] = (hash(rec.content_hash), rec.uri or rec.source)
                records.append(rec)
            if len(records) + len(problems) >= BATCH:
                flush()
        flush()
    report.seconds = time.monotonic() - start
    report.notes = notes
    report.text_columns = options.text_columns
    for source in empty:
        reason, hint = why_empty(source)
        report.empty_sources.append({"source": source, "reason": reason, "hint": hint})
        report.warnings.append(f"nothing was brought in from {source}: {reason} "
                               f"(fix: {hint})")
    if report.added or report.updated:
        twins = _span_import_twins(store, ingest_id)
        if twins:
            report.warnings.append(_twins_warning(twins))
    with store.write() as conn:
        conn.execute(t.ingests.update().where(t.ingests.c.id == ingest_id).values(
            finished_at=now(), added=report.added, updated=report.updated,
            unchanged=report.unchanged, failed=report.failed))
        resolve_earlier_problems(conn, store, ingest_id, sources, unread=whole - read)
    return report


def _span_import_twins(store: Store, ingest_id: int) -> list[tuple[str, str, str]]:
    """The texts ingest ``ingest_id`` stored that the collection already holds as the
    items of a gold span import (a HIPE file's documents, created under the file's ids,
    DATASET-LANG-DOCUMENT_ID, with ``document_id`` in their metadata): ``(ingested id,
    an imported item of it, the file)``, one per document. Only where spans were
    imported (a workspace without them is not read through)."""
    t = store.t
    with store.read() as conn:
        if conn.execute(sa.select(t.span_sets.c.item_id).limit(1)).first() is None:
            return []
        new, old = t.items.alias("new"), t.items.alias("old")
        document = old.c.meta["document_id"].as_string()
        rows = conn.execute(
            sa.select(new.c.item_id, sa.func.min(old.c.item_id), sa.func.min(old.c.source))
            .select_from(new.join(old, document == new.c.item_id))
            .where(new.c.ingest_id == ingest_id, new.c.is_current.is_(True),
                   old.c.is_current.is_(True), old.c.item_id != new.c.item_id)
            .group_by(new.c.item_id).order_by(new.c.item_id)).all()
    return [(a, b, src) for a, b, src in rows]


def _twins_warning(twins: list[tuple[str, str, str]]) -> str:
    n = len(twins)
    a, b, src = twins[0]
    return (f"{n:,} {plural(n, 'text')} brought in {'is' if n == 1 else 'are'} already here "
            f"as the items of a gold span import, under the file's ids (e.g. {a!r} is also "
            f"{b!r}, from {Path(src).name}): the collection holds "
            f"{'its' if n == 1 else 'their'} text twice, and glamlab run, trends and the "
            "exports count both. glamlab cannot remove items: to keep one copy, ingest "
            "into a fresh workspace (after the import) a table or folder without the "
            f"imported documents (`glamlab items list --where document_id={a}` lists the "
            "imported items of one)")


def _covers(source: str, problem_source: str) -> bool:
    """Whether reading ``source`` again reads what ``problem_source`` names: the same
    place, or a file inside a folder that was read again."""
    if _same_source(source, problem_source):
        return True
    if "://" in source or "://" in problem_source:
        return False
    try:
        return Path(problem_source).resolve().is_relative_to(Path(source).resolve())
    except (OSError, ValueError):
        return False


def resolve_earlier_problems(conn: sa.Connection, store: Store, ingest_id: int,
                             sources: list[str], *, unread: Collection[str] = ()) -> int:
    """Mark resolved the problems earlier ingests recorded for ``sources``: ingest
    ``ingest_id`` has just read them again in full and recorded again whatever is still
    wrong, so only its own problems are current for them (the old rows stay as history).

    ``unread``: sources this ingest could not read at all (a --text-column the table
    lacks, a file that cannot be opened): their rows were not read again, so the problems
    recorded for them earlier (a duplicate id, an empty row) stay current; only an
    earlier failure of the source as a whole is replaced by this one. Returns how many
    were resolved."""
    e = store.t.ingest_errors
    open_sources = [r[0] for r in conn.execute(
        sa.select(e.c.source).where(e.c.resolved_at.is_(None), e.c.ingest_id != ingest_id)
        .distinct())]
    read = [src for src in sources if not any(_same_source(src, u) for u in unread)]
    done = [s for s in open_sources if any(_covers(src, s) for src in read)]
    whole = [s for s in open_sources if s not in done
             and any(_same_source(u, s) for u in unread)]
    resolved = 0
    for i in range(0, len(done), 900):
        result = conn.execute(e.update().where(
            e.c.resolved_at.is_(None), e.c.ingest_id != ingest_id,
            e.c.source.in_(done[i : i + 900])).values(resolved_at=now()))
        resolved += result.rowcount or 0
    for i in range(0, len(whole), 900):
        result = conn.execute(e.update().where(
            e.c.resolved_at.is_(None), e.c.ingest_id != ingest_id,
            e.c.source.in_(whole[i : i + 900]),
            e.c.item_ref == e.c.source).values(resolved_at=now()))
        resolved += result.rowcount or 0
    return resolved


_ITEM_COLUMNS = ("item_id", "version", "is_current", "modality", "source_kind", "source", "uri",
                 "page", "content_hash", "text", "width", "height", "meta", "ingest_id",
                 "created_at")


def _raw_items_insert() -> sa.Insert:
    """An INSERT into items over untyped columns: the writer hands it values that are
    already in database form (meta as JSON text), skipping per-row type processing."""
    return sa.table("items", *[sa.column(c) for c in _ITEM_COLUMNS]).insert()


def _insert_rows(conn: sa.Connection, rows: list[tuple[Any, ...]]) -> None:
    """executemany straight to the driver, in the dialect's own parameter style.

    ``rows`` are tuples in ``_ITEM_COLUMNS`` order, already in database form."""
    compiled = _raw_items_insert().compile(dialect=conn.dialect)
    if compiled.positional:
        order = list(compiled.positiontup or [])
        if order != list(_ITEM_COLUMNS):
            index = [_ITEM_COLUMNS.index(k) for k in order]
            rows = [tuple(r[i] for i in index) for r in rows]
        conn.exec_driver_sql(str(compiled), rows)
    else:
        conn.exec_driver_sql(str(compiled), [dict(zip(_ITEM_COLUMNS, r, strict=True))
                                              for r in rows])


def _write_batch(store: Store, ingest_id: int, records: list[Record], problems: list[Problem],
                 report: IngestReport, *, allow_source_change: bool = False) -> int:
    """Write one batch in one transaction. Should the database refuse a row that the checks
    let through, the batch is written again row by row (each in a savepoint), and only the
    refused rows become problems: a bad row never takes its neighbours with it. Returns
    how many of ``records`` were refused (an id of another source, a row the database
    would not take)."""
    counts = (report.added, report.updated, report.unchanged, report.same_text)
    try:
        with store.write() as conn:
            moved = _write_records(store, conn, ingest_id, records, report, allow_source_change)
            _write_problems(store, conn, ingest_id,
                            [*_kept_warnings(problems, records, moved), *moved], report)
        return len(moved)
    except (sa.exc.DataError, sa.exc.IntegrityError, sa.exc.ProgrammingError):
        if len(records) <= 1 and not problems:
            raise
    report.added, report.updated, report.unchanged, report.same_text = counts
    refused: list[Problem] = []
    with store.write() as conn:
        for rec in records:
            before = (report.added, report.updated, report.unchanged, report.same_text)
            try:
                with conn.begin_nested():
                    refused.extend(_write_records(store, conn, ingest_id, [rec], report,
                                                  allow_source_change))
            except (sa.exc.DataError, sa.exc.IntegrityError, sa.exc.ProgrammingError) as exc:
                report.added, report.updated, report.unchanged, report.same_text = before
                reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
                refused.append(Problem(rec.source, repr(rec.item_id),
                                       f"item {rec.item_id!r}: the database refused it "
                                       f"({reason})",
                                       "fix this row (its id, text or metadata) and ingest "
                                       "again; the other rows were stored"))
        _write_problems(store, conn, ingest_id,
                        [*_kept_warnings(problems, records, refused), *refused], report)
    return len(refused)


def _kept_warnings(problems: list[Problem], records: list[Record],
                   refused: list[Problem]) -> list[Problem]:
    """``problems`` less the warnings about items that were refused after all (an OCR page
    whose image is missing is a warning that says "its text came in"; when its id then
    belongs to another source, nothing came in, and the refusal is what to read)."""
    if not refused or not any(p.warning for p in problems):
        return problems
    ids = {p.item_ref for p in refused}
    files = {r.uri for r in records if r.item_id in ids and r.uri and "://" not in r.uri}
    if not files:
        return problems

    def about_refused(p: Problem) -> bool:
        ref = p.item_ref
        if not p.warning or not ref or "://" in ref:
            return False
        try:
            return str(Path(ref).resolve()) in files
        except OSError:
            return False

    return [p for p in problems if not about_refused(p)]


def _write_records(store: Store, conn: sa.Connection, ingest_id: int, records: list[Record],
                   report: IngestReport, allow_source_change: bool = False) -> list[Problem]:
    """Insert the new items and new versions; returns the records refused because their
    id belongs to an item from another source (as problems)."""
    t = store.t
    dialect = conn.dialect
    stamp = now()
    stamp_proc = t.items.c.created_at.type.dialect_impl(dialect).bind_processor(dialect)
    true_proc = t.items.c.is_current.type.dialect_impl(dialect).bind_processor(dialect)
    db_stamp = stamp_proc(stamp) if stamp_proc else stamp
    db_true = true_proc(True) if true_proc else True
    dumps = jsontext.encoder(ensure_ascii=False, default=str)  # a NaN as null, not NaN
    current: dict[str, tuple[str, int, str]] = {}
    ids = [r.item_id for r in records]
    for i in range(0, len(ids), 900):
        chunk = ids[i : i + 900]
        for item_id, content_hash, version, source in conn.execute(
            sa.select(t.items.c.item_id, t.items.c.content_hash, t.items.c.version,
                      t.items.c.source)
            .where(t.items.c.is_current.is_(True), t.items.c.item_id.in_(chunk))
        ):
            current[item_id] = (content_hash, version, source)
    _keep_earlier_ids(conn, t, records, current, report)
    rows: list[tuple[Any, ...]] = []
    superseded = []
    moved: list[Problem] = []
    clashes: dict[str, Record] = {}  # item id -> its record, of another source's item
    for r in records:
        old = current.get(r.item_id)
        if old is not None and old[0] == r.content_hash:
            report.unchanged += 1
            continue
        if old is not None and not allow_source_change and not _same_source(old[2], r.source):
            hint = in_words(
                "give the items of this source their own ids (another id_column=), or, if "
                "this source replaces the other one, ingest it with allow_source_change=True "
                "to store a new version",
                "give the items of this source their own ids (another --id-column), or, "
                "if this source replaces the other one, ingest it with "
                "--allow-source-change to store a new version",
                "give the items of this file their own ids (choose another column as the id "
                "when you match its columns), or ask whoever runs glamlab on the server to "
                "bring it in as a new version of the other one")
            if r.modality == "record":  # a table row without text or image: most likely
                name = Path(r.source).name
                hint = (f"if {name} gives labels for the items already here, " + in_words(
                    f"import them with import_labels(ws, {name!r})",
                    f"import them with `glamlab labels import {name}`",
                    "bring it in as a spreadsheet of labels") + f" (nothing to ingest); "
                        f"otherwise {hint}")  # a sheet of labels
            moved.append(Problem(
                r.source, r.item_id,
                f"id {r.item_id!r} already belongs to an item from {old[2]}, with other "
                "content; this one was not stored (the other is kept)", hint))
            clashes[r.item_id] = r
            continue
        version = 1
        if old is not None:
            version = old[1] + 1
            superseded.append(r.item_id)
            report.updated += 1
        else:
            report.added += 1
        # NUL characters (seen in OCR output and in table cells) cannot be stored by
        # PostgreSQL, in text or in JSON: drop them, and say so on the item
        text, nul_text = strip_nul(r.text)
        meta, nul_meta = strip_nul(r.meta or {})
        if nul_text or nul_meta:
            where = " and ".join(w for w, hit in (("text", nul_text), ("metadata", nul_meta))
                                 if hit)
            meta = {**meta, "ingest_note": nul_note(where)}
        source, _ = strip_nul(r.source)
        rows.append((r.item_id, version, db_true, r.modality, r.source_kind, source,
                     r.uri, r.page, r.content_hash, text, r.width, r.height,
                     dumps(meta), ingest_id, db_stamp))  # _ITEM_COLUMNS order
    if clashes:  # the same text from another source is here already: no problem
        same = _same_texts(conn, t, clashes)
        moved = [p for p in moved if p.item_ref not in same]
        for item_id, (source, fields) in same.items():
            report.unchanged += 1
            report.same_text += 1
            if report.same_text_example is None:
                report.same_text_example = {"item": item_id, "source": source,
                                            "fields": fields}
    for i in range(0, len(superseded), 900):
        conn.execute(t.items.update().where(
            t.items.c.is_current.is_(True), t.items.c.item_id.in_(superseded[i : i + 900])
        ).values(is_current=False))
    if rows:
        _insert_rows(conn, rows)
    return moved


def _same_texts(conn: sa.Connection, t: Any, clashes: dict[str, Record]
                ) -> dict[str, tuple[str, list[str]]]:
    """Of ``clashes`` (ids of items from another source), those whose item has the same
    text (a table of texts, then the folder of the same texts as files; a HIPE file's
    texts, then the same texts as files): {item id: (the other source, the metadata
    fields that differ)}. Their content differs only by what comes with the text (the
    table's columns, the file's name), not by the text: the text is here already."""
    same: dict[str, tuple[str, list[str]]] = {}
    ids = list(clashes)
    for i in range(0, len(ids), 900):
        for item_id, text, meta, source, modality, uri in conn.execute(
            sa.select(t.items.c.item_id, t.items.c.text, t.items.c.meta, t.items.c.source,
                      t.items.c.modality, t.items.c.uri)
            .where(t.items.c.is_current.is_(True), t.items.c.item_id.in_(ids[i : i + 900]))
        ):
            rec = clashes[item_id]
            if not text or not rec.text or (text != rec.text
                                            and text.split() != rec.text.split()):
                continue
            if rec.modality == "image" and (modality != "image" or uri != rec.uri):
                continue  # it brings a page image the kept item has not: not here already
            meta = meta or {}
            new = rec.meta or {}
            same[item_id] = (source, sorted(k for k in set(meta) | set(new)
                                            if meta.get(k) != new.get(k)))
    return same


def _keep_earlier_ids(conn: sa.Connection, t: Any, records: list[Record],
                      current: dict[str, tuple[str, int, str]], report: IngestReport) -> None:
    """A record whose id is new but whose ``legacy_id`` (the id an earlier glamlab gave
    the same page) is in the store for the same file or URL keeps that id, so changing
    the id scheme never makes a second item of a page (labels, splits and predictions
    stay attached). Adds the kept ids to ``current``."""
    wanted = {r.legacy_id: r for r in records
              if r.legacy_id and r.item_id not in current and r.legacy_id != r.item_id}
    if not wanted:
        return
    legacy = list(wanted)
    for i in range(0, len(legacy), 900):
        for item_id, uri, content_hash, version, source in conn.execute(
            sa.select(t.items.c.item_id, t.items.c.uri, t.items.c.content_hash,
                      t.items.c.version, t.items.c.source)
            .where(t.items.c.is_current.is_(True), t.items.c.item_id.in_(legacy[i : i + 900]))
        ):
            rec = wanted[item_id]
            if uri == rec.uri:
                rec.meta = {**rec.meta, "id_scheme_note": f"kept the earlier id; new ingests "
                            f"into a new workspace give {rec.item_id!r}"}
                rec.item_id = item_id
                current[item_id] = (content_hash, version, source)
                report.kept_ids += 1


def write_records(store: Store, conn: sa.Connection, records: list[Record], *,
                  sources: list[str], allow_source_change: bool = False,
                  problems: list[Problem] | None = None) -> IngestReport:
    """Store ``records`` inside the caller's write transaction, as one ingest: an import
    that carries its items' texts (gold spans) creates them with the rest of its writes,
    all or nothing. The records must have passed :func:`~.base.check_record`. A record
    whose id belongs to an item from another source refuses the whole ingest
    (:class:`IngestError`), unless ``allow_source_change``: then it is a new version.
    ``problems``: the items the caller left out (a table's bad rows), recorded and
    reported as :func:`ingest` records its problems; given (even empty), the sources'
    earlier problems are resolved, as reading them again in full does."""
    t = store.t
    pk = conn.execute(t.ingests.insert().values(sources=sources, started_at=now())
                      ).inserted_primary_key
    assert pk is not None
    report = IngestReport(ingest_id=int(pk[0]), sources=sources)
    refused = _write_records(store, conn, report.ingest_id, records, report,
                             allow_source_change)
    if refused:
        raise IngestError(f"{len(refused)} item(s) belong to another source, e.g. "
                          f"{refused[0].item_ref!r}: {refused[0].reason}",
                          item=refused[0].item_ref, hint=refused[0].hint or "")
    if problems is not None:
        _write_problems(store, conn, report.ingest_id, problems, report)
        resolve_earlier_problems(conn, store, report.ingest_id, sources)
    conn.execute(t.ingests.update().where(t.ingests.c.id == report.ingest_id).values(
        finished_at=now(), added=report.added, updated=report.updated,
        unchanged=report.unchanged, failed=report.failed))
    return report


def _write_problems(store: Store, conn: sa.Connection, ingest_id: int,
                    problems: list[Problem], report: IngestReport) -> None:
    if not problems:
        return
    stamp = now()
    clean = [replace(p, source=strip_nul(p.source)[0], item_ref=strip_nul(p.item_ref)[0],
                     reason=strip_nul(p.reason)[0], hint=strip_nul(p.hint)[0])
             for p in problems]
    stored = [{"ingest_id": ingest_id, "source": p.source, "item_ref": p.item_ref,
               "reason": p.reason, "hint": p.hint, "created_at": stamp,
               "warning": p.warning}
              for p in clean if p.recorded]
    if stored:
        conn.execute(store.t.ingest_errors.insert(), stored)
    warned = [p for p in clean if p.warning]
    report.no_image += len(warned)
    if warned and report.no_image_example is None:
        report.no_image_example = {"source": warned[0].source, "item": warned[0].item_ref,
                                   "reason": warned[0].reason, "hint": warned[0].hint}
    clean = [p for p in clean if not p.warning]
    report.failed += len(clean)
    report.not_recorded += len(clean) - len(stored)
    report.came_in += sum(not p.left_out for p in clean)
    for p in clean:
        if len(report.problems) < MAX_PROBLEMS_IN_REPORT:
            report.problems.append({"source": p.source, "item": p.item_ref,
                                    "reason": p.reason, "hint": p.hint,
                                    "left_out": p.left_out})


__all__ = ["IngestOptions", "IngestReport", "Problem", "Record", "ingest", "iter_records",
           "reader_for", "write_records"]
