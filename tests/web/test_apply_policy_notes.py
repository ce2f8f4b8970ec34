"""The result line of "Apply the policy" says the act report's notes, as the dry run above
it does: with no model marked champion, that the latest run's model was used (and which)."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest

from tests.actions.helpers import add_items, add_model, add_predictions

from .conftest import app_with_users
from .test_apply_policy import applied

POLICY = {"field": "page_type", "labels": {"blank": {"accept": 0.85, "review": 0.5},
                                           "content": {"accept": 0.9, "review": 0.5}}}


@pytest.fixture
def no_champion(make_ws: Any) -> Any:
    ws = make_ws("nochamp-web", task="blank-pages", labels=["blank", "content"],
                 positive_label="blank")
    add_items(ws, [{"item_id": "a"}, {"item_id": "b"}])
    add_predictions(ws, add_model(ws, "one", 1), {"a": {"blank": 0.9, "content": 0.1},
                                                  "b": {"blank": 0.9, "content": 0.1}})
    add_predictions(ws, add_model(ws, "two", 1), {"a": {"blank": 0.1, "content": 0.95},
                                                  "b": {"blank": 0.6, "content": 0.4}})
    ws.card.raw["policy"] = POLICY
    ws.save_card()
    yield from app_with_users(ws)


def test_the_written_line_says_the_notes_the_dry_run_says(no_champion: Any) -> None:

    ws, app, client = no_champion
    ada = client("ada")
    r, job = applied(ws, app, ada)
    said = [n for n in job["result"]["notes"] if "No model is in use yet" in n]
    assert len(said) == 1 and "two@1" in said[0]
    page = ada.get(r.headers["location"]).text
    written = page[page.index('id="act-written"'):page.index('id="start-act"')]
    text = html.unescape(re.sub(r"<[^>]+>", " ", written))
    assert "with two@1" in text
    assert " ".join(said[0].split()) in " ".join(text.split())
