"""Multi-label records reviewed in part: what ``glamlab status``, retrain and the web say
about them.

A reviewer decides one suggested label of a record at a time. A record whose gold came
only from such decisions, while another suggestion for it is still open in the review
queue, is *partly reviewed* (:meth:`glamlab.tasks.kinds.classification.MultiLabel.partial_gold`,
:func:`glamlab.store.queue.partial_review_label_items`): trained on, each suggestion still
waiting would read as "does not apply". It waits, out of training, its decisions kept,
until the last one is decided; then it trains with the accepted labels present and the
rejected ones absent. A person's whole label (imported, or given on the labelling page)
is never partly reviewed. The entities kind's texts wait the same way
(:mod:`glamlab.tasks.spans.complete`).

A record is *checked* (:func:`check_record`) when the last of its suggestions is decided
(:func:`glamlab.review.decide_many` checks it then), or when a reviewer says they checked
the whole record (the review queue's "Whole record checked",
:func:`glamlab.review.mark_record_checked`). Its gold becomes its whole set, saved as the
reviewer's (``labels.source`` :data:`~glamlab.store.gold.RECORD_CHECKED`): the terms
people accepted, corrected to or gave it, and the terms the policy accepted (``glamlab
act`` wrote them as machine metadata) that no person rejected (:func:`policy_accepted_terms`),
so that reviewing the rest of a record never turns a term the model was sure of into
"does not apply"; every other term is absent. A record whose every suggestion was
rejected, with no term accepted by the policy, gets the empty set (one row,
:data:`~glamlab.store.gold.NO_TERMS`): it trains as a record none of the terms applies to,
not left out. As the entities kind's "whole text checked" does
(:func:`glamlab.tasks.spans.complete.mark_text_done`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..errors import LabelError

if TYPE_CHECKING:
    from ..workspace import Workspace

#: what to do about partly reviewed records (the hint of a refusal to train)
WAITING_FIX = ("decide their other suggested labels in the review queue, or give the "
               "record its whole set of labels on the labelling page")


def review_label_counts(ws: Workspace, split: str = "train") -> dict[str, int]:
    """In ``split``: how many records whose gold label came from reviewers' decisions go
    into training (``fully_reviewed``) and how many wait (``partly_reviewed``): the same
    keys as the entities kind's :func:`glamlab.tasks.spans.complete.review_gold_counts`."""
    from ..store.gold import from_review
    from ..store.queue import partial_review_label_items
    from .splits import split_of

    with ws.store.read() as conn:
        ids = sorted(i for i, s in split_of(ws, conn=conn).items() if s == split)
        reviewed = sorted(from_review(conn, ids))
        waiting = partial_review_label_items(conn, reviewed)
    return {"fully_reviewed": len(reviewed) - len(waiting), "partly_reviewed": len(waiting)}


def waiting_sentence(fully: int, partly: int, noun: str = "item",
                     nouns: str = "items") -> str:
    """The plain words for the counts: "12 items reviewed go into training; 3 partly
    reviewed items wait until every label suggested for them is decided"."""
    def many(n: int) -> str:
        return f"{n:,} {noun if n == 1 else nouns}"

    head = f"{many(fully)} reviewed go{'es' if fully == 1 else ''} into training"
    if not partly:
        return head
    return (f"{head}; {partly:,} partly reviewed {noun if partly == 1 else nouns} "
            f"wait{'s' if partly == 1 else ''} until every label suggested for "
            f"{'it' if partly == 1 else 'them'} is decided (a label still waiting would "
            "otherwise train as one that does not apply)")


def waiting_refusal(ids: Sequence[str], noun: str = "item", nouns: str = "items") -> str:
    """Why there is nothing to train on when every labelled item waits."""
    n = len(ids)
    return (f"no fully labelled items in the train split: {n:,} partly reviewed "
            f"{noun if n == 1 else nouns} (e.g. {ids[0]}) wait{'s' if n == 1 else ''} until "
            "every label suggested for them is decided")


def policy_accepted_terms(ws: Workspace, conn: sa.Connection,
                          ids: Sequence[str]) -> dict[str, list[str]]:
    """Item -> the terms the policy accepted for it (``glamlab act`` wrote them as machine
    metadata of the project's field, not overruled since) that no person rejected or
    corrected to another term (:func:`glamlab.tasks.people.person_decision`): what a
    checked record keeps besides the terms people gave it. Those of the item's current
    prediction: the one its newest review row asks about, else the newest the policy
    wrote a term of (an older prediction's terms are not the model's answer now)."""
    from .people import item_decisions, person_decision

    st = ws.store.t
    mm, q = st.machine_metadata, st.review_queue
    field = str(ws.card.section("policy").get("field") or ws.card.task)
    known = set(ws.card.labels)
    current: dict[str, int] = {}
    written: dict[str, dict[int, list[str]]] = {}
    ids = sorted(set(ids))
    for i in range(0, len(ids), 900):
        chunk = ids[i:i + 900]
        for item_id, pid in conn.execute(
                sa.select(q.c.item_id, sa.func.max(q.c.prediction_id)).where(
                    q.c.item_id.in_(chunk), q.c.kind == "prediction",
                    q.c.prediction_id.is_not(None)).group_by(q.c.item_id)):
            current[str(item_id)] = int(pid)
        for r in conn.execute(sa.select(mm.c.item_id, mm.c.prediction_id, mm.c.value).where(
                mm.c.item_id.in_(chunk), mm.c.field == field, mm.c.run_id.is_not(None),
                mm.c.prediction_id.is_not(None), mm.c.overruled_by.is_(None))
                .order_by(mm.c.id)):
            if r.value in known:
                written.setdefault(str(r.item_id), {}).setdefault(
                    int(r.prediction_id), []).append(str(r.value))
    decisions = item_decisions(ws, conn, sorted(written))
    out: dict[str, list[str]] = {}
    for item_id, by_prediction in written.items():
        pid = current.get(item_id)
        if pid is None or pid not in by_prediction:
            pid = max(by_prediction)
        for term in dict.fromkeys(by_prediction[pid]):
            person = person_decision(decisions.get(item_id), term, None, one_value=False)
            if person is None or person.action == "accept":
                out.setdefault(item_id, []).append(term)
    return out


def open_suggestions(conn: sa.Connection, item_id: str) -> list[Any]:
    """The item's suggestions still open in the review queue that its gold in force does
    not already give (those a reviewer is still asked about: :mod:`glamlab.store.queue`)."""
    from ..store import schema
    from ..store.gold import in_force

    q, labels = schema.review_queue, schema.labels
    return list(conn.execute(sa.select(q.c.id, q.c.version, q.c.label, q.c.lease_owner,
                                       q.c.lease_until).where(
        q.c.item_id == item_id, q.c.kind == "prediction", q.c.status == "open",
        ~sa.exists().where(labels.c.item_id == q.c.item_id, labels.c.label == q.c.label,
                           in_force(labels))).order_by(q.c.id)))


def needs_check(conn: sa.Connection, item_id: str) -> bool:
    """Whether the record's gold is not its whole set yet: it has no gold, or only gold
    from reviewers' decisions on single suggestions (``labels.source`` "review"). A
    person's whole label (an import, the labelling page, a record checked) is left as
    it is."""
    from ..store import schema
    from ..store.gold import REVIEW, SECOND, in_force

    labels = schema.labels
    sources = set(conn.execute(sa.select(labels.c.source).where(
        labels.c.item_id == item_id, in_force(labels))).scalars())
    return sources <= {REVIEW, SECOND}


def last_open_suggestion(conn: sa.Connection, ids: Sequence[str]) -> set[str]:
    """The items among ``ids`` with exactly one suggestion still open
    (:func:`open_suggestions`) whose record needs checking (:func:`needs_check`): those
    whose next decision is the last on the record. What the two give item by item, in a
    few statements for a whole page of the queue (not two a row)."""
    from ..store import schema
    from ..store.gold import in_force
    from ..store.ids import among, id_batches

    q, labels = schema.review_queue, schema.labels
    ids = sorted(set(ids))
    one: set[str] = set()
    for part in id_batches(conn, ids):
        one.update(str(r[0]) for r in conn.execute(
            sa.select(q.c.item_id).where(
                among(conn, q.c.item_id, part), q.c.kind == "prediction",
                q.c.status == "open",
                ~sa.exists().where(labels.c.item_id == q.c.item_id,
                                   labels.c.label == q.c.label, in_force(labels)))
            .group_by(q.c.item_id).having(sa.func.count() == 1)))
    return one - _checked_whole(conn, sorted(one))


def _checked_whole(conn: sa.Connection, ids: Sequence[str]) -> set[str]:
    """The items among ``ids`` that :func:`needs_check` says no of: their gold in force
    has a row from a source other than review's single decisions."""
    from ..store import schema
    from ..store.gold import REVIEW, SECOND, in_force
    from ..store.ids import among, id_batches

    labels = schema.labels
    out: set[str] = set()
    for part in id_batches(conn, list(ids)):
        out.update(str(r[0]) for r in conn.execute(
            sa.select(labels.c.item_id).where(
                among(conn, labels.c.item_id, part), in_force(labels),
                sa.or_(labels.c.source.is_(None),
                       labels.c.source.not_in([REVIEW, SECOND]))).distinct()))
    return out


def check_record(ws: Workspace, conn: sa.Connection, item_id: str, *, user: str,
                 stamp: Any, auto: bool, rejected: Sequence[Any] = ()) -> dict[str, Any]:
    """Save the record's whole set of terms as ``user``'s gold (see the module): the terms
    of its gold in force (the ones people accepted, corrected to or gave it) and those the
    policy accepted that nobody rejected (:func:`policy_accepted_terms`); the empty set
    (:data:`~glamlab.store.gold.NO_TERMS`) where there are none. ``user``'s earlier rows of
    the item are retired (another person's stay, for the agreement). In the caller's
    transaction; the item goes into the train split if it had none. One
    :class:`LabelError` naming the item for an item in the test split (its gold is kept as
    it is). Audited as ``labels.record_checked`` (``auto``: the last decision on the
    record checked it; ``rejected``: the suggestions the check rejected, each
    ``[queue_id, decision_id, version]``, for its undo). Saved as
    :data:`~glamlab.store.gold.RECORD_CHECKED` where the reviewer said they checked the
    whole record, as :data:`~glamlab.store.gold.ALL_DECIDED` where it was the last
    decision (``auto``): the exports then claim nothing of the terms they did not
    decide. Returns the item, its ``terms``, those the policy accepted
    (``policy_terms``), the ``added`` and ``retired`` label rows and ``split_created``."""
    from ..store import schema
    from ..store.gold import ALL_DECIDED, NO_TERMS, RECORD_CHECKED, SECOND, in_force

    labels, splits = schema.labels, schema.splits
    split = conn.execute(sa.select(splits.c.split).where(splits.c.item_id == item_id)).scalar()
    if split == "test":
        raise LabelError(f"{item_id} is in the test split: its labels are kept as they are",
                         item=item_id, hint="records are checked in the train split only")
    known = set(ws.card.labels)
    given = [str(x) for x in conn.execute(sa.select(labels.c.label).where(
        labels.c.item_id == item_id, in_force(labels)).order_by(labels.c.id)).scalars()
        if x in known]
    policy = [t for t in policy_accepted_terms(ws, conn, [item_id]).get(item_id, [])
              if t not in given]
    terms = sorted({*given, *policy})
    retired = [int(i) for i in conn.execute(sa.select(labels.c.id).where(
        labels.c.item_id == item_id, labels.c.annotator == user, labels.c.active.is_(True),
        sa.or_(labels.c.source.is_(None), labels.c.source != SECOND))).scalars()]
    if retired:
        conn.execute(labels.update().where(labels.c.id.in_(retired)).values(active=False))
    added: list[int] = []
    for term in terms or [NO_TERMS]:
        ins = conn.execute(labels.insert().values(
            item_id=item_id, label=term, value=None, annotator=user,
            source=ALL_DECIDED if auto else RECORD_CHECKED,
            active=True, created_at=stamp))
        added.append(int(ins.inserted_primary_key[0]))  # type: ignore[index]
    if split is None:
        conn.execute(splits.insert().values(item_id=item_id, split="train", created_at=stamp))
    ws.store.audit(conn, user, "labels.record_checked", item_id, terms=terms,
                   policy_terms=sorted(policy), added=added, retired=retired,
                   split_created=split is None, auto=auto,
                   rejected=[list(r) for r in rejected])
    return {"item_id": item_id, "terms": terms, "policy_terms": sorted(policy),
            "added": added, "retired": retired, "split_created": split is None,
            "split": split or "train"}


__all__ = ["WAITING_FIX", "check_record", "last_open_suggestion", "needs_check",
           "open_suggestions", "policy_accepted_terms", "review_label_counts",
           "waiting_refusal", "waiting_sentence"]
