"""Everything known about one item: predictions, labels, split, metadata, queue, decisions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from .decisions import list_decisions

if TYPE_CHECKING:
    from ..workspace import Workspace


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
