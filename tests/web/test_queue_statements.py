"""The review queue of a subject-indexing (multi-label) project sent two SQL statements
for every record on the page (are its suggestions still open? does its record still need
checking?), to say "the last suggestion waiting for this item" on the card: 50 more
statements a page of 25, each a round trip to PostgreSQL. The page now asks for all its
records at once: the statements it sends do not grow with the rows it shows (counted,
not timed), and the cards say the same."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from glamlab.store import now

from .conftest import app_with_users

TERMS = ["people", "places", "nature"]
LAST = "This is the last suggestion waiting for this item"


def _project(make_ws: Any) -> Any:
    """Twelve records: the even ones with one suggestion sent to review, the odd ones
    with two; R02 has a person's whole label besides (its record needs no check)."""
    from glamlab.actions import act
    from tests.actions.helpers import add_items, add_model, add_predictions

    ws = make_ws("subjq", task="subjects", modality="text", labels=TERMS, multi_label=True)
    ids = [f"R{i:02d}" for i in range(12)]
    add_items(ws, [{"item_id": i, "modality": "text"} for i in ids])
    mid = add_model(ws, "subjects", 1)
    add_predictions(ws, mid, {i: {"people": 0.8, "places": 0.7 if k % 2 else 0.1,
                                  "nature": 0.05} for k, i in enumerate(ids)},
                    multi_label=True)
    ws.card.raw["policy"] = {"field": "subjects", "labels": {
        x: {"accept": 0.99, "review": 0.5} for x in TERMS}}
    ws.save_card()
    act(ws)
    with ws.store.write() as conn:
        conn.execute(ws.store.t.labels.insert().values(
            item_id="R02", label="nature", annotator="ada", source="web", active=True,
            created_at=now()))
    return ws


@contextmanager
def _counted(ws: Any) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    sa.event.listen(ws.store.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(ws.store.engine, "before_cursor_execute", record)


def _cards(html: str) -> dict[str, bool]:
    """Item -> whether its card says it is the record's last suggestion."""
    import re

    out: dict[str, bool] = {}
    parts = re.split(r'(?=<li class="qitem")', html)
    for part in parts[1:]:
        m = re.search(r"R\d\d", part)
        if m:
            out[m.group(0)] = out.get(m.group(0), False) or LAST in part
    return out


def test_the_multi_label_queue_sends_as_many_statements_for_many_rows_as_for_one(
        make_ws: Any) -> None:
    ws = _project(make_ws)
    users = app_with_users(ws)
    _, app, client = next(users)
    try:
        c = client("rey")  # a reviewer: the cards say which is a record's last suggestion
        c.get("/queue")  # leases every row to rey: the same rows on every view
        app.state.refresher.wait()  # the queue's counts, worked out in the background
        with _counted(ws) as one:  # six rows: the odd records' "places"
            few = c.get("/queue", params={"label": "places"})
        with _counted(ws) as many:  # every row: 18 suggestions of 12 records
            every = c.get("/queue")
        assert few.status_code == every.status_code == 200
        assert few.text.count('class="qitem"') == 6
        assert every.text.count('class="qitem"') == 18
        # the page's statements do not grow with its rows: it sent two more a record (12
        # more here); a few are sent only where there is something to ask about (the
        # six rows on "places" have no record at its last suggestion)
        assert len(many) <= len(one) + 3, (len(one), len(many), many)
        cards = _cards(every.text)
        # the last suggestion of a record that still needs checking: the even ones but
        # R02 (a person gave it its whole label)
        assert {i for i, last in cards.items() if last} == {
            f"R{i:02d}" for i in range(0, 12, 2)} - {"R02"}
    finally:
        next(users, None)
