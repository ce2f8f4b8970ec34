"""Reviewers' decisions on queue items: accept, reject or correct, refused when stale.

Each queue row has a ``version``. A decision names the version its reviewer saw
(``seen_version``); if the row changed since, :class:`StaleDecision` is raised (the web
answers 409) and nothing is written. Accepted and corrected decisions become gold labels
in the train split (annotator = the reviewer, source ``review``); an item in the frozen
test split keeps its gold label.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..errors import GlamlabError, LabelError
from .queue import NotFound, StaleDecision

if TYPE_CHECKING:
    from ..workspace import Workspace

ACTIONS = ("accept", "reject", "correct")


def decide(ws: Workspace, user: str, queue_id: int, action: str, seen_version: int,
           label: str | None = None) -> dict[str, Any]:
    """Record one reviewer decision on a queue item; raises :class:`StaleDecision` on conflict."""
    return decide_many(ws, user, [(queue_id, seen_version)], action, label=label,
                       raise_conflicts=True)[0]


def decide_many(ws: Workspace, user: str, seen: Sequence[tuple[int, int]], action: str,
                label: str | None = None, *, raise_conflicts: bool = False) -> list[dict[str, Any]]:
    """Decide several queue items in one transaction (bulk accept).

    Each entry is ``(queue_id, seen_version)``. A stale or foreign-leased entry is
    reported with ``"ok": False`` (or raised with ``raise_conflicts``) and the others
    still go through.
    """
    if action not in ACTIONS:
        raise GlamlabError(f"unknown action {action!r}", hint=f"use one of {', '.join(ACTIONS)}")
    if action == "correct":
        if not label:
            raise LabelError("a correction needs the right label", hint="choose a label")
    if label and label not in ws.card.labels:
        raise LabelError(f"{label!r} is not one of this project's labels",
                         hint=f"choose one of {', '.join(ws.card.labels)}")
    from ..store import queue as store_queue

    st = ws.store.t
    t = st.review_queue
    results: list[dict[str, Any]] = []
    with ws.store.write() as conn:
        # rows are always locked in id order, so two overlapping bulk decisions on
        # PostgreSQL queue behind each other instead of deadlocking
        for queue_id, version in sorted(seen):
            # The compare-and-set itself is the store's (glamlab.store.queue.decide): the row
            # changes only if still open, at the version seen, and not leased to another.
            try:
                d = store_queue.decide(conn, queue_id, user, action, label=label,
                                       seen_version=version)
            except store_queue.QueueRowNotFound as exc:
                if raise_conflicts:
                    raise NotFound(f"no review-queue item {queue_id}",
                                   hint="reload the queue") from exc
                results.append({"queue_id": queue_id, "ok": False, "reason": "not found"})
                continue
            except store_queue.StaleDecision as exc:
                r = conn.execute(sa.select(t).where(t.c.id == queue_id)).first()
                current = {"queue_id": queue_id, "version": r.version if r else None,
                           "status": r.status if r else None,
                           "lease_owner": r.lease_owner if r else None}
                if raise_conflicts:
                    raise StaleDecision(exc.message, item=exc.item, current=current,
                                        hint="reload the queue to see the current state") from exc
                results.append({"queue_id": queue_id, "ok": False, "reason": exc.message,
                                "current": current})
                continue
            r = conn.execute(sa.select(t).where(t.c.id == queue_id)).one()
            final = d["label"]
            gold = None
            if action in ("accept", "correct") and final:
                gold = _gold_label(ws, conn, r.item_id, final, user, d["created_at"])
                _confirm_metadata(ws, conn, r, final, user, d["created_at"])
            results.append({"queue_id": queue_id, "ok": True, "item_id": r.item_id,
                            "action": action, "label": final, "predicted": r.label,
                            "version": r.version,
                            "decision_id": d["id"], "gold_label": gold})
    return results


def _gold_label(ws: Workspace, conn: sa.Connection, item_id: str, label: str, user: str,
                stamp: Any) -> str:
    st = ws.store.t
    split = conn.execute(sa.select(st.splits.c.split).where(st.splits.c.item_id == item_id)).scalar()
    if split == "test":
        return "kept (item is in the frozen test split)"
    active = st.labels.c.active.is_(True)
    if not ws.card.multi_label:
        conn.execute(st.labels.update().where(st.labels.c.item_id == item_id, active,
                                              st.labels.c.label != label).values(active=False))
    has = conn.execute(sa.select(st.labels.c.id).where(st.labels.c.item_id == item_id, active,
                                                        st.labels.c.label == label)).first()
    if not has:
        conn.execute(st.labels.insert().values(item_id=item_id, label=label, annotator=user,
                                               source="review", active=True, created_at=stamp))
    if split is None:
        conn.execute(st.splits.insert().values(item_id=item_id, split="train", created_at=stamp))
    return "train"


_MODEL_NAMES: weakref.WeakKeyDictionary[Any, dict[int, Any]] = weakref.WeakKeyDictionary()


def _confirm_metadata(ws: Workspace, conn: sa.Connection, r: Any, value: str, user: str,
                      stamp: Any) -> None:
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
    conn.execute(st.machine_metadata.insert().values(
        item_id=r.item_id, field=field, value=value, model=m.name, model_version=m.version,
        score=r.score if value == r.label else None, run_id=None, prediction_id=r.prediction_id,
        created_at=stamp, confirmed_by=user, confirmed_at=stamp))


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


