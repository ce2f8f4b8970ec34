"""The Export page promised "the title and the start of the text always come", but an
entities project's CSV (one row per mention) had neither. Each mention's row now carries
the item's title (where it has one) and the words around it (``context``), formula-safe
as every other text cell, and the page says what the entity downloads carry."""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .conftest import PASSWORD, login

TITLE = "=Le Temps, 4 janvier 1890"  # a title a spreadsheet would run as a formula



def _acted_app(make_ws: Any, tmp_path: Path, n: int,
               before_act: Callable[[Any], None] | None = None) -> tuple[Any, Any]:
    """An entities project of ``n`` new texts acted on with the gazetteer (after
    ``before_act``), an admin ``ada``, and the web app over it."""
    from glamlab.actions import act
    from glamlab.auth import add_user
    from glamlab.web import create_app
    from tests.ner_project import gold_and_new_texts

    ws, _gold = gold_and_new_texts(make_ws, tmp_path, n)
    if before_act is not None:
        before_act(ws)
    act(ws, model="gazetteer@1")
    add_user(ws, "ada", PASSWORD, "admin")
    return ws, create_app(ws)

def test_entity_downloads_carry_the_title_and_the_words_around_each_mention(
        make_ws: Any, tmp_path: Path) -> None:
    import pyarrow.parquet as pq
    from fastapi.testclient import TestClient

    def titled(ws: Any) -> None:
        items = ws.store.t.items
        with ws.store.write() as conn:
            conn.execute(items.update().where(items.c.item_id == "new0").values(
                meta={"title": TITLE}))

    ws, app = _acted_app(make_ws, tmp_path, 2, before_act=titled)
    with TestClient(app) as c:
        assert login(c, "ada").status_code == 303
        page = c.get("/stages/export").text
        legend = html.unescape(page.split('id="export-meta"', 1)[1].split("</legend>", 1)[0])
        assert "the start of the text always come" not in legend
        assert "the item's title, where it has one, and the words around each mention" in legend
        links = {m.group(2): html.unescape(m.group(1)) for m in re.finditer(
            r'<a href="([^"]+)" download data-format="(\w+)"', page)}
        r = c.get(links["csv"])
        assert r.status_code == 200, r.text
        rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
        r = c.get(links["parquet"])
        assert r.status_code == 200
        table = pq.read_table(io.BytesIO(r.content)).to_pylist()
    app.state.refresher.wait(120)

    assert rows and {"title", "context"} <= set(rows[0])
    assert {r["item_id"] for r in rows} >= {"new0", "new1"}
    for row in rows:
        item = ws.item(row["item_id"])
        # the title where the item has one, formula-safe (the existing writer's quote)
        assert row["title"] == ("'" + TITLE if item.item_id == "new0" else (item.title or ""))
        # the mention in brackets, in the words of the item's text around it
        text, start, end = item.text or "", int(row["start"]), int(row["end"])
        context = row["context"].lstrip("'")
        assert f"[{' '.join(row['text'].split())}]" in context or not row["text"].strip()
        plain = context.strip("…").replace("[", "", 1)
        plain = plain[::-1].replace("]", "", 1)[::-1]
        assert plain in " ".join(text.split()), (row, text)
        assert context.startswith("…") == (start > 60)
        assert context.endswith("…") == (end + 60 < len(text))
    assert [r["title"] for r in table] == [
        TITLE if r["item_id"] == "new0" else (ws.item(r["item_id"]).title or None)
        for r in table]
    assert all(r["context"] for r in table)


def test_the_export_page_of_an_entities_project_says_rejected_mentions_are_left_out(
        make_ws: Any, tmp_path: Path) -> None:
    """The page promised "those it rejects, and every person's decision (who confirmed,
    corrected or rejected what)", but an entity download leaves a rejected mention out
    (it is no entity): the page says so, and where who rejected what is kept."""
    from fastapi.testclient import TestClient

    _ws, app = _acted_app(make_ws, tmp_path, 1)
    with TestClient(app) as c:
        assert login(c, "ada").status_code == 303
        page = c.get("/stages/export").text
    app.state.refresher.wait(120)
    said = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())
    assert "who confirmed, corrected or rejected what" not in said
    assert "those it rejects" not in said
    assert "A mention a person rejected" in said and "is not in the downloads" in said
