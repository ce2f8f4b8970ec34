"""Undo a reviewer's own recent decision on a queue row (a wrong key pressed).

:func:`undo_decision` restores the state before the decision exactly: the queue row is
open again with its ``version`` bumped (a page loaded before cannot act on it), leased
back to the reviewer so it comes back on their page; the label rows the decision added
are deleted and those it retired are active again; the split row it created is removed;
the machine metadata it confirmed is deleted. The decision row is kept, its action
marked withdrawn (``accept-withdrawn`` and so on: :data:`WITHDRAWN`), so the history
still shows it and nothing counts or exports it as decided; ``review.undo`` in the audit
log says who took back which decision, when.

Refused, with one :class:`~glamlab.errors.LabelError` naming the decision and the fix:
another person's decision (admins included: they correct the item's label instead);
older than :data:`UNDO_S`; already withdrawn; the row changed since (decided again, or
re-queued); the item's labels changed since. What cannot be taken back (a model
trained, or the policy applied, since the decision) is said in ``cannot_take_back``.

In an entities project the same rules hold for every change a reviewer makes to a text's
gold spans, each audited as it is made (``spans.change``:
:func:`glamlab.tasks.spans.complete.record_change`, the gold span sets it added and
those whose state it changed): a decision on a span (accept, reject, a new type, new
boundaries or another link; the model's other spans over its words decided with it are
open again too, and a "whole text checked" mark the decision made as the text's last
open span is taken back with it) and an entity added, both by their decision's number
(:func:`undo_decision`); an added entity removed, a text marked checked, and that mark
taken back, by the change's number (:func:`undo_change`). The sets it added are
deleted and those it changed are as they were, so the exports and training read the
text's entities as before. Refused, nothing changed, when the text's gold spans changed
since (another set saved, by anyone), or a decision it made was taken back or its row
decided again.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..errors import LabelError
from ..store import now
from ..tasks.people import ADDED
from ..tasks.spans.complete import ADD_WITHDRAWN, CHANGE, gold_state
from .decisions import ACTIONS
from .queue import DEFAULT_LEASE_S, NotFound

if TYPE_CHECKING:
    from ..workspace import Workspace

UNDO_S = 600  # a decision can be taken back for ten minutes
WITHDRAWN = {a: f"{a}-withdrawn" for a in ACTIONS}


def undo_decision(ws: Workspace, user: str, decision_id: int, *,
                  at: datetime | None = None) -> dict[str, Any]:
    """Take back ``user``'s decision ``decision_id`` (see the module docstring)."""
    from ..tasks.kinds import task_kind

    st = ws.store.t
    dec, q, a = st.decisions, st.review_queue, st.audit_log
    stamp = at or now()
    with ws.store.write() as conn:
        d = conn.execute(sa.select(dec).where(dec.c.id == decision_id)).first()
        if d is None or (d.queue_id is None and d.action not in (ADDED, ADD_WITHDRAWN)):
            raise NotFound(f"no review decision {decision_id}: nothing was undone",
                           hint="reload the review queue")
        what = f"decision {decision_id} ({d.action} on item {d.item_id})"
        if d.action not in (*ACTIONS, ADDED):
            raise LabelError(f"{what} was already taken back", item=d.item_id,
                             hint="reload the review queue")
        if d.user != user:
            raise LabelError(f"{what} is {d.user}'s, not yours, so it was not undone",
                             item=d.item_id,
                             hint=f"ask {d.user} to undo it, or correct the item's label "
                                  "on its page")
        if stamp - d.created_at > timedelta(seconds=UNDO_S):
            raise LabelError(f"{what} is more than {UNDO_S // 60} minutes old, so it can no "
                             "longer be undone", item=d.item_id,
                             hint="correct the item's label on its page instead")
        if task_kind(ws.card).name == "entities":
            return _undo_span_decision(ws, conn, user, d, what, stamp)
        row = conn.execute(sa.select(q).where(q.c.id == d.queue_id)).first()
        if (row is None or row.status != "decided" or d.seen_version is None
                or row.version != d.seen_version + 1):
            raise LabelError(f"{what}: its review queue row changed since, so nothing was "
                             "undone", item=d.item_id,
                             hint="reload the review queue; correct the item's label on "
                                  "its page if it is still wrong")
        fx = None
        for e in conn.execute(sa.select(a.c.details).where(
                a.c.action == "decision.effects", a.c.object == d.item_id)
                .order_by(a.c.id.desc())):
            if (e.details or {}).get("decision_id") == decision_id:
                fx = e.details
                break
        if fx is None:
            raise LabelError(f"{what} was made before decisions could be undone, so "
                             "nothing was undone", item=d.item_id,
                             hint="correct the item's label on its page")
        added, retired = list(fx.get("added") or []), list(fx.get("retired") or [])
        later = conn.execute(sa.select(st.labels.c.id).where(
            st.labels.c.item_id == d.item_id, st.labels.c.id > int(fx.get("label_max") or 0))
            ).first()
        live = {int(i): bool(v) for i, v in conn.execute(sa.select(
            st.labels.c.id, st.labels.c.active).where(st.labels.c.id.in_(added + retired)))}
        if (later is not None or any(not live.get(i, False) for i in added)
                or any(live.get(i, True) for i in retired)):
            raise LabelError(f"{what}: the item's labels changed since, so nothing was "
                             "undone", item=d.item_id,
                             hint="correct the item's label on its page")
        if added:
            conn.execute(st.labels.delete().where(st.labels.c.id.in_(added)))
        if retired:
            conn.execute(st.labels.update().where(st.labels.c.id.in_(retired))
                         .values(active=True))
        if fx.get("split_created"):
            conn.execute(st.splits.delete().where(st.splits.c.item_id == d.item_id,
                                                  st.splits.c.split == "train"))
        meta = [int(i) for i in fx.get("metadata") or []]
        if meta:
            conn.execute(st.machine_metadata.delete().where(
                st.machine_metadata.c.id.in_(meta)))
        conn.execute(q.update().where(q.c.id == d.queue_id).values(
            status="open", version=q.c.version + 1, lease_owner=user,
            lease_until=stamp + timedelta(seconds=DEFAULT_LEASE_S)))
        conn.execute(dec.update().where(dec.c.id == decision_id)
                     .values(action=WITHDRAWN[d.action]))
        cannot = cannot_take_back(ws, conn, d.created_at)
        ws.store.audit(conn, user, "review.undo", d.item_id, decision_id=decision_id,
                       queue_id=d.queue_id, decided=d.action, label=d.label,
                       removed_labels=added, restored_labels=retired,
                       removed_metadata=meta, version=row.version + 1,
                       cannot_take_back=cannot)
    return {"decision_id": decision_id, "queue_id": int(d.queue_id), "item_id": d.item_id,
            "action": d.action, "label": d.label, "version": int(row.version) + 1,
            "removed_labels": len(added), "restored_labels": len(retired),
            "cannot_take_back": cannot}


def cannot_take_back(ws: Workspace, conn: sa.Connection, since: datetime) -> list[str]:
    """What used the decision since it was made, which undo does not change: models
    trained after it (they may have learned from it) and policy runs (``glamlab act``:
    machine decisions and exports written with it)."""
    st = ws.store.t
    out = [f"model {m.name} v{m.version} was trained after the decision and may have "
           "learned from it; it stays as it is until the next retrain"
           for m in conn.execute(sa.select(st.models.c.name, st.models.c.version).where(
               st.models.c.created_at >= since).order_by(st.models.c.id))]
    acts = conn.execute(sa.select(sa.func.count()).select_from(st.audit_log).where(
        st.audit_log.c.action == "act", st.audit_log.c.at >= since)).scalar()
    if acts:
        out.append("the policy was applied after the decision (glamlab act): what it "
                   "wrote or exported then stays until it is applied again")
    return out


#: ``audit_log.action`` of a reviewer's change to a text's gold spans taken back
CHANGE_UNDONE = "spans.change.undo"
_ENTITIES_HINT = ("correct the text's entities in the review queue (or on the labelling "
                  "page)")


def _changes(conn: sa.Connection, ws: Workspace,
             item_id: str) -> list[tuple[int, dict[str, Any], Any]]:
    """The item's audited changes to its gold spans not taken back: (id, details, the
    audit row), newest first."""
    a = ws.store.t.audit_log
    undone = {int((r.details or {}).get("change_id") or 0) for r in conn.execute(
        sa.select(a.c.details).where(a.c.action == CHANGE_UNDONE, a.c.object == item_id))}
    return [(int(r.id), r.details or {}, r) for r in conn.execute(
        sa.select(a.c.id, a.c.details, a.c.at, a.c.actor).where(
            a.c.action == CHANGE, a.c.object == item_id).order_by(a.c.id.desc()))
            if int(r.id) not in undone]


def _undo_span_decision(ws: Workspace, conn: sa.Connection, user: str, d: Any, what: str,
                        stamp: datetime) -> dict[str, Any]:
    """:func:`undo_decision` in an entities project: the decision's change to the text's
    gold spans taken back (:func:`_take_back`), after the "whole text checked" mark it
    made, if any."""
    changes = _changes(conn, ws, d.item_id)
    fx = next(((i, x) for i, x, _r in changes if x.get("decision_id") == d.id), None)
    if fx is None:
        raise LabelError(f"{what} was made before decisions could be undone, so nothing "
                         "was undone", item=d.item_id, hint=_ENTITIES_HINT)
    for i, x, _r in changes:  # newest first
        if x.get("by_decision") == d.id:
            _take_back(ws, conn, user, d.item_id, i, x, what)
    _take_back(ws, conn, user, d.item_id, *fx, what)
    version = None
    if d.queue_id is not None:
        q = ws.store.t.review_queue
        version = conn.execute(sa.select(q.c.version).where(q.c.id == d.queue_id)).scalar()
    cannot = cannot_take_back(ws, conn, d.created_at)
    ws.store.audit(conn, user, "review.undo", d.item_id, decision_id=int(d.id),
                   queue_id=d.queue_id, decided=d.action, label=d.label, change_id=fx[0],
                   version=version, cannot_take_back=cannot)
    return {"decision_id": int(d.id), "queue_id": d.queue_id, "item_id": d.item_id,
            "action": d.action, "label": d.label, "version": version,
            "removed_labels": 0, "restored_labels": 0, "said": fx[1].get("said"),
            "cannot_take_back": cannot}


def undo_change(ws: Workspace, user: str, change_id: int, *,
                at: datetime | None = None) -> dict[str, Any]:
    """Take back ``user``'s change ``change_id`` to a text's entities (an added entity
    removed, a text marked checked, that mark taken back: the ``change_id`` their answers
    give) within :data:`UNDO_S`, as :func:`undo_decision` takes back a decision (see the
    module docstring); a decision's own change is taken back with it. Returns the change,
    its item, ``said`` (what is as it was again, in plain words) and
    ``cannot_take_back``."""
    a = ws.store.t.audit_log
    stamp = at or now()
    with ws.store.read() as conn:
        e = conn.execute(sa.select(a.c.object, a.c.details).where(
            a.c.id == change_id, a.c.action == CHANGE)).first()
    if e is not None and (e.details or {}).get("decision_id"):
        return undo_decision(ws, user, int(e.details["decision_id"]), at=at)
    with ws.store.write() as conn:
        e = conn.execute(sa.select(a).where(a.c.id == change_id, a.c.action == CHANGE)).first()
        if e is None:
            raise NotFound(f"no change {change_id} to a text's entities: nothing was undone",
                           hint="reload the review queue")
        fx, item_id = e.details or {}, str(e.object)
        what = f"change {change_id} ({fx.get('what')} on item {item_id})"
        if change_id not in {i for i, _x, _r in _changes(conn, ws, item_id)}:
            raise LabelError(f"{what} was already taken back", item=item_id,
                             hint="reload the review queue")
        if e.actor != user:
            raise LabelError(f"{what} is {e.actor}'s, not yours, so it was not undone",
                             item=item_id, hint=f"ask {e.actor} to undo it, or "
                                                + _ENTITIES_HINT)
        if fx.get("by_decision"):
            raise LabelError(f"{what} was made by decision {fx['by_decision']} (the text's "
                             "last open span decided), so it is taken back with it",
                             item=item_id,
                             hint=f"undo decision {fx['by_decision']} instead")
        if stamp - e.at > timedelta(seconds=UNDO_S):
            raise LabelError(f"{what} is more than {UNDO_S // 60} minutes old, so it can no "
                             "longer be undone", item=item_id, hint=_ENTITIES_HINT)
        _take_back(ws, conn, user, item_id, change_id, fx, what)
        cannot = cannot_take_back(ws, conn, e.at)
    return {"change_id": change_id, "item_id": item_id, "what": fx.get("what"),
            "said": fx.get("said"), "cannot_take_back": cannot}


def _take_back(ws: Workspace, conn: sa.Connection, user: str, item_id: str,
               change_id: int, fx: dict[str, Any], what: str) -> None:
    """Restore the text's gold spans as they were before change ``change_id`` (``fx``, its
    audit entry: :func:`glamlab.tasks.spans.complete.record_change`): the sets it added
    deleted with their spans, those it changed back to their state, the split row it
    created removed, the metadata it wrote deleted, the decisions it made withdrawn
    (their queue rows open again, leased back to ``user``) and those it withdrew (an
    added entity removed) in force again. Refused, nothing changed, when the text's gold
    spans (a set added, or one of its sets switched off or on, by anyone), or the
    decisions, changed since."""
    st = ws.store.t
    dec, q = st.decisions, st.review_queue
    state = gold_state(conn, ws, item_id)["sets"]
    added = {int(k): v for k, v in (fx.get("sets_added") or {}).items()}
    changed = {int(k): v for k, v in (fx.get("sets_changed") or {}).items()}
    # the text's other sets as the change left them (an older set switched off since by
    # someone else, e.g. their own mark taken back, is a change since too; a change
    # audited before its entry said so is measured by the sets it added and changed)
    kept = {int(k): v for k, v in (fx.get("sets_kept") or {}).items()}
    if (any(i > int(fx.get("set_max") or 0) for i in state)
            or any(state.get(i) != v for i, v in added.items())
            or any(state.get(i) != v[1] for i, v in changed.items())
            or any(state.get(i) != v for i, v in kept.items())):
        raise LabelError(f"{what}: the text's entities changed since, so nothing was "
                         "undone", item=item_id, hint=_ENTITIES_HINT)
    made = conn.execute(sa.select(dec).where(
        dec.c.id.in_([int(i) for i in fx.get("decisions") or []]))).all()
    rows = {int(r.id): r for r in conn.execute(sa.select(q).where(
        q.c.id.in_([int(x.queue_id) for x in made if x.queue_id is not None])))}
    for x in made:
        r = rows.get(int(x.queue_id)) if x.queue_id is not None else None
        if x.action not in (*ACTIONS, ADDED) or (x.queue_id is not None and (
                r is None or r.status != "decided" or x.seen_version is None
                or r.version != x.seen_version + 1)):
            raise LabelError(f"{what}: decision {x.id} it made changed since (taken back, "
                             "or its review queue row decided again), so nothing was undone",
                             item=item_id, hint=_ENTITIES_HINT)
    withdrew = [int(i) for i in fx.get("withdrew") or []]
    if withdrew and conn.execute(sa.select(sa.func.count()).select_from(dec).where(
            dec.c.id.in_(withdrew), dec.c.action == ADD_WITHDRAWN)).scalar() != len(withdrew):
        raise LabelError(f"{what}: the entity it removed changed since, so nothing was "
                         "undone", item=item_id, hint=_ENTITIES_HINT)
    if added:
        conn.execute(st.spans.delete().where(st.spans.c.set_id.in_(sorted(added))))
        conn.execute(st.span_sets.delete().where(st.span_sets.c.id.in_(sorted(added))))
    for i, (b, _a) in changed.items():
        conn.execute(st.span_sets.update().where(st.span_sets.c.id == i)
                     .values(active=bool(b[0]), source=b[1]))
    if fx.get("split_created"):
        conn.execute(st.splits.delete().where(st.splits.c.item_id == item_id,
                                              st.splits.c.split == "train"))
    meta = [int(i) for i in fx.get("metadata") or []]
    if meta:
        conn.execute(st.machine_metadata.delete().where(st.machine_metadata.c.id.in_(meta)))
    lease = now() + timedelta(seconds=DEFAULT_LEASE_S)
    for x in made:
        gone = ADD_WITHDRAWN if x.action == ADDED else WITHDRAWN[x.action]
        conn.execute(dec.update().where(dec.c.id == x.id).values(action=gone))
        if x.queue_id is not None:
            conn.execute(q.update().where(q.c.id == x.queue_id).values(
                status="open", version=q.c.version + 1, lease_owner=user,
                lease_until=lease))
    if withdrew:
        conn.execute(dec.update().where(dec.c.id.in_(withdrew)).values(action=ADDED))
    ws.store.audit(conn, user, CHANGE_UNDONE, item_id, change_id=change_id,
                   what=fx.get("what"), removed_sets=sorted(added),
                   restored_sets=sorted(changed), withdrawn=[int(x.id) for x in made],
                   restored_decisions=withdrew, removed_metadata=meta)
