"""The review queue: the one lease (two reviewers never see the same item), order,
counts.

:func:`lease_queue` hands a reviewer the next open queue items and leases them
(``lease_owner``, ``lease_until``), so two reviewers are not shown the same item. A lease
expires after ``lease_s`` seconds and the item is free again. It stays correct with many
reviewers at once, the same code on SQLite and PostgreSQL: on PostgreSQL the candidate
rows are locked with ``SELECT ... FOR UPDATE SKIP LOCKED``, so reviewers leasing at the
same moment get different rows without waiting for each other; on SQLite the store's
writer (``BEGIN IMMEDIATE``) serialises them; and the ``UPDATE`` repeats the "free" test,
so a row leased by someone else is never taken.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..errors import GlamlabError
from ..items import title_of
from ..store import now

if TYPE_CHECKING:
    from ..workspace import Workspace

SORTS = {
    "score": "most sure first",
    "uncertainty": "least sure first",
    "label": "by predicted label",
    "oldest": "oldest first",
}
# Leases are short: the page renews them every LEASE_HEARTBEAT_S while it is open, so a
# closed tab (or a lost connection) frees its items within two minutes.
DEFAULT_LEASE_S = 120
LEASE_HEARTBEAT_S = 30
QUEUE_KINDS = ("prediction", "recheck")  # a model's prediction; a gold label to re-check


class StaleDecision(GlamlabError):
    """The queue item changed (or is leased by someone else) since the reviewer saw it."""

    def __init__(self, message: str, *, hint: str | None = None, item: str | None = None,
                 current: dict[str, Any] | None = None):
        super().__init__(message, hint=hint, item=item)
        self.current = current or {}


class NotFound(GlamlabError):
    """No queue item or item by that id."""


# -- the queue -------------------------------------------------------------------
def _order(t: sa.Table, sort: str) -> list[Any]:
    if sort == "score":
        return [t.c.score.desc(), t.c.id]
    if sort == "uncertainty":
        return [t.c.score.asc(), t.c.id]
    if sort == "label":
        return [t.c.label.asc(), t.c.score.desc(), t.c.id]
    if sort == "oldest":
        return [t.c.id]
    raise GlamlabError(f"unknown sort {sort!r}", hint=f"choose one of {', '.join(SORTS)}")


def _filters(t: sa.Table, label: str | Sequence[str] | None, kind: str | None,
             min_score: float | None, max_score: float | None) -> list[Any]:
    from ..store import queue as shown_rows

    # what a reviewer is shown (glamlab.store.queue: one definition for every count): a
    # prediction an active gold label already gives is settled by it and not asked
    # about; one that disagrees with the gold label shows with both (see _with_items),
    # and a "recheck" row is about a gold label, so it always shows
    clauses: list[Any] = shown_rows.shown(t, kind)
    if isinstance(label, str) and label:
        clauses.append(t.c.label == label)
    elif label:
        clauses.append(t.c.label.in_(list(label)))
    if min_score is not None:
        clauses.append(t.c.score >= min_score)
    if max_score is not None:
        clauses.append(t.c.score <= max_score)
    return clauses


def lease_queue(ws: Workspace, user: str, *, sort: str = "score",
                label: str | Sequence[str] | None = None, kind: str | None = None,
                min_score: float | None = None, max_score: float | None = None,
                limit: int = 50, lease_s: float = DEFAULT_LEASE_S,
                at: datetime | None = None) -> list[dict[str, Any]]:
    """Lease up to ``limit`` open queue items to ``user`` and return them with their items.

    Only the items returned are leased, for ``lease_s`` seconds (short: the page renews
    them with :func:`renew_leases` while it is open and gives them back with
    :func:`release_leases` when the reviewer leaves). Items this user already holds come
    back again (a reload shows the same page, without a write while the leases have more
    than half their time left); items leased by someone else are never returned, and
    leases this user held on rows no longer shown are given back. ``label`` narrows the
    queue to a label (or any of several); ``at`` is the time now (tests).
    """
    t = ws.store.t.review_queue
    limit = max(1, min(int(limit), 500))
    clauses = _filters(t, label, kind, min_score, max_score)
    order = _order(t, sort)
    stamp = at or now()
    free = sa.or_(t.c.lease_owner.is_(None), t.c.lease_until < stamp, t.c.lease_owner == user)
    fresh = stamp + timedelta(seconds=lease_s / 2)
    with ws.store.read() as conn:  # the common case: the page is already ours
        rows = conn.execute(sa.select(t).where(*clauses, free).order_by(*order)
                            .limit(limit)).all()
    if rows and all(r.lease_owner == user and r.lease_until and r.lease_until > fresh
                    for r in rows):
        return _with_items(ws, [dict(r._mapping) for r in rows])
    with ws.store.write() as conn:
        # candidates locked with FOR UPDATE SKIP LOCKED on PostgreSQL (the writer lock on
        # SQLite); the UPDATE repeats the "free" test (see the module docstring)
        ids = [r.id for r in conn.execute(
            sa.select(t.c.id).where(*clauses, free).order_by(*order).limit(limit)
            .with_for_update(skip_locked=True))]
        # what this user held but is no longer shown goes back to the queue
        conn.execute(t.update().where(t.c.lease_owner == user, t.c.status == "open",
                                      t.c.id.not_in(ids) if ids else sa.true())
                     .values(lease_owner=None, lease_until=None))
        if not ids:
            return []
        conn.execute(t.update().where(t.c.id.in_(ids), t.c.status == "open", free)
                     .values(lease_owner=user, lease_until=stamp + timedelta(seconds=lease_s)))
        rows = conn.execute(sa.select(t).where(t.c.id.in_(ids), t.c.lease_owner == user,
                                               t.c.status == "open").order_by(*order)).all()
    return _with_items(ws, [dict(r._mapping) for r in rows])


def renew_leases(ws: Workspace, user: str, ids: Sequence[int], *,
                 lease_s: float = DEFAULT_LEASE_S, at: datetime | None = None) -> list[int]:
    """Extend ``user``'s leases on ``ids`` (the rows a page still shows; its heartbeat).
    Returns the ids still held: a row decided or taken by someone else meanwhile is not."""
    t = ws.store.t.review_queue
    ids = [int(i) for i in ids][:500]
    if not ids:
        return []
    stamp = at or now()
    free = sa.or_(t.c.lease_owner.is_(None), t.c.lease_until < stamp, t.c.lease_owner == user)
    with ws.store.write() as conn:
        conn.execute(t.update().where(t.c.id.in_(ids), t.c.status == "open", free)
                     .values(lease_owner=user, lease_until=stamp + timedelta(seconds=lease_s)))
        held = [int(r[0]) for r in conn.execute(sa.select(t.c.id).where(
            t.c.id.in_(ids), t.c.lease_owner == user, t.c.status == "open"))]
    return sorted(held)


def peek_queue(ws: Workspace, *, sort: str = "score", label: str | None = None,
               kind: str | None = None, limit: int = 25) -> list[dict[str, Any]]:
    """Open queue items in ``sort`` order with their items, leasing nothing (what a viewer
    sees)."""
    t = ws.store.t.review_queue
    limit = max(1, min(int(limit), 500))
    q = (sa.select(t).where(*_filters(t, label, kind, None, None)).order_by(*_order(t, sort))
         .limit(limit))
    with ws.store.read() as conn:
        rows = [dict(r._mapping) for r in conn.execute(q)]
    return _with_items(ws, rows)


def enqueue_rechecks(ws: Workspace, rechecks: list[tuple[str, str, float, str]], *,
                     actor: str = "glamlab") -> int:
    """Ask a person to re-check gold labels: ``(item_id, suggested label, score, reason)``
    each become an open ``recheck`` queue item, unless one is open for that item already.
    Returns how many were added."""
    t = ws.store.t.review_queue
    added = 0
    with ws.store.write() as conn:
        open_ids = {r[0] for r in conn.execute(sa.select(t.c.item_id).where(
            t.c.kind == "recheck", t.c.status == "open"))}
        for item_id, label, score, reason in rechecks:
            if item_id in open_ids:
                continue
            conn.execute(t.insert().values(
                item_id=item_id, label=label, score=score, reason=reason, kind="recheck",
                status="open", version=1, created_at=now()))
            open_ids.add(item_id)
            added += 1
        ws.store.audit(conn, actor, "label_issues.queue", None, added=added,
                       found=len(rechecks))
    return added


def release_leases(ws: Workspace, user: str, ids: Sequence[int] | None = None) -> int:
    """Give back the leases ``user`` holds (all, e.g. on logout, or ``ids``); how many."""
    t = ws.store.t.review_queue
    cond = [t.c.lease_owner == user, t.c.status == "open"]
    if ids is not None:
        cond.append(t.c.id.in_(list(ids)))
    with ws.store.write() as conn:
        res = conn.execute(t.update().where(*cond).values(lease_owner=None, lease_until=None))
        if res.rowcount:
            ws.store.audit(conn, user, "review.release", "review_queue",
                           ids=list(ids) if ids is not None else None, count=res.rowcount)
    return int(res.rowcount)


def queue_version(ws: Workspace) -> int | None:
    """The newest queue row's id: it changes when rows are added (cheap to ask)."""
    t = ws.store.t.review_queue
    with ws.store.read() as conn:
        found = conn.execute(sa.select(sa.func.max(t.c.id))).scalar()
    return int(found) if found is not None else None


def queue_counts(ws: Workspace, *, kind: str | None = None) -> dict[str, Any]:
    """Open queue items a reviewer is shown, in total and per predicted label (of one
    ``kind``: ``prediction`` or ``recheck``, or both), the decisions made so far, and the
    open predictions a gold label settles (``settled_by_gold``: not shown, not lost; see
    :mod:`glamlab.store.queue`)."""
    t = ws.store.t.review_queue
    q = (sa.select(t.c.label, sa.func.count()).where(*_filters(t, None, kind, None, None))
         .group_by(t.c.label))
    from ..store.queue import settled

    with ws.store.read() as conn:
        rows = conn.execute(q).all()
        # the queue's suggestions a person decided (an entity a reviewer added is a
        # decision of no queue row: not one of the suggestions sent to people)
        dec = ws.store.t.decisions
        from .decisions import ACTIONS

        # a withdrawn decision (undone: glamlab.review.undo) decided nothing
        decided = conn.execute(sa.select(sa.func.count(sa.distinct(dec.c.queue_id)))
                               .where(dec.c.queue_id.is_not(None),
                                      dec.c.action.in_(ACTIONS))).scalar()
        gold = 0 if kind == "recheck" else conn.execute(
            sa.select(sa.func.count()).select_from(t).where(*settled(t))).scalar()
    per = {str(r[0]): int(r[1]) for r in rows}
    return {"open": sum(per.values()), "by_label": per, "decisions": int(decided or 0),
            "settled_by_gold": int(gold or 0)}


def recheck_count(ws: Workspace) -> int:
    """Open "recheck" rows (gold labels that look wrong), counted by the kind's index: they
    are few among possibly millions of open predictions."""
    t = ws.store.t.review_queue
    # coalesce keeps the planner off the status indexes (every open prediction)
    q = sa.select(sa.func.count()).where(t.c.kind == "recheck",
                                         sa.func.coalesce(t.c.status, "") == "open")
    with ws.store.read() as conn:
        return int(conn.execute(q).scalar() or 0)


def queue_item(ws: Workspace, queue_id: int) -> dict[str, Any]:
    t = ws.store.t.review_queue
    with ws.store.read() as conn:
        r = conn.execute(sa.select(t).where(t.c.id == queue_id)).first()
    if r is None:
        raise NotFound(f"no review-queue item {queue_id}", hint="reload the queue")
    return _with_items(ws, [dict(r._mapping)])[0]


def _with_items(ws: Workspace, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not rows:
        return rows
    ti = ws.store.t.items
    ids = list({r["item_id"] for r in rows})
    with ws.store.read() as conn:
        items = {r.item_id: r for r in conn.execute(
            sa.select(ti.c.item_id, ti.c.modality, ti.c.text, ti.c.uri, ti.c.meta,
                      ti.c.source_kind)
            .where(ti.c.is_current.is_(True), ti.c.item_id.in_(ids)))}
        from ..store.gold import NO_TERMS, in_force

        tl = ws.store.t.labels
        gold: dict[str, list[str]] = {}  # the labels in force, as the queue counts them
        by: dict[str, tuple[str, str | None]] = {}  # who gave them (the latest row's)
        for g in conn.execute(sa.select(tl.c.item_id, tl.c.label, tl.c.annotator, tl.c.source)
                              .where(tl.c.item_id.in_(ids), in_force(tl)).order_by(tl.c.id)):
            # a multi-label record checked with no term: its empty set's row is no label
            labels = gold.setdefault(g.item_id, [])
            if g.label != NO_TERMS:
                labels.append(g.label)
            by[g.item_id] = (g.annotator, g.source)
        ts = ws.store.t.splits
        in_test = {r.item_id for r in conn.execute(sa.select(ts.c.item_id).where(
            ts.c.item_id.in_(ids), ts.c.split == "test"))}
    for r in rows:
        r["gold"] = gold.get(r["item_id"], [])  # a person's labels of this item, if any
        # a person checked the record and found none of the terms applies (its set: empty)
        r["gold_none"] = r["item_id"] in gold and not r["gold"]
        # who gave them: a user name, or "import" with the file (labels.source) they came from
        r["gold_by"], r["gold_source"] = by.get(r["item_id"], (None, None))
        # a decision keeps a test item's gold label (decisions._gold_label): the queue
        # page must not say that accepting replaces it
        r["gold_in_test"] = r["item_id"] in in_test
        it = items.get(r["item_id"])
        r["modality"] = it.modality if it else None
        text = (it.text or "") if it else ""
        r["text"] = text[:600] + ("…" if len(text) > 600 else "")
        r["title"] = (title_of(it.meta, it.source_kind) if it else None) or r["item_id"]
    return rows


