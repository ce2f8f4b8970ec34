"""A reviewer who accepts the model's span in the review queue is named in the entity
exports (``confirmed_by``), but ``created`` said when the model predicted it, so no
download said when the reviewer confirmed it (a corrected span said when it was
corrected). A span a person confirmed now says when they did, as the classification
export's ``created`` does; a span nobody confirmed keeps the prediction's time."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from .conftest import PASSWORD, csrf_of, login

LONG_AGO = datetime(2020, 1, 2, 3, 4, 5)


def test_an_accepted_span_says_when_the_reviewer_accepted_it(make_ws: Any,
                                                             tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from glamlab.actions import act
    from glamlab.auth import add_user
    from glamlab.web import create_app
    from tests.ner_project import gold_and_new_texts

    ws, _gold = gold_and_new_texts(make_ws, tmp_path, 3)
    with ws.store.write() as conn:  # predicted long ago: the decision comes years later
        conn.execute(ws.store.t.predictions.update().values(created_at=LONG_AGO))
    act(ws, model="gazetteer@1")
    add_user(ws, "rey", PASSWORD, "reviewer")
    app = create_app(ws)
    with TestClient(app) as c:
        assert login(c, "rey").status_code == 303
        rows = c.get("/api/queue?limit=200").json()
        row = next(r for r in rows if r["item_id"].startswith("new"))
        r = c.post("/api/decisions", json={"queue_id": row["id"], "action": "accept",
                                           "seen_version": row["version"]},
                   headers={"X-CSRF-Token": csrf_of(c)})
        assert r.status_code == 200 and r.json()["ok"], r.text
        downloads = {fmt: c.get(f"/stages/export/download?format={fmt}")
                     for fmt in ("csv", "jsonl")}
    app.state.refresher.wait(120)
    for r in downloads.values():
        assert r.status_code == 200, r.text
    with ws.store.read() as conn:
        decided = conn.execute(sa.select(ws.store.t.decisions.c.created_at).where(
            ws.store.t.decisions.c.queue_id == row["id"])).scalar_one()
    when = decided.isoformat(timespec="seconds")
    v = row["value"]

    csv_rows = list(csv.DictReader(io.StringIO(downloads["csv"].content.decode("utf-8-sig"))))
    mine = [x for x in csv_rows if x["item_id"] == row["item_id"]
            and (int(x["start"]), int(x["end"])) == (v["start"], v["end"])]
    assert len(mine) == 1 and mine[0]["confirmed_by"] == "rey", mine
    assert mine[0]["created"].startswith(when), (mine[0]["created"], when)
    # the spans nobody decided keep the time the model predicted them
    others = [x for x in csv_rows if not x["confirmed_by"]]
    assert others and all(x["created"].startswith("2020-01-02T03:04:05") for x in others)

    docs = [json.loads(line) for line in downloads["jsonl"].text.splitlines() if line]
    doc = next(d for d in docs if d["id"] == row["item_id"])
    entity = next(e for e in doc["entities"] if (e["start"], e["end"]) == (v["start"], v["end"]))
    prov = entity.get("provenance") or doc["provenance"]  # its own, where it differs
    assert prov["confirmed_by"] == "rey", doc
    assert prov["created"].startswith(when) and prov["model"] == "gazetteer"


def test_two_spans_one_reviewer_accepted_at_different_times_each_say_their_own(
        make_ws: Any, tmp_path: Path) -> None:
    """One provenance per text and reviewer gave both spans the later time: each span a
    person accepted says when they accepted that one."""
    from fastapi.testclient import TestClient

    from glamlab.actions import act
    from glamlab.auth import add_user
    from glamlab.web import create_app
    from tests.ner_project import gold_and_new_texts

    ws, _gold = gold_and_new_texts(make_ws, tmp_path, 3)
    act(ws, model="gazetteer@1")
    add_user(ws, "rey", PASSWORD, "reviewer")
    dec = ws.store.t.decisions
    app = create_app(ws)
    with TestClient(app) as c:
        assert login(c, "rey").status_code == 303
        rows = [r for r in c.get("/api/queue?limit=200").json() if r["item_id"].startswith("new")]
        by_text: dict[str, list[dict[str, Any]]] = {}
        for r in rows:
            by_text.setdefault(r["item_id"], []).append(r)
        first, second = next(v for v in by_text.values() if len(v) >= 2)[:2]
        for n, row in enumerate((first, second)):
            r = c.post("/api/decisions", json={"queue_id": row["id"], "action": "accept",
                                               "seen_version": row["version"]},
                       headers={"X-CSRF-Token": csrf_of(c)})
            assert r.status_code == 200 and r.json()["ok"], r.text
            if n == 0:  # the first one decided a day before the second
                with ws.store.write() as conn:
                    conn.execute(dec.update().where(dec.c.queue_id == row["id"]).values(
                        created_at=datetime(2025, 3, 4, 5, 6, 7)))
        got = c.get("/stages/export/download?format=csv")
    app.state.refresher.wait(120)
    assert got.status_code == 200, got.text
    csv_rows = list(csv.DictReader(io.StringIO(got.content.decode("utf-8-sig"))))
    with ws.store.read() as conn:
        when = {q: t.isoformat(timespec="seconds") for q, t in conn.execute(
            sa.select(dec.c.queue_id, dec.c.created_at).where(
                dec.c.queue_id.in_([first["id"], second["id"]])))}
    assert when[first["id"]] == "2025-03-04T05:06:07"
    for row in (first, second):
        v = row["value"]
        mine = [x for x in csv_rows if x["item_id"] == row["item_id"]
                and (int(x["start"]), int(x["end"])) == (v["start"], v["end"])]
        assert len(mine) == 1 and mine[0]["confirmed_by"] == "rey", mine
        assert mine[0]["created"].startswith(when[row["id"]]), (mine, when)


@pytest.mark.browser
@pytest.mark.slow
def test_keyboard_decisions_reach_the_downloaded_csv_with_who_and_when_in_a_real_browser(
        make_ws: Any, tmp_path: Path) -> None:
    """In Chromium, as a reviewer works: ``a`` accepts the first card's span, ``r``
    rejects the next one's; the spreadsheet downloaded from the Export page holds the
    accepted span, confirmed by rey when rey accepted it, and not the rejected one."""
    from glamlab.actions import act
    from glamlab.auth import add_user
    from tests.ner_project import gold_and_new_texts

    from .conftest import chromium_page

    ws, _gold = gold_and_new_texts(make_ws, tmp_path, 3)
    with ws.store.write() as conn:
        conn.execute(ws.store.t.predictions.update().values(created_at=LONG_AGO))
    act(ws, model="gazetteer@1")
    add_user(ws, "rey", PASSWORD, "reviewer")
    decided: dict[str, dict[str, Any]] = {}
    with chromium_page(ws, "/queue") as (sync_api, page, errors):
        rows = {r["id"]: r for r in page.evaluate(
            "async () => (await fetch('/api/queue?limit=200')).json()")}
        for key, said in (("a", "Accepted."), ("r", "Rejected.")):
            first = page.locator(".qitem").first
            qid = int(first.get_attribute("data-queue-id") or 0)
            first.focus()
            page.keyboard.press(key)
            sync_api.expect(page.locator("#queue-status")).to_contain_text(said)
            sync_api.expect(page.locator(f'.qitem[data-queue-id="{qid}"]')).to_have_count(0)
            decided[key] = rows[qid]
        page.goto(page.url.split("/queue")[0] + "/stages/export")
        link = page.locator('a[data-format="csv"]')
        with page.expect_download() as got:
            link.click()
        body = Path(got.value.path()).read_text(encoding="utf-8-sig")
        assert not errors, errors
    csv_rows = list(csv.DictReader(io.StringIO(body)))
    dec = ws.store.t.decisions
    with ws.store.read() as conn:
        when = {q: t.isoformat(timespec="seconds") for q, t in conn.execute(
            sa.select(dec.c.queue_id, dec.c.created_at))}

    def rows_of(row: dict[str, Any]) -> list[dict[str, str]]:
        v = row["value"]
        return [x for x in csv_rows if x["item_id"] == row["item_id"]
                and (int(x["start"]), int(x["end"]), x["type"]) == (v["start"], v["end"],
                                                                    row["label"])]

    accepted = rows_of(decided["a"])
    assert len(accepted) == 1 and accepted[0]["confirmed_by"] == "rey", accepted
    assert accepted[0]["action"] == "accept"
    assert accepted[0]["created"].startswith(when[decided["a"]["id"]]), accepted
    assert rows_of(decided["r"]) == []
