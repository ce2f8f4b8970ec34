"""The entity index: GROUP BY in the database (SQLite, and PostgreSQL with GLAMLAB_TEST_PG)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from glamlab.errors import GlamlabError
from glamlab.linking import import_authority
from glamlab.linking.index import entity_index, entity_items
from glamlab.tasks.spans import Span, import_spans, record_spans

DATA = Path(__file__).resolve().parents[1] / "data" / "spans"


@pytest.fixture
def ws(make_ws, tmp_path):
    ws = make_ws(task="entities", modality="text", labels=["PER", "LOC", "ORG"])
    rows = [
        {"id": "a", "text": "Paris et PARIS.", "date": "1871-05-01", "entities": [
            {"start": 0, "end": 5, "label": "LOC", "authority_id": "Q90"},
            {"start": 9, "end": 14, "label": "LOC", "authority_id": "Q90"}]},
        {"id": "b", "text": "Paris, dit M. Thiers.", "date": "1871-06-02", "entities": [
            {"start": 0, "end": 5, "label": "LOC", "authority_id": "Q90"},
            {"start": 11, "end": 20, "label": "PER"}]},
        {"id": "c", "text": "M. THIERS à Paris.", "date": "1872", "entities": [
            {"start": 0, "end": 9, "label": "PER"},
            {"start": 12, "end": 17, "label": "ORG", "authority_id": "Q90"}]},
        {"id": "d", "text": "Un inconnu à Lyon.", "entities": [
            {"start": 13, "end": 17, "label": "LOC", "authority_id": "NIL"}]},
    ]
    src = tmp_path / "gold.jsonl"
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                   encoding="utf-8")
    import_spans(ws, src)
    authority = tmp_path / "auth.csv"
    authority.write_text("id,label,type\nQ90,Paris,LOC\n", encoding="utf-8")
    import_authority(ws, authority)
    return ws


def test_counts_by_entity_with_years(ws):
    index = entity_index(ws)
    by_key = {e["key"]: e for e in index}
    paris = by_key["authority:Q90"]
    assert index[0] is paris
    assert (paris["mentions"], paris["items"], paris["name"]) == (4, 3, "Paris")
    assert paris["by_year"] == {"1871": 3, "1872": 1}
    assert paris["labels"] == {"LOC": 3, "ORG": 1} and paris["label"] == "LOC"
    thiers = by_key["text:m thiers"]  # no link: the normalised text is the key
    assert (thiers["mentions"], thiers["items"], thiers["authority_id"]) == (2, 2, None)
    assert by_key["text:lyon"]["by_year"] == {"unknown": 1}  # NIL is not an authority


def test_keys_labels_limits_and_items(ws):
    assert [e["key"] for e in entity_index(ws, by="authority")] == ["Q90"]
    assert {e["key"] for e in entity_index(ws, by="text")} == {"paris", "m thiers", "lyon"}
    assert [e["key"] for e in entity_index(ws, label="PER")] == ["text:m thiers"]
    assert len(entity_index(ws, limit=1)) == 1
    assert [e["key"] for e in entity_index(ws, min_mentions=3)] == ["authority:Q90"]
    items = entity_items(ws, "Q90")
    assert [(i["item_id"], i["mentions"]) for i in items] == [("a", 2), ("b", 1), ("c", 1)]
    assert items[0]["date"] == "1871-05-01"
    assert [i["item_id"] for i in entity_items(ws, "M. Thiers")] == ["b", "c"]
    assert [i["item_id"] for i in entity_items(ws, "paris", by="text")] == ["a", "b", "c"]
    with pytest.raises(GlamlabError, match="unknown index key"):
        entity_index(ws, by="colour")


def test_prediction_spans_and_corrections(ws):
    with ws.store.write() as conn:
        record_spans(conn, ws, "d", ws.item("d").text, [Span(13, 17, "LOC",
                                                               authority_id="Q456")],
                     annotator="ner@1", source="run 1", kind="prediction", model_id=7)
    predicted = entity_index(ws, kind="prediction", model_id=7)
    assert [(e["key"], e["mentions"]) for e in predicted] == [("authority:Q456", 1)]
    assert entity_index(ws, kind="prediction", model_id=8) == []
    # the gold index is unchanged by predictions
    assert "authority:Q456" not in {e["key"] for e in entity_index(ws)}
