"""The gold label in force: one definition for training, evaluation and the review queue.

An item may carry active ``labels`` rows from several annotators (an import, then a
reviewer's correction; two curators). The label *in force* is the active rows of the
annotator who labelled the item last (the one with the item's newest active row); the
other annotators' rows stay for agreement statistics but give no gold label.

A second labeller's blind label (source :data:`SECOND`, the Labelling page's "label a
sample again") is kept for the agreement only: it is in force only where no other
person's label is active, so checking the agreement never changes the gold label (of a
frozen test set above all). A disagreement is settled by a label given on purpose.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from . import schema
from .ids import among, id_batches

#: ``labels.source`` of a label given blind, as a second labeller (agreement only)
SECOND = "second labeller"
#: ``labels.source`` of a reviewer's decision on one suggested label (in a multi-label
#: project, not the item's whole set: :func:`glamlab.store.queue.partial_review_label_items`)
REVIEW = "review"
#: ``labels.source`` of a multi-label record's whole set a reviewer saved as checked
#: (:func:`glamlab.tasks.partial_labels.check_record`): the terms reviewers accepted or
#: added and those the policy accepted that nobody rejected; every other term absent
RECORD_CHECKED = "review: whole record checked"
#: ``labels.source`` of a multi-label record's whole set saved when the last of its
#: suggestions was decided (:func:`glamlab.review.decisions._last_suggestion`): what it
#: trains with, as a checked record's, but the reviewer did not say they checked the whole
#: record (they decided its suggestions, one at a time), so no export says they did
ALL_DECIDED = "review: every suggestion decided"
#: the ``labels.label`` of a checked record that has none of the project's terms (every
#: suggestion rejected, none accepted by the policy): its whole set is empty, so it trains
#: as a record none of the terms applies to (:meth:`MultiLabel.gold_from_rows`)
NO_TERMS = ""
#: the sources of gold that came from review (what a reviewer's corrections count)
REVIEW_SOURCES = (REVIEW, RECORD_CHECKED, ALL_DECIDED)


def in_force(labels: sa.Table | None = None) -> Any:
    """The clause: this ``labels`` row is active and given by the annotator of its item's
    newest active row, a second labeller's rows (:data:`SECOND`) counting only where the
    item has no other active row (``labels`` may be an alias of the table)."""
    t = schema.labels if labels is None else labels
    newer = schema.labels.alias("newest_label")
    second_last = sa.case((newer.c.source == SECOND, 1), else_=0)
    latest = (sa.select(newer.c.annotator)
              .where(newer.c.item_id == t.c.item_id, newer.c.active.is_(True))
              .order_by(second_last, newer.c.id.desc()).limit(1).scalar_subquery())
    return sa.and_(t.c.active.is_(True), t.c.annotator == latest)


def from_review(conn: sa.Connection, ids: Sequence[str]) -> set[str]:
    """The items among ``ids`` whose label in force (:func:`in_force`) came from review:
    a person deciding on a model's prediction (``labels`` rows with source "review",
    written by :mod:`glamlab.review.decisions`), or a multi-label record a reviewer
    checked whole (:data:`RECORD_CHECKED`) or whose every suggestion was decided
    (:data:`ALL_DECIDED`). A later annotator's label (an import,
    the labelling page) replaces it, and the item no longer counts."""
    t = schema.labels
    found: set[str] = set()
    ids = list(ids)
    for ids_part in id_batches(conn, ids):
        found.update(r[0] for r in conn.execute(
            sa.select(t.c.item_id).where(in_force(t), t.c.source.in_(REVIEW_SOURCES),
                                         among(conn, t.c.item_id, ids_part))
            .distinct()))
    return found
