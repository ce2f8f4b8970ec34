"""What a subject reviewer reads (multi-label): a record whose person's labels leave out
the suggested term says so (not "labelled otherwise", which reads as if the person gave
another single label), and the item page gives each suggested term its own score (not
one score for the whole set)."""

from __future__ import annotations

from typing import Any

from .conftest import app_with_users
from .test_subject_correction_export import correct_people_to_places, subjects_ws


def test_queue_and_item_page_speak_of_terms(make_ws: Any) -> None:
    ws = subjects_ws(make_ws, gold=["nature", "places"])
    users = app_with_users(ws)
    _, _, client = next(users)
    try:
        c = client("rey")
        html = c.get("/queue").text
        assert ("A person's terms for this item leave out <b>people</b>: they are "
                "<b>nature, places</b>") in html
        assert "labelled this item otherwise" not in html
        item = c.get("/items/T07768").text
        assert 'people <span class="term-score">0.820</span>' in item
        assert "each term's, next to it" in item
    finally:
        next(users, None)


def test_item_page_says_a_corrected_term_is_the_reviewers(make_ws: Any) -> None:
    """A reviewer corrects the suggestion people to places (the model scored places far
    under its cut-off): the item page says what was corrected to what, and that the
    written places is the reviewer's, not the model's."""
    ws = subjects_ws(make_ws)
    users = app_with_users(ws)
    _, _, client = next(users)
    try:
        c = client("rey")
        correct_people_to_places(c)
        item = c.get("/items/T07768").text
        assert "rey corrected the suggestion people to places (" in item
        assert "subjects = places given by rey in place of the model's people" in item
        assert "places by subjects@1" not in item
    finally:
        next(users, None)


def test_the_queue_keys_name_c_for_the_list_of_labels(make_ws: Any) -> None:
    """The number keys reach the first nine labels only (Tate's vocabulary has 15): the
    keys line names c, which opens the list of every label, and how to save from it."""
    ws = subjects_ws(make_ws)
    users = app_with_users(ws)
    _, _, client = next(users)
    try:
        html = client("rey").get("/queue").text
        keys = html[html.index('id="queue-keys"'):]
        keys = keys[:keys.index("</p>")]
        assert "<kbd>c</kbd> the list of terms" in keys  # a subject project's word
        assert "<kbd>Tab</kbd> then <kbd>Enter</kbd> saves it" in keys
    finally:
        next(users, None)
