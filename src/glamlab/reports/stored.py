"""Stage results as stored, rebuilt for the reports (no model is loaded, nothing is
recomputed): the latest evaluation, as ``glamlab evaluate --html`` would show it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

if TYPE_CHECKING:
    from ..evaluation import EvaluationResult
    from ..workspace import Workspace

_CANDIDATE_FIELDS = ("name", "kind", "predictor", "model_id", "spec", "metrics", "per_label",
                     "confusion", "failures", "items", "seconds", "items_per_s",
                     "cost_per_1000", "slices", "service", "calls", "cached", "spent")


def latest_evaluation(ws: Workspace, *, with_baselines: bool = False
                      ) -> EvaluationResult | None:
    """The newest ``glamlab evaluate`` (every candidate it compared), or None. With
    ``with_baselines``, the newest that compared models with the baselines (its verdict
    says whether to automate; a retrain's comparison of the model in use with its challenger
    does not), when there is one."""
    from types import SimpleNamespace

    from ..evaluation import CandidateResult, EvaluationResult
    from ..evaluation.bootstrap import Comparison
    from ..workspace.verdict import baseline_verdict

    t = ws.store.t.evaluations
    found = baseline_verdict(ws) if with_baselines else None
    with ws.store.read() as conn:
        newest: Any = SimpleNamespace(**{k: found[k] for k in (
            "created_at", "test_fingerprint", "metric")}) if found else conn.execute(
            sa.select(t.c.created_at, t.c.test_fingerprint, t.c.metric)
            .order_by(t.c.id.desc()).limit(1)).first()
        if newest is None:
            return None
        rows = conn.execute(sa.select(t).where(
            t.c.created_at == newest.created_at, t.c.test_fingerprint == newest.test_fingerprint,
            t.c.metric == newest.metric).order_by(t.c.id)).all()
    candidates, comparisons, seen = [], [], set()
    first: dict[str, Any] = {}
    for r in rows:
        res = dict(r.results or {})
        first = first or res
        fields: dict[str, Any] = {f: res.get(f) for f in _CANDIDATE_FIELDS}
        fields["name"] = fields["name"] or r.candidate
        fields["metrics"] = fields["metrics"] or {}
        if r.metric not in fields["metrics"]:
            continue  # a stored row from an older format: nothing to draw
        fields["per_label"] = fields["per_label"] or []
        fields["failures"] = fields["failures"] or []
        fields["slices"] = fields["slices"] or {}
        fields["items"] = int(fields["items"] or 0)
        fields["seconds"] = float(fields["seconds"] or 0.0)
        fields["cost_per_1000"] = float(fields["cost_per_1000"] or 0.0)
        fields["calls"] = int(fields["calls"] or 0)
        fields["cached"] = int(fields["cached"] or 0)
        fields["spent"] = float(fields["spent"] or 0.0)
        fields["kind"] = fields["kind"] or ""
        fields["predictor"] = fields["predictor"] or ""
        candidates.append(CandidateResult(**fields))
        for c in res.get("comparisons") or []:
            pair = (c.get("a"), c.get("b"))
            if pair in seen:
                continue
            seen.add(pair)
            comparisons.append(Comparison(**{k: c.get(k) for k in (
                "a", "b", "metric", "a_value", "b_value", "difference", "low", "high",
                "p_value", "n_boot", "mcnemar")}))
    if not candidates:
        return None
    classes = [p["label"] for p in candidates[0].per_label]
    return EvaluationResult(
        metric=newest.metric, multi_label=bool(ws.card.multi_label), classes=classes,
        test_items=int(first.get("test_items") or 0), test_fingerprint=newest.test_fingerprint,
        test_labels={}, candidates=candidates, comparisons=comparisons,
        warnings=list(first.get("warnings") or []), verdict=str(first.get("verdict") or ""),
        count_metric=first.get("count_metric"), count_summary=first.get("count_summary"),
        n_boot=int(first.get("n_boot") or 0), k=first.get("k"), currency=ws.card.currency)
