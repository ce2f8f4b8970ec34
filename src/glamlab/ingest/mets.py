"""METS: a digitised object's pages, each with its image and OCR file.

The physical structure map (``structMap TYPE="PHYSICAL"``) lists the pages in order;
each page's ``fptr`` elements point into the file section, where a file with an
``image/*`` MIME type (or a USE such as MASTER/DEFAULT/IMAGE) is the page image and an
XML file in a FULLTEXT/ALTO/OCR group is its OCR. Every page becomes one item: the image
with the OCR text and metadata (as :mod:`glamlab.ingest.xml` gives them), the page order
and label, and the object's title from MODS when present. Local files are read (paths
relative to the METS file); an image given as an http(s) URL is kept as the item's
``uri`` and fetched when first decoded. Parsed with defusedxml, like all XML here.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .base import IngestOptions, Problem, Record, sha256_json

KIND = "mets"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
IMAGE_USES = {"MASTER", "DEFAULT", "IMAGE", "MAX", "PRESENTATION", "ORIGINAL"}
OCR_USES = {"FULLTEXT", "ALTO", "OCR", "OCR-D-OCR", "PAGE"}


def _local(tag: Any) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _files(root: Any) -> dict[str, dict[str, str]]:
    """file ID -> {use, mime, href}"""
    out: dict[str, dict[str, str]] = {}
    for grp in root.iter():
        if _local(grp.tag) != "fileGrp":
            continue
        use = (grp.get("USE") or "").upper()
        for f in grp:
            if _local(f.tag) != "file" or not f.get("ID"):
                continue
            href = ""
            for loc in f:
                if _local(loc.tag) == "FLocat":
                    href = loc.get(XLINK_HREF) or loc.get("href") or ""
                    break
            out[f.get("ID")] = {"use": use, "mime": (f.get("MIMETYPE") or "").lower(),
                                "href": href}
    return out


def _pages(root: Any) -> list[Any]:
    for smap in root.iter():
        if _local(smap.tag) == "structMap" and (smap.get("TYPE") or "").upper() == "PHYSICAL":
            return [d for d in smap.iter() if _local(d.tag) == "div"
                    and (d.get("TYPE") or "").lower() == "page"]
    return []


def _file_ids(div: Any) -> list[str]:
    ids = []
    for el in div.iter():
        if _local(el.tag) in ("fptr", "area") and el.get("FILEID"):
            ids.append(el.get("FILEID"))
    return ids


def _title(root: Any) -> str | None:
    for el in root.iter():
        if _local(el.tag) == "title" and (el.text or "").strip():
            return el.text.strip()
    return None


def _local_path(href: str, base: Path) -> Path | None:
    if href.startswith("file://"):
        href = href[len("file://"):]
    if not href or "://" in href:
        return None
    p = Path(href)
    return Path(os.path.normpath(p if p.is_absolute() else base / p))


def read_mets(path: Path, root: Path, source: str, options: IngestOptions,
              claimed: set[str] | None = None) -> Iterator[Record | Problem]:
    """One item per physical page of a METS file. ``claimed`` collects the resolved
    paths of the images and OCR files used, so a folder walk skips them."""
    from .images import BadImage, item_id_for, read_header
    from .xml import BadXml, parse_file, safe_root

    try:
        data = path.read_bytes()
        doc = safe_root(data)
    except OSError as exc:
        yield Problem(source, str(path), f"cannot read the file: {exc}", "check the path")
        return
    except BadXml as exc:
        yield Problem(source, str(path), exc.reason, exc.hint)
        return
    files = _files(doc)
    pages = _pages(doc)
    if not pages:
        yield Problem(source, str(path), "the METS file has no physical structure map with "
                      "pages (structMap TYPE=\"PHYSICAL\", div TYPE=\"page\")",
                      "export the METS with its physical structure")
        return
    title = _title(doc)
    base = path.parent
    for n, div in enumerate(pages, 1):
        order = div.get("ORDER") or str(n)
        ref = f"{path}#page {order}"
        image_href = ocr_href = None
        for fid in _file_ids(div):
            f = files.get(fid)
            if f is None:
                continue
            if image_href is None and (f["mime"].startswith("image/")
                                       or (f["use"] in IMAGE_USES and not f["mime"])):
                image_href = f["href"]
            elif ocr_href is None and (f["use"] in OCR_USES or "xml" in f["mime"]):
                ocr_href = f["href"]
        meta: dict[str, Any] = {"mets_file": path.name, "page_order": int(order)
                                if order.isdigit() else order}
        if div.get("ORDERLABEL") or div.get("LABEL"):
            meta["page_label"] = div.get("ORDERLABEL") or div.get("LABEL")
        if title:
            meta["title"] = title
        text = None
        ocr_digest = ""
        ocr_path = _local_path(ocr_href, base) if ocr_href else None
        if ocr_href and ocr_path is None:
            meta["ocr_url"] = ocr_href
        if ocr_path is not None:
            if claimed is not None:
                claimed.add(str(ocr_path.resolve()))
            try:
                page = parse_file(ocr_path)
            except BadXml as exc:
                yield Problem(source, str(ocr_path), f"{exc.reason} (OCR of {ref})", exc.hint)
                continue
            text = page.text
            ocr_digest = page.digest
            meta.update({"ocr_file": ocr_href, **page.meta()})
        if image_href is None:
            yield Problem(source, ref, f"page {order} has no image file",
                          "check the METS file section")
            continue
        image_path = _local_path(image_href, base)
        if image_path is None:
            meta["image"] = image_href
            yield Record(item_id=f"{item_id_for(path, root)}#p{n}", modality="image",
                         source_kind=KIND, source=source, uri=image_href, text=text, meta=meta,
                         content_hash=sha256_json([image_href, ocr_digest, meta]))
            continue
        if claimed is not None:
            claimed.add(str(image_path.resolve()))
        if not image_path.is_file():
            yield Problem(source, ref, f"the image {image_href!r} of page {order} does not "
                          f"exist (looked for {image_path})",
                          "paths in the METS file are relative to it; fix the path")
            continue
        try:
            head = read_header(image_path, options, all_frames=False)
        except BadImage as exc:
            yield Problem(source, str(image_path), f"{exc.reason} ({ref})", exc.hint)
            continue
        meta.update({"file": image_path.name, "format": head.format})
        yield Record(item_id=item_id_for(image_path, root), modality="image", source_kind=KIND,
                     source=source, uri=str(image_path.resolve()), width=head.width,
                     height=head.height, text=text, meta=meta,
                     content_hash=sha256_json([head.digest, ocr_digest, meta]))
