"""Workspaces with stored predictions, written straight into the store so that the
aggregation is tested against known numbers (the run engine has its own tests)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from glamlab.store import now


def add_model_with_predictions(ws: Any, preds: dict[str, dict[str, float]], *,
                               name: str = "m") -> int:
    """A model row, a finished run and one prediction per item id (label -> score)."""
    t = ws.store.t
    stamp = now()
    multi = ws.card.multi_label
    with ws.store.write() as conn:
        mid = conn.execute(t.models.insert().values(
            name=name, version=1, predictor="test", params={}, artifacts={}, metrics={},
            card={}, created_at=stamp)).inserted_primary_key[0]
        rid = conn.execute(t.runs.insert().values(
            model_id=mid, status="done", engine="local", workers=1, query={},
            planned=len(preds), done=len(preds), failed=0, started_at=stamp,
            finished_at=stamp)).inserted_primary_key[0]
        rows = []
        for item_id, scores in preds.items():
            top = max(scores, key=scores.__getitem__)
            labels = [k for k, v in scores.items() if v >= 0.5] if multi else [top]
            rows.append({"run_id": rid, "model_id": mid, "item_id": item_id,
                         "label": None if multi else top, "labels": labels,
                         "scores": scores, "score": scores[top], "created_at": stamp})
        conn.execute(t.predictions.insert(), rows)
    return int(mid)


def dumps(x: Any) -> str:
    return json.dumps(x)


def entities_workspace(make_ws: Any) -> Any:
    """An entities project: the NewsEye sample's gold spans (dated documents), split by
    document, a gazetteer trained on the training split and run over every sentence."""
    from glamlab.inference.runner import run
    from glamlab.registry.training import train
    from glamlab.tasks import split_labels
    from glamlab.tasks.spans import import_spans

    ws = make_ws("ner", task="entities", kind="entities", modality="text",
                 labels=["PER", "LOC", "ORG", "PROD", "TIME"], metric="strict_micro_f1")
    import_spans(ws, Path(__file__).resolve().parents[1] / "data" / "ner"
                 / "newseye-fr-gold.tsv")
    split_labels(ws, test_size=0.3, seed=0, group_by="document_id")
    train(ws, "gazetteer", name="gazetteer")
    run(ws, "gazetteer@1", workers=1, handle_signals=False)
    return ws
