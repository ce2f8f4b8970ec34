"""OCR files: ALTO (v1-v4), PAGE XML and hOCR (and METS, see :mod:`glamlab.ingest.mets`),
XML parsed with defusedxml. Layouts and examples: docs/formats.md.

ALTO words hyphenated across lines are joined (``SUBS_CONTENT``, ``HypPart1/2``, a ``HYP``
element, soft hyphens), keeping one line per ``TextLine``; PAGE text comes from every
element holding ``TextLine``s (table cells too) in the page's reading order.

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
PAGE ``Word`` coordinates give the same (their bounding boxes, in pixels), each word
found in its line's text.

XML that declares entities (external entities, "billion laughs" expansion) or a DTD
that points outside is refused before anything is expanded, and recorded as a problem.
So is a file over ``[ingest] max_xml_bytes`` (50 MB by default), before it is read, and
a page whose text is over ``[ingest] max_text_chars`` (5,000,000 by default); the rest
of the batch carries on.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .base import (
    DEFAULT_MAX_TEXT_CHARS,
    DEFAULT_MAX_XML_BYTES,
    LFS_HINT,
    LFS_SIGNATURE,
    IngestOptions,
    Problem,
    Record,
    sha256_bytes,
)

KIND = "xml"
XML_SUFFIXES = {".xml", ".hocr"}
MAX_XML_BYTES = DEFAULT_MAX_XML_BYTES  # [ingest] max_xml_bytes
MAX_TEXT_CHARS = DEFAULT_MAX_TEXT_CHARS  # [ingest] max_text_chars
BAD_XML_HINT = "check that the file is ALTO or PAGE XML exported by your OCR software"


def too_big(size: int, limit: int) -> BadXml:
    """The refusal of an XML file of ``size`` bytes over ``limit``, before it is read."""
    return BadXml(f"the file is {size:,} bytes, over the limit of {limit:,} bytes for one XML "
                  "file; it was not read",
                  "split it into one XML file per page, or, if it is right as it is, raise "
                  f"[ingest] max_xml_bytes in glamlab.toml (now {limit:,}) and ingest again")


def check_text(text: str, limit: int) -> None:
    """Refuse the text of one item over ``limit`` characters (:class:`BadXml`)."""
    if len(text) > limit:
        raise BadXml(f"its text is {len(text):,} characters, over the limit of {limit:,} "
                     "characters for one item; it was not stored",
                     "check the file (one page's OCR is rarely over 100,000 characters: a "
                     "whole book in one file, or text run wild in one attribute); split it "
                     "into one file per page, or, if it is right as it is, raise [ingest] "
                     f"max_text_chars in glamlab.toml (now {limit:,}) and ingest again")


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
        name = getattr(exc, "name", None)
        target = getattr(exc, "sysid", None)
        what = (f"the entity {name!r}" + (f", which points to {target}" if target else "")
                if name else str(exc))
        raise BadXml(f"refused: the XML declares entities ({what}); entity expansion and "
                     "external entities are never processed",
                     "remove the <!DOCTYPE>/<!ENTITY> declarations (OCR XML does not need "
                     "them) and ingest again") from exc
    except defusedxml.DefusedXmlException as exc:
        raise BadXml(f"refused: unsafe XML ({exc})",
                     "remove the <!DOCTYPE> declarations and ingest again") from exc
    except DET.ParseError as exc:
        raise BadXml(f"not well-formed XML: {exc}") from exc


def is_hocr(data: bytes) -> bool:
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return (head.startswith((b"<!doctype html", b"<html")) or b"<html" in head[:512]) \
        and b"ocr_" in data[:200_000]


def parse_bytes(data: bytes, *, max_bytes: int = MAX_XML_BYTES,
                max_chars: int = MAX_TEXT_CHARS) -> OcrPage:
    """Parse ALTO, PAGE XML or hOCR. Raises :class:`BadXml` with the reason: also for
    ``data`` over ``max_bytes`` (not parsed) and a page text over ``max_chars``."""
    if len(data) > max_bytes:
        raise too_big(len(data), max_bytes)
    page = _parse_any(data)
    check_text(page.text, max_chars)
    return page


def _parse_any(data: bytes) -> OcrPage:
    if data.startswith(LFS_SIGNATURE):
        raise BadXml("a Git LFS pointer file, not the OCR file itself (the real content was "
                     "never downloaded)", LFS_HINT)
    if is_hocr(data):
        return _parse_hocr(data)
    root = safe_root(data)
    digest = sha256_bytes(data)
    name = _local(root.tag)
    if name == "alto":
        return _parse_alto(root, digest)
    if name == "PcGts":
        return _parse_page(root, digest)
    raise BadXml(f"not ALTO or PAGE XML (the root element is <{name}>)",
                 "only ALTO (<alto>), PAGE (<PcGts>), hOCR and METS (<mets>) files are "
                 "read; remove other XML files from the source")


def is_mets(path: Path) -> bool:
    """A quick look at the start of the file: is this a METS document?"""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    return b"http://www.loc.gov/METS/" in head and (b"<mets:mets" in head or b"<mets" in head)


# Line-end hyphen marks: ASCII hyphen only with an ALTO HYP element or SUBS_TYPE (a plain
# "-" at a line end may be a real hyphen: "Nord- und Süddeutschland"); these always.
SOFT_HYPHEN = "\u00ad"
HYPHEN_MARKS = (SOFT_HYPHEN, "\u00ac", "\u2e17")  # soft hyphen, not sign, double oblique


@dataclass
class _Token:
    text: str
    subs_type: str = ""
    subs_content: str = ""
    boxes: list[list[int]] = field(default_factory=list)  # x, y, w, h on the page; a word
    # joined across lines has the box of each half


@dataclass
class _Line:
    tokens: list[_Token]
    hyphen: bool = False  # the line ends in a hyphenated word that the next line finishes


def _alto_line(line: Any, confs: list[float]) -> _Line:
    tokens: list[_Token] = []
    hyp = False
    for w in line:
        wt = _local(w.tag)
        if wt == "String":
            box = _alto_box(w)
            tokens.append(_Token(w.get("CONTENT", "") or "", (w.get("SUBS_TYPE") or ""),
                                 w.get("SUBS_CONTENT") or "",
                                 [[round(v) for v in box]] if box else []))
            c = _number(w.get("WC"))
            if c is not None:
                confs.append(c)
        elif wt == "HYP":
            hyp = True
    out = _Line(tokens, hyphen=hyp)
    if tokens:
        last = tokens[-1]
        if last.subs_type.lower() == "hyppart1":
            out.hyphen = True
        if last.text.endswith(HYPHEN_MARKS):
            out.hyphen = True
            last.text = last.text.rstrip("".join(HYPHEN_MARKS))
    return out


def _join_hyphens(lines: list[_Line]) -> int:
    """Join words hyphenated across lines, in place: the whole word ends the first line
    (``SUBS_CONTENT`` when given, else the two halves) and leaves the next one. A
    ``HypPart2`` that is not the next line's first word (another column) is dropped where
    it stands. Returns how many words were joined."""
    joined = 0
    pending: dict[str, int] = {}  # SUBS_CONTENT of a HypPart1 whose HypPart2 is still ahead
    for i, line in enumerate(lines):
        if line.tokens and line.tokens[0].subs_type.lower() == "hyppart2" and \
                pending.get(line.tokens[0].subs_content, 0) > 0:
            pending[line.tokens[0].subs_content] -= 1
            line.tokens.pop(0)
        if not line.tokens:
            continue
        nxt = next((x for x in lines[i + 1:] if x.tokens), None)
        first = nxt.tokens[0] if nxt is not None else None
        last = line.tokens[-1]
        part1 = last.subs_type.lower() == "hyppart1"
        if nxt is not None and first is not None and first.subs_type.lower() == "hyppart2" \
                and (line.hyphen or part1):
            last.text = last.subs_content or first.subs_content or (
                last.text.rstrip("-") + first.text)
            last.boxes += nxt.tokens.pop(0).boxes
            joined += 1
        elif part1 and last.subs_content and first is not None and nxt is not None and \
                not first.subs_type and _second_half(last, first):
            # a HypPart2 written without its SUBS_TYPE: the next line's first word is
            # the rest of the word (its punctuation kept)
            rest = _second_half(last, first)
            last.text = last.subs_content + first.text.strip()[len(rest):]
            last.boxes += nxt.tokens.pop(0).boxes
            joined += 1
        elif part1 and last.subs_content:
            last.text = last.subs_content
            pending[last.subs_content] = pending.get(last.subs_content, 0) + 1
            joined += 1
        elif line.hyphen and nxt is not None and first is not None:
            head, _, rest = first.text.strip().partition(" ")
            last.text = last.text.rstrip("-") + head
            if rest.strip():
                first.text = rest.strip()
            else:
                last.boxes += nxt.tokens.pop(0).boxes
            joined += 1
        elif line.hyphen:
            last.text = last.text.rstrip("-") + "-"  # the word goes on on the next page
    return joined


def _second_half(part1: _Token, first: _Token) -> str:
    """The start of ``first`` (a line's first word, punctuation after it aside) that ends
    the word ``part1`` begins (``SUBS_CONTENT`` = ``part1`` + it), or ""."""
    head = part1.text.rstrip("".join(HYPHEN_MARKS) + "-")
    word = first.text.strip()
    core = word.rstrip(".,;:!?»«\"')]")
    if core and head and part1.subs_content == head + core:
        return core
    return ""


def _clean(text: str) -> str:
    return text.replace(SOFT_HYPHEN, "")


def _alto_text(blocks: list[list[_Line]]) -> tuple[str, list[int]]:
    """The page text (words joined by spaces, lines by line breaks, blocks by blank lines;
    hyphenated words already joined) and the word boxes: ``[start, end, x, y, w, h]`` per
    word with a box, flattened, where ``start``/``end`` are the word's character offsets
    in the text (a word joined across lines has one entry per half, with the offsets of
    the whole word)."""
    texts: list[str] = []
    flat: list[int] = []
    pos = 0
    for block in blocks:
        rows = []
        for line in block:
            words = [(w, t.boxes) for t in line.tokens if (w := _clean(t.text).strip())]
            if words:
                rows.append(words)
        if not rows:
            continue
        if texts:
            pos += 2
        p = pos
        for i, row in enumerate(rows):
            p += 1 if i else 0
            for j, (word, boxes) in enumerate(row):
                p += 1 if j else 0
                for box in boxes:
                    flat.extend((p, p + len(word), *box))
                p += len(word)
        block_text = "\n".join(" ".join(w for w, _ in row) for row in rows)
        texts.append(block_text)
        pos += len(block_text)
    return "\n\n".join(texts), flat


def _parse_alto(root: Any, digest: str) -> OcrPage:
    blocks: list[list[_Line]] = []
    n_lines = 0
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
            lines = [_alto_line(line, confs) for line in el.iter()
                     if _local(line.tag) == "TextLine"]
            n_lines += len(lines)
            blocks.append(lines)
    # a word hyphenated at the end of a block goes on in the next block (column, page part)
    joined = _join_hyphens([line for block in blocks for line in block])
    text, word_boxes = _alto_text(blocks)
    if word_boxes:
        extra["word_boxes"] = word_boxes
    if joined:
        extra["hyphenated_words_joined"] = joined
    for refs, box in tagged:
        if any(tag_labels.get(r) in GRAPHIC_LABELS for r in refs.split()):
            boxes.append(box)
    _add_boxes(extra, boxes)
    return OcrPage(format="alto", schema=_ns(root.tag), text=text,
                   lines=n_lines, words=len(text.split()),
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


def _reading_order(page: Any) -> dict[str, int]:
    """region id -> its position in the page's ReadingOrder (ordered groups by index,
    unordered groups in document order; a group that names a region counts as it)."""
    order: list[str] = []

    def walk(group: Any) -> None:
        if group.get("regionRef"):
            order.append(group.get("regionRef"))
        children = [c for c in group if _local(c.tag) in (
            "OrderedGroup", "UnorderedGroup", "OrderedGroupIndexed", "UnorderedGroupIndexed",
            "RegionRef", "RegionRefIndexed")]
        if _local(group.tag).startswith("Ordered"):
            children.sort(key=lambda c: _number(c.get("index")) or 0.0)
        for c in children:
            if _local(c.tag).startswith("RegionRef"):
                if c.get("regionRef"):
                    order.append(c.get("regionRef"))
            else:
                walk(c)

    for el in page:
        if _local(el.tag) == "ReadingOrder":
            for group in el:
                walk(group)
    return {rid: i for i, rid in reversed(list(enumerate(order)))}


def _cell_position(el: Any) -> tuple[float, float]:
    """(row, column) of a table cell: Transkribus ``TableCell@row/col``, or PAGE 2019
    ``Roles/TableCellRole@rowIndex/columnIndex`` on a nested region."""
    row, col = _number(el.get("row")), _number(el.get("col"))
    if row is None:
        for child in el:
            if _local(child.tag) == "Roles":
                for role in child:
                    if _local(role.tag) == "TableCellRole":
                        row = _number(role.get("rowIndex"))
                        col = _number(role.get("columnIndex"))
    return (row if row is not None else -1.0, col if col is not None else -1.0)


_NOT_TEXT = {"TextLine", "Word", "Glyph", "TextEquiv", "Coords", "Baseline", "TextStyle",
             "Roles", "Metadata", "ReadingOrder", "Layers", "Relations", "AlternativeImage",
             "UserDefined", "Labels", "CornerPts"}


def _region_text_only(el: Any) -> bool:
    """Whether a region gives its text in its own ``TextEquiv`` only: no ``TextLine``
    below it, and no region below it with a ``TextEquiv`` of its own (ground truth
    transcribed by region, as Aletheia allows)."""
    if not any(_local(c.tag) == "TextEquiv" for c in el):
        return False
    for d in el.iter():
        if d is el:
            continue
        name = _local(d.tag)
        if name == "TextLine":
            return False
        if name not in _NOT_TEXT and any(_local(c.tag) == "TextEquiv" for c in d):
            return False
    return True


def _page_containers(page: Any, order: dict[str, int]) -> list[tuple[tuple[Any, ...], Any]]:
    """Every element that holds TextLines (TextRegion, TableCell, a TableRegion's nested
    regions, any other region), with its sort key: the reading-order position of the
    nearest region (itself first) that the ReadingOrder names, then document order, with
    table cells by row and column."""
    found: list[tuple[tuple[Any, ...], Any]] = []
    counter = [0]

    def walk(el: Any, anchor: tuple[float, int], cell: tuple[float, float]) -> None:
        for child in el:
            name = _local(child.tag)
            if name in _NOT_TEXT:
                continue
            counter[0] += 1
            here = counter[0]
            rid = child.get("id")
            own_anchor = (float(order[rid]), here) if rid in order else anchor
            own_cell = _cell_position(child)
            if own_cell == (-1.0, -1.0):
                own_cell = cell
            if any(_local(c.tag) == "TextLine" for c in child) or _region_text_only(child):
                found.append(((own_anchor, own_cell, here), child))
            walk(child, own_anchor, own_cell)

    walk(page, (float("inf"), 0), (-1.0, -1.0))
    found.sort(key=lambda pair: pair[0])
    return found


def _parse_page(root: Any, digest: str) -> OcrPage:
    regions: list[str] = []
    n_lines = 0
    n_words = 0
    word_confs: list[float] = []
    line_confs: list[float] = []
    image_ref = None
    extra: dict[str, Any] = {}
    boxes: list[list[float]] = []
    pages = []
    for el in root.iter():
        tag = _local(el.tag)
        if tag in ("ImageRegion", "ChartRegion") or (
                tag == "GraphicRegion" and (el.get("type") or "") not in PAGE_NOT_GRAPHIC):
            box = _page_box(el)
            if box:
                boxes.append(box)
        if tag == "Page":
            pages.append(el)
            if image_ref is None:
                image_ref = el.get("imageFilename") or None
                for attr, key in (("imageWidth", "page_width"), ("imageHeight", "page_height")):
                    v = _number(el.get(attr))
                    if v is not None:
                        extra[key] = v
    #: per region, per line: its text and its words' boxes
    placed: list[list[tuple[str, list[tuple[str, list[int] | None]] | None]]] = []
    for page in pages:
        for _key, region in _page_containers(page, _reading_order(page)):
            lines = []
            line_words: list[tuple[str, list[tuple[str, list[int] | None]] | None]] = []
            if _region_text_only(region):  # transcribed by region, without lines
                own, conf = _text_equiv(region)
                for own_line in _clean(own or "").splitlines():
                    if own_line.strip():
                        n_lines += 1
                        n_words += len(own_line.split())
                        lines.append(own_line)
                        line_words.append((own_line, None))
                if conf is not None and lines:
                    line_confs.append(conf)
            for line in region:
                if _local(line.tag) != "TextLine":
                    continue
                n_lines += 1
                line_text, line_conf = _text_equiv(line)
                words = []
                word_boxes: list[tuple[str, list[int] | None]] = []
                for w in line:
                    if _local(w.tag) != "Word":
                        continue
                    wt, wc = _text_equiv(w)
                    words.append(wt or "")
                    box = _page_box(w)
                    word_boxes.append((_clean(wt or "").strip(),
                                       [round(v) for v in box] if box else None))
                    if wc is not None:
                        word_confs.append(wc)
                if not (line_text or "").strip():  # none, or an empty one beside its words
                    line_text = " ".join(w for w in words if w)
                line_text = _clean(line_text or "")
                n_words += len(line_text.split())
                if line_conf is not None:
                    line_confs.append(line_conf)
                lines.append(line_text)
                line_words.append((line_text, word_boxes or None))
            if lines:
                regions.append("\n".join(lines))
                placed.append(line_words)
    confs = word_confs or line_confs
    if not word_confs and line_confs:
        extra["confidence_level"] = "line"
    _add_boxes(extra, boxes)
    flat = _page_word_boxes(placed)
    if flat:
        extra["word_boxes"] = flat
    return OcrPage(format="page", schema=_ns(root.tag), text="\n\n".join(regions),
                   lines=n_lines, words=n_words,
                   mean_word_confidence=sum(confs) / len(confs) if confs else None,
                   image_ref=image_ref, digest=digest, extra=extra)


def _page_word_boxes(placed: list[list[tuple[str, list[tuple[str, list[int] | None]] | None]]]
                     ) -> list[int]:
    """PAGE ``Word`` boxes as ALTO's (:func:`_alto_text`): ``[start, end, x, y, w, h]``
    per word, flattened, with the word's offsets in the page text (regions joined by a
    blank line, lines by a line break). Each word is found in its line's text after the
    one before it (a line's own text may space its punctuation otherwise than its
    words, "Stük." for "Stük" "."); a word not found there has no box. Each line's own
    text is taken as it is: it may hold a line break of its own (a ``TextLine`` whose
    ``Unicode`` spans two lines), so the region's text is not split to find the lines."""
    flat: list[int] = []
    pos = 0
    for r, lines in enumerate(placed):
        if r:
            pos += 2
        for i, (text, words) in enumerate(lines):
            if i:
                pos += 1
            cursor = 0
            for word, box in words or []:
                at = text.find(word, cursor) if word else -1
                if at < 0:
                    continue
                cursor = at + len(word)
                if box and box[2] > 0 and box[3] > 0:
                    flat.extend((pos + at, pos + cursor, *box))
            pos += len(text)
    return flat


class _HocrParser:
    """hOCR (HTML with ocr_* classes): lines (ocr_line, ocr_header, ocr_caption,
    ocr_textfloat), words (ocrx_word with ``x_wconf``), blocks (ocr_par, ocr_carea), the
    image named in ``ocr_page``'s title."""

    LINE = {"ocr_line", "ocr_header", "ocr_caption", "ocr_textfloat"}
    BLOCK = {"ocr_par", "ocr_carea"}
    VOID = {"br", "img", "meta", "link", "hr", "input", "area", "base", "col", "wbr"}

    def __init__(self) -> None:
        from html.parser import HTMLParser

        outer = self

        class _P(HTMLParser):
            def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
                outer.start(tag, dict(attrs))

            def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
                outer.start(tag, dict(attrs))
                outer.end(tag)

            def handle_endtag(self, tag: str) -> None:
                outer.end(tag)

            def handle_data(self, data: str) -> None:
                outer.data(data)

        self.parser = _P(convert_charrefs=True)
        self.stack: list[set[str]] = []
        self.blocks: list[list[list[_Token]]] = [[]]
        self.line: list[_Token] | None = None
        self.word: list[str] | None = None
        self.word_box: list[int] | None = None
        self.lines = 0
        self.confs: list[float] = []
        self.image: str | None = None
        self.size: tuple[float, float] | None = None

    def start(self, tag: str, attrs: dict[str, str | None]) -> None:
        classes = set((attrs.get("class") or "").split())
        title = attrs.get("title") or ""
        if tag in self.VOID:
            return
        self.stack.append(classes)
        if "ocr_page" in classes:
            for part in title.split(";"):
                key, _, value = part.strip().partition(" ")
                if key == "image" and self.image is None:
                    self.image = value.strip().strip('"') or None
                elif key == "bbox":
                    nums = [_number(v) for v in value.split()]
                    if len(nums) == 4 and None not in nums:
                        self.size = (nums[2] - nums[0], nums[3] - nums[1])  # type: ignore[operator]
        if classes & self.BLOCK and self.blocks[-1]:
            self.blocks.append([])
        if classes & self.LINE:
            self.line = []
            self.lines += 1
        if "ocrx_word" in classes:
            self.word = []
            self.word_box = None
            for part in title.split(";"):
                key, _, value = part.strip().partition(" ")
                if key == "bbox":  # x0 y0 x1 y1, in the page image's pixels
                    nums = [_number(v) for v in value.split()]
                    if len(nums) == 4 and None not in nums:
                        x0, y0, x1, y1 = (round(n) for n in nums)  # type: ignore[arg-type]
                        if x1 > x0 and y1 > y0:
                            self.word_box = [x0, y0, x1 - x0, y1 - y0]
                elif key == "x_wconf":
                    c = _number(value.strip())
                    if c is not None:
                        self.confs.append(c / 100.0)

    def end(self, tag: str) -> None:
        if tag in self.VOID or not self.stack:
            return
        classes = self.stack.pop()
        if "ocrx_word" in classes and self.word is not None:
            text = "".join(self.word).strip()
            if text and self.line is not None:
                self.line.extend(_Token(w, boxes=[list(self.word_box)] if self.word_box else [])
                                 for w in text.split())
            self.word = None
        if classes & self.LINE and self.line is not None:
            if self.line:
                self.blocks[-1].append(self.line)
            self.line = None

    def data(self, data: str) -> None:
        if self.word is not None:
            self.word.append(data)

    def feed(self, text: str) -> None:
        self.parser.feed(text)
        self.parser.close()


def _parse_hocr(data: bytes) -> OcrPage:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadXml(f"hOCR that is not UTF-8 ({exc})") from exc
    p = _HocrParser()
    p.feed(text)
    lines = [_Line(line) for block in p.blocks for line in block]
    for line in lines:  # hOCR keeps the hyphen (or a soft hyphen) in the word
        if line.tokens and line.tokens[-1].text.endswith(HYPHEN_MARKS):
            line.hyphen = True
            line.tokens[-1].text = line.tokens[-1].text.rstrip("".join(HYPHEN_MARKS))
    joined = _join_hyphens(lines)
    it = iter(lines)
    # the text, and the word boxes (``ocrx_word`` bbox) at their offsets, as ALTO's
    body, word_boxes = _alto_text([[next(it) for _ in block] for block in p.blocks])
    extra: dict[str, Any] = {}
    if word_boxes:
        extra["word_boxes"] = word_boxes
    if joined:
        extra["hyphenated_words_joined"] = joined
    if p.size:
        extra["page_width"], extra["page_height"] = p.size
    return OcrPage(format="hocr", schema="hocr", text=body, lines=p.lines,
                   words=len(body.split()),
                   mean_word_confidence=sum(p.confs) / len(p.confs) if p.confs else None,
                   image_ref=p.image, digest=sha256_bytes(data), extra=extra)


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
    """The bounding box of a PAGE region's ``Coords@points`` ("x,y x,y ..."); in PAGE
    before 2013 (``pagecontent/2010-03-19``, as the IMPACT ground truth and Aletheia of
    that time write it), of its ``Coords/Point@x,y`` elements."""
    for child in region:
        if _local(child.tag) != "Coords":
            continue
        xs, ys = [], []
        pairs: list[tuple[str | None, str | None]] = [
            (x, y) for x, _, y in (p.partition(",") for p in (child.get("points") or "").split())]
        if child.get("points") is None:
            pairs = [(pt.get("x"), pt.get("y")) for pt in child if _local(pt.tag) == "Point"]
        for x, y in pairs:
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


def parse_file(path: Path, *, max_bytes: int = MAX_XML_BYTES,
               max_chars: int = MAX_TEXT_CHARS) -> OcrPage:
    """An OCR file parsed (:func:`parse_bytes`); a file over ``max_bytes`` is refused
    before it is read."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise too_big(size, max_bytes)
        data = path.read_bytes()
    except OSError as exc:
        raise BadXml(f"cannot read the file: {exc}", "check the path and permissions") from exc
    return parse_bytes(data, max_bytes=max_bytes, max_chars=max_chars)


def images_by_stem(names: Iterable[str]) -> dict[str, str]:
    """stem -> file name of the images among ``names`` (the first in sorted order)."""
    from .images import IMAGE_SUFFIXES

    out: dict[str, str] = {}
    for name in sorted(names):
        p = Path(name)
        if p.suffix.lower() in IMAGE_SUFFIXES:
            out.setdefault(p.stem, name)
    return out


def linked_image(xml_path: Path, page: OcrPage, siblings: dict[str, str] | None = None,
                 root: Path | None = None) -> tuple[Path, Path] | None:
    """The page image an OCR file belongs to, if it is on disk, and the folder its
    reference was resolved against.

    Tried in order: the file name the XML gives, relative to the XML's folder and then to
    each folder above it up to ``root`` (an OCR-D workspace names images relative to the
    workspace: ``OCR-D-IMG/INPUT_0017.tif`` from ``OCR-D-GT-PAGE/``); its base name beside
    the XML; an image beside the XML with the same stem (``siblings``: :func:`images_by_stem`
    of the XML's folder, computed once per folder).

    The image must lie in ``root`` (the folder being ingested; the XML's folder when
    None): an OCR file (in an uploaded ZIP, say) naming ``/home/...`` or ``../..``
    elsewhere on the disk links no image (:func:`image_outside` says so)."""
    from .images import IMAGE_SUFFIXES

    folder = xml_path.parent
    if page.image_ref:
        ref = page.image_ref.replace("\\", "/")
        if ref.startswith("file://"):
            ref = ref[len("file://"):]
        if "://" not in ref and not ref.startswith("//"):
            bases = [folder]
            if root is not None and not Path(ref).is_absolute():
                up = folder
                stop = root.resolve()
                while up.resolve() != stop and up.parent != up:
                    up = up.parent
                    bases.append(up)
                    if up.resolve() == stop:
                        break
            inside = (root if root is not None else folder).resolve()
            for base in bases:
                candidate = Path(os.path.normpath(base / ref))
                if candidate.suffix.lower() in IMAGE_SUFFIXES and candidate.is_file() \
                        and candidate.resolve().is_relative_to(inside):
                    return candidate, base
            candidate = folder / Path(ref).name
            if candidate.suffix.lower() in IMAGE_SUFFIXES and candidate.is_file():
                return candidate, folder
    if siblings is None:
        siblings = images_by_stem(p.name for p in folder.iterdir())
    name = siblings.get(xml_path.stem)
    if name is not None and (folder / name).is_file():
        return folder / name, folder
    return None


def image_outside(xml_path: Path, page: OcrPage, root: Path) -> str | None:
    """The image reference of an OCR file when it names a local file outside ``root``
    (which :func:`linked_image` does not link), else None."""
    ref = (page.image_ref or "").replace("\\", "/").removeprefix("file://")
    if not ref or "://" in ref or ref.startswith("//"):
        return None
    target = Path(os.path.normpath(xml_path.parent / ref))
    return None if target.resolve().is_relative_to(root.resolve()) else page.image_ref


def read(source: str, options: IngestOptions) -> Iterator[Record | Problem]:
    path = Path(source)
    if is_mets(path):
        from .mets import read_mets

        yield from read_mets(path, path.parent, source, options)
    else:
        yield from read_ocr_file(path, path.parent, source, options)


def parse_ocr(path: Path, source: str, root: Path, siblings: dict[str, str] | None = None,
              options: IngestOptions | None = None
              ) -> tuple[OcrPage, tuple[Path, Path] | None] | Problem:
    """An OCR file parsed, with its linked page image (and the folder it was found from);
    ``options`` give the size limits (``max_xml_bytes``, ``max_text_chars``)."""
    options = options or IngestOptions()
    try:
        page = parse_file(path, max_bytes=options.max_xml_bytes,
                          max_chars=options.max_text_chars)
    except BadXml as exc:
        return Problem(source, str(path), exc.reason, exc.hint)
    return page, linked_image(path, page, siblings, root)


def read_ocr_file(path: Path, root: Path, source: str, options: IngestOptions,
                  siblings: dict[str, str] | None = None,
                  claimed: set[str] | None = None) -> Iterator[Record | Problem]:
    """One OCR file as one item (the linked page image when present).

    ``claimed`` collects the resolved paths of the images used, so that a folder walk
    does not make a second item of them."""
    parsed = parse_ocr(path, source, root, siblings, options)
    if isinstance(parsed, Problem):
        yield parsed
        return
    yield from ocr_records(path, parsed[0], parsed[1], root, source, options, claimed)


def ocr_records(path: Path, page: OcrPage, link: tuple[Path, Path] | None, root: Path,
                source: str, options: IngestOptions, claimed: set[str] | None = None,
                alternatives: list[str] | None = None) -> Iterator[Record | Problem]:
    from .images import BadImage, document_for, item_id_for, read_header

    meta: dict[str, Any] = {"ocr_file": path.name, **page.meta()}
    if alternatives:
        meta["ocr_alternatives"] = alternatives
    if link is None:
        if page.image_ref:
            meta["image_missing"] = page.image_ref
            outside = image_outside(path, page, root)
            if outside is not None:
                yield Problem(source, str(path), f"the page image it names, {outside!r}, is "
                              f"outside the folder ingested ({root.resolve()}) and was not "
                              "read; the page was stored as text only",
                              "put the page images in the folder you ingest (or below it), "
                              "name them relative to the OCR file, and ingest the folder",
                              left_out=False)
            else:  # its text is in; the page has no image to show, zoom or crop
                yield Problem(source, str(path), f"{path.name}: the page image it names, "
                              f"{page.image_ref!r}, is not there (looked for beside "
                              f"{path.name}); the page was stored as text only",
                              "put the page image beside the OCR file under that name and "
                              "ingest the folder again (nothing to do if the text is all "
                              "you need)", left_out=False, warning=True)
        meta["document"] = document_for(path.parent, root)
        yield Record(item_id=item_id_for(path, root), modality="text", source_kind=page.format,
                     source=source, content_hash=page.digest, uri=str(path.resolve()),
                     text=page.text, meta=meta)
        return
    image, base = link
    resolved = str(image.resolve())
    if claimed is not None:
        claimed.add(resolved)
    try:
        head = read_header(image, options, all_frames=False)
    except BadImage as exc:
        yield Problem(source, str(image), f"{exc.reason} (page image of {path.name})", exc.hint)
        return
    meta.update({"file": image.name, "format": head.format,
                 "document": document_for(base if base != path.parent else image.parent,
                                          root)})
    yield Record(item_id=item_id_for(image, root), modality="image", source_kind=page.format,
                 source=source, content_hash=sha256_bytes(f"{head.digest}:{page.digest}".encode()),
                 uri=resolved, width=head.width, height=head.height, text=page.text, meta=meta)
