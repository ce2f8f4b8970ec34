"""Human work on the shared tables: the review queue, decisions and labelling.

The web app, its JSON API and scripts share these functions, so every path makes
the same checks:

- **Leases.** :func:`lease_queue` hands a reviewer the next open queue items and
  leases them (``lease_owner``, ``lease_until``), so two reviewers are not shown the
  same item. A lease expires after ``lease_s`` seconds and the item is free again.
- **Versions.** Each queue row has a ``version``. A decision names the version its
  reviewer saw (``seen_version``); if the row changed since, :class:`StaleDecision`
  is raised (the web answers 409) and nothing is written: a stale write is refused,
  never lost and never silently applied.
- **Audit.** Every decision and every label goes into ``audit_log``.
- **Gold labels.** Accepted and corrected decisions become gold labels in the train
  split (annotator = the reviewer, source ``review``); an item in the frozen test
  split keeps its gold label.
"""

from __future__ import annotations

import secrets
import weakref
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from .errors import GlamlabError, LabelError
from .store import now

if TYPE_CHECKING:
    from .items import Item
    from .workspace import Workspace

ACTIONS = ("accept", "reject", "correct")
SORTS = {
    "score": "most sure first",
    "uncertainty": "least sure first",
    "label": "by predicted label",
    "oldest": "oldest first",
}
STRATEGIES = {
    "random": "random unlabelled items",
    "stratified": "balanced across predicted labels (or sources, before any run)",
    "uncertainty": "the items the current model is least sure about first",
}
DEFAULT_LEASE_S = 15 * 60


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


def _filters(t: sa.Table, label: str | None, kind: str | None, min_score: float | None,
             max_score: float | None) -> list[Any]:
    clauses: list[Any] = [t.c.status == "open"]
    if label:
        clauses.append(t.c.label == label)
    if kind:
        clauses.append(t.c.kind == kind)
    if min_score is not None:
        clauses.append(t.c.score >= min_score)
    if max_score is not None:
        clauses.append(t.c.score <= max_score)
    return clauses


def lease_queue(ws: Workspace, user: str, *, sort: str = "score", label: str | None = None,
                kind: str | None = None, min_score: float | None = None,
                max_score: float | None = None, limit: int = 50,
                lease_s: int = DEFAULT_LEASE_S) -> list[dict[str, Any]]:
    """Lease up to ``limit`` open queue items to ``user`` and return them with their items.

    Items this user already holds come back again (a reload shows the same page); items
    leased by someone else whose lease has not expired are never returned. The lease also
    covers the next ``limit`` items (the next page), so a reviewer working down the page
    reloads it without a write most of the time: only when the page reaches items not yet
    held, or the leases are past half their time, are more leased.
    """
    t = ws.store.t.review_queue
    limit = max(1, min(int(limit), 500))
    clauses = _filters(t, label, kind, min_score, max_score)
    order = _order(t, sort)
    stamp = now()
    free = sa.or_(t.c.lease_owner.is_(None), t.c.lease_until < stamp, t.c.lease_owner == user)
    fresh = stamp + timedelta(seconds=lease_s / 2)
    with ws.store.read() as conn:  # the common case: the page is already ours
        rows = conn.execute(sa.select(t).where(*clauses, free).order_by(*order)
                            .limit(limit)).all()
    if rows and all(r.lease_owner == user and r.lease_until and r.lease_until > fresh
                    for r in rows):
        return _with_items(ws, [dict(r._mapping) for r in rows])
    with ws.store.write() as conn:
        # Like glamlab.store.queue.lease, but in the reviewer's chosen order: candidates are
        # locked with FOR UPDATE SKIP LOCKED on PostgreSQL (the writer lock on SQLite), and
        # the UPDATE repeats the "free" test, so a row leased by someone else is never taken.
        ids = [r.id for r in conn.execute(
            sa.select(t.c.id).where(*clauses, free).order_by(*order).limit(min(2 * limit, 1000))
            .with_for_update(skip_locked=True))]
        if not ids:
            return []
        conn.execute(t.update().where(t.c.id.in_(ids), t.c.status == "open", free)
                     .values(lease_owner=user, lease_until=stamp + timedelta(seconds=lease_s)))
        rows = conn.execute(sa.select(t).where(t.c.id.in_(ids), t.c.lease_owner == user,
                                               t.c.status == "open").order_by(*order)
                            .limit(limit)).all()
    return _with_items(ws, [dict(r._mapping) for r in rows])


def release_leases(ws: Workspace, user: str) -> int:
    """Give back every lease ``user`` holds (e.g. on logout)."""
    from .store import queue as store_queue

    return store_queue.release(ws.store, user)


def queue_counts(ws: Workspace) -> dict[str, Any]:
    """Open queue items in total and per predicted label."""
    t = ws.store.t.review_queue
    with ws.store.read() as conn:
        rows = conn.execute(sa.select(t.c.label, sa.func.count()).where(t.c.status == "open")
                            .group_by(t.c.label)).all()
        decided = conn.execute(sa.select(sa.func.count()).select_from(ws.store.t.decisions)).scalar()
    per = {str(r[0]): int(r[1]) for r in rows}
    return {"open": sum(per.values()), "by_label": per, "decisions": int(decided or 0)}


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
            sa.select(ti.c.item_id, ti.c.modality, ti.c.text, ti.c.uri, ti.c.meta)
            .where(ti.c.is_current.is_(True), ti.c.item_id.in_(ids)))}
    for r in rows:
        it = items.get(r["item_id"])
        r["modality"] = it.modality if it else None
        text = (it.text or "") if it else ""
        r["text"] = text[:600] + ("…" if len(text) > 600 else "")
        r["title"] = ((it.meta or {}).get("title") if it else None) or r["item_id"]
    return rows


# -- decisions -------------------------------------------------------------------
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
    from .store import queue as store_queue

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


# -- labelling -------------------------------------------------------------------
def labelling_counts(ws: Workspace) -> dict[str, Any]:
    st = ws.store.t
    with ws.store.read() as conn:
        per = conn.execute(sa.select(st.labels.c.label, sa.func.count())
                           .where(st.labels.c.active.is_(True)).group_by(st.labels.c.label)).all()
        splits = conn.execute(sa.select(st.splits.c.split, sa.func.count())
                              .group_by(st.splits.c.split)).all()
        labelled = conn.execute(sa.select(sa.func.count(sa.distinct(st.labels.c.item_id)))
                                .where(st.labels.c.active.is_(True))).scalar()
    return {"labelled": int(labelled or 0), "by_label": {r[0]: int(r[1]) for r in per},
            "splits": {r[0]: int(r[1]) for r in splits}}


def test_frozen(ws: Workspace) -> bool:
    """The test split is frozen once something has been evaluated against it
    (:func:`glamlab.tasks.splits.is_frozen`, the one definition)."""
    from .tasks.splits import is_frozen

    return is_frozen(ws)


def next_to_label(ws: Workspace, *, strategy: str = "random", exclude: Iterable[str] = (),
                  rng: Any = None) -> Item | None:
    """The next unlabelled item to show, chosen by ``strategy`` (see :data:`STRATEGIES`)."""
    if strategy not in STRATEGIES:
        raise GlamlabError(f"unknown sampling {strategy!r}",
                           hint=f"choose one of {', '.join(STRATEGIES)}")
    st = ws.store.t
    ti = st.items
    skip = list(dict.fromkeys(exclude))[-500:]
    labelled = sa.exists().where(st.labels.c.item_id == ti.c.item_id, st.labels.c.active.is_(True))
    base = [ti.c.is_current.is_(True), ~labelled]
    if skip:
        base.append(ti.c.item_id.not_in(skip))
    pivot = (rng.getrandbits(256).to_bytes(32, "big").hex() if rng is not None
             else secrets.token_hex(32))
    with ws.store.read() as conn:
        item_id: str | None = None
        model_id = conn.execute(sa.select(sa.func.max(st.predictions.c.model_id))).scalar()
        if strategy == "uncertainty" and model_id is not None:
            p = st.predictions
            item_id = conn.execute(
                sa.select(ti.c.item_id).join(p, sa.and_(p.c.item_id == ti.c.item_id,
                                                        p.c.model_id == model_id))
                .where(*base).order_by(p.c.score.asc(), ti.c.item_id).limit(1)).scalar()
        elif strategy == "stratified":
            item_id = _stratified(ws, conn, base, pivot, model_id)
        if item_id is None:  # random, or nothing left in the chosen stratum
            item_id = _random_after(conn, ti, base, pivot)
    return ws.item(item_id) if item_id is not None else None


def _random_after(conn: sa.Connection, ti: sa.Table, base: list[Any], pivot: str,
                  extra: Sequence[Any] = (), join: Any = None) -> str | None:
    """The first matching item at or after a random content-hash pivot (wrapping round)."""
    for where in ([ti.c.content_hash >= pivot], []):
        q = sa.select(ti.c.item_id)
        if join is not None:
            q = q.select_from(join)
        r = conn.execute(q.where(*base, *extra, *where)
                         .order_by(ti.c.content_hash, ti.c.item_id).limit(1)).scalar()
        if r is not None:
            return str(r)
    return None


def _stratified(ws: Workspace, conn: sa.Connection, base: list[Any], pivot: str,
                model_id: int | None) -> str | None:
    st = ws.store.t
    ti = st.items
    if model_id is not None:  # strata: the current model's predicted label
        p = st.predictions
        have: dict[str, int] = dict(conn.execute(sa.select(st.labels.c.label, sa.func.count())
                                 .where(st.labels.c.active.is_(True))
                                 .group_by(st.labels.c.label)).all())
        join = ti.join(p, sa.and_(p.c.item_id == ti.c.item_id, p.c.model_id == model_id))
        for stratum in sorted(ws.card.labels, key=lambda lab: have.get(lab, 0)):
            r = _random_after(conn, ti, base, pivot, [p.c.label == stratum], join)
            if r is not None:
                return r
        return None
    # Before any run: strata are the sources the items came from.
    lab = st.labels
    sources = conn.execute(sa.select(ti.c.source, sa.func.count(sa.distinct(lab.c.item_id)))
                           .select_from(ti.outerjoin(lab, sa.and_(lab.c.item_id == ti.c.item_id,
                                                                  lab.c.active.is_(True))))
                           .where(ti.c.is_current.is_(True)).group_by(ti.c.source)).all()
    for source, _n in sorted(sources, key=lambda r: (r[1], r[0])):
        r = _random_after(conn, ti, base, pivot, [ti.c.source == source])
        if r is not None:
            return r
    return None


def save_label(ws: Workspace, user: str, item_id: str, labels: Sequence[str],
               split: str = "test") -> dict[str, Any]:
    """Give ``item_id`` gold labels from ``user``; new items go into ``split``."""
    labels = [lab for lab in dict.fromkeys(labels) if lab]
    if not labels:
        raise LabelError(f"{item_id}: no label given", item=item_id, hint="choose a label")
    unknown = [lab for lab in labels if lab not in ws.card.labels]
    if unknown:
        raise LabelError(f"{item_id}: {', '.join(map(repr, unknown))} not among this project's "
                         "labels", item=item_id, hint=f"choose from {', '.join(ws.card.labels)}")
    if len(labels) > 1 and not ws.card.multi_label:
        raise LabelError(f"{item_id}: this project takes one label per item", item=item_id,
                         hint="choose one label")
    if split not in ("train", "test"):
        raise LabelError(f"unknown split {split!r}", hint="use train or test")
    if split == "test" and test_frozen(ws):
        raise LabelError("the test set is frozen: models have been evaluated against it",
                         hint="label for training instead (split=train)")
    st = ws.store.t
    if not any(True for _ in ws.items(ids=[item_id])):
        raise NotFound(f"no item with id {item_id!r}", item=item_id,
                       hint="label items shown on the labelling page or listed by the API")
    stamp = now()
    with ws.store.write() as conn:
        old = [r.id for r in conn.execute(sa.select(st.labels.c.id).where(
            st.labels.c.item_id == item_id, st.labels.c.active.is_(True)))]
        if old:
            conn.execute(st.labels.update().where(st.labels.c.id.in_(old)).values(active=False))
        ids = []
        for lab in labels:
            res = conn.execute(st.labels.insert().values(
                item_id=item_id, label=lab, annotator=user, source="web", active=True,
                created_at=stamp))
            ids.append(res.inserted_primary_key[0] if res.inserted_primary_key else None)
        existing = conn.execute(sa.select(st.splits.c.split)
                                .where(st.splits.c.item_id == item_id)).scalar()
        if existing is None:
            conn.execute(st.splits.insert().values(item_id=item_id, split=split, created_at=stamp))
        ws.store.audit(conn, user, "label", item_id, labels=labels, label_ids=ids,
                       replaced=old, split=existing or split, split_created=existing is None)
    return {"item_id": item_id, "labels": labels, "split": existing or split}


def undo_label(ws: Workspace, user: str) -> dict[str, Any] | None:
    """Take back ``user``'s latest label that is still in force; None if there is none."""
    st = ws.store.t
    a = st.audit_log
    with ws.store.write() as conn:
        for row in conn.execute(sa.select(a).where(a.c.actor == user, a.c.action == "label")
                                .order_by(a.c.id.desc()).limit(50)).all():
            d = row.details or {}
            ids = d.get("label_ids") or []
            live = conn.execute(sa.select(st.labels.c.id).where(
                st.labels.c.id.in_(ids), st.labels.c.active.is_(True))).all()
            if not live:
                continue
            conn.execute(st.labels.update().where(st.labels.c.id.in_(ids)).values(active=False))
            if d.get("replaced"):
                conn.execute(st.labels.update().where(st.labels.c.id.in_(d["replaced"]))
                             .values(active=True))
            elif d.get("split_created"):
                conn.execute(st.splits.delete().where(st.splits.c.item_id == row.object))
            ws.store.audit(conn, user, "label.undo", row.object, audit_id=row.id)
            return {"item_id": row.object, "labels": d.get("labels")}
    return None


# -- one item, everything known about it ---------------------------------------
def item_history(ws: Workspace, item_id: str) -> dict[str, Any]:
    st = ws.store.t
    p, m = st.predictions, st.models
    with ws.store.read() as conn:
        preds = conn.execute(
            sa.select(p.c.id, p.c.run_id, p.c.label, p.c.labels, p.c.scores, p.c.score,
                      p.c.created_at, m.c.name.label("model"), m.c.version.label("model_version"))
            .select_from(p.outerjoin(m, m.c.id == p.c.model_id))
            .where(p.c.item_id == item_id).order_by(p.c.created_at.desc()).limit(50)).all()
        labels = conn.execute(sa.select(st.labels).where(st.labels.c.item_id == item_id)
                              .order_by(st.labels.c.id)).all()
        split = conn.execute(sa.select(st.splits.c.split)
                             .where(st.splits.c.item_id == item_id)).scalar()
        meta = conn.execute(sa.select(st.machine_metadata)
                            .where(st.machine_metadata.c.item_id == item_id)
                            .order_by(st.machine_metadata.c.id)).all()
        queue = conn.execute(sa.select(st.review_queue)
                             .where(st.review_queue.c.item_id == item_id)
                             .order_by(st.review_queue.c.id)).all()
    return {
        "predictions": [dict(r._mapping) for r in preds],
        "labels": [dict(r._mapping) for r in labels],
        "split": split,
        "machine_metadata": [dict(r._mapping) for r in meta],
        "queue": [dict(r._mapping) for r in queue],
        "decisions": list_decisions(ws, item_id=item_id),
    }
