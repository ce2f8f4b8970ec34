"""Plain text files: one item per ``.txt`` file.

The item id is the path relative to the ingested folder, without the suffix (a single
file: its name without the suffix). Files must be UTF-8 (a byte-order mark is allowed).
A file that is not valid UTF-8 is **not** ingested: it is recorded as a problem naming
the byte offset, because guessing an encoding silently would store wrong characters in
the catalogue. Convert it (``iconv -f latin1 -t utf-8``) and ingest again.

In a folder, a ``.txt`` beside an image of the same name is that image's text (see
:mod:`glamlab.ingest.folders`), not an item of its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from .base import (
    LFS_HINT,
    LFS_SIGNATURE,
    IngestOptions,
    Problem,
    Record,
    lfs_reason,
    sha256_bytes,
)

KIND = "text"
TEXT_SUFFIXES = {".txt"}
MAX_TEXT_BYTES = 100 * 1024 * 1024
NOT_UTF8_HINT = ("convert the file to UTF-8 (for example `iconv -f latin1 -t utf-8 IN > OUT`) "
                 "and ingest again")


def can_read(source: str) -> bool:
    p = Path(source)
    return p.is_file() and p.suffix.lower() in TEXT_SUFFIXES


def is_text(path: Path) -> bool:
    return path.suffix.lower() in TEXT_SUFFIXES


def read(source: str, options: IngestOptions) -> Iterator[Record | Problem]:
    path = Path(source)
    yield from read_text_file(path, path.parent, source, options)


def not_utf8_reason(exc: UnicodeDecodeError, data: bytes) -> str:
    line = data.count(b"\n", 0, exc.start) + 1
    return (f"not UTF-8 text: byte 0x{data[exc.start]:02x} at offset {exc.start} "
            f"(line {line}) cannot be decoded")


def read_text(path: Path) -> tuple[str, bytes]:
    """The decoded text and raw bytes of a text file; raises ValueError with the reason."""
    try:
        size = path.stat().st_size
        if size > MAX_TEXT_BYTES:
            raise ValueError(f"the file is {size:,} bytes, over the {MAX_TEXT_BYTES:,}-byte "
                             "limit for one text item")
        data = path.read_bytes()
    except OSError as exc:
        raise ValueError(f"cannot read the file: {exc}") from exc
    if data.startswith(LFS_SIGNATURE):
        raise ValueError(lfs_reason(path))
    try:
        return data.decode("utf-8-sig"), data
    except UnicodeDecodeError as exc:
        raise ValueError(not_utf8_reason(exc, data)) from exc


def read_text_file(path: Path, root: Path, source: str,
                   options: IngestOptions) -> Iterator[Record | Problem]:
    from .images import item_id_for

    try:
        text, data = read_text(path)
    except ValueError as exc:
        reason = str(exc)
        hint = NOT_UTF8_HINT if reason.startswith("not UTF-8") else (
            LFS_HINT if "Git LFS" in reason else "check the file")
        yield Problem(source, str(path), reason, hint)
        return
    if not text.strip():  # as a table's row with no text: an item of nothing, skipped
        yield Problem(source, str(path), f"{path.name} is empty (no text); it was skipped",
                      "fill in its text, or leave the file out of the folder")
        return
    yield Record(item_id=item_id_for(path, root), modality="text", source_kind=KIND,
                 source=source, content_hash=sha256_bytes(data), uri=str(path.resolve()),
                 text=text, meta={"file": path.name, "lines": text.count("\n") + (
                     1 if text and not text.endswith("\n") else 0)})
