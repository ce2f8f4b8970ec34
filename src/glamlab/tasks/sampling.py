"""Choosing the items people should label next.

- ``random``: a seeded random sample of unlabelled items;
- ``stratified``: proportional to a metadata field (default: the source), so every
  book or collection gets its share;
- ``uncertainty``: the items a model is least sure about (least confident for
  single-label; closest to 0.5 on some label for multi-label). Needs a model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..errors import LabelError

if TYPE_CHECKING:
    from ..workspace import Workspace

STRATEGIES = ("random", "stratified", "uncertainty")


@dataclass
class Sample:
    strategy: str
    items: list[dict[str, Any]]
    pool: int  # unlabelled items considered
    failed: list[dict[str, str]] = field(default_factory=list)
    model: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dict(vars(self))


def unlabelled_ids(ws: Workspace) -> list[str]:
    t = ws.store.t
    labelled = sa.select(t.labels.c.item_id).where(t.labels.c.active.is_(True))
    with ws.store.read() as conn:
        return [r[0] for r in conn.execute(
            sa.select(t.items.c.item_id).where(t.items.c.is_current.is_(True),
                                               t.items.c.item_id.not_in(labelled))
            .order_by(t.items.c.item_id))]


def sample_items(ws: Workspace, n: int, *, strategy: str = "random", seed: int = 0,
                 by: str = "source", model: str | None = None, pool: int = 5000) -> Sample:
    """Pick ``n`` unlabelled items to label next."""
    import numpy as np

    if strategy not in STRATEGIES:
        raise LabelError(f"unknown sampling strategy {strategy!r}",
                         hint=f"choose one of {', '.join(STRATEGIES)}")
    if n < 1:
        raise LabelError("--n must be at least 1")
    ids = unlabelled_ids(ws)
    if not ids:
        raise LabelError("every item is labelled already; nothing to sample")
    rng = np.random.default_rng(seed)
    if strategy == "random":
        chosen = [ids[i] for i in sorted(rng.choice(len(ids), size=min(n, len(ids)),
                                                    replace=False))]
        return Sample(strategy, [{"id": i} for i in chosen], pool=len(ids))
    if strategy == "stratified":
        groups: dict[str, list[str]] = {}
        for item in ws.items(ids=ids):
            key = item.meta.get(by) if by in item.meta else getattr(item, by, None)
            groups.setdefault(str(key), []).append(item.item_id)
        take = _proportional(n=min(n, len(ids)), sizes={g: len(v) for g, v in groups.items()})
        out = []
        for g, k in take.items():
            members = groups[g]
            for i in sorted(rng.choice(len(members), size=k, replace=False)):
                out.append({"id": members[i], by: g})
        return Sample(strategy, out, pool=len(ids))
    # uncertainty
    if not model:
        raise LabelError("uncertainty sampling needs a model to ask",
                         hint="train one (glamlab train PREDICTOR) and pass --model NAME")
    from ..evaluation.predict import predict_items
    from ..registry import load_model

    mv, predictor = load_model(ws, model)
    if len(ids) > pool:
        ids = [ids[i] for i in sorted(rng.choice(len(ids), size=pool, replace=False))]
    items = list(ws.items(ids=ids))
    result = predict_items(predictor, items)
    proba = result.proba
    ok = ~np.isnan(proba).any(axis=1)
    if predictor.multi_label_:
        uncertainty = 1.0 - 2.0 * np.abs(proba - 0.5).min(axis=1)
    else:
        uncertainty = 1.0 - proba.max(axis=1)
    uncertainty = np.where(ok, uncertainty, -np.inf)
    order = np.argsort(-uncertainty, kind="stable")[: min(n, int(ok.sum()))]
    out = []
    for r in order:
        top = int(np.argmax(proba[r]))
        out.append({"id": items[r].item_id, "uncertainty": round(float(uncertainty[r]), 4),
                    "model_guess": predictor.classes_[top],
                    "score": round(float(proba[r, top]), 4)})
    return Sample(strategy, out, pool=len(items), failed=result.failures, model=mv.spec)


def _proportional(n: int, sizes: dict[str, int]) -> dict[str, int]:
    """Largest-remainder allocation of ``n`` over groups, capped by group size."""
    total = sum(sizes.values())
    quotas = {g: n * s / total for g, s in sizes.items()}
    take = {g: min(int(q), sizes[g]) for g, q in quotas.items()}
    left = n - sum(take.values())
    for g in sorted(quotas, key=lambda g: quotas[g] - int(quotas[g]), reverse=True):
        if left <= 0:
            break
        if take[g] < sizes[g]:
            take[g] += 1
            left -= 1
    return {g: k for g, k in take.items() if k > 0}
