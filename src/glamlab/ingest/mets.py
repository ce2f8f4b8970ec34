"""METS: a digitised object's pages, each with its image and OCR file.

The physical structure map (``structMap TYPE="PHYSICAL"``; in a METS without one, as
NDNP's issue METS, the structMap whose ``div``s are pages, ``np:page``) lists the pages in order;
each page's ``fptr`` elements point into the file section. Of a page's files, the page
image is the best image by file group (``MASTER``/``ORIGINAL``, ``MAX``, ``DEFAULT``,
``IMAGE``, ``PRESENTATION``, an OCR-D group such as ``OCR-D-IMG``, then derived images,
``MIN`` and thumbnails last) that exists, and the OCR is the best ALTO/PAGE/hOCR file that
can be read (``FULLTEXT``/``ALTO``/``OCR`` groups, then ground truth, then other OCR
groups; a file that is not there or cannot be read gives way to the next). Every
page becomes one item: the image with the OCR text and metadata (as
:mod:`glamlab.ingest.xml` gives them), the page order and label, the object's title and
its ``document`` key.

Paths are relative to the METS file, and a local file must lie in the METS file's folder
(or below it): a METS naming ``/etc/...``, ``file:///...`` or ``../..`` elsewhere on the
disk (an uploaded one, say) would make glamlab read and show a file it was never given,
so such a page is one problem naming the file and the fix (its image left out, or its
text when only the OCR file is outside), and the other pages come in. An image given as an http(s) URL is kept as the
item's ``uri`` and fetched when first decoded; an OCR file given as a URL is fetched at
ingest (``IngestOptions.remote_ocr``) and kept in the workspace cache
(``.glamlab/cache/ocr``), so ingesting again reads the cache; a page whose OCR cannot
be fetched is stored without text and the failure is recorded for that page.

Ids: ``{document}/{image path relative to the METS, without suffix}`` for local images,
``{document}#p{n}`` for remote ones, where the document is the METS ``OBJID``, else the
first MODS ``recordIdentifier``, else the METS file's name (its folder's name for
``mets.xml``). Every file the METS lists is claimed, so that a folder walk makes no
second item of derived images or other OCR versions. Parsed with defusedxml.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .base import (
    IngestOptions,
    Problem,
    Record,
    is_lfs_pointer,
    lfs_problem,
    sha256_bytes,
    sha256_json,
)

KIND = "mets"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
# image file groups, best first; groups not listed rank between these and LOW_IMAGE_USES
IMAGE_USES = ["MASTER", "ORIGINAL", "MAX", "DEFAULT", "IMAGE", "PRESENTATION", "OCR-D-IMG"]
LOW_IMAGE_USES = ["MIN", "THUMBS", "THUMB", "THUMBNAIL", "THUMBNAILS"]
DERIVED = ("-BIN", "-DESKEW", "-DESPECK", "-DEWARP", "-CROP", "-DENOISE", "-NRM", "-SEG")
OCR_USES = {"FULLTEXT", "ALTO", "OCR", "PAGE", "HOCR", "GDZOCR", "TEI"}


def _local(tag: Any) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _files(root: Any) -> dict[str, dict[str, str]]:
    """file ID -> {use, mime, href}"""
    out: dict[str, dict[str, str]] = {}
    for grp in root.iter():
        if _local(grp.tag) != "fileGrp":
            continue
        group_use = (grp.get("USE") or "").upper()
        for f in grp:
            if _local(f.tag) != "file" or not f.get("ID"):
                continue
            # the file's own USE where it has one (NDNP: "master", "service", "ocr" on
            # the files of an unnamed group), else its group's
            use = (f.get("USE") or "").upper() or group_use
            href = ""
            for loc in f:
                if _local(loc.tag) == "FLocat":
                    href = loc.get(XLINK_HREF) or loc.get("href") or ""
                    break
            out[f.get("ID")] = {"use": use, "mime": (f.get("MIMETYPE") or "").lower(),
                                "href": href.strip()}
    return out


def _is_page(div: Any) -> bool:
    """A ``div`` of a page: ``TYPE="page"``, or a profile's own prefix on it
    (NDNP's ``np:page``)."""
    return _local(div.tag) == "div" and \
        (div.get("TYPE") or "").rpartition(":")[2].lower() == "page"


def _pages(root: Any) -> list[Any]:
    """The page ``div``s of the physical structure map; for a METS without one (NDNP's
    issue METS: one structMap with no TYPE), of the first structMap that has pages."""
    maps = [m for m in root.iter() if _local(m.tag) == "structMap"]
    for smap in maps:
        if (smap.get("TYPE") or "").upper() == "PHYSICAL":
            return [d for d in smap.iter() if _is_page(d)]
    for smap in maps:
        if (smap.get("TYPE") or "").upper() != "LOGICAL":
            pages = [d for d in smap.iter() if _is_page(d)]
            if pages:
                return pages
    return []


def _file_ids(div: Any) -> list[str]:
    ids = []
    for el in div.iter():
        if _local(el.tag) in ("fptr", "area") and el.get("FILEID"):
            ids.append(el.get("FILEID"))
    return ids


def _first_text(root: Any, name: str) -> str | None:
    for el in root.iter():
        if _local(el.tag) == name and (el.text or "").strip():
            return el.text.strip()
    return None


def document_key(doc: Any, path: Path) -> str:
    """What identifies the digitised object: METS ``OBJID``, else MODS
    ``recordIdentifier``, else the METS file's stem (its folder's name for ``mets.xml``)."""
    key = (doc.get("OBJID") or "").strip() or _first_text(doc, "recordIdentifier")
    if key:
        return key
    stem = path.stem
    if stem.lower() in ("mets", "mets_one_file", "index") or not stem:
        folder = path.resolve().parent
        if folder.name.lower() == "data" and (folder.parent / "bagit.txt").is_file():
            folder = folder.parent  # an OCRD-ZIP/BagIt bag: the bag names the object
        return folder.name
    return stem


def _is_image(f: dict[str, str]) -> bool:
    from .images import IMAGE_SUFFIXES

    if f["mime"].startswith("image/"):
        return True
    if f["mime"]:
        return False
    # no MIMETYPE (NDNP): by its group, else by its file name
    return f["use"] in IMAGE_USES or f["use"] in LOW_IMAGE_USES or \
        Path(f["href"].split("?")[0]).suffix.lower() in IMAGE_SUFFIXES


def _image_rank(f: dict[str, str]) -> tuple[int, int]:
    use = f["use"]
    if use in IMAGE_USES:
        return (0, IMAGE_USES.index(use))
    if use in LOW_IMAGE_USES:
        return (3, LOW_IMAGE_USES.index(use))
    if any(d in use for d in DERIVED):
        return (2, 0)
    return (1, 0)


def _is_ocr(f: dict[str, str]) -> bool:
    if f["mime"].startswith("image/"):
        return False
    return f["use"] in OCR_USES or "xml" in f["mime"] or "html" in f["mime"] or \
        f["href"].lower().endswith((".xml", ".hocr", ".html"))


def _ocr_rank(f: dict[str, str]) -> int:
    use = f["use"]
    if use in OCR_USES:
        return 0
    if "GT" in use.split("-"):
        return 1
    if "OCR" in use:
        return 2
    return 3


def _local_path(href: str, base: Path) -> Path | None:
    if href.startswith("file://"):
        href = href[len("file://"):]
    if not href or "://" in href:
        return None
    p = Path(href)
    return Path(os.path.normpath(p if p.is_absolute() else base / p))


def _outside(local: Path, folder: Path) -> bool:
    """Whether a local file the METS names lies outside its folder (``folder``: resolved);
    links are followed, so a link inside the folder to a file elsewhere is outside."""
    return not local.resolve().is_relative_to(folder)


OUTSIDE_FIX = ("put the images and OCR files in the METS file's folder (or below it) and "
               "give their paths relative to the METS file")


def ocr_cache_path(url: str, options: IngestOptions) -> Path:
    base = Path(options.cache_dir) if options.cache_dir else (
        Path(tempfile.gettempdir()) / "glamlab-cache")
    key = sha256_bytes(url.encode())
    return base / "ocr" / key[:2] / f"{key}.ocr"


def fetch_ocr(url: str, options: IngestOptions) -> bytes:
    """The OCR file at ``url``, from the workspace cache or fetched into it. Raises
    :class:`glamlab.ingest.iiif.FetchError`, or :class:`glamlab.ingest.xml.BadXml` for a
    file over ``options.max_xml_bytes``.

    The cache is keyed by the URL alone, and a file in it may have been fetched without
    the address check (by the command line, from a server on the internal network): with
    ``options.fetch_policy`` set (the web app) the URL is checked before a cached file is
    used, so what the check refuses is never served from the cache either."""
    from .iiif import check_address, fetch
    from .xml import too_big

    path = ocr_cache_path(url, options)
    if options.fetch_policy is not None and path.is_file():
        check_address(url, options.fetch_policy)
    if not path.is_file():
        fetch(url, timeout=options.http_timeout, max_bytes=options.max_xml_bytes,
              transport=options.http_transport, dest=path, policy=options.fetch_policy)
    size = path.stat().st_size  # cached under a higher limit
    if size > options.max_xml_bytes:
        raise too_big(size, options.max_xml_bytes)
    return path.read_bytes()


def _page_ocr(ocrs: list[dict[str, str]], base: Path, folder: Path, options: IngestOptions,
              source: str, ref: str, page_ref: str, order: str, meta: dict[str, Any]
              ) -> tuple[Any, list[Problem]]:
    """The text of a page from its OCR files, best first (:func:`_ocr_rank`): a file that
    cannot be read (a local file that is not there, as in a workspace of which one file
    group was not downloaded; one outside the METS file's folder; a file that is not ALTO,
    PAGE or hOCR; a URL that does not answer) gives way to the next, as a page's images
    do. The problems are those of the files tried when none gave the text (the first one
    only said, as for an image); ``meta`` gets the file read (``ocr_file``, its
    ``ocr_url`` when it is on the web) and its metadata."""
    from .iiif import FetchError, RefusedAddress, refused_hint
    from .xml import BadXml, parse_bytes, parse_file

    problems: list[Problem] = []
    url_only = None  # a URL kept unread (--no-remote-ocr)
    fetch_error = None
    failed: list[str] = []  # "href (why)" of the files that gave no text
    for f in ocrs:
        href = f["href"]
        ocr_path = _local_path(href, base)
        try:
            if ocr_path is not None and _outside(ocr_path, folder):
                problems.append(Problem(
                    source, ref, f"page {order}: its OCR file {href!r} is outside the "
                    f"METS file's folder {folder} and was not read; the page was stored "
                    "without text", OUTSIDE_FIX))
                failed.append(f"{href} (outside the METS file's folder)")
                continue
            if ocr_path is not None:
                page = parse_file(ocr_path, max_bytes=options.max_xml_bytes,
                                  max_chars=options.max_text_chars)
            elif not options.remote_ocr:
                url_only = url_only or href
                continue
            else:
                try:
                    page = parse_bytes(fetch_ocr(href, options),
                                       max_bytes=options.max_xml_bytes,
                                       max_chars=options.max_text_chars)
                except FetchError as exc:
                    if fetch_error is None:
                        fetch_error = (href, str(exc))
                    problems.append(Problem(
                        source, page_ref,
                        f"page {order}: cannot fetch its OCR ({exc}); the page was stored "
                        "without text",
                        refused_hint(exc) if isinstance(exc, RefusedAddress) else
                        "ingest the METS again when the server answers (fetched OCR is "
                        "cached in .glamlab/cache/ocr)"))
                    failed.append(f"{href} ({exc})")
                    continue
        except BadXml as exc:
            problems.append(Problem(source, str(ocr_path or href),
                                    f"{exc.reason} (OCR of {ref}; the page was stored "
                                    "without text)", exc.hint))
            failed.append(f"{href} ({exc.reason})")
            continue
        if ocr_path is None:
            meta["ocr_url"] = href
        meta.update({"ocr_file": href, **page.meta()})
        if failed:  # said on the item, not as a problem: its text came in
            which = "the OCR file" if len(failed) == 1 else f"the {len(failed)} OCR files"
            meta["ocr_note"] = (f"the text is from {href}: {which} ranked before it could "
                                f"not be read: {'; '.join(failed)}")
        return page, []
    if fetch_error is not None:
        meta["ocr_url"], meta["ocr_error"] = fetch_error
    elif url_only is not None:
        meta["ocr_url"] = url_only
    return None, problems[:1]


def read_mets(path: Path, root: Path, source: str, options: IngestOptions,
              claimed: set[str] | None = None) -> Iterator[Record | Problem]:
    """One item per physical page of a METS file. ``claimed`` collects the resolved
    paths of every local file the METS lists, so a folder walk skips them."""
    from .images import BadImage, item_id_for, read_header
    from .xml import BadXml, safe_root, too_big

    if is_lfs_pointer(path):
        yield lfs_problem(source, path)
        return
    try:
        size = path.stat().st_size
        if size > options.max_xml_bytes:
            raise too_big(size, options.max_xml_bytes)
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
    base = path.parent
    folder = base.resolve()
    if claimed is not None:
        for f in files.values():
            local = _local_path(f["href"], base)
            if local is not None and not _outside(local, folder):
                claimed.add(str(local.resolve()))
    title = _first_text(doc, "title") or (doc.get("LABEL") or "").strip() or None
    document = document_key(doc, path)
    old_prefix = item_id_for(path, root)  # ids before the document key: "mets#p1"
    for n, div in enumerate(pages, 1):
        order = div.get("ORDER") or str(n)
        ref = f"{path}#page {order}"
        listed = [files[fid] for fid in _file_ids(div) if fid in files]
        images = sorted((f for f in listed if _is_image(f)), key=_image_rank)
        ocrs = sorted((f for f in listed if _is_ocr(f) and not _is_image(f)), key=_ocr_rank)
        meta: dict[str, Any] = {"mets_file": path.name, "document": document,
                                "page_order": int(order) if order.isdigit() else order}
        if div.get("ORDERLABEL") or div.get("LABEL"):
            meta["page_label"] = div.get("ORDERLABEL") or div.get("LABEL")
        if title:
            meta["title"] = title
        text = None
        ocr_digest = ""
        page, problems = _page_ocr(ocrs, base, folder, options, source, ref,
                                   f"{document}#p{n}", order, meta)
        if page is not None:
            text = page.text
            ocr_digest = page.digest
        yield from problems
        if not images:
            yield Problem(source, ref, f"page {order} has no image file",
                          "check the METS file section")
            continue
        chosen = None
        missing = []
        outside = []
        for f in images:
            local = _local_path(f["href"], base)
            if local is not None and _outside(local, folder):
                outside.append(f["href"])
                continue
            if local is None or local.is_file():
                chosen = (f, local)
                break
            missing.append((f["href"], local))
        if chosen is None and outside:
            yield Problem(source, ref, f"the image {outside[0]!r} of page {order} is outside "
                          f"the METS file's folder {folder} and was not read", OUTSIDE_FIX)
            continue
        if chosen is None:
            href, looked = missing[0]
            yield Problem(source, ref, f"the image {href!r} of page {order} does not "
                          f"exist (looked for {looked})",
                          "paths in the METS file are relative to it; fix the path")
            continue
        image, image_path = chosen
        if image_path is None:
            meta["image"] = image["href"]
            meta["image_group"] = image["use"]
            yield Record(item_id=f"{document}#p{n}", modality="image", source_kind=KIND,
                         source=source, uri=image["href"], text=text, meta=meta,
                         content_hash=sha256_json([image["href"], ocr_digest, meta]),
                         legacy_id=f"{old_prefix}#p{n}")
            continue
        try:
            head = read_header(image_path, options, all_frames=False)
        except BadImage as exc:
            yield Problem(source, str(image_path), f"{exc.reason} ({ref})", exc.hint)
            continue
        meta.update({"file": image_path.name, "format": head.format,
                     "image_group": image["use"]})
        yield Record(item_id=f"{document}/{item_id_for(image_path, base)}", modality="image",
                     source_kind=KIND, source=source, uri=str(image_path.resolve()),
                     width=head.width, height=head.height, text=text, meta=meta,
                     content_hash=sha256_json([head.digest, ocr_digest, meta]),
                     legacy_id=item_id_for(image_path, root))
