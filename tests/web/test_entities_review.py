"""The span review widget: a predicted span highlighted in its text, accepted or given
another type by a reviewer in the web app; the answer becomes gold in the span store."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import PASSWORD, csrf_of, login

DATA = Path(__file__).resolve().parents[1] / "data" / "ner"


@pytest.fixture
def entities_ws(make_ws: Any) -> Any:
    from glamlab.actions import act
    from glamlab.auth import add_user
    from glamlab.inference.runner import run
    from glamlab.registry.training import train
    from glamlab.tasks import split_labels
    from glamlab.tasks.spans import import_spans

    ws = make_ws("ner", task="entities", kind="entities", modality="text",
                 labels=["PER", "LOC", "ORG", "PROD", "TIME"], metric="strict_micro_f1")
    import_spans(ws, DATA / "newseye-fr-gold.tsv")
    split_labels(ws, test_size=0.3, seed=0, group_by="document_id")
    train(ws, "gazetteer", name="gazetteer")
    run(ws, "gazetteer@1", workers=1, handle_signals=False)
    act(ws, model="gazetteer@1")
    add_user(ws, "rey", PASSWORD, "reviewer")
    return ws


def test_a_reviewer_sees_the_span_and_changes_its_type(entities_ws: Any) -> None:
    from fastapi.testclient import TestClient

    from glamlab.tasks.spans import gold_spans
    from glamlab.tasks.splits import split_of
    from glamlab.web import create_app

    ws = entities_ws
    with TestClient(create_app(ws)) as c:
        assert login(c, "rey").status_code == 303
        page = c.get("/queue?limit=50")
        assert page.status_code == 200
        marks = re.findall(r'<mark class="ent ent-(\w+)"[^>]*>([^<]+)</mark>', page.text)
        assert marks, "no highlighted span on the review page"
        rows = c.get("/api/queue?limit=200").json()
        splits = split_of(ws)
        row = next(r for r in rows if splits.get(r["item_id"]) != "test")
        v = row["value"]
        new = "ORG" if row["label"] != "ORG" else "LOC"
        r = c.post("/queue/decide", data={
            "csrf": csrf_of(c), "one": f"{row['id']}:{row['version']}:correct",
            f"label_{row['id']}": new,
            f"value_{row['id']}": json.dumps({"start": v["start"], "end": v["end"]})},
            follow_redirects=False)
        assert r.status_code in (200, 303), r.text
    gold = gold_spans(ws, [row["item_id"]])[row["item_id"]]
    assert any((s.start, s.end, s.label) == (v["start"], v["end"], new) for s in gold)
    # a correction outside the text is refused and changes nothing
    with TestClient(create_app(ws)) as c:
        login(c, "rey")
        rows = c.get("/api/queue?limit=200").json()
        other = next(r for r in rows if splits.get(r["item_id"]) != "test"
                     and r["id"] != row["id"])
        before = gold_spans(ws, [other["item_id"]])[other["item_id"]]
        bad = c.post("/queue/decide", data={
            "csrf": csrf_of(c), "one": f"{other['id']}:{other['version']}:correct",
            f"label_{other['id']}": "PER",
            f"value_{other['id']}": json.dumps({"start": 0, "end": 100000})},
            follow_redirects=False)
        assert bad.status_code >= 400 or "outside" in bad.text
    assert gold_spans(ws, [other["item_id"]])[other["item_id"]] == before
