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
    """A text with two open spans: rejecting the first says nothing more (the text
    waits); rejecting the second says the text is now checked, with the entities it
    trains with, and links to its labelling page to add a missed entity."""
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
        item = next(i for i, n in per_text.items() if n == 2 and splits.get(i) != "test")
        first, second = [r for r in rows if r["item_id"] == item]

        def reject(row: dict[str, Any]) -> str:
            got = c.post("/queue/decide", data={
                "csrf": csrf_of(c), "one": f"{row['id']}:{row['version']}:reject"})
            assert got.status_code == 200, got.text
            assert "Rejected." in got.text
            return html.unescape(got.text)

        assert 'id="last-text"' not in reject(first)  # the text waits for its other span
        page = reject(second)
        assert 'id="last-text"' in page, page[:3000]
        said = page.split('id="last-text">', 1)[1].split("</span>", 1)[0]
        assert f"<b>{item}</b>: the text is now checked" in said
        assert "(none), every other word as no entity" in said  # both spans rejected
        assert f'href="/label?item={item}&mode=correct"' in said
        assert "glamlab " not in said and "--" not in said
        # the link opens the text in the labelling form
        assert c.get(f"/label?item={item}&mode=correct").status_code == 200
    app.state.refresher.wait(120)
