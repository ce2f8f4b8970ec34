"""Reviewers' decisions on queue items: accept, reject or correct, refused when stale.

Each queue row has a ``version``. A decision names the version its reviewer saw
(``seen_version``); if the row changed since, :class:`StaleDecision` is raised (the web
answers 409) and nothing is written. Accepted and corrected decisions become gold labels
in the train split (annotator = the reviewer, source ``review``); an item in the frozen
test split keeps its gold label.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..errors import GlamlabError, LabelError
from ..store import QUEUE_SUPERSEDED, now
from ..tasks.kinds import LabelRow
from ..tasks.people import PYTHON, via
from .queue import NotFound, StaleDecision

if TYPE_CHECKING:
    from ..tasks.kinds import Candidate, TaskKind
    from ..workspace import Workspace

ACTIONS = ("accept", "reject", "correct")


def decide(ws: Workspace, user: str, queue_id: int, action: str, seen_version: int,
           label: str | None = None, value: Any = None, *,
           at: datetime | None = None, source: dict[str, Any] | None = None
           ) -> dict[str, Any]:
    """Record one reviewer decision on a queue item; raises :class:`StaleDecision` on
    conflict (nothing written) and :class:`NotFound` for an unknown queue item.
    ``source``: where the decision came from beyond its person, kept with it
    (``decisions.source``) and in its audit entry: ``glamlab review import`` gives the
    file's name and the sha256 of its bytes, the web app :func:`via` ``WEB_QUEUE`` or
    ``API``; None (a script's or notebook's) keeps :func:`via` ``PYTHON``."""
    return decide_many(ws, user, [(queue_id, seen_version)], action, label=label, value=value,
                       raise_conflicts=True, at=at, source=source)[0]


def decide_many(ws: Workspace, user: str, seen: Sequence[tuple[int, int]], action: str,
                label: str | None = None, value: Any = None, *, raise_conflicts: bool = False,
                at: datetime | None = None, source: dict[str, Any] | None = None
                ) -> list[dict[str, Any]]:
    """Decide several queue items in one transaction (bulk accept).

    Each entry is ``(queue_id, seen_version)``. ``label`` (and, for richer task kinds,
    ``value``) is what a correction settles on. A stale or foreign-leased entry is
    reported with ``"ok": False`` (or raised with ``raise_conflicts``) and the others
    still go through.

    A row a gold label settles (:mod:`glamlab.store.queue`: a person's label already
    gives its answer, so the queue does not list it) is still decided when named,
    deliberately: the gold label is a person's, and so is the decision, which replaces
    it as any later label does (a reviewer correcting an imported label or span through
    the model's row; an item in the test split keeps its gold). Such a row is reached
    only by naming it (a script, or a queue page loaded before the gold label came);
    the answer says so with ``"settled_by_gold": True``.

    In an entities project, accepting or correcting a span saves it as the reviewer's
    gold span, and the model's other open spans over any of its words are decided with
    it in the same transaction, as an added entity decides them
    (:func:`_settle_overlapping`): the very span with the same type accepted, the others
    rejected (``settled`` in the answer). On a text in the test split the gold spans
    are kept as they are (review picks spans by what the model predicted: folded into
    the test gold they would lean it towards the model, and nothing may train on it),
    but the decision is the reviewer's and settles the spans over its words there too:
    nobody is asked again about words a reviewer decided. Refused (:class:`SpanHeld`,
    nothing written for that entry; answered ``"ok": False`` with ``"held": True``,
    ``held_by`` who holds it and ``reason`` the refusal naming the rows) when another
    reviewer holds one of them. An entry of the same bulk decision decided so is
    answered ``"ok": False`` with ``settled_with``.
    """
    from ..tasks.kinds import Candidate, task_kind

    if source is None:  # a script's or notebook's call, saying nothing of where from
        source = via(PYTHON)

    if action not in ACTIONS:
        raise GlamlabError(f"unknown review action {action!r}",
                           hint=f"use one of {', '.join(ACTIONS)}")
    if action == "correct" and not label:
        raise LabelError("a correction needs the right label", hint="choose a label")
    kind = task_kind(ws.card)
    if label:
        try:
            kind.validate_candidate(Candidate(label, 1.0, value))
        except ValueError as exc:
            raise LabelError(str(exc), hint=f"choose one of {', '.join(ws.card.labels)}") from exc
    results: list[dict[str, Any]] = []
    with ws.store.write() as conn:
        # rows are always locked in id order, so two overlapping bulk decisions on
        # PostgreSQL queue behind each other instead of deadlocking
        # rows an earlier entry of these decided with its span (see below): id -> that entry
        settled_with: dict[int, int] = {}
        for queue_id, version in sorted(seen):
            if queue_id in settled_with:
                results.append(_settled_with(conn, ws, queue_id, settled_with[queue_id]))
                continue
            final = None
            by_gold = _settled_by_gold(ws, conn, queue_id)
            try:
                if action in ("accept", "correct") and kind.name == "entities":
                    _keep_people_spans(ws, conn, queue_id, action, label, value)
                    final = _span_decided(ws, conn, queue_id, action, label, value)
                    if final is not None:  # refused before anything is written
                        _open_over(ws, conn, user, *final, at or now(), queue_id=queue_id)
                d, r = _compare_and_set(conn, ws, queue_id, user, action, label, value, version,
                                        at or now(), source=source)
            except SpanHeld as exc:
                if raise_conflicts:
                    raise
                # ``held_by``: who holds the row over the same words (None: decided by
                # someone else meanwhile); ``reason`` names the row, the item and them
                results.append({"queue_id": queue_id, "ok": False, "reason": exc.message,
                                "hint": exc.hint, "current": exc.current, "held": True,
                                "held_by": (exc.current or {}).get("lease_owner")})
                continue
            except KeptSpan as exc:
                if raise_conflicts:
                    raise
                results.append({"queue_id": queue_id, "ok": False, "reason": exc.message,
                                "hint": exc.hint, "kept": True})
                continue
            except NotFound:
                if raise_conflicts:
                    raise
                results.append({"queue_id": queue_id, "ok": False, "reason": "not found"})
                continue
            except StaleDecision as exc:
                if raise_conflicts:
                    raise
                results.append({"queue_id": queue_id, "ok": False, "reason": exc.message,
                                "current": exc.current})
                continue
            gold = earlier = None
            settled: list[dict[str, Any]] = []
            if kind.name == "entities":  # its gold is span sets (glamlab.tasks.spans)
                from ..tasks.spans.complete import gold_state

                span_before = gold_state(conn, ws, r.item_id)
                before = None
            else:
                before = _gold_state(ws, conn, r.item_id)
            if action in ("accept", "correct") and d["label"]:
                chosen = Candidate(d["label"], float(r.score or 0.0), d["value"])
                gold, earlier = _gold_label(ws, conn, kind, r.item_id, chosen, user,
                                            d["created_at"])
                _confirm_metadata(ws, conn, kind, r, chosen, user, d["created_at"])
                if final is not None:
                    # the model's other open spans over the words just decided: decided
                    # with it, as an added entity decides them (one code path); in the
                    # test split too, where the text's gold is kept (the reviewer has
                    # said what those words are all the same)
                    settled = _settle_overlapping(ws, conn, user, *final, by=d["id"],
                                                  source=source,
                                                  queue_id=queue_id)
                    settled_with.update((int(x["queue_id"]), queue_id) for x in settled)
            checked = None
            if kind.name == "multi-label":  # the record's last suggestion decided
                # a correction to a term another of its suggestions gives settles that
                # one: its lease goes back as the decided row's does
                _release_settled(ws, conn, user, r.item_id)
                checked = _last_suggestion(ws, conn, user, r.item_id, d["created_at"])
            if before is not None:  # what the decision changed, so it can be undone
                _record_effects(ws, conn, user, r.item_id, int(d["id"]), before)
            else:  # entities: the span sets, rows settled with it, metadata it wrote
                from ..tasks.spans.complete import record_change

                record_change(conn, ws, user, r.item_id, "decision", span_before,
                              decision_id=int(d["id"]),
                              decisions=[int(d["id"]), *(int(x["decision_id"])
                                                         for x in settled)],
                              said=_span_decision_said(conn, ws, r, action, d, settled))
            results.append({"queue_id": queue_id, "ok": True, "item_id": r.item_id,
                            "action": action, "label": d["label"], "value": d["value"],
                            "predicted": r.label, "version": r.version,
                            "decision_id": d["id"], "gold_label": gold,
                            "earlier_gold": earlier, "settled": settled,
                            "settled_by_gold": by_gold,
                            **({"record_checked": checked["terms"]} if checked else {})})
    if kind.name == "entities":
        # a text marked checked as its last open span is decided: the mark is the newest
        # decision's on it, and taken back with it (glamlab.review.undo)
        newest: dict[str, int] = {}
        for x in results:
            if x["ok"]:
                newest[x["item_id"]] = max(newest.get(x["item_id"], 0), int(x["decision_id"]))
        marked = _texts_reviewed(ws, user, newest)
        # the decision that left its text checked says so (``text_checked``): the queue
        # page tells the reviewer the text now trains as it stands, and where to add an
        # entity the model missed (its card, which held the way to, is gone)
        for x in results:
            if x["ok"] and x["item_id"] in marked and int(x["decision_id"]) == \
                    newest[x["item_id"]]:
                x["text_checked"] = True
    return results


def _last_suggestion(ws: Workspace, conn: sa.Connection, user: str, item_id: str,
                     stamp: Any) -> dict[str, Any] | None:
    """A multi-label record whose last open suggestion was just decided, and whose gold is
    not yet its whole set (none, or reviewers' decisions on single suggestions only:
    :func:`glamlab.tasks.partial_labels.needs_check`), is checked
    (:func:`glamlab.tasks.partial_labels.check_record`): its terms people accepted and the
    terms the policy accepted that nobody rejected are its whole set, every other term
    absent; a record whose every suggestion was rejected trains so too (as a record those
    terms do not apply to), not left out. In the decision's transaction, so undoing the
    decision takes the check back with it. None where nothing was checked (suggestions
    still open, a person's whole label, the test split)."""
    from ..tasks.partial_labels import check_record, needs_check, open_suggestions

    st = ws.store.t
    split = conn.execute(sa.select(st.splits.c.split).where(
        st.splits.c.item_id == item_id)).scalar()
    if split == "test" or open_suggestions(conn, item_id) or not needs_check(conn, item_id):
        return None
    return check_record(ws, conn, item_id, user=user, stamp=stamp, auto=True)


def _gold_state(ws: Workspace, conn: sa.Connection, item_id: str) -> dict[str, Any]:
    """The item's label rows (id -> active), whether it has a split row, and its newest
    machine metadata row, before a decision (:func:`_record_effects`)."""
    st = ws.store.t
    labels = {int(i): bool(a) for i, a in conn.execute(
        sa.select(st.labels.c.id, st.labels.c.active).where(st.labels.c.item_id == item_id))}
    split = conn.execute(sa.select(st.splits.c.item_id).where(
        st.splits.c.item_id == item_id)).first() is not None
    meta = conn.execute(sa.select(sa.func.max(st.machine_metadata.c.id)).where(
        st.machine_metadata.c.item_id == item_id)).scalar()
    return {"labels": labels, "split": split, "meta": int(meta or 0)}


def _record_effects(ws: Workspace, conn: sa.Connection, user: str, item_id: str,
                    decision_id: int, before: dict[str, Any]) -> None:
    """Audit what decision ``decision_id`` changed besides its queue row (action
    ``decision.effects``): the label rows it added and those it retired, whether it created
    the item's split row, and the machine metadata rows it wrote (confirmations). Undo
    (:func:`glamlab.review.undo.undo_decision`) takes exactly these back."""
    after = _gold_state(ws, conn, item_id)
    st = ws.store.t
    added = sorted(i for i in after["labels"] if i not in before["labels"])
    retired = sorted(i for i, a in before["labels"].items()
                     if a and not after["labels"].get(i, False))
    meta = [int(i) for i in conn.execute(sa.select(st.machine_metadata.c.id).where(
        st.machine_metadata.c.item_id == item_id,
        st.machine_metadata.c.id > before["meta"])).scalars()]
    ws.store.audit(conn, user, "decision.effects", item_id, decision_id=decision_id,
                   added=added, retired=retired,
                   split_created=after["split"] and not before["split"], metadata=meta,
                   label_max=max(after["labels"], default=0))


class KeptSpan(LabelError):
    """Deciding an entities queue row so would replace a span a person saved on its
    text (:func:`_keep_people_spans`); nothing was written."""


class SpanHeld(StaleDecision):
    """Accepting or correcting an entities queue row would decide with it another open
    row over the same words (:func:`_settle_overlapping`), and another reviewer holds
    that row: they are deciding it. Nothing was written."""


def _settled_by_gold(ws: Workspace, conn: sa.Connection, queue_id: int) -> bool:
    """Whether a gold label settles the open prediction row ``queue_id`` (the one
    definition the queue hides it by: :func:`glamlab.store.queue.settled`), before the
    decision on it is written. Such a row is still decided when named (see
    :func:`decide_many`); the answer says it was one."""
    q = ws.store.t.review_queue
    query = _SETTLED.get(q)
    if query is None:  # built once per table: building it took longer than running it
        from ..store.queue import settled

        query = _SETTLED[q] = sa.select(q.c.id).where(q.c.id == sa.bindparam("queue_id"),
                                                      *settled(q))
    return conn.execute(query, {"queue_id": queue_id}).first() is not None


#: review_queue table -> the query of :func:`_settled_by_gold`, its row id a parameter
_SETTLED: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()


def _span_decided(ws: Workspace, conn: sa.Connection, queue_id: int, action: str,
                  label: str | None, value: Any) -> tuple[str, Any, str] | None:
    """The item, the span (:class:`~glamlab.tasks.spans.model.Span`) and the text that
    accepting the open entities row ``queue_id`` (or correcting it to ``label``/``value``)
    decides: the reviewer's gold span in the train split; in the test split the text's
    gold is kept (:func:`_gold_label`), the decision stays the reviewer's all the same
    and settles the model's other spans over its words. None where it decides no span
    (not an open prediction row, no span on the text)."""
    from ..tasks.spans.gold import item_text
    from ..tasks.spans.model import MAIN_LAYER, Span

    q = ws.store.t.review_queue
    row = conn.execute(sa.select(q.c.item_id, q.c.label, q.c.value, q.c.kind, q.c.status)
                       .where(q.c.id == queue_id)).first()
    if row is None or row.status != "open" or row.kind != "prediction":
        return None
    final, v = (row.label, row.value) if action == "accept" else (label, value)
    v = v if isinstance(v, dict) else {}
    try:
        start, end = int(v["start"]), int(v["end"])
    except (KeyError, TypeError, ValueError):
        return None
    if not final:
        return None
    text = item_text(conn, ws, row.item_id, "to decide on")
    if not 0 <= start < end <= len(text):
        return None
    return row.item_id, Span(start, end, final, layer=v.get("layer") or MAIN_LAYER), text


def _settled_with(conn: sa.Connection, ws: Workspace, queue_id: int,
                  by: int) -> dict[str, Any]:
    """The answer for an entry of a bulk decision that an earlier entry of it decided
    with its span (they overlap): not decided again."""
    q = ws.store.t.review_queue
    item_id = conn.execute(sa.select(q.c.item_id).where(q.c.id == queue_id)).scalar()
    return {"queue_id": queue_id, "ok": False, "settled_with": by,
            "reason": f"review queue row {queue_id} (item {item_id}) is over some of the "
                      f"same words as row {by}, accepted in the same go: it was decided "
                      "with it (accepted where it is that very span, else rejected)"}


def _keep_people_spans(ws: Workspace, conn: sa.Connection, queue_id: int, action: str,
                       label: str | None, value: Any) -> None:
    """Refuse, with one :class:`KeptSpan` naming the item, the saved span, who saved it
    and the fix, accepting the open entities row ``queue_id`` (or correcting it to
    ``label``/``value``) when the span it would make replaces a gold span a person saved
    on the text (:mod:`glamlab.tasks.spans.saved`): a model run after that person's
    work queued a span over the same words. Imported gold is replaced as before (a
    reviewer correcting the file), and a text in the test split keeps its gold anyway."""
    from ..tasks.spans.gold import item_text
    from ..tasks.spans.model import shown
    from ..tasks.spans.saved import replaced_by, saved_spans

    q, st = ws.store.t.review_queue, ws.store.t
    row = conn.execute(sa.select(q.c.item_id, q.c.label, q.c.value, q.c.kind, q.c.status)
                       .where(q.c.id == queue_id)).first()
    if row is None or row.status != "open" or row.kind != "prediction":
        return  # the decision itself says why not (not found, already decided)
    final, v = (row.label, row.value) if action == "accept" else (label, value)
    v = v if isinstance(v, dict) else {}
    try:
        start, end = int(v["start"]), int(v["end"])
    except (KeyError, TypeError, ValueError):
        return  # no span: validate_candidate said what is wrong with it
    if conn.execute(sa.select(st.splits.c.split).where(
            st.splits.c.item_id == row.item_id)).scalar() == "test":
        return
    saved = saved_spans(ws, conn, [row.item_id]).get(row.item_id, [])
    kept = [s for s in replaced_by(saved, start, end, final, v.get("layer"))
            if s.who is not None]
    if not kept:
        return
    s, who = kept[0].span, kept[0].who
    text = item_text(conn, ws, row.item_id, "to decide on")
    if not 0 <= start < end <= len(text):
        return  # not on the text: saving the gold spans says so
    what = "accepting" if action == "accept" else "saving"
    raise KeptSpan(
        f"{row.item_id}: the model's span {shown(text[start:end])} ({start}-{end}, "
        f"{final}) overlaps {shown(s.text or text[s.start:s.end])} ({s.start}-{s.end}), "
        f"saved as {s.label} by {who}; {what} it would replace {who}'s entity, so "
        "nothing was saved", item=row.item_id,
        hint=f"reject the model's span ({who}'s entity stays), or fix its boundaries "
             f"off those words; if {who}'s entity is the one that is wrong, save the "
             "text's entities again with it fixed (POST /api/labels, split train)")


def _span_decision_said(conn: sa.Connection, ws: Workspace, r: Any, action: str,
                        d: dict[str, Any], settled: list[dict[str, Any]]) -> str:
    """A decision on an entities queue row in plain words, for the confirmation of its
    undo: "your decision on the model's span “Paris” (LOC, 3-8) of item X (accepted) is
    taken back; the span is back in the queue"."""
    from ..tasks.spans.gold import item_text
    from ..tasks.spans.model import shown

    v = r.value if isinstance(r.value, dict) else {}
    try:
        start, end = int(v["start"]), int(v["end"])
        words = f"{shown(item_text(conn, ws, r.item_id, 'to undo')[start:end])} " \
                f"({r.label}, {start}-{end})"
    except (KeyError, TypeError, ValueError, LabelError):
        words = f"({r.label})"
    new = d["value"] if isinstance(d["value"], dict) else {}
    if action == "correct" and "authority_id" in new and not new.get("link_by"):
        how = f"saved as {d['label']} linked to {new['authority_id']}"
    elif action == "correct":
        how = f"corrected to {d['label']}"
    else:
        how = "accepted" if action == "accept" else "rejected"
    more = ""
    if settled:
        more = (f", with the {len(settled)} other span{'s' if len(settled) > 1 else ''} "
                "over its words decided with it")
    return (f"your decision on the model's span {words} of {r.item_id} ({how}) is taken "
            f"back: the span is back in the queue{more}, and the text's entities are as "
            "they were before")


def _texts_reviewed(ws: Workspace, user: str, newest: dict[str, int]) -> set[str]:
    """Texts whose reviewed spans wait (:func:`glamlab.tasks.spans.complete.partial_gold`),
    or that have no gold spans yet, and that have nothing left in the review queue: the policy settled their other spans
    (accepted ones are kept as entities, rejected ones are not). They are marked done as
    the last decision leaves them (:func:`~glamlab.tasks.spans.complete.mark_text_done`),
    so a text never waits for a decision nobody can make. ``newest``: each text decided
    on -> the newest decision on it, which the mark is made by (``by_decision``).
    Returns the texts these decisions left checked: nothing of theirs open in the queue
    any more, outside the test split, their gold spans whole (marked here, or every
    predicted span decided), so they now train as they stand."""
    from ..tasks.spans.complete import mark_text_done, partial_gold
    from ..tasks.spans.gold import _active_sets
    from ..tasks.splits import split_of

    item_ids = sorted(newest)
    if not item_ids:
        return set()
    q = ws.store.t.review_queue

    def open_in(conn: sa.Connection, ids: Iterable[str]) -> set[str]:
        return set(conn.execute(sa.select(q.c.item_id).where(
            q.c.item_id.in_(sorted(ids)), q.c.kind == "prediction",
            q.c.status == "open")).scalars())

    with ws.store.read() as conn:
        # texts whose reviewed spans wait, and texts with no gold yet (every decision a
        # rejection: the policy's accepted spans are still its entities)
        have_gold = set(_active_sets(conn, ws, item_ids))
        waiting = partial_gold(ws, item_ids, conn) | (set(item_ids) - have_gold)
        still_open = open_in(conn, waiting) if waiting else set()
    for item_id in sorted(waiting - still_open):
        try:
            mark_text_done(ws, item_id, user=user, by_decision=newest[item_id])
        except LabelError:
            continue  # a test item, or its text changed: it waits, as it says
    with ws.store.read() as conn:
        done = set(item_ids) - open_in(conn, item_ids)
        if not done:
            return set()
        tested = {i for i, sp in split_of(ws, sorted(done), conn=conn).items() if sp == "test"}
        whole = set(_active_sets(conn, ws, sorted(done))) - partial_gold(ws, sorted(done),
                                                                          conn)
    return (done & whole) - tested


def _compare_and_set(conn: sa.Connection, ws: Workspace, queue_id: int, user: str, action: str,
                     label: str | None, value: Any, seen_version: int,
                     at: datetime, *, settled_by: int | None = None,
                     source: dict[str, Any] | None = None
                     ) -> tuple[dict[str, Any], Any]:
    """The decision itself, a compare-and-set on the row's ``version``: the row changes
    only if it is still open, still at the version the reviewer saw, and not leased to
    another reviewer. Otherwise nothing is written and :class:`StaleDecision` says why,
    so a decision is refused rather than lost or doubled. The decision row, the queue
    change and the audit entry go into the caller's transaction together."""
    q = ws.store.t.review_queue
    others_lease_over = sa.or_(q.c.lease_owner.is_(None), q.c.lease_owner == user,
                               q.c.lease_until < at)
    res = conn.execute(
        q.update()
        .where(q.c.id == queue_id, q.c.version == seen_version, q.c.status == "open",
               others_lease_over)
        .values(status="decided", version=q.c.version + 1, lease_owner=None, lease_until=None))
    # Read after the update: the row is now locked by this transaction (PostgreSQL) or
    # the writer lock is held (SQLite), so what we read is what we decided on.
    row = conn.execute(sa.select(q).where(q.c.id == queue_id)).first()
    if row is None:
        raise NotFound(f"no review-queue item {queue_id}", hint="reload the queue")
    if res.rowcount != 1:
        raise StaleDecision(_stale_reason(row, user, seen_version, at), item=row.item_id,
                            hint="reload the queue to see the current state",
                            current={"queue_id": queue_id, "version": row.version,
                                     "status": row.status, "lease_owner": row.lease_owner})
    if action == "correct":
        final, final_value = label, value
    elif action == "accept":
        final, final_value = row.label, row.value
    else:
        final, final_value = None, None
    ins = conn.execute(ws.store.t.decisions.insert().values(
        queue_id=queue_id, item_id=row.item_id, prediction_id=row.prediction_id, user=user,
        action=action, label=final, value=final_value, seen_version=seen_version,
        created_at=at, source=source))
    decision_id = int(ins.inserted_primary_key[0])  # type: ignore[index]
    why: dict[str, Any] = {} if settled_by is None else {"settled_by": settled_by}
    if source is not None:
        why["source"] = source
    ws.store.audit(conn, user, f"review.{action}", row.item_id, queue_id=queue_id,
                   decision_id=decision_id, label=final, predicted=row.label,
                   version=seen_version + 1, **why)
    return ({"id": decision_id, "label": final, "value": final_value, "created_at": at}, row)


def _stale_reason(row: Any, user: str, seen: int, t: datetime) -> str:
    what = f"review queue row {row.id} (item {row.item_id})"
    if row.status == QUEUE_SUPERSEDED:
        return (f"{what} asked about an earlier prediction: the model that runs now "
                "predicted the item again, and its candidates replaced this one; your "
                "decision was not saved")
    if row.status != "open":
        return f"{what} was already decided by someone else; your decision was not saved"
    if row.lease_owner not in (None, user) and row.lease_until and row.lease_until >= t:
        return f"{what} is being reviewed by {row.lease_owner}; your decision was not saved"
    return (f"{what} changed since you loaded it (version {seen}, now {row.version}); "
            "your decision was not saved")


def _gold_label(ws: Workspace, conn: sa.Connection, kind: TaskKind[Any, Any], item_id: str,
                chosen: Candidate, user: str, stamp: Any) -> tuple[str, dict[str, int] | None]:
    """The item's gold label once a person accepted ``chosen``, as the task kind says
    (:meth:`TaskKind.accepted`): the reviewer's rows become the new gold (rows of it the
    reviewer does not hold yet are added), other rows not in it are retired; an item in
    the test split keeps its gold. With it, for an entities text whose gold spans were
    made on an earlier text of the item (ingested again with other words), how many of
    them still fit the text and were carried over, and how many were dropped
    (:func:`_entities_gold`); None otherwise."""
    st = ws.store.t
    split = conn.execute(sa.select(st.splits.c.split).where(st.splits.c.item_id == item_id)).scalar()
    if split == "test":
        return "kept (item is in the frozen test split)", None
    elsewhere = kind.read_gold(ws, [item_id], conn)  # a kind with its own store (entities)
    if elsewhere is not None:
        current, earlier = elsewhere.get(item_id), None
        if kind.name == "entities":
            current, earlier = _entities_gold(ws, conn, item_id)
        kind.write_gold(ws, conn, item_id, kind.accepted(current, chosen),
                        annotator=user, source="review")
        if split is None:
            conn.execute(st.splits.insert().values(item_id=item_id, split="train",
                                                   created_at=stamp))
        return "train", earlier
    from ..store.gold import SECOND, in_force

    active = conn.execute(sa.select(st.labels.c.id, st.labels.c.label, st.labels.c.value,
                                    st.labels.c.annotator, st.labels.c.source)
                          .where(st.labels.c.item_id == item_id, st.labels.c.active.is_(True))
                          .order_by(st.labels.c.id)).all()
    # the gold the decision builds on: the rows in force (one rule, in_force: the latest
    # person's, a blind second labeller's only where no one else's is active)
    gold_ids = set(conn.execute(sa.select(st.labels.c.id).where(
        st.labels.c.item_id == item_id, in_force(st.labels))).scalars())
    current = kind.gold_from_rows([LabelRow(r.label, r.value) for r in active
                                   if r.id in gold_ids]) if active else None
    wanted = kind.gold_rows(kind.accepted(current, chosen))
    keys = {(r.label, _same(r.value)) for r in wanted}
    # a blind second label stays, for the agreement between labellers (it is never gold
    # beside another person's label)
    retire = [r.id for r in active
              if (r.label, _same(r.value)) not in keys and r.source != SECOND]
    if retire:
        conn.execute(st.labels.update().where(st.labels.c.id.in_(retire)).values(active=False))
    # the reviewer holds the whole new gold (the latest annotator's rows are the gold)
    have = {(r.label, _same(r.value)) for r in active
            if r.id not in retire and r.annotator == user and r.source != SECOND}
    for r in wanted:
        if (r.label, _same(r.value)) not in have:
            conn.execute(st.labels.insert().values(item_id=item_id, label=r.label, value=r.value,
                                                   annotator=user, source="review",
                                                   active=True, created_at=stamp))
    if split is None:
        conn.execute(st.splits.insert().values(item_id=item_id, split="train", created_at=stamp))
    return "train", None


def _entities_gold(ws: Workspace, conn: sa.Connection,
                   item_id: str) -> tuple[Any, dict[str, int] | None]:
    """The gold spans (every layer: a text's nested or metonymic entities stay with it,
    as adding an entity or marking the text checked keeps them) a decision on
    ``item_id``'s text builds on: its latest gold set's, unless that set was made on an
    earlier text of the item (it was ingested again with other words since): then only
    those of its spans still on the same words of the text now
    (:func:`glamlab.tasks.spans.gold.gold_to_build_on`), with how many were carried over
    and how many dropped (they stay in that set)."""
    from ..tasks.spans.gold import gold_to_build_on, item_text

    base = gold_to_build_on(conn, ws, item_id, item_text(conn, ws, item_id, "to decide on"))
    if base is None:
        return None, None
    return base.spans, base.note()


def _same(value: Any) -> str:
    import json

    return json.dumps(value, sort_keys=True)


_MODEL_NAMES: weakref.WeakKeyDictionary[Any, dict[int, Any]] = weakref.WeakKeyDictionary()


def _confirm_metadata(ws: Workspace, conn: sa.Connection, kind: TaskKind[Any, Any], r: Any,
                      chosen: Candidate, user: str, stamp: Any) -> None:
    """A person-confirmed value becomes machine metadata with its provenance."""
    st = ws.store.t
    if r.model_id is None:
        return
    known = _MODEL_NAMES.setdefault(ws.store, {})
    m = known.get(r.model_id)
    if m is None:  # model versions never change once saved: remember them per store
        m = conn.execute(sa.select(st.models.c.name, st.models.c.version)
                         .where(st.models.c.id == r.model_id)).first()
        if m is None:
            return
        known[r.model_id] = m
    field = str(ws.card.section("policy").get("field") or ws.card.task)
    same = chosen.label == r.label and _same(chosen.value) == _same(r.value)
    conn.execute(st.machine_metadata.insert().values(
        item_id=r.item_id, field=field, value=kind.metadata_value(chosen), model=m.name,
        model_version=m.version, score=r.score if same else None, run_id=None,
        prediction_id=r.prediction_id, created_at=stamp, confirmed_by=user,
        confirmed_at=stamp))


def mark_text_done(ws: Workspace, user: str, item_id: str) -> dict[str, Any]:
    """An entities project's "I have checked this whole text": the text's spans as
    decided so far are all its entities (the rest of its words are none), so it goes
    into training although some of its predicted spans have no decision (see
    :mod:`glamlab.tasks.spans.complete`). Returns the item, its spans, its split."""
    from ..tasks.kinds import task_kind
    from ..tasks.spans.complete import mark_text_done as mark

    if task_kind(ws.card).name != "entities":
        raise LabelError("marking a whole text checked is for entities projects",
                         item=item_id, hint="decide the item's queue rows instead")
    return mark(ws, item_id, user=user)


def unmark_text_done(ws: Workspace, user: str, item_id: str) -> dict[str, Any]:
    """Undo :func:`mark_text_done` (pressed by mistake): the spans decided before it are
    the text's gold again and the text waits until its other spans are decided. Refused
    when spans were decided on top of the mark since, or another reviewer marked it
    (:func:`glamlab.tasks.spans.complete.unmark_text_done`)."""
    from ..tasks.kinds import task_kind
    from ..tasks.spans.complete import unmark_text_done as unmark

    if task_kind(ws.card).name != "entities":
        raise LabelError("marking a whole text checked is for entities projects",
                         item=item_id, hint="decide the item's queue rows instead")
    return unmark(ws, item_id, user=user)


def mark_record_checked(ws: Workspace, user: str, item_id: str, *,
                        source: dict[str, Any] | None = None) -> dict[str, Any]:
    """A multi-label reviewer's "I have checked this whole record": its terms as they
    stand (those people accepted, corrected to or gave it, and those the policy accepted
    that nobody rejected) are its whole set, and every other term does not apply; it
    goes into training (:func:`glamlab.tasks.partial_labels.check_record`). The record's
    suggestions still open are rejected, as ``user``'s decisions, in the same
    transaction. Refused, nothing written, with one :class:`LabelError` naming the item:
    not a multi-label project, no such item, an item in the test split;
    :class:`StaleDecision` while another reviewer holds one of the record's rows in the
    review queue (:func:`_record_held`, as adding a term is). ``source``: where the
    rejections came from, as :func:`decide` keeps it. Returns the item, its ``terms``,
    ``policy_terms``, ``rejected`` (how many suggestions) and its split."""
    from ..tasks.kinds import task_kind
    from ..tasks.partial_labels import check_record, open_suggestions

    if task_kind(ws.card).name != "multi-label":
        raise LabelError("checking a whole record is for multi-label projects",
                         item=item_id, hint="decide the item's queue rows instead")
    st = ws.store.t
    stamp = now()
    with ws.store.write() as conn:
        if conn.execute(sa.select(st.items.c.item_id).where(
                st.items.c.item_id == item_id).limit(1)).first() is None:
            raise NotFound(f"no item {item_id!r}", item=item_id, hint="reload the queue")
        # one check, one wording, for every change to the record as a whole
        _record_held(ws, conn, user, item_id, stamp, "the record was not marked checked",
                     then="mark it checked")
        rows = open_suggestions(conn, item_id)
        rejected = []
        for r in rows:
            d, _row = _compare_and_set(conn, ws, int(r.id), user, "reject", None, None,
                                       int(r.version), stamp, source=source)
            rejected.append((int(r.id), int(d["id"]), int(r.version) + 1))
        done = check_record(ws, conn, item_id, user=user, stamp=stamp, auto=False,
                            rejected=rejected)
    return {"item_id": item_id, "terms": done["terms"], "policy_terms": done["policy_terms"],
            "rejected": len(rejected), "split": done["split"]}


def _record_held(ws: Workspace, conn: sa.Connection, user: str, item_id: str,
                 at: datetime, not_done: str, then: str) -> None:
    """Refuse a change to the record ``item_id`` as a whole (a term added or taken back,
    the record marked checked) while another reviewer holds one of its rows in the
    review queue, as a decision on that row is refused (:func:`_compare_and_set`: a
    lease not over yet that is not ``user``'s): one :class:`StaleDecision` naming the
    row, the item and who holds it, ``not_done`` saying what was not done, its hint
    ``then`` once they are done. Nothing is written."""
    q = ws.store.t.review_queue
    # the record's open rows locked (PostgreSQL; SQLite holds the writer lock), in id
    # order as decisions lock them: a lease taken meanwhile waits for this transaction
    rows = conn.execute(sa.select(q.c.id, q.c.lease_owner, q.c.lease_until).where(
        q.c.item_id == item_id, q.c.status == "open").order_by(q.c.id)
        .with_for_update()).all()
    for r in rows:
        if r.lease_owner in (None, user) or (r.lease_until is not None
                                             and r.lease_until < at):
            continue
        raise StaleDecision(
            f"review queue row {r.id} (item {item_id}) is being reviewed by "
            f"{r.lease_owner}; {not_done}", item=item_id,
            hint=f"reload the queue; once {r.lease_owner} has decided the record's "
                 f"suggestions, {then}",
            current={"queue_id": int(r.id), "lease_owner": r.lease_owner})


def _release_settled(ws: Workspace, conn: sa.Connection, user: str, item_id: str) -> None:
    """Give back ``user``'s leases on the record's open suggestions its gold now gives
    (a term added, or a suggestion corrected to it): nobody is asked about them any more
    (:mod:`glamlab.store.queue`), so no page shows them, renews them or gives them back
    when the reviewer leaves; held, they kept the record from the other reviewers
    (:func:`_record_held`) until the lease ran out, as a decided row's lease does not."""
    from ..store.queue import settled

    q = ws.store.t.review_queue
    conn.execute(q.update().where(q.c.item_id == item_id, q.c.lease_owner == user,
                                  *settled(q)).values(lease_owner=None, lease_until=None))


def add_term(ws: Workspace, user: str, item_id: str, term: str) -> dict[str, Any]:
    """A multi-label reviewer adds a term the model did not suggest for the record (or
    did not send to review): ``term``, one of the project's, becomes one of the record's
    terms, saved as ``user``'s gold (as accepting a suggestion of it would: every export
    then gives it as the person's, :func:`glamlab.actions.act.unsuggested_gold`). A
    suggestion of it still waiting in the queue is settled by it (not asked again). It
    decides nothing about the record's other suggestions: the record trains once they
    are decided, or once it is marked checked. Refused, nothing written, with one
    :class:`LabelError` naming the item and the fix: not a multi-label project, a term
    the project does not have, an item in the test split (its terms are kept as they
    are), a term the record already has; :class:`NotFound` for no such item;
    :class:`StaleDecision` (as a decision on its row is refused) while another reviewer
    holds one of the record's rows in the review queue. Returns the item, the ``term``
    and the record's ``terms`` now."""
    from ..store.queue import gold_labels
    from ..tasks.kinds import Candidate, task_kind

    kind = task_kind(ws.card)
    if kind.name != "multi-label":
        raise LabelError("adding a term is for multi-label projects", item=item_id,
                         hint="correct the item's suggestion in the review queue instead")
    if term not in ws.card.labels:
        raise LabelError(f"{term!r} is not one of the project's terms, so it was not added "
                         f"to {item_id}", item=item_id,
                         hint=f"choose one of {', '.join(ws.card.labels)}")
    st = ws.store.t
    stamp = now()
    with ws.store.write() as conn:
        if conn.execute(sa.select(st.items.c.item_id).where(
                st.items.c.item_id == item_id).limit(1)).first() is None:
            raise NotFound(f"no item {item_id!r}", item=item_id, hint="reload the queue")
        split = conn.execute(sa.select(st.splits.c.split).where(
            st.splits.c.item_id == item_id)).scalar()
        if split == "test":
            raise LabelError(f"{item_id} is in the test split, which measures the models: its "
                             f"terms are kept as they are, so {term!r} was not added",
                             item=item_id, hint="change them with \"Change the label\" on "
                                                "the item's page")
        have = {t for t in gold_labels(conn, [item_id]).get(item_id, set()) if t}
        if term in have:
            raise LabelError(f"{item_id} already has the term {term!r}", item=item_id,
                             hint="choose another term")
        _record_held(ws, conn, user, item_id, stamp, f"the term {term!r} was not added",
                     then="add it")
        labels = st.labels
        before = {int(i): bool(a) for i, a in conn.execute(sa.select(
            labels.c.id, labels.c.active).where(labels.c.item_id == item_id))}
        _gold_label(ws, conn, kind, item_id, Candidate(term, 1.0), user, stamp)
        _release_settled(ws, conn, user, item_id)  # the suggestion of it, if any
        after = {int(i): bool(a) for i, a in conn.execute(sa.select(
            labels.c.id, labels.c.active).where(labels.c.item_id == item_id))}
        terms = sorted(t for t in gold_labels(conn, [item_id]).get(item_id, set()) if t)
        # what it changed, for remove_added_term to take back exactly
        ws.store.audit(conn, user, "labels.term_added", item_id, term=term, terms=terms,
                       added=sorted(i for i in after if i not in before),
                       retired=sorted(i for i, a in before.items() if a and not after.get(i)),
                       split_created=split is None)
    return {"item_id": item_id, "term": term, "terms": terms}


def remove_added_term(ws: Workspace, user: str, item_id: str, term: str, *,
                      at: datetime | None = None) -> dict[str, Any]:
    """Undo :func:`add_term` (a wrong term added by mistake) within ten minutes
    (:data:`glamlab.review.undo.UNDO_S`), as every other undo: the record's terms are as
    they were before it. The gold labels adding wrote are retired (kept in the history,
    inactive), those it retired are in force again, a split it created is removed; a
    suggestion of ``term`` that adding settled (the queue leaves out a suggestion its
    gold gives) is asked again. Audited as ``labels.term_added.undo``. Refused, nothing
    written, with one :class:`LabelError` naming the item: no such addition of
    ``user``'s (or taken back already), one older than ten minutes, or the record's
    terms changed since; :class:`StaleDecision` (as a decision on its row is refused)
    while another reviewer holds one of the record's rows in the review queue. Returns
    the item, the ``term`` and the record's ``terms`` now."""
    from datetime import timedelta

    from ..store.queue import gold_labels, settled_by_gold
    from .queue import DEFAULT_LEASE_S
    from .undo import UNDO_S

    st = ws.store.t
    a, labels = st.audit_log, st.labels
    stamp = at or now()
    with ws.store.write() as conn:
        # the latest addition of the term to the record (one taken back is followed by
        # its undo)
        e = next((r for r in conn.execute(sa.select(
            a.c.id, a.c.action, a.c.actor, a.c.details, a.c.at).where(
            a.c.action.in_(("labels.term_added", "labels.term_added.undo")),
            a.c.object == item_id).order_by(a.c.id.desc()))
            if (r.details or {}).get("term") == term), None)
        if e is None or e.action != "labels.term_added":
            raise LabelError(f"{item_id}: the term {term!r} was not added to it in the "
                             "review queue (or was taken back already): nothing to undo",
                             item=item_id, hint="correct the record's terms on its page")
        if e.actor != user:
            raise LabelError(f"{item_id}: the term {term!r} was added by {e.actor}, not by "
                             f"{user}, so it was not taken back", item=item_id,
                             hint=f"ask {e.actor} to undo it")
        if stamp - e.at > timedelta(seconds=UNDO_S):
            raise LabelError(f"the term {term!r} was added to {item_id} more than "
                             f"{UNDO_S // 60} minutes ago, so it can no longer be undone",
                             item=item_id, hint="correct the record's terms on its page "
                                                "instead")
        done = e.details or {}
        added = [int(i) for i in done.get("added") or []]
        retired = [int(i) for i in done.get("retired") or []]
        live = {int(i): bool(v) for i, v in conn.execute(sa.select(
            labels.c.id, labels.c.active).where(labels.c.id.in_(added + retired)))}
        later = conn.execute(sa.select(labels.c.id).where(
            labels.c.item_id == item_id, labels.c.id > max(added, default=0))).first()
        if (not added or later is not None or any(not live.get(i, False) for i in added)
                or any(live.get(i, True) for i in retired)):
            raise LabelError(f"{item_id}: its terms changed since the term {term!r} was "
                             "added, so it was not taken back", item=item_id,
                             hint="correct the record's terms on its page")
        _record_held(ws, conn, user, item_id, stamp,
                     f"the term {term!r} was not taken back",
                     then="take it back (in the ten minutes after adding it; later, "
                          "correct the record's terms on its page)")
        conn.execute(labels.update().where(labels.c.id.in_(added)).values(active=False))
        if retired:
            conn.execute(labels.update().where(labels.c.id.in_(retired)).values(active=True))
        if done.get("split_created") and not conn.execute(sa.select(labels.c.id).where(
                labels.c.item_id == item_id, labels.c.active.is_(True)).limit(1)).first():
            conn.execute(st.splits.delete().where(st.splits.c.item_id == item_id,
                                                  st.splits.c.split == "train"))
        # the suggestion of it that adding settled is asked again: back on ``user``'s
        # page, leased to them, as an undone decision's row is (glamlab.review.undo)
        q = st.review_queue
        conn.execute(q.update().where(
            q.c.item_id == item_id, q.c.label == term, q.c.kind == "prediction",
            q.c.status == "open", ~settled_by_gold(q)).values(
            lease_owner=user, lease_until=stamp + timedelta(seconds=DEFAULT_LEASE_S)))
        terms = sorted(t for t in gold_labels(conn, [item_id]).get(item_id, set()) if t)
        ws.store.audit(conn, user, "labels.term_added.undo", item_id, term=term,
                       retired_labels=added, restored_labels=retired, terms=terms,
                       undone=int(e.id))
    return {"item_id": item_id, "term": term, "terms": terms}


def unmark_record_checked(ws: Workspace, user: str, item_id: str, *,
                          at: datetime | None = None) -> dict[str, Any]:
    """Undo :func:`mark_record_checked` (pressed by mistake) within ten minutes
    (:data:`glamlab.review.undo.UNDO_S`), as every other undo: the record's labels are
    as they were before it, and the suggestions it rejected are open again, back on
    ``user``'s page (their rejections kept in the history, withdrawn, as
    :func:`glamlab.review.undo.undo_decision` keeps them). Refused, with one
    :class:`LabelError` naming the item: no such mark of ``user``'s (a record checked
    by its last decision is taken back by undoing that decision), a mark older than ten
    minutes, or the record's labels or those suggestions changed since. Returns the
    item, ``reopened``, ``restored_labels`` and ``cannot_take_back`` (what used the
    mark since, which undo does not change: a model trained, the policy applied)."""
    from datetime import timedelta

    from .queue import DEFAULT_LEASE_S
    from .undo import UNDO_S, WITHDRAWN, cannot_take_back

    st = ws.store.t
    a, q, dec, labels = st.audit_log, st.review_queue, st.decisions, st.labels
    stamp = at or now()
    with ws.store.write() as conn:
        # the record's latest mark (a mark taken back since is followed by its undo)
        e = conn.execute(sa.select(a.c.action, a.c.actor, a.c.details, a.c.at).where(
            a.c.action.in_(("labels.record_checked", "labels.record_checked.undo")),
            a.c.object == item_id).order_by(a.c.id.desc()).limit(1)).first()
        mark = (e.details or {}) if e is not None and e.action == "labels.record_checked" \
            and e.actor == user and not (e.details or {}).get("auto") else None
        if mark is None and e is not None and e.action == "labels.record_checked":
            if (e.details or {}).get("auto"):
                raise LabelError(f"{item_id} was checked by the last decision on it, not "
                                 "marked checked: nothing to undo here", item=item_id,
                                 hint="undo that decision in the review queue (u) within "
                                      "ten minutes, or correct the record's labels on its "
                                      "page")
            raise LabelError(f"{item_id} was marked checked by {e.actor}, not by {user}",
                             item=item_id, hint=f"ask {e.actor} to undo it")
        if mark is None:
            raise LabelError(f"{item_id} is not marked checked by {user}: nothing to undo",
                             item=item_id, hint="correct the record's labels on its page")
        assert e is not None  # the mark is its entry's
        if stamp - e.at > timedelta(seconds=UNDO_S):
            raise LabelError(f"the mark 'whole record checked' on item {item_id} is more "
                             f"than {UNDO_S // 60} minutes old, so it can no longer be "
                             "undone", item=item_id,
                             hint="correct the record's labels on its page instead")
        added = [int(i) for i in mark.get("added") or []]
        retired = [int(i) for i in mark.get("retired") or []]
        live = {int(i): bool(v) for i, v in conn.execute(sa.select(
            labels.c.id, labels.c.active).where(labels.c.id.in_(added + retired)))}
        later = conn.execute(sa.select(labels.c.id).where(
            labels.c.item_id == item_id, labels.c.id > max(added, default=0))).first()
        rejected = [(int(x[0]), int(x[1]), int(x[2])) for x in mark.get("rejected") or []]
        moved = [qid for qid, _did, version in rejected if conn.execute(
            sa.select(q.c.id).where(q.c.id == qid, q.c.status == "decided",
                                    q.c.version == version)).first() is None]
        if (later is not None or any(not live.get(i, False) for i in added)
                or any(live.get(i, True) for i in retired) or moved):
            raise LabelError(f"{item_id}: its labels or suggestions changed since it was "
                             "marked checked, so the mark was not taken back", item=item_id,
                             hint="correct the record's labels on its page")
        if added:
            conn.execute(labels.delete().where(labels.c.id.in_(added)))
        if retired:
            conn.execute(labels.update().where(labels.c.id.in_(retired)).values(active=True))
        if mark.get("split_created"):
            conn.execute(st.splits.delete().where(st.splits.c.item_id == item_id,
                                                  st.splits.c.split == "train"))
        for qid, did, _version in rejected:
            conn.execute(q.update().where(q.c.id == qid).values(
                status="open", version=q.c.version + 1, lease_owner=user,
                lease_until=stamp + timedelta(seconds=DEFAULT_LEASE_S)))
            conn.execute(dec.update().where(dec.c.id == did, dec.c.action == "reject")
                         .values(action=WITHDRAWN["reject"]))
        cannot = cannot_take_back(ws, conn, e.at)
        ws.store.audit(conn, user, "labels.record_checked.undo", item_id,
                       removed_labels=added, restored_labels=retired,
                       reopened=[qid for qid, _d, _v in rejected], cannot_take_back=cannot)
    return {"item_id": item_id, "reopened": len(rejected), "restored_labels": len(retired),
            "cannot_take_back": cannot}


def add_span(ws: Workspace, user: str, item_id: str, start: int, end: int,
             label: str, *, layer: str | None = None,
             authority_id: str | None = None,
             source: dict[str, Any] | None = None) -> dict[str, Any]:
    """An entities reviewer adds an entity the model missed: the words ``start``-``end``
    of the text are a ``label`` (of span ``layer``: the main one by default, else a
    layer the project knows, such as HIPE's ``nested`` or ``metonymic``), linked to
    ``authority_id`` when given (a record of the authority file, or ``NIL``: the
    reviewer's own link). It becomes the reviewer's gold span on the text, as a
    decision on a predicted span does (:func:`glamlab.tasks.spans.complete.add_span`,
    which says what is refused).

    The model's spans still open in the review queue that overlap it are decided with it,
    in the same transaction, as the reviewer's (:func:`_settle_overlapping`): the very
    span with the same type is accepted, any other is rejected (the reviewer said what
    those words are). Otherwise accepting one of them later would replace the reviewer's
    span with the model's. It decides nothing about the model's other spans. Refused,
    nothing stored, when another reviewer holds one of those rows (they are deciding it).
    ``settled`` in the answer lists the rows decided. ``source``: where the decisions
    came from, as :func:`decide` keeps it."""
    from ..tasks.kinds import task_kind
    from ..tasks.spans.complete import add_span as add

    if task_kind(ws.card).name != "entities":
        raise LabelError("adding a span is for entities projects", item=item_id,
                         hint="give the item its labels on the labelling page instead")
    from ..tasks.spans.model import typed_authority_id

    authority_id = typed_authority_id(authority_id)  # "nil" in any case is NIL
    if authority_id is not None:
        _check_record(ws, item_id, authority_id)
    return add(ws, item_id, start, end, label, user=user, layer=layer,
               authority_id=authority_id, source=source,
               settle=lambda conn, span, text, by: _settle_overlapping(
                   ws, conn, user, item_id, span, text, by=by, source=source))


def _check_record(ws: Workspace, item_id: str, authority_id: str) -> None:
    """One :class:`LabelError` naming the item when ``authority_id`` is neither ``NIL``
    nor a record of the project's authority file (nothing is added then)."""
    from ..linking.authority import authority_records
    from ..tasks.spans.model import NIL

    if authority_id != NIL and not authority_records(ws, [authority_id]):
        # the page says "Not added: " before it, the API answers 422: the refusal is said
        # once (before: "Not added: … so no entity was added")
        raise LabelError(f"{item_id}: no record {authority_id!r} in this project's authority "
                         "file", item=item_id,
                         hint="give the id of one of its records (find it by name), NIL "
                              "when none fits, or leave the record out")


def remove_added_span(ws: Workspace, user: str, decision_id: int) -> dict[str, Any]:
    """Undo :func:`add_span` (the wrong words, or the wrong type): the entity added by
    decision ``decision_id`` leaves the text's gold spans, and nothing else changes; the
    decision stays in the history as taken back. Refused for another reviewer's entity,
    or one whose addition decided the model's spans over the same words
    (:func:`glamlab.tasks.spans.complete.remove_added_span`, which says what is refused)."""
    from ..tasks.kinds import task_kind
    from ..tasks.spans.complete import remove_added_span as remove

    if task_kind(ws.card).name != "entities":
        raise LabelError("removing an added span is for entities projects",
                         hint="give the item its labels on the labelling page instead")
    return remove(ws, decision_id, user=user)


def _open_over(ws: Workspace, conn: sa.Connection, user: str, item_id: str, span: Any,
               text: str, at: datetime, *, queue_id: int | None = None) -> list[Any]:
    """The open queue rows of ``item_id`` (other than ``queue_id``, the row being
    decided) whose predicted span overlaps ``span`` (of its layer), each with ``b`` and
    ``e``, its offsets. Refused, nothing written, when another reviewer holds one of
    them: one :class:`LabelError` naming the item, the row and who holds it (a
    :class:`SpanHeld` when a decision on row ``queue_id`` is what would decide it)."""
    from ..tasks.spans.model import MAIN_LAYER, shown

    q = ws.store.t.review_queue
    out: list[Any] = []
    for r in conn.execute(sa.select(q.c.id, q.c.version, q.c.label, q.c.value,
                                    q.c.lease_owner, q.c.lease_until).where(
            q.c.item_id == item_id, q.c.kind == "prediction", q.c.status == "open",
            q.c.id != (queue_id if queue_id is not None else -1)).order_by(q.c.id)).all():
        v = r.value if isinstance(r.value, dict) else {}
        try:
            b, e = int(v["start"]), int(v["end"])
        except (KeyError, TypeError, ValueError):
            continue  # no span: nothing it could replace
        if (v.get("layer") or MAIN_LAYER) != span.layer or not (b < span.end and span.start < e):
            continue
        owner = r.lease_owner
        if owner not in (None, user) and r.lease_until is not None and r.lease_until >= at:
            raise _held(item_id, int(r.id), owner, f"{shown(text[b:e])} ({b}-{e}, {r.label})",
                        _words(text, span, queue_id), queue_id)
        out.append((r, b, e))
    return out


def _words(text: str, span: Any, queue_id: int | None) -> str:
    """``span``'s words, as a refusal names them (with its offsets and type where it
    is a decision's)."""
    from ..tasks.spans.model import shown

    words = shown(text[span.start:span.end])
    return words if queue_id is None else f"{words} ({span.start}-{span.end}, {span.label})"


def _held(item_id: str, row: int, who: str | None, theirs: str, mine: str,
          queue_id: int | None) -> GlamlabError:
    """The refusal: ``who`` (None: someone else decided it meanwhile) holds the open row
    ``row`` over the words of the span being saved."""
    doing = f"{who} is reviewing" if who else "someone else decided"
    if queue_id is None:  # an added entity
        return LabelError(
            f"{item_id}: {doing} the model's span {theirs} (review queue row {row}), which "
            f"the new entity {mine} overlaps; the entity was not added", item=item_id,
            hint="add it once that span is decided (reload the queue), or select "
                 "other words")
    return SpanHeld(
        f"review queue row {queue_id} (item {item_id}): {doing} review queue row {row}, "
        f"the model's span {theirs}, over some of the same words as the span you are "
        f"saving, {mine}; saving yours would decide row {row} too, so your decision was "
        "not saved",
        item=item_id, current={"queue_id": row, "lease_owner": who},
        hint=f"decide it once {who or 'they'} {'has' if who else 'have'} decided row "
             f"{row} (reload the queue), or fix its boundaries off those words")


def _settle_overlapping(ws: Workspace, conn: sa.Connection, user: str, item_id: str,
                        span: Any, text: str, *, by: int,
                        queue_id: int | None = None,
                        source: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Decide the open queue rows of ``item_id`` whose predicted span overlaps ``span``,
    the reviewer's gold span just saved: an entity added (:func:`add_span`), or the
    span of row ``queue_id`` accepted or corrected (:func:`decide_many`). The row of that
    very span and type is accepted, the others rejected; each is a decision of ``user``
    (a compare-and-set, as :func:`decide` makes it), audited as settled by the decision
    ``by`` that saved ``span``, keeping its ``source``. One :class:`LabelError` (:func:`_open_over`) when another
    reviewer holds such a row. Returns the rows decided, as :func:`decide_many` gives
    them, each with ``words``: what its span covered."""
    from ..tasks.kinds import Candidate, task_kind
    from ..tasks.spans.model import shown

    kind = task_kind(ws.card)
    stamp = now()
    out: list[dict[str, Any]] = []
    for r, b, e in _open_over(ws, conn, user, item_id, span, text, stamp, queue_id=queue_id):
        action = "accept" if (b, e, r.label) == (span.start, span.end, span.label) else "reject"
        try:
            d, row = _compare_and_set(conn, ws, int(r.id), user, action, None, None,
                                      int(r.version), stamp, settled_by=by, source=source)
        except StaleDecision as exc:  # taken meanwhile (PostgreSQL): all rolled back
            raise _held(item_id, int(r.id), (exc.current or {}).get("lease_owner"),
                        f"{shown(text[b:e])} ({b}-{e}, {r.label})",
                        _words(text, span, queue_id), queue_id) from exc
        if action == "accept":
            _confirm_metadata(ws, conn, kind, row,
                              Candidate(row.label, float(row.score or 0.0), row.value),
                              user, stamp)
        out.append({"queue_id": int(r.id), "ok": True, "item_id": item_id, "action": action,
                    "label": d["label"], "value": d["value"], "predicted": row.label,
                    "version": row.version, "decision_id": d["id"], "words": text[b:e],
                    "settled_by": by})
    return out


def list_decisions(ws: Workspace, *, item_id: str | None = None, user: str | None = None,
                   limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
    t = ws.store.t.decisions
    q = sa.select(t).order_by(t.c.id.desc()).limit(max(1, min(limit, 1000))).offset(max(0, offset))
    if item_id:
        q = q.where(t.c.item_id == item_id)
    if user:
        q = q.where(t.c.user == user)
    with ws.store.read() as conn:
        return [dict(r._mapping) for r in conn.execute(q)]


