"""Walking a folder: images, OCR XML and text files, paired into one item per page.

Two passes over the tree, both in a stable (sorted) order:

0. every METS file gives its pages (image + OCR file), claiming every file it lists;
1. every other ALTO/PAGE/hOCR file is parsed; the page image it names (relative to the
   file, or to a folder above it up to the ingested one, as in an OCR-D workspace without
   METS), or the image beside it with the same stem, becomes ONE item carrying the OCR
   text and metadata (several OCR files of one image: the first with text), and is
   remembered as claimed;
2. every other file: an image not claimed in pass 1 becomes an image item (with the text
   of a ``.txt`` of the same stem beside it, if any); a ``.txt`` with no image beside it
   becomes a text item (with the subjects of an Annif ``.key``/``.tsv`` subject file of
   the same stem, if any); a ``.json`` IIIF manifest or collection is read as if given by
   name (before the images: an image a manifest's canvas is painted with is that
   canvas's item, not an item of its own too; a ``.txt`` beside such an image is not
   read, and an ingest problem says so). Other files (CSV, other JSON, PDF ...)
   are skipped: ingest them by name.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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
    from . import annif, iiif, images, text, xml
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
    yield from _ocr_pages(root, source, options, ocr_files, claimed)
    # IIIF manifests first: the images on this computer that their canvases are painted
    # with are those canvases' items, not items of their own as well
    manifests = [folder / name for folder, names in _dirs(root) for name in names
                 if (folder / name).suffix.lower() in iiif.JSON_SUFFIXES
                 and iiif.looks_like_iiif(folder / name)]
    painted: set[str] = set()  # the images a canvas is painted with
    if manifests:  # their canvases themselves are read last, one manifest at a time
        painted = iiif.claimed_images(manifests, options)
        claimed.update(painted)
    for folder, names in _dirs(root):
        stems_with_image = {Path(n).stem for n in names if images.is_image(Path(n))}
        texts = {Path(n).stem: n for n in names if text.is_text(Path(n))}
        for name in names:
            path = folder / name
            if images.is_image(path):
                sidecar = texts.get(path.stem)
                if claimed and str(path.resolve()) in claimed:
                    if sidecar is not None and str(path.resolve()) in painted:
                        yield _canvas_text_not_read(folder / sidecar, path, source)
                    continue
                if sidecar is None:
                    yield from images.read_image(path, root, source, options)
                else:
                    yield from _image_with_text(path, folder / sidecar, root, source, options)
            elif text.is_text(path) and path.stem not in stems_with_image:
                subjects = annif.subject_file(path)
                if subjects is not None:
                    yield from annif.read_fulltext_document(path, subjects, root, source)
                else:
                    yield from text.read_text_file(path, root, source, options)
    if manifests:
        yield from iiif.read_files(manifests, options)


def _ocr_pages(root: Path, source: str, options: IngestOptions,
               ocr_files: list[tuple[Path, dict[str, str]]],
               claimed: set[str]) -> Iterator[Record | Problem]:
    """One item per page image among the OCR files no METS claimed. Several OCR files of
    one image (an OCR-D workspace's ``OCR-D-GT-PAGE`` and ``OCR-D-GT-ALTO``) give one
    item: the first in path order that has text; the others are named in its metadata."""
    from . import xml

    by_image: dict[str, list[tuple[Path, Any, Any]]] = {}
    order: list[str] = []
    for path, siblings_of in ocr_files:
        if claimed and str(path.resolve()) in claimed:
            continue  # the OCR of a page a METS file already gave
        parsed = xml.parse_ocr(path, source, root, siblings_of, options)
        if isinstance(parsed, Problem):
            yield parsed
            continue
        page, link = parsed
        key = str(link[0].resolve()) if link is not None else f"ocr:{path}"
        if key in claimed:
            continue  # a METS page already holds this image
        if key not in by_image:
            order.append(key)
        by_image.setdefault(key, []).append((path, page, link))
    _pair_ocrd_unlinked(root, by_image, order)
    for key in order:
        group = by_image[key]
        linked = [g for g in group if g[2] is not None] or group
        best = next((g for g in linked if g[1].text.strip()), linked[0])
        others = [g[0].relative_to(root).as_posix() for g in group if g is not best]
        yield from xml.ocr_records(best[0], best[1], best[2], root, source, options, claimed,
                                   alternatives=others)


def _page_number(stem: str) -> str | None:
    digits = re.findall(r"\d+", stem)
    return digits[-1].lstrip("0") or "0" if digits else None


def _workspace(folder: Path) -> Path | None:
    return folder.parent if folder.name.startswith("OCR-D-") else None


def _pair_ocrd_unlinked(root: Path, by_image: dict[str, list[tuple[Path, Any, Any]]],
                        order: list[str]) -> None:
    """In an OCR-D workspace without METS, an OCR file that names no image (OCR-D's ALTO
    exports) belongs to the page whose image or linked OCR file carries the same page
    number in the same workspace (``OCR-D-GT-ALTO/PAGE_0017_ALTO.xml`` with
    ``OCR-D-GT-PAGE/PAGE_0017_PAGE.xml`` -> ``OCR-D-IMG/INPUT_0017.tif``). Moved into that
    page's group, so that it is one of the page's OCR files, not an item of its own."""
    pages: dict[tuple[Path, str], str | None] = {}
    for key in order:
        for path, _page, link in by_image[key]:
            if link is None:
                continue
            ws = _workspace(path.parent) or _workspace(link[0].parent)
            for stem in (path.stem, link[0].stem):
                number = _page_number(stem)
                if ws is not None and number is not None:
                    seen = pages.setdefault((ws, number), key)
                    if seen != key:
                        pages[(ws, number)] = None  # ambiguous: leave it alone
    for key in list(order):
        group = by_image[key]
        path, _page, link = group[0]
        if link is not None or len(group) != 1:
            continue
        ws = _workspace(path.parent)
        number = _page_number(path.stem)
        target = pages.get((ws, number)) if ws is not None and number is not None else None
        if target is not None:
            by_image[target].append(group[0])
            order.remove(key)
            del by_image[key]


def _canvas_text_not_read(txt: Path, image: Path, source: str) -> Problem:
    """A ``.txt`` beside an image a IIIF canvas is painted with: that image is the
    canvas's item, which takes its text from the manifest, so the file is not read (not
    an item of its own either: it is that page's text). Said, not dropped silently."""
    return Problem(source, str(txt), f"{txt.name}: not read: its image {image.name} is "
                   "painted on a canvas of a IIIF manifest in this folder, so it is that "
                   "canvas's item, and a canvas takes its text from its manifest, not from "
                   "a text file beside its image",
                   "give the canvas its text in the manifest (an annotation page of the "
                   "canvas), or ingest the text file by its own name to make it a text item")


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
