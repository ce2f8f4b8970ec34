"""OCR XML: ALTO (v1-v4) and PAGE XML (and METS, see :mod:`glamlab.ingest.mets`),
parsed with defusedxml.

Each file becomes one item: the page text, with the line count, word count and mean
word confidence (ALTO ``String@WC``; PAGE ``TextEquiv@conf``, word level where present,
else line level) as metadata. When the page image is present (ALTO
``sourceImageInformation/fileName``, PAGE ``Page@imageFilename``, or an image beside the
XML with the same name) the item is that image, carrying the OCR text: one item per
page, never an image item and a text item that disagree.

Graphic regions become training boxes for ``graphic-windows``: ALTO ``Illustration``
blocks and blocks tagged with a layout label such as SegmOnto's ``GraphicZone`` (the
eScriptorium export: ``TextBlock@TAGREFS`` -> ``OtherTag@LABEL``), and PAGE
``ImageRegion``, ``ChartRegion`` and ``GraphicRegion`` (not stamps, barcodes, signatures,
punch holes or handwritten notes). They go into ``meta["boxes"]`` as ``[x, y, w, h]`` in
the XML's units, with ``meta["boxes_size"]`` = the page's width and height in the same
units, so that they scale to any rendering of the image.

ALTO word boxes go into ``meta["word_boxes"]``: six whole numbers per word, flattened,
``[start, end, x, y, w, h, start, end, ...]`` (the word's character offsets in the page
text, then its ``String`` box in the XML's units, the same units as ``page_width``), so
that an entity found in the text can be shown on the page image and exported as a IIIF
annotation on its region (:mod:`glamlab.actions.entity_export`). About 25 bytes a word.

XML that declares entities (external entities, "billion laughs" expansion) or a DTD
that points outside is refused before anything is expanded, and recorded as a problem.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .base import IngestOptions, Problem, Record, sha256_bytes

KIND = "xml"
XML_SUFFIXES = {".xml"}
MAX_XML_BYTES = 200 * 1024 * 1024
BAD_XML_HINT = "check that the file is ALTO or PAGE XML exported by your OCR software"


class BadXml(Exception):
    def __init__(self, reason: str, hint: str = BAD_XML_HINT):
        super().__init__(reason)
        self.reason = reason
        self.hint = hint


@dataclass
class OcrPage:
    """What an OCR file says about one page."""

    format: str  # alto | page
    schema: str  # the XML namespace (version)
    text: str
    lines: int
    words: int
    mean_word_confidence: float | None
    image_ref: str | None  # the image file name the XML names, if any
    digest: str
    extra: dict[str, Any] = field(default_factory=dict)

    def meta(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ocr_format": self.format,
            "ocr_schema": self.schema,
            "lines": self.lines,
            "words": self.words,
            "mean_word_confidence": (round(self.mean_word_confidence, 4)
                                     if self.mean_word_confidence is not None else None),
        }
        out.update(self.extra)
        return out


def can_read(source: str) -> bool:
    p = Path(source)
    return p.is_file() and p.suffix.lower() in XML_SUFFIXES


def is_xml(path: Path) -> bool:
    return path.suffix.lower() in XML_SUFFIXES


def _local(tag: Any) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _ns(tag: str) -> str:
    return tag[1:].partition("}")[0] if tag.startswith("{") else ""


def safe_root(data: bytes) -> Any:
    """The root element of an XML document, refusing entity declarations and external
    references before anything is expanded. Raises :class:`BadXml`."""
    import defusedxml
    import defusedxml.ElementTree as DET

    try:
        return DET.fromstring(data, forbid_dtd=False, forbid_entities=True,
                              forbid_external=True)
    except defusedxml.EntitiesForbidden as exc:
        raise BadXml(f"refused: the XML declares entities ({exc}); entity expansion and "
                     "external entities are never processed",
                     "remove the <!DOCTYPE>/<!ENTITY> declarations (OCR XML does not need "
                     "them) and ingest again") from exc
    except defusedxml.DefusedXmlException as exc:
        raise BadXml(f"refused: unsafe XML ({exc})",
                     "remove the <!DOCTYPE> declarations and ingest again") from exc
    except DET.ParseError as exc:
        raise BadXml(f"not well-formed XML: {exc}") from exc


def parse_bytes(data: bytes) -> OcrPage:
    """Parse ALTO or PAGE XML. Raises :class:`BadXml` with the reason."""
    root = safe_root(data)
    digest = sha256_bytes(data)
    name = _local(root.tag)
    if name == "alto":
        return _parse_alto(root, digest)
    if name == "PcGts":
        return _parse_page(root, digest)
    raise BadXml(f"not ALTO or PAGE XML (the root element is <{name}>)",
                 "only ALTO (<alto>), PAGE (<PcGts>) and METS (<mets>) files are read; "
                 "remove other XML files from the source")


def is_mets(path: Path) -> bool:
    """A quick look at the start of the file: is this a METS document?"""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    return b"http://www.loc.gov/METS/" in head and (b"<mets:mets" in head or b"<mets" in head)


def _alto_text(blocks: list[list[list[tuple[str, list[int] | None]]]]
               ) -> tuple[str, list[int]]:
    """The page text (words joined by spaces, lines by line breaks, blocks by blank lines)
    and the word boxes: ``[start, end, x, y, w, h]`` per word with a box, flattened, where
    ``start``/``end`` are the word's character offsets in the text."""
    texts: list[str] = []
    flat: list[int] = []
    pos = 0
    for block in blocks:
        block_text = "\n".join(" ".join(w for w, _ in line) for line in block)
        if not block_text:
            continue
        if texts:
            pos += 2
        p = pos
        for i, line in enumerate(block):
            p += 1 if i else 0
            for j, (word, box) in enumerate(line):
                p += 1 if j else 0
                if box is not None and word:
                    flat.extend((p, p + len(word), *box))
                p += len(word)
        texts.append(block_text)
        pos += len(block_text)
    return "\n\n".join(texts), flat


def _parse_alto(root: Any, digest: str) -> OcrPage:
    blocks: list[list[list[tuple[str, list[int] | None]]]] = []
    n_lines = 0
    n_words = 0
    confs: list[float] = []
    image_ref = None
    extra: dict[str, Any] = {}
    tag_labels: dict[str, str] = {}
    tagged: list[tuple[str, list[float]]] = []  # (TAGREFS, box) of blocks
    boxes: list[list[float]] = []
    for el in root.iter():
        tag = _local(el.tag)
        if tag in ("OtherTag", "LayoutTag") and el.get("ID"):
            tag_labels[el.get("ID")] = (el.get("LABEL") or "").strip().lower()
        elif tag == "Illustration":
            box = _alto_box(el)
            if box:
                boxes.append(box)
        elif tag in ("TextBlock", "ComposedBlock") and el.get("TAGREFS"):
            box = _alto_box(el)
            if box:
                tagged.append((el.get("TAGREFS"), box))
        if tag == "fileName" and image_ref is None and (el.text or "").strip():
            image_ref = el.text.strip()
        elif tag == "MeasurementUnit" and el.text:
            extra["measurement_unit"] = el.text.strip()
        elif tag == "Page" and "page_width" not in extra:
            for attr, key in (("WIDTH", "page_width"), ("HEIGHT", "page_height")):
                v = _number(el.get(attr))
                if v is not None:
                    extra[key] = v
        elif tag == "TextBlock":
            lines: list[list[tuple[str, list[int] | None]]] = []
            for line in el.iter():
                if _local(line.tag) != "TextLine":
                    continue
                n_lines += 1
                words: list[tuple[str, list[int] | None]] = []
                for w in line:
                    wt = _local(w.tag)
                    if wt == "String":
                        content = w.get("CONTENT", "")
                        box = _alto_box(w)
                        words.append((content, [round(v) for v in box] if box else None))
                        n_words += 1
                        c = _number(w.get("WC"))
                        if c is not None:
                            confs.append(c)
                    elif wt == "HYP" and words:
                        words[-1] = (words[-1][0] + w.get("CONTENT", "-"), words[-1][1])
                lines.append(words)
            blocks.append(lines)
    for refs, box in tagged:
        if any(tag_labels.get(r) in GRAPHIC_LABELS for r in refs.split()):
            boxes.append(box)
    _add_boxes(extra, boxes)
    text, word_boxes = _alto_text(blocks)
    if word_boxes:
        extra["word_boxes"] = word_boxes
    return OcrPage(format="alto", schema=_ns(root.tag), text=text,
                   lines=n_lines, words=n_words,
                   mean_word_confidence=sum(confs) / len(confs) if confs else None,
                   image_ref=image_ref, digest=digest, extra=extra)


def _text_equiv(el: Any) -> tuple[str | None, float | None]:
    """The text and confidence of an element's own TextEquiv (lowest index first)."""
    best: tuple[int, str, float | None] | None = None
    for child in el:
        if _local(child.tag) != "TextEquiv":
            continue
        idx = int(_number(child.get("index")) or 0)
        text = ""
        for u in child:
            if _local(u.tag) == "Unicode":
                text = u.text or ""
                break
        if best is None or idx < best[0]:
            best = (idx, text, _number(child.get("conf")))
    if best is None:
        return None, None
    return best[1], best[2]


def _parse_page(root: Any, digest: str) -> OcrPage:
    regions: list[str] = []
    n_lines = 0
    n_words = 0
    word_confs: list[float] = []
    line_confs: list[float] = []
    image_ref = None
    extra: dict[str, Any] = {}
    boxes: list[list[float]] = []
    for el in root.iter():
        tag = _local(el.tag)
        if tag in ("ImageRegion", "ChartRegion") or (
                tag == "GraphicRegion" and (el.get("type") or "") not in PAGE_NOT_GRAPHIC):
            box = _page_box(el)
            if box:
                boxes.append(box)
        if tag == "Page" and image_ref is None:
            image_ref = el.get("imageFilename") or None
            for attr, key in (("imageWidth", "page_width"), ("imageHeight", "page_height")):
                v = _number(el.get(attr))
                if v is not None:
                    extra[key] = v
        elif tag == "TextRegion":
            lines = []
            for line in el:
                if _local(line.tag) != "TextLine":
                    continue
                n_lines += 1
                line_text, line_conf = _text_equiv(line)
                words = []
                for w in line:
                    if _local(w.tag) != "Word":
                        continue
                    wt, wc = _text_equiv(w)
                    n_words += 1
                    words.append(wt or "")
                    if wc is not None:
                        word_confs.append(wc)
                if line_text is None:
                    line_text = " ".join(words)
                elif not words:
                    n_words += len(line_text.split())
                if line_conf is not None:
                    line_confs.append(line_conf)
                lines.append(line_text)
            if lines:
                regions.append("\n".join(lines))
    confs = word_confs or line_confs
    if not word_confs and line_confs:
        extra["confidence_level"] = "line"
    _add_boxes(extra, boxes)
    return OcrPage(format="page", schema=_ns(root.tag), text="\n\n".join(regions),
                   lines=n_lines, words=n_words,
                   mean_word_confidence=sum(confs) / len(confs) if confs else None,
                   image_ref=image_ref, digest=digest, extra=extra)


def _number(v: str | None) -> float | None:
    if v is None or v == "":
        return None
    try:
        return float(v)
    except ValueError:
        return None


# Layout labels (ALTO OtherTag/LayoutTag@LABEL) that mark a graphic region.
GRAPHIC_LABELS = {"graphiczone", "illustration", "figure", "image", "graphic", "decoration"}
# PAGE GraphicRegion@type values that are not pictures.
PAGE_NOT_GRAPHIC = {"stamp", "barcode", "signature", "punch-hole", "handwritten-annotation",
                    "lines"}


def _alto_box(el: Any) -> list[float] | None:
    vals = [_number(el.get(a)) for a in ("HPOS", "VPOS", "WIDTH", "HEIGHT")]
    if any(v is None for v in vals) or vals[2] <= 0 or vals[3] <= 0:  # type: ignore[operator]
        return None
    return [round(v, 2) for v in vals]  # type: ignore[arg-type]


def _page_box(region: Any) -> list[float] | None:
    """The bounding box of a PAGE region's ``Coords@points`` ("x,y x,y ...")."""
    for child in region:
        if _local(child.tag) != "Coords":
            continue
        xs, ys = [], []
        for pair in (child.get("points") or "").split():
            x, _, y = pair.partition(",")
            fx, fy = _number(x), _number(y)
            if fx is None or fy is None:
                return None
            xs.append(fx)
            ys.append(fy)
        if xs and max(xs) > min(xs) and max(ys) > min(ys):
            return [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]
        return None
    return None


def _add_boxes(extra: dict[str, Any], boxes: list[list[float]]) -> None:
    if boxes:
        extra["boxes"] = boxes
        if "page_width" in extra and "page_height" in extra:
            extra["boxes_size"] = [extra["page_width"], extra["page_height"]]


def parse_file(path: Path) -> OcrPage:
    try:
        size = path.stat().st_size
        if size > MAX_XML_BYTES:
            raise BadXml(f"the file is {size:,} bytes, over the {MAX_XML_BYTES:,}-byte limit "
                         "for one OCR page", "split the file into one XML file per page")
        data = path.read_bytes()
    except OSError as exc:
        raise BadXml(f"cannot read the file: {exc}", "check the path and permissions") from exc
    return parse_bytes(data)


def images_by_stem(names: Iterable[str]) -> dict[str, str]:
    """stem -> file name of the images among ``names`` (the first in sorted order)."""
    from .images import IMAGE_SUFFIXES

    out: dict[str, str] = {}
    for name in sorted(names):
        p = Path(name)
        if p.suffix.lower() in IMAGE_SUFFIXES:
            out.setdefault(p.stem, name)
    return out


def linked_image(xml_path: Path, page: OcrPage,
                 siblings: dict[str, str] | None = None) -> Path | None:
    """The page image an OCR file belongs to, if it is on disk.

    Tried in order: the file name the XML gives (relative to the XML file, then its
    base name beside the XML), then an image beside the XML with the same stem
    (``siblings``: :func:`images_by_stem` of the XML's folder, computed once per folder)."""
    from .images import IMAGE_SUFFIXES

    folder = xml_path.parent
    if page.image_ref:
        ref = page.image_ref.replace("\\", "/")
        if ref.startswith("file://"):
            ref = ref[len("file://"):]
        if "://" not in ref:
            for candidate in (Path(os.path.normpath(folder / ref)), folder / Path(ref).name):
                if candidate.suffix.lower() in IMAGE_SUFFIXES and candidate.is_file():
                    return candidate
    if siblings is None:
        siblings = images_by_stem(p.name for p in folder.iterdir())
    name = siblings.get(xml_path.stem)
    if name is not None and (folder / name).is_file():
        return folder / name
    return None


def read(source: str, options: IngestOptions) -> Iterator[Record | Problem]:
    path = Path(source)
    if is_mets(path):
        from .mets import read_mets

        yield from read_mets(path, path.parent, source, options)
    else:
        yield from read_ocr_file(path, path.parent, source, options)


def read_ocr_file(path: Path, root: Path, source: str, options: IngestOptions,
                  siblings: dict[str, str] | None = None,
                  claimed: set[str] | None = None) -> Iterator[Record | Problem]:
    """One OCR XML file as one item (the linked page image when present).

    ``claimed`` collects the resolved paths of the images used, so that a folder walk
    does not make a second item of them."""
    from .images import BadImage, item_id_for, read_header

    try:
        page = parse_file(path)
    except BadXml as exc:
        yield Problem(source, str(path), exc.reason, exc.hint)
        return
    meta: dict[str, Any] = {"ocr_file": path.name, **page.meta()}
    image = linked_image(path, page, siblings)
    if image is None:
        if page.image_ref:
            meta["image_missing"] = page.image_ref
        yield Record(item_id=item_id_for(path, root), modality="text", source_kind=page.format,
                     source=source, content_hash=page.digest, uri=str(path.resolve()),
                     text=page.text, meta=meta)
        return
    resolved = str(image.resolve())
    if claimed is not None:
        claimed.add(resolved)
    try:
        head = read_header(image, options, all_frames=False)
    except BadImage as exc:
        yield Problem(source, str(image), f"{exc.reason} (page image of {path.name})", exc.hint)
        return
    meta.update({"file": image.name, "format": head.format})
    yield Record(item_id=item_id_for(image, root), modality="image", source_kind=page.format,
                 source=source, content_hash=sha256_bytes(f"{head.digest}:{page.digest}".encode()),
                 uri=resolved, width=head.width, height=head.height, text=page.text, meta=meta)
