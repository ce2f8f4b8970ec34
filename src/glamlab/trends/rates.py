"""The classifier's error rates, measured on labelled items.

:func:`labelled_rates` is the one place that decides which labelled items the corrected
counts learn the classifier's errors from. Today that is the workspace's frozen test split
(the only labelled items the model never trained on); a calibration split (out-of-fold
predictions on the training split) replaces it here, and nowhere else, when it exists.

Scores come from the model's stored predictions for those items where a run made them,
and from the model itself for the rest (nothing is written).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import sqlalchemy as sa

from ..errors import TrendsError
from .aggregate import THRESHOLD
from .buckets import GroupBy
from .quantify import BINS, STRATA_STRENGTH, ErrorRates

if TYPE_CHECKING:
    from ..registry import ModelVersion
    from ..workspace import Workspace

SOURCE = "test split"


def labelled_rates(ws: Workspace, model: ModelVersion, labels: Sequence[str], *,
                   bins: int = BINS, threshold: float = THRESHOLD,
                   by: GroupBy | None = None, strength: float = STRATA_STRENGTH
                   ) -> dict[str, ErrorRates] | dict[str, dict[str | None, ErrorRates]]:
    """Label -> :class:`ErrorRates` of ``model`` on the workspace's labelled items.

    With ``by``, label -> group -> the rates measured on the labelled items of that group
    (grouped like the trend), each blended with the overall rates (``strength``
    pseudo-items per class, :meth:`ErrorRates.blend`; each group's own rates with
    ``strength=0``, what :func:`glamlab.trends.quantify.choose` cross-validates on); the
    overall rates are under the group key ``"*"``. A classifier often errs differently in different decades or
    sources; per-group rates follow that, where label-shift corrections assume it away."""
    from ..tasks.splits import test_data

    data = test_data(ws, reader="trends")
    scores: dict[str, dict[str, float]] = {}
    top: dict[str, str | None] = {}
    for r in stored_predictions(ws, model.id, data.ids):
        scores[r.item_id] = dict(r.scores or {})
        top[r.item_id] = r.label
    missing = [it for it in data.items if it.item_id not in scores]
    if missing:
        from ..registry import load_model
        from ..tasks.kinds import task_kind
        from ..tasks.predict import predict_items

        _, predictor = load_model(ws, model.spec)
        kind = task_kind(ws.card)
        result = predict_items(kind, predictor, missing)
        for it, p in zip(missing, result.predictions, strict=True):
            if p is None:
                continue  # an unreadable item: recorded in result.failures, left out here
            stored = kind.to_stored(p)
            scores[it.item_id] = {k: float(v) for k, v in (stored.scores or {}).items()}
            top[it.item_id] = stored.label
    kept = [(it.item_id, ys) for it, ys in zip(data.items, data.labels, strict=True)
            if it.item_id in scores]
    if not kept:
        raise TrendsError(f"model {model.spec} has no scores for any labelled test item",
                          hint="check the model's labels match the workspace's")
    multi = ws.card.multi_label
    source = f"{SOURCE}, {len(kept)} items"
    out = {}
    for label in labels:
        truth = np.array([label in ys for _, ys in kept])
        s = np.array([scores[i].get(label, 0.0) for i, _ in kept], dtype=float)
        predicted = s >= threshold if multi else np.array([top[i] == label for i, _ in kept])
        out[label] = ErrorRates.from_predictions(label, truth, s, predicted, bins=bins,
                                                 source=source)
        if by is not None:
            meta = {it.item_id: it for it in data.items}
            keys = np.array([str(by.key(_field(meta[i], by.field))) for i, _ in kept])
            groups: dict[str | None, ErrorRates] = {"*": out[label]}
            for g in sorted(set(keys)):
                m = keys == g
                own = ErrorRates.from_predictions(label, truth[m], s[m], predicted[m], bins=bins,
                                                  source=f"{SOURCE}, {int(m.sum())} items of {g}")
                groups[None if g == "None" else g] = (own.blend(out[label], strength)
                                                        if strength > 0 else own)
            out[label] = groups  # type: ignore[assignment]
    return out


def stored_predictions(ws: Workspace, model_id: int, ids: Sequence[str]) -> list[sa.Row[Any]]:
    """The stored predictions of ``model_id`` for the items ``ids`` (rows with ``item_id``,
    ``label``, ``labels``, ``scores``, ``score``): what a run already made, so that the
    labelled items are not predicted again."""
    t = ws.store.t.predictions
    out: list[sa.Row[Any]] = []
    with ws.store.read() as conn:
        for i in range(0, len(ids), 900):
            out.extend(conn.execute(sa.select(t.c.item_id, t.c.label, t.c.labels, t.c.scores,
                                              t.c.score)
                                    .where(t.c.model_id == model_id,
                                           t.c.item_id.in_(list(ids[i:i + 900])))))
    return out


def _field(item: object, name: str) -> object:
    if name in ("modality", "source_kind", "source"):
        return getattr(item, name)
    return (getattr(item, "meta", None) or {}).get(name)
