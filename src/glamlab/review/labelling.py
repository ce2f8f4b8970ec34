"""Labelling by people: the next item to label, saving a label, undoing it."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..errors import GlamlabError, LabelError
from ..store import now
from .queue import NotFound

if TYPE_CHECKING:
    from ..items import Item
    from ..workspace import Workspace

STRATEGIES = {
    "random": "random unlabelled items",
    "stratified": "balanced across predicted labels (or sources, before any run)",
    "uncertainty": "the items the current model is least sure about first",
}


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
    from ..tasks.splits import is_frozen

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


