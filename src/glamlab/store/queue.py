"""What the review queue shows a reviewer: the one definition every count of it uses
(the queue page, ``glamlab status``, the web overview, ``glamlab act``'s workload).

An open ``prediction`` row whose predicted label the item's gold label in force already
gives (:mod:`glamlab.store.gold`: the latest annotator's labels, the ones training and
evaluation use) is not asked about: a person has said so. It is *settled by a gold
label*, not lost: it stays open in the queue table, and shows again if that gold label
is withdrawn, and a person who names the row (``POST /api/decisions``, a page loaded
before the gold label came) still decides it: a person's decision replaces the gold label
as a later label would (:func:`glamlab.review.decide_many`), except on an item in the test
split, whose gold a decision keeps (the decision goes into the export all the same). A
prediction that disagrees with the gold labels shows (with them, who gave them, and what a
decision on it does), and a ``recheck`` row (about a gold label) always shows.

In an entities project the gold of a text is its latest active gold span set
(``span_sets``, kind ``gold``). When that set is *complete* (given for the whole text: an
import, the labelling page, a text a reviewer marked checked, or reviewers' decisions made
on top of such gold; see :mod:`glamlab.tasks.spans.complete`), every predicted span of the
text is settled by it: a span the gold holds is one it agrees with, and a span it does not
hold is one it says is not an entity. A text whose gold came only from reviewers' decisions
on some of its spans (partly reviewed) settles nothing: its other spans are still asked.
Nor does gold made on an earlier text of the item (re-ingested since with other words,
new OCR: :func:`span_gold_fits`): its offsets point into that text.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from . import schema
from .gold import (
    ALL_DECIDED,
    NO_TERMS,
    RECORD_CHECKED,
    REVIEW,
    REVIEW_SOURCES,
    SECOND,
    in_force,
)
from .ids import among, id_batches

#: ``span_sets.source`` of a gold set built from reviewers' decisions on single spans
#: (:data:`glamlab.tasks.spans.complete.REVIEW`): complete only on top of complete gold
SPAN_REVIEW_SOURCE = "review"
#: ``span_sets.source`` of the gold set a reviewer saved by marking the whole text checked
#: (:data:`glamlab.tasks.spans.complete.WHOLE_TEXT`)
SPAN_WHOLE_TEXT_SOURCE = "review: whole text checked"
#: ``span_sets.source`` of a "whole text checked" gold set its reviewer took back
#: (:func:`glamlab.tasks.spans.complete.unmark_text_done`): kept in the history, complete
#: no more, so decisions made after the undo do not build on it
SPAN_WITHDRAWN_SOURCE = "review: whole text checked, taken back"


def _complete_source(t: Any) -> Any:
    """The clause: the set ``t`` was given for the whole text (not decisions on single
    spans, not a mark taken back)."""
    return sa.or_(t.c.source.is_(None),
                  t.c.source.not_in([SPAN_REVIEW_SOURCE, SPAN_WITHDRAWN_SOURCE]))


def span_gold_fits(g: Any) -> Any:
    """The clause: the gold span set ``g`` was made on the text its item has now (the item
    version it was made on, ``span_sets.item_version``, is the current one, or has the
    same text): its offsets index this text. A text re-ingested with other words (new
    OCR) since makes its spans point into the earlier text.

    The inner clause names ``g`` two queries down: it is correlated to it explicitly
    (SQL Alchemy's automatic correlation reaches the enclosing query only, and left
    ``g`` standing for every span set of the item there: one set made on the text now,
    a "whole text checked" taken back among them, made all of the item's sets fit)."""
    cur = schema.items.alias("current_item")
    made = schema.items.alias("gold_item")
    return sa.exists().where(
        cur.c.item_id == g.c.item_id, cur.c.is_current.is_(True),
        sa.or_(cur.c.version == g.c.item_version,
               sa.exists().where(made.c.item_id == g.c.item_id,
                                 made.c.version == g.c.item_version,
                                 made.c.text == cur.c.text).correlate_except(made)))


def _latest_gold(g: Any, item_id: Any) -> list[Any]:
    newer = schema.span_sets.alias("newer_gold_set")
    return [g.c.item_id == item_id, g.c.kind == "gold", g.c.active.is_(True),
            ~sa.exists().where(newer.c.item_id == g.c.item_id, newer.c.kind == "gold",
                               newer.c.active.is_(True), newer.c.id > g.c.id)]


def complete_span_gold(item_id: Any) -> Any:
    """The clause: the item (``item_id``, a column) has complete gold spans, the one
    definition that settles its predicted spans and lets it train: its latest active gold
    set was made on the item's current text (:func:`span_gold_fits`) and is an import,
    the labelling page's or a text marked checked (and not taken back), or reviewers'
    decisions added to an earlier such set of the same text (see the module). Training also takes a text each of whose predicted spans a person decided
    (:func:`glamlab.tasks.spans.complete.partial_gold`): none of them is open to settle."""
    g = schema.span_sets.alias("gold_set")
    earlier = schema.span_sets.alias("earlier_gold_set")
    return sa.exists().where(
        *_latest_gold(g, item_id), span_gold_fits(g),
        sa.or_(_complete_source(g), sa.exists().where(
            earlier.c.item_id == g.c.item_id, earlier.c.kind == "gold",
            earlier.c.id < g.c.id, earlier.c.text_hash == g.c.text_hash,
            _complete_source(earlier))))


def changed_span_gold(item_id: Any) -> Any:
    """The clause: the item's latest active gold span set was made on another text than
    the one it has now (:func:`span_gold_fits`): it neither settles nor trains until a
    person labels or checks the new text."""
    g = schema.span_sets.alias("gold_set")
    return sa.exists().where(*_latest_gold(g, item_id), ~span_gold_fits(g))


def settled_by_gold(rq: sa.Table) -> Any:
    """The clause: the row's label is among its item's gold labels in force, or the item's
    text has complete gold spans (which settle every predicted span of it)."""
    labels = schema.labels
    return sa.or_(sa.exists().where(labels.c.item_id == rq.c.item_id,
                                    labels.c.label == rq.c.label, in_force(labels)),
                  complete_span_gold(rq.c.item_id))


def shown(rq: sa.Table, kind: str | None = None) -> list[Any]:
    """The clauses of the rows a reviewer is shown (of one ``kind``, or both)."""
    clauses: list[Any] = [rq.c.status == "open"]
    if kind != "recheck":
        clauses.append(sa.or_(rq.c.kind != "prediction", ~settled_by_gold(rq)))
    if kind:
        clauses.append(rq.c.kind == kind)
    return clauses


def settled(rq: sa.Table) -> list[Any]:
    """The clauses of the open rows a gold label settles (not shown; see the module)."""
    return [rq.c.status == "open", rq.c.kind == "prediction", settled_by_gold(rq)]


def gold_labels(conn: sa.Connection, item_ids: Iterable[str]) -> dict[str, set[str]]:
    """Item id -> its gold labels in force, for candidates not yet in the queue (a
    candidate whose label is among them is settled by a gold label, as above)."""
    labels = schema.labels
    ids = sorted(set(item_ids))
    out: dict[str, set[str]] = {}
    for ids_part in id_batches(conn, ids):
        for item_id, label in conn.execute(sa.select(labels.c.item_id, labels.c.label).where(
                among(conn, labels.c.item_id, ids_part), in_force(labels))):
            out.setdefault(item_id, set()).add(label)
    return out


@dataclass(frozen=True)
class ItemGold:
    """An item's gold labels in force (:func:`glamlab.store.gold.in_force`): each label
    with who gave it and when, and whether a reviewer's decision wrote them."""

    labels: dict[str, tuple[str, Any]]
    #: a reviewer's decision on one suggestion wrote them (``labels.source`` "review"):
    #: in a multi-label project such gold is that decision, not the item's whole set
    by_review: bool
    #: (multi-label) who checked the whole record and when (``labels.source``
    #: :data:`~.gold.RECORD_CHECKED`), where a reviewer did; with no ``labels``: the
    #: record was checked and none of the terms applies (:data:`~.gold.NO_TERMS`)
    checked: tuple[str, Any] | None = None

    def whole(self, multi_label: bool) -> bool:
        """Whether the labels are the item's whole set, so a label not among them is one
        the person said does not apply: always in a single-label project (an item has
        one label), in a multi-label one unless a reviewer's decision wrote them (a
        reviewer decides one suggestion, not the item's other labels)."""
        return not (multi_label and self.by_review)

    @property
    def annotator(self) -> str:
        """Who gave the gold (the latest annotator's rows are the gold; a record checked
        with no term: who checked it)."""
        if not self.labels and self.checked is not None:
            return str(self.checked[0])
        return max(self.labels.values(), key=lambda w: (w[1] is not None, w[1]))[0]

    @property
    def at(self) -> Any:
        """When the gold was given: its latest label's time (a record checked with no
        term: when it was checked)."""
        if not self.labels and self.checked is not None:
            return self.checked[1]
        return max(self.labels.values(), key=lambda w: (w[1] is not None, w[1]))[1]


def item_gold(conn: sa.Connection, item_ids: Iterable[str]) -> dict[str, ItemGold]:
    """Item id -> its gold labels in force, who gave each and when (:class:`ItemGold`),
    for the items among ``item_ids`` that have any: what a classification export and
    ``glamlab act`` compare the labels the policy accepts with (a person's label wins).

    A reviewer's decision writes the item's whole new gold under the reviewer's name
    (:func:`glamlab.review.decisions._gold_label`: in a multi-label project a copy of
    the labels it already had beside the one decided), but the reviewer gave only the
    label they decided: each label of gold a decision wrote is credited to whoever gave
    it first, the annotator of its earliest active row (a cataloguer's subjects stay
    theirs), and when (not a blind second label, which is never gold beside another's).
    A multi-label record a reviewer checked whole (:data:`~.gold.RECORD_CHECKED`) is
    credited so too, and is its whole set (a term the policy accepted in it is the
    checker's: they saw it and left it), with who checked it and when (``checked``); the
    empty set of a record checked with no term (:data:`~.gold.NO_TERMS`) gives no label:
    such a record is returned with no ``labels``, its whole set, and ``checked`` (every
    export then says that person found none of the terms applies)."""
    labels = schema.labels
    ids = sorted(set(item_ids))
    found: dict[str, dict[str, tuple[str, Any]]] = {}
    reviewed: set[str] = set()
    whole: set[str] = set()
    credited: set[str] = set()
    checked: dict[str, tuple[str, Any]] = {}
    for ids_part in id_batches(conn, ids):
        for r in conn.execute(sa.select(labels.c.item_id, labels.c.label, labels.c.annotator,
                                        labels.c.created_at, labels.c.source)
                              .where(among(conn, labels.c.item_id, ids_part), in_force(labels))
                              .order_by(labels.c.id)):
            if r.source == RECORD_CHECKED:
                checked[r.item_id] = (r.annotator, r.created_at)
            if r.label == NO_TERMS and r.source in (RECORD_CHECKED, ALL_DECIDED):
                if r.source == RECORD_CHECKED:  # its whole set: none of the terms
                    found.setdefault(r.item_id, {})
                    whole.add(r.item_id)
                continue
            found.setdefault(r.item_id, {})[r.label] = (r.annotator, r.created_at)
            if r.source == REVIEW:
                reviewed.add(r.item_id)
            else:  # a record checked whole, and decisions made on top of it
                whole.add(r.item_id)
            if r.source in REVIEW_SOURCES:
                credited.add(r.item_id)
    wrote = sorted(credited & set(found))
    for ids_part in id_batches(conn, wrote):
        first: dict[tuple[str, str], tuple[str, Any]] = {}
        for x in conn.execute(sa.select(labels.c.item_id, labels.c.label, labels.c.annotator,
                                        labels.c.created_at)
                              .where(among(conn, labels.c.item_id, ids_part),
                                     labels.c.active.is_(True), labels.c.label != NO_TERMS,
                                     sa.or_(labels.c.source.is_(None),
                                            labels.c.source != SECOND))
                              .order_by(labels.c.id)):
            first.setdefault((x.item_id, x.label), (x.annotator, x.created_at))
        for item_id in ids_part:
            given = found[item_id]
            for label in given:
                given[label] = first.get((item_id, label), given[label])
    return {i: ItemGold(given, i in reviewed and i not in whole, checked.get(i))
            for i, given in found.items()}


def partial_review_label_items(conn: sa.Connection, item_ids: Iterable[str]) -> set[str]:
    """The items among ``item_ids`` whose gold labels are only partly given, in a
    multi-label project (:meth:`glamlab.tasks.kinds.classification.MultiLabel.partial_gold`):
    every active label row of the item came from reviewers' decisions on single
    suggestions (``labels.source`` "review"; no import, labelling page's or second
    labeller's row, which give the item's whole set), and a suggestion of the model for
    it is still open in the review queue (a ``prediction`` row whose label the gold in
    force does not already give: it is still asked). Trained on as it is, the gold would
    say that label does not apply before anyone decided it."""
    labels, q = schema.labels, schema.review_queue
    whole = schema.labels.alias("whole_label")
    ids = sorted(set(item_ids))
    out: set[str] = set()
    for chunk in id_batches(conn, ids):
        reviewed = sorted(conn.execute(sa.select(labels.c.item_id).where(
            among(conn, labels.c.item_id, chunk), labels.c.active.is_(True),
            labels.c.source == "review",
            ~sa.exists().where(whole.c.item_id == labels.c.item_id,
                               whole.c.active.is_(True),
                               sa.or_(whole.c.source.is_(None),
                                      whole.c.source != "review"))).distinct()).scalars())
        if not reviewed:
            continue
        out.update(conn.execute(sa.select(q.c.item_id).where(
            among(conn, q.c.item_id, reviewed), q.c.kind == "prediction", q.c.status == "open",
            ~sa.exists().where(labels.c.item_id == q.c.item_id,
                               labels.c.label == q.c.label, in_force(labels)))
            .distinct()).scalars())
    return out


def items_labelled(conn: sa.Connection, label: str) -> set[str]:
    """The items whose gold labels in force (:func:`glamlab.store.gold.in_force`) give
    ``label``: a person said it applies (the filter list holds them back where it is the
    project's ``positive_label``)."""
    labels = schema.labels
    return {r[0] for r in conn.execute(sa.select(labels.c.item_id).where(
        labels.c.label == label, in_force(labels)))}


def _span_gold_items(conn: sa.Connection, item_ids: Iterable[str],
                     clause: Any) -> set[str]:
    sets = schema.span_sets
    ids = sorted(set(item_ids))
    out: set[str] = set()
    for ids_part in id_batches(conn, ids):
        out.update(conn.execute(sa.select(sets.c.item_id).distinct().where(
            among(conn, sets.c.item_id, ids_part), sets.c.kind == "gold",
            clause(sets.c.item_id))).scalars())
    return out


def complete_span_gold_items(conn: sa.Connection, item_ids: Iterable[str]) -> set[str]:
    """The items among ``item_ids`` whose text has complete gold spans
    (:func:`complete_span_gold`), for candidates not yet in the queue: each of their
    predicted spans is settled by that gold, as above."""
    return _span_gold_items(conn, item_ids, complete_span_gold)


def changed_span_gold_items(conn: sa.Connection, item_ids: Iterable[str]) -> set[str]:
    """The items among ``item_ids`` whose gold spans were made on an earlier text of the
    item (:func:`changed_span_gold`)."""
    return _span_gold_items(conn, item_ids, changed_span_gold)


def fitting_span_sets(conn: sa.Connection, set_ids: Iterable[int]) -> set[int]:
    """The span sets among ``set_ids`` made on the text their item has now
    (:func:`span_gold_fits`, the one definition): what Python code that holds a set
    asks (:func:`glamlab.tasks.spans.gold.fitting_spans`, the spans people saved, the
    spans of a split), one query per 900 sets, so that it never decides otherwise than
    the queue and training do."""
    g = schema.span_sets.alias("gold_set")
    ids = sorted({int(i) for i in set_ids})
    out: set[int] = set()
    for ids_part in id_batches(conn, ids):
        out.update(int(x) for x in conn.execute(sa.select(g.c.id).where(
            among(conn, g.c.id, ids_part), span_gold_fits(g))).scalars())
    return out
