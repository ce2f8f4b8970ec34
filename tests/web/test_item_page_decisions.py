"""An item's page lists the decisions people made on it; a rejection stores no label of
its own, so the page said "ada rejected None". It now says what was turned down: the
suggestion's label, and in an entities project the words of the span."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

from .conftest import PASSWORD, csrf_of, login


def _decisions(page: str) -> str:
    part = page.split(">Decisions</h2>", 1)[1].split("</ul>", 1)[0]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", part)).split())


def _reject(c: Any, row: dict[str, Any]) -> None:
    r = c.post("/api/decisions", json={"queue_id": row["id"], "action": "reject",
                                       "seen_version": row["version"]},
               headers={"X-CSRF-Token": csrf_of(c)})
    assert r.status_code == 200 and r.json()["ok"], r.text


def test_a_rejected_span_is_named_on_its_text_s_page(make_ws: Any, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from glamlab.actions import act
    from glamlab.auth import add_user
    from glamlab.web import create_app
    from tests.ner_project import gold_and_new_texts

    ws, _gold = gold_and_new_texts(make_ws, tmp_path, 2)
    act(ws, model="gazetteer@1")
    add_user(ws, "rey", PASSWORD, "reviewer")
    with TestClient(create_app(ws)) as c:
        assert login(c, "rey").status_code == 303
        row = next(r for r in c.get("/api/queue?limit=200").json()
                   if r["item_id"].startswith("new"))
        _reject(c, row)
        page = c.get(f"/items/{row['item_id']}")
    assert page.status_code == 200
    said = _decisions(page.text)
    words = (ws.item(row["item_id"]).text or "")[row["value"]["start"]:row["value"]["end"]]
    assert "None" not in said, said
    assert f"rey rejected {row['label']} “{words}”" in said, said


def test_a_rejected_label_is_named_on_its_item_s_page(client_for: Any, queued_ws: Any) -> None:
    c = client_for("rey")
    row = c.get("/api/queue?limit=1&sort=oldest").json()[0]
    _reject(c, row)
    said = _decisions(c.get(f"/items/{row['item_id']}").text)
    assert "None" not in said, said
    assert f"rey rejected {row['label']} (" in said, said
