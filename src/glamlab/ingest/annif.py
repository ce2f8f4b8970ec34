"""Annif document corpora (https://github.com/NatLibFi/Annif/wiki/Document-corpus-formats).

* **short-text corpus**: a TSV file without a header, one document per line,
  ``text<TAB><uri1> <uri2> ...`` (subject URIs in angle brackets; plain labels are
  allowed too), optionally gzip-compressed (``.tsv.gz``). Each line becomes a text item
  ``{file stem}:{line number}`` (``documents:12``).
* **full-text corpus**: a folder of ``.txt`` files, each with a subject file of the same
  stem: ``.key`` (one subject per line: a label, or ``<uri>`` and a label) or ``.tsv``
  (``<uri><TAB>label``). Each ``.txt`` becomes a text item as plain text files do (its
  path without suffix), read by the folder walk.

The subjects are kept in the item's metadata (``subjects``: the URIs, ``subject_labels``:
the labels), and ``glamlab labels import`` reads the same corpora as gold labels
(:func:`read_subjects`).
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .base import IngestOptions, Problem, Record, is_lfs_pointer, lfs_problem, sha256_bytes

KIND = "annif"
SUBJECT_SUFFIXES = (".tsv", ".key")  # .tsv first: it carries the URIs


@dataclass
class Subject:
    uri: str | None
    label: str | None


def parse_subject(text: str) -> Subject | None:
    """One subject: ``<uri>``, ``<uri> label``, ``<uri>\\tlabel`` or a plain label."""
    text = text.strip()
    if not text:
        return None
    if text.startswith("<") and ">" in text:
        uri, _, rest = text[1:].partition(">")
        return Subject(uri.strip(), rest.strip() or None)
    return Subject(None, text)


def parse_uris(cell: str) -> list[Subject]:
    """The subject cell of a short-text corpus line: ``<uri1> <uri2>`` (or labels)."""
    cell = cell.strip()
    out = []
    if cell.startswith("<"):
        for part in cell.split(">"):
            part = part.strip()
            if part.startswith("<"):
                out.append(Subject(part[1:].strip(), None))
    elif cell:
        out = [Subject(None, x.strip()) for x in cell.split("\t") if x.strip()]
    return out


def _open_text(path: Path) -> list[str]:
    data = path.read_bytes()
    if path.suffix.lower() == ".gz":
        data = gzip.decompress(data)
    return data.decode("utf-8-sig").splitlines()


def is_short_text_corpus(path: Path) -> bool:
    """A headerless TSV whose first lines are ``text<TAB><uri> ...``."""
    name = path.name.lower()
    if not (name.endswith(".tsv") or name.endswith(".tsv.gz")) or not path.is_file():
        return False
    try:
        if name.endswith(".gz"):
            with gzip.open(path, "rt", encoding="utf-8-sig") as fh:
                head = [fh.readline() for _ in range(3)]
        else:
            with open(path, encoding="utf-8-sig") as fh:
                head = [fh.readline() for _ in range(3)]
    except (OSError, UnicodeDecodeError, EOFError):
        return False
    head = [h.rstrip("\r\n") for h in head if h.strip()]
    return bool(head) and all("\t" in h and h.rsplit("\t", 1)[1].strip().startswith("<")
                              and h.rsplit("\t", 1)[1].strip().endswith(">") for h in head)


def can_read(source: str) -> bool:
    return is_short_text_corpus(Path(source))


def read(source: str, options: IngestOptions) -> Iterator[Record | Problem]:
    path = Path(source)
    if is_lfs_pointer(path):
        yield lfs_problem(source, path)
        return
    stem = path.name.split(".")[0]
    try:
        lines = _open_text(path)
    except (OSError, UnicodeDecodeError, EOFError, gzip.BadGzipFile) as exc:
        yield Problem(source, str(path), f"cannot read the Annif corpus: {exc}",
                      "save it as UTF-8 text (gzip allowed)")
        return
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        text, sep, cell = line.rpartition("\t")
        if not sep:
            yield Problem(source, f"{path}:line {n}", f"line {n}: no tab between the text "
                          "and the subjects", "each line is text<TAB><uri> <uri> ...")
            continue
        subjects = parse_uris(cell)
        yield Record(item_id=f"{stem}:{n}", modality="text", source_kind=KIND, source=source,
                     content_hash=sha256_bytes(line.encode()), text=text,
                     meta={"corpus": path.name, "line": n, "document": f"{stem}:{n}",
                           "subjects": [s.uri or s.label for s in subjects]})


def subject_file(txt: Path) -> Path | None:
    """The Annif subject file (``.key`` or ``.tsv``) of a full-text document, if any."""
    for suffix in SUBJECT_SUFFIXES:
        candidate = txt.with_suffix(suffix)
        if candidate.is_file():
            if suffix == ".tsv":
                try:
                    with open(candidate, encoding="utf-8-sig") as fh:
                        first = fh.readline().strip()
                except (OSError, UnicodeDecodeError):
                    continue
                if first and not first.startswith("<"):
                    continue  # a data table, not a subject file
            return candidate
    return None


def read_subject_file(path: Path) -> list[Subject]:
    out = []
    for line in _open_text(path):
        s = parse_subject(line.replace("\t", " ", 1) if line.startswith("<") else line)
        if s is not None:
            out.append(s)
    return out


def read_fulltext_document(txt: Path, subjects_path: Path, root: Path,
                           source: str) -> Iterator[Record | Problem]:
    """A full-text corpus document: the text item with its subjects in the metadata."""
    from .base import LFS_HINT
    from .images import item_id_for
    from .text import NOT_UTF8_HINT, read_text

    try:
        body, data = read_text(txt)
        subjects = read_subject_file(subjects_path)
    except (ValueError, OSError) as exc:
        reason = str(exc)
        hint = NOT_UTF8_HINT if reason.startswith("not UTF-8") else (
            LFS_HINT if "Git LFS" in reason else "check the file")
        yield Problem(source, str(txt), reason, hint)
        return
    meta = {"file": txt.name, "subject_file": subjects_path.name,
            "subjects": [s.uri or s.label for s in subjects],
            "subject_labels": [s.label for s in subjects if s.label]}
    digest = sha256_bytes(data + b"\x1e" + subjects_path.read_bytes())
    yield Record(item_id=item_id_for(txt, root), modality="text", source_kind=KIND,
                 source=source, content_hash=digest, uri=str(txt.resolve()), text=body,
                 meta=meta)


def read_subjects(path: Path) -> Iterator[tuple[str, int, list[Subject]]]:
    """Gold subjects of an Annif corpus, as (item id, line, subjects): a short-text corpus
    file (ids ``{stem}:{line}``, as ingest gives them) or a full-text corpus folder (ids:
    the ``.txt`` path relative to the folder, without suffix)."""
    from .images import item_id_for

    if path.is_dir():
        for txt in sorted(path.rglob("*.txt")):
            if any(part.startswith(".") for part in txt.relative_to(path).parts):
                continue
            sub = subject_file(txt)
            if sub is not None:
                yield item_id_for(txt, path), 1, read_subject_file(sub)
        return
    stem = path.name.split(".")[0]
    for n, line in enumerate(_open_text(path), 1):
        if line.strip():
            _, _, cell = line.rpartition("\t")
            yield f"{stem}:{n}", n, parse_uris(cell)
