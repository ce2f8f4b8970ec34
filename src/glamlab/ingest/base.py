"""What every source reader yields, and how readers are chosen."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..said import in_words

if TYPE_CHECKING:
    from ..config import FetchPolicy


@dataclass
class Record:
    """One item as a source reader found it."""

    item_id: str
    modality: str  # image | text
    source_kind: str
    source: str
    content_hash: str
    uri: str | None = None
    page: int | None = None
    text: str | None = None
    width: int | None = None
    height: int | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    # the id an earlier glamlab version gave this item: when the store holds it (for the
    # same file or URL), the item keeps that id instead of becoming a second item
    legacy_id: str | None = None


@dataclass
class Problem:
    """Bad input: recorded in the store with the reason and the fix; the batch goes on.
    ``recorded``: False for a mistake in what was asked (a path that does not exist),
    which is reported but not stored as an ingest problem (nothing would ever clear it)."""

    source: str
    item_ref: str | None
    reason: str
    hint: str | None = None
    recorded: bool = True
    #: False where the item came in all the same (an OCR page whose image is missing:
    #: its text is in): counted among the problems, not among what was left out
    left_out: bool = True
    #: a warning, not a failure (an OCR page whose named image is not there: its text is
    #: in, and the text may be all that is wanted): stored with the ingest's problems
    #: (``glamlab items --errors``) and said in one summary line per ingest, but not
    #: counted as failed, so the ingest's exit status does not change
    warning: bool = False


#: the defaults of ``[ingest] max_xml_bytes`` and ``max_text_chars`` in glamlab.toml: one
#: XML file (an ALTO, PAGE, hOCR or METS file, an OCR file fetched for a METS page) is
#: refused above this size before it is read, and the text it gives one item above this
#: many characters (a whole book in one file, or text run wild in one attribute)
DEFAULT_MAX_XML_BYTES = 50 * 1024 * 1024
DEFAULT_MAX_TEXT_CHARS = 5_000_000


def reason_after(where: str | None, reason: str) -> str:
    """``reason`` as said after ``where`` (a problem's item): without the place it starts
    with when ``where`` already ends with it, so that a table's bad row reads
    ``labels.csv:line 6: the id column 'id' is empty``, not ``...line 6: line 6: ...``.
    The stored reason keeps its place (it is read on its own in the JSON)."""
    if where:
        place = where.rsplit(":", 1)[-1].strip()
        if place and reason.startswith(place + ": "):
            return reason[len(place) + 2:]
    return reason


def problem_line(where: str | None, reason: str) -> str:
    """A problem in one line: where, then why (the place said once)."""
    return f"{where}: {reason_after(where, reason)}" if where else reason


@dataclass
class IngestOptions:
    id_column: str | None = None
    text_column: str | None = None
    # the task needs each item's text (a text task): a table without a text column has it
    # detected from its values (or is refused, listing the candidates), an empty text is
    # a problem for that row
    needs_text: bool = False
    image_column: str | None = None  # CSV/JSONL/Parquet: a path (relative to the file) of an image
    # a local image path of an image column must lie in this folder once resolved (links
    # followed), as a IIIF manifest's or a METS file's must lie in its own folder: a
    # table uploaded in the web app names no file of the server outside its upload
    # (absolute paths, ``..``); None: any path the person running glamlab may read
    image_root: str | None = None
    # the project's items are images: a table row with no image column and no text column
    # would be an item with nothing to read (a label table, the wrong spreadsheet); each
    # such row is a problem naming its line and the fix, nothing is created
    needs_image: bool = False
    max_image_pixels: int = 178_956_970
    max_xml_bytes: int = DEFAULT_MAX_XML_BYTES  # [ingest] max_xml_bytes
    max_text_chars: int = DEFAULT_MAX_TEXT_CHARS  # [ingest] max_text_chars
    cache_dir: str | None = None
    http_timeout: float = 30.0
    http_transport: Any = None  # an httpx transport (tests); None: the network
    # manifests, collections and OCR files by address are fetched only where this allows
    # (the card's [fetch], as images are): the web app, a server, sets it; None: not
    # checked (glamlab ingest URL, given by the person running it, may be on localhost)
    fetch_policy: FetchPolicy | None = None
    collection_depth: int = 3  # IIIF: how many levels of nested Collections are followed
    remote_ocr: bool = True  # METS: fetch OCR files given as http(s) URLs (and cache them)
    notify: Callable[[str], None] | None = None  # a message for the person (stderr), not data
    # an id that belongs to an item from another source becomes a new version of it
    # (default: refused, the other item is kept)
    allow_source_change: bool = False
    # the text columns chosen by glamlab (no --text-column, found from the values):
    # {"source": the table, "column": the column}; the ingest report gives them
    text_columns: list[dict[str, str]] = field(default_factory=list)

    def say(self, message: str) -> None:
        if self.notify is not None:
            self.notify(message)


class SourceReader(Protocol):
    """A module in :mod:`glamlab.ingest` that reads one kind of source."""

    KIND: str

    def can_read(self, source: str) -> bool: ...

    def read(self, source: str, options: IngestOptions) -> Iterator[Record | Problem]: ...


MAX_ID_LENGTH = 500  # the items.item_id column (varchar(500) on PostgreSQL)
# control characters (C0, DEL, C1) and the Unicode line/paragraph separators: an id or URI
# holding one would break every line-based output (filter lists, CSV, logs) or the store
_CONTROL = {chr(c) for c in [*range(0x20), *range(0x7F, 0xA0)]} | {"\u2028", "\u2029"}


def control_characters(text: str) -> list[str]:
    """The control characters in ``text``, as escapes (``['\\n']``), in order of appearance."""
    return list(dict.fromkeys(repr(ch)[1:-1] for ch in text if ch in _CONTROL))


def check_record(rec: Record) -> Problem | None:
    """The same id and URI rules on every store: a record breaking them is a problem with
    its reason and fix, never a database error that takes the rest of the batch with it."""
    shown = repr(rec.item_id)
    if len(shown) > 80:
        shown = shown[:77] + "..."
    bad = control_characters(rec.item_id)
    if bad:
        return Problem(rec.source, shown,
                       f"item id {shown} holds control characters ({', '.join(bad)})",
                       "ids must be printable text: rename the file or fix the id in the table")
    if len(rec.item_id) > MAX_ID_LENGTH:
        return Problem(rec.source, shown,
                       f"item id {shown} is {len(rec.item_id)} characters long "
                       f"(at most {MAX_ID_LENGTH})",
                       in_words("use a shorter id (choose another id_column=, or rename the "
                                "file)",
                                "use a shorter id (choose another --id-column, or rename the "
                                "file)",
                                "use a shorter id (choose another column as the id when you "
                                "match the table's columns, or rename the file)"))
    if rec.uri:
        bad = control_characters(rec.uri)
        if bad:
            return Problem(rec.source, shown,
                           f"item {shown}: its path or URL {rec.uri!r} holds control "
                           f"characters ({', '.join(bad)})",
                           "rename the file (or fix the path in the table) so it is printable")
    return None


def strip_nul(value: Any) -> tuple[Any, bool]:
    """``value`` with NUL characters removed from every string inside it (PostgreSQL
    stores none, in text or JSON); and whether any were removed."""
    if isinstance(value, str):
        return (value.replace("\x00", ""), True) if "\x00" in value else (value, False)
    if isinstance(value, dict):
        out, changed = {}, False
        for k, v in value.items():
            k2, c1 = strip_nul(k)
            v2, c2 = strip_nul(v)
            out[k2] = v2
            changed = changed or c1 or c2
        return (out, True) if changed else (value, False)
    if isinstance(value, list | tuple):
        pairs = [strip_nul(v) for v in value]
        if any(c for _, c in pairs):
            return [v for v, _ in pairs], True
    return value, False


def nul_note(where: str) -> str:
    """What an item's ``ingest_note`` says when NUL characters were removed from ``where``
    (its text, its metadata): the same words from every ingest path."""
    return f"NUL bytes removed from the {where}"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def sha256_json(value: Any) -> str:
    import json

    return sha256_bytes(json.dumps(value, sort_keys=True, ensure_ascii=False, default=str).encode())


LFS_SIGNATURE = b"version https://git-lfs.github.com/spec/"
LFS_HINT = ("the repository keeps this file in Git LFS: run `git lfs install && git lfs pull` "
            "in the checkout (or download the real file), then ingest again")


def is_lfs_pointer(path: str | Path) -> bool:
    """Is this file a Git LFS pointer (a ~130-byte text stub) rather than the file itself?"""
    try:
        p = Path(path)
        if p.stat().st_size > 1024:
            return False
        with open(p, "rb") as fh:
            return fh.read(len(LFS_SIGNATURE)) == LFS_SIGNATURE
    except OSError:
        return False


def lfs_reason(path: str | Path) -> str:
    return (f"{Path(path).name} is a Git LFS pointer file, not the file itself (the real "
            "content was never downloaded)")


def lfs_problem(source: str, path: str | Path) -> Problem:
    return Problem(source, str(path), lfs_reason(path), LFS_HINT)


def document_of(meta: dict[str, Any], uri: str | None) -> str | None:
    """The document (book, manuscript, newspaper issue, manifest) a page item belongs to:
    ``meta["document"]`` as ingest sets it; for items ingested before it did, the IIIF
    manifest, the METS file, or the folder of a local file (its parent's parent for an
    OCR-D file group folder such as ``OCR-D-IMG``)."""
    for key in ("document", "manifest"):
        value = meta.get(key)
        if isinstance(value, str) and value:
            return value
    if meta.get("mets_file") and uri and "://" not in uri:
        return str(Path(uri).parent)
    if uri and "://" not in uri:
        folder = Path(uri).parent
        if folder.name.startswith("OCR-D-"):
            folder = folder.parent
        return str(folder)
    return None
