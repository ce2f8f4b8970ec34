"""Review-queue primitives that stay correct with many reviewers at once.

Two operations, each one transaction, the same code on SQLite and PostgreSQL:

- :func:`lease` hands a reviewer up to ``n`` open queue rows for ``ttl`` seconds. A row
  leased to someone else, and not expired, is never handed out again. On PostgreSQL the
  candidate rows are locked with ``SELECT ... FOR UPDATE SKIP LOCKED``, so reviewers
  leasing at the same moment get different rows without waiting for each other; on
  SQLite the store's writer (``BEGIN IMMEDIATE``) serialises them.
- :func:`decide` records a reviewer's accept / reject / correct. It is a compare-and-set
  on the row's ``version``: the row changes only if it is still open, still at the
  version the reviewer saw, and not leased to another reviewer. Otherwise nothing is
  written and :class:`StaleDecision` says why, so a decision is refused rather than lost
  or doubled. The decision row, the queue change and the audit entry commit together.

Both take a :class:`~glamlab.store.Store` (one transaction of their own) or a
``Connection`` inside the caller's write transaction.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from ..errors import StoreError
from . import schema
from .engine import Store, now

ACTIONS = ("accept", "reject", "correct")


class StaleDecision(StoreError):
    """The queue row changed since the reviewer saw it; nothing was written."""


class QueueRowNotFound(StoreError):
    pass


@contextlib.contextmanager
def _transaction(target: Store | sa.Connection) -> Iterator[sa.Connection]:
    if isinstance(target, Store):
        with target.write() as conn:
            yield conn
    else:
        yield target


def _audit(conn: sa.Connection, actor: str, action: str, obj: str, **details: Any) -> None:
    conn.execute(schema.audit_log.insert().values(
        at=now(), actor=actor, action=action, object=obj, details=details))


def lease(target: Store | sa.Connection, user: str, n: int = 20, ttl: float = 600.0, *,
          where: sa.ColumnElement[bool] | None = None,
          at: datetime | None = None) -> list[dict[str, Any]]:
    """Lease up to ``n`` open rows (lowest score first) to ``user`` for ``ttl`` seconds.

    Rows the user already holds count towards ``n`` and have their lease renewed.
    ``where`` narrows the queue (e.g. ``review_queue.c.label == "fr"``). Returns the
    leased rows as dicts, including the ``version`` to pass back to :func:`decide`.
    """
    if n <= 0:
        return []
    q = schema.review_queue
    t = at or now()
    until = t + timedelta(seconds=ttl)
    free = sa.or_(q.c.lease_owner.is_(None), q.c.lease_until < t, q.c.lease_owner == user)
    sel = (sa.select(q.c.id).where(q.c.status == "open", free)
           .order_by(q.c.score.is_(None), q.c.score, q.c.id).limit(n)
           .with_for_update(skip_locked=True))  # renders nothing on SQLite
    if where is not None:
        sel = sel.where(where)
    with _transaction(target) as conn:
        ids = [r.id for r in conn.execute(sel)]
        if not ids:
            return []
        # The same condition again: under READ COMMITTED a row can have been leased
        # between the SELECT and here only if it was not locked, which FOR UPDATE rules out;
        # on SQLite the writer lock rules it out. The WHERE keeps the UPDATE honest anyway.
        res = conn.execute(q.update().where(q.c.id.in_(ids), q.c.status == "open", free)
                           .values(lease_owner=user, lease_until=until))
        if res.rowcount != len(ids):  # pragma: no cover - would mean a broken lock
            raise StoreError("the review queue changed while leasing; nothing was leased",
                             hint="try again")
        got = {r.id: r for r in conn.execute(sa.select(q).where(q.c.id.in_(ids)))}
        rows = [got[i] for i in ids]  # queue order: lowest score first
        _audit(conn, user, "review.lease", "review_queue", ids=ids, until=until.isoformat())
    return [dict(r._mapping) for r in rows]


def release(target: Store | sa.Connection, user: str, ids: list[int] | None = None) -> int:
    """Give back the user's leases (all of them, or ``ids``); returns how many."""
    q = schema.review_queue
    cond = [q.c.lease_owner == user, q.c.status == "open"]
    if ids is not None:
        cond.append(q.c.id.in_(ids))
    with _transaction(target) as conn:
        res = conn.execute(q.update().where(*cond).values(lease_owner=None, lease_until=None))
        if res.rowcount:
            _audit(conn, user, "review.release", "review_queue", ids=ids, count=res.rowcount)
    return int(res.rowcount)


def decide(target: Store | sa.Connection, queue_id: int, user: str, action: str,
           label: str | None = None, seen_version: int | None = None, *,
           at: datetime | None = None) -> dict[str, Any]:
    """Record one decision on a queue row; refuse it if the row moved on.

    ``action`` is accept (the queued label), reject, or correct (``label`` required).
    ``seen_version`` is the row's ``version`` when the reviewer loaded it. Returns the
    decision row. Raises :class:`StaleDecision` (nothing written) when the row was
    decided, changed or leased to someone else meanwhile.
    """
    if action not in ACTIONS:
        raise StoreError(f"unknown review action {action!r}",
                         hint=f"use one of: {', '.join(ACTIONS)}")
    if action == "correct" and not label:
        raise StoreError("a correction needs the right label", hint="pass label=...")
    if seen_version is None:
        raise StoreError("a decision needs the version of the queue row the reviewer saw",
                         hint="pass seen_version=row['version'] from lease()")
    q = schema.review_queue
    t = at or now()
    with _transaction(target) as conn:
        not_leased_to_other = sa.or_(q.c.lease_owner.is_(None), q.c.lease_owner == user,
                                     q.c.lease_until < t)
        res = conn.execute(
            q.update()
            .where(q.c.id == queue_id, q.c.version == seen_version, q.c.status == "open",
                   not_leased_to_other)
            .values(status="decided", version=q.c.version + 1, lease_owner=None,
                    lease_until=None))
        # Read after the update: the row is now locked by this transaction (PostgreSQL)
        # or the writer lock is held (SQLite), so what we read is what we decided on.
        row = conn.execute(sa.select(q).where(q.c.id == queue_id)).first()
        if row is None:
            raise QueueRowNotFound(f"no review queue row {queue_id}",
                                   hint="reload the queue; the row may have been removed")
        if res.rowcount != 1:
            raise StaleDecision(_stale_reason(row, user, seen_version, t),
                                hint="reload the queue and decide again on what is there now",
                                item=row.item_id)
        final = label if action == "correct" else (row.label if action == "accept" else None)
        ins = conn.execute(schema.decisions.insert().values(
            queue_id=queue_id, item_id=row.item_id, prediction_id=row.prediction_id, user=user,
            action=action, label=final, seen_version=seen_version, created_at=t))
        decision_id = int(ins.inserted_primary_key[0])  # type: ignore[index]
        _audit(conn, user, f"review.{action}", row.item_id, queue_id=queue_id,
               decision_id=decision_id, label=final, predicted=row.label,
               version=seen_version + 1)
    return {"id": decision_id, "queue_id": queue_id, "item_id": row.item_id, "user": user,
            "action": action, "label": final, "seen_version": seen_version, "created_at": t}


def _stale_reason(row: sa.Row[Any], user: str, seen: int, t: datetime) -> str:
    what = f"review queue row {row.id} (item {row.item_id})"
    if row.status != "open":
        return f"{what} was already decided by someone else; your decision was not saved"
    if row.lease_owner not in (None, user) and row.lease_until and row.lease_until >= t:
        return f"{what} is being reviewed by {row.lease_owner}; your decision was not saved"
    return (f"{what} changed since you loaded it (version {seen}, now {row.version}); "
            "your decision was not saved")
