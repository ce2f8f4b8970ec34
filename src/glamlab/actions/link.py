"""Link a model's predicted entity spans to the workspace's authority file.

``glamlab link`` (:func:`link_predictions`): the spans a model found, as the policy and
the reviewers left them (rejected spans left out, corrected ones as corrected: the same
rows ``glamlab export`` writes), are linked with :class:`glamlab.linking.Linker` to the
records of ``glamlab authority import``. The linker learns its weights and its NIL
threshold from the gold spans that carry a link (HIPE ``NEL-LIT``, a reviewer's choice);
without any, it uses its defaults and says so.

Each linked item gets a span set of kind ``prediction`` in the span store (annotator
``linker:<name>``, the model, its run and the prediction), whose spans carry the
authority id (``NIL`` when no record is close enough) with the link's score and the next
candidates in ``attrs``. Nothing of the predictions is changed: a new ``glamlab link``
retires the item's earlier link set for that model and writes a new one. What reads them:
the exports (``authority_id`` in CSV, the ``identifying`` body of W3C annotations,
INCEpTION's ``identifier``) and the entity index over predictions
(:func:`glamlab.linking.index.entity_index` with ``kind="prediction"``).

Items are linked in batches, one document's mentions together (they are each other's
context), every span of an item in one set (the spans a reviewer confirmed and the
others). An item whose link set links the model's current prediction is kept (``--relink``
links it again); one the model predicted again since (``glamlab run --force``) is linked
again. An item whose spans no longer match its text is reported and skipped, the rest
carry on.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..errors import PolicyError
from ..said import in_words
from ..store import now
from ..tasks.spans.model import MAIN_LAYER, NIL, Span

if TYPE_CHECKING:
    from ..items import Item
    from ..linking import Linker
    from ..workspace import Workspace

LINKER_PREFIX = "linker:"
#: a person's corrected span whose link the reviewer left as the linker gave it: its
#: decision's value says ``"link_by": LINK_BY_LINKER`` beside ``authority_id`` (the link
#: is the linker's, not the reviewer's choice: the gold span says so in its attrs, the
#: linker does not learn from it, the exports mark it the linker's)
LINK_BY_LINKER = "linker"
#: how many of the next-best candidates a linked span keeps (for review and exports)
KEEP_CANDIDATES = 3
#: a linked span's key: (item, start, end, label, layer)
LinkKey = tuple[str, int, int, str, str]


@dataclass
class LinkReport:
    model: str
    records: int
    trained_on: int  # gold mentions with a link the linker learned from
    items: int = 0
    mentions: int = 0
    linked: int = 0
    nil: int = 0
    skipped_items: int = 0  # already linked (without relink)
    problems: list[dict[str, str]] = field(default_factory=list)
    top: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "authority_records": self.records,
                "trained_on_linked_gold_mentions": self.trained_on, "items": self.items,
                "mentions": self.mentions, "linked": self.linked, "nil": self.nil,
                "already_linked_items": self.skipped_items, "problems": self.problems,
                "top_authorities": self.top, "notes": self.notes}

    def summary(self) -> str:
        share = f" ({self.linked / self.mentions:.0%})" if self.mentions else ""
        lines = [f"Linked {self.linked:,} of {self.mentions:,} mentions{share} in "
                 f"{self.items:,} items found by {self.model} to the authority file "
                 f"({self.records:,} records); {self.nil:,} answered NIL (no record close "
                 "enough)."]
        if self.skipped_items:
            lines.append(f"{self.skipped_items:,} items were linked before and kept "
                         "(--relink links them again).")
        if self.top:
            lines.append("Most mentioned: " + ", ".join(
                f"{t['authority_id']} {t['label']} ({t['mentions']})" for t in self.top[:5]))
        for p in self.problems[:5]:
            lines.append(f"  {p['item']}: {p['error']}")
        if len(self.problems) > 5:
            lines.append(f"  ... and {len(self.problems) - 5} more items with problems")
        lines.extend(self.notes)
        return "\n".join(lines)


def _mention(item: Item, s: Span, text: str) -> Any:
    from ..linking import Mention
    from ..linking.linker import context_window

    meta = item.meta or {}
    document = meta.get("document_id") or meta.get("document") or item.item_id
    date = meta.get("date")
    return Mention(text=text[s.start:s.end], label=s.label, document=str(document),
                   date=str(date) if date else None, authority_id=s.authority_id,
                   context=context_window(text, s.start, s.end))


def training_mentions(ws: Workspace) -> list[Any]:
    """The gold spans that carry a link (a record id or NIL), as linker mentions."""
    from ..tasks.spans.gold import gold_spans

    # not a link of the linker's own that a reviewer left as it was (LINK_BY_LINKER)
    gold = {k: [s for s in v if s.authority_id and not (s.attrs or {}).get("link_by")]
            for k, v in gold_spans(ws).items()}
    gold = {k: v for k, v in gold.items() if v}
    out: list[Any] = []
    for item in ws.items(ids=sorted(gold)):
        if item.text is None:
            continue
        out.extend(_mention(item, s, item.text) for s in gold[item.item_id])
    return out


def fitted_linker(ws: Workspace) -> tuple[Linker, int, int]:
    """A linker fitted on the workspace's authority and its linked gold mentions; with
    the number of records and of training mentions."""
    from ..linking import Linker, load_authority

    records = load_authority(ws)
    if not records:
        raise PolicyError("the workspace has no authority records to link to",
                          hint="import your name authority first: glamlab authority import "
                               "FILE (CSV or JSONL: id, label, alt_labels, type)")
    mentions = training_mentions(ws)
    return Linker().fit(records, mentions), len(records), len(mentions)


def _linked_items(ws: Workspace, model_id: int) -> dict[str, int | None]:
    """item -> the run whose spans its active link set links (a forced run or a new
    prediction of the item makes that set out of date)."""
    t = ws.store.t.span_sets
    with ws.store.read() as conn:
        return {r.item_id: r.run_id for r in conn.execute(sa.select(t.c.item_id, t.c.run_id)
                .where(t.c.kind == "prediction", t.c.active.is_(True),
                       t.c.model_id == model_id, t.c.annotator.like(LINKER_PREFIX + "%"))
                .order_by(t.c.id))}


def _per_item(rows: Iterator[Any]) -> Iterator[Any]:
    """One ``(item, spans, provenance)`` per item: the export rows of an item (one per
    reviewer who confirmed some of its spans, and one for the rest) merged, so that one
    link set holds every span of the item."""
    current: Any = None
    for item, spans, prov in rows:
        if current is not None and current[0].item_id == item.item_id:
            current[1].extend(spans)
            continue
        if current is not None:
            yield current
        current = (item, list(spans), prov)
    if current is not None:
        yield current


def prediction_links(ws: Workspace, model_id: int, item_ids: Sequence[str],
                     conn: sa.Connection | None = None
                     ) -> dict[LinkKey, Span]:
    """(item, start, end, label, layer) -> the linked span of the items' current link
    sets for that model (what exports attach to a predicted span). The layer is part of
    the key: a nested span at the same place, with the same type, as a main-layer span
    is another mention, and ``glamlab link`` links the main layer's only, so it has no
    link of its own and never gets the main span's."""
    if conn is None:
        with ws.store.read() as c:
            return prediction_links(ws, model_id, item_ids, c)
    from ..tasks.spans.gold import _spans_of_sets

    t = ws.store.t.span_sets
    out: dict[LinkKey, Span] = {}
    for i in range(0, len(item_ids), 900):
        chunk = list(item_ids[i:i + 900])
        sets = {r.item_id: int(r.id) for r in conn.execute(
            sa.select(t.c.id, t.c.item_id).where(
                t.c.kind == "prediction", t.c.active.is_(True), t.c.model_id == model_id,
                t.c.annotator.like(LINKER_PREFIX + "%"), t.c.item_id.in_(chunk))
            .order_by(t.c.id))}
        spans = _spans_of_sets(conn, ws, list(sets.values()))
        for item_id, set_id in sets.items():
            for s in spans[set_id]:
                out[(item_id, s.start, s.end, s.label, s.layer)] = s
    return out


def _batches(rows: Iterator[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for r in rows:
        batch.append(r)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def link_predictions(ws: Workspace, *, model: str | None = None, relink: bool = False,
                     batch: int = 200, user: str | None = None) -> LinkReport:
    """Link the predicted spans of ``model`` (default: the model act uses, the policy's
    model, else the champion; the latest run's only when no model is in use yet,
    said in the notes) to the authority file; see the module docstring."""
    from ..linking.authority import load_authority
    from ..tasks.kinds import task_kind
    from ..tasks.spans.gold import record_spans
    from ..tasks.spans.model import check_spans
    from ..workspace import current_user
    from .act import choose_model
    from .entity_export import iter_prediction_rows
    from .policy import load_policy

    if task_kind(ws.card).name != "entities":
        raise PolicyError(in_words("link_predictions links entity spans",
                                   "glamlab link links entity spans",
                                   "linking to the authority file is for entity spans")
                          + "; this is not an entities project",
                          hint=in_words("use it in a project made with "
                                        "Workspace.init(..., task='entities')",
                                        "use it in a project made with --task entities",
                                        "use it in a project that marks entities in texts"))
    mv, fallback = choose_model(ws, model, load_policy(ws.card),
                                uses="link links the entities the model in use predicted, "
                                     "not another model's")
    linker, n_records, n_train = fitted_linker(ws)
    report = LinkReport(model=mv.spec, records=n_records, trained_on=n_train)
    if fallback:
        report.notes.append(fallback)
    if not n_train:
        report.notes.append("No gold span carries a link yet, so the linker used its default "
                            "weights and NIL threshold: link a few gold mentions (a HIPE file's "
                            "NEL-LIT column, or review) to let it learn them.")
    done = {} if relink else _linked_items(ws, mv.id)
    counts: dict[str, int] = {}
    who = f"{LINKER_PREFIX}{linker.name}"
    user = user or current_user()
    rows_of = iter_prediction_rows(ws, model=mv.spec, with_gold=False)  # the model's spans
    for rows in _batches(_per_item(rows_of), batch):
        todo = []
        for item, spans, prov in rows:
            spans = sorted((s for s in spans if s.layer == MAIN_LAYER),
                           key=lambda s: (s.start, s.end))
            if item.item_id in done and done[item.item_id] == prov.run_id:
                report.skipped_items += 1
                continue
            if not spans or item.text is None:
                continue
            # each span on its own (inside the text, a known label), not how the spans
            # of several reviewers' rows sit together (one may fix a boundary into the
            # next span); an export's spans do not carry their words to compare
            problems = [p for sp in spans for p in check_spans(
                item.text, [sp], labels=ws.card.labels, item_id=item.item_id)]
            if problems:
                report.problems.append({"item": item.item_id, "error": problems[0][1],
                                        "fix": "run the model again on this item "
                                               "(its text changed since)"})
                continue
            todo.append((item, spans, prov))
        if not todo:
            continue
        mentions = [_mention(item, s, item.text or "") for item, spans, _ in todo for s in spans]
        results = linker.link(mentions)
        at = 0
        stamp = now()
        with ws.store.write() as conn:
            t = ws.store.t.span_sets
            for item, spans, prov in todo:
                linked = []
                for s in spans:
                    res = results[at]
                    at += 1
                    attrs = {"link_score": round(float(res.score), 6), "linker": linker.name,
                             "candidates": [[rid, round(float(sc), 6)]
                                            for rid, sc in res.candidates[:KEEP_CANDIDATES]]}
                    linked.append(Span(s.start, s.end, s.label, score=s.score,
                                       authority_id=res.authority_id, attrs=attrs,
                                       layer=s.layer))
                    report.mentions += 1
                    if res.is_nil:
                        report.nil += 1
                    else:
                        report.linked += 1
                        counts[res.authority_id] = counts.get(res.authority_id, 0) + 1
                conn.execute(t.update().where(
                    t.c.item_id == item.item_id, t.c.kind == "prediction",
                    t.c.active.is_(True), t.c.model_id == mv.id,
                    t.c.annotator.like(LINKER_PREFIX + "%")).values(active=False))
                record_spans(conn, ws, item.item_id, item.text or "", linked, annotator=who,
                             source="glamlab link", kind="prediction", model_id=mv.id,
                             run_id=prov.run_id, stamp=stamp)
                report.items += 1
            ws.store.audit(conn, user, "link", mv.spec, items=len(todo),
                           mentions=sum(len(s) for _, s, _ in todo))
    labels = {r.record_id: r.label for r in load_authority(ws)} if counts else {}
    report.top = [{"authority_id": rid, "label": labels.get(rid, ""), "mentions": n}
                  for rid, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:10]]
    return report


def link_choices(ws: Workspace, rows: Sequence[dict[str, Any]]) -> None:
    """For the review page: each entity row (a queued predicted span) that ``glamlab
    link`` linked gets ``link``: the record it points to (id, name, description,
    address), the link's score, and the choices a reviewer has (the linker's next
    candidates, NIL), with the records' names. Nothing is written."""
    from ..linking.authority import authority_records

    by_model: dict[int, list[dict[str, Any]]] = {}
    for r in rows:
        v = r.get("value")
        if r.get("model_id") is not None and isinstance(v, dict) and "start" in v:
            by_model.setdefault(int(r["model_id"]), []).append(r)
    found: dict[int, Span] = {}
    for model_id, group in by_model.items():
        links = prediction_links(ws, model_id, sorted({r["item_id"] for r in group}))
        for r in group:
            s = links.get((r["item_id"], r["value"]["start"], r["value"]["end"], r["label"],
                           str(r["value"].get("layer") or MAIN_LAYER)))
            if s is not None and s.authority_id:
                found[id(r)] = s
    ids = {str(s.authority_id) for s in found.values()}
    for s in found.values():
        ids.update(str(c[0]) for c in s.attrs.get("candidates") or [] if c)
    records = authority_records(ws, sorted(ids - {NIL}))
    for r in rows:
        s = found.get(id(r))
        if s is None:
            continue
        current = str(s.authority_id)
        choices = [str(c[0]) for c in s.attrs.get("candidates") or [] if c]
        if current not in choices:
            choices.insert(0, current)
        if NIL not in choices:
            choices.append(NIL)
        r["link"] = {"authority_id": current, "score": s.attrs.get("link_score"),
                     "record": records.get(current),
                     "choices": [{"id": c, "record": records.get(c)} for c in choices]}


def linker_link(ws: Workspace, row: dict[str, Any]) -> str | None:
    """The record (or NIL) ``glamlab link`` links the queue row's span to now, as the
    server stores it (never as a page or a client says it was); None when it is not
    linked. The queue page and ``POST /api/decisions`` both take the linker's link from
    here."""
    found = [dict(row)]
    link_choices(ws, found)
    k = found[0].get("link")
    return None if k is None else str(k["authority_id"])


__all__ = ["LINK_BY_LINKER", "LinkReport", "fitted_linker", "link_choices", "link_predictions",
           "linker_link", "prediction_links", "training_mentions", "NIL"]
