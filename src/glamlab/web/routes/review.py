# ruff: noqa: B008  (FastAPI declares dependencies as Depends(...) defaults)
"""The review queue (leased pages, decisions one by one or in bulk), and one item's page
with its images."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from ... import review
from ...auth import User
from ...errors import GlamlabError
from ...review.decisions import KeptSpan, SpanHeld
from ..images import (
    DISPLAY_SIDE,
    THUMB_SIDE,
    file_name_only,
    has_images,
    iiif_display_url,
    iiif_service,
    image_file,
    known_item,
    reader_words,
)
from ..pages import form_of, not_in_project, page_user, render, writer
from ..sessions import cross_site

router = APIRouter(include_in_schema=False)


def _policy(ws: Any) -> Any:
    from ...actions.policy import load_policy
    from ...errors import GlamlabError

    try:
        return load_policy(ws.card)
    except GlamlabError:
        return None


def _floor_pct(v: float, decimals: int) -> float:
    scale = 10 ** decimals
    return math.floor(v * 100 * scale + 1e-9) / scale


def _pcts(score: float, accept: float) -> tuple[str, str]:
    """The score and the accept threshold as percentages: the threshold as everywhere
    (:func:`threshold_pct`: 0.98713 is "98.7%", never rounded up to "99%"), the score
    whole (``92%``) unless that would read as at or above the threshold while it is
    below it (0.9869 against 0.98713: "98.6%"); more decimals for both only where one
    is not enough to tell them apart."""
    from ...actions.policy import threshold_pct

    shown = threshold_pct(accept)
    whole = f"{score:.0%}"
    if score >= accept or float(whole[:-1]) < float(shown[:-1]):
        return whole, shown
    if _floor_pct(score, 1) < float(shown[:-1]):
        return f"{_floor_pct(score, 1):.1f}%", shown
    for d in (2, 3, 4):
        if _floor_pct(score, d) < _floor_pct(accept, d):
            return f"{_floor_pct(score, d):.{d}f}%", f"{_floor_pct(accept, d):.{d}f}%"
    return f"{score:.6%}", f"{accept:.6%}"


def plain_reason(policy: Any, row: dict[str, Any]) -> str:
    """Why a row waits for a person, in words: "92% sure; items at or above 95% are
    accepted automatically". The threshold reads the same on every card and page
    (:func:`glamlab.actions.policy.threshold_pct`: 0.98713 is "98.7%", never rounded up
    to "99%"). Reasons that
    are not about the score (a safety rule, a gold label that looks wrong) are kept as
    they are."""
    reason = str(row.get("reason") or "")
    score = row.get("score")
    if row.get("kind") != "prediction" or score is None or not reason.startswith("score "):
        return reason
    lp = policy.labels.get(row.get("label")) if policy is not None else None
    accept = getattr(lp, "accept", None)
    if accept is not None:
        sure, shown = _pcts(float(score), float(accept))
        return f"The model is {sure} sure; items at or above {shown} are accepted automatically."
    from ...actions.policy import threshold_pct

    # floored, as thresholds are: 0.999371 is "99.9%", never "100%"
    return (f"The model is {threshold_pct(float(score))} sure; this label is always checked "
            "by a person.")


#: the queue page's ``view``s: one card a line, or a grid of images
QUEUE_VIEWS = ("list", "grid")


@router.get("/queue", response_class=HTMLResponse)
def queue_page(request: Request, sort: str = "score", label: str = "", view: str = "list",
               kind: str = "", user: User = Depends(page_user)) -> Response:
    return _queue(request, user, sort=sort, label=label, view=view, kind=kind)


def _queue(request: Request, user: User, *, sort: str, label: str, view: str, kind: str,
           status: int = 200, **extra: Any) -> Response:
    """The queue page (``extra``: more for its template, e.g. a refused addition)."""
    ws = request.app.state.ws
    ignored = extra.setdefault("ignored", [])  # an unknown value is said, not silently ignored
    if sort not in review.SORTS:
        ignored.append(not_in_project("sort", sort, f"showing {review.SORTS['score']}",
                                      review.SORTS))
        sort = "score"
    label_filter = label if label in ws.card.labels else None
    if label and label_filter is None:
        ignored.append(not_in_project("label", label, "showing all labels"))
    kind_filter = kind if kind in review.QUEUE_KINDS else None
    if kind and kind_filter is None:
        ignored.append(not_in_project("kind", kind, "showing every kind", review.QUEUE_KINDS))
    if view not in QUEUE_VIEWS:
        ignored.append(not_in_project("view", view, "showing the list", QUEUE_VIEWS))
        view = "list"
    images = has_images(ws)  # the image grid only where items have images
    if view == "grid" and not images:
        ignored.append("The items of this project have no images, so there is no image grid; "
                       "showing the list.")
        view = "list"
    size = 36 if view == "grid" else 25
    # a reviewer's page leases exactly the rows shown, unless another site sent the
    # browser here (a link or image elsewhere must not hold a reviewer's items)
    if user.can("reviewer") and not cross_site(request):
        rows = review.lease_queue(ws, user.username, sort=sort, label=label_filter,
                                  kind=kind_filter, limit=size)
    else:  # a viewer sees the queue, read-only, leasing nothing
        rows = review.peek_queue(ws, sort=sort, label=label_filter, kind=kind_filter,
                                 limit=size)
    policy = _policy(ws)
    for r in rows:
        r["plain_reason"] = plain_reason(policy, r)
    if ws.card.kind == "entities":  # the authority record each linked span points to
        from ...actions.link import link_choices
        from ...tasks.spans.complete import layers_in_use

        link_choices(ws, rows)
        _text_state(ws, rows, user.username if user.can("reviewer") else None)
        # a span not linked yet may be given a record where the project has some
        extra.setdefault("has_authority", _has_authority(ws))
        with ws.store.read() as conn:  # the card's "Add" offers a layer where there are more
            extra.setdefault("span_layers", layers_in_use(ws, conn))
    elif ws.card.kind == "multi-label" and rows:  # a record reviewed in part waits
        from ...store.queue import gold_labels, partial_review_label_items
        from ...tasks.partial_labels import last_open_suggestion, policy_accepted_terms
        from ...tasks.splits import split_of

        ids = sorted({str(r["item_id"]) for r in rows})
        with ws.store.read() as conn:
            waiting = partial_review_label_items(conn, ids)
            # what "Whole record checked" would keep: the terms it has, those the policy
            # accepted
            given = gold_labels(conn, ids)
            policy = policy_accepted_terms(ws, conn, ids)
            splits = split_of(ws, ids, conn=conn)
            # a record's last suggestion waiting: said on it (for the page's rows at
            # once, not two statements a row)
            last_open = last_open_suggestion(conn, ids)
        for r in rows:
            r["last_open"] = r["item_id"] in last_open
            r["item_waits"] = r["item_id"] in waiting
            r["record_terms"] = sorted(t for t in given.get(r["item_id"], ()) if t)
            r["policy_terms"] = [t for t in policy.get(r["item_id"], [])
                                 if t not in r["record_terms"]]
            r["in_test"] = splits.get(r["item_id"]) == "test"
    last_record = _last_record(ws, request.query_params.get("last") or "")
    return render(request, "queue.html", {
        "last_record": last_record,
        "last_text": _last_text(ws, request.query_params.get("last_text") or ""), "term_added": request.query_params.get("term") or "",
        "acted": False if rows else _acted(ws), "rows": rows, "sort": sort, "label": label_filter or "", "view": view,
        "has_images": images, "kind_filter": kind_filter or "", "can_decide": user.can("reviewer"),
        "lease_s": int(review.DEFAULT_LEASE_S), "heartbeat_s": review.LEASE_HEARTBEAT_S,
        "sorts": review.SORTS, "counts": request.app.state.queue_counts.get(),
        "labels": ws.card.labels, "done": request.query_params.get("done"),
        "marked_text": request.query_params.get("text") or "",
        "added_id": request.query_params.get("added") or "",
        "undo_ids": request.query_params.get("undo") or "", "undo_minutes": review.UNDO_S // 60,
        "undo_change": request.query_params.get("undo_change") or "",
        "conflicts": request.query_params.get("conflicts"),
        "settled": request.query_params.get("settled") or "",
        "kept": request.query_params.get("kept") or "",
        "carried": _count_param(request, "carried"),
        "dropped": _count_param(request, "dropped"), **extra}, status=status)


def _last_record(ws: Any, item_id: str) -> dict[str, Any] | None:
    """(multi-label) The record whose last suggestion the reviewer just decided (the
    address's ``last``): its id, its terms now (what it trains with) and the project's
    other terms (to add one); None where there is none, or it is not the project's."""
    if not item_id or ws.card.kind != "multi-label":
        return None
    import sqlalchemy as sa

    from ...store.queue import gold_labels

    with ws.store.read() as conn:
        if conn.execute(sa.select(ws.store.t.items.c.item_id).where(
                ws.store.t.items.c.item_id == item_id).limit(1)).first() is None:
            return None
        terms = sorted(t for t in gold_labels(conn, [item_id]).get(item_id, set()) if t)
    return {"item_id": item_id, "terms": terms,
            "missing": [t for t in ws.card.labels if t not in terms]}


def _last_text(ws: Any, item_id: str) -> dict[str, Any] | None:
    """(entities) The text whose last open span the reviewer just decided (the address's
    ``last_text``), which that decision marked checked: its id and its entities now (what
    it trains with, the words and type of each); None where there is none."""
    if not item_id or ws.card.kind != "entities":
        return None
    from ...tasks.spans import gold_spans

    spans = gold_spans(ws, [item_id]).get(item_id)
    if spans is None:
        return None
    return {"item_id": item_id,
            "spans": [{"text": s.text or "", "label": s.label} for s in spans]}


def _has_authority(ws: Any) -> bool:
    """Whether the project has an authority file (any record imported)."""
    import sqlalchemy as sa

    t = ws.store.t.authorities
    with ws.store.read() as conn:
        return conn.execute(sa.select(t.c.id).limit(1)).first() is not None


def _acted(ws: Any) -> bool:
    """Whether the policy was ever applied (not a dry run): an empty queue then means
    everything sent to people is decided, else that nothing was sent yet."""
    import sqlalchemy as sa

    log = ws.store.t.audit_log
    with ws.store.read() as conn:
        return conn.execute(sa.select(log.c.id).where(log.c.action == "act").limit(1)
                            ).first() is not None


def _count_param(request: Request, name: str) -> int | None:
    """A count the address carries back after a decision (``carried``/``dropped``: the
    entities saved before the text was ingested again, kept and left out), else None."""
    raw = request.query_params.get(name)
    return int(raw) if raw is not None and raw.isdigit() else None


def _earlier(result: dict[str, Any]) -> dict[str, int]:
    """The address parameters that say what became of the gold spans made on the text
    before it was ingested again with other words (``earlier_gold``), when it was."""
    e = result.get("earlier_gold")
    return {"carried": int(e["carried_over"]), "dropped": int(e["dropped"])} if e else {}


def _text_state(ws: Any, rows: list[dict[str, Any]], user: str | None = None) -> None:
    """For the card of each entity row: its whole ``text``, in ``segments`` with the
    predicted span and the spans saved so far (:func:`_segments`); for its "whole text
    checked" control, the spans saved for its text so far (``saved``: type and words),
    ``text_waits``: the text has
    reviewed spans but is not yet fully reviewed, so it stays out of training, and
    ``in_test``: the text is in the test split, whose gold spans are kept as they are
    (it cannot be marked checked: :func:`glamlab.review.mark_text_done` refuses it), and
    ``replaces``: the saved spans over the predicted span's words (the card's text does
    not highlight them), each with who saved it (None: imported), which accepting it
    would replace (a person's is kept: :func:`glamlab.review.decide` refuses that), and
    ``gold_changed``: the text was ingested again with other words after its gold spans
    were made, so they count for nothing until they are marked again
    (:func:`glamlab.store.queue.changed_span_gold`); its ``saved`` spans and highlights
    are then those of that gold still on the same words (what a decision on the text
    keeps: :func:`glamlab.tasks.spans.saved.saved_spans`). Each of ``saved`` has
    ``added``: the decision that added it, when ``user`` (a reviewer) added it in the
    queue, which they can take back there (:func:`review.remove_added_span`)."""
    from ...store.queue import changed_span_gold_items
    from ...tasks.spans import gold_spans
    from ...tasks.spans.complete import partial_gold, policy_accepted_spans
    from ...tasks.spans.model import MAIN_LAYER
    from ...tasks.spans.saved import replaced_by, saved_spans
    from ...tasks.splits import split_of

    ids = sorted({str(r["item_id"]) for r in rows})
    # the whole text (the queue gives the first 600 characters): the card shows it with
    # its spans, wherever they are, and the words of an entity to add are chosen in it
    texts = {i.item_id: i.text for i in ws.items(ids=ids)}
    gold = gold_spans(ws, ids, layer=None)  # every layer's: each named on the card
    with ws.store.read() as conn:
        waiting = partial_gold(ws, ids, conn)
        accepted = policy_accepted_spans(ws, conn, ids)
        splits = split_of(ws, ids, conn=conn)
        saved = saved_spans(ws, conn, ids)
        changed = changed_span_gold_items(conn, ids)
        added = _added_by(ws, conn, ids, user) if user else {}
    for item_id in changed:
        # its gold made on the earlier text: the spans still on the same words, where
        # they are now (what a decision keeps), not offsets into words it no longer has
        gold[item_id] = [s.span for s in saved.get(item_id, [])]
    for r in rows:
        r["gold_changed"] = r["item_id"] in changed
        r["saved"] = [{"label": s.label, "text": s.text, "layer": _layer_word(s.layer),
                       "added": added.get((r["item_id"], s.start, s.end, s.label, s.layer))}
                      for s in gold.get(r["item_id"], [])]
        text = r["text"] = texts.get(r["item_id"]) or str(r.get("text") or "")
        r["segments"] = _segments(text, r.get("value"), gold.get(r["item_id"], []),
                                  accepted.get(r["item_id"], []))
        r["accepted"] = [{"label": s.label, "text": text[s.start:s.end],
                          "layer": _layer_word(s.layer)}
                         for s in accepted.get(r["item_id"], [])]
        r["text_waits"] = r["item_id"] in waiting
        r["in_test"] = splits.get(r["item_id"]) == "test"
        v: dict[str, Any] = r["value"] if isinstance(r.get("value"), dict) else {}
        try:
            b, e = int(v["start"]), int(v["end"])
        except (KeyError, TypeError, ValueError):
            b = e = -1
        # the layer of the row's own span, where it is not the main one ("nested")
        r["layer"] = _layer_word(str(v.get("layer") or MAIN_LAYER))
        r["replaces"] = [] if r["in_test"] else [
            {"label": s.span.label, "text": text[s.span.start:s.span.end],
             "layer": _layer_word(s.span.layer), "start": s.span.start, "end": s.span.end, "who": s.who}
            for s in replaced_by(saved.get(r["item_id"], []), b, e, r.get("label"),
                                 v.get("layer"))]


def _layer_word(layer: str) -> str | None:
    """A span's layer as the pages name it beside its type ("LOC, nested"): None for the
    main layer's spans, which read as they always did."""
    from ...tasks.spans.model import MAIN_LAYER

    return None if layer == MAIN_LAYER else layer


def _added_by(ws: Any, conn: Any, ids: Sequence[str], user: str
              ) -> dict[tuple[str, int, int, str, str], int]:
    """(item, start, end, type, layer) -> the decision by which ``user`` added that
    entity to the item in the queue, not taken back since (keyed by its layer: the same
    words of another layer are another entity)."""
    import sqlalchemy as sa

    from ...tasks.people import ADDED
    from ...tasks.spans.model import MAIN_LAYER

    dec = ws.store.t.decisions
    out: dict[tuple[str, int, int, str, str], int] = {}
    for k in range(0, len(ids), 900):
        for r in conn.execute(sa.select(dec.c.id, dec.c.item_id, dec.c.label, dec.c.value)
                              .where(dec.c.item_id.in_(ids[k:k + 900]), dec.c.user == user,
                                     dec.c.action == ADDED, dec.c.queue_id.is_(None))
                              .order_by(dec.c.id)):
            v = r.value if isinstance(r.value, dict) else {}
            if "start" not in v or "end" not in v:
                continue
            out[(str(r.item_id), int(v["start"]), int(v["end"]), str(r.label),
                 str(v.get("layer") or MAIN_LAYER))] = int(r.id)
    return out


def _segments(text: str, value: Any, saved: Sequence[Any],
              accepted: Sequence[Any] = ()) -> list[dict[str, Any]] | None:
    """The text of an entity row in pieces, for the card to highlight: the row's
    predicted span (``kind`` "pred"), the gold spans saved for the text so far that do
    not overlap it ("saved"), and the spans the policy accepted (``glamlab act``) that
    overlap neither ("accepted"), the rest plain (``kind`` None); None when the predicted
    span does not lie on the text (the card then shows its words alone)."""
    v = value if isinstance(value, dict) else {}
    try:
        start, end = int(v["start"]), int(v["end"])
    except (KeyError, TypeError, ValueError):
        return None
    if not 0 <= start < end <= len(text):
        return None
    marks: list[tuple[int, int, str, str, str | None]] = [(start, end, "pred", "", None)]
    for what, spans in (("saved", saved), ("accepted", accepted)):
        for s in sorted(spans, key=lambda s: (s.start, s.end)):
            if 0 <= s.start < s.end <= len(text) and not any(
                    s.start < e and b < s.end for b, e, *_ in marks):
                marks.append((s.start, s.end, what, s.label, _layer_word(s.layer)))
    out: list[dict[str, Any]] = []
    at = 0
    for b, e, kind, label, layer in sorted(marks, key=lambda m: m[:4]):
        if at < b:
            out.append({"text": text[at:b], "kind": None})
        out.append({"text": text[b:e], "kind": kind, "label": label, "layer": layer})
        at = e
    if at < len(text):
        out.append({"text": text[at:], "kind": None})
    return out


def _queue_view(form: FormData, labels: list[str]) -> dict[str, str]:
    """The queue's sort, label filter and view as a form sends them back, each only when
    the queue page knows it (a form's own text, e.g. 100,000 characters, would make an
    address no server takes)."""
    sort, label = str(form.get("sort") or ""), str(form.get("label") or "")
    view = str(form.get("view") or "")
    return {"sort": sort if sort in review.SORTS else "score",
            "label": label if label in labels else "",
            "view": view if view in QUEUE_VIEWS else "list"}


def _back_to_queue(request: Request, form: FormData, **extra: Any) -> RedirectResponse:
    q = {**_queue_view(form, request.app.state.ws.card.labels), **extra}
    return RedirectResponse("/queue?" + urlencode(q), 303)


def _chosen_link(ws: Any, form: FormData, queue_id: int) -> str | None:
    """The authority record a reviewer chose or checked for a linked span (the entity
    widget's ``authority_ID``, shown when ``glamlab link`` linked it), as
    ``POST /api/decisions`` takes one sent in ``authority_id``: another record than the
    one the list showed as the linker's (``linked_ID``, only to tell whether the reviewer
    changed the list), or the one shown with "I checked this record" ticked
    (``link_checked_ID``). ``NIL`` (typed in any case: no record fits) or the id of a
    record the workspace has; None when the reviewer left the list as it was, unchecked
    (the link then is the linker's as the server has it now, never the one the page
    showed). HTTPException 422 for an id the authority file does not have."""
    from ...actions.link import NIL
    from ...linking.authority import authority_records
    from ...tasks.spans.model import typed_authority_id

    chosen = typed_authority_id(form.get(f"authority_{queue_id}"))
    shown = typed_authority_id(form.get(f"linked_{queue_id}"))  # as the page showed it
    if chosen is None or (chosen == shown and not form.get(f"link_checked_{queue_id}")):
        return None  # left as the list showed it: not the reviewer's
    if chosen != NIL and not authority_records(ws, [chosen]):
        raise HTTPException(422, f"no authority record {chosen!r}: choose one the page "
                                 "offers, or NIL when none fits")
    return chosen


def _moved_span(form: FormData, queue_id: int, value: Any) -> dict[str, Any] | None:
    """The span's new offsets when the reviewer changed its start or end (the entity
    widget's ``start_ID``/``end_ID`` fields), else None. ValueError when not numbers."""
    start, end = form.get(f"start_{queue_id}"), form.get(f"end_{queue_id}")
    if start in (None, "") or end in (None, ""):
        return None
    new: dict[str, Any] = {"start": int(str(start)), "end": int(str(end))}
    old = value if isinstance(value, dict) else {}
    if (old.get("start"), old.get("end")) == (new["start"], new["end"]):
        return None
    if old.get("layer"):  # a span of another layer (a nested entity) stays of it
        new["layer"] = old["layer"]
    return new


def _same_span(posted: Any, predicted: Any) -> bool:
    """Whether the span a correction posts (``value_ID``: its offsets and layer) is the
    queue row's as the server has it (True where neither is a span: a label). Only then
    is a correction to the predicted type an accept: other offsets are the reviewer's
    (or a stale page's), saved as a correction, which is checked against the text."""
    from ...tasks.spans.model import MAIN_LAYER

    if not isinstance(posted, dict) or not isinstance(predicted, dict):
        return not isinstance(posted, dict)

    def where(v: dict[str, Any]) -> tuple[Any, Any, Any]:
        return v.get("start"), v.get("end"), v.get("layer") or MAIN_LAYER

    return where(posted) == where(predicted)


@router.post("/queue/decide")
def queue_decide(request: Request, form: FormData = Depends(form_of),
                 user: User = Depends(writer("reviewer", "decide review items"))) -> Response:
    try:
        queue_id_s, version_s, action = str(form.get("one") or "").split(":")
        queue_id, version = int(queue_id_s), int(version_s)
        raw = str(form.get(f"value_{queue_id}") or "")
        value = json.loads(raw) if raw else None  # a correction's value, for richer kinds
        if isinstance(value, dict):
            # the entity widget's span (start, end, layer) only: which record a span links
            # to and whose link it is (authority_id, link_by) are the reviewer's choice and
            # the server's, never a form field (as POST /api/decisions takes start and end)
            value = {k: value[k] for k in ("start", "end", "layer") if k in value}
        moved = _moved_span(form, queue_id, value)
    except ValueError as exc:
        raise HTTPException(422, "malformed decision: reload the queue") from exc
    ws = request.app.state.ws
    link = _chosen_link(ws, form, queue_id) if action == "correct" else None
    # the linker's link of the row's span as the server has it now (the linker may have
    # run again since the page was made): the one rule POST /api/decisions keeps too, so
    # whose a link is (link_by) never comes from a form field
    # and what the model predicted: the queue row's label, never a posted field (a stale
    # or forged page would turn a correction into an accept, or an accept into a correction)
    linked, row = None, None
    if action == "correct":
        row = review.queue_item(ws, queue_id)
    if row is not None and ws.card.kind == "entities":
        from ...actions.link import linker_link

        linked = linker_link(ws, row)
    if moved is not None:  # a span whose boundaries the reviewer fixed
        value = moved
    if link is not None:  # saved with its link: the record the reviewer chose (or NIL)
        value = {**(value if isinstance(value, dict) else {}), "authority_id": link}
    label = str(form.get(f"label_{queue_id}") or "") or None
    if (row is not None and label is not None and moved is None and link in (None, linked)
            and _same_span(value, row.get("value"))):
        if label == row["label"]:  # "correcting" to the predicted label is accepting it
            action = "accept"
    correct = action == "correct"
    if correct and link is None and linked is not None:
        # a correction (another type, or new boundaries) with the link left as the linker
        # had it, a record or NIL: the person's span keeps the linker's link (the export
        # looks the linker's up by the predicted span, which the correction changed). The
        # reviewer did not choose it (a number key changes the type and saves whatever the
        # list shows), so the gold span and the exports say it is the linker's, and the
        # linker does not learn it back. With "I checked this record" ticked it is the
        # reviewer's own link (``_chosen_link``), as POST /api/decisions saves a record
        # sent in ``authority_id``.
        from ...actions.link import LINK_BY_LINKER

        value = {**(value if isinstance(value, dict) else {}), "authority_id": linked,
                 "link_by": LINK_BY_LINKER}
    try:
        result = review.decide(request.app.state.ws, user.username, queue_id, action, version,
                               label=label if correct else None,
                               value=value if correct else None,
                               source=review.via(review.WEB_QUEUE))
    except SpanHeld as exc:
        # another reviewer holds a row over the same words, which saving this one would
        # decide too: the queue page says which row and who, at its top
        back = _queue_view(form, request.app.state.ws.card.labels)
        page = _queue(request, user, **back, kind="", status=409,
                      decide_problem={"message": exc.message, "hint": exc.hint})
        page.headers["HX-Replace-Url"] = "/queue?" + urlencode(back)
        return page
    except review.StaleDecision:
        # back to a page (never left on a POST URL): the queue says what happened
        return _back_to_queue(request, form, conflicts=1)
    except KeptSpan:  # over a person's saved entity: the card says which
        if not correct:
            return _back_to_queue(request, form, kept=1)
        # a correction: the queue again, its card keeping the type and boundaries chosen
        # (before: back to the model's, to be chosen again)
        back = _queue_view(form, request.app.state.ws.card.labels)
        span: dict[str, Any] = value if isinstance(value, dict) else {}
        page = _queue(request, user, **back, kind="", status=422, kept="1",
                      decide_asked={"row": str(queue_id), "label": label,
                                    "start": span.get("start"), "end": span.get("end")})
        page.headers["HX-Replace-Url"] = "/queue?" + urlencode(back)
        return page
    request.app.state.queue_counts.decided([result])
    # (multi-label) the record's last suggestion: the page says the record now trains
    # with its terms as they stand, and offers to add a term or mark it checked
    last = {"last": result["item_id"]} if "record_checked" in result else {}
    # (entities) the text's last open span: the text is checked as it stands, its card
    # gone; the page names it, its entities, and where to add one the model missed
    if result.get("text_checked"):
        last = {"last_text": result["item_id"]}
    return _back_to_queue(request, form, done=action, settled=len(result.get("settled") or []) or "",
                          **_earlier(result), **_undo_of([result], request), **last)


@router.post("/queue/find-record")
def queue_find_record(request: Request, form: FormData = Depends(form_of),
                      user: User = Depends(writer("reviewer", "decide review items"))
                      ) -> Response:
    """A reviewer looks for the right authority record of a linked span by its name
    (the card's "Find another record", its ``find_ID`` field, without a script; with
    one the page asks ``GET /api/authority`` as they type): the queue again, the card's
    list of records offering the project's records found
    (:func:`glamlab.linking.search_authority`), to be saved with "Save type, link and
    boundaries" as any other choice. Nothing is decided here."""
    from ...linking.authority import search_authority

    row = str(form.get("find_record") or "").strip()
    if not row.isdigit():
        raise HTTPException(422, "no review row named: reload the queue")
    query = " ".join(str(form.get(f"find_{row}") or "").split())[:200]
    ws = request.app.state.ws
    try:  # the records of the predicted type first: the queue row's, as the server has it
        label = review.queue_item(ws, int(row)).get("label") or None
    except review.NotFound:  # (a row gone: the search is not narrowed)
        label = None
    records = search_authority(ws, query, label=label) if query else []
    back = _queue_view(form, ws.card.labels)
    page = _queue(request, user, **back, kind="", status=200,
                  found={"row": row, "q": query, "records": records})
    page.headers["HX-Replace-Url"] = "/queue?" + urlencode(back)
    return page


@router.post("/queue/text-done")
def queue_text_done(request: Request, form: FormData = Depends(form_of),
                    user: User = Depends(writer("reviewer", "decide review items"))) -> Response:
    """An entities reviewer's "I have checked this whole text": its spans as decided so
    far are all its entities, and it goes into training (:func:`review.mark_text_done`)."""
    item_id = str(form.get("text_done") or "")
    if not item_id:
        raise HTTPException(422, "no text named: reload the queue")
    done = review.mark_text_done(request.app.state.ws, user.username, item_id)
    request.app.state.queue_counts.invalidate()
    return _back_to_queue(request, form, done="text-done", text=item_id, **_earlier(done),
                          undo_change=done["change_id"])


@router.post("/queue/record-checked")
def queue_record_checked(request: Request, form: FormData = Depends(form_of),
                         user: User = Depends(writer("reviewer", "decide review items"))
                         ) -> Response:
    """A multi-label reviewer's "I have checked this whole record": its terms as they stand
    (accepted, and those the policy accepted that nobody rejected) are all of them, its
    other suggestions are rejected, and it goes into training
    (:func:`review.mark_record_checked`). A refusal is said at the top of the queue page,
    as for "Add term"; pressed on the form offered once the record's last suggestion is
    decided (``record_asked`` ``last``), that form is shown again under it."""
    item_id = str(form.get("record_checked") or "")
    if not item_id:
        raise HTTPException(422, "no record named: reload the queue")
    ws = request.app.state.ws
    try:
        done = review.mark_record_checked(ws, user.username, item_id,
                                          source=review.via(review.WEB_QUEUE))
    except GlamlabError as exc:
        asked: dict[str, Any] = {}
        if form.get("record_asked") == "last":  # (before: gone, the record's name too)
            asked = {"record_asked": "last", "last_record": _last_record(ws, item_id)}
        return _record_refused(request, user, form, exc, **asked)
    request.app.state.queue_counts.invalidate()
    return _back_to_queue(request, form, done="record-checked", text=item_id,
                          settled=done["rejected"] or "")


@router.post("/queue/add-term")
def queue_add_term(request: Request, form: FormData = Depends(form_of),
                   user: User = Depends(writer("reviewer", "decide review items"))
                   ) -> Response:
    """A multi-label reviewer adds a term the model did not suggest to a record (a card's
    "Add term", or the one offered once a record's last suggestion is decided): saved as
    theirs (:func:`review.add_term`). A refusal is said at the top of the queue page
    (409 while another reviewer holds the record, as for a decision)."""
    row = str(form.get("add_term") or "")
    item_id = str(form.get(f"term_item_{row}") or "")
    term = str(form.get(f"term_{row}") or "")
    if not row or not item_id:
        raise HTTPException(422, "no record named: reload the queue")
    ws = request.app.state.ws
    try:
        added = review.add_term(ws, user.username, item_id, term)
    except GlamlabError as exc:
        # the term chosen stays chosen on the card it was chosen on (the one offered
        # once a record's last suggestion is decided is shown again with it), so the
        # reviewer need not find it again
        asked: dict[str, Any] = {"term_asked": {"row": row, "item_id": item_id,
                                                "term": term}}
        if row == "last":
            asked["last_record"] = _last_record(ws, item_id)
        return _record_refused(request, user, form, exc, **asked)
    request.app.state.queue_counts.invalidate()
    return _back_to_queue(request, form, done="term-added", text=item_id, term=added["term"])


def _record_refused(request: Request, user: User, form: FormData, exc: GlamlabError,
                    **extra: Any) -> Response:
    """The queue page with a refused change to a record as a whole ("Add term", "Whole
    record checked") said at its top: 409 while another reviewer holds the record (as a
    decision on its row is refused), else 422. ``extra``: more for its template."""
    back = _queue_view(form, request.app.state.ws.card.labels)
    page = _queue(request, user, **back, kind="",
                  status=409 if isinstance(exc, review.StaleDecision) else 422,
                  decide_problem={"message": exc.message, "hint": exc.hint}, **extra)
    page.headers["HX-Replace-Url"] = "/queue?" + urlencode(back)
    return page


def _undo_refused(request: Request, user: User, form: FormData, exc: GlamlabError
                  ) -> Response:
    """The queue page (422; 409 while another reviewer holds the record) with an undo's
    refusal said at its top."""
    back = _queue_view(form, request.app.state.ws.card.labels)
    page = _queue(request, user, **back, kind="",
                  status=409 if isinstance(exc, review.StaleDecision) else 422,
                  undo_problems=[{"message": exc.message, "hint": exc.hint}],
                  undo_cannot=[], undone_n=0, undo_said=[])
    page.headers["HX-Replace-Url"] = "/queue?" + urlencode(back)
    return page


@router.post("/queue/remove-term")
def queue_remove_term(request: Request, form: FormData = Depends(form_of),
                      user: User = Depends(writer("reviewer", "decide review items"))
                      ) -> Response:
    """Undo "Add term" (a wrong term added by mistake) within ten minutes as every undo:
    the record's terms are as they were (:func:`review.remove_added_term`). A refusal
    is said at the top of the queue page."""
    item_id = str(form.get("remove_term") or "")
    term = str(form.get("term") or "")
    if not item_id or not term:
        raise HTTPException(422, "no record or term named: reload the queue")
    ws = request.app.state.ws
    try:
        review.remove_added_term(ws, user.username, item_id, term)
    except GlamlabError as exc:
        return _undo_refused(request, user, form, exc)
    request.app.state.queue_counts.invalidate()
    return _back_to_queue(request, form, done="term-removed", text=item_id, term=term)


@router.post("/queue/record-unchecked")
def queue_record_unchecked(request: Request, form: FormData = Depends(form_of),
                           user: User = Depends(writer("reviewer", "decide review items"))
                           ) -> Response:
    """Undo "Whole record checked" pressed by mistake, within ten minutes as every undo:
    the record's labels are as they were, and the suggestions it rejected are back in the
    queue (:func:`review.unmark_record_checked`). A refusal, and what undo cannot take
    back (a model trained, the policy applied since), are said at the top of the queue
    page, as for an undone decision."""
    item_id = str(form.get("record_checked") or "")
    if not item_id:
        raise HTTPException(422, "no record named: reload the queue")
    ws = request.app.state.ws
    try:
        undone = review.unmark_record_checked(ws, user.username, item_id)
    except GlamlabError as exc:
        return _undo_refused(request, user, form, exc)
    request.app.state.queue_counts.invalidate()
    if not undone["cannot_take_back"]:
        return _back_to_queue(request, form, done="record-unchecked", text=item_id)
    back = _queue_view(form, ws.card.labels)
    page = _queue(request, user, **back, kind="", status=200, done="record-unchecked",
                  undo_problems=[], undo_cannot=undone["cannot_take_back"], undone_n=0,
                  undo_said=[])
    page.headers["HX-Replace-Url"] = "/queue?" + urlencode(back)
    return page


@router.post("/queue/add-span")
def queue_add_span(request: Request, form: FormData = Depends(form_of),
                   user: User = Depends(writer("reviewer", "decide review items"))) -> Response:
    """An entities reviewer adds an entity the model missed: the words selected in a
    card's text, with the type chosen, and, where the project has an authority file, the
    record it names (``add_authority_ID``: an id or NIL, the reviewer's link;
    :func:`review.add_span`). Refused with the reason
    shown on the queue page itself, the selection kept."""
    row = str(form.get("add_span") or "")
    item_id = str(form.get(f"add_item_{row}") or "")
    if not row or not item_id:
        raise HTTPException(422, "no text named: reload the queue")
    raw = [str(form.get(f"add_{side}_{row}") or "").strip() for side in ("start", "end")]
    label = str(form.get(f"add_label_{row}") or "")
    layer = str(form.get(f"add_layer_{row}") or "") or None  # none: the main layer
    # its record in the authority file (or NIL), typed or found by name: the reviewer's
    record = " ".join(str(form.get(f"add_authority_{row}") or "").split())[:500] or None
    back = _queue_view(form, request.app.state.ws.card.labels)
    start = end = None
    try:
        try:
            start, end = int(raw[0]), int(raw[1])
        except ValueError:
            raise GlamlabError("no words selected", item=item_id,
                               hint="select the words of the entity in the text first (or "
                                    "type its start and end)") from None
        added = review.add_span(request.app.state.ws, user.username, item_id, start, end,
                                label, layer=layer, authority_id=record,
                                source=review.via(review.WEB_QUEUE))
    except GlamlabError as exc:
        page = _queue(request, user, **back, kind="", status=422,
                      add_problem={"row": row, "message": exc.message, "hint": exc.hint,
                                   "start": start, "end": end, "label": label,
                                   "layer": layer, "authority": record})
        # the address stays the queue's (a reload shows the queue, not this POST)
        page.headers["HX-Replace-Url"] = "/queue?" + urlencode(back)
        return page
    request.app.state.queue_counts.decided(added["settled"])
    return _back_to_queue(request, form, done="added", text=item_id,
                          settled=len(added["settled"]) or "",
                          added=added["decision_id"] if not added["settled"] else "",
                          undo=added["decision_id"], **_earlier(added))


@router.post("/queue/remove-span")
def queue_remove_span(request: Request, form: FormData = Depends(form_of),
                      user: User = Depends(writer("reviewer", "decide review items"))
                      ) -> Response:
    """Take back an entity the reviewer added in the queue (the wrong words, or the wrong
    type): it leaves the text's gold spans, nothing else changes
    (:func:`review.remove_added_span`). Refused with the reason at the top of the queue
    page."""
    raw = str(form.get("remove_span") or "")
    if not raw.isdigit():
        raise HTTPException(422, "no entity named: reload the queue")
    back = _queue_view(form, request.app.state.ws.card.labels)
    try:
        removed = review.remove_added_span(request.app.state.ws, user.username, int(raw))
    except GlamlabError as exc:
        page = _queue(request, user, **back, kind="", status=422,
                      remove_problem={"message": exc.message, "hint": exc.hint})
        page.headers["HX-Replace-Url"] = "/queue?" + urlencode(back)
        return page
    request.app.state.queue_counts.invalidate()
    return _back_to_queue(request, form, done="removed", text=removed["item_id"],
                          undo_change=removed["change_id"])


@router.post("/queue/text-undone")
def queue_text_undone(request: Request, form: FormData = Depends(form_of),
                      user: User = Depends(writer("reviewer", "decide review items"))
                      ) -> Response:
    """Undo "Whole text checked" pressed by mistake: the text's spans decided before it
    are its gold again, and it waits until its other spans are decided; where that gold
    was made on the text's earlier words (ingested again since), until it is labelled
    again (:func:`review.unmark_text_done`)."""
    item_id = str(form.get("text_done") or "")
    if not item_id:
        raise HTTPException(422, "no text named: reload the queue")
    undone = review.unmark_text_done(request.app.state.ws, user.username, item_id)
    request.app.state.queue_counts.invalidate()
    # gold made on the text's earlier words (ingested again since): its card says what to do
    return _back_to_queue(request, form, done="text-undone-changed" if undone["changed"]
                          else "text-undone", undo_change=undone["change_id"])


@router.post("/queue/bulk")
def queue_bulk(request: Request, form: FormData = Depends(form_of),
               user: User = Depends(writer("reviewer", "decide review items"))) -> Response:
    seen: list[tuple[int, int]] = []
    for value in form.getlist("sel"):
        try:
            a, b = str(value).split(":")
            seen.append((int(a), int(b)))
        except ValueError as exc:
            raise HTTPException(422, "malformed selection: reload the queue") from exc
    if not seen:
        return _back_to_queue(request, form, done="none-selected")
    results = review.decide_many(request.app.state.ws, user.username, seen, "accept",
                                 source=review.via(review.WEB_QUEUE))
    request.app.state.queue_counts.decided(results)
    bad = sum(1 for r in results if not r["ok"])
    kept = sum(1 for r in results if r.get("kept"))
    with_other = sum(1 for r in results if r.get("settled_with"))  # decided with another
    # refused because another reviewer holds a row over the same words (SpanHeld): each
    # named, with who holds it, at the top of the queue page, as a single decision's is
    held = [{"message": r["reason"], "hint": r.get("hint"), "queue_id": r["queue_id"],
             "held_by": r.get("held_by")} for r in results if r.get("held")]
    said = {"done": f"accepted-{len(results) - bad}",
            "conflicts": bad - kept - with_other - len(held) or "", "kept": kept or "",
            **_undo_of(results, request)}
    if not held:
        return _back_to_queue(request, form, **said)
    back = _queue_view(form, request.app.state.ws.card.labels)
    page = _queue(request, user, **back, kind="", status=200 if bad < len(results) else 409,
                  bulk_held=held, **{k: str(v) for k, v in said.items()})
    page.headers["HX-Replace-Url"] = "/queue?" + urlencode(back)
    return page


def _undo_of(results: list[dict[str, Any]], request: Request) -> dict[str, str]:
    """The decisions just made, for the queue page's Undo (``undo``: their ids; in an
    entities project the model's spans decided with one are taken back with it:
    :mod:`glamlab.review.undo`)."""
    ids = [str(r["decision_id"]) for r in results if r.get("ok") and r.get("decision_id")]
    return {"undo": ",".join(ids[:500])} if ids else {}


@router.post("/queue/undo")
def queue_undo(request: Request, form: FormData = Depends(form_of),
               user: User = Depends(writer("reviewer", "decide review items"))) -> Response:
    """Take back the reviewer's own latest decision(s) (a wrong key pressed), within
    ten minutes (:func:`review.undo_decision`): the rows are open again, the gold as it
    was. In an entities project, also a change to a text's entities that is no decision
    (``undo_change``: an entity removed, a text marked checked or the mark taken back;
    :func:`review.undo_change`), and the page says in plain words what is as it was
    again. Refused with the reason at the top of the queue page."""
    raw = str(form.get("undo") or "")
    ids = [int(x) for x in raw.split(",") if x.strip().isdigit()]
    change = str(form.get("undo_change") or "").strip()
    if not ids and not change.isdigit():
        raise HTTPException(422, "no decision named: reload the queue")
    ws = request.app.state.ws
    undone: list[dict[str, Any]] = []
    problems: list[dict[str, Any]] = []
    if change.isdigit():
        try:
            undone.append(review.undo_change(ws, user.username, int(change)))
        except GlamlabError as exc:
            problems.append({"message": exc.message, "hint": exc.hint})
    # newest first: a later decision of the same bulk on the same item (two suggestions
    # of one record) wrote its labels over the earlier's, which is refused while they
    # are there ("the item's labels changed since")
    for decision_id in sorted(set(ids[:500]), reverse=True):
        try:
            undone.append(review.undo_decision(ws, user.username, decision_id))
        except GlamlabError as exc:
            problems.append({"message": exc.message, "hint": exc.hint})
    request.app.state.queue_counts.invalidate()
    cannot = sorted({c for u in undone for c in u["cannot_take_back"]})
    said = [str(u["said"]) for u in undone if u.get("said")]  # entities: what is back
    if not problems and not cannot and not said:
        return _back_to_queue(request, form, done=f"undone-{len(undone)}")
    back = _queue_view(form, ws.card.labels)
    page = _queue(request, user, **back, kind="", status=422 if not undone else 200,
                  undo_problems=problems, undo_cannot=cannot, undone_n=len(undone),
                  undo_said=said)
    page.headers["HX-Replace-Url"] = "/queue?" + urlencode(back)
    return page


def _what_was_decided(ws: Any, decisions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``decisions`` with the label (and, for a span, the value) of the queue row a
    rejection turned down, where the decision stores none of its own, and each with the
    label of the queue row it was made on (``queued``: a correction's label before)."""
    ids = [d["queue_id"] for d in decisions if d.get("queue_id")]
    if not ids:
        return decisions
    import sqlalchemy as sa

    rq = ws.store.t.review_queue
    with ws.store.read() as conn:
        rows = {r.id: r for r in conn.execute(
            sa.select(rq.c.id, rq.c.label, rq.c.value).where(rq.c.id.in_(ids)))}
    out = []
    for d in decisions:
        row = rows.get(d.get("queue_id"))
        if row is not None and d.get("label") is None:
            d = {**d, "label": row.label,
                 "value": d.get("value") if d.get("value") is not None else row.value}
        out.append({**d, "queued": row.label if row is not None else None})
    return out


@router.get("/items/{item_id:path}", response_class=HTMLResponse)
def item_page(request: Request, item_id: str, user: User = Depends(page_user)) -> Response:
    ws = request.app.state.ws
    item_id = _id_of(request, item_id)
    item = known_item(ws, item_id)
    span_sets = None
    if ws.card.kind == "entities":  # its gold is spans, not labels: each annotator's set
        from ...tasks.spans.gold import gold_span_sets

        text = item.text or ""
        span_sets = [{**g, "spans": [{"label": s.label, "text": text[s.start:s.end],
                                      "layer": _layer_word(s.layer),
                                      "start": s.start, "end": s.end} for s in g["spans"]]}
                     for g in gold_span_sets(ws, item_id)]
    history = review.item_history(ws, item_id)
    # a rejection stores no label of its own: what was turned down is its queue row's
    history["decisions"] = _what_was_decided(ws, history.get("decisions") or [])
    if ws.card.kind == "entities":  # a decision on a span of another layer says which
        from ...tasks.spans.model import MAIN_LAYER

        text = item.text or ""

        def words(v: Any) -> str | None:  # the words of the span decided on
            if isinstance(v, dict) and isinstance(v.get("start"), int) and isinstance(
                    v.get("end"), int):
                return str(v.get("text") or text[v["start"]:v["end"]]) or None
            return None

        history["decisions"] = [{**d, "layer": _layer_word(str(
            d["value"].get("layer") or MAIN_LAYER)) if isinstance(d.get("value"), dict)
            else None, "words": words(d.get("value"))}
            for d in history["decisions"]]
    import sqlalchemy as sa

    from ...review.labelling import gold_in_force
    from ...store.gold import in_force
    from ...tasks.tabular import outcome_column

    with ws.store.read() as conn:
        had = gold_in_force(conn, ws, item_id)
        lt = ws.store.t.labels
        # the rows of the label in force, marked so on the page (the others: replaced, or
        # another person's kept for the agreement)
        history["in_force"] = set(conn.execute(sa.select(lt.c.id).where(
            in_force(lt), lt.c.item_id == item_id)).scalars())
        if ws.card.kind == "multi-label":  # gold from decisions on some suggestions only
            history["waits_for"] = _waits_for(ws, conn, item_id)
    done = request.query_params.get("done")
    return render(request, "item.html", {
        "gold": had, "done": done if done in ("changed", "unchanged") else None,
        # a tabular project's outcome column: its cell stays, the label in force counts
        "outcome_column": outcome_column(ws),
        "choices": list(ws.card.labels), "multi_label": bool(ws.card.multi_label),
        "item": item, "history": history, "span_sets": span_sets,
        "iiif": iiif_service(item), "source": source_words(item.source_kind, item.source),
        # in a size the service's compliance level promises; Image API 1.0/1.1 names the
        # image native.jpg, 2 and 3 default.jpg
        "iiif_src": iiif_display_url(item),
        # a field naming a file by its server path (a table's image column): the file's
        # name, unless to an admin (as GET /api/items/ID gives it)
        "meta": [(k, _meta_cell(k, v if user.can("admin") else file_name_only(v)))
                 for k, v in (item.meta or {}).items()],
        "explanation": _explanation(ws, item, user.can("admin"))})


def _waits_for(ws: Any, conn: Any, item_id: str) -> list[str]:
    """The labels suggested for a multi-label item still open in the review queue, where
    its gold came only from reviewers' decisions on single suggestions
    (:func:`glamlab.store.queue.partial_review_label_items`): the item stays out of
    training until they are decided. Empty otherwise."""
    import sqlalchemy as sa

    from ...store.gold import in_force
    from ...store.queue import partial_review_label_items

    if not partial_review_label_items(conn, [item_id]):
        return []
    q, lt = ws.store.t.review_queue, ws.store.t.labels
    return sorted(set(conn.execute(sa.select(q.c.label).where(
        q.c.item_id == item_id, q.c.kind == "prediction", q.c.status == "open",
        ~sa.exists().where(lt.c.item_id == q.c.item_id, lt.c.label == q.c.label,
                           in_force(lt)))).scalars()))


#: where an item came from, in a curator's words (by its ``source_kind``)
SOURCE_WORDS = {"csv": "the spreadsheet", "xlsx": "the spreadsheet", "xls": "the spreadsheet",
                "jsonl": "the table", "parquet": "the table", "table": "the table",
                "folder": "the images", "iiif": "the IIIF manifest", "mets": "the METS file",
                "text": "the text file", "annif": "the Annif corpus", "xml": "the XML file"}


def source_words(kind: str | None, source: str | None) -> str:
    """"the spreadsheet labels.csv": the file an item came from, by its name only (the
    server's folders, e.g. where uploads are kept, are nobody's business on the page); an
    address on the web is shown whole."""
    what = SOURCE_WORDS.get(kind or "", "the file")
    if not source:
        return what
    if "://" in source:
        return f"{what} {source}"
    return f"{what} {source.replace(chr(92), '/').rstrip('/').rsplit('/', 1)[-1]}"


def _meta_cell(key: str, value: Any) -> str:
    """A metadata field of the item page: ingest's word boxes (six numbers a word, which
    only the exports read) summed up in a few words, the rest as :func:`_meta_value`."""
    if key == "word_boxes" and isinstance(value, list):
        n = len(value) // 6
        return f"{n:,} word {'box' if n == 1 else 'boxes'} from the ALTO file (where each word lies on the page)"
    return _meta_value(value)


def _meta_value(value: Any) -> str:
    """A metadata value as a table cell: text as it is, lists joined, the rest as JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        return ", ".join(str(v) for v in value)
    if isinstance(value, (int, float, bool)):
        return str(value)
    return json.dumps(value, ensure_ascii=False, default=str)


def _explanation(ws: Any, item: Any, admin: bool) -> dict[str, Any] | None:
    """Why the latest model said what it did (e.g. the ink found on a page), or the reason
    it cannot say; None when the model does not explain itself. The reason names the
    image by its server path to an admin only (:func:`reader_words`), as /image does."""
    from ...review.explain import explain_item

    try:
        return explain_item(ws, item.item_id)
    except GlamlabError as exc:
        if admin:
            return {"error": exc.message, "hint": exc.hint}
        return {"error": reader_words(item, exc.message),
                "hint": reader_words(item, exc.hint) if exc.hint else exc.hint}


def _id_of(request: Request, item_id: str) -> str:
    """The item id of an /items/, /thumb/ or /image/ address: the rest of its path, or
    for an id of dots alone (``/items/?id=..``, :func:`glamlab.web.images.item_path`)
    its query."""
    return item_id or request.query_params.get("id", "")


@router.get("/thumb/{item_id:path}")
def thumb(request: Request, item_id: str, user: User = Depends(page_user)) -> Response:
    item_id = _id_of(request, item_id)
    return FileResponse(image_file(request.app.state.ws, item_id, THUMB_SIDE,
                                   admin=user.can("admin")),
                        media_type="image/jpeg", headers={"Cache-Control": "private, max-age=3600"})


@router.get("/image/{item_id:path}")
def image(request: Request, item_id: str, user: User = Depends(page_user)) -> Response:
    item_id = _id_of(request, item_id)
    return FileResponse(image_file(request.app.state.ws, item_id, DISPLAY_SIDE,
                                   admin=user.can("admin")),
                        media_type="image/jpeg", headers={"Cache-Control": "private, max-age=3600"})
