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
re-queued); the item's labels changed since; an entities project (a span decision also
settles the model's other spans over its words and rewrites the text's gold set: correct
the text's entities instead). What cannot be taken back (a model trained, or the policy
applied, since the decision) is said in ``cannot_take_back``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..errors import LabelError
from ..store import now
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
        if d is None or d.queue_id is None:
            raise NotFound(f"no review decision {decision_id}: nothing was undone",
                           hint="reload the review queue")
        what = f"decision {decision_id} ({d.action} on item {d.item_id})"
        if d.action not in ACTIONS:
            raise LabelError(f"{what} was already taken back", item=d.item_id,
                             hint="reload the review queue")
        if d.user != user:
            raise LabelError(f"{what} is {d.user}'s, not yours, so it was not undone",
                             item=d.item_id,
                             hint=f"ask {d.user} to undo it, or correct the item's label "
                                  "on its page")
        if task_kind(ws.card).name == "entities":
            raise LabelError(
                f"{what}: undo is not offered in an entities project (a span decision also "
                "decides the model's other spans over its words and rewrites the text's "
                "saved entities), so nothing was undone", item=d.item_id,
                hint="correct the text's entities on the labelling page")
        if stamp - d.created_at > timedelta(seconds=UNDO_S):
            raise LabelError(f"{what} is more than {UNDO_S // 60} minutes old, so it can no "
                             "longer be undone", item=d.item_id,
                             hint="correct the item's label on its page instead")
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
        cannot = _cannot_take_back(ws, conn, d.created_at)
        ws.store.audit(conn, user, "review.undo", d.item_id, decision_id=decision_id,
                       queue_id=d.queue_id, decided=d.action, label=d.label,
                       removed_labels=added, restored_labels=retired,
                       removed_metadata=meta, version=row.version + 1,
                       cannot_take_back=cannot)
    return {"decision_id": decision_id, "queue_id": int(d.queue_id), "item_id": d.item_id,
            "action": d.action, "label": d.label, "version": int(row.version) + 1,
            "removed_labels": len(added), "restored_labels": len(retired),
            "cannot_take_back": cannot}


def _cannot_take_back(ws: Workspace, conn: sa.Connection, since: datetime) -> list[str]:
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
