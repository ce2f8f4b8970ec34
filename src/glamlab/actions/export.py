"""Exports of what the policy does with a model's predictions, streamed in batches.

Every row carries its provenance: the model name and version, the score, the run, the
prediction, when it was predicted and written, and ``confirmed_by`` (empty until a person
confirms), with ``confirmed_at`` and ``confirmed_from`` (where a reviewer's decision came
from: the web queue, the JSON API or the file ``glamlab review import`` read,
:func:`decision_source`; empty for a decision older than glamlab keeping it). A reviewer's latest decision on the candidate wins over the policy, whether it
was made on this prediction or an earlier one of the item (:mod:`.people`: after a forced
run or a new champion): an accept exports ``action=accept`` with ``confirmed_by``, a
correction exports the person's value (``origin=person``, ``predicted_value`` keeps the
machine's, ``decision=correct``), a rejection exports ``action=reject``; ``decision``
says which. A candidate the policy sends to review that a gold label already settles (the
review queue does not ask about it: :mod:`glamlab.store.queue`) exports what the gold
says: ``action=accept`` where the item's gold label gives it (or its text's complete gold
spans hold the span), ``action=reject`` where complete gold spans do not hold the span
(not an entity), with ``decision=gold``, the reason, and ``confirmed_by`` who gave the
gold. A span the policy accepts on a text with complete gold spans is settled the same
way: a person's annotation of the whole text wins over the machine's spans of it. So is a
label the policy accepts on an item with a gold label in force (classification): the
person's label wins, ``action=accept`` where it gives the label (confirmed by who gave
it), ``action=reject`` where it is another (the reason names it), so the filter list
sends on a page a person labelled content that the model accepted as blank; a label
the policy rejects that the gold gives is the person's (``origin=person``, no score to
filter it out by, ``action=accept``, ``decision=gold``). Who gave a gold label is who
gave it first: a reviewer's decision on one suggestion writes the item's whole gold
under their name, but credits them with the label they decided only
(:func:`glamlab.store.queue.item_gold`). In a
single-label project a row of a label the policy accepts (and a rejected one, or one a safety check suppressed,
whose item's gold label is another)
carries the person's label in place of the model's, shaped as a correction is
(``origin=person``, ``predicted_value`` the model's, ``action=accept``, ``decision=gold``,
``confirmed_by`` who gave it), so the person's label reaches every export once per item;
in a multi-label project the gold labels are the item's set, unless a reviewer's decision on
one suggestion wrote them (it says nothing of the other labels: such an accept stands).
On a text in the test split, where a reviewer's decision writes no gold, a span
over words a reviewer decided there is settled by that decision as act settles it:
``decision`` is theirs (``accept``, ``correct``, ``add``), ``confirmed_by`` and
``confirmed_at`` who and when, the reason says so, and ``action`` what it makes of this
span (``reject`` unless it is the very span). In a classification project an item with a
gold label in force that the model has no prediction of (not run on it yet, or its image
failed) gets a row per gold label all the same, in item order with the others and
filtered as they are: the person's label, ``origin=person``, ``action=accept``,
``decision=gold``, ``confirmed_by`` who gave it, no score, model or ``predicted_value``
(a W3C or IIIF annotation's ``creator`` is the person; it has no ``generator``); so,
in a multi-label project, does a gold label the model did not suggest for the item (not
among its prediction's labels), beside the model's rows, and, either kind, each gold
label of an item the model predicted no label for at all. The CLI's summary counts these
rows. Formats:

- ``csv``: UTF-8 with a byte-order mark (Excel reads it as UTF-8) and a header, one row
  per item and field value (OpenRefine reads it as is); text cells a spreadsheet would
  evaluate (starting with ``= + - @``, a tab or a carriage return; not plain numbers
  such as ``-1234``) get a leading ``'``, except the id columns, which are never altered
  (a warning counts the ids a spreadsheet might evaluate) - see :mod:`glamlab.sheets`.
  After the provenance columns: the item's ``title``, the start of its ``text``, and the
  metadata fields asked for (``--meta FIELD`` or ``[export] meta = [...]``; one named like
  a column before it, ignoring case, as ``meta_FIELD``: :func:`meta_columns`).
- ``xlsx``: the same columns in an Excel workbook, every text cell typed as text (no
  escaping needed; needs openpyxl, the ``spreadsheets`` extra).
- ``jsonl``: one JSON object per row.
- ``parquet``: the same columns, written in row groups (pyarrow), the score at full
  precision (the text formats round it to 6 decimals, for a person's eyes); the times
  (``predicted_at``, ``written_at``, ``confirmed_at``) are UTC timestamps, and so are
  the metadata fields the project's table types as dates (``[tabular]``).
- ``w3c``: a W3C Web Annotation ``AnnotationCollection`` (JSON-LD). Each annotation has a
  ``TextualBody`` (the label, purpose ``classifying``), a target (the item's own URL: its
  IIIF canvas, the record ``url`` in its metadata, ``[export] target_template`` filled
  with the item id, or its http(s) image; a local file only when there is nothing else,
  with a warning), with a ``FragmentSelector`` ``xywh=`` where the item is a region,
  ``generator`` (the model, name@version; a person's label, ``origin=person``, has the
  person as ``creator`` instead), ``created``, and ``glamlab:confidence`` (the
  model's score, a number from 0 to 1; defined in the ``@context``). ``webanno`` is the
  old name of this format, kept for one release with a deprecation warning ("WebAnno" is
  the TSV format INCEpTION reads, which this is not).
- ``iiif``: one annotation document per manifest, into a folder: a IIIF Presentation 3
  ``AnnotationPage`` for items from v3 manifests, a v2 ``AnnotationList`` for v2 ones
  (:mod:`glamlab.actions.export_iiif`); items not from IIIF canvases are left out and
  counted.
- ``annif``: an Annif full-text corpus, a subject file per item with vocabulary URIs
  (:mod:`glamlab.actions.export_annif`), accepted values only unless ``--action`` says.
- ``filter``: one URI per line. With no ``--action``/``--label`` and a ``positive_label``
  (e.g. ``blank``), the items NOT accepted as that label: the pages to send on (e.g. to OCR).
  A page a person's gold label gives that label is held back whatever the model said of it
  (or where the model has no prediction of it).
"""

from __future__ import annotations

import dataclasses
import heapq
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import quote

import sqlalchemy as sa

from ..errors import PolicyError
from ..files import open_private
from ..ingest.base import control_characters
from ..said import in_words
from ..sheets import risky_ids_warning, write_sheet
from ..store.ids import among, id_batches
from ..store.jsontext import encoder
from ..tasks.kinds import Candidate, TaskKind, task_kind
from ..tasks.people import API, PYTHON, WEB_QUEUE
from .act import (
    CLASSIFICATION_KINDS,
    Decision,
    choose_model,
    gold_label_in_place,
    iter_decisions,
    rejected_on_gold,
    resolve_model,
    unsuggested_gold,
)
from .people import PersonDecision, item_decisions, person_decision
from .people import same_value as _same
from .policy import ACTIONS, load_policy
from .safety import load_safety

if TYPE_CHECKING:
    from ..items import Item
    from ..registry.models import ModelVersion
    from ..workspace import Workspace

FORMATS = ("csv", "xlsx", "jsonl", "parquet", "w3c", "iiif", "annif", "filter")
# old format names still accepted for one release, with a warning: old -> new
DEPRECATED_FORMATS = {"webanno": "w3c"}
FOLDER_FORMATS = ("iiif", "annif")  # written as a folder of files
#: formats that write each item's labels as its subjects (Annif subject files, the filter
#: list of items not accepted as the positive label): not for an entities project, whose
#: labels are the types of spans in the text
SUBJECT_FORMATS = ("annif", "filter")


def entities_refusal(fmt: str) -> str:
    """Why ``--format fmt`` (one of :data:`SUBJECT_FORMATS`) is refused in an entities
    project, naming the formats that fit entities."""
    from .entity_export import ENTITY_EXPORT_FORMATS

    fits = [f for f in ENTITY_EXPORT_FORMATS if f not in DEPRECATED_FORMATS]
    what = ("Annif subject files (each item's labels as its subjects)" if fmt == "annif"
            else "the list of items not accepted as the project's positive label")
    return (f"--format {fmt} writes {what}, but this is an entities project: its labels "
            "are the types of the spans found in each text (PER, TIME...), not subjects of "
            "the item, so nothing was written. The formats that fit entities: --format "
            f"{', '.join(fits[:-1])} or {fits[-1]} (one row or annotation per mention)")
COLUMNS = ["item_id", "uri", "field", "value", "origin", "action", "score", "model",
           "model_version", "run_id", "prediction_id", "reason", "safety", "predicted_at",
           "written_at", "confirmed_by", "confirmed_at", "decision", "predicted_value",
           "confirmed_from"]
# id columns are never altered in a CSV (they must keep joining); see glamlab.sheets
ID_COLUMNS = ("item_id", "run_id", "prediction_id", "model_version")
# what a curator needs beside a value to check it: the item's title and the start of its
# text (then the metadata fields asked for with --meta or [export] meta)
DETAIL_COLUMNS = ("title", "text")
SNIPPET = 200
GLAMLAB_NS = "urn:glamlab:ns:"
ANNO_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
IIIF_CONTEXT = "http://iiif.io/api/presentation/3/context.json"
XSD_DOUBLE = "http://www.w3.org/2001/XMLSchema#double"
XSD_DATETIME = "http://www.w3.org/2001/XMLSchema#dateTime"
EXTENSION_CONTEXT: dict[str, Any] = {
    "glamlab": GLAMLAB_NS,
    "confidence": {"@id": "glamlab:confidence", "@type": XSD_DOUBLE},
    "action": {"@id": "glamlab:action"},
    "field": {"@id": "glamlab:field"},
    "confirmedBy": {"@id": "glamlab:confirmedBy"},
    "confirmedAt": {"@id": "glamlab:confirmedAt", "@type": XSD_DATETIME},
    # where the reviewer's decision came from: the web queue, the JSON API, or the file
    # ``glamlab review import`` read
    "confirmedFrom": {"@id": "glamlab:confirmedFrom"},
    # the item metadata fields asked for, on the target: a list of {label, value} pairs
    # (rdfs:label and rdf:value in the Web Annotation context), as IIIF's metadata
    "metadata": {"@id": "glamlab:metadata", "@container": "@list"},
}
_CANVAS_KEYS = ("canvas_id", "canvas", "iiif_canvas")


@dataclass
class ExportFilter:
    actions: tuple[str, ...] = ()
    label: str | None = None
    min_score: float | None = None
    confirmed: bool | None = None

    def validate(self) -> None:
        for a in self.actions:
            if a not in ACTIONS:
                raise PolicyError(f"unknown action {a!r}; choose from {', '.join(ACTIONS)}")
        if self.min_score is not None and not 0.0 <= self.min_score <= 1.0:
            raise PolicyError(f"min score must be between 0 and 1, not {self.min_score:g}")

    def keep(self, row: dict[str, Any]) -> bool:
        if self.actions and row["action"] not in self.actions:
            return False
        if self.label is not None and row["value"] != self.label:
            return False
        if self.min_score is not None and (row["score"] or 0.0) < self.min_score:
            return False
        if self.confirmed is not None and bool(row["confirmed_by"]) != self.confirmed:
            return False
        return True


@dataclass
class Exported:
    """One export row (its columns), the item it is about, and the candidate it says."""

    row: dict[str, Any]
    item: Item
    candidate: Candidate
    # the item's title, text snippet and chosen metadata (csv, xlsx, jsonl)
    details: dict[str, Any] = dataclasses.field(default_factory=dict)
    #: ``row["score"]`` at full precision (the row's is rounded to 6 decimals, for a
    #: spreadsheet's eyes): what Parquet, a file for data tools, holds
    exact_score: float | None = None
    #: the model's own candidate value where a person's decision replaced it (a span's
    #: predicted offsets, which the linker's link of a corrected span is kept under)
    predicted: Any = None


def columns(kind: TaskKind[Any, Any]) -> list[str]:
    """The export's columns: :data:`COLUMNS`, then those the task kind adds."""
    return [*COLUMNS, *kind.export_columns]


def _iso(value: Any) -> str | None:
    return value.isoformat(timespec="seconds") + "Z" if value is not None else None


#: what ``confirmed_from`` says of a decision made on the web app's pages, and through
#: its JSON API (``decisions.source`` ``{"via": ...}``, :func:`glamlab.tasks.people.via`)
FROM_VIA = {WEB_QUEUE: "web queue", API: "JSON API",
            PYTHON: "Python (glamlab.review.decide)"}


def decision_source(source: Any) -> str | None:
    """A reviewer's decision's source (``decisions.source``) as the export's
    ``confirmed_from`` says it: ``review import of NAME (sha256 HEX)`` for a decision
    ``glamlab review import`` brought in from a file, ``web queue`` for one made on the
    web app's pages (the review queue, a record's terms), ``JSON API`` for one made
    through its API; None (an empty cell) for a decision recorded before glamlab kept
    where it came from (an older workspace's: an imported file is named in the audit
    log); ``Python (glamlab.review.decide)`` for one a script or notebook made."""
    if source is None or source == "" or source == {}:
        return None
    if isinstance(source, dict) and source.get("file"):
        sha = source.get("sha256")
        return f"review import of {source['file']}" + (f" (sha256 {sha})" if sha else "")
    if isinstance(source, dict) and source.get("via") in FROM_VIA:
        return FROM_VIA[source["via"]]
    if isinstance(source, str):
        return source
    return json.dumps(source, ensure_ascii=False, sort_keys=True)


def gold_span_source(source: Any) -> str | None:
    """Where a gold span set came from (``span_sets.source``) as the entity exports'
    ``confirmed_from`` says it: ``import of NAME`` for spans imported from a file (HIPE,
    WebAnno, JSONL: ``glamlab labels import``, a file uploaded on the web app; the store
    keeps the file's name, no fingerprint); None where glamlab keeps nothing that says
    more than who gave the set: one saved on the labelling page or through its API
    (``web``: which of the two is not kept), one built from reviewers' decisions (their
    spans say their decisions' own source), a text marked checked (on the queue page or
    through the API: not kept) or the mark taken back, ``review`` (what
    :func:`glamlab.tasks.spans.save_spans` keeps by default), the linker's sets."""
    from ..store.queue import (
        SPAN_REVIEW_SOURCE,
        SPAN_WHOLE_TEXT_SOURCE,
        SPAN_WITHDRAWN_SOURCE,
    )

    if not isinstance(source, str) or not source or source in (
            "web", "glamlab link", SPAN_REVIEW_SOURCE, SPAN_WHOLE_TEXT_SOURCE,
            SPAN_WITHDRAWN_SOURCE):
        return None
    return f"import of {source}"


def iter_rows(ws: Workspace, *, model: str | None = None,
              where: ExportFilter | None = None,
              details: Sequence[str] | Sequence[tuple[str, str]] | None = None,
              counts: dict[str, int] | None = None,
              server_paths: bool = True) -> Iterator[Exported]:
    """Export rows (with the item and the candidate they are about), in item order,
    filtered. ``server_paths=False``: for someone who does not run the server (the web
    app's exports to a non-admin, as the API's items): a local file's path is in no
    row, item or detail (:func:`without_server_paths`). ``details``: the metadata
    fields to add to each row's ``details`` with the item's title and text snippet (None:
    no details), by name (each under its name, or
    ``meta_FIELD`` where a column has it: :func:`detail_meta`), or as the (column,
    metadata field) pairs :func:`detail_meta` gives.

    In a classification project a person's gold label in force reaches the export even
    where the model never gave it (:func:`_gold_row`): an item the model has no
    prediction of gets a row per gold label, and (multi-label) a gold label not among
    the item's suggestions gets one beside the model's rows. ``counts["from_gold"]``
    (where ``counts`` is given) counts those rows, once filtered."""
    pairs: list[tuple[str, str]] | None = None
    if details is not None:
        names = [d for d in details if isinstance(d, str)]
        pairs = (detail_meta(ws, names) if names
                 else [(str(d[0]), str(d[1])) for d in details])
    where = where or ExportFilter()
    where.validate()
    policy = load_policy(ws.card)
    safety = load_safety(ws.card, ws.root)
    mv = resolve_model(ws, model, policy, exporting=True)
    check_label(ws, mv, where.label)
    counts = counts if counts is not None else {}
    counts.setdefault("from_gold", 0)
    # the items the model predicted no label for at all: no decision is about them
    empty: list[Item] = []
    rows = _rows(ws, mv, policy.field, iter_decisions(ws, mv, policy, safety, empty=empty),
                 where, pairs, counts, empty)
    if task_kind(ws.card).name in CLASSIFICATION_KINDS:
        # the items a person labelled that the model has no prediction of, in item order
        # with the others (both streams are in item id order)
        rows = heapq.merge(rows, _gold_only(ws, mv, policy.field, where, pairs, counts),
                           key=lambda e: e.item.item_id)
    if not server_paths:
        rows = (without_server_paths(e) for e in rows)
    yield from rows


def without_server_paths(e: Exported) -> Exported:
    """An export row as a non-admin is given it: its ``uri`` empty where it is a file on
    the server, the item as :meth:`~glamlab.items.Item.without_server_paths` gives it
    (a W3C target then names the item, not the file), and a metadata detail naming a
    file by its absolute path as the file's name: what the API gives a non-admin."""
    from ..items import file_name_only

    item = e.item.without_server_paths()
    row = {**e.row, "uri": item.uri} if "uri" in e.row else e.row
    return dataclasses.replace(e, row=row, item=item,
                               details={k: file_name_only(v) for k, v in e.details.items()})


def check_label(ws: Workspace, mv: ModelVersion, label: str | None) -> None:
    """Refuse a ``label`` to filter on that is not one of the task's labels and that no
    prediction of ``mv`` has (a misspelling would otherwise keep nothing, silently), with
    the closest label. Costs nothing for one of the task's labels; else one look-up that
    stops at the first prediction with it (a label such as ``und`` that a model gives
    besides the task's labels is kept)."""
    from ..tasks.kinds.classification import close_label

    labels = list(ws.card.labels)
    if label is None or label in labels:
        return
    p = ws.store.t.predictions
    with ws.store.read() as conn:
        if conn.execute(sa.select(p.c.id).where(p.c.model_id == mv.id, p.c.label == label)
                        .limit(1)).first() is not None:
            return
    close = close_label(label, labels)
    raise PolicyError(f"no label {label!r}: it is not one of the task's labels, and no "
                      f"prediction of {mv.spec} has it",
                      hint=(f"did you mean {close!r}? " if close else "")
                      + f"the task's labels: {', '.join(labels)}")


def meta_columns(fields: Sequence[str], taken: Iterable[str]) -> list[tuple[str, str]]:
    """(column, metadata field) of the item metadata fields ``fields`` an export adds as
    columns after its own (``taken``): the field's name, or ``meta_FIELD`` where a
    column before it has that name, ignoring case (a field ``Title`` beside the export's
    ``title``: Excel, OpenRefine and SQL do not tell them apart), ``meta_`` once more
    until the name is free. Every format that makes columns of the fields (CSV, xlsx,
    JSON lines, Parquet, the ``index.tsv`` of the Annif and INCEpTION folders, the
    DataFrame of :func:`glamlab.predictions_frame`) names them so."""
    used = {str(c).casefold() for c in taken}
    out: list[tuple[str, str]] = []
    for field in dict.fromkeys(str(f) for f in fields):
        column = field
        while column.casefold() in used:
            column = f"meta_{column}"
        used.add(column.casefold())
        out.append((column, field))
    return out


def detail_meta(ws: Workspace, meta: Sequence[str] | None = None) -> list[tuple[str, str]]:
    """(column, metadata field) of the metadata fields ``meta`` (default: ``[export]
    meta`` in the card) that a spreadsheet export adds after title and text
    (:func:`meta_columns`: a field named like another column, ignoring case, is given
    as ``meta_FIELD``)."""
    chance = chance_column(ws)
    taken = [*COLUMNS, *task_kind(ws.card).export_columns, *DETAIL_COLUMNS,
             *([chance[0]] if chance else [])]
    return meta_columns(asked_meta(ws, meta), taken)


def chance_column(ws: Workspace) -> tuple[str, str] | None:
    """(the column, the outcome) of a table's export that gives each row's chance of the
    positive outcome (``chance_is_canceled_1``: the chance that ``is_canceled`` is ``1``),
    beside ``score``, which is the chance of the row's ``value`` (the outcome predicted);
    None outside a tabular project."""
    section = ws.card.section("tabular")
    label = section.get("label_column")
    if ws.card.modality != "tabular" or not label:
        return None
    positive = str(section.get("positive") or "1")
    return f"chance_{label}_{positive}", positive


def detail_columns(ws: Workspace, meta: Sequence[str] | None = None) -> list[str]:
    """The detail columns of a spreadsheet export: title, text, then the metadata fields
    ``meta`` (default: ``[export] meta`` in the card); a field named like another column,
    ignoring case, is given as ``meta_FIELD`` (:func:`detail_meta`)."""
    chance = chance_column(ws)
    return [*DETAIL_COLUMNS, *([chance[0]] if chance else []),
            *(c for c, _ in detail_meta(ws, meta))]


def asked_meta(ws: Workspace, meta: Sequence[str] | None = None) -> list[str]:
    """The item metadata fields an export carries: ``meta``, else ``[export] meta`` in
    the card (none by default; in a tabular project, the row's date and the columns
    that split the slots, ``[tabular] time_column`` and ``group_columns``: what tells a
    curator which booking a row is); a field asked twice, once."""
    if meta is None:
        section = ws.card.section("export")
        meta = section.get("meta")
        if meta is None and ws.card.modality == "tabular":
            tabular = ws.card.section("tabular")
            meta = [c for c in (tabular.get("time_column"),
                                *(tabular.get("group_columns") or [])) if c]
        meta = meta or []
        if isinstance(meta, str):
            meta = [meta]
    return list(dict.fromkeys(str(m) for m in meta))


def meta_text(value: Any) -> list[str]:
    """An item metadata value as the texts a label/value pair gives: nothing for
    None or an empty text, one per item of a list, JSON for anything not a text."""
    if value is None or value == "" or value == []:
        return []
    if isinstance(value, list | tuple):
        return [t for v in value for t in meta_text(v)]
    if isinstance(value, str):
        return [value]
    return [json.dumps(value, ensure_ascii=False, default=str)]


def metadata_pairs(item: Item, fields: Sequence[str]) -> list[tuple[str, list[str]]]:
    """The item's metadata fields ``fields`` that it has, in that order, each with its
    values as texts (:func:`meta_text`): what the W3C and IIIF exports give as
    label/value pairs (a field the item lacks is left out: those formats have no null)."""
    out = []
    for f in fields:
        values = meta_text(item.meta.get(f))
        if values:
            out.append((f, values))
    return out


def w3c_metadata(item: Item, fields: Sequence[str]) -> list[dict[str, Any]]:
    """The item's metadata fields as a W3C annotation target's ``metadata``: a list of
    ``{"label": field, "value": text}`` (``value`` a list where the field has several)."""
    return [{"label": f, "value": v[0] if len(v) == 1 else v}
            for f, v in metadata_pairs(item, fields)]


#: the formats with no place for an item's metadata: ``--meta`` is refused for them
NO_META_FORMATS = ("filter",)


def meta_refusal(fmt: str) -> str:
    """Why ``--meta`` is refused for ``fmt`` (one of :data:`NO_META_FORMATS`)."""
    return (f"--meta: the {fmt} export is one URI per line, with no place for an item's "
            "metadata, so nothing was written. Leave out --meta, or export --format csv, "
            "jsonl, parquet, xlsx, w3c or iiif, which carry the metadata fields asked for")


def _rows(ws: Workspace, mv: ModelVersion, field: str, batches: Iterator[list[Decision]],
          where: ExportFilter, details: Sequence[tuple[str, str]] | None = None,
          counts: dict[str, int] | None = None,
          empty: list[Item] | None = None) -> Iterator[Exported]:
    """The export rows of ``batches``' decisions, in item order; in a classification
    project with the rows of the person's labels no decision gives beside them
    (:func:`.act.unsuggested_gold`), and of those of the items of ``empty`` (each
    batch's items whose prediction gives no label at all: :func:`.act.iter_decisions`)."""
    from ..store.queue import item_gold

    kind = task_kind(ws.card)
    mm = ws.store.t.machine_metadata
    fields = list(details or ())
    chance = chance_column(ws) if details is not None else None
    counts = counts if counts is not None else {}
    # (multi-label) the item's gold labels the model did not suggest get rows of their own
    unsuggested = kind.name in CLASSIFICATION_KINDS and not kind.one_value_per_item
    classify = kind.name in CLASSIFICATION_KINDS
    for batch in batches:
        pids = sorted({d.prediction_id for d in batch})
        # (classification) the items predicted with no label: their gold labels' rows
        bare = sorted(empty or [], key=lambda item: item.item_id) if classify else []
        with ws.store.read() as conn:
            bare_gold = item_gold(conn, {item.item_id for item in bare}) if bare else {}
            bare_snippets = (_snippets(ws, conn, bare_gold)
                             if bare_gold and details is not None else {})
            stored = {(r.prediction_id, r.value): r for r in conn.execute(
                sa.select(mm.c.prediction_id, mm.c.value, mm.c.created_at, mm.c.confirmed_by,
                          mm.c.confirmed_at)
                .where(among(conn, mm.c.prediction_id, pids), mm.c.field == field))}
            people = item_decisions(ws, conn, [d.item.item_id for d in batch])
            gold = _gold_verdicts(ws, conn, kind, batch)
            labelled = (item_gold(conn, {d.item.item_id for d in batch}) if unsuggested
                        else {})
            snippets = (_snippets(ws, conn, {d.item.item_id for d in batch})
                        if details is not None else {})
        bare = [item for item in bare if item.item_id in bare_gold]
        # each item's candidates: a correction to a label the model also suggested
        # (multi-label) is said once, on that label's row
        candidates: dict[str, set[tuple[str, str]]] = {}
        for d in batch:
            candidates.setdefault(d.item.item_id, set()).add((d.label, _same(d.value)))
        start = 0  # where the item's decisions start in the batch
        for n, d in enumerate(batch):
            if bare:
                yield from _bare_rows(kind, bare, bare_gold, d.item.item_id, field, where,
                                      counts, bare_snippets, fields, details is not None)
            person = person_decision(people.get(d.item.item_id), d.label, d.value,
                                     one_value=kind.one_value_per_item)
            row, final = _row(kind, d, mv, field, person, stored,
                              None if kind.one_value_per_item
                              else candidates.get(d.item.item_id), gold.get(n))
            if where.keep(row):
                extra = _details(d.item, snippets, fields, details is not None)
                if extra and chance is not None:  # score is the chance of value, either outcome
                    p = None if d.score is None else float(d.score)
                    extra[chance[0]] = (None if p is None else
                                        round(p if d.label == chance[1] else 1 - p, 6))
                yield Exported(row, d.item, final, extra,
                               None if row["score"] is None else float(d.score),
                               predicted=d.value)
            if n + 1 < len(batch) and batch[n + 1].item.item_id == d.item.item_id:
                continue
            ds, start = batch[start:n + 1], n + 1  # the item's decisions
            if (g := labelled.get(d.item.item_id)) is not None:
                # the person's labels no row of the item gives (the model never
                # suggested them): a row each, as an item with no prediction gets
                for label in unsuggested_gold(kind, ds, people.get(d.item.item_id), g):
                    who, at = g.labels[label]
                    row = _gold_row(kind, d.item, field, label, who, at,
                                    f"a person's gold label: {who} gave it; the model did "
                                    "not suggest it")
                    if where.keep(row):
                        counts["from_gold"] = counts.get("from_gold", 0) + 1
                        yield Exported(row, d.item, Candidate(label, 1.0),
                                       _details(d.item, snippets, fields,
                                                details is not None))
        yield from _bare_rows(kind, bare, bare_gold, None, field, where, counts,
                              bare_snippets, fields, details is not None)


def _bare_rows(kind: TaskKind[Any, Any], bare: list[Item], gold: dict[str, Any],
               before: str | None, field: str, where: ExportFilter, counts: dict[str, int],
               snippets: dict[str, str | None], fields: Sequence[tuple[str, str]],
               asked: bool) -> Iterator[Exported]:
    """The rows of the person's gold labels (``gold``) of the items of ``bare`` (in item
    order: predicted with no label at all) before item id ``before`` (None: all of them),
    taken off ``bare``: a row each (:func:`_gold_row`), filtered by ``where``."""
    while bare and (before is None or bare[0].item_id < before):
        item = bare.pop(0)
        yield from _person_rows(kind, item, gold[item.item_id], field, "the model did not "
                                "suggest it", where, counts, snippets, fields, asked)


def _person_rows(kind: TaskKind[Any, Any], item: Item, g: Any, field: str, why: str,
                 where: ExportFilter, counts: dict[str, int],
                 snippets: dict[str, str | None], fields: Sequence[tuple[str, str]],
                 asked: bool) -> Iterator[Exported]:
    """A row of its own for each of ``item``'s gold labels ``g`` (:func:`_gold_row`; the
    reason: who gave it, then ``why`` no model's row carries it), filtered by ``where``
    and counted in ``counts["from_gold"]``."""
    for label in sorted(g.labels):
        who, at = g.labels[label]
        row = _gold_row(kind, item, field, label, who, at,
                        f"a person's gold label: {who} gave it; {why}")
        if where.keep(row):
            counts["from_gold"] = counts.get("from_gold", 0) + 1
            yield Exported(row, item, Candidate(label, 1.0),
                           _details(item, snippets, fields, asked))


def _snippets(ws: Workspace, conn: sa.Connection, ids: Iterable[str]) -> dict[str, str | None]:
    """Item id -> the start of its text (a character more than :data:`SNIPPET`)."""
    it = ws.store.t.items
    out: dict[str, str | None] = {}
    wanted = sorted(set(ids))
    for ids_part in id_batches(conn, wanted):
        out.update((r[0], r[1]) for r in conn.execute(
            sa.select(it.c.item_id, sa.func.substr(it.c.text, 1, SNIPPET + 1))
            .where(it.c.is_current.is_(True), among(conn, it.c.item_id, ids_part))))
    return out


def _details(item: Item, snippets: dict[str, str | None], fields: Sequence[tuple[str, str]],
             asked: bool) -> dict[str, Any]:
    """A row's details: the item's title, text snippet and metadata fields ``fields``
    ((column, field) pairs), where they were ``asked`` for."""
    if not asked:
        return {}
    text = snippets.get(item.item_id)
    if text and len(text) > SNIPPET:
        text = text[: SNIPPET - 1] + "…"
    return {"title": item.title, "text": text, **{c: item.meta.get(f) for c, f in fields}}


def _gold_row(kind: TaskKind[Any, Any], item: Item, field: str, label: str, who: str,
              at: Any, reason: str) -> dict[str, Any]:
    """The export row of a person's gold label the model gave no value for: the
    person's label, ``origin=person``, ``action=accept``, ``decision=gold``,
    ``confirmed_by`` who gave it; no score, model, prediction or model's value."""
    return {
        "item_id": item.item_id, "uri": item.uri, "field": field, "value": label,
        "origin": "person", "action": "accept", "score": None, "model": None,
        "model_version": None, "run_id": None, "prediction_id": None, "reason": reason,
        "safety": None, "predicted_at": None, "written_at": None, "confirmed_by": who,
        "confirmed_at": _iso(at), "decision": "gold", "predicted_value": None,
        "confirmed_from": None,
        **kind.export_values(Candidate(label, 1.0)),
    }


#: how many items with gold labels (and no prediction) :func:`_gold_only` reads at a time
GOLD_BATCH = 500


def _gold_only_clauses(ws: Workspace, mv: ModelVersion) -> list[Any]:
    """The clauses on ``labels``: a gold label in force of a current item that ``mv`` has
    no prediction of."""
    from ..store.gold import NO_TERMS, in_force

    t = ws.store.t
    lab, p, it = t.labels, t.predictions, t.items
    # a multi-label record checked with no term: its empty set's row is no label (no
    # export row comes of it: :func:`glamlab.store.queue.item_gold`)
    return [in_force(lab), lab.c.label != NO_TERMS,
            ~sa.exists().where(p.c.item_id == lab.c.item_id, p.c.model_id == mv.id),
            sa.exists().where(it.c.item_id == lab.c.item_id, it.c.is_current.is_(True))]


def count_gold_only(ws: Workspace, mv: ModelVersion) -> int:
    """(classification) How many gold labels in force are on current items ``mv`` has no
    prediction of: the rows :func:`_gold_only` exports, unfiltered (what act says)."""
    lab = ws.store.t.labels
    with ws.store.read() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(lab)
                                .where(*_gold_only_clauses(ws, mv))).scalar() or 0)


def _gold_only(ws: Workspace, mv: ModelVersion, field: str, where: ExportFilter,
               details: Sequence[tuple[str, str]] | None, counts: dict[str, int]
               ) -> Iterator[Exported]:
    """(classification) The rows of the current items with gold labels in force that
    ``mv`` has no prediction of (not run on them yet, or their image failed), in item id
    order, :data:`GOLD_BATCH` items at a time: a row per gold label (:func:`_gold_row`),
    filtered by ``where``."""
    from ..store.queue import item_gold

    kind = task_kind(ws.card)
    lab = ws.store.t.labels
    fields = list(details or ())
    last: str | None = None
    while True:
        q = (sa.select(lab.c.item_id).distinct().where(*_gold_only_clauses(ws, mv))
             .order_by(lab.c.item_id).limit(GOLD_BATCH))
        if last is not None:
            q = q.where(lab.c.item_id > last)
        with ws.store.read() as conn:
            ids = list(conn.execute(q).scalars())
            if not ids:
                return
            gold = item_gold(conn, ids)
            snippets = _snippets(ws, conn, ids) if details is not None else {}
        last = ids[-1]
        items = {item.item_id: item for item in ws.items(ids=ids)}
        for item_id in ids:
            item, g = items.get(item_id), gold.get(item_id)
            if item is None or g is None:
                continue
            yield from _person_rows(kind, item, g, field,
                                    f"{mv.spec} has no prediction of this item", where,
                                    counts, snippets, fields, details is not None)


def complete_gold(ws: Workspace, conn: sa.Connection, ids: Sequence[str], *,
                  sources: dict[str, Any] | None = None
                  ) -> dict[str, tuple[str, Any, list[Any]]]:
    """Item -> (who gave it, when, its spans) for the items among ``ids`` whose text has
    complete gold spans (:func:`glamlab.store.queue.complete_span_gold`: an import, the
    labelling page's, a text marked checked, reviewers' decisions on top): a person's
    annotation of the whole text, which wins over the machine's spans of it. Who gave it
    is the set for the whole text, not a reviewer's decisions added to it later (theirs
    are people's decisions, which the export gives first). Empty outside an entities
    project. ``sources`` gets each such item's set's ``span_sets.source`` (the file an
    import read it from: :func:`gold_span_source`)."""
    from ..store.queue import (
        SPAN_REVIEW_SOURCE,
        SPAN_WITHDRAWN_SOURCE,
        complete_span_gold_items,
    )

    kind = task_kind(ws.card)
    if kind.name != "entities" or not ids:
        return {}
    sets = ws.store.t.span_sets
    whole: dict[str, tuple[str, Any]] = {}
    ids = sorted(set(ids))
    for ids_part in id_batches(conn, ids):
        complete = sorted(complete_span_gold_items(conn, ids_part))
        if not complete:
            continue
        found = conn.execute(sa.select(sets.c.id, sets.c.item_id, sets.c.annotator,
                                       sets.c.created_at, sets.c.source, sets.c.active)
                             .where(among(conn, sets.c.item_id, complete), sets.c.kind == "gold")
                             .order_by(sets.c.id)).all()
        latest = {r.item_id: r.id for r in found if r.active}
        for r in found:
            if r.id <= latest.get(r.item_id, -1) and r.source not in (
                    SPAN_REVIEW_SOURCE, SPAN_WITHDRAWN_SOURCE):
                whole[r.item_id] = (r.annotator, r.created_at)
                if sources is not None:
                    sources[r.item_id] = r.source
    from ..tasks.spans.gold import gold_spans

    # every layer (a nested gold span holds a nested machine span: :func:`_gold_holds`)
    spans = gold_spans(ws, sorted(whole), layer=None, conn=conn) if whole else {}
    return {i: (who, at, list(spans.get(i, []))) for i, (who, at) in whole.items()}


def _gold_holds(kind: TaskKind[Any, Any], c: Candidate, spans: list[Any]) -> bool:
    """Whether a text's complete gold spans hold the candidate span: the same span of the
    same layer (a nested gold span says nothing of a main-layer span over its words)."""
    from ..tasks.spans.model import MAIN_LAYER

    v = c.value if isinstance(c.value, dict) else {}
    layer = str(v.get("layer") or MAIN_LAYER)
    return kind.is_correct(c, [g for g in spans if g.layer == layer])


def _gold_verdicts(ws: Workspace, conn: sa.Connection, kind: TaskKind[Any, Any],
                   batch: list[Decision]) -> dict[int, GoldVerdict]:
    """Index in ``batch`` -> what the gold says of that candidate, for those the policy
    sends to review that a gold label settles (the review queue's definition,
    :func:`glamlab.store.queue.settled_by_gold`): the item's gold labels in force give
    its label, or its text has complete gold spans (:func:`glamlab.store.queue.complete_span_gold`),
    which hold the span or say it is not an entity. A span the policy accepts on a text
    with complete gold spans is settled by them too: a person's annotation of the text
    wins over the machine's (held: confirmed by who gave the gold; else not an entity).
    So is a label the policy accepts on an item with gold labels in force
    (classification, :func:`glamlab.store.queue.item_gold`): given by them, confirmed by
    who gave them; another label, where they are the item's whole set
    (:meth:`~glamlab.store.queue.ItemGold.whole`), not accepted (the person's wins). And
    a label the policy rejects that they give (:func:`rejected_on_gold`): accepted as
    the person's label, confirmed by who gave it (the person said it is right)."""
    from ..store.queue import item_gold

    review = [n for n, d in enumerate(batch) if d.action == "review"]
    classify = kind.name in CLASSIFICATION_KINDS
    accepted = ([n for n, d in enumerate(batch) if d.action == "accept"]
                if kind.name == "entities" or classify else [])
    # (classification) a label the policy rejects that the item's gold label gives: the
    # person said it is right (not one a safety check suppressed: :func:`rejected_on_gold`)
    rejected = [n for n, d in enumerate(batch) if rejected_on_gold(kind, d)]
    # (single-label) a label a safety check suppressed on an item whose gold label is
    # another: the row carries the person's label (:func:`gold_label_in_place`)
    suppressed = ([n for n, d in enumerate(batch) if d.suppressed]
                  if kind.name == "single-label" else [])
    if not review and not accepted and not rejected and not suppressed:
        return {}
    st = ws.store.t
    # the items' gold labels in force: those the policy sends to review, and in a
    # classification project those it accepts (a person's label wins over them)
    labelled = item_gold(conn, {batch[n].item.item_id
                                for n in (*review, *(accepted if classify else ()), *rejected,
                                          *suppressed)})
    given = {(i, label): by for i, g in labelled.items() for label, by in g.labels.items()}
    whole = (complete_gold(ws, conn, sorted({batch[n].item.item_id
                                             for n in (*review, *accepted)}))
             if kind.name == "entities" else {})
    # the other texts: a span over words a person saved as an entity is settled by it
    # (glamlab act does not queue it: glamlab.tasks.spans.saved.settled_by_person), and
    # on a text in the test split, where a decision writes no gold, by the span a
    # reviewer decided there (decided_on_test_texts), as act settles it; unless a review
    # row still asks about it (queued before the person saved theirs, until the next act
    # withdraws it): the export says what the queue does
    people: dict[str, Any] = {}
    asked: set[tuple[str, Any, str]] = set()
    if kind.name == "entities":
        from ..tasks.spans.saved import (
            decided_on_test_texts,
            people_spans,
            settled_by_person,
        )

        # (and one the policy accepts: act does not write it where the person's span
        # says otherwise, glamlab.actions.act._overruled_by_gold)
        others = sorted({batch[n].item.item_id for n in (*review, *accepted)} - set(whole))
        people = {**decided_on_test_texts(ws, conn, others),
                  **people_spans(ws, conn, others)}
        rq = st.review_queue
        with_people = sorted(people)
        for ids_part in id_batches(conn, with_people):
            asked.update((r.item_id, r.label, _same(r.value)) for r in conn.execute(
                sa.select(rq.c.item_id, rq.c.label, rq.c.value).where(
                    among(conn, rq.c.item_id, ids_part), rq.c.kind == "prediction",
                    rq.c.status == "open")))
    out: dict[int, GoldVerdict] = {}
    multi = not kind.one_value_per_item
    for n in accepted:
        d = batch[n]
        if classify and (g := labelled.get(d.item.item_id)) is not None:
            if d.label in g.labels:  # the person's label gives it: confirmed by them
                who, at = g.labels[d.label]
                out[n] = GoldVerdict(True, who, at, spans=False)
            elif g.whole(multi):  # the person's label says otherwise: theirs wins
                out[n] = _overruled(kind, d, g, multi)
        elif d.item.item_id in whole:
            who, at, spans = whole[d.item.item_id]
            out[n] = GoldVerdict(_gold_holds(kind, d.candidate, spans), who, at, spans=True)
        elif people and (by := settled_by_person(people.get(d.item.item_id), d.label,
                                                 d.value)) is not None:
            # words a person saved as an entity: theirs wins over the model's span, held
            # (confirmed by them) or not (not an entity), as a span to review over them
            out[n] = GoldVerdict(by.holds, str(by.saved.who), by.saved.at, spans=True,
                                 why=by.reason(), decision=by.saved.decision or "gold")
    for n in suppressed:
        d = batch[n]
        if (g := labelled.get(d.item.item_id)) is not None and (
                person := gold_label_in_place(kind, d, g)) is not None:
            out[n] = GoldVerdict(False, g.annotator, g.at, spans=False,
                                 labels=tuple(sorted(g.labels)), label=person)
    for n in rejected:
        d = batch[n]
        if (d.item.item_id, d.label) in given:  # the person's label gives it
            who, at = given[(d.item.item_id, d.label)]
            out[n] = GoldVerdict(True, who, at, spans=False)
        elif (g := labelled.get(d.item.item_id)) is not None and (
                person := gold_label_in_place(kind, d, g)) is not None:
            # (single-label) the person's label is another: the row carries theirs
            out[n] = GoldVerdict(False, g.annotator, g.at, spans=False,
                                 labels=tuple(sorted(g.labels)), label=person)
        elif multi and g is not None and g.checked is not None:
            # (multi-label) a record a reviewer checked whole: a term it leaves out is
            # one that person said does not apply, as the policy did (none at all: the
            # record was checked with no term)
            out[n] = GoldVerdict(False, g.checked[0], g.checked[1], spans=False,
                                 labels=tuple(sorted(g.labels)), checked=True)
    for n in review:
        d = batch[n]
        if (d.item.item_id, d.label) in given:
            who, at = given[(d.item.item_id, d.label)]
            out[n] = GoldVerdict(True, who, at, spans=False)
        elif classify and (g := labelled.get(d.item.item_id)) is not None and g.whole(multi):
            # the person's label is another: theirs wins, as over an accepted label
            # (single-label: the row carries it), until a reviewer decides
            out[n] = _overruled(kind, d, g, multi)
        elif d.item.item_id in whole:
            who, at, spans = whole[d.item.item_id]
            out[n] = GoldVerdict(_gold_holds(kind, d.candidate, spans), who, at, spans=True)
        elif (people and (d.item.item_id, d.label, _same(d.value)) not in asked
              and (by := settled_by_person(people.get(d.item.item_id), d.label,
                                           d.value)) is not None):
            out[n] = GoldVerdict(by.holds, str(by.saved.who), by.saved.at, spans=True,
                                 why=by.reason(), decision=by.saved.decision or "gold")
    return out


def _overruled(kind: TaskKind[Any, Any], d: Decision, g: Any, multi: bool) -> GoldVerdict:
    """The verdict of a person's gold labels ``g``, the item's whole set, on a candidate
    they do not give: not accepted; by who checked the record, where a reviewer checked
    it whole (multi-label), else by who gave the labels."""
    if multi and g.checked is not None:
        return GoldVerdict(False, g.checked[0], g.checked[1], spans=False,
                           labels=tuple(sorted(g.labels)), checked=True)
    return GoldVerdict(False, g.annotator, g.at, spans=False, labels=tuple(sorted(g.labels)),
                       label=gold_label_in_place(kind, d, g))


@dataclass(frozen=True)
class GoldVerdict:
    """What a gold label says of a candidate it settles: ``holds`` it or not, who gave
    the gold and when; ``spans``: a text's complete gold spans (else a gold label)."""

    holds: bool
    annotator: str
    at: Any
    spans: bool
    #: the reason in words, where it is not one of the above (a span a person saved
    #: over the same words: :class:`glamlab.tasks.spans.saved.PersonVerdict`)
    why: str | None = None
    #: the row's ``decision``: ``gold``, or on a text in the test split (no gold written
    #: there) the action of the reviewer's decision over the same words that settles it
    #: (``accept``, ``correct``, ``add``): ``annotator`` is that reviewer, ``at`` its time
    decision: str = "gold"
    #: the item's gold labels, where they do not give the candidate's label (a
    #: classification project: the person's label wins over the one the policy accepted)
    labels: tuple[str, ...] = ()
    #: (single-label) the person's label the row carries in place of the model's
    #: (:func:`.act.gold_label_in_place`): exported accepted, as a correction is
    label: str | None = None
    #: (multi-label) the gold is a record a reviewer checked whole (``annotator``):
    #: every term it does not give is one they said does not apply
    checked: bool = False

    @property
    def whose(self) -> str:
        """Whose label, in words: an imported label's annotator is ``import`` (a file,
        not a person called import)."""
        return "the imported" if self.annotator == "import" else f"{self.annotator}'s"

    def reason(self, model: str | None = None) -> str:
        if self.why is not None:
            return self.why
        if self.label is not None:
            return (f"settled by a gold label: {self.whose} label is {self.label!r}"
                    + (f", not the model's {model!r}" if model is not None else "")
                    + " (a person's label wins over the model's)")
        if self.checked and not self.holds:
            if not self.labels:
                return (f"settled by a gold label: {self.annotator} checked the whole record "
                        "and found none of the terms applies")
            given = ", ".join(repr(x) for x in self.labels)
            return (f"settled by a gold label: {self.annotator} checked the whole record: "
                    f"its terms are {given}, not this one")
        if not self.spans and not self.holds:
            given = ", ".join(repr(x) for x in self.labels)
            return (f"settled by a gold label: {self.whose} "
                    + (f"label is {given}" if len(self.labels) == 1
                       else f"labels are {given}")
                    + ", not this one (a person's label wins over the model's)")
        if not self.spans:
            return f"settled by a gold label: {self.whose} label gives it"
        if self.holds:
            return f"settled by a gold label: the gold spans {self.annotator} gave hold it"
        return (f"settled by a gold label: the gold spans {self.annotator} gave for the whole "
                "text do not hold it (not an entity)")


def _row(kind: TaskKind[Any, Any], d: Decision, mv: ModelVersion, field: str,
         person: PersonDecision | None,
         stored: dict[tuple[int, str], Any],
         candidates: set[tuple[str, str]] | None = None,
         gold: GoldVerdict | None = None) -> tuple[dict[str, Any], Candidate]:
    """One export row, and the candidate it says: the policy's decision, overridden by
    the latest decision of a person that counts for it (:mod:`.people`: made on this
    prediction or an earlier one of the item), else, for a candidate the policy sends to
    review (or accepts, on a text with complete gold spans or an item with a gold label;
    or, classification, rejects with a label the item's gold label gives),
    by the gold label that settles it (``gold``: :func:`_gold_verdicts`).
    ``candidates``: the item's other
    candidates, where an item has several values (multi-label): a correction of this
    candidate to one of them is a rejection of this one (the other's row says the
    person's value, confirmed), so the value is not exported twice."""
    final = d.candidate
    value, action, origin = d.label, d.action, "machine"
    score: float | None = round(d.score, 6)
    reason = d.reason
    confirmed_by = confirmed_at = decision = confirmed_from = None
    if person is not None:
        decision, confirmed_by, confirmed_at = person.recorded, person.user, person.created_at
        # where the decision came from (web queue, JSON API, a review import's file)
        confirmed_from = decision_source(person.source)
        if person.action == "reject" and gold is not None and gold.label is not None:
            # (single-label) the reviewer turned the model's label down, agreeing with
            # the item's gold label, which is another: the row carries the person's label
            value, origin, score, action = gold.label, "person", None, "accept"
            final = Candidate(gold.label, d.score, None)
            decision, confirmed_by, confirmed_at = gold.decision, gold.annotator, gold.at
            confirmed_from = None  # the gold label's, not the decision's
            reason = f"rejected by reviewer {person.user}; {gold.reason(d.label)}"
        elif person.action == "reject":
            action = "reject"
            reason = f"rejected by reviewer {person.user}"
        elif (person.action == "correct" and person.label and candidates
              and (person.label, _same(person.value)) in candidates
              and (person.label, _same(person.value)) != (d.label, _same(d.value))):
            action = "reject"
            decision = "correct"
            reason = (f"corrected by reviewer {person.user} to {person.label!r} "
                      "(the row of that suggestion has it)")
        else:
            action = "accept"
            reason = f"accepted by reviewer {person.user}"
            if person.action == "correct" and person.label and (
                    person.label != d.label or _same(person.value) != _same(d.value)):
                value, origin, score = person.label, "person", None
                decision = "correct"  # also where the person accepted it on another prediction
                final = Candidate(person.label, d.score, person.value)
                reason = f"corrected by reviewer {person.user} from {d.label!r}"
            elif (person.recorded == "correct" and person.queued is not None
                  and person.queued != d.label and d.action == "reject"):
                # (multi-label) the label a reviewer gave in place of the suggestion
                # they were asked about, which the model did not suggest itself: the
                # person's, not the model's (no score to filter it out by)
                origin, score = "person", None
                reason = (f"added by reviewer {person.user} in place of {person.queued!r} "
                          "(the model did not suggest it)")
    elif gold is not None:
        # (an accepted span or label gold settles, or a rejected label it gives: a
        # person's annotation wins)
        action = "accept" if gold.holds else "reject"
        decision, reason = gold.decision, gold.reason(d.label)
        confirmed_by, confirmed_at = gold.annotator, gold.at
        if gold.label is not None:  # (single-label) the person's label, as a correction
            value, origin, score, action = gold.label, "person", None, "accept"
            final = Candidate(gold.label, d.score, None)
        elif gold.holds and not gold.spans and d.action == "reject":
            # a label the policy rejects that the person's gold gives: accepted as the
            # person's label, not the model's (no score to filter it out by), as a gold
            # label in place of the model's is
            origin, score = "person", None
    written = stored.get((d.prediction_id, kind.metadata_value(final)))
    if person is None and written is not None and (gold is None or written.confirmed_by):
        confirmed_by, confirmed_at = written.confirmed_by, written.confirmed_at
    return {
        "item_id": d.item.item_id, "uri": d.item.uri, "field": field, "value": value,
        "origin": origin, "action": action, "score": score,
        "model": mv.name, "model_version": mv.version, "run_id": d.run_id,
        "prediction_id": d.prediction_id, "reason": reason,
        "safety": (f"{d.safety.check} {d.safety.name}: {d.safety.action}"
                   if d.safety else None),
        "predicted_at": _iso(d.created_at),
        "written_at": _iso(written.created_at) if written is not None else None,
        "confirmed_by": confirmed_by,
        "confirmed_at": _iso(confirmed_at),
        "decision": decision,
        "predicted_value": d.label,
        "confirmed_from": confirmed_from,
        **kind.export_values(final),
    }, final


# -- writers ------------------------------------------------------------------------
def write_csv(rows: Iterator[Exported], out: IO[Any], cols: list[str] = COLUMNS, *,
              details: Sequence[str] = (), fmt: str = "csv", bom: bool = True,
              report: dict[str, Any] | None = None) -> int:
    """The export as a spreadsheet: CSV (with a BOM unless ``bom=False``; formula-safe
    cells, ids never altered) or ``fmt="xlsx"`` (text cells typed as text). ``details``:
    the detail columns (:func:`detail_columns`) after the export's own. ``report`` gets
    ``risky_ids``: ids written as they are that a spreadsheet would evaluate, and
    ``number_like_ids``: ids it would read as another number (0042, 1E5)."""
    def cells() -> Iterator[list[Any]]:
        for e in rows:
            yield [*(_cell(e.row.get(c)) for c in cols), *(_cell(e.details.get(c))
                                                          for c in details)]

    done = write_sheet(out, [*cols, *details], cells(), fmt=fmt, id_columns=ID_COLUMNS,
                       bom=bom, title="export")
    if report is not None:
        report["risky_ids"] = done.risky_ids
        report["number_like_ids"] = done.number_like_ids
    return done.rows


#: the way out of a spreadsheet's changing ids that the web app's Export page offers
WEB_ID_FIX = "download the JSON lines or Parquet file, which keep every id as text"


def spreadsheet_id_warning(ws: Workspace, fix: str) -> str | None:
    """The warning a CSV export of ``ws`` gets (:func:`glamlab.sheets.risky_ids_warning`),
    worked out before the file is written: from the current items' ids a spreadsheet would
    evaluate or read as another number, or ``None`` when there are none. The database
    narrows the ids down by how they start (index look-ups); only those are checked here.
    What the web page shows beside its download links."""
    from ..sheets import _FORMULA_START, would_become_number, would_evaluate

    t = ws.store.t.items
    i = t.c.item_id
    current = t.c.is_current.is_(True)

    def starts(c: str) -> Any:
        """The current ids that start with the character ``c``: on SQLite as a range of
        ``ix_items_current`` (its LIKE ignores case, so it reads no index; ids compare
        byte by byte there, so the range is exact); LIKE elsewhere (PostgreSQL's
        collation need not keep the ids that start with a sign together)."""
        if ws.store.is_sqlite:
            return sa.and_(current, i >= c, i < chr(ord(c) + 1))
        return sa.and_(current, i.like(c + "%"))

    digit = sa.and_(current, i >= "0", i < ":")
    # each alternative with the current items' condition of its own: SQLite reads each
    # one's range of the index (a multi-index OR), not every current item
    maybe = sa.or_(*(starts(c) for c in _FORMULA_START), starts("0"),
                   sa.and_(digit, sa.or_(i.like("%e%"), i.like("%E%"))),
                   sa.and_(digit, sa.func.length(i) >= 16))
    risky = number_like = 0
    with ws.store.read() as conn:
        for (item_id,) in conn.execute(sa.select(i).where(maybe).distinct()):
            if would_evaluate(item_id):
                risky += 1
            elif would_become_number(item_id):
                number_like += 1
    if not (risky or number_like):
        return None
    return risky_ids_warning(risky, fix, number_like=number_like)


def stale_predictions_warning(ws: Workspace) -> str | None:
    """The export's model (the policy's, else the champion): how many current items
    were re-ingested with new text or a new image after it predicted them, in words, or
    ``None`` when there are none (or no model). Their exported values (and, for entities,
    span offsets) are about the earlier version until the model runs again. What the web
    page shows beside its download links, before anything is written."""
    from ..errors import GlamlabError
    from ..inference.plan import content_changed
    from .act import resolve_model
    from .policy import load_policy

    try:
        mv = resolve_model(ws, None, load_policy(ws.card), exporting=True)
    except GlamlabError:
        return None
    items = ws.store.t.items
    # an item changed since it was predicted has another version than the one it has now,
    # so a version above 1: only those items are looked at (``ix_items_version``), not the
    # whole collection, on every view of the Export page
    again = items.alias("reingested")
    reingested = sa.select(again.c.item_id).where(again.c.version > 1)
    with ws.store.read() as conn:
        n = int(conn.execute(sa.select(sa.func.count()).select_from(items).where(
            items.c.is_current.is_(True), items.c.item_id.in_(reingested),
            content_changed(ws, mv.id))).scalar() or 0)
    if not n:
        return None
    return (f"{n:,} item{'s were' if n != 1 else ' was'} brought in again with new text or "
            f"a new image after {mv.spec} predicted {'them' if n != 1 else 'it'}: "
            f"{'their' if n != 1 else 'its'} exported values (and the places of entities in "
            "the text) are about the earlier version. Run the model again (the Run stage) "
            "before downloading.")


def export_model_note(ws: Workspace, *, web: bool = False) -> str | None:
    """Whose predictions the export holds when they are not the model in use's (none is
    in use yet, or it has not been run yet: the latest run's model's), in words, as the
    export's ``result["notes"]`` says it (:func:`.act.choose_model`, the one rule); None
    when they are the model in use's (or there is nothing to export). What the web page
    shows beside its download links, before anything is written."""
    from ..errors import GlamlabError

    try:
        return choose_model(ws, None, load_policy(ws.card, web=web), web=web,
                            exporting=True)[1]
    except GlamlabError:
        return None


def unpredicted_items(ws: Workspace, model_id: int) -> dict[str, Any] | None:
    """``{"items": 238, "failed": 1, "run_id": 4, "not_run": 0}``: of the collection's
    current items, those the model ``model_id`` has no prediction for, as
    :func:`glamlab.workspace.status.count_unpredicted_by_cause` splits them (``failed``:
    its latest run, ``run_id``, could not predict them). None when it predicted them all."""
    from ..workspace.status import count_unpredicted_by_cause

    t = ws.store.t
    with ws.store.read() as conn:
        not_run, failed, run_id = count_unpredicted_by_cause(conn, t, model_id)
        if not (not_run or failed):
            return None
        total = int(conn.execute(sa.select(sa.func.count()).select_from(t.items).where(
            t.items.c.is_current.is_(True))).scalar() or 0)
    return {"items": total, "failed": failed, "run_id": run_id, "not_run": not_run}


def unpredicted_words(missing: dict[str, Any], model: str, things: str = "items") -> str:
    """:func:`unpredicted_items` in the command line's words: how many, why, and where
    to see them (``glamlab runs --failures``) or what to do (``glamlab run``); ``things``:
    what the items are (``texts`` in an entities project)."""
    failed, not_run = missing["failed"], missing["not_run"]
    n = failed + not_run
    one = n == 1
    them = "it" if one else "them"
    why = []
    if failed:
        why.append(f"the latest run could not predict {them if failed == n else failed} "
                   f"(see why: glamlab runs --failures {missing['run_id']})")
    if not_run:
        why.append(f"{not_run:,} it has not run on yet (glamlab run)" if failed else
                   f"it has not run on {them} yet (glamlab run)")
    return (f"{n:,} of the {missing['items']:,} {things} {'has' if one else 'have'} no "
            f"prediction from {model}: " + "; ".join(why))


def unpredicted_warning(ws: Workspace, *, web: bool = False) -> str | None:
    """The export's model (the policy's, else the champion) has predictions, but none for
    some current items (an older model chosen again, or items brought in after its run):
    the export has no row for them (items a run of it could not predict are not counted:
    :func:`glamlab.workspace.status.count_unpredicted`). In words, or ``None`` when it
    predicted every item (or nothing, or there is no model). ``web``: the fix names the Run page."""
    from ..errors import GlamlabError
    from ..workspace.status import count_unpredicted
    from .act import resolve_model
    from .policy import load_policy

    try:
        mv = resolve_model(ws, None, load_policy(ws.card), exporting=True)
    except GlamlabError:
        return None
    t = ws.store.t
    p = t.predictions.c
    with ws.store.read() as conn:
        if conn.execute(sa.select(p.id).where(p.model_id == mv.id).limit(1)).first() is None:
            return None
        n = count_unpredicted(conn, t, mv.id)
    if not n:
        return None
    how = "run the model in use on the Run page" if web else "run it first: `glamlab run`"
    them = "them" if n != 1 else "it"
    # (classification) an item a person labelled is exported with their label all the
    # same (:func:`_gold_only`)
    kind = task_kind(ws.card)
    labelled = (" (only a label a person gave, where one did)"
                if kind.name in CLASSIFICATION_KINDS else "")
    # the project's word for its items (an entities project's texts, as export says them)
    return (f"{mv.spec} has no prediction for {n:,} {kind.noun_one if n == 1 else kind.noun}: the "
            f"downloads have no model value for {them}{labelled}. To include {them}, "
            f"{how} before downloading.")


#: a row, an annotation as the JSON files write it: strict JSON, a NaN or infinity as null
#: (``json.dumps`` wrote ``NaN``, which jq, JSON.parse, jsonb and OpenRefine refuse)
json_text = encoder(ensure_ascii=False)


def _cell(value: Any) -> Any:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else value


def write_jsonl(rows: Iterator[Exported], out: IO[str]) -> int:
    n = 0
    for e in rows:
        out.write(json_text({**e.row, **e.details}) + "\n")
        n += 1
    return n


#: the export's columns that say when something happened (UTC): Parquet timestamps
TIME_COLUMNS = ("predicted_at", "written_at", "confirmed_at")


def date_columns(ws: Workspace, details: Sequence[tuple[str, str]]) -> list[str]:
    """The detail columns (``details``: (column, metadata field) pairs,
    :func:`detail_meta`) whose metadata field the project's
    table types as a date (``[tabular] time_column`` and ``date`` columns of
    ``[tabular.columns]``): Parquet writes them as timestamps."""
    section = ws.card.section("tabular")
    dates = {str(c) for c, kind in dict(section.get("columns") or {}).items() if kind == "date"}
    if section.get("time_column"):
        dates.add(str(section["time_column"]))
    return [c for c, f in details if f in dates]


def _timestamp(value: Any, column: str, item_id: str) -> datetime | None:
    """A time (``2026-03-01T10:00:00Z``, ``1887-03-02``) as a UTC datetime without a time
    zone, for a Parquet timestamp; one PolicyError naming the item when it is not one."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        at = value
    else:
        try:
            at = datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise PolicyError(
                f"item {item_id!r}: its {column} {value!r} is not a date, and the project's "
                "table says that column is one, so the Parquet file was not written",
                hint=f"correct {item_id}'s {column} (e.g. 1887-03-02), or export CSV or "
                     "JSON lines, which keep it as text") from None
    if at.tzinfo is not None:
        at = at.astimezone(UTC).replace(tzinfo=None)
    return at


def write_parquet(rows: Iterator[Exported], path: Path | IO[bytes], group_size: int = 5000,
                  extra: tuple[str, ...] = (), details: Sequence[str] = (),
                  dates: Sequence[str] = ()) -> int:
    """The export as Parquet; ``extra`` columns (the task kind's) and ``details`` (the
    item's title, text snippet and metadata fields, :func:`detail_columns`) are text
    (JSON for anything that is not), except the detail columns ``dates``
    (:func:`date_columns`), timestamps as the times the export keeps
    (:data:`TIME_COLUMNS`, in UTC)."""
    import pyarrow as pa

    stamp = pa.timestamp("ms", tz="UTC")  # Parquet has no unit of seconds
    schema = pa.schema([
        ("item_id", pa.string()), ("uri", pa.string()), ("field", pa.string()),
        ("value", pa.string()), ("origin", pa.string()), ("action", pa.string()),
        ("score", pa.float64()), ("model", pa.string()), ("model_version", pa.int64()),
        ("run_id", pa.int64()), ("prediction_id", pa.int64()), ("reason", pa.string()),
        ("safety", pa.string()), ("predicted_at", stamp), ("written_at", stamp),
        ("confirmed_by", pa.string()), ("confirmed_at", stamp),
        ("decision", pa.string()), ("predicted_value", pa.string()),
        ("confirmed_from", pa.string()),
        *[(c, pa.timestamp("ms") if c in dates else pa.string()) for c in (*extra, *details)]])
    def table_rows() -> Iterator[dict[str, Any]]:
        for e in rows:
            row = {**e.row, **{c: _timestamp(e.row.get(c), c, e.item.item_id)
                               for c in TIME_COLUMNS}}
            if e.exact_score is not None:  # full precision: the file is for data tools
                row["score"] = e.exact_score
            if extra:
                row = {**row, **{c: None if row.get(c) is None else
                                 row[c] if isinstance(row[c], str) else json.dumps(row[c])
                                 for c in extra}}
            if details:
                row = {**row, **{c: _timestamp(e.details.get(c), c, e.item.item_id)
                                 if c in dates else _text_cell(e.details.get(c))
                                 for c in details}}
            yield row

    return write_parquet_rows(table_rows(), path, schema, group_size)


def write_parquet_rows(rows: Iterable[dict[str, Any]], path: Path | IO[bytes], schema: Any,
                       group_size: int = 5000) -> int:
    """``rows`` (dicts of ``schema``'s columns) as one Parquet file, ``group_size`` rows
    to a row group (so memory stays bounded); an empty file still has the columns.
    Returns the number of rows."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    n = 0
    buf: list[dict[str, Any]] = []
    with pq.ParquetWriter(path if not isinstance(path, Path) else str(path), schema) as writer:
        for row in rows:
            buf.append(row)
            n += 1
            if len(buf) >= group_size:
                writer.write_table(pa.Table.from_pylist(buf, schema=schema))
                buf = []
        if buf or n == 0:
            writer.write_table(pa.Table.from_pylist(buf, schema=schema))
    return n


def _text_cell(value: Any) -> str | None:
    return None if value is None else value if isinstance(value, str) else json.dumps(
        value, ensure_ascii=False, default=str)


def canvas_id(item: Item) -> str | None:
    """The IIIF canvas an item came from (ingest keeps it in the item's metadata)."""
    for key in _CANVAS_KEYS:
        value = item.meta.get(key)
        if isinstance(value, str) and value:
            return value
    return None


_NUMBER = r"\d+(?:\.\d+)?"
_XYWH_ANY_RE = re.compile(rf"^(pixel:|percent:)?({_NUMBER}),({_NUMBER}),({_NUMBER}),({_NUMBER})$")


def _percent(v: float) -> str:
    return f"{v * 100:.4f}".rstrip("0").rstrip(".")


def xywh(item: Item) -> str | None:
    """The item's region on its image/canvas as ``x,y,w,h`` (Media Fragments: whole
    pixels; ``percent:x,y,w,h`` when it is given in percent), when it is a region.
    ``pixel:`` and decimals (rounded) are read as the Media Fragments syntax allows, so a
    region written so is not taken for the whole canvas. A region given as fractions of
    the image (``0.12,0.3,0.25,0.1``, as detection tools write normalised boxes: decimals
    from 0 to 1 that stay inside it) is written in percent, and a width or height under
    one pixel as one pixel: rounded to whole pixels, both were ``0,0,0,0``, a region of
    no size that viewers show nowhere."""
    for key in ("xywh", "region", "box"):
        value = item.meta.get(key)
        if isinstance(value, list | tuple) and len(value) == 4 and all(
                isinstance(v, int | float | str) and not isinstance(v, bool) for v in value):
            # read as the text form is ("10", a JSON sidecar's strings, too), so that a
            # value that is no number (NaN, "a") is no region rather than an error
            value = ",".join(str(v).strip() for v in value)
        if isinstance(value, str):
            value = value.strip().removeprefix("xywh=").replace(" ", "")
            m = _XYWH_ANY_RE.match(value)
            if m:
                unit, numbers = m.group(1), m.groups()[1:]
                if unit == "percent:":
                    return value
                x, y, w, h = (float(n) for n in numbers)
                if unit is None and "." in value and w > 0 and h > 0 and \
                        x + w <= 1 and y + h <= 1:
                    return "percent:" + ",".join(_percent(v) for v in (x, y, w, h))
                return ",".join([str(round(x)), str(round(y)), str(max(1, round(w))),
                                 str(max(1, round(h)))])
    return None


URL_KEYS = ("url", "record_url", "link", "landing_page", "isShownAt")


def iri(text: str) -> str:
    """``text`` as a URI safe to put in an annotation: spaces, control and other
    characters a URI may not hold are percent-encoded; what a URI may hold is kept."""
    return quote(text, safe=":/?#[]@!$&'()*+,;=%~")


def target_url(item: Item, template: str | None = None) -> str | None:
    """The item's own URL for an annotation target: its IIIF canvas, the record URL in its
    metadata (``url``, ``record_url``, ``link``, ``landing_page``, ``isShownAt``), the
    ``[export] target_template`` filled with the item id, or its http(s) URI."""
    canvas = canvas_id(item)
    if canvas:
        return iri(canvas)
    for key in URL_KEYS:
        value = item.meta.get(key)
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            return iri(value)
    if template:
        return template.format(item_id=quote(item.item_id, safe=""))
    if item.uri and item.uri.startswith(("http://", "https://")):
        return iri(item.uri)
    return None


def _target_source(item: Item, template: str | None = None) -> str:
    url = target_url(item, template)
    if url:
        return url
    if item.uri:
        return Path(item.uri).resolve().as_uri()
    return f"urn:glamlab:item:{iri(item.item_id)}"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._~-]+", "-", text).strip("-") or "x"


def web_annotation(row: dict[str, Any], item: Item, base: str,
                   template: str | None = None,
                   selector: dict[str, Any] | None = None,
                   meta: Sequence[str] = ()) -> dict[str, Any]:
    """One W3C Web Annotation; ``selector`` (from the task kind: e.g. a span's
    ``TextPositionSelector``) says which part of the item it is about; ``meta``: the
    item metadata fields the target carries (:func:`w3c_metadata`)."""
    target: dict[str, Any] = {"source": _target_source(item, template)}
    region = xywh(item)
    if selector is not None:
        target["selector"] = selector
    elif region:
        target["selector"] = {"type": "FragmentSelector",
                              "conformsTo": "http://www.w3.org/TR/media-frags/",
                              "value": f"xywh={region}"}
    pairs = w3c_metadata(item, meta)
    if pairs:
        target["metadata"] = pairs
    anno: dict[str, Any] = {
        "id": annotation_id(base, row),
        "type": "Annotation",
        "motivation": "classifying",
        "body": {"type": "TextualBody", "value": row["value"], "purpose": "classifying",
                 "format": "text/plain"},
        "target": target,
        **_provenance(row),
    }
    return anno


def annotation_id(base: str, row: dict[str, Any]) -> str:
    """An exported annotation's id: its prediction and value; a person's gold label the
    model gave no value for (no prediction: :func:`_gold_row`), its item and value."""
    if row["prediction_id"] is None:
        return f"{base}gold-{_slug(row['item_id'])}-{_slug(row['value'])}"
    return f"{base}{row['prediction_id']}-{_slug(row['value'])}"


def _provenance(row: dict[str, Any]) -> dict[str, Any]:
    """What every exported annotation says about where it came from: the model and
    version that made it, when, how sure it was, what the policy did, and who confirmed it.
    A person's label (``origin=person``: a gold label the model gave no value for,
    :func:`_gold_row`; one in place of the model's; a reviewer's correction) is the
    person's: its ``creator`` is who gave it, with no model ``generator`` (the CSV's model
    columns say whose ``predicted_value`` it replaced), ``created`` when they gave it."""
    out: dict[str, Any] = {}
    person = row["origin"] == "person"
    if row["model"] is not None and not person:
        out["generator"] = {
            "id": f"urn:glamlab:model:{_slug(row['model'])}@{row['model_version']}",
            "type": "Software", "name": f"glamlab model {row['model']}@{row['model_version']}"}
    else:
        out["creator"] = {"type": "Person", "name": row["confirmed_by"]}
    out.update({
        "created": ((row["confirmed_at"] if person else None) or row["written_at"]
                    or row["predicted_at"] or row["confirmed_at"]),
        "confidence": row["score"],
        "action": row["action"],
        "field": row["field"],
    })
    if row["confirmed_by"]:
        out["confirmedBy"] = row["confirmed_by"]
        if row["confirmed_at"]:  # when they confirmed it (or checked its record)
            out["confirmedAt"] = row["confirmed_at"]
        if row.get("confirmed_from"):  # where the decision came from (decision_source)
            out["confirmedFrom"] = row["confirmed_from"]
    return out


def write_w3c(rows: Iterator[Exported], out: IO[str], *,
              base: str, label: str, kind: TaskKind[Any, Any], template: str | None = None,
              local: list[int] | None = None, meta: Sequence[str] = ()) -> int:
    """An AnnotationCollection whose first page holds every annotation, streamed.
    ``local`` (a one-element list) counts the annotations whose target is a local file.
    ``meta``: the item metadata fields each target carries (:func:`w3c_metadata`)."""
    head = {"@context": [ANNO_CONTEXT, EXTENSION_CONTEXT], "id": f"{base}collection",
            "type": "AnnotationCollection", "label": label}
    text = json.dumps(head, ensure_ascii=False)
    out.write(text[:-1] + ', "first": {"id": ' + json.dumps(f"{base}page1")
              + ', "type": "AnnotationPage", "startIndex": 0, "items": [')
    n = 0
    for e in rows:
        anno = web_annotation(e.row, e.item, base, template,
                              kind.annotation_selector(e.candidate), meta)
        if local is not None and anno["target"]["source"].startswith("file:"):
            local[0] += 1
        out.write((",\n" if n else "\n") + json_text(anno))
        n += 1
    out.write(f"\n]}}, \"total\": {n}}}\n")
    return n


def _check_iiif_base(base: str) -> None:
    if not base.startswith(("http://", "https://")):
        raise PolicyError(f"IIIF annotation ids must be HTTP(S) URIs; the base {base!r} is not",
                          hint=base_url_fix())


def base_url_fix() -> str:
    """Where IIIF annotations are published, in the caller's words (:mod:`glamlab.said`)."""
    return in_words("give base_url='https://your.site/annotations/' or set [export] "
                    "base_url in glamlab.toml",
                    "give --base-url https://your.site/annotations/ or set [export] base_url "
                    "in glamlab.toml",
                    "ask whoever runs glamlab on the server to set the web address the "
                    "annotations are published at ([export] base_url in the project's "
                    "glamlab.toml)")


def _iiif_row(row: dict[str, Any]) -> dict[str, Any]:
    prov = _provenance(row)
    return {**row, "generator": prov.get("generator"), "created": prov["created"],
            "confidence": row["score"]}


def _anno_id(base: str) -> Any:
    return lambda row: annotation_id(base, row)


def _uri(item: Item) -> str:
    return canvas_id(item) or item.uri or item.item_id


def _shown(text: str) -> str:
    """``text`` quoted for a message, control characters escaped, at most 80 characters."""
    shown = repr(text)
    return shown if len(shown) <= 80 else shown[:77] + "..."


def left_out_words(refused: Sequence[dict[str, Any]]) -> str:
    """The summary's count of the items a filter list left out, in words ('' for none)."""
    if not refused:
        return ""
    one = len(refused) == 1
    paths = sum(1 for r in refused if r.get("why") == "server path")
    if paths == len(refused):
        why = (f"{'it is a file' if one else 'they are files'} on the server, whose "
               "paths only an admin is given")
    elif paths:
        why = ("files on the server, whose paths only an admin is given, or addresses "
               "holding control characters")
    else:
        why = (f"{'its address holds' if one else 'their addresses hold'} control "
               "characters")
    return (f"{len(refused):,} item{'' if one else 's'} left out of the list: {why} "
            f"({'named below' if one else 'each named below'} with the fix)")


def write_filter(ws: Workspace, out: IO[str], *, model: str | None,
                 where: ExportFilter,
                 refused: list[dict[str, Any]] | None = None,
                 server_paths: bool = True) -> tuple[int, str]:
    """One URI per line. Returns (count, what the list is, in words).

    A URI holding a control character (a newline would add a line of its own to a list
    that is sent to a paid service) is never written: it is added to ``refused`` with
    the fix, and the rest of the list is written. So is, with ``server_paths=False`` (a
    non-admin's download), a file on the server: its path is for admins only."""
    from ..items import is_local

    refused = refused if refused is not None else []

    def line(item: Item) -> bool:
        uri = _uri(item)
        if not server_paths and uri == item.uri and is_local(uri):
            refused.append({"item_id": item.item_id, "uri": Path(uri).name,
                            "why": "server path",
                            "reason": f"it is the file {Path(uri).name} on the server, named "
                                      "in the list by its path there, which only an admin "
                                      "is given",
                            "fix": "ask an admin to download the send-on list"})
            return False
        bad = control_characters(uri)
        if bad:
            refused.append({"item_id": item.item_id, "uri": uri,
                            "reason": f"its address {_shown(uri)} holds control characters "
                                      f"({', '.join(bad)}), which would break the list's "
                                      "one address a line",
                            "fix": "rename the file (or fix its path or URL in the table) "
                                   "and ingest it again, then export the list again"})
            return False
        out.write(uri + "\n")
        return True

    positive = ws.card.positive_label
    if where.actions or where.label or where.confirmed is not None or where.min_score is not None \
            or positive is None:
        n = 0
        last = None
        for e in iter_rows(ws, model=model, where=where):
            item = e.item
            if item.item_id != last:
                n += line(item)
                last = item.item_id
        return n, "items with a matching prediction"
    # items NOT accepted as the positive label: merge the items with the accepted ones
    from ..store.queue import items_labelled

    labelled: set[str] = set()
    if task_kind(ws.card).name in CLASSIFICATION_KINDS:  # (the items' gold is their labels)
        with ws.store.read() as conn:
            labelled = items_labelled(conn, positive)

    predicted: set[str] = set()  # the items of ``labelled`` with export rows

    def held_back() -> Iterator[str]:
        """The items the export accepts as the positive label, in item order, and those
        with a prediction a person's gold label in force gives it (the person's label
        wins over the model's other label), unless a person decided on the item: their
        decision is the row's."""
        rows: list[dict[str, Any]] = []
        for e in iter_rows(ws, model=model):
            if e.row["item_id"] in labelled:
                predicted.add(e.row["item_id"])
            if rows and rows[0]["item_id"] != e.row["item_id"]:
                if _held(rows, positive, labelled):
                    yield rows[0]["item_id"]
                rows = []
            rows.append(e.row)
        if rows and _held(rows, positive, labelled):
            yield rows[0]["item_id"]

    accepted = held_back()
    nxt = next(accepted, None)
    n = 0
    for item in ws.items():
        while nxt is not None and nxt < item.item_id:
            nxt = next(accepted, None)
        if nxt == item.item_id:
            continue
        # (the rows of the items before ``nxt`` are read by now) an item a person's gold
        # label gives the positive label that the model has no prediction of: held back
        if item.item_id in labelled and item.item_id not in predicted:
            continue
        n += line(item)
    return n, f"items not accepted as {positive!r} (to send on)"


def _held(rows: list[dict[str, Any]], positive: str, labelled: set[str]) -> bool:
    """Whether the filter list holds back an item, from its export rows: one accepts the
    positive label, or a person's gold label gives it (``labelled``) and no person
    decided on the item (a decision of theirs is what its row says)."""
    if any(r["action"] == "accept" and r["value"] == positive for r in rows):
        return True
    return rows[0]["item_id"] in labelled and not any(
        r["decision"] not in (None, "gold") for r in rows)


BASE_WARNING = ("no [export] base_url in glamlab.toml: annotation ids use the placeholder "
                "{base}; set base_url to where you will publish the files (or give "
                "--base-url)")


def configured_base(ws: Workspace) -> str | None:
    base = ws.card.section("export").get("base_url")
    if isinstance(base, str) and base:
        return base if base.endswith(("/", "#", ":")) else base + "/"
    return None


def default_base(ws: Workspace, fmt: str) -> str:
    base = configured_base(ws)
    if base:
        return base
    if fmt == "iiif":
        return f"https://example.org/glamlab/{_slug(ws.card.task)}/annotations/"
    return f"urn:glamlab:{_slug(ws.card.task)}:annotation:"


def _say_known_outcomes(ws: Workspace, result: dict[str, Any], warnings: list[str], *,
                        web: bool = False) -> None:
    """In a tabular project, the rows whose outcome is known are not exported (nothing is
    left to decide about them, as in act): say how many, in the notes, and, when that
    leaves the file without a row, why it is empty and what to do, in the warnings."""
    from ..tasks.tabular import count_known_outcomes, outcome_column

    if outcome_column(ws) is None:
        return
    known = count_known_outcomes(ws)
    result["known_outcomes"] = known
    if not known:
        return
    what = (f"{known:,} row{'' if known == 1 else 's'} whose outcome is known already "
            f"{'is' if known == 1 else 'are'} left out: the export holds the rows still to "
            "come, the ones a decision is still to be made about (the known outcomes are "
            "in your table)")
    if result.get("rows", result.get("annotations", result.get("uris"))):
        result["notes"].append(what + ".")
        return
    todo = ("bring the rows still to come in (without their outcomes) on the Bring rows in "
            "page, run the model on the Run over the rows page, then download again" if web else
            "ingest the rows still to come (without their outcomes), `glamlab run`, then "
            "export again")
    warnings.append(f"the export has no row: every predicted row's outcome is known. {what}. "
                    f"To export the rows still to come: {todo}.")


def export(ws: Workspace, fmt: str, out: str | Path | None = None, *, model: str | None = None,
           where: ExportFilter | None = None, base_url: str | None = None,
           meta: Sequence[str] | None = None, web: bool = False,
           server_paths: bool = True) -> dict[str, Any]:
    """Write an export to ``out`` (a file path; a folder for ``iiif`` and ``annif``) or to
    stdout when ``out`` is None or "-". The predictions are ``model``'s, else those of
    the model act uses (:func:`.act.resolve_model`: ``[policy] model``, else the champion;
    ``result["notes"]`` says so when, with no champion or a champion not run yet, they
    are the latest run's model's: :func:`export_model_note`). ``result["warnings"]`` says what the person should
    know (a deprecated format name, ids made from a placeholder base URL, annotations on
    local files, ids a spreadsheet would evaluate); the CLI prints them on stderr, the web
    app's Export page shows them (``web``: in its words, naming its downloads, not
    command options).

    csv, xlsx, jsonl and parquet rows also carry the item's title and text snippet and
    the metadata fields ``meta`` (default: ``[export] meta`` in the card); the other
    formats carry those fields where each format keeps an item's description: a W3C
    annotation's target ``metadata`` ({label, value} pairs), a IIIF v3 annotation's
    target canvas ``metadata`` (IIIF label/value pairs; v2: its ``on`` resource's), the
    Annif corpus's ``index.tsv`` (a column per field, after a header). ``filter`` (one URI
    a line) has no place for them: ``meta`` given with it is refused, the card's default
    is not used. A CSV file starts with a byte-order mark (Excel then reads it as UTF-8);
    on stdout it does not. ``server_paths=False`` (the web app's download by a non-admin):
    no file's path on the server in any row (:func:`without_server_paths`); the send-on
    list leaves such files out, each named."""
    import sys

    from .entity_export import exports_spans

    if exports_spans(ws, fmt):
        # an entities project: one row per span, with its link, as `glamlab export` and
        # the web app's Export page write it (not one row per prediction)
        from .entity_export import export_entities

        return export_entities(ws, fmt, out, model=model, where=where, base=base_url,
                               web=web, meta=meta, server_paths=server_paths)
    warnings: list[str] = []
    if fmt in DEPRECATED_FORMATS:
        new = DEPRECATED_FORMATS[fmt]
        warnings.append(f"--format {fmt} is deprecated and will be removed in the next "
                        f"release: use --format {new} (the same W3C Web Annotation JSON-LD; "
                        "'WebAnno' is INCEpTION's TSV format)")
        fmt = new
    if fmt not in FORMATS:
        raise PolicyError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if fmt in SUBJECT_FORMATS and ws.card.kind == "entities":
        raise PolicyError(entities_refusal(fmt))
    if meta and fmt in NO_META_FORMATS:
        raise PolicyError(meta_refusal(fmt))
    # the item metadata fields asked for (else the card's [export] meta)
    fields = [] if fmt in NO_META_FORMATS else asked_meta(ws, meta)
    where = where or ExportFilter()
    if fmt == "annif" and not where.actions:
        where = ExportFilter(actions=("accept",), label=where.label, min_score=where.min_score,
                             confirmed=where.confirmed)
    where.validate()
    base = base_url or default_base(ws, fmt)
    if base_url and not base.endswith(("/", "#", ":")):
        base += "/"
    if fmt in ("w3c", "iiif") and not base_url and configured_base(ws) is None:
        warnings.append(BASE_WARNING.format(base=base))
    if fmt == "iiif":
        _check_iiif_base(base)
    to_stdout = out is None or str(out) == "-"
    if fmt in ("parquet", "xlsx") and to_stdout:
        raise PolicyError(f"{fmt.capitalize()} is binary: give a file with --out PATH.{fmt}")
    if fmt in FOLDER_FORMATS and to_stdout:
        raise PolicyError(f"the {fmt} export is a folder of files: give one with --out DIR")
    # a card the policy or safety rules cannot be read from: said before any file is written
    policy = load_policy(ws.card, web=web)
    load_safety(ws.card, ws.root, web=web)
    # the model: --model, else [policy] model, else the champion (the latest run's only
    # when no model is in use yet: said in the notes)
    mv, fallback = choose_model(ws, model, policy, web=web, exporting=True)
    check_label(ws, mv, where.label)
    result: dict[str, Any] = {"format": fmt, "out": "-" if to_stdout else str(out),
                              "model": mv.spec, "notes": [fallback] if fallback else []}
    # the current items the model has no prediction for (the summary counts them)
    missing = unpredicted_items(ws, mv.id)
    if missing:
        result["unpredicted"] = missing
    # rows of people's gold labels the model gave no value for (``from_gold``)
    counts: dict[str, int] = {"from_gold": 0}
    path = None if to_stdout else Path(out)  # type: ignore[arg-type]
    template = ws.card.section("export").get("target_template")
    if template is not None and (not isinstance(template, str) or "{item_id}" not in template):
        raise PolicyError(f"[export] target_template must be a text with {{item_id}} in it, "
                          f"not {template!r}",
                          hint='e.g. target_template = "https://example.org/record/{item_id}"')
    if fmt in FOLDER_FORMATS:
        assert path is not None
        rows = ((e.row, e.item) for e in iter_rows(ws, model=model, where=where,
                                                   server_paths=server_paths,
                                                   counts=counts))
        if fmt == "iiif":
            import shutil
            import tempfile

            from .export_iiif import write_iiif

            label = f"glamlab {ws.card.task} predictions"
            # --out page.json: one manifest's page in that file (as before); else a folder
            single = path.suffix.lower() in (".json", ".jsonld")
            folder = Path(tempfile.mkdtemp(dir=path.parent if path.parent.is_dir() else None,
                                           prefix=".glamlab-iiif-")) if single else path
            try:
                pages, skipped = write_iiif(rows, folder, base=base, label=label,
                                            canvas_of=canvas_id, region_of=xywh,
                                            annotation_row=_iiif_row,
                                            annotation_id=_anno_id(base),
                                            metadata_of=lambda item: metadata_pairs(
                                                item, fields))
                if single:
                    if len(pages) > 1:
                        raise PolicyError(
                            f"the export covers {len(pages)} manifests, one annotation file "
                            f"each: give a folder, not the file {path.name}",
                            hint=in_words(f"out={str(path.with_suffix(''))!r}",
                                          f"--out {path.with_suffix('')}",
                                          "export to a folder, one file a manifest"))
                    if pages:  # the page's id names the file it is published as
                        doc = json.loads((folder / pages[0]["file"]).read_text(encoding="utf-8"))
                        doc["@id" if "@id" in doc else "id"] = base + path.name
                        with open_private(path, "w", encoding="utf-8") as fh:
                            fh.write(json.dumps(doc, ensure_ascii=False) + "\n")
                        pages[0]["file"] = path.name
            finally:
                if single:
                    shutil.rmtree(folder, ignore_errors=True)
            result.update(pages=pages, annotations=sum(p["annotations"] for p in pages),
                          skipped_not_iiif=skipped)
        else:
            from ..ingest.vocabulary import label_uris
            from .export_annif import write_annif

            uris = label_uris(ws.card, ws.root)
            result.update(write_annif(rows, path, uris,
                                      text_of=lambda item: ws.item(item.item_id).text,
                                      meta=fields))
            if not uris:
                warnings.append("no [labels] uris vocabulary in glamlab.toml: subject files "
                                "hold plain labels, which Annif looks up in its vocabulary")
        result["warnings"] = warnings
        result["from_gold"] = counts["from_gold"]
        return result
    pairs = detail_meta(ws, fields)  # (column, field): meta_FIELD where a column has its name
    chance = chance_column(ws)
    details = [*DETAIL_COLUMNS, *([chance[0]] if chance else []), *(c for c, _ in pairs)]
    sheet: dict[str, Any] = {}
    if fmt in ("parquet", "xlsx"):
        assert path is not None
        try:
            with open_private(path, "wb") as fh:
                if fmt == "parquet":
                    result["rows"] = write_parquet(iter_rows(ws, model=model, where=where,
                                                             server_paths=server_paths,
                                                             counts=counts,
                                                             details=pairs), fh,
                                                   extra=task_kind(ws.card).export_columns,
                                                   details=details,
                                                   dates=date_columns(ws, pairs))
                else:
                    result["rows"] = write_csv(iter_rows(ws, model=model, where=where,
                                                         server_paths=server_paths,
                                                         counts=counts,
                                                         details=pairs), fh,
                                               columns(task_kind(ws.card)), details=details,
                                               fmt="xlsx")
        except PolicyError:  # a value the file cannot hold: no half-written file left
            path.unlink(missing_ok=True)
            raise
        _say_known_outcomes(ws, result, warnings, web=web)
        result["warnings"] = warnings
        result["from_gold"] = counts["from_gold"]
        return result
    handle: IO[str]
    # an export holds unpublished catalogue data and reviewers' names: owner-only (0600)
    handle = sys.stdout if path is None else open_private(path, "w", encoding="utf-8",
                                                          newline="")
    try:
        label = f"glamlab {ws.card.task} predictions"
        if fmt == "csv":
            result["rows"] = write_csv(iter_rows(ws, model=model, where=where,
                                                 server_paths=server_paths,
                                                 counts=counts, details=pairs),
                                       handle, columns(task_kind(ws.card)), details=details,
                                       bom=path is not None, report=sheet)
            if sheet.get("risky_ids") or sheet.get("number_like_ids"):
                warnings.append(risky_ids_warning(
                    sheet["risky_ids"], WEB_ID_FIX if web else
                    "open the --format xlsx export instead, where every cell is text",
                    number_like=sheet["number_like_ids"]))
        elif fmt == "jsonl":
            result["rows"] = write_jsonl(iter_rows(ws, model=model, where=where,
                                                   server_paths=server_paths,
                                                   counts=counts,
                                                   details=pairs), handle)
        elif fmt == "w3c":
            local = [0]
            result["annotations"] = write_w3c(iter_rows(ws, model=model, where=where,
                                                        server_paths=server_paths,
                                                        counts=counts),
                                              handle, base=base, label=label,
                                              kind=task_kind(ws.card), template=template,
                                              local=local, meta=fields)
            if local[0]:
                warnings.append(f"{local[0]} annotations target a local file (file://...): "
                                "give the items a record url, or set [export] "
                                "target_template = \"https://.../{item_id}\"")
        else:
            refused: list[dict[str, Any]] = []
            result["uris"], result["list"] = write_filter(ws, handle, model=model, where=where,
                                                          refused=refused,
                                                          server_paths=server_paths)
            result["left_out"] = len(refused)
            if (ws.card.positive_label is None and not where.actions and where.label is None
                    and where.confirmed is None and where.min_score is None
                    and task_kind(ws.card).name in CLASSIFICATION_KINDS):
                # a script would send every page on (to OCR): the list holds back nothing
                warnings.append(
                    f"the list holds every item the model predicted ({result['uris']:,}), "
                    "whatever its label: no [project] positive_label is set in glamlab.toml, "
                    "so it holds back none. For the items to send on (the pages to send to "
                    "OCR in a blank-pages project), set positive_label = "
                    f"\"{ws.card.labels[0]}\" (one of {', '.join(ws.card.labels)}) under "
                    "[project] in glamlab.toml (glamlab init --positive-label) and export it "
                    "again, or choose the items with --label or --action")
            if refused:
                result["refused"] = refused
    finally:
        if path is not None:
            handle.close()
        else:
            handle.flush()
    _say_known_outcomes(ws, result, warnings, web=web)
    result["warnings"] = warnings
    if fmt != "filter":
        result["from_gold"] = counts["from_gold"]
    return result
