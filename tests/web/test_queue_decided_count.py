"""The review queue's "N waiting for a person, M decided" counted every row of the
decisions table, an entity a reviewer added included: after adding one (which decided
one model span with it) the page said 2 decided where one suggestion of the queue was,
so waiting plus decided no longer added up to what was sent to people (and the reports
page said 1 already decided). It counts the queue's suggestions a person decided."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from .conftest import PASSWORD, csrf_of, login


def _counts(page: str) -> tuple[int, int]:
    waiting = re.search(r'<b id="open-count">(\d+)</b>', page)
    decided = re.search(r'<b id="decision-count">(\d+)</b>', page)
    assert waiting and decided
    return int(waiting.group(1)), int(decided.group(1))


def test_an_added_entity_is_not_counted_as_a_decided_suggestion(make_ws: Any,
                                                                tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from glamlab import review
    from glamlab.actions import act
    from glamlab.auth import add_user
    from glamlab.web import create_app
    from tests.ner_project import gold_and_new_texts

    ws, _gold = gold_and_new_texts(make_ws, tmp_path, 2)
    act(ws, model="gazetteer@1")
    add_user(ws, "rey", PASSWORD, "reviewer")
    with TestClient(create_app(ws)) as c:
        assert login(c, "rey").status_code == 303
        waiting, decided = _counts(c.get("/queue").text)
        assert decided == 0
        row = next(r for r in c.get("/api/queue?limit=200").json()
                   if r["item_id"].startswith("new"))
        v = row["value"]
        # the model's very span added as the reviewer's: it decides that suggestion
        r = c.post(f"/api/texts/{row['item_id']}/spans", headers={"X-CSRF-Token": csrf_of(c)},
                   json={"start": v["start"], "end": v["end"], "label": row["label"]})
        assert r.status_code in (200, 201), r.text
    with TestClient(create_app(ws)) as c:  # counted afresh
        assert login(c, "rey").status_code == 303
        now_waiting, now_decided = _counts(c.get("/queue").text)
    assert now_waiting == waiting - 1
    assert now_decided == 1, (now_waiting, now_decided)
    assert review.queue_counts(ws)["decisions"] == 1
