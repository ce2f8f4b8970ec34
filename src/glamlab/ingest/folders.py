"""Walking a folder: images, OCR XML and text files, paired into one item per page.

Two passes over the tree, both in a stable (sorted) order:

0. every METS file gives its pages (image + OCR file), claiming both files;
1. every other ALTO/PAGE XML file is parsed; the page image it names (or the image beside it
   with the same stem) becomes ONE item carrying the OCR text and metadata, and is
   remembered as claimed;
2. every other file: an image not claimed in pass 1 becomes an image item (with the text
   of a ``.txt`` of the same stem beside it, if any); a ``.txt`` with no image beside it
   becomes a text item. Other files (CSV, JSON, PDF ...) are skipped: ingest them by name.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from .base import IngestOptions, Problem, Record, sha256_bytes


def _dirs(root: Path) -> Iterator[tuple[Path, list[str]]]:
    """(directory, sorted visible file names) for every directory under ``root``."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        yield Path(dirpath), sorted(f for f in filenames if not f.startswith("."))


def _linked_folders(root: Path, source: str) -> Iterator[Problem]:
    """Links to folders are not followed (a link can loop, or reach files outside the
    source); each is recorded, so nothing is skipped without a word."""
    for dirpath, dirnames, _ in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for d in dirnames:
            link = Path(dirpath) / d
            if link.is_symlink():
                yield Problem(source, str(link), "a symbolic link to a folder: not followed",
                              f"ingest the folder it points to by its own path: "
                              f"glamlab ingest {link.resolve()}")


def walk(root: Path, source: str, options: IngestOptions) -> Iterator[Record | Problem]:
    from . import images, text, xml
    from .mets import read_mets

    yield from _linked_folders(root, source)
    claimed: set[str] = set()
    ocr_files: list[tuple[Path, dict[str, str]]] = []
    for folder, names in _dirs(root):
        siblings: dict[str, str] | None = None
        for name in names:
            path = folder / name
            if xml.is_xml(path):
                if xml.is_mets(path):
                    yield from read_mets(path, root, source, options, claimed=claimed)
                else:
                    if siblings is None:
                        siblings = xml.images_by_stem(names)
                    ocr_files.append((path, siblings))
    for path, siblings_of in ocr_files:
        if claimed and str(path.resolve()) in claimed:
            continue  # the OCR of a page a METS file already gave
        yield from xml.read_ocr_file(path, root, source, options, siblings=siblings_of,
                                     claimed=claimed)
    for folder, names in _dirs(root):
        stems_with_image = {Path(n).stem for n in names if images.is_image(Path(n))}
        texts = {Path(n).stem: n for n in names if text.is_text(Path(n))}
        for name in names:
            path = folder / name
            if images.is_image(path):
                if claimed and str(path.resolve()) in claimed:
                    continue
                sidecar = texts.get(path.stem)
                if sidecar is None:
                    yield from images.read_image(path, root, source, options)
                else:
                    yield from _image_with_text(path, folder / sidecar, root, source, options)
            elif text.is_text(path) and path.stem not in stems_with_image:
                yield from text.read_text_file(path, root, source, options)


def _image_with_text(path: Path, txt: Path, root: Path, source: str,
                     options: IngestOptions) -> Iterator[Record | Problem]:
    from . import images, text

    try:
        body, data = text.read_text(txt)
    except ValueError as exc:
        reason = str(exc)
        yield Problem(source, str(txt), f"{reason} (the text of {path.name})",
                      text.NOT_UTF8_HINT if reason.startswith("not UTF-8") else "check the file")
        return
    records = list(images.read_image(path, root, source, options))
    digest = sha256_bytes(data)
    for rec in records:
        if isinstance(rec, Record):
            rec.text = body
            rec.meta["text_file"] = txt.name
            rec.content_hash = sha256_bytes(f"{rec.content_hash}:{digest}".encode())
        yield rec
