"""A tabular project's pages explain their words to a manager who is no statistician:
the policy page says what "accepted without a person" does to a row (its forecast taken
as it is, nothing cancelled or sold by itself), in the project's noun; the evaluate
page's leaderboard says what its F1 (macro average) is and how it differs from the "F1
for 'is_canceled = 1'" the backtest and monitoring show. Before, neither was explained
and the policy form spoke of "items"."""

from __future__ import annotations

import re
from typing import Any

from .test_retrain_page import shifted_app  # noqa: F401  (the fixture)


def _text(page: str, id_: str) -> str:
    m = re.search(rf'<p class="hint" id="{id_}">(.*?)</p>', page, re.S)
    assert m, f"no #{id_} on the page"
    return re.sub(r"<[^>]+>", "", m.group(1))


def test_the_policy_and_the_leaderboard_explain_their_words(shifted_app: Any) -> None:  # noqa: F811
    from glamlab.evaluation import candidates_for, evaluate, fit_baselines

    ws, app, client = shifted_app
    rey = client("rey")
    page = rey.get("/stages/policy").text
    said = _text(page, "policy-accepted-explained")
    assert "whether is_canceled will be 1 or not" in said
    assert "without anyone checking it first" in said and "Nothing is cancelled" in said
    assert "Of the items accepted" not in page
    fit_baselines(ws)
    evaluate(ws, candidates_for(ws), web=True)
    said = _text(rey.get("/stages/evaluate").text, "board-macro-explained")
    assert "average of two F1 scores, each counting half" in said
    assert "F1 for 'is_canceled = 1' alone" in said
