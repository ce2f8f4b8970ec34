"""Exports of entity spans: JSONL, CSV for OpenRefine, W3C Web Annotations, IIIF
annotations on page regions, and WebAnno TSV 3.3 for INCEpTION.

Every writer takes an iterator of ``(item, spans, provenance)`` — predicted spans of a
run, a reviewer's corrections, or gold spans (:func:`iter_gold_rows`) — and streams it:
how the spans were fetched is not their business. Each value carries its provenance:
the model and version that found it (none for a person's), its score, when it was made,
and who confirmed it.

- ``jsonl``: one item a line, ``{"id", "text", "entities": [...], "provenance": {...}}``
  (and ``"meta": {...}``, the item metadata fields asked for), which :func:`glamlab.tasks.spans.import_spans` reads back.
- ``csv``: one row per mention (:data:`ENTITY_COLUMNS`, ending with the item's ``title``
  where it has one and the mention's ``context``, the words either side of it; ``action`` says whether the span
  is written as metadata, a person's or held by its text's complete gold spans (then
  ``confirmed_by`` names who gave them), ``accept``, or waits for review, ``review``;
  ``link_by`` is ``linker`` where a person's span keeps the linker's link (the reviewer
  corrected its type or boundaries and left the link as it was: not a record they chose); a
  span complete gold does not hold is not an entity, and left out as a rejected one is,
  whether the policy sent it to review or accepted it: on such a text the spans are the
  gold spans, those the model missed too, confirmed by who gave them, with the gold
  span's authority id where it has one (the linker's only where it has none); the JSONL entities and W3C annotations carry it too), OpenRefine-ready, written as the
  classification CSV is (:func:`glamlab.sheets.write_sheet`): UTF-8 with a byte-order
  mark for Excel (none on stdout), text cells starting with ``= + - @``, a tab or a
  carriage return get a leading ``'``, but the ids (:data:`ENTITY_ID_COLUMNS`: item,
  model version, authority record) are never altered, so they keep joining.
- ``xlsx`` and ``parquet``: the CSV's columns and rows, in an Excel workbook (every text
  cell typed as text) and a Parquet file (offsets and versions as integers, the score at
  full precision, ``created`` a UTC timestamp); both need a file.
- ``webanno``: a W3C ``AnnotationCollection``; each mention a ``tagging`` annotation whose
  body is its type (and, when linked, a ``SpecificResource`` with purpose ``identifying``
  pointing at the authority record), whose target is the item with a
  ``TextQuoteSelector`` (exact, prefix, suffix) and a ``TextPositionSelector``.
- ``iiif``: a IIIF Presentation 3 ``AnnotationPage`` (the IIIF context only; glamlab's
  fields in a ``describing`` body): each mention on the region of the page its words
  cover (ALTO ``String`` and PAGE ``Word`` boxes, kept by ingest in ``meta["word_boxes"]``), on the item's canvas
  (``meta["canvas"]``/``canvas_id``) or else its image when it is on the web. Mentions
  without word boxes, or on a local file no IIIF viewer can open, are counted as skipped.
- ``inception``: a folder with one WebAnno TSV 3.3 file per item, which INCEpTION imports
  (``Named Entity`` layer, ``value`` = type, ``identifier`` = authority id); the item
  metadata fields asked for are columns of its ``index.tsv`` (WebAnno TSV has no place
  for a document's metadata).

The W3C and IIIF annotations carry the item metadata fields asked for on their targets:
``metadata`` label/value pairs (IIIF: on the target canvas).

A text a person decided has no entities (every predicted span rejected, "Whole text
checked" with none saved, complete gold without any: :func:`_decided_empty`) is a row
without spans: the per-text formats (:data:`PER_TEXT_FORMATS`) write it, a JSONL record
with an empty ``entities`` list and a ``provenance`` naming who decided it
(``confirmed_by``, ``annotator``) and when (``created``), an INCEpTION document with no
annotation; the formats of one row or annotation per mention (csv, xlsx, parquet, W3C,
IIIF) have none for it, and :func:`export_entities` counts those texts
(``checked_without_entities``) and says in ``notes`` that they are left out and where
they are.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import quote

from ..errors import PolicyError
from ..files import open_private
from ..progress import plural
from ..sheets import risky_ids_warning, write_sheet
from ..tasks.spans.model import MAIN_LAYER, NIL, Span
from .export import (
    ANNO_CONTEXT,
    EXTENSION_CONTEXT,
    ID_COLUMNS,
    IIIF_CONTEXT,
    _slug,
    _target_source,
    base_url_fix,
    iri,
    json_text,
    metadata_pairs,
    w3c_metadata,
)
from .export import canvas_id as _canvas_id

if TYPE_CHECKING:
    from ..items import Item
    from ..workspace import Workspace

SPAN_FORMATS = ("jsonl", "csv", "xlsx", "parquet", "webanno", "iiif", "inception")
#: the ``glamlab export`` formats an entities project writes one row/record per span in
ENTITY_EXPORT_FORMATS = ("csv", "xlsx", "parquet", "jsonl", "w3c", "webanno", "iiif",
                         "inception")


def exports_spans(ws: Workspace, fmt: str) -> bool:
    """Whether ``glamlab export --format fmt`` of this project writes its spans
    (:func:`export_entities`) rather than one row per prediction."""
    return ws.card.kind == "entities" and fmt in ENTITY_EXPORT_FORMATS
ENTITY_COLUMNS = ["item_id", "type", "text", "start", "end", "authority_id", "link_by",
                  "action", "score",
                  "model", "model_version", "confirmed_by", "confirmed_from", "layer",
                  "created", "title",
                  "context"]
#: characters of the item's text either side of a mention in the ``context`` column
CONTEXT_CHARS = 60
#: never altered in the CSV (they must keep joining): the classification export's id
#: columns that an entity row has, and the authority record's id
ENTITY_ID_COLUMNS = (*(c for c in ID_COLUMNS if c in ENTITY_COLUMNS), "authority_id")
QUOTE_CONTEXT = 32  # characters of prefix and suffix in a TextQuoteSelector
_QID_RE = re.compile(r"^Q[1-9]\d*$")
_ENTITY_CONTEXT: dict[str, Any] = {**EXTENSION_CONTEXT,
                                   "identifiedBy": {"@id": "glamlab:identifiedBy"},
                                   # a span's layer other than the main one (nested...)
                                   "layer": {"@id": "glamlab:layer"}}


@dataclass
class SpanProvenance:
    """Where one item's spans come from. ``model``/``model_version`` name the model that
    found them (None for a person's or an import's); ``annotator`` the person or file
    that gave them; ``confirmed_by`` the person who confirmed them (empty until then);
    ``confirmed_from`` where that came from, in the classification export's words
    (:func:`glamlab.actions.export.decision_source`: ``web queue``, ``JSON API``...), or
    ``import of NAME`` for gold spans imported from a file
    (:func:`glamlab.actions.export.gold_span_source`); None where nothing is kept."""

    model: str | None = None
    model_version: int | None = None
    created: datetime | str | None = None
    confirmed_by: str | None = None
    annotator: str | None = None
    run_id: int | None = None
    confirmed_from: str | None = None

    @property
    def created_iso(self) -> str | None:
        if isinstance(self.created, datetime):
            return self.created.isoformat(timespec="seconds") + (
                "Z" if self.created.tzinfo is None else "")
        return self.created

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "model_version": self.model_version,
                "created": self.created_iso, "confirmed_by": self.confirmed_by,
                "confirmed_from": self.confirmed_from,
                "annotator": self.annotator, "run_id": self.run_id}


Row = tuple["Item", Sequence[Span], SpanProvenance]


def _layer(spans: Sequence[Span], layers: Sequence[str] | None) -> list[Span]:
    return [s for s in spans if layers is None or s.layer in layers]


def _action(s: Span) -> str | None:
    """What the policy, a person or the text's complete gold spans made of a predicted
    span: ``accept`` (written as metadata, a person's, or held by the gold) or ``review``
    (waiting for a person); None for gold."""
    action = s.attrs.get("action")
    return str(action) if action else None


def _link_by(s: Span) -> dict[str, Any]:
    """``{"link_by": "linker"}`` for a person's span whose link is the linker's (the
    reviewer corrected its type or boundaries and left the link as it was), else {}."""
    by = (s.attrs or {}).get("link_by")
    return {"link_by": by} if by and s.authority_id else {}


def _link_attrs(s: Span) -> dict[str, Any]:
    """What an export writes of a span's link besides its id: :func:`_link_by`, and the
    linker's score of the link (``link_score``) where the span keeps one (a gold span
    imported from an export says so), for a span with a link only."""
    score = (s.attrs or {}).get("link_score")
    return {**_link_by(s), **({"link_score": score}
                               if score is not None and s.authority_id else {})}


def _entity_dict(s: Span) -> dict[str, Any]:
    """A span as a JSON entity: its action next to its type, its other attributes
    (the link score) under ``attrs``."""
    out = s.to_dict()
    attrs = {k: v for k, v in (out.pop("attrs", None) or {}).items() if k != "action"}
    if attrs:
        out["attrs"] = attrs
    if _action(s):
        out["action"] = _action(s)
    return out


def authority_uri(authority_id: str) -> str:
    """A URI for an authority id no record of the project's authority file gives one for
    (:func:`project_authority_uris`): itself when it is one, Wikidata's for a QID (the
    ids of a HIPE file, which are Wikidata's), else a URN."""
    if "://" in authority_id or authority_id.startswith("urn:"):
        return authority_id
    if _QID_RE.match(authority_id):
        return f"http://www.wikidata.org/entity/{authority_id}"
    return f"urn:glamlab:authority:{authority_id}"


#: the most authority records :func:`project_authority_uris` reads in one query (their ids
#: and URIs: tens of MB at most); a larger file's are looked up an id at a time
AUTHORITY_URIS_AT_ONCE = 200_000


def project_authority_uris(ws: Workspace) -> Callable[[str], str]:
    """The URI the W3C and IIIF annotations point at for an authority id of ``ws``'s
    spans: a record the project's authority file has (``glamlab authority import``) is
    the file's, so its ``uri`` where the file gives one (a web address or a URN), else a
    URN of its id (itself when the id is a URI). A Wikidata address is guessed from an id
    shaped like a QID only where every record of the file is one and none gives a
    ``uri`` (a Wikidata extract without its addresses): a local file's own numbering
    (``Q2`` beside ``lyon-1``) may look the same. An id no record has:
    :func:`authority_uri`. The file's ids and URIs are read in one query when it has at
    most :data:`AUTHORITY_URIS_AT_ONCE` records; a larger file's are looked up an id at a
    time, each once."""
    import sqlalchemy as sa

    t = ws.store.t.authorities
    with ws.store.read() as conn:
        records = conn.execute(sa.select(sa.func.count()).select_from(t)).scalar() or 0
    if not records:
        return authority_uri
    # record id -> its uri ("" none given): every record at once, else looked up id by id
    given_uris: dict[str, str] | None = None
    with ws.store.read() as conn:
        if records <= AUTHORITY_URIS_AT_ONCE:
            uris = {r.record_id: r.uri for r in conn.execute(sa.select(t.c.record_id, t.c.uri))}
            given_uris = {rid: (u or "").strip() for rid, u in uris.items()}
            # a Wikidata extract: every id a QID, no uri given
            wikidata = all(u is None or u == "" for u in uris.values()) and all(
                _QID_RE.match(rid) for rid in uris)
        else:
            wikidata = conn.execute(sa.select(t.c.id).where(t.c.uri.isnot(None), t.c.uri != "")
                                    .limit(1)).first() is None and all(
                _QID_RE.match(rid) for rid in conn.execute(sa.select(t.c.record_id)).scalars())
    known: dict[str, str] = {}

    def record_uri(authority_id: str) -> str | None:
        """The uri the record gives ("" none), None when no record has the id."""
        if given_uris is not None:
            return given_uris.get(authority_id)
        with ws.store.read() as conn:
            row = conn.execute(sa.select(t.c.uri).where(t.c.record_id == authority_id)).first()
        return None if row is None else (row.uri or "").strip()

    def uri(authority_id: str) -> str:
        if authority_id not in known:
            given = record_uri(authority_id)
            if given is None:
                known[authority_id] = authority_uri(authority_id)
            elif "://" in given or given.startswith("urn:"):
                known[authority_id] = given
            elif "://" in authority_id or authority_id.startswith("urn:") or wikidata:
                known[authority_id] = authority_uri(authority_id)
            else:
                known[authority_id] = f"urn:glamlab:authority:{authority_id}"
        return known[authority_id]

    return uri


def _by_item(rows: Iterable[Row]) -> Iterator[tuple[Item, list[tuple[Span, SpanProvenance]],
                                                     list[SpanProvenance]]]:
    """Consecutive rows of one item (an item's rows come together: one per reviewer who
    confirmed some of its spans, and one of the spans nobody confirmed) as one group:
    the item, each span with its row's provenance, and every row's provenance (a row
    may have no span: a text a person checked and found none in)."""
    item: Item | None = None
    spans: list[tuple[Span, SpanProvenance]] = []
    provs: list[SpanProvenance] = []
    for it, found, prov in rows:
        if item is not None and it.item_id != item.item_id:
            yield item, spans, provs
            spans, provs = [], []
        item = it
        spans.extend((s, prov) for s in found)
        provs.append(prov)
    if item is not None:
        yield item, spans, provs


# -- JSONL --------------------------------------------------------------------------
def write_spans_jsonl(rows: Iterable[Row], out: IO[str], *, include_text: bool = True,
                      layers: Sequence[str] | None = (MAIN_LAYER,),
                      meta: Sequence[str] = ()) -> int:
    """One JSON object per item (its rows merged); returns the number of items written.
    ``provenance`` is the item's model's (or its only row's); an entity confirmed by
    someone else, or made by a person, carries its own ``provenance``. ``meta``: item
    metadata fields given in a ``meta`` object (null where the item has none), as the
    CSV's columns; the JSONL import reads them back as the item's metadata."""
    n = 0
    for item, found, rows_provs in _by_item(rows):
        text = item.text or ""
        # its spans' provenances; an item without spans, its rows' (who checked a gold
        # text and found no entity in it)
        provs = [p for _, p in found] or rows_provs or [SpanProvenance()]
        main = next((p for p in provs if p.model and not p.confirmed_by), provs[0])
        obj: dict[str, Any] = {"id": item.item_id}
        if include_text:
            obj["text"] = item.text
        entities = []
        for s, p in sorted(found, key=lambda f: (f[0].start, f[0].end)):
            if layers is not None and s.layer not in layers:
                continue
            entity = {**_entity_dict(s), "text": text[s.start:s.end]}
            if p is not main and p.to_dict() != main.to_dict():
                entity["provenance"] = p.to_dict()
            entities.append(entity)
        obj["entities"] = entities
        obj["provenance"] = main.to_dict()
        if meta:
            obj["meta"] = {str(f): item.meta.get(str(f)) for f in meta}
        out.write(json_text(obj) + "\n")
        n += 1
    return n


# -- CSV ------------------------------------------------------------------------------
def csv_meta_columns(meta: Sequence[str]) -> list[tuple[str, str]]:
    """(column, metadata field) of the item metadata fields ``meta`` added to the entity
    CSV after :data:`ENTITY_COLUMNS`; a field named like one of them, ignoring case, is
    given as ``meta_FIELD`` (as in the classification export: :func:`.export.meta_columns`)."""
    from .export import meta_columns

    return meta_columns(meta, ENTITY_COLUMNS)


def mention_context(text: str, start: int, end: int, width: int = CONTEXT_CHARS) -> str:
    """The mention ``text[start:end]`` in brackets with up to ``width`` characters of the
    text either side (``…`` where the text goes on), white space run together: what a
    person reads to tell which Paris or which Dupont a row means."""
    a, b = max(0, start - width), min(len(text), end + width)
    words = (("…" if a > 0 else "") + text[a:start] + "[" + text[start:end] + "]"
             + text[end:b] + ("…" if b < len(text) else ""))
    return " ".join(words.split())


def _entity_cells(rows: Iterable[Row], layers: Sequence[str] | None,
                  extra: Sequence[tuple[str, str]]) -> Iterator[list[Any]]:
    """One list of cells per mention: :data:`ENTITY_COLUMNS` (the item's title, where it
    has one, and the words around the mention last), then the metadata fields of
    ``extra`` (the rows of the CSV, the xlsx and the Parquet file alike)."""
    for item, spans, prov in rows:
        text = item.text or ""
        title = item.title
        details = [item.meta.get(f) for _, f in extra]
        for s in _layer(spans, layers):
            yield [item.item_id, s.label, text[s.start:s.end], s.start, s.end,
                   s.authority_id, _link_by(s).get("link_by"), _action(s), s.score,
                   prov.model, prov.model_version, prov.confirmed_by,
                   prov.confirmed_from, s.layer,
                   prov.created_iso, title, mention_context(text, s.start, s.end),
                   *details]


_SCORE = ENTITY_COLUMNS.index("score")


def write_entities_csv(rows: Iterable[Row], out: IO[Any], *, bom: bool = True,
                       layers: Sequence[str] | None = (MAIN_LAYER,),
                       report: dict[str, Any] | None = None,
                       meta: Sequence[str] = (), fmt: str = "csv") -> int:
    """One row per mention (:data:`ENTITY_COLUMNS`, then the item's metadata fields
    ``meta``: the newspaper's title, the date... to join the rows with the catalogue);
    returns the number of rows. Written as the classification CSV is
    (:func:`glamlab.sheets.write_sheet`): a BOM unless ``bom=False``, formula-safe text
    cells, the id columns (:data:`ENTITY_ID_COLUMNS`) never altered. ``fmt="xlsx"``:
    the same columns in an Excel workbook (``out`` a binary handle), every text cell
    typed as text. ``report`` gets ``risky_ids``: ids written as they are that a
    spreadsheet would evaluate."""
    extra = csv_meta_columns(meta)

    def cells() -> Iterator[list[Any]]:
        for row in _entity_cells(rows, layers, extra):
            score = row[_SCORE]
            row[_SCORE] = None if score is None else round(score, 6)
            yield row

    done = write_sheet(out, [*ENTITY_COLUMNS, *(c for c, _ in extra)], cells(), fmt=fmt,
                       id_columns=ENTITY_ID_COLUMNS, bom=bom, title="entities")
    if report is not None:
        report["risky_ids"] = done.risky_ids
        report["number_like_ids"] = done.number_like_ids
    return done.rows


def write_entities_parquet(rows: Iterable[Row], out: IO[bytes] | Path, *,
                           layers: Sequence[str] | None = (MAIN_LAYER,),
                           meta: Sequence[str] = (), group_size: int = 5000) -> int:
    """The CSV's rows (:data:`ENTITY_COLUMNS`, then the metadata fields ``meta`` as text)
    as Parquet, for data tools: offsets and model version as integers, the score at full
    precision, ``created`` a UTC timestamp; returns the number of rows."""
    import pyarrow as pa

    from .export import _text_cell, _timestamp, write_parquet_rows

    extra = csv_meta_columns(meta)
    types = {"start": pa.int64(), "end": pa.int64(), "score": pa.float64(),
             "model_version": pa.int64(), "created": pa.timestamp("ms", tz="UTC")}
    names = [*ENTITY_COLUMNS, *(c for c, _ in extra)]
    schema = pa.schema([(c, types.get(c, pa.string())) for c in names])

    def table_rows() -> Iterator[dict[str, Any]]:
        for cells in _entity_cells(rows, layers, extra):
            row = dict(zip(names, cells, strict=True))
            row["created"] = _timestamp(row["created"], "created", str(row["item_id"]))
            for c, _ in extra:
                row[c] = _text_cell(row[c])
            yield row

    return write_parquet_rows(table_rows(), out, schema, group_size)


# -- W3C Web Annotations ----------------------------------------------------------------
def _bodies(s: Span, uris: Callable[[str], str] = authority_uri) -> list[dict[str, Any]]:
    bodies: list[dict[str, Any]] = [{"type": "TextualBody", "value": s.label,
                                     "purpose": "tagging", "format": "text/plain"}]
    if s.authority_id and s.authority_id != NIL:
        body: dict[str, Any] = {"type": "SpecificResource", "source": uris(s.authority_id),
                                "purpose": "identifying"}
        if _link_by(s):  # the linker's link on a person's span: the linker made it
            body["generator"] = {"id": "urn:glamlab:linker", "type": "Software",
                                 "name": "glamlab link"}
        bodies.append(body)
    return bodies


def _provenance(s: Span, prov: SpanProvenance) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if prov.model:
        name = f"{prov.model}@{prov.model_version}" if prov.model_version else prov.model
        out["generator"] = {"id": f"urn:glamlab:model:{_slug(name)}", "type": "Software",
                            "name": f"glamlab model {name}"}
    elif prov.annotator:
        out["creator"] = {"type": "Person", "nickname": prov.annotator}
    if prov.created_iso:
        out["created"] = prov.created_iso
    if s.score is not None:
        out["confidence"] = round(s.score, 6)
    if _action(s):
        out["action"] = _action(s)
    if prov.confirmed_by:
        out["confirmedBy"] = prov.confirmed_by
    if prov.confirmed_from:  # where that came from (the classification export's words)
        out["confirmedFrom"] = prov.confirmed_from
    return out


def _anno_id(base: str, item: Item, s: Span) -> str:
    """The annotation's id: the item id, the offsets and the type (and a layer other than
    the main one), each exactly, percent-encoded as an IRI holds them (an id of ASCII
    letters, digits and ``-._~`` as it is): no two mentions share one."""
    layer = "" if s.layer == MAIN_LAYER else f"-{quote(s.layer, safe='')}"
    return (f"{base}{quote(item.item_id, safe='')}-{s.start}-{s.end}-"
            f"{quote(s.label, safe='')}{layer}")


def text_selectors(text: str, s: Span, context: int = QUOTE_CONTEXT) -> list[dict[str, Any]]:
    """A ``TextQuoteSelector`` (exact, prefix, suffix) and a ``TextPositionSelector`` (start,
    end: Unicode code points, as W3C defines them) for a span of ``text``."""
    return [{"type": "TextQuoteSelector", "exact": text[s.start:s.end],
             "prefix": text[max(0, s.start - context):s.start],
             "suffix": text[s.end:s.end + context]},
            {"type": "TextPositionSelector", "start": s.start, "end": s.end}]


def web_annotation(item: Item, s: Span, prov: SpanProvenance, base: str,
                   meta: Sequence[str] = (),
                   uris: Callable[[str], str] = authority_uri) -> dict[str, Any]:
    """One mention as a W3C annotation; ``meta``: the item metadata fields its target
    carries as ``metadata`` {label, value} pairs (as the classification export's). A
    span of another layer than the main one says so in ``layer``. ``uris``: the URI of
    an authority id (:func:`project_authority_uris`)."""
    target: dict[str, Any] = {"source": _target_source(item),
                              "selector": text_selectors(item.text or "", s)}
    pairs = w3c_metadata(item, meta)
    if pairs:
        target["metadata"] = pairs
    anno = {"id": _anno_id(base, item, s), "type": "Annotation", "motivation": "tagging",
            "body": _bodies(s, uris), "target": target, **_provenance(s, prov)}
    if s.layer != MAIN_LAYER:  # a nested or metonymic entity, say
        anno["layer"] = s.layer
    return anno


def write_span_web_annotations(rows: Iterable[Row], out: IO[str], *, base: str,
                               label: str = "glamlab entities",
                               layers: Sequence[str] | None = (MAIN_LAYER,),
                               meta: Sequence[str] = (),
                               uris: Callable[[str], str] = authority_uri) -> int:
    """A W3C ``AnnotationCollection`` whose first page holds every mention, streamed;
    ``meta``: the item metadata fields each target carries, ``uris`` the URI of an
    authority id (:func:`web_annotation`)."""
    head = {"@context": [ANNO_CONTEXT, _ENTITY_CONTEXT], "id": f"{base}collection",
            "type": "AnnotationCollection", "label": label}
    text = json.dumps(head, ensure_ascii=False)
    out.write(text[:-1] + ', "first": {"id": ' + json.dumps(f"{base}page1")
              + ', "type": "AnnotationPage", "startIndex": 0, "items": [')
    n = 0
    for item, spans, prov in rows:
        for s in _layer(spans, layers):
            out.write((",\n" if n else "\n")
                      + json_text(web_annotation(item, s, prov, base, meta, uris)))
            n += 1
    out.write(f"\n]}}, \"total\": {n}}}\n")
    return n


# -- IIIF -----------------------------------------------------------------------------
def word_boxes(item: Item) -> list[tuple[int, int, float, float, float, float]]:
    """The item's OCR word boxes ``(start, end, x, y, w, h)`` in the XML's units."""
    flat = item.meta.get("word_boxes") or []
    if not isinstance(flat, list) or len(flat) % 6:
        return []
    return [tuple(flat[i:i + 6]) for i in range(0, len(flat), 6)]  # type: ignore[misc]


def _in_pixels(item: Item) -> bool:
    """Whether the item's OCR measures in pixels (ALTO ``MeasurementUnit`` ``pixel``, or
    none given), not in ``mm10`` or ``inch1200``."""
    unit = item.meta.get("measurement_unit")
    return not isinstance(unit, str) or unit.strip().lower() in ("", "pixel", "px")


def region_scale(item: Item) -> tuple[float, float] | None:
    """The factors from the item's OCR units to its image's pixels: the image's size over
    the OCR page's size when both are known; 1 when the OCR measures in pixels and one of
    them is not known; None when it measures in ``mm10`` or ``inch1200`` and a size is
    missing (a METS page whose image is on the web: its size is not known until it is
    fetched), so that its word boxes cannot be given in pixels."""
    pw, ph = item.meta.get("page_width"), item.meta.get("page_height")
    if item.width and item.height and pw and ph:
        return item.width / float(pw), item.height / float(ph)
    if _in_pixels(item):
        return 1.0, 1.0
    return None


def unplaceable(item: Item, s: Span) -> bool:
    """Whether the span's words have boxes that cannot be put in pixels
    (:func:`region_scale` is None)."""
    return region_scale(item) is None and any(
        b[0] < s.end and b[1] > s.start for b in word_boxes(item))


def span_regions(item: Item, s: Span,
                 boxes: Sequence[tuple[int, int, float, float, float, float]] | None = None,
                 ) -> list[tuple[int, int, int, int]]:
    """The page regions (``x, y, w, h`` in canvas pixels) a span's words cover: one box
    per text line (words whose boxes share a line; a word hyphenated across two lines has
    a box on each), scaled from the XML's units to the
    item's image size when both are known. Empty when the XML measures in ``mm10`` or
    ``inch1200`` and the image's or the page's size is not known
    (:func:`region_scale`): no region rather than one in the wrong units."""
    boxes = word_boxes(item) if boxes is None else boxes
    hit = [b for b in boxes if b[0] < s.end and b[1] > s.start]
    if not hit:
        return []
    scale = region_scale(item)
    if scale is None:
        return []
    sx, sy = scale
    text = item.text or ""
    lines: list[list[tuple[int, int, float, float, float, float]]] = []
    for b in hit:
        last = lines[-1][-1] if lines else None
        # same line: no line break between the words and their boxes overlap vertically
        # (the two halves of a word hyphenated across lines share their offsets)
        if last is not None and "\n" not in text[last[1]:b[0]] and \
                b[3] < last[3] + last[5] and last[3] < b[3] + b[5]:
            lines[-1].append(b)
        else:
            lines.append([b])
    out = []
    for line in lines:
        x0 = min(b[2] for b in line)
        y0 = min(b[3] for b in line)
        x1 = max(b[2] + b[4] for b in line)
        y1 = max(b[3] + b[5] for b in line)
        box = on_page(item, (round(x0 * sx), round(y0 * sy), max(1, round((x1 - x0) * sx)),
                             max(1, round((y1 - y0) * sy))))
        if box is not None:
            out.append(box)
    return out


def on_page(item: Item, box: tuple[int, int, int, int]) -> tuple[int, int, int, int] | None:
    """A region ``x, y, w, h`` cut to the item's page (its canvas, or its image: the
    item's width and height, when known): an OCR word box reaching past the page's edge
    (a word at the margin, a box drawn loose) is clipped, since a viewer draws a region
    off its canvas nowhere or somewhere else; None for one wholly off it."""
    x, y, w, h = box
    if not (item.width and item.height):
        return box
    x0, y0 = max(0, x), max(0, y)
    x1, y1 = min(int(item.width), x + w), min(int(item.height), y + h)
    if x1 <= x0 or y1 <= y0:
        return None
    return (x0, y0, x1 - x0, y1 - y0)


def off_page(item: Item, s: Span) -> bool:
    """Whether the span's words have boxes in pixels but every one of them lies off the
    item's page (:func:`on_page`): OCR of another page size, or a page image of another
    size than the OCR measured."""
    hit = any(b[0] < s.end and b[1] > s.start for b in word_boxes(item))
    return hit and region_scale(item) is not None and not span_regions(item, s)


def _iiif_provenance(s: Span, prov: SpanProvenance) -> dict[str, Any]:
    """glamlab's own fields of a mention (its score, the policy's action, who confirmed it,
    the model and version, its span layer other than the main one) as IIIF keeps them: a ``TextualBody`` with purpose
    ``describing`` whose value is a small JSON object, as the classification pages give
    theirs (the IIIF context has no terms for them). Empty: nothing to say."""
    fields = {"confidence": None if s.score is None else round(s.score, 6),
              "action": _action(s), "confirmed_by": prov.confirmed_by or None,
              "confirmed_from": prov.confirmed_from or None,
              "model": prov.model, "model_version": prov.model_version,
              "layer": None if s.layer == MAIN_LAYER else s.layer}
    fields = {k: v for k, v in fields.items() if v is not None}
    if not fields:
        return {}
    return {"type": "TextualBody", "value": json.dumps(fields, ensure_ascii=False),
            "format": "application/json", "purpose": "describing"}


def iiif_canvas(item: Item, mint: str | None = None) -> str | None:
    """What a mention's IIIF annotation targets: the item's canvas (``meta["canvas"]``,
    ``canvas_id``...), else its page image when that is on the web (an HTTP(S) URI).
    A page image on this computer (an ALTO page ingested beside its image) has no canvas
    of its own: with ``mint`` (an HTTP(S) base the annotations are published under) it
    gets ``{mint}canvas/{item id}``, a canvas of the manifest written beside the
    annotations (:func:`local_page_manifest`); without, None (the mention is left out)."""
    canvas = _canvas_id(item)
    if canvas is None and item.uri and item.uri.startswith(("http://", "https://")):
        canvas = item.uri
    if canvas and canvas.startswith(("http://", "https://")):
        return iri(canvas)
    if canvas is None and mint and item.uri and item.modality == "image":
        return minted_canvas(item, mint)
    return None


def minted_canvas(item: Item, base: str) -> str:
    """The canvas id a local page image gets under ``base`` (:func:`iiif_canvas`)."""
    return f"{base}canvas/{quote(item.item_id, safe='')}"


_IMAGE_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png",
                ".tif": "image/tiff", ".tiff": "image/tiff", ".jp2": "image/jp2",
                ".webp": "image/webp", ".gif": "image/gif"}


def published_image(item: Item) -> str:
    """Where a local page image is to be published under ``{base}images/``
    (:func:`local_page_manifest`): the item id with the file's extension. For a file
    ingested from a folder the id is its path relative to that folder, without the
    extension, so ``vol1/0001.jpg`` and ``vol2/0001.jpg`` stay apart; a page of a
    multi-page file (TIFF, PDF) has ``#pN`` (N from 1) after the file's path
    (``vol1/scan#p2.tif``: that page alone, as its own image)."""
    name = item.item_id
    pages = (item.meta or {}).get("pages")
    if item.page is not None and isinstance(pages, int) and pages > 1 and \
            not name.endswith(f"#p{item.page + 1}"):
        name += f"#p{item.page + 1}"
    return name + (Path(item.uri).suffix if item.uri else "")


def _url_path(path: str) -> str:
    """``path`` in a URL: each part percent-encoded (``#`` is ``%23``), ``.``/``..``
    kept from walking up."""
    return "/".join(part.replace(".", "%2E") if part in (".", "..") else quote(part, safe="")
                    for part in path.split("/"))


def local_page_manifest(items: Sequence[Item], base: str, label: str,
                        annotations: str) -> dict[str, Any]:
    """A IIIF Presentation 3 manifest of local page images (:func:`minted_canvas`): one
    canvas each, painted with the image at ``{base}images/{path}``, ``path`` the item id
    with the file's extension (:func:`published_image`; publish the page images there,
    as JPEG or PNG for a browser, or give each canvas your image server's address), and
    the entity annotations page ``annotations`` attached.

    Raises :class:`~glamlab.errors.PolicyError` when two pages would be published
    under one path (ids that differ only by an extension)."""
    canvases = []
    seen: dict[str, str] = {}
    for item in items:
        canvas = minted_canvas(item, base)
        name = published_image(item)
        if name in seen:
            raise PolicyError(
                f"items {seen[name]!r} and {item.item_id!r} would both be published as "
                f"images/{name}; the manifest would show one image for both",
                item=item.item_id,
                hint="give the page images ids that differ by more than an extension "
                     "(ingest them from a folder), or give each canvas your image "
                     "server's address")
        seen[name] = item.item_id
        size = {"width": int(item.width or 0), "height": int(item.height or 0)}
        canvases.append({
            "id": canvas, "type": "Canvas", "label": {"none": [item.item_id]}, **size,
            "items": [{"id": f"{canvas}/paint", "type": "AnnotationPage", "items": [{
                "id": f"{canvas}/paint/image", "type": "Annotation",
                "motivation": "painting", "target": canvas,
                "body": {"id": f"{base}images/{_url_path(name)}", "type": "Image",
                         "format": _IMAGE_TYPES.get(Path(name).suffix.lower(),
                                                    "image/jpeg"), **size}}]}],
            "annotations": [{"id": annotations, "type": "AnnotationPage"}]})
    return {"@context": IIIF_CONTEXT, "id": f"{base}manifest", "type": "Manifest",
            "label": {"none": [label]}, "items": canvases}


def iiif_span_annotation(item: Item, s: Span, prov: SpanProvenance, base: str,
                         canvas: str, meta: Sequence[str] = (),
                         uris: Callable[[str], str] = authority_uri) -> dict[str, Any] | None:
    """One mention on the page regions its words cover, as IIIF Presentation 3 wants it:
    ``motivation`` ``tagging``, the type (and the authority record, purpose
    ``identifying``) as bodies, glamlab's fields a ``describing`` body
    (:func:`_iiif_provenance`), the model the W3C ``generator`` (a person the
    ``creator``). ``uris``: the URI of an authority id (:func:`project_authority_uris`).
    ``meta``: item metadata fields given as the target canvas's IIIF
    ``metadata`` label/value pairs; the target is then a ``SpecificResource`` (the
    canvas, with its metadata, and a ``FragmentSelector``) rather than the
    ``canvas#xywh=`` URI, which has no place for them."""
    from .export_iiif import metadata_v3

    regions = span_regions(item, s)
    if not regions:
        return None
    pairs = metadata_pairs(item, meta)
    targets: list[Any]
    if pairs:
        canvas_ref = {"id": canvas, "type": "Canvas", "metadata": metadata_v3(pairs)}
        targets = [{"type": "SpecificResource", "source": canvas_ref,
                    "selector": {"type": "FragmentSelector",
                                 "conformsTo": "http://www.w3.org/TR/media-frags/",
                                 "value": f"xywh={x},{y},{w},{h}"}}
                   for x, y, w, h in regions]
    else:
        targets = [f"{canvas}#xywh={x},{y},{w},{h}" for x, y, w, h in regions]
    text = item.text or ""
    bodies = _bodies(s, uris)
    describing = _iiif_provenance(s, prov)
    if describing:
        bodies.append(describing)
    who = {k: v for k, v in _provenance(s, prov).items()
           if k in ("generator", "creator", "created")}
    return {"id": _anno_id(base, item, s), "type": "Annotation", "motivation": "tagging",
            "label": {"none": [f"{s.label}: {text[s.start:s.end]}"]},
            "body": bodies, "target": targets[0] if len(targets) == 1 else targets, **who}


def write_span_iiif(rows: Iterable[Row], out: IO[str], *, base: str,
                    label: str = "glamlab entities",
                    layers: Sequence[str] | None = (MAIN_LAYER,),
                    meta: Sequence[str] = (),
                    report: dict[str, Any] | None = None,
                    mint: bool = False,
                    uris: Callable[[str], str] = authority_uri) -> tuple[int, int]:
    """A IIIF Presentation 3 ``AnnotationPage`` of the mentions on their page regions,
    streamed. Returns (annotations written, mentions skipped for want of word boxes).
    ``meta``: the item metadata fields each target canvas carries
    (:func:`iiif_span_annotation`). ``report`` gets ``skipped_without_canvas``: mentions
    placed on a page that has no IIIF canvas nor a web address (:func:`iiif_canvas`),
    left out too. ``mint``: local page images get canvases under ``base``
    (:func:`iiif_canvas`); ``report["minted"]`` lists their items, for the manifest
    (:func:`local_page_manifest`)."""
    if not base.startswith(("http://", "https://")):
        raise PolicyError(f"IIIF annotation ids must be HTTP(S) URIs; the base {base!r} is not",
                          hint=base_url_fix())
    # the IIIF context only: glamlab's own fields ride in a describing body
    # (:func:`_iiif_provenance`), so no extension context is needed (an inline one, as
    # before, is refused by iiif-prezi3 and the validator: a context must be URIs)
    head = {"@context": IIIF_CONTEXT, "id": f"{base}page",
            "type": "AnnotationPage", "label": {"en": [label]}}
    text = json.dumps(head, ensure_ascii=False)
    out.write(text[:-1] + ', "items": [')
    n = skipped = no_canvas = no_image = no_scale = off = 0
    minted: dict[str, Item] = {}
    for item, spans, prov in rows:
        canvas = iiif_canvas(item, base if mint else None)
        placed = False
        for s in _layer(spans, layers):
            anno = None if canvas is None else iiif_span_annotation(item, s, prov, base,
                                                                    canvas, meta, uris)
            if anno is None:
                if canvas is None and span_regions(item, s):
                    if item.modality == "image":
                        no_canvas += 1
                    else:  # ALTO read without its page image: nothing to draw on
                        no_image += 1
                elif unplaceable(item, s):
                    no_scale += 1
                elif canvas is not None and off_page(item, s):
                    off += 1
                else:
                    skipped += 1
                continue
            out.write((",\n" if n else "\n") + json_text(anno))
            n += 1
            placed = True
        if placed and canvas is not None and _canvas_id(item) is None and \
                not (item.uri or "").startswith(("http://", "https://")):
            minted.setdefault(item.item_id, item)
    out.write("\n]}\n")
    if report is not None:
        report["skipped_without_canvas"] = no_canvas
        report["skipped_without_image"] = no_image
        report["skipped_without_image_size"] = no_scale
        report["skipped_off_page"] = off
        report["minted"] = list(minted.values())
    return n, skipped


#: the ``source_kind`` of OCR read with its word positions on a page (ALTO, PAGE, hOCR)
OCR_PAGE_KINDS = ("alto", "page", "hocr")


def iiif_offered(ws: Workspace) -> bool:
    """Whether the IIIF annotations download applies to this project: an entities
    project with a page to place mentions on (an item with an image, or OCR read with
    its word positions: the download then says what its pages need). A project of plain
    texts has none: the W3C Web Annotations are for it. One look-up that stops at the
    first."""
    import sqlalchemy as sa

    if not exports_spans(ws, "iiif"):
        return False
    if ws.card.modality == "image":
        return True
    t = ws.store.t.items
    return ws.any_current("image or OCR page", sa.or_(t.c.modality == "image",
                                                      t.c.source_kind.in_(OCR_PAGE_KINDS)))


OFF_PAGE_WHY = ("their word boxes lie wholly off the page (outside its canvas or image "
                "size): the OCR was made on a page of another size than the image or "
                "canvas it was brought in with")
OFF_PAGE_FIX = "upload each page image again with the OCR made from that same image"


def iiif_nothing_placed(res: dict[str, Any], *, web: bool = False) -> str | None:
    """The warning of a IIIF export that placed no mention at all on a page (None when
    it placed some, or there were none): why, and what works (in the web app's words
    with ``web``). ``res["empty"]`` is set."""
    boxes = int(res.get("skipped_without_word_boxes") or 0)
    canvas = int(res.get("skipped_without_canvas") or 0)
    image = int(res.get("skipped_without_image") or 0)
    size = int(res.get("skipped_without_image_size") or 0)
    off = int(res.get("skipped_off_page") or 0)
    if res.get("annotations") or not (boxes or canvas or image or size or off):
        return None
    res["empty"] = True
    why, fixes = [], []
    if canvas:
        why.append(f"{canvas:,} {plural(canvas, 'mention is', 'mentions are')} on page images "
                   "on this computer, which have no IIIF canvas")
        fixes.append(
            "ask the person who set up this project to set the address the annotations "
            "will be published at (the export base_url): the pages then get canvases "
            "there, in a manifest beside the annotations" if web else
            "give --base-url https://YOUR.SITE/PATH/ (or set [export] base_url): pages on "
            "this computer then get canvases under it, in a manifest written beside the "
            "annotations (OUT.manifest.json; publish the page images at BASE/images/)")
    if image:
        why.append(f"{image:,} {plural(image, 'mention is', 'mentions are')} in ALTO files "
                   "read without their page image")
    if boxes:
        why.append(f"{boxes:,} {plural(boxes, 'mention is', 'mentions are')} in texts with no "
                   "word positions on a page image (plain text, or OCR without ALTO word "
                   "boxes)")
    if size:
        why.append(f"{size:,} {plural(size, 'mention is', 'mentions are')} in ALTO measured "
                   "in mm10 or inch1200 on a page whose image size is not known (an image "
                   "on the web), so its place in pixels cannot be worked out")
        fixes.append("upload the page images with their ALTO files (Items page)" if web else
                     "ingest the page images as files (beside the METS or the ALTO), or "
                     "OCR them with word boxes in pixels")
    if off:
        why.append(f"{off:,} {plural(off, 'mention is', 'mentions are')} in ALTO whose "
                   + OFF_PAGE_WHY.removeprefix("their "))
        fixes.append(OFF_PAGE_FIX)
    if image or boxes:
        fixes.append("upload the page images as a .zip with each page's ALTO XML file beside "
                     "its image (Items page)" if web else
                     "ingest each page image with its ALTO XML file beside it")
    fixes.append("the spreadsheet (CSV), JSON lines and W3C Web Annotations downloads have "
                 "every mention" if web
                 else "or export --format w3c, which needs no page image")
    return ("the IIIF annotations hold no mention: " + "; ".join(why) + ". To place them, "
            + "; ".join(fixes) + ".")


def iiif_left_out_web(res: dict[str, Any]) -> list[str]:
    """What the IIIF annotations download (``export_entities(ws, "iiif", ...)``'s result
    ``res``) left out, in the web app's words: how many mentions, why (no word positions
    on a page image; a page with no IIIF canvas nor web address) and what to do there
    (no commands). Empty when every mention was placed."""
    total = int(res.get("annotations") or 0)
    boxes = int(res.get("skipped_without_word_boxes") or 0)
    canvas = int(res.get("skipped_without_canvas") or 0)
    image = int(res.get("skipped_without_image") or 0)
    size = int(res.get("skipped_without_image_size") or 0)
    off = int(res.get("skipped_off_page") or 0)
    total += boxes + canvas + image + size + off
    out = []
    if off:
        out.append(
            f"The IIIF annotations download leaves out {off:,} of the {total:,} entity "
            f"{plural(total, 'mention')}: {OFF_PAGE_WHY}. To place them, "
            f"{OFF_PAGE_FIX} (Items page). The spreadsheet (CSV) and JSON lines downloads "
            "have every mention.")
    if size:
        out.append(
            f"The IIIF annotations download leaves out {size:,} of the {total:,} entity "
            f"{plural(total, 'mention')}: {plural(size, 'its ALTO file measures', 'their ALTO files measure')} "
            "in tenths of a millimetre or 1/1200 inch, and the size of the page image (on "
            "the web) is not known, so the place in pixels cannot be worked out. To place "
            "them, upload the page images with their ALTO files (Items page). The "
            "spreadsheet (CSV) and JSON lines downloads have every mention.")
    if image:
        out.append(
            f"The IIIF annotations download leaves out {image:,} of the {total:,} entity "
            f"{plural(total, 'mention')}: {plural(image, 'its ALTO file was', 'their ALTO files were')} "
            "brought in without the page image, so there is nothing to draw on. To place "
            "them, upload the page images as a .zip with each page's ALTO XML file beside "
            "its image (Items page).")
    if boxes:
        out.append(
            f"The IIIF annotations download leaves out {boxes:,} of the {total:,} entity "
            f"{plural(total, 'mention')}: {plural(boxes, 'its text has', 'their texts have')} "
            "no word positions on a page image (ALTO word boxes), so a IIIF viewer has "
            "nowhere to draw them. To place them, upload the page images again as a .zip "
            "with each page's ALTO XML file beside its image (Items page). The spreadsheet "
            "(CSV), JSON lines and W3C Web Annotations downloads have every mention, with "
            "its place in the text.")
    if canvas:
        out.append(
            f"The IIIF annotations download leaves out {canvas:,} of the {total:,} entity "
            f"{plural(total, 'mention')}: {plural(canvas, 'its page has', 'their pages have')} "
            "no IIIF canvas nor a web address (a IIIF viewer cannot open a file on this "
            "computer). To place them, ask the person who set up this project to set the "
            "address the annotations will be published at (the export base_url): the "
            "pages then get canvases there, in a manifest beside the annotations. The "
            "spreadsheet (CSV) and JSON lines downloads have every mention.")
    return out


# -- WebAnno TSV (INCEpTION) -----------------------------------------------------------
def _file_name(item_id: str, used: set[str]) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", item_id).strip("._") or "item"
    stem = stem[:150]
    name, k = f"{stem}.tsv", 1
    while name.lower() in used:
        k += 1
        name = f"{stem}-{k}.tsv"
    used.add(name.lower())
    return name


def write_inception_folder(rows: Iterable[Row], folder: str | Path, *,
                           layer: str = MAIN_LAYER,
                           meta: Sequence[str] = ()) -> dict[str, Any]:
    """One WebAnno TSV 3.3 file per item in ``folder`` (the item's rows merged; names made
    safe from the item ids, listed in ``index.tsv``), ready for INCEpTION's document
    import. Returns counts. ``meta``: item metadata fields ``index.tsv`` gives a column
    each after the item id (WebAnno TSV has no place for a document's metadata).
    ``warnings`` in the result: one naming the items whose text starts with line breaks
    or tabs, which the format cannot carry (they come back as spaces:
    :func:`glamlab.tasks.spans.webanno.lost_lead`). The spans written are the main
    layer's, on INCEpTION's Named Entity layer: another ``layer`` is refused, nothing
    written (:func:`_inception_layer_refusal`)."""
    from ..tasks.spans.gold import EXPORT_DIGEST_COLUMN
    from ..tasks.spans.webanno import lost_lead, write_webanno
    from .export_annif import index_cells, index_header

    if layer != MAIN_LAYER:
        raise _inception_layer_refusal([layer])

    # file, item_id (what glamlab.tasks.spans.gold.EXPORT_INDEX_HEADER reads back), then
    # the fields: meta_FIELD where one is named like those, ignoring case
    header, meta = index_header(meta)
    # each file's sha256 as written: a file imported back unchanged adds nothing
    # (:func:`glamlab.tasks.spans.gold.import_spans`)
    header.append(EXPORT_DIGEST_COLUMN)

    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    used: set[str] = {"index.tsv"}
    files = entities = skipped = 0
    leading: list[str] = []
    with open(root / "index.tsv", "w", encoding="utf-8", newline="") as index:
        index.write("\t".join(header) + "\n")
        for item, found, _provs in _by_item(rows):  # one document per item, all its spans
            if not item.text:
                skipped += 1
                continue
            name = _file_name(item.item_id, used)
            spans = sorted((s for s, _ in found), key=lambda s: (s.start, s.end))
            with open(root / name, "w", encoding="utf-8", newline="") as fh:
                entities += write_webanno(fh, item.text, spans, layer=layer)
            if lost_lead(item.text):
                leading.append(item.item_id)
            digest = hashlib.sha256((root / name).read_bytes()).hexdigest()
            index.write("\t".join([name, item.item_id, *index_cells(item, meta), digest])
                        + "\n")
            files += 1
    result: dict[str, Any] = {"files": files, "entities": entities,
                              "skipped_without_text": skipped, "out": str(root)}
    if leading:
        n = len(leading)
        result["warnings"] = [
            f"{n:,} {plural(n, 'text starts', 'texts start')} with line breaks or tabs before "
            f"{plural(n, 'its', 'their')} first word ({_named(leading)}): WebAnno TSV cannot "
            "carry them, so INCEpTION (and glamlab, reading the folder back) gets spaces "
            "there, as many as there were characters. The entities keep their places, and "
            "the folder imports back into this project; a new project gets the spaces."]
    return result


# -- texts without entities ---------------------------------------------------------------
#: the formats with a record (JSONL) or a document (INCEpTION) per text: a text a person
#: decided has no entities is one, with no entity; the others have one row or
#: annotation per mention, so it has none there (the result's ``notes`` say so)
PER_TEXT_FORMATS = ("jsonl", "inception")


def _without_server_paths(rows: Iterable[Row], *, keep_uri: bool) -> Iterator[Row]:
    """The rows with their items as a non-admin is given them
    (:meth:`~glamlab.items.Item.without_server_paths`: a metadata field naming a file by
    its server path as the file's name, no local ``uri``), but with ``keep_uri`` (IIIF)
    the item's ``uri`` kept: a local page image's canvas and published image are made
    from its id and the file's extension (:func:`iiif_canvas`, :func:`published_image`),
    never its folder."""
    import dataclasses

    for item, spans, prov in rows:
        shown = item.without_server_paths()
        if keep_uri:
            shown = dataclasses.replace(shown, uri=item.uri)
        yield shown, spans, prov


class _EmptyTexts:
    """The rows, counting the texts among them with no span at all (their rows carry
    none: a text a person decided has no entities, :func:`_decided_empty`, or an empty
    gold set)."""

    def __init__(self, rows: Iterable[Row]) -> None:
        self.rows, self.count = rows, 0

    def __iter__(self) -> Iterator[Row]:
        item_id, spans = None, 0
        for row in self.rows:
            if row[0].item_id != item_id:
                if item_id is not None and not spans:
                    self.count += 1
                item_id, spans = row[0].item_id, 0
            spans += len(row[1])
            yield row
        if item_id is not None and not spans:
            self.count += 1


def no_entity_note(n: int, fmt: str, *, web: bool = False) -> str:
    """What an export of one row or annotation per mention (``fmt``) says of the ``n``
    texts a person decided have no entities: none of their rows is in it, and where
    who decided them and when is."""
    name = {"webanno": "W3C annotations", "iiif": "IIIF annotations"}.get(fmt, fmt.upper())
    where = ("the JSON lines or INCEpTION download" if web else
             "--format jsonl (or inception)")
    return (f"{n:,} {plural(n, 'text')} without entities (a reviewer or the gold said "
            f"so) {plural(n, 'is', 'are')} not in this {name} export, which has one "
            f"{'row' if fmt in ('csv', 'xlsx', 'parquet') else 'annotation'} per mention: "
            f"{where} gives each with an empty entity list, who decided it and when")


# -- rows from the store -----------------------------------------------------------------
def iter_gold_rows(ws: Workspace, *, ids: Sequence[str] | None = None,
                   split: str | None = None, batch: int = 500) -> Iterator[Row]:
    """``(item, spans, provenance)`` of the items' gold spans (all layers), in item id
    order; the annotator who gave them is their ``confirmed_by``, ``import`` for an
    imported file's, as the per-prediction exports name who gave a text's complete gold
    (:func:`glamlab.actions.export.complete_gold`): a gold span is never shown as an
    unconfirmed machine value."""
    import sqlalchemy as sa

    from ..tasks.spans.gold import GOLD, _spans_of_sets
    from ..tasks.splits import split_of
    from .export import gold_span_source

    t = ws.store.t.span_sets
    with ws.store.read() as conn:
        latest = {r.item_id: r for r in conn.execute(
            sa.select(t.c.id, t.c.item_id, t.c.annotator, t.c.created_at, t.c.source)
            .where(t.c.kind == GOLD, t.c.active.is_(True)).order_by(t.c.id))}
        wanted = sorted(latest if ids is None else set(ids) & set(latest))
        if split is not None:
            of = split_of(ws, wanted, conn=conn)
            wanted = [i for i in wanted if of.get(i) == split]
    for start in range(0, len(wanted), batch):
        chunk = wanted[start:start + batch]
        with ws.store.read() as conn:
            spans = _spans_of_sets(conn, ws, [latest[i].id for i in chunk])
        for item in ws.items(ids=chunk):
            r = latest[item.item_id]
            yield item, spans[int(r.id)], SpanProvenance(
                created=r.created_at, confirmed_by=r.annotator, annotator=r.annotator,
                confirmed_from=gold_span_source(r.source))


def iter_prediction_rows(ws: Workspace, *, model: str | None = None,
                         where: Any = None, batch: int = 500,
                         found: dict[str, list[str]] | None = None,
                         with_gold: bool = True) -> Iterator[Row]:
    """``(item, spans, provenance)`` of a model's predicted spans as the policy and the
    reviewers left them (:func:`glamlab.actions.export.iter_rows`: rejected spans left
    out, corrected ones as corrected, ``confirmed_by`` the reviewer who accepted or
    corrected them), one row per item and reviewer, in item order.

    A span a person accepted or made on an earlier prediction (another model, a forced
    run) that this model does not predict is still exported, as that person's, after the
    item's other rows (:func:`_with_people`: the latest decision over the same words
    stands, and replaces the spans it overlaps). Items the model finds nothing in now
    come at the end (:func:`_people_rows`).

    ``found`` collects the items to warn about: ``"changed"``, those whose text or image
    was re-ingested after this model predicted them (their spans index the earlier text
    until ``glamlab run`` predicts them again); ``"unfitting"``, those with a span a
    person settled on that no longer lies on the item's text (not exported).

    On a text with complete gold spans (a person's annotation of the whole text) the
    spans are its gold spans: a predicted span they hold is confirmed by who gave them,
    one they do not hold is left out (:func:`glamlab.actions.export.iter_rows`), and the
    gold spans the model missed are added as that person's (:func:`_with_gold`); not
    with ``with_gold=False`` (``glamlab link``, which links the model's spans only)."""
    from ..inference.plan import changed_since_predicted
    from .export import iter_rows

    found = found if found is not None else {}
    changed = found.setdefault("changed", [])
    unfitting = found.setdefault("unfitting", [])

    def key(e: Any) -> tuple[str, Any, Any, Any, Any]:
        # a person's corrected spans (origin "person") are theirs, not the model's: a
        # row of their own, whose provenance names no model (see _prediction_row); and
        # each time a person decided is a row of its own, so each span says when, and
        # where from (a decision's source; the gold's, for those the gold settles)
        return e.item.item_id, e.row["confirmed_by"], e.row.get("origin"), (
            e.row.get("confirmed_at") if e.row["confirmed_by"] else None), (
            (e.row.get("confirmed_from"), e.row.get("decision") == "gold")
            if e.row["confirmed_by"] else None)

    from .act import resolve_model
    from .link import prediction_links
    from .policy import load_policy

    model_id = resolve_model(ws, model, load_policy(ws.card), exporting=True).id
    seen: set[str] = set()

    if where is not None:
        where.validate()

    def with_texts(groups: list[list[Any]]) -> Iterator[Row]:
        # decisions carry light items: the texts come in one read per batch, with the
        # links ``glamlab link`` made for the spans
        ids = sorted({g[0].item.item_id for g in groups})
        seen.update(ids)
        full = {i.item_id: i for i in ws.items(ids=ids)}
        links = prediction_links(ws, model_id, ids)
        people = _people_spans(ws, ids)
        # the gold's links of the spans it holds: a gold span's authority id wins over
        # the linker's on the machine span it confirms
        gold_links: dict[tuple[str, str, str, int, int], Span] = {}
        # where each text's complete gold came from (the file of an import)
        gold_from: dict[str, str | None] = {}
        if with_gold:
            people = _with_gold(ws, ids, people, gold_links, gold_from)
        changed.extend(changed_since_predicted(ws, model_id, ids))
        # what the model says now, whatever the filter keeps: people's spans are added
        # (and machine spans they overlap left out) against all of it
        have: dict[str, list[Span]] = {}
        order: dict[str, Item] = {}
        for g in groups:
            item = order.setdefault(g[0].item.item_id, full.get(g[0].item.item_id, g[0].item))
            for e in g:
                v = e.candidate.value if isinstance(e.candidate.value, dict) else {}
                if "start" in v and "end" in v:
                    have.setdefault(item.item_id, []).append(
                        Span(int(v["start"]), int(v["end"]), e.candidate.label,
                             layer=str(v.get("layer") or MAIN_LAYER)))
        rows = [_prediction_row([e for e in g if where is None or where.keep(e.row)],
                                order[g[0].item.item_id], links, gold_links, gold_from)
                for g in groups]
        yield from _with_people(list(order.values()), [r for r in rows if r is not None],
                                people, where, have, unfitting)

    group: list[Any] = []
    groups: list[list[Any]] = []
    for e in iter_rows(ws, model=model):
        if e.row["action"] == "reject":
            continue
        if group and key(group[-1]) != key(e):
            groups.append(group)
            group = []
            # a batch ends between items, never inside one (people's spans are per item)
            if len(groups) >= batch and groups[-1][0].item.item_id != e.item.item_id:
                yield from with_texts(groups)
                groups = []
        group.append(e)
    if group:
        groups.append(group)
    if groups:
        yield from with_texts(groups)
    yield from _people_rows(ws, seen, where, unfitting, model_id if with_gold else None)


def _people_spans(ws: Workspace, item_ids: Sequence[str]
                  ) -> dict[str, list[tuple[Span, str, Any, str | None]]]:
    """Item -> the spans people settled on (accepted, corrected to, or added where the
    model found nothing), with who, when and where from (the decision's source as the
    exports say it: :func:`glamlab.actions.export.decision_source`), as their decisions
    on any prediction of
    the item left them: a later rejection
    or correction of a span takes it out, and a later span over the same words of its
    layer replaces it. Each span keeps its layer (a nested entity stays nested, and a
    decision on the main layer leaves the nested spans over the same words alone)."""
    from .export import decision_source
    from .people import item_decisions

    out: dict[str, list[tuple[Span, str, Any, str | None]]] = {}
    with ws.store.read() as conn:
        decisions = item_decisions(ws, conn, item_ids)
    for item_id, rows in decisions.items():
        settled: dict[tuple[str, str, int, int], tuple[Span, str, Any, str | None]] = {}
        for r in rows:
            queued = r.queued_value if isinstance(r.queued_value, dict) else {}
            if "start" in queued and "end" in queued:
                settled.pop((str(queued.get("layer") or MAIN_LAYER), r.queued,
                             int(queued["start"]), int(queued["end"])), None)
            if r.action == "reject":
                continue
            label = r.label or r.queued
            value = r.value if r.label is not None and isinstance(r.value, dict) else queued
            if not label or "start" not in value or "end" not in value:
                continue
            span = Span(int(value["start"]), int(value["end"]), label,
                        authority_id=value.get("authority_id"),
                        attrs={"link_by": str(value["link_by"])} if value.get("link_by") else {},
                        text=value.get("text"), layer=str(value.get("layer") or MAIN_LAYER))
            for k in [k for k, (o, *_) in settled.items() if o.layer == span.layer
                      and o.start < span.end and span.start < o.end]:
                del settled[k]  # the later decision on this stretch of its layer stands
            settled[(span.layer, label, span.start, span.end)] = (
                span, r.user, r.created_at, decision_source(r.source))
        if settled:
            out[item_id] = list(settled.values())
    return out


def _with_gold(ws: Workspace, item_ids: Sequence[str],
               people: dict[str, list[tuple[Span, str, Any, str | None]]],
               links: dict[tuple[str, str, str, int, int], Span] | None = None,
               sources: dict[str, str | None] | None = None
               ) -> dict[str, list[tuple[Span, str, Any, str | None]]]:
    """``people`` (:func:`_people_spans`), and on each text with complete gold spans
    (:func:`glamlab.actions.export.complete_gold`: a person's annotation of the whole
    text) its gold spans, as given by whoever gave them (with when), except where a
    person's span of the same layer overlaps one (the person's decision stands). Added as
    people's spans are (:func:`_with_people`), a gold span replaces the machine spans of
    its layer it overlaps: on such a text the exported spans are the gold spans.
    ``links`` gets each gold span that has an authority id, by (item, layer, type, start,
    end): the link a machine span the gold holds is exported with. A gold span keeps
    what the exports say of its link (:func:`_link_attrs`: ``link_by``, the link's
    score), as a gold file imported from an export gives them. A gold span says where
    its set came from (:func:`glamlab.actions.export.gold_span_source`: the file an
    import read); ``sources`` gets that of each text's gold."""
    from .export import complete_gold, gold_span_source

    kept: dict[str, Any] = {}
    with ws.store.read() as conn:
        gold = complete_gold(ws, conn, item_ids, sources=kept)
    said = {i: gold_span_source(src) for i, src in kept.items()}
    if sources is not None:
        sources.update(said)
    if not gold:
        return people
    out = dict(people)
    for item_id, (who, at, spans) in gold.items():
        if links is not None:
            links.update(((item_id, g.layer, g.label, g.start, g.end), g)
                         for g in spans if g.authority_id)
        mine = people.get(item_id, [])
        extra = [(Span(g.start, g.end, g.label, layer=g.layer, authority_id=g.authority_id,
                       text=g.text, attrs=_link_attrs(g)), who, at, said.get(item_id))
                 for g in spans if not any(p.layer == g.layer and p.start < g.end
                                           and g.start < p.end for p, *_ in mine)]
        if extra:
            out[item_id] = [*mine, *extra]
    return out


def _fits(item: Item, span: Span) -> bool:
    """The span still lies on the item's text (a re-ingested text may have moved)."""
    text = item.text or ""
    return 0 <= span.start < span.end <= len(text) and (
        span.text is None or text[span.start:span.end] == span.text)


def _person_row(item: Item, spans: Sequence[tuple[Any, ...]], where: Any
                ) -> Iterator[Row]:
    """The rows (one per person, and where their spans came from) of people's spans no
    current prediction carries: ``(span, who, when[, where from])``."""
    by_user: dict[tuple[str, str], list[tuple[Span, Any]]] = {}
    for span, user, at, *said in spans:
        row = {"action": "accept", "value": span.label, "score": None, "confirmed_by": user}
        if where is not None and not where.keep(row):
            continue
        by_user.setdefault((user, (said or [None])[0] or ""), []).append((span, at))
    for (user, came), found in sorted(by_user.items()):
        yield item, [Span(s.start, s.end, s.label, authority_id=s.authority_id,
                          attrs={"action": "accept", **_link_attrs(s)}, layer=s.layer)
                     for s, _ in sorted(found, key=lambda f: (f[0].start, f[0].end))], \
            SpanProvenance(created=max(at for _, at in found), confirmed_by=user,
                           annotator=user, confirmed_from=came or None)


def _with_people(items: list[Item], rows: list[Row],
                 people: dict[str, list[tuple[Any, ...]]], where: Any,
                 have: dict[str, list[Span]], unfitting: list[str] | None = None
                 ) -> Iterator[Row]:
    """The ``items``' ``rows`` (in item order, one per reviewer of an item, a span once),
    each item's followed by its people's spans (:func:`_people_spans`: the latest
    decision over the same words) that the model's spans now do not hold (``have``:
    every span of the item, whether the filter keeps it or not). Such a span replaces the
    spans it overlaps: a machine's, or one confirmed on this prediction by a decision a
    later one replaced. A person's span that no longer lies on the item's text (it was
    re-ingested since) is left out, and its item added to ``unfitting``."""
    def overlaps(a: Span, b: Span) -> bool:
        return a.layer == b.layer and a.start < b.end and b.start < a.end

    by_item: dict[str, dict[tuple[str | None, ...], Row]] = {}
    for item, spans, prov in rows:  # one row per reviewer, whatever the filter left out
        mine = by_item.setdefault(item.item_id, {})
        # (a reviewer's corrections, whose provenance names no model, are a row apart,
        # and so are the spans a person decided at another time: each says when)
        who = (prov.confirmed_by, prov.model, prov.created_iso if prov.confirmed_by else None,
               prov.confirmed_from)
        if who in mine:
            spans = [*mine[who][1], *spans]
            prov = mine[who][2]
        mine[who] = (item, spans, prov)
    for item in items:
        item_id, now = item.item_id, have.get(item.item_id, [])
        keys = {(s.layer, s.label, s.start, s.end) for s in now}
        extra = [e for e in people.get(item_id, [])
                 if (e[0].layer, e[0].label, e[0].start, e[0].end) not in keys]
        if any(not _fits(item, e[0]) for e in extra):
            if unfitting is not None:
                unfitting.append(item_id)
            extra = [e for e in extra if _fits(item, e[0])]
        done: set[tuple[str, str, int, int]] = set()
        for it, spans, prov in by_item.get(item_id, {}).values():
            kept = []
            for sp in sorted(spans, key=lambda x: (x.start, x.end)):
                if (sp.layer, sp.label, sp.start, sp.end) in done or any(
                        overlaps(sp, e[0]) for e in extra):
                    continue
                done.add((sp.layer, sp.label, sp.start, sp.end))
                kept.append(sp)
            if kept:
                yield it, kept, prov
        yield from _person_row(item, extra, where)


def _people_rows(ws: Workspace, seen: set[str], where: Any,
                 unfitting: list[str], model_id: int | None = None) -> Iterator[Row]:
    """People's spans on items the model found nothing in now (not in ``seen``), and
    the gold spans of the texts with complete gold the model (``model_id``) predicted and
    found nothing in (:func:`_with_gold`); an item with one that no longer lies on its
    text is added to ``unfitting``."""
    import sqlalchemy as sa

    from .people import ADDED

    rq, dec = ws.store.t.review_queue, ws.store.t.decisions
    p, sets = ws.store.t.predictions, ws.store.t.span_sets
    with ws.store.read() as conn:  # decisions on predicted spans, and spans people added
        found = set(conn.execute(
            sa.select(dec.c.item_id).select_from(dec.outerjoin(rq, dec.c.queue_id == rq.c.id))
            .where(sa.or_(sa.and_(rq.c.kind == "prediction", dec.c.action != "reject"),
                          sa.and_(dec.c.queue_id.is_(None), dec.c.action == ADDED)))
            .distinct()).scalars())
        if model_id is not None:  # texts with gold the model predicted
            found.update(conn.execute(
                sa.select(p.c.item_id).where(p.c.model_id == model_id, p.c.item_id.in_(
                    sa.select(sets.c.item_id).where(sets.c.kind == "gold",
                                                    sets.c.active.is_(True))))
                .distinct()).scalars())
        # texts whose predicted spans people rejected: one with every span rejected is
        # a text a person decided has no entities (:func:`_decided_empty`)
        rejected = set(conn.execute(
            sa.select(dec.c.item_id).select_from(dec.join(rq, dec.c.queue_id == rq.c.id))
            .where(rq.c.kind == "prediction", dec.c.action == "reject")
            .distinct()).scalars())
    ids = sorted((found | rejected) - seen)
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        people = _people_spans(ws, chunk)
        if model_id is not None:
            people = _with_gold(ws, chunk, people)
        empty = _decided_empty(ws, [k for k in chunk if k not in people],
                               [k for k in chunk if k in found], model_id is not None)
        for item in ws.items(ids=[k for k in chunk if k in people or k in empty]):
            if item.item_id not in people:
                yield from _empty_row(item, *empty[item.item_id], where)
                continue
            fit = [p for p in people[item.item_id] if _fits(item, p[0])]
            if len(fit) < len(people[item.item_id]):
                unfitting.append(item.item_id)
            yield from _person_row(item, fit, where)


def _decided_empty(ws: Workspace, ids: Sequence[str], predicted: Sequence[str],
                   with_gold: bool) -> dict[str, tuple[str, Any, str | None]]:
    """Item -> (who, when, where from) for the items among ``ids`` (none with a span people settled
    on) that a person decided have no entities: a text whose complete gold spans
    (:func:`glamlab.actions.export.complete_gold`, among ``predicted``, the texts with
    gold the model predicted; not without ``with_gold``) hold none (a text marked
    checked with none, the labelling page's empty text, an import's: who gave it and
    when); or each of whose current predicted spans a person decided (all of them
    rejected: :func:`glamlab.tasks.spans.complete._all_spans_decided`, the texts
    training takes as fully reviewed): the person who decided last, when, and where
    (:func:`glamlab.actions.export.decision_source`; the gold's file:
    :func:`glamlab.actions.export.gold_span_source`)."""
    import sqlalchemy as sa

    from ..tasks.spans.complete import _all_spans_decided
    from .export import complete_gold, decision_source, gold_span_source

    if not ids:
        return {}
    out: dict[str, tuple[str, Any, str | None]] = {}
    with ws.store.read() as conn:
        if with_gold:
            kept: dict[str, Any] = {}
            gold = complete_gold(ws, conn, [i for i in ids if i in set(predicted)],
                                 sources=kept)
            out.update((i, (who, at, gold_span_source(kept.get(i))))
                       for i, (who, at, spans) in gold.items() if not spans)
        rest = sorted(_all_spans_decided(ws, conn, [i for i in ids if i not in out]))
        dec = ws.store.t.decisions
        for k in range(0, len(rest), 900):
            for r in conn.execute(sa.select(dec.c.item_id, dec.c.user, dec.c.created_at,
                                            dec.c.source)
                                  .where(dec.c.item_id.in_(rest[k:k + 900]))
                                  .order_by(dec.c.id)):
                # the latest decision stands
                out[r.item_id] = (r.user, r.created_at, decision_source(r.source))
    return out


def _empty_row(item: Item, who: str, at: Any, came: str | None, where: Any
               ) -> Iterator[Row]:
    """The row of a text a person decided has no entities (:func:`_decided_empty`): no
    span, provenance naming who decided and when. A filter keeps it as it keeps a
    person's accepted span with no type and no score (``--confirmed`` and ``--action
    accept`` keep it; a type or a least score does not)."""
    row = {"action": "accept", "value": None, "score": None, "confirmed_by": who}
    if where is None or where.keep(row):
        yield item, [], SpanProvenance(created=at, confirmed_by=who, annotator=who,
                                       confirmed_from=came)


def _prediction_row(group: Sequence[Any], item: Item,
                    links: dict[tuple[str, int, int, str, str], Span] | None = None,
                    gold_links: dict[tuple[str, str, str, int, int], Span] | None = None,
                    gold_from: dict[str, str | None] | None = None) -> Row | None:
    """The row of one group of export rows (one item, one reviewer); None when empty.
    ``gold_links``: the gold spans with an authority id of texts with complete gold
    (:func:`_with_gold`): a span the gold holds (``decision`` gold) is exported with
    the gold's link where its gold span has one (and what the gold says of it: whose it
    is, ``link_by``, and its score), else with its own or the linker's. ``gold_from``:
    where each text's complete gold came from (:func:`_with_gold`), which the spans the
    gold settles say; a person's decision says its own (the export row's
    ``confirmed_from``)."""
    if not group:
        return None
    first = group[0]
    came = first.row.get("confirmed_from") if first.row.get("confirmed_by") else None
    if first.row.get("decision") == "gold" and first.row.get("confirmed_by"):
        came = (gold_from or {}).get(item.item_id)
    spans = []
    for e in group:
        v = e.candidate.value if isinstance(e.candidate.value, dict) else {}
        if "start" in v and "end" in v:
            start, end, label = int(v["start"]), int(v["end"]), e.candidate.label
            # a span of another layer (a nested entity) keeps it: the queue's value says
            layer = str(v.get("layer") or MAIN_LAYER)
            # its own link only: a nested span where a main one is linked has none
            link = (links or {}).get((item.item_id, start, end, label, layer))
            by_linker = bool(v.get("link_by"))  # a correction that left the link as it was
            if link is None and by_linker:
                # another type or other boundaries: the linker's link of the predicted
                # span (its offsets as the model gave them), with its score
                pv = e.predicted if isinstance(e.predicted, dict) else {}
                at = ((int(pv["start"]), int(pv["end"])) if "start" in pv and "end" in pv
                      else (start, end))
                link = (links or {}).get((item.item_id, *at,
                                          str(e.row.get("predicted_value") or ""), layer))
            # a link the reviewer confirmed or chose wins over the linker's current one;
            # on a span the gold holds, the gold span's link (a person's) wins
            held = ((gold_links or {}).get((item.item_id, layer, label, start, end))
                    if e.row.get("decision") == "gold" and e.row["action"] == "accept"
                    else None)
            chosen = ((held.authority_id if held else None) or v.get("authority_id")
                      or (link.authority_id if link else None))
            # the link's score is the linker's, for the linker's record only
            own = link.attrs.get("link_score") if link and chosen == link.authority_id else None
            attrs: dict[str, Any] = {"action": e.row["action"]}
            if held is not None:  # what the gold says of its link: whose, and its score
                attrs.update(_link_attrs(held))
            if own is not None:
                attrs["link_score"] = own
            if by_linker and chosen == v.get("authority_id"):
                attrs["link_by"] = str(v["link_by"])
            spans.append(Span(start, end, label, score=e.row["score"], authority_id=chosen,
                              attrs=attrs, layer=layer))
    if first.row.get("origin") == "person":
        # spans a reviewer corrected (another type, new boundaries): the person's, as
        # SpanProvenance says, not the model's (it found a different span)
        prov = SpanProvenance(created=first.row["confirmed_at"] or first.row["predicted_at"],
                              confirmed_by=first.row["confirmed_by"],
                              annotator=first.row["confirmed_by"], confirmed_from=came)
    else:
        # the model's spans a person confirmed: when they did (the latest of the group's
        # confirmations), as the classification export's ``created`` says; the
        # prediction's time only for spans nobody confirmed
        confirmed = [e.row["confirmed_at"] for e in group
                     if e.row.get("confirmed_by") and e.row.get("confirmed_at")]
        prov = SpanProvenance(model=first.row["model"],
                              model_version=first.row["model_version"],
                              created=max(confirmed) if confirmed else first.row["predicted_at"],
                              confirmed_by=first.row["confirmed_by"],
                              run_id=first.row["run_id"], confirmed_from=came)
    return item, sorted(spans, key=lambda s: (s.start, s.end)), prov


def _spans_have(ws: Workspace, label: str) -> bool:
    """Whether any span (gold or predicted) has the type ``label``: one look-up that stops
    at the first."""
    import sqlalchemy as sa

    t = ws.store.t.spans
    with ws.store.read() as conn:
        return conn.execute(sa.select(t.c.id).where(t.c.label == label).limit(1)
                            ).first() is not None


def export_entities(ws: Workspace, fmt: str, out: str | Path | None = None, *,
                    model: str | None = None, where: Any = None, base: str | None = None,
                    gold: bool = False, web: bool = False,
                    meta: Sequence[str] | None = None, layers: Sequence[str] | None = None,
                    all_layers: bool = False, server_paths: bool = True) -> dict[str, Any]:
    """What ``glamlab export`` does for an entities project: the spans of ``model``, else
    of the model act uses (``[policy] model``, else the champion; ``notes`` says when, with
    no champion, it is the latest run's model) (or, with ``gold``, the gold spans) in ``fmt`` (``w3c`` is accepted for ``webanno``, the W3C
    Web Annotation collection; ``webanno``, its deprecated name, says so in ``warnings``:
    INCEpTION's WebAnno TSV is ``inception``). ``web``: the warnings say what to do in
    the web app, not which commands to run. ``meta``: item metadata fields every format
    carries (:func:`export_spans`; default: ``[export] meta`` in the card, as the
    classification export). ``layers``: the span layers to write (default: the main
    one), each of :func:`glamlab.tasks.spans.complete.known_layers`; ``all_layers``:
    every layer. Each span says its layer where the format has a place for it
    (:func:`export_layers`); ``inception`` writes one layer, on INCEpTION's Named
    Entity layer, and refuses several. ``unpredicted`` (with ``model``): the current texts
    the model has no prediction for, so nothing of them is exported
    (:func:`glamlab.actions.export.unpredicted_items`, as the classification export says
    it); absent when it predicted them all, and with ``gold``. ``server_paths=False``
    (the web app's download by a non-admin): no file's path on the server in it
    (:func:`_without_server_paths`)."""
    from .export import asked_meta

    label = getattr(where, "label", None)
    if label is not None and label not in ws.card.labels and not _spans_have(ws, label):
        # a misspelt or guessed type (PERSON for PER) used to keep nothing, silently: an
        # empty file and exit status 0 (a label taken off the card since is still found)
        from ..tasks.kinds.classification import close_label

        close = close_label(label, list(ws.card.labels))
        raise PolicyError(f"no entity type {label!r}: it is not one of the project's labels",
                          hint=(f"did you mean {close!r}? " if close else "")
                          + f"the project's labels: {', '.join(ws.card.labels)}")
    meta = asked_meta(ws, meta)
    chosen = export_layers(ws, fmt, layers, all_layers=all_layers, web=web)
    warnings = []
    if fmt == "webanno":
        warnings.append("--format webanno is deprecated and will be removed in the next "
                        "release: it writes W3C Web Annotation JSON-LD (use --format w3c). "
                        "For WebAnno TSV 3.3, which INCEpTION imports, use --format inception "
                        "--out FOLDER")
    fmt = {"w3c": "webanno"}.get(fmt, fmt)
    unset = None
    if fmt in ("webanno", "iiif"):
        base, unset = _annotation_base(ws, fmt, base)
        if unset:
            warnings.append(unset)
    fallback = None
    missing = None
    if not gold:
        # a [policy] or [safety] the export cannot read, or a model it cannot find, is
        # said before anything is read, in the words of where it is shown: the web app
        # names no command or flag (as export does); the model is chosen as act chooses it
        from .act import choose_model
        from .export import unpredicted_items
        from .policy import load_policy
        from .safety import load_safety

        policy = load_policy(ws.card, web=web)
        load_safety(ws.card, ws.root, web=web)
        mv, fallback = choose_model(ws, model, policy, web=web, exporting=True)
        # the texts the model has no prediction for (not run on yet, or its latest run
        # could not predict them): the export has nothing of them, said as the
        # classification export says it (``unpredicted``)
        missing = unpredicted_items(ws, mv.id)
    found: dict[str, list[str]] = {}
    rows = iter_gold_rows(ws) if gold else iter_prediction_rows(ws, model=model, where=where,
                                                                found=found)
    if not server_paths:
        rows = _without_server_paths(rows, keep_uri=fmt == "iiif")
    # local page images get canvases under a base the annotations are published at
    # (--base-url, [export] base_url), never under the placeholder
    # the texts a person decided have no entities (rows without spans): a record or a
    # document of their own in the per-text formats, no row in the per-mention ones
    no_entities = _EmptyTexts(rows)
    result = export_spans(no_entities, fmt, out, base=base,
                          label=f"glamlab {ws.card.task} entities", meta=meta,
                          layers=chosen, mint=fmt == "iiif" and unset is None,
                          uris=(project_authority_uris(ws) if fmt in ("webanno", "iiif")
                                else authority_uri))
    if fmt == "iiif":
        empty = iiif_nothing_placed(result, web=web)
        if empty:
            warnings.append(empty)
    result["layers"] = "all" if chosen is None else list(chosen)
    notes = [*warnings, *result.get("warnings", []), *stale_span_warnings(found, web=web)]
    if notes:
        result["warnings"] = notes
    result["notes"] = [fallback] if fallback else []
    result["checked_without_entities"] = no_entities.count
    if no_entities.count and fmt not in PER_TEXT_FORMATS:
        result["notes"].append(no_entity_note(no_entities.count, fmt, web=web))
    if missing:
        result["model"] = mv.spec
        result["unpredicted"] = missing
    if result.get("format") == "webanno":  # the W3C collection, by its name (as export's)
        result["format"] = "w3c"
    return result


def export_layers(ws: Workspace, fmt: str, layers: Sequence[str] | None = None, *,
                  all_layers: bool = False, web: bool = False) -> list[str] | None:
    """The span layers an export of ``fmt`` writes: ``layers`` (default: the main one,
    :data:`~glamlab.tasks.spans.model.MAIN_LAYER`), or None for every layer
    (``all_layers``). Where the format has a place for it, each span names its layer:
    the CSV's ``layer`` column, a JSONL entity's ``layer`` (left out for the main one,
    as the JSONL import reads it), a W3C annotation's ``layer`` (glamlab's context), a
    IIIF annotation's ``describing`` body. The INCEpTION folder (WebAnno TSV) writes one
    layer's spans on INCEpTION's Named Entity layer, which has no place for the layer
    and would stack another layer's overlapping spans on the main ones, so it takes the
    main layer only.

    Refused with one :class:`~glamlab.errors.PolicyError`: a layer the project does not
    know (naming the ones it knows), or another layer than the main one for
    ``inception``. ``web``: the fix is said in the web app's words."""
    from ..tasks.spans.complete import known_layers

    if not layers and not all_layers:
        return [MAIN_LAYER]
    with ws.store.read() as conn:
        known = known_layers(ws, conn)
    asked = list(dict.fromkeys(layers or ()))
    unknown = [name for name in asked if name not in known]
    if unknown:
        one = len(unknown) == 1
        raise PolicyError(
            f"unknown span {plural(len(unknown), 'layer')} "
            f"{', '.join(repr(u) for u in unknown)}: this project's span layers are "
            f"{', '.join(known)}, so nothing was exported",
            hint=(f"choose {'one' if one else 'them'} among {', '.join(known)}" if web else
                  f"give one of {', '.join(known)} with --layer (repeatable), or "
                  "--all-layers for every one"))
    if fmt == "inception" and (all_layers or asked != [MAIN_LAYER]):
        raise _inception_layer_refusal(
            [x for x in (known if all_layers else asked) if x != MAIN_LAYER],
            words="web" if web else "cli")
    return None if all_layers else asked


def _inception_layer_refusal(others: Sequence[str], *, words: str = "python") -> PolicyError:
    """The one refusal of an INCEpTION folder (WebAnno TSV) of span layers ``others``
    than the main one: INCEpTION's Named Entity layer has no place to say a span's layer
    and would stack a nested span on the main one over the same words. ``words``: the
    fix in the words of where it is shown, ``cli`` (``glamlab export``), ``web`` (the
    Export page) or ``python`` (:func:`export_spans`, :func:`write_inception_folder`).
    Every other format names each span's layer: csv, xlsx and parquet in their
    ``layer`` column, jsonl, w3c (``webanno`` in Python) and iiif in each annotation."""
    of = f"the layer {', '.join(others)}" if others else "another layer"
    if words == "web":
        hint = ("download the spreadsheet (CSV), Parquet or JSON lines with every layer "
                "instead")
    elif words == "cli":
        hint = (f"leave --layer out for {MAIN_LAYER}, or export the other layers as csv, "
                "jsonl, xlsx, parquet, w3c or iiif, which name each span's layer")
    else:
        hint = (f"write the main layer (layer {MAIN_LAYER!r}, the default), or the other "
                "layers with export_spans(rows, FORMAT, out, layers=[...]) as csv, jsonl, "
                "xlsx, parquet, webanno (W3C) or iiif, which name each span's layer")
    return PolicyError(
        f"the INCEpTION folder (WebAnno TSV) carries the main span layer, {MAIN_LAYER}, "
        f"only: INCEpTION's Named Entity layer has no place to say a span is of {of}, "
        "and would stack its overlapping spans on the main ones, so nothing was exported",
        hint=hint)


def _annotation_base(ws: Workspace, fmt: str, base: str | None) -> tuple[str, str | None]:
    """The base of the annotation ids: ``base`` (``--base-url``), else ``[export]
    base_url`` in the card, as the classification export reads it, else a placeholder,
    with the warning that says so (None when a base was given)."""
    from .export import BASE_WARNING, configured_base

    if base:
        return (base if base.endswith(("/", "#", ":")) else base + "/"), None
    base = configured_base(ws)
    if base:
        return base, None
    base = ("https://example.org/glamlab/entities/annotations/" if fmt == "iiif"
            else "urn:glamlab:entities:annotation:")
    return base, BASE_WARNING.format(base=base)


def _named(ids: Sequence[str], shown: int = 5) -> str:
    names = ", ".join(repr(i) for i in ids[:shown])
    return names + (f" and {len(ids) - shown:,} more" if len(ids) > shown else "")


def stale_span_warnings(found: dict[str, list[str]], *, web: bool = False) -> list[str]:
    """Plain warnings for what :func:`iter_prediction_rows` ``found``: items whose text
    changed after the model predicted them (their spans point into the earlier text),
    and items with a span people settled on that no longer fits the text. ``web``: what
    to do is said in the web app's words (its Run stage), not as commands."""
    out = []
    changed = sorted(set(found.get("changed", [])))
    if changed:
        one = len(changed) == 1
        out.append(f"{len(changed):,} {plural(len(changed), 'item was', 'items were')} "
                   f"re-ingested with new text or a new image after the model predicted "
                   f"{'it' if one else 'them'} ({_named(changed)}): "
                   f"{'its' if one else 'their'} spans were found in the earlier text, so "
                   "their offsets may cut the wrong words. "
                   + ("Run the model again (the Run stage), then download the export "
                      "again." if web else
                      f"Run glamlab run to predict {'it' if one else 'them'} again, then "
                      "glamlab act, and export again."))
    unfitting = sorted(set(found.get("unfitting", [])))
    if unfitting:
        one = len(unfitting) == 1
        out.append(f"{len(unfitting):,} {plural(len(unfitting), 'item has', 'items have')} "
                   "spans a reviewer settled on that no longer lie on the item's text, "
                   f"re-ingested since ({_named(unfitting)}): they were left out of this "
                   "export (the decisions are kept). Review "
                   f"{'that item' if one else 'those items'} again.")
    return out


def export_spans(rows: Iterable[Row], fmt: str, out: str | Path | None = None, *,
                 base: str | None = None, label: str = "glamlab entities",
                 bom: bool | None = None,
                 layers: Sequence[str] | None = (MAIN_LAYER,),
                 meta: Sequence[str] = (), mint: bool = False,
                 uris: Callable[[str], str] = authority_uri) -> dict[str, Any]:
    """Write ``rows`` in format ``fmt`` (:data:`SPAN_FORMATS`) to the file ``out`` (a folder
    for ``inception``; stdout when None or "-"). What ``glamlab export`` calls for an
    entities project. ``meta``: item metadata fields the CSV adds as columns, the JSONL
    as a ``meta`` object, the W3C and IIIF annotations on their targets (``metadata``
    label/value pairs) and the INCEpTION folder as columns of its ``index.tsv``. ``bom``:
    start a CSV with a byte-order mark (default: in a file, not on stdout, as the
    classification CSV). ``uris``: the URI the W3C and IIIF annotations give an authority
    id (:func:`project_authority_uris` for a project's). ``warnings`` in the result: ids
    a spreadsheet may evaluate."""
    import sys

    if fmt not in SPAN_FORMATS:
        raise PolicyError(f"unknown entity export format {fmt!r}; choose one of "
                          f"{', '.join(SPAN_FORMATS)}")
    to_stdout = out is None or str(out) == "-"
    if fmt == "inception":
        if to_stdout:
            raise PolicyError("the INCEpTION export is a folder of files: give it with "
                              "--out FOLDER")
        if layers is None or list(layers) != [MAIN_LAYER]:
            raise _inception_layer_refusal([x for x in layers or () if x != MAIN_LAYER])
        return {"format": fmt, **write_inception_folder(rows, Path(out),  # type: ignore[arg-type]
                                                        meta=meta)}
    if fmt in ("webanno", "iiif") and base is None:
        base = ("https://example.org/glamlab/entities/annotations/" if fmt == "iiif"
                else "urn:glamlab:entities:annotation:")
    result: dict[str, Any] = {"format": fmt, "out": "-" if to_stdout else str(out)}
    path = None if to_stdout else Path(out)  # type: ignore[arg-type]
    if fmt in ("xlsx", "parquet"):
        if path is None:
            raise PolicyError(f"{fmt.capitalize()} is binary: give a file with "
                              f"--out PATH.{fmt}")
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with open_private(path, "wb") as fh:
                result["rows"] = (
                    write_entities_parquet(rows, fh, layers=layers, meta=meta)
                    if fmt == "parquet" else
                    write_entities_csv(rows, fh, layers=layers, meta=meta, fmt="xlsx"))
        except PolicyError:  # a value the file cannot hold: no half-written file left
            path.unlink(missing_ok=True)
            raise
        return result
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    # an export holds unpublished catalogue data and reviewers' names: owner-only (0600)
    handle: IO[str] = sys.stdout if path is None else open_private(
        path, "w", encoding="utf-8", newline="")
    try:
        if fmt == "jsonl":
            result["items"] = write_spans_jsonl(rows, handle, layers=layers, meta=meta)
        elif fmt == "csv":
            sheet: dict[str, Any] = {}
            result["rows"] = write_entities_csv(rows, handle, layers=layers, report=sheet,
                                                bom=path is not None if bom is None else bom,
                                                meta=meta)
            if sheet["risky_ids"] or sheet["number_like_ids"]:
                result["warnings"] = [risky_ids_warning(
                    sheet["risky_ids"], "import the CSV with those columns as text "
                                        "(OpenRefine reads it as is)",
                    number_like=sheet["number_like_ids"])]
        elif fmt == "webanno":
            assert base is not None
            result["annotations"] = write_span_web_annotations(rows, handle, base=base,
                                                               label=label, layers=layers,
                                                               meta=meta, uris=uris)
        else:
            assert base is not None
            placed: dict[str, Any] = {}
            written, skipped = write_span_iiif(rows, handle, base=base, label=label,
                                               layers=layers, meta=meta, report=placed,
                                               mint=mint and path is not None, uris=uris)
            result["annotations"] = written
            result["skipped_without_word_boxes"] = skipped
            result["skipped_without_canvas"] = placed["skipped_without_canvas"]
            result["skipped_without_image"] = placed["skipped_without_image"]
            result["skipped_without_image_size"] = placed["skipped_without_image_size"]
            result["skipped_off_page"] = placed["skipped_off_page"]
            if placed["minted"] and path is not None:
                # the local page images' canvases, in a manifest beside the annotations
                where = path.with_name(path.stem + ".manifest.json")
                with open_private(where, "w", encoding="utf-8") as fh:
                    json.dump(local_page_manifest(placed["minted"], base, label,
                                                  f"{base}page"), fh, ensure_ascii=False)
                result["manifest"] = str(where)
                result["minted_canvases"] = len(placed["minted"])
    finally:
        if path is not None:
            handle.close()
        else:
            handle.flush()
    return result


__all__ = ["ENTITY_COLUMNS", "ENTITY_EXPORT_FORMATS", "ENTITY_ID_COLUMNS", "SPAN_FORMATS", "exports_spans", "SpanProvenance", "authority_uri", "project_authority_uris",
           "export_entities", "export_layers", "export_spans", "iiif_canvas", "iiif_left_out_web", "iiif_offered",
           "iiif_nothing_placed", "local_page_manifest", "minted_canvas", "published_image", "iiif_span_annotation",
           "iter_gold_rows",
           "iter_prediction_rows", "span_regions",
           "text_selectors", "web_annotation", "word_boxes", "write_entities_csv",
           "write_entities_parquet",
           "write_inception_folder", "write_span_iiif", "write_span_web_annotations",
           "write_spans_jsonl"]
