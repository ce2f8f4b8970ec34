"""The review queue titles its items as the rest of glamlab does (Item.title): a page
from a IIIF manifest by its canvas ``label`` ("f. 1r"), not by its bare id, and a CSV
row never by a ``label`` column (most often its gold label)."""

from __future__ import annotations

from typing import Any

from glamlab.review import peek_queue
from glamlab.store import now
from glamlab.store import schema as s
from tests.tasks.helpers import add_items


def test_the_queue_titles_items_as_item_title_does(make_ws: Any) -> None:
    ws = make_ws(modality="text", labels=["map", "text"])
    add_items(ws, [
        {"id": "canvas-1", "text": "a page", "source_kind": "iiif", "meta": {"label": "f. 1r"}},
        {"id": "row-1", "text": "a row", "source_kind": "csv", "meta": {"label": "map"}},
        {"id": "row-2", "text": "a row", "source_kind": "csv", "meta": {"name": "Atlas"}},
        {"id": "row-3", "text": "a row", "source_kind": "csv", "meta": {"title": "Chart"}},
    ])
    with ws.store.write() as conn:
        conn.execute(s.review_queue.insert(), [
            {"item_id": i, "label": "map", "score": 0.5, "kind": "prediction",
             "status": "open", "version": 1, "created_at": now()}
            for i in ("canvas-1", "row-1", "row-2", "row-3")])
    titles = {r["item_id"]: r["title"] for r in peek_queue(ws, sort="score", limit=10)}
    assert titles == {"canvas-1": "f. 1r", "row-1": "row-1", "row-2": "Atlas",
                      "row-3": "Chart"}, titles
    assert {it.item_id: it.title or it.item_id for it in ws.items()} == titles
