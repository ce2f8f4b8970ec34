"""Exports of what the policy does with a model's predictions, streamed in batches.

Every row carries its provenance: the model name and version, the score, the run, the
prediction, when it was predicted and written, and ``confirmed_by`` (empty until a person
confirms). A reviewer's latest decision on a queued prediction wins over the policy: an
accept exports ``action=accept`` with ``confirmed_by``, a correction exports the person's
value (``origin=person``, ``predicted_value`` keeps the machine's), a rejection exports
``action=reject``; ``decision`` says which. Formats:

- ``csv``: UTF-8 with a header, one row per item and field value (OpenRefine reads it as
  is); text cells starting with ``= + - @``, a tab or a carriage return get a leading
  ``'`` so spreadsheets never run them as formulas.
- ``jsonl``: one JSON object per row.
- ``parquet``: the same columns, written in row groups (pyarrow).
- ``webanno``: a W3C Web Annotation ``AnnotationCollection`` (JSON-LD). Each annotation has a
  ``TextualBody`` (the label, purpose ``classifying``), a target (the image, or the IIIF
  canvas, with a ``FragmentSelector`` ``xywh=`` where the item is a region), ``generator``
  (the model, name@version), ``created``, and ``glamlab:confidence`` (the model's score, a
  number from 0 to 1; defined in the ``@context``).
- ``iiif``: a IIIF Presentation 3 ``AnnotationPage`` of ``classifying`` annotations on the
  canvases of items ingested from IIIF manifests (other items are left out and counted).
- ``filter``: one URI per line. With no ``--action``/``--label`` and a ``positive_label``
  (e.g. ``blank``), the items NOT accepted as that label: the pages to send on (e.g. to OCR).
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import sqlalchemy as sa

from ..errors import PolicyError
from .act import Decision, iter_decisions, resolve_model
from .policy import ACTIONS, load_policy
from .safety import load_safety

if TYPE_CHECKING:
    from ..items import Item
    from ..registry.models import ModelVersion
    from ..workspace import Workspace

FORMATS = ("csv", "jsonl", "parquet", "webanno", "iiif", "filter")
COLUMNS = ["item_id", "uri", "field", "value", "origin", "action", "score", "model",
           "model_version", "run_id", "prediction_id", "reason", "safety", "predicted_at",
           "written_at", "confirmed_by", "confirmed_at", "decision", "predicted_value"]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
GLAMLAB_NS = "urn:glamlab:ns:"
ANNO_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
IIIF_CONTEXT = "http://iiif.io/api/presentation/3/context.json"
XSD_DOUBLE = "http://www.w3.org/2001/XMLSchema#double"
EXTENSION_CONTEXT: dict[str, Any] = {
    "glamlab": GLAMLAB_NS,
    "confidence": {"@id": "glamlab:confidence", "@type": XSD_DOUBLE},
    "action": {"@id": "glamlab:action"},
    "field": {"@id": "glamlab:field"},
    "confirmedBy": {"@id": "glamlab:confirmedBy"},
}
_CANVAS_KEYS = ("canvas_id", "canvas", "iiif_canvas")
_XYWH_RE = re.compile(r"^\d+,\d+,\d+,\d+$")


def formula_safe(value: Any) -> Any:
    """A text cell a spreadsheet will not evaluate: prefix ``'`` to = + - @ tab CR starts."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


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


def _iso(value: Any) -> str | None:
    return value.isoformat(timespec="seconds") + "Z" if value is not None else None


def iter_rows(ws: Workspace, *, model: str | None = None,
              where: ExportFilter | None = None) -> Iterator[tuple[dict[str, Any], Item]]:
    """Export rows (with the item they are about), in item order, filtered."""
    where = where or ExportFilter()
    where.validate()
    policy = load_policy(ws.card)
    safety = load_safety(ws.card, ws.root)
    mv = resolve_model(ws, model, policy)
    yield from _rows(ws, mv, policy.field, iter_decisions(ws, mv, policy, safety), where)


def _rows(ws: Workspace, mv: ModelVersion, field: str, batches: Iterator[list[Decision]],
          where: ExportFilter) -> Iterator[tuple[dict[str, Any], Item]]:
    mm = ws.store.t.machine_metadata
    for batch in batches:
        pids = sorted({d.prediction_id for d in batch})
        with ws.store.read() as conn:
            stored = {(r.prediction_id, r.value): r for r in conn.execute(
                sa.select(mm.c.prediction_id, mm.c.value, mm.c.created_at, mm.c.confirmed_by,
                          mm.c.confirmed_at)
                .where(mm.c.prediction_id.in_(pids), mm.c.field == field))}
            people = latest_decisions(ws, conn, pids)
        for d in batch:
            row = _row(d, mv, field, people.get((d.prediction_id, d.label)), stored)
            if where.keep(row):
                yield row, d.item


def latest_decisions(ws: Workspace, conn: sa.Connection,
                     prediction_ids: list[int]) -> dict[tuple[int, str], Any]:
    """(prediction id, queued label) -> the latest reviewer decision on it."""
    rq, dec = ws.store.t.review_queue, ws.store.t.decisions
    out: dict[tuple[int, str], Any] = {}
    if not prediction_ids:
        return out
    for r in conn.execute(
            sa.select(rq.c.prediction_id, rq.c.label.label("queued"), dec.c.id, dec.c.action,
                      dec.c.label, dec.c.user, dec.c.created_at)
            .join(dec, dec.c.queue_id == rq.c.id)
            .where(rq.c.prediction_id.in_(prediction_ids), rq.c.kind == "prediction")
            .order_by(dec.c.id)):
        out[(r.prediction_id, r.queued)] = r  # later decisions overwrite earlier ones
    return out


def _row(d: Decision, mv: ModelVersion, field: str, person: Any,
         stored: dict[tuple[int, str], Any]) -> dict[str, Any]:
    """One export row: the policy's decision, overridden by a reviewer's latest one."""
    value, action, origin = d.label, d.action, "machine"
    score: float | None = round(d.score, 6)
    reason = d.reason
    confirmed_by = confirmed_at = decision = None
    if person is not None:
        decision, confirmed_by, confirmed_at = person.action, person.user, person.created_at
        if person.action == "reject":
            action = "reject"
            reason = f"rejected by reviewer {person.user}"
        else:
            action = "accept"
            reason = f"accepted by reviewer {person.user}"
            if person.action == "correct" and person.label and person.label != d.label:
                value, origin, score = person.label, "person", None
                reason = f"corrected by reviewer {person.user} from {d.label!r}"
    written = stored.get((d.prediction_id, value))
    if person is None and written is not None:
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
    }


# -- writers ------------------------------------------------------------------------
def write_csv(rows: Iterator[tuple[dict[str, Any], Item]], out: IO[str]) -> int:
    w = csv.writer(out, lineterminator="\n")
    w.writerow(COLUMNS)
    n = 0
    for row, _ in rows:
        w.writerow(["" if row[c] is None else formula_safe(row[c]) for c in COLUMNS])
        n += 1
    return n


def write_jsonl(rows: Iterator[tuple[dict[str, Any], Item]], out: IO[str]) -> int:
    n = 0
    for row, _ in rows:
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
        n += 1
    return n


def write_parquet(rows: Iterator[tuple[dict[str, Any], Item]], path: Path,
                  group_size: int = 5000) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([
        ("item_id", pa.string()), ("uri", pa.string()), ("field", pa.string()),
        ("value", pa.string()), ("origin", pa.string()), ("action", pa.string()),
        ("score", pa.float64()), ("model", pa.string()), ("model_version", pa.int64()),
        ("run_id", pa.int64()), ("prediction_id", pa.int64()), ("reason", pa.string()),
        ("safety", pa.string()), ("predicted_at", pa.string()), ("written_at", pa.string()),
        ("confirmed_by", pa.string()), ("confirmed_at", pa.string()),
        ("decision", pa.string()), ("predicted_value", pa.string())])
    n = 0
    buf: list[dict[str, Any]] = []
    with pq.ParquetWriter(str(path), schema) as writer:
        for row, _ in rows:
            buf.append(row)
            n += 1
            if len(buf) >= group_size:
                writer.write_table(pa.Table.from_pylist(buf, schema=schema))
                buf = []
        if buf or n == 0:
            writer.write_table(pa.Table.from_pylist(buf, schema=schema))
    return n


def canvas_id(item: Item) -> str | None:
    """The IIIF canvas an item came from (ingest keeps it in the item's metadata)."""
    for key in _CANVAS_KEYS:
        value = item.meta.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def xywh(item: Item) -> str | None:
    """The item's region on its image/canvas as ``x,y,w,h``, when it is a region."""
    for key in ("xywh", "region", "box"):
        value = item.meta.get(key)
        if isinstance(value, list | tuple) and len(value) == 4:
            value = ",".join(str(int(v)) for v in value)
        if isinstance(value, str):
            value = value.removeprefix("xywh=").replace(" ", "")
            if _XYWH_RE.match(value):
                return value
    return None


def _target_source(item: Item) -> str:
    canvas = canvas_id(item)
    if canvas:
        return canvas
    if item.uri and "://" in item.uri:
        return item.uri
    if item.uri:
        return Path(item.uri).resolve().as_uri()
    return f"urn:glamlab:item:{item.item_id}"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._~-]+", "-", text).strip("-") or "x"


def web_annotation(row: dict[str, Any], item: Item, base: str) -> dict[str, Any]:
    target: dict[str, Any] = {"source": _target_source(item)}
    region = xywh(item)
    if region:
        target["selector"] = {"type": "FragmentSelector",
                              "conformsTo": "http://www.w3.org/TR/media-frags/",
                              "value": f"xywh={region}"}
    anno: dict[str, Any] = {
        "id": f"{base}{row['prediction_id']}-{_slug(row['value'])}",
        "type": "Annotation",
        "motivation": "classifying",
        "body": {"type": "TextualBody", "value": row["value"], "purpose": "classifying",
                 "format": "text/plain"},
        "target": target,
        **_provenance(row),
    }
    return anno


def _provenance(row: dict[str, Any]) -> dict[str, Any]:
    """What every exported annotation says about where it came from: the model and
    version that made it, when, how sure it was, what the policy did, and who confirmed it."""
    out: dict[str, Any] = {
        "generator": {"id": f"urn:glamlab:model:{_slug(row['model'])}@{row['model_version']}",
                      "type": "Software",
                      "name": f"glamlab model {row['model']}@{row['model_version']}"},
        "created": row["written_at"] or row["predicted_at"],
        "confidence": row["score"],
        "action": row["action"],
        "field": row["field"],
    }
    if row["confirmed_by"]:
        out["confirmedBy"] = row["confirmed_by"]
    return out


def write_webanno(rows: Iterator[tuple[dict[str, Any], Item]], out: IO[str], *,
                  base: str, label: str) -> int:
    """An AnnotationCollection whose first page holds every annotation, streamed."""
    head = {"@context": [ANNO_CONTEXT, EXTENSION_CONTEXT], "id": f"{base}collection",
            "type": "AnnotationCollection", "label": label}
    text = json.dumps(head, ensure_ascii=False)
    out.write(text[:-1] + ', "first": {"id": ' + json.dumps(f"{base}page1")
              + ', "type": "AnnotationPage", "startIndex": 0, "items": [')
    n = 0
    for row, item in rows:
        out.write((",\n" if n else "\n") + json.dumps(web_annotation(row, item, base),
                                                       ensure_ascii=False))
        n += 1
    out.write(f"\n]}}, \"total\": {n}}}\n")
    return n


def iiif_annotation(row: dict[str, Any], item: Item, base: str) -> dict[str, Any] | None:
    canvas = canvas_id(item)
    if canvas is None:
        return None
    region = xywh(item)
    anno: dict[str, Any] = {
        "id": f"{base}{row['prediction_id']}-{_slug(row['value'])}",
        "type": "Annotation",
        "motivation": "classifying",
        "label": {"none": [f"{row['field']}: {row['value']}"]},
        "body": {"type": "TextualBody", "value": row["value"], "format": "text/plain"},
        "target": f"{canvas}#xywh={region}" if region else canvas,
        **_provenance(row),
    }
    return anno


def _check_iiif_base(base: str) -> None:
    if not base.startswith(("http://", "https://")):
        raise PolicyError(f"IIIF annotation ids must be HTTP(S) URIs; the base {base!r} is not",
                          hint="give --base-url https://your.site/annotations/ or set "
                               "[export] base_url in glamlab.toml")


def write_iiif(rows: Iterator[tuple[dict[str, Any], Item]], out: IO[str], *,
               base: str, label: str) -> tuple[int, int]:
    """A IIIF Presentation 3 AnnotationPage, streamed. Returns (written, skipped non-IIIF)."""
    _check_iiif_base(base)
    head = {"@context": [EXTENSION_CONTEXT, IIIF_CONTEXT], "id": f"{base}page",
            "type": "AnnotationPage", "label": {"en": [label]}}
    text = json.dumps(head, ensure_ascii=False)
    out.write(text[:-1] + ', "items": [')
    n = skipped = 0
    for row, item in rows:
        anno = iiif_annotation(row, item, base)
        if anno is None:
            skipped += 1
            continue
        out.write((",\n" if n else "\n") + json.dumps(anno, ensure_ascii=False))
        n += 1
    out.write("\n]}\n")
    return n, skipped


def _uri(item: Item) -> str:
    return canvas_id(item) or item.uri or item.item_id


def write_filter(ws: Workspace, out: IO[str], *, model: str | None,
                 where: ExportFilter) -> tuple[int, str]:
    """One URI per line. Returns (count, what the list is, in words)."""
    positive = ws.card.positive_label
    if where.actions or where.label or where.confirmed is not None or where.min_score is not None \
            or positive is None:
        n = 0
        last = None
        for _, item in iter_rows(ws, model=model, where=where):
            if item.item_id != last:
                out.write(_uri(item) + "\n")
                n += 1
                last = item.item_id
        return n, "items with a matching prediction"
    # items NOT accepted as the positive label: merge the items with the accepted ones
    accepted = (item.item_id for _, item in iter_rows(
        ws, model=model, where=ExportFilter(actions=("accept",), label=positive)))
    nxt = next(accepted, None)
    n = 0
    for item in ws.items():
        while nxt is not None and nxt < item.item_id:
            nxt = next(accepted, None)
        if nxt == item.item_id:
            continue
        out.write(_uri(item) + "\n")
        n += 1
    return n, f"items not accepted as {positive!r} (to send on)"


def default_base(ws: Workspace, fmt: str) -> str:
    base = ws.card.section("export").get("base_url")
    if isinstance(base, str) and base:
        return base if base.endswith(("/", "#", ":")) else base + "/"
    if fmt == "iiif":
        return f"https://example.org/glamlab/{_slug(ws.card.task)}/annotations/"
    return f"urn:glamlab:{_slug(ws.card.task)}:annotation:"


def export(ws: Workspace, fmt: str, out: str | Path | None = None, *, model: str | None = None,
           where: ExportFilter | None = None, base_url: str | None = None) -> dict[str, Any]:
    """Write an export to ``out`` (a file path) or to stdout when ``out`` is None or "-"."""
    import sys

    if fmt not in FORMATS:
        raise PolicyError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    where = where or ExportFilter()
    where.validate()
    base = base_url or default_base(ws, fmt)
    if base_url and not base.endswith(("/", "#", ":")):
        base += "/"
    if fmt == "iiif":
        _check_iiif_base(base)
    to_stdout = out is None or str(out) == "-"
    if fmt == "parquet" and to_stdout:
        raise PolicyError("Parquet is binary: give a file with --out PATH.parquet")
    result: dict[str, Any] = {"format": fmt, "out": "-" if to_stdout else str(out)}
    path = None if to_stdout else Path(out)  # type: ignore[arg-type]
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "parquet":
        assert path is not None
        result["rows"] = write_parquet(iter_rows(ws, model=model, where=where), path)
        return result
    handle: IO[str]
    handle = sys.stdout if path is None else open(  # noqa: SIM115 - closed below
        path, "w", encoding="utf-8", newline="")
    try:
        label = f"glamlab {ws.card.task} predictions"
        if fmt == "csv":
            result["rows"] = write_csv(iter_rows(ws, model=model, where=where), handle)
        elif fmt == "jsonl":
            result["rows"] = write_jsonl(iter_rows(ws, model=model, where=where), handle)
        elif fmt == "webanno":
            result["annotations"] = write_webanno(iter_rows(ws, model=model, where=where),
                                                  handle, base=base, label=label)
        elif fmt == "iiif":
            written, skipped = write_iiif(iter_rows(ws, model=model, where=where), handle,
                                          base=base, label=label)
            result["annotations"] = written
            result["skipped_not_iiif"] = skipped
        else:
            result["uris"], result["list"] = write_filter(ws, handle, model=model, where=where)
    finally:
        if path is not None:
            handle.close()
        else:
            handle.flush()
    return result

