"""What the review queue shows a reviewer: the one definition every count of it uses
(the queue page, ``glamlab status``, the web overview, ``glamlab act``'s workload).

An open ``prediction`` row whose predicted label the item's gold label in force already
gives (:mod:`glamlab.store.gold`: the latest annotator's labels, the ones training and
evaluation use) is not asked about: a person has said so. It is *settled by a gold
label*, not lost: it stays open in the queue table, and shows again if that gold label
is withdrawn. A prediction that disagrees with the gold labels shows (with them), and a
``recheck`` row (about a gold label) always shows.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from . import schema
from .gold import in_force


def settled_by_gold(rq: sa.Table) -> Any:
    """The clause: the row's label is among its item's gold labels in force."""
    labels = schema.labels
    return sa.exists().where(labels.c.item_id == rq.c.item_id, labels.c.label == rq.c.label,
                             in_force(labels))


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
    for i in range(0, len(ids), 900):
        for item_id, label in conn.execute(sa.select(labels.c.item_id, labels.c.label).where(
                labels.c.item_id.in_(ids[i:i + 900]), in_force(labels))):
            out.setdefault(item_id, set()).add(label)
    return out
