"""Build predictions directly through the store (no dependency on glamlab run)."""

from __future__ import annotations

from typing import Any

from glamlab.store import now


def add_items(ws: Any, items: list[dict[str, Any]]) -> None:
    """items: dicts with item_id and optionally meta, uri, source_kind."""
    t = ws.store.t
    with ws.store.write() as conn:
        conn.execute(t.items.insert(), [{
            "item_id": it["item_id"], "version": 1, "is_current": True,
            "modality": it.get("modality", "image"), "source_kind": it.get("source_kind", "folder"),
            "source": it.get("source", "test"), "uri": it.get("uri", f"/scans/{it['item_id']}.jpg"),
            "page": None, "content_hash": f"h-{it['item_id']}", "text": None, "width": 100,
            "height": 100, "meta": it.get("meta", {}), "ingest_id": None, "created_at": now(),
        } for it in items])


def add_gold(ws: Any, gold: dict[str, str | list[str]], split: str = "test") -> None:
    t = ws.store.t
    with ws.store.write() as conn:
        rows = []
        for item_id, labels in gold.items():
            for label in [labels] if isinstance(labels, str) else labels:
                rows.append({"item_id": item_id, "label": label, "annotator": "curator",
                             "source": "test", "active": True, "created_at": now()})
        conn.execute(t.labels.insert(), rows)
        conn.execute(t.splits.insert(), [{"item_id": i, "split": split, "created_at": now()}
                                         for i in gold])


def add_model(ws: Any, name: str = "m", version: int = 1, predictor: str = "dummy",
              card: dict[str, Any] | None = None) -> int:
    t = ws.store.t
    with ws.store.write() as conn:
        return int(conn.execute(t.models.insert().values(
            name=name, version=version, predictor=predictor, params={}, path=None,
            artifacts={}, training_fingerprint=None, metrics={}, card=card or {},
            created_at=now())).inserted_primary_key[0])


def add_predictions(ws: Any, model_id: int, preds: dict[str, dict[str, float]],
                    multi_label: bool = False) -> int:
    """preds: item_id -> label scores ({}: no label at all). Returns the run id."""
    t = ws.store.t
    with ws.store.write() as conn:
        run_id = int(conn.execute(t.runs.insert().values(
            model_id=model_id, status="done", engine="local", workers=1, query={},
            planned=len(preds), done=len(preds), failed=0, started_at=now(),
            finished_at=now())).inserted_primary_key[0])
        rows = []
        for item_id, scores in preds.items():
            if not scores:  # a prediction that gives no label at all
                rows.append({"run_id": run_id, "model_id": model_id, "item_id": item_id,
                             "label": None, "labels": [], "scores": {}, "score": None,
                             "created_at": now()})
                continue
            top, score = max(scores.items(), key=lambda kv: kv[1])
            rows.append({"run_id": run_id, "model_id": model_id, "item_id": item_id,
                         "label": None if multi_label else top,
                         "labels": [k for k, v in scores.items() if v >= 0.5] if multi_label
                         else [top],
                         "scores": scores, "score": None if multi_label else score,
                         "created_at": now()})
        conn.execute(t.predictions.insert(), rows)
    return run_id


def act_on_two_pages(ws: Any) -> None:
    """A blank-pages project's items ``p1`` and ``p2`` predicted by ``blanks@1`` (p1
    blank, p2 content, each 97% sure or more) and acted on (``glamlab act``) with a policy
    that accepts both into the field ``page_type``."""
    from glamlab.actions import act

    mid = add_model(ws, "blanks", 1)
    add_predictions(ws, mid, {"p1": {"blank": 0.99, "content": 0.01},
                              "p2": {"content": 0.97, "blank": 0.03}})
    ws.card.raw["policy"] = {"field": "page_type", "labels": {
        "blank": {"accept": 0.9, "review": 0.5}, "content": {"accept": 0.9, "review": 0.5}}}
    ws.save_card()
    act(ws)


def run_cli(capsys: Any, ws: Any, *args: str) -> tuple[int, str, str]:
    """``glamlab --workspace WS ARGS...`` in-process: (exit code, stdout, stderr)."""
    import pytest

    from glamlab.cli import main

    db = [] if ws.store.is_sqlite else ["--db", ws.store.url]  # (PostgreSQL: its URL)
    with pytest.raises(SystemExit) as exc:
        main(["--workspace", str(ws.root), *db, *args])
        raise SystemExit(0)
    out = capsys.readouterr()
    return int(exc.value.code or 0), out.out, out.err
