"""Safety rules and the sensitive-terms lexicon override the policy; every hit is listed."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from glamlab.actions import act, default_lexicon, plan, render
from glamlab.actions.safety import load_safety
from glamlab.errors import PolicyError

from .helpers import add_items, add_model, add_predictions

WAR = "First World War photographs"


@pytest.fixture
def photos(make_ws):
    ws = make_ws("photos", task="photo-tags", labels=["fireworks", "people", "skull"])
    add_items(ws, [
        {"item_id": "ww1-0001", "meta": {"collection": WAR, "year": "1916"}},
        {"item_id": "fete-0001", "meta": {"collection": "Bastille Day 1950s", "year": "1955"}},
        {"item_id": "anat-0001", "meta": {"collection": "Anatomy plates"}},
    ])
    mid = add_model(ws, "vision-service", card={"external": True, "service": "a tagging API"})
    add_predictions(ws, mid, {"ww1-0001": {"fireworks": 0.99, "people": 0.01, "skull": 0.0},
                              "fete-0001": {"fireworks": 0.97, "people": 0.03, "skull": 0.0},
                              "anat-0001": {"skull": 0.98, "people": 0.02, "fireworks": 0.0}})
    ws.card.raw["policy"] = {"field": "subject", "labels": {
        "fireworks": {"accept": 0.9, "review": 0.5}, "skull": {"accept": 0.9, "review": 0.5},
        "people": {"accept": 0.9, "review": 0.5}}}
    ws.card.raw["safety"] = {"rules": [{
        "name": "explosions on wartime photographs", "labels": ["fireworks", "explosion"],
        "when": {"collection": WAR}, "action": "review"}]}
    ws.save_card()
    return ws


def _tables(ws):
    t = ws.store.t
    with ws.store.read() as conn:
        mm = {(r.item_id, r.value) for r in conn.execute(sa.select(t.machine_metadata))}
        rq = {(r.item_id, r.label): r.reason for r in conn.execute(sa.select(t.review_queue))}
    return mm, rq


def test_wartime_fireworks_goes_to_review_not_the_catalogue(photos):
    report = act(photos).to_dict()
    mm, rq = _tables(photos)
    assert ("ww1-0001", "fireworks") not in mm
    assert "explosions on wartime photographs" in rq[("ww1-0001", "fireworks")]
    # the same label outside the wartime collection is accepted as usual
    assert ("fete-0001", "fireworks") in mm
    hits = {(h["item_id"], h["check"]) for h in report["safety_hits"]}
    assert ("ww1-0001", "rule") in hits
    hit = next(h for h in report["safety_hits"] if h["item_id"] == "ww1-0001")
    assert hit["policy_action"] == "accept" and hit["safety_action"] == "review"
    assert "ww1-0001" in render(report) and "Safety checks fired" in render(report)


def test_lexicon_sends_external_labels_to_review(photos):
    report = plan(photos).to_dict()
    hit = next(h for h in report["safety_hits"] if h["item_id"] == "anat-0001")
    assert hit["check"] == "lexicon" and hit["name"] == "skull"
    by = {row["label"]: row for row in report["by_label"]}
    assert by["skull"]["review"] == 1 and by["skull"]["accept"] == 0


def test_lexicon_only_for_external_models_by_default(photos):
    mid = add_model(photos, "own-model", card={})
    add_predictions(photos, mid, {"anat-0001": {"skull": 0.98, "people": 0.02,
                                                "fireworks": 0.0}})
    report = plan(photos, model="own-model").to_dict()
    assert report["counts"]["accept"] == 1 and not report["safety_hits"]
    photos.card.raw["safety"]["applies_to"] = "all"
    report = plan(photos, model="own-model").to_dict()
    assert report["counts"]["review"] == 1


def test_teams_extend_and_trim_the_lexicon(photos):
    (photos.root / "our-terms.txt").write_text("# our list\npeople  # too vague for us\n",
                                               encoding="utf-8")
    photos.card.raw["safety"].update({"lexicon_file": "our-terms.txt",
                                      "ignore_terms": ["skull"], "extra_terms": ["fire works"]})
    safety = load_safety(photos.card, photos.root)
    assert safety.lexicon_term("people") == "people"
    assert safety.lexicon_term("skull") is None
    assert safety.lexicon_term("Fire_Works") == "fire works"
    assert safety.lexicon_term("gunboat") is None  # whole words only, not "gun"
    photos.card.raw["safety"]["lexicon"] = "none"
    photos.card.raw["safety"].pop("lexicon_file")
    assert load_safety(photos.card).lexicon_term("corpse") is None


def test_suppress_rule_writes_nothing(photos):
    photos.card.raw["safety"]["rules"][0]["action"] = "suppress"
    report = act(photos).to_dict()
    mm, rq = _tables(photos)
    assert ("ww1-0001", "fireworks") not in mm and ("ww1-0001", "fireworks") not in rq
    assert report["safety_counts"]["suppress"] == 1


def test_conditions_contains_matches_and_ranges(photos):
    for when in ({"collection": {"contains": "world war"}}, {"year": {"min": 1914, "max": 1918}},
                 {"collection": {"matches": "^First"}}, {"collection": [WAR, "Other"]}):
        photos.card.raw["safety"]["rules"][0]["when"] = when
        hits = plan(photos).to_dict()["safety_hits"]
        assert [h["item_id"] for h in hits if h["check"] == "rule"] == ["ww1-0001"], when


def test_default_lexicon_is_shipped_and_documented():
    from pathlib import Path

    lex = default_lexicon()
    assert len(lex) >= 5 and "corpse" in lex["violence_and_death"]
    doc = (Path(__file__).resolve().parents[2] / "docs" / "safety.md").read_text(encoding="utf-8")
    for category in lex:
        assert category in doc


@pytest.mark.parametrize("safety, message", [
    ({"rules": [{"labels": ["x"], "action": "hide"}]}, "action must be review or suppress"),
    ({"rules": [{"action": "review"}]}, "needs label"),
    ({"rules": [{"label": "x", "action": "review", "when": {"year": {"between": 1}}}]},
     "condition on 'year'"),
    ({"rules": [{"label": "x", "action": "review", "when": {"c": {"matches": "("}}}]},
     "not a valid regular expression"),
    ({"lexicon_action": "delete"}, "lexicon_action"),
    ({"lexicon_file": "missing.txt"}, "cannot be read"),
    ({"rule": []}, "unknown key"),
])
def test_bad_safety_config_is_a_clear_error(photos, safety, message):
    photos.card.raw["safety"] = safety
    with pytest.raises(PolicyError, match=message):
        plan(photos)
