"""Before any evaluation, the Evaluate page's leaderboard said "not run yet: measure the
baselines first (Evaluate page)" on the Evaluate page itself, whose title and menu entry
read "Baselines and evaluation": a newcomer looked for another page. The hint names the
button and the page as the menu names it."""

from __future__ import annotations

import html
from typing import Any

from tests.web.conftest import app_with_users


def test_the_hint_names_the_button_not_an_evaluate_page(make_ws: Any) -> None:
    ws = make_ws("no-eval", modality="text", labels=["long", "short"])
    fixture = app_with_users(ws)
    ws, _app, client = next(fixture)
    for path in ("/stages/evaluate", "/reports"):
        page = html.unescape(client("ada").get(path).text)
        assert "(Evaluate page)" not in page, path
    page = html.unescape(client("ada").get("/stages/evaluate").text)
    assert 'not run yet: measure the baselines first: "Fit the baselines and evaluate"' in page
