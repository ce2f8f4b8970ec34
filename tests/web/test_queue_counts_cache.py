"""The queue page's counts come from a cache (glamlab.web.state.QueueCounts) that a
decision adjusts in place; they must equal what review.queue_counts counts afresh after
the actions that decide rows: an entity added, "Whole text checked", an accept. The
cache took one off the open count for every row decided, a row a gold label settles
(not in that count: a text marked checked) included, so the page said one fewer
waiting than there were."""

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


def test_cached_counts_equal_queue_counts_after_decisions(make_ws: Any, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from glamlab import review
    from glamlab.actions import act
    from glamlab.auth import add_user
    from glamlab.web import create_app
    from tests.ner_project import gold_and_new_texts

    ws, _gold = gold_and_new_texts(make_ws, tmp_path, 3)
    act(ws, model="gazetteer@1")
    add_user(ws, "rey", PASSWORD, "reviewer")

    def same(c: Any, what: str) -> None:
        fresh = review.queue_counts(ws)
        assert _counts(c.get("/queue").text) == (fresh["open"], fresh["decisions"]), what

    with TestClient(create_app(ws)) as c:
        assert login(c, "rey").status_code == 303
        same(c, "start")
        rows = [r for r in c.get("/api/queue?limit=200").json() if r["item_id"].startswith("new")]
        texts = sorted({r["item_id"] for r in rows})
        first = next(r for r in rows if r["item_id"] == texts[0])
        v = first["value"]
        r = c.post(f"/api/texts/{first['item_id']}/spans", headers={"X-CSRF-Token": csrf_of(c)},
                   json={"start": v["start"], "end": v["end"], "label": first["label"]})
        assert r.status_code in (200, 201), r.text
        same(c, "after an added entity")
        # a second entity on words no suggestion covers
        r = c.post(f"/api/texts/{first['item_id']}/spans", headers={"X-CSRF-Token": csrf_of(c)},
                   json={"start": 0, "end": 1, "label": first["label"]})
        assert r.status_code == 200 and not r.json()["settled"], r.text
        same(c, "after an added entity over no suggestion")
        r = c.post("/queue/text-done", data={"text_done": texts[1], "csrf": csrf_of(c)})
        assert r.status_code == 200
        same(c, "after whole text checked")
        x = next(x for x in rows if x["item_id"] == texts[2])
        r = c.post("/api/decisions", headers={"X-CSRF-Token": csrf_of(c)},
                   json={"queue_id": x["id"], "action": "accept", "seen_version": x["version"]})
        assert r.json()["ok"] and not r.json()["settled_by_gold"], r.text
        same(c, "after an accept")
        # a row of the checked text: hidden now (settled by its gold), decided all the same
        hidden = [x for x in rows if x["item_id"] == texts[1]]
        r = c.post("/api/decisions", headers={"X-CSRF-Token": csrf_of(c)},
                   json={"queue_id": hidden[0]["id"], "action": "accept",
                         "seen_version": hidden[0]["version"]})
        assert r.json()["ok"] and r.json()["settled_by_gold"], r.text
        same(c, "after deciding a row a gold label settled")
        v = hidden[1]["value"]
        r = c.post(f"/api/texts/{texts[1]}/spans", headers={"X-CSRF-Token": csrf_of(c)},
                   json={"start": v["start"], "end": v["end"], "label": hidden[1]["label"]})
        assert r.status_code == 200 and r.json()["settled"], r.text
        same(c, "after an entity added over a row a gold label settled")
