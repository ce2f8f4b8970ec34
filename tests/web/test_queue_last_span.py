"""Deciding the last open span of a text marks the text checked: it trains with the
entities saved for it, every other word as no entity. The card (with its "Add an entity
the model missed") is then gone, and the queue said only "Rejected.": an entity the
model missed in that text was taught as no entity, and the reviewer was not told where
to add it. Found walking the entities review as a curator."""

from __future__ import annotations

import html
from collections import Counter
from typing import Any

from tests.web.conftest import csrf_of, login
from tests.web.test_entities_review import entities_ws  # noqa: F401  (the fixture)


def test_the_last_span_of_a_text_says_the_text_is_checked_and_where_to_add_a_missed_entity(
        entities_ws: Any) -> None:  # noqa: F811
    """Two texts with two open spans each: deciding the first span of a text says
    nothing more (the text waits); deciding its second says the text is now checked,
    with the entities it trains with, and links to its labelling page to add a missed
    entity: the span accepted (the text complete, every span decided), or none (both
    rejected, the text marked checked)."""
    from fastapi.testclient import TestClient

    from glamlab.tasks.splits import split_of
    from glamlab.web import create_app

    ws = entities_ws
    app = create_app(ws)
    with TestClient(app) as c:
        assert login(c, "rey").status_code == 303
        rows = c.get("/api/queue?limit=200").json()
        splits = split_of(ws)
        per_text = Counter(r["item_id"] for r in rows)
        texts = [i for i, n in per_text.items() if n == 2 and splits.get(i) != "test"][:2]
        assert len(texts) == 2, per_text

        def decide(row: dict[str, Any], action: str) -> str:
            got = c.post("/queue/decide", data={
                "csrf": csrf_of(c), "one": f"{row['id']}:{row['version']}:{action}"})
            assert got.status_code == 200, got.text
            assert {"accept": "Accepted.", "reject": "Rejected."}[action] in got.text
            return html.unescape(got.text)

        def said(page: str, item: str) -> str:
            assert 'id="last-text"' in page, page[:3000]
            words = page.split('id="last-text">', 1)[1].split("</span>", 1)[0]
            assert f"<b>{item}</b>: the text is now checked" in words
            assert f'href="/label?item={item}&mode=correct"' in words
            assert "glamlab " not in words and "--" not in words
            return words

        for item, last in zip(texts, ("accept", "reject"), strict=True):
            first, second = [r for r in rows if r["item_id"] == item]
            assert 'id="last-text"' not in decide(first, "reject")  # the text waits
            words = said(decide(second, last), item)
            v = second["value"]
            if last == "accept":  # every span decided: it trains with the one accepted
                assert f"<b>{v['text']}</b> ({second['label']})" in words, words
            else:  # both rejected: marked checked, with no entity
                assert "(none), every other word as no entity" in words, words
            # the link opens the text in the labelling form
            assert c.get(f"/label?item={item}&mode=correct").status_code == 200
    app.state.refresher.wait(120)
