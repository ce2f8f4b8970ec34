"""The gold label in force: one definition for training, evaluation and the review queue.

An item may carry active ``labels`` rows from several annotators (an import, then a
reviewer's correction; two curators). The label *in force* is the active rows of the
annotator who labelled the item last (the one with the item's newest active row); the
other annotators' rows stay for agreement statistics but give no gold label.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from . import schema


def in_force(labels: sa.Table | None = None) -> Any:
    """The clause: this ``labels`` row is active and given by the annotator of its item's
    newest active row (``labels`` may be an alias of the table)."""
    t = schema.labels if labels is None else labels
    newer = schema.labels.alias("newest_label")
    latest = (sa.select(newer.c.annotator)
              .where(newer.c.item_id == t.c.item_id, newer.c.active.is_(True))
              .order_by(newer.c.id.desc()).limit(1).scalar_subquery())
    return sa.and_(t.c.active.is_(True), t.c.annotator == latest)
