"""Labelling by people: saving a label, undoing it (which item to show next is
:func:`glamlab.tasks.sampling.next_to_label`)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..errors import LabelError
from ..store import now
from ..tasks.labels import TEST_RELABEL, refuse_into_test
from .queue import NotFound

if TYPE_CHECKING:
    from ..workspace import Workspace

def labelling_counts(ws: Workspace) -> dict[str, Any]:
    from ..store.gold import NO_TERMS

    st = ws.store.t
    with ws.store.read() as conn:
        # a record checked with no term holds one row for its empty set: not a label
        per = conn.execute(sa.select(st.labels.c.label, sa.func.count())
                           .where(st.labels.c.active.is_(True), st.labels.c.label != NO_TERMS)
                           .group_by(st.labels.c.label)).all()
        splits = conn.execute(sa.select(st.splits.c.split, sa.func.count())
                              .group_by(st.splits.c.split)).all()
        labelled = conn.execute(sa.select(sa.func.count(sa.distinct(st.labels.c.item_id)))
                                .where(st.labels.c.active.is_(True))).scalar()
        # texts with gold spans (an entities project keeps its gold in the span store)
        labelled = (labelled or 0) + (conn.execute(
            sa.select(sa.func.count(sa.distinct(st.span_sets.c.item_id)))
            .where(st.span_sets.c.active.is_(True), st.span_sets.c.kind == "gold")).scalar()
            or 0)
    return {"labelled": int(labelled or 0), "by_label": {r[0]: int(r[1]) for r in per},
            "splits": {r[0]: int(r[1]) for r in splits}}


def test_frozen(ws: Workspace) -> bool:
    """The test split is frozen once something has been evaluated against it
    (:func:`glamlab.tasks.splits.is_frozen`, the one definition)."""
    from ..tasks.splits import is_frozen

    return is_frozen(ws)


def save_label(ws: Workspace, user: str, item_id: str, labels: Sequence[str],
               split: str | None = "test", strategy: str | None = None, *,
               second: bool = False) -> dict[str, Any]:
    """Give ``item_id`` a gold label from ``user`` (the values the task kind's labelling
    widget submits, e.g. label names); a new item goes into ``split``, except in a
    tabular project, where a new row joins the test rows or training by its date
    (:func:`glamlab.tasks.tabular.split_by_date`) and ``split`` is not used. ``strategy``:
    how the item was chosen; a model-ordered one cannot add to the test split.
    ``split=None``: the item stays where it is, in no split if it is in none (a second
    labeller's label, :func:`second_labelling`). ``second``: a blind second label, kept
    for the agreement; it does not replace another person's gold label
    (:data:`glamlab.store.gold.SECOND`, :func:`second_disagreements`)."""
    from ..store.gold import SECOND
    from ..tasks.kinds import task_kind
    from ..tasks.sampling import check_strategy

    tabular = ws.card.modality == "tabular"
    if strategy is not None and not tabular and split is not None:
        check_strategy(strategy, split)

    kind = task_kind(ws.card)
    try:
        gold = kind.gold_from_form(list(labels))
    except ValueError as exc:
        raise LabelError(f"{item_id}: {exc}", item=item_id,
                         hint=f"choose from {', '.join(ws.card.labels)}") from exc
    if split not in ("train", "test", None):
        raise LabelError(f"unknown split {split!r}", hint="use train or test")
    if split == "test" and not tabular and test_frozen(ws):
        raise LabelError("the test set is frozen: models have been evaluated against it",
                         hint="label for training instead (split=train)")
    st = ws.store.t
    found = next(iter(ws.items(ids=[item_id])), None)
    if found is None:
        raise NotFound(f"no item with id {item_id!r}", item=item_id,
                       hint="label items shown on the labelling page or listed by the API")
    if tabular:  # the row's date decides, as for the rows of an ingested table
        from ..tasks.tabular import split_by_date

        split = split_by_date(ws, item_id, found.meta)
        if strategy is not None and split is not None:
            check_strategy(strategy, split)
    stamp = now()
    with ws.store.write() as conn:
        if second:
            _check_second(conn, ws, user, item_id)
        before = gold_in_force(conn, ws, item_id, kind=kind)
        if kind.write_gold(ws, conn, item_id, gold, annotator=user, source="web"):
            # the kind keeps its gold elsewhere (entities: the span store)
            existing = conn.execute(sa.select(st.splits.c.split)
                                    .where(st.splits.c.item_id == item_id)).scalar()
            if existing is None and split is not None:
                conn.execute(st.splits.insert().values(item_id=item_id, split=split,
                                                       created_at=stamp))
            labels = kind.strata(gold)
            changed = _record_change(conn, ws, user, item_id, before, existing, kind)
            ws.store.audit(conn, user, "label", item_id, labels=labels, label_ids=[],
                           split=existing or split,
                           split_created=existing is None and split is not None,
                           **({"changed_from": before} if changed else {}))
            return {"item_id": item_id, "labels": labels, "split": existing or split,
                    "changed_from": before if changed else None}
        # only this person's earlier label is replaced: another person's stays (the
        # newest is the gold label in force, a second labeller's only where it is the
        # one label) for the agreement between labellers
        old = [r.id for r in conn.execute(sa.select(st.labels.c.id).where(
            st.labels.c.item_id == item_id, st.labels.c.active.is_(True),
            st.labels.c.annotator == user))]
        if old:
            conn.execute(st.labels.update().where(st.labels.c.id.in_(old)).values(active=False))
        ids = []
        rows = kind.gold_rows(gold)
        for r in rows:
            res = conn.execute(st.labels.insert().values(
                item_id=item_id, label=r.label, value=r.value, annotator=user,
                source=SECOND if second else "web", active=True, created_at=stamp))
            ids.append(res.inserted_primary_key[0] if res.inserted_primary_key else None)
        labels = [r.label for r in rows]
        existing = conn.execute(sa.select(st.splits.c.split)
                                .where(st.splits.c.item_id == item_id)).scalar()
        if existing is None and split is not None:
            if split == "test":
                refuse_into_test(conn, ws, [item_id])
            conn.execute(st.splits.insert().values(item_id=item_id, split=split, created_at=stamp))
        changed = _record_change(conn, ws, user, item_id, before, existing, kind)
        ws.store.audit(conn, user, "label", item_id, labels=labels, label_ids=ids,
                       replaced=old, split=existing or split,
                       split_created=existing is None and split is not None,
                       **({"second": True} if second else {}),
                       **({"changed_from": before} if changed else {}))
    return {"item_id": item_id, "labels": labels, "split": existing or split,
            "changed_from": before if changed else None}




def gold_in_force(conn: sa.Connection, ws: Workspace, item_id: str, *,
                  kind: Any = None) -> dict[str, Any] | None:
    """The gold label in force of ``item_id`` (:mod:`glamlab.store.gold`), or None:
    ``labels`` (its label names, or an entities text's entity types), ``key`` (the task
    kind's form of it, to compare), ``by`` (who gave it) and ``at`` (when, ISO)."""
    from ..store.gold import in_force
    from ..tasks.kinds import task_kind
    from ..tasks.labels import gold_labels

    kind = kind or task_kind(ws.card)
    gold = gold_labels(ws, [item_id], conn=conn, kind=kind).get(item_id)
    if gold is None:
        return None
    st = ws.store.t
    if ws.card.kind == "entities":  # the latest active gold set (glamlab.tasks.spans.gold)
        t = st.span_sets
        row = conn.execute(sa.select(t.c.annotator, t.c.created_at).where(
            t.c.item_id == item_id, t.c.kind == "gold", t.c.active.is_(True))
            .order_by(t.c.id.desc()).limit(1)).first()
    else:
        lt = st.labels
        row = conn.execute(sa.select(lt.c.annotator, lt.c.created_at).where(
            in_force(lt), lt.c.item_id == item_id).order_by(lt.c.id.desc()).limit(1)).first()
    return {"labels": kind.strata(gold), "key": kind.gold_key(gold),
            "by": row.annotator if row is not None else None,
            "at": row.created_at.isoformat() if row is not None and row.created_at else None}


def _record_change(conn: sa.Connection, ws: Workspace, user: str, item_id: str,
                   before: dict[str, Any] | None, split: str | None, kind: Any) -> bool:
    """Whether the label just written changed the item's gold label in force (``before``:
    :func:`gold_in_force` before it). A changed label of a test-split item is logged as
    :data:`TEST_RELABEL` too: the evaluations made before it are then out of date."""
    if before is None:
        return False
    after = gold_in_force(conn, ws, item_id, kind=kind)
    if after is not None and after["key"] == before["key"]:
        return False
    if split == "test":
        ws.store.audit(conn, user, TEST_RELABEL, item_id, before=before["labels"],
                       before_by=before["by"], after=after["labels"] if after else None)
    return True


def test_relabelled(ws: Workspace, since: Any) -> list[dict[str, Any]]:
    """The test-split items whose gold label was changed after ``since`` (a datetime: an
    evaluation's ``created_at``), newest first: ``item_id``, ``by``, ``at``. The figures
    of an evaluation made before were measured against the labels as they were."""
    a = ws.store.t.audit_log
    with ws.store.read() as conn:
        rows = conn.execute(sa.select(a.c.object, a.c.actor, a.c.at).where(
            a.c.action == TEST_RELABEL, a.c.at > since).order_by(a.c.id.desc())).all()
    seen: dict[str, dict[str, Any]] = {}
    for r in rows:
        seen.setdefault(r.object, {"item_id": r.object, "by": r.actor, "at": r.at})
    return list(seen.values())


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




def _check_second(conn: sa.Connection, ws: Workspace, user: str, item_id: str) -> None:
    """A blind second label is for an item someone else labelled and ``user`` did not:
    else it would replace ``user``'s own label, or be the item's only one, and so the
    label in force (a frozen test item's too), which a second label never is."""
    from ..store.gold import SECOND

    t = ws.store.t.labels
    rows = conn.execute(sa.select(t.c.annotator, t.c.source).where(
        t.c.item_id == item_id, t.c.active.is_(True))).all()
    if any(r.annotator == user and r.source != SECOND for r in rows):
        raise LabelError(f"{item_id}: you labelled this item already, so your label cannot "
                         "be a blind second label", item=item_id,
                         hint="a second labeller labels items someone else labelled; "
                              "to change your own label, open the item on the Labelling "
                              "page")
    if not any(r.annotator != user for r in rows):
        raise LabelError(f"{item_id}: nobody else has labelled this item, so there is "
                         "nothing to compare a second label with", item=item_id,
                         hint="label it on the Labelling page (a first label), or take the "
                              "next item the second-labeller page offers")


def _reviewed_by(ws: Workspace, user: str) -> set[str]:
    """The items ``user`` holds an active label of from a review decision (or a record
    they checked whole)."""
    import sqlalchemy as sa

    from ..store.gold import REVIEW_SOURCES

    t = ws.store.t.labels
    with ws.store.read() as conn:
        return set(conn.execute(sa.select(t.c.item_id).distinct().where(
            t.c.active.is_(True), t.c.annotator == user,
            t.c.source.in_(REVIEW_SOURCES))).scalars())


def second_labelling(ws: Workspace, user: str, *,
                     exclude: Collection[str] = ()) -> dict[str, Any] | None:
    """Blind double labelling: the next item for ``user`` to label again, among the items
    someone else labelled and ``user`` did not (their label is not shown), in an order
    of its own for each person (a random sample, the same on every page; ``exclude``:
    the items they skipped), until the items labelled by two or more people reach what
    Krippendorff's sample-size rule asks for (:func:`glamlab.tasks.agreement.sample_size`).
    ``{"item", "needed", "shared", "left", "mine", "candidates", "labelled", ...}``
    (``labelled``: the items anyone labelled, which may be fewer than ``needed``); None in an
    entities project (agreement is not measured there)."""
    import hashlib

    from ..tasks.agreement import sample_size
    from ..tasks.labels import annotator_labels

    if ws.card.kind == "entities":
        return None
    ann = annotator_labels(ws)
    size = sample_size(ws, ann)
    shared = sum(1 for per in ann.values() if len(per) >= 2)
    mine = sum(1 for per in ann.values() if user in per and len(per) >= 2)
    # (not the items the person decided in review either: they saw the item's labels
    # there, so a label now would be no blind second one; agreement leaves review out)
    reviewed = _reviewed_by(ws, user)
    candidates = [i for i, per in ann.items() if user not in per and i not in reviewed]
    left = max(0, size["items_needed"] - shared)

    def order(item_id: str) -> bytes:
        return hashlib.blake2b(f"{user}\0{item_id}".encode(), digest_size=8).digest()

    item = None
    if left:
        ahead = sorted((i for i in candidates if i not in exclude), key=order)
        for start in range(0, len(ahead), 100):  # an item taken out of the collection
            found = list(ws.items(ids=ahead[start:start + 100]))  # keeps its labels
            if found:
                by_id = {f.item_id: f for f in found}
                item = next(by_id[i] for i in ahead[start:start + 100] if i in by_id)
                break
    return {**size, "item": item, "needed": size["items_needed"], "shared": shared,
            "left": left, "mine": mine, "candidates": len(candidates),
            "labelled": len(ann)}


def second_disagreements(ws: Workspace, limit: int = 50) -> dict[str, Any]:
    """The items where a second labeller's blind label (:data:`glamlab.store.gold.SECOND`)
    differs from the gold label in force, and no one has labelled the item since: to be
    settled on purpose, on the item's labelling page (a label given there is in force).
    ``{"total", "listed": [{"item_id", "split", "gold", "by", "second": [(who, label)]}]}``,
    the first ``limit`` items, in the order the second labels were given."""
    from ..store.gold import SECOND, in_force
    from ..tasks.kinds import LabelRow, task_kind
    from ..tasks.splits import split_of

    kind = task_kind(ws.card)
    t = ws.store.t.labels
    with ws.store.read() as conn:
        seconds = conn.execute(sa.select(t.c.id, t.c.item_id, t.c.annotator, t.c.label,
                                         t.c.value)
                               .where(t.c.active.is_(True), t.c.source == SECOND)
                               .order_by(t.c.id)).all()
        ids = list(dict.fromkeys(r.item_id for r in seconds))
        gold_rows: list[Any] = []
        for start in range(0, len(ids), 900):
            gold_rows.extend(conn.execute(
                sa.select(t.c.id, t.c.item_id, t.c.annotator, t.c.label, t.c.value)
                .where(in_force(t), t.c.item_id.in_(ids[start:start + 900]))
                .order_by(t.c.id)))
        splits = split_of(ws, ids, conn=conn) if ids else {}

    def grouped(rows: Any) -> dict[tuple[str, str], list[Any]]:
        out: dict[tuple[str, str], list[Any]] = {}
        for r in rows:
            out.setdefault((r.item_id, r.annotator), []).append(r)
        return out

    def said(rows: list[Any]) -> Any:
        return kind.gold_from_rows([LabelRow(r.label, r.value) for r in rows])

    def words(gold_value: Any) -> str:
        return ", ".join(kind.strata(gold_value)) if gold_value is not None else ""

    gold = {i: (who, rows) for (i, who), rows in grouped(gold_rows).items()}
    found: dict[str, dict[str, Any]] = {}
    for (item_id, who), rows in grouped(seconds).items():
        if item_id not in gold or gold[item_id][0] == who:
            continue  # the only label: in force itself
        by, in_force_rows = gold[item_id]
        if max(r.id for r in in_force_rows) > max(r.id for r in rows):
            continue  # labelled again after the second label: settled
        if said(rows) == said(in_force_rows):
            continue
        entry = found.setdefault(item_id, {
            "item_id": item_id, "split": splits.get(item_id), "by": by,
            "gold": words(said(in_force_rows)), "second": []})
        entry["second"].append((who, words(said(rows))))
    return {"total": len(found), "listed": list(found.values())[:limit]}
