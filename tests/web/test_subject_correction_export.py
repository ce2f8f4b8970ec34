"""A subject a reviewer gives in place of a suggestion (multi-label: Correct in the review
queue) is the person's in the export, not the model's: the model did not suggest it, so
its row carries no model score (a curator who keeps the rows scoring at least the cut-off
in Excel would otherwise drop the reviewer's term) and says who added it in place of what."""

from __future__ import annotations

import csv
import io
from typing import Any

from click.testing import CliRunner

from glamlab.cli import cli

from .conftest import app_with_users, csrf_of


def subjects_ws(make_ws: Any, gold: list[str] | None = None) -> Any:
    """A subject-indexing project (people, places, nature) with one record, T07768 (with
    the gold labels ``gold``, in training), the model scoring people 0.82 (sent to a
    reviewer), places 0.06 and nature 0.1 (rejected), and the policy applied."""
    from glamlab.actions import act
    from tests.actions.helpers import add_gold, add_items, add_model, add_predictions

    ws = make_ws("subj", task="subjects", modality="text",
                 labels=["people", "places", "nature"], multi_label=True)
    add_items(ws, [{"item_id": "T07768", "modality": "text"}])
    if gold:
        add_gold(ws, {"T07768": gold}, split="train")
    mid = add_model(ws, "subjects", 1)
    add_predictions(ws, mid, {"T07768": {"people": 0.82, "places": 0.06, "nature": 0.1}},
                    multi_label=True)
    ws.card.raw["policy"] = {"field": "subjects", "labels": {
        x: {"accept": 0.99, "review": 0.5} for x in ("people", "places", "nature")}}
    ws.save_card()
    act(ws)
    return ws


def correct_people_to_places(c: Any) -> None:
    """Reviewer client ``c`` corrects the suggestion people of T07768 to places."""
    row = next(r for r in c.get("/api/queue").json() if r["label"] == "people")
    r = c.post("/api/decisions", json={"queue_id": row["id"], "action": "correct",
                                       "label": "places", "seen_version": row["version"]},
               headers={"X-CSRF-Token": csrf_of(c)})
    assert r.status_code == 200 and r.json()["ok"], r.text


def test_a_term_given_in_place_of_a_suggestion_is_the_reviewers(make_ws: Any,
                                                                 tmp_path: Any) -> None:
    ws = subjects_ws(make_ws)
    users = app_with_users(ws)
    _, _, client = next(users)
    try:
        correct_people_to_places(client("rey"))
    finally:
        next(users, None)
    out = tmp_path / "export.csv"
    res = CliRunner().invoke(cli, ["-w", str(ws.root), "export", "--format", "csv",
                                   "--out", str(out)])
    assert res.exit_code == 0, res.output
    rows = {r["value"]: r for r in csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig")))}
    people, places = rows["people"], rows["places"]
    assert (people["action"], people["decision"], people["confirmed_by"]) == (
        "reject", "correct", "rey")
    assert (places["action"], places["decision"], places["confirmed_by"]) == (
        "accept", "correct", "rey")
    # the person's term: no model score, and the reason says what happened
    assert (places["origin"], places["score"]) == ("person", "")
    assert places["reason"] == ("added by reviewer rey in place of 'people' "
                                "(the model did not suggest it)")
