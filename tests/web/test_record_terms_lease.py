"""Subject indexing (multi-label) review: leases and terms, as a second reviewer found them.

1. A term added to a record settles the record's suggestion of it (nobody is asked about
   it any more), but that suggestion's row stayed leased to the reviewer who added it:
   no page showed it, so none renewed it or gave it back when the reviewer left, and
   until the lease ran out every other reviewer was refused the record ("being reviewed
   by rey") though rey had left it or decided the rest of it. The same after a
   suggestion was corrected to a term another suggestion of the record gives. Now its
   lease goes back as a decided row's does.
2. "Whole record checked" had its own check of who holds the record, with other words
   (and a 422) than adding a term or taking one back: now one check, one wording (the
   row, the record, who holds it, what was not done and what to do), 409 each.
3. A refused "Add term" came back with the first term of the list chosen: the reviewer
   had to find theirs again. Now the card (or the form offered once the record's last
   suggestion is decided, which was gone) comes back with it chosen.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from typing import Any

import pytest
import sqlalchemy as sa

from glamlab import review
from glamlab.auth import add_user

from .conftest import PASSWORD, app_with_users, csrf_of


def two_records_ws(make_ws: Any) -> Any:
    """A subject-indexing project (people, places, nature): T1 with two suggestions sent
    to a reviewer (people 0.82, places 0.7), T2 with one (people 0.8)."""
    from glamlab.actions import act
    from tests.actions.helpers import add_items, add_model, add_predictions

    ws = make_ws("subj2", task="subjects", modality="text",
                 labels=["people", "places", "nature"], multi_label=True)
    add_items(ws, [{"item_id": "T1", "modality": "text"}, {"item_id": "T2", "modality": "text"}])
    mid = add_model(ws, "subjects", 1)
    add_predictions(ws, mid, {"T1": {"people": 0.82, "places": 0.7, "nature": 0.1},
                              "T2": {"people": 0.8, "places": 0.06, "nature": 0.1}},
                    multi_label=True)
    ws.card.raw["policy"] = {"field": "subjects", "labels": {
        x: {"accept": 0.99, "review": 0.5} for x in ("people", "places", "nature")}}
    ws.save_card()
    act(ws)
    return ws


@pytest.fixture
def two_reviewers(make_ws: Any) -> Any:
    """:func:`two_records_ws` served to its reviewers (rey, and rob added): the workspace
    and the function that logs one in."""
    ws = two_records_ws(make_ws)
    add_user(ws, "rob", PASSWORD, "reviewer")
    users = app_with_users(ws)
    _, _, client = next(users)
    try:
        yield ws, client
    finally:
        next(users, None)


def _rows(ws: Any) -> dict[tuple[str, str], Any]:
    """(item, suggested term) -> its queue row (id, version, status, lease_owner)."""
    q = ws.store.t.review_queue
    with ws.store.read() as conn:
        return {(r.item_id, r.label): r for r in conn.execute(sa.select(
            q.c.id, q.c.item_id, q.c.label, q.c.version, q.c.status, q.c.lease_owner))}


def _shown(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-queue-id="(\d+)"', page)]


def _add(c: Any, row: int | str, item_id: str, term: str) -> Any:
    return c.post("/queue/add-term", data={"csrf": csrf_of(c), "add_term": str(row),
                                           f"term_item_{row}": item_id,
                                           f"term_{row}": term})


def _words(page: str) -> str:
    """The page's text, tags stripped, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


class _Selected(HTMLParser):
    """The option drawn selected in each <select> (by its id; None: none is)."""

    def __init__(self) -> None:
        super().__init__()
        self.selected: dict[str, str | None] = {}
        self._in: str | None = None
        self._opt: bool = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "select":
            self._in = a.get("id") or ""
            self.selected[self._in] = None
        elif tag == "option" and self._in is not None:
            self._opt = "selected" in a

    def handle_data(self, data: str) -> None:
        if self._opt and self._in is not None:
            self.selected[self._in] = data.strip()
            self._opt = False

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._in = None
        elif tag == "option":
            self._opt = False


def _selected(page: str) -> dict[str, str | None]:
    p = _Selected()
    p.feed(page)
    return p.selected


def test_a_term_added_does_not_hold_the_record_once_the_reviewer_leaves(
        two_reviewers: Any) -> None:
    ws, client = two_reviewers
    rey, rob = client("rey"), client("rob")
    rows = _rows(ws)
    people, places = rows[("T1", "people")].id, rows[("T1", "places")].id
    assert sorted(_shown(rey.get("/queue").text)) == sorted(r.id for r in rows.values())
    # rey adds places to T1 on its people card; the page reloads
    page = _add(rey, people, "T1", "places")
    assert page.status_code == 200
    assert "Added the term places to T1, saved as yours." in _words(page.text)
    shown = _shown(page.text)
    assert places not in shown and people in shown  # places: settled by the term
    assert _rows(ws)[("T1", "places")].lease_owner is None  # before: rey's
    # while rey's page shows T1's people, T1 is rey's: rob is refused, as ever
    held = _add(rob, people, "T1", "nature")
    assert held.status_code == 409
    assert f"review queue row {people} (item T1) is being reviewed by rey" in _words(
        held.text)
    # rey leaves the page: it gives back what it shows (app.js, on pagehide)
    assert rey.post("/api/leases/release", json={"ids": shown},
                    headers={"X-CSRF-Token": csrf_of(rey)}).json()["released"] == 2
    # rob takes the record: its suggestion is on his page, and he may add a term to
    # it or mark it checked (before: refused for row places, which rey still held)
    assert people in _shown(rob.get("/queue").text)
    got = _add(rob, people, "T1", "nature")
    assert got.status_code == 200, _words(got.text)
    done = rob.put("/api/records/T1/checked", headers={"X-CSRF-Token": csrf_of(rob)})
    assert done.status_code == 200, done.text
    assert done.json()["terms"] == ["nature", "places"]


def test_a_term_added_does_not_hold_the_record_once_its_suggestions_are_decided(
        two_reviewers: Any) -> None:
    ws, client = two_reviewers
    rey, rob = client("rey"), client("rob")
    rey.get("/queue")
    people = _rows(ws)[("T1", "people")]
    assert _add(rey, people.id, "T1", "places").status_code == 200
    # rey decides T1's other suggestion: T1 is off rey's page, which stays open
    page = rey.post("/queue/decide", data={"csrf": csrf_of(rey),
                                           "one": f"{people.id}:{people.version}:reject"})
    assert page.status_code == 200
    assert _shown(page.text) == [_rows(ws)[("T2", "people")].id]
    got = rob.post("/api/records/T1/terms", json={"term": "nature"},
                   headers={"X-CSRF-Token": csrf_of(rob)})
    assert got.status_code == 200, got.text  # before: 409, row places held by rey
    assert got.json()["terms"] == ["nature", "places"]


def test_a_correction_to_another_suggestions_term_gives_that_one_back(make_ws: Any) -> None:
    ws = two_records_ws(make_ws)
    review.lease_queue(ws, "rey")
    people = _rows(ws)[("T1", "people")]
    review.decide(ws, "rey", people.id, "correct", people.version, label="places")
    rows = _rows(ws)
    assert rows[("T1", "places")].status == "open"  # settled by rey's places, not decided
    assert rows[("T1", "places")].lease_owner is None  # before: rey's
    assert rows[("T2", "people")].lease_owner == "rey"  # still on rey's page
    assert review.add_term(ws, "rob", "T1", "nature")["terms"] == ["nature", "places"]


def test_a_term_taken_back_brings_its_suggestion_back_to_the_reviewers_page(
        make_ws: Any) -> None:
    ws = two_records_ws(make_ws)
    review.lease_queue(ws, "rey")
    review.add_term(ws, "rey", "T1", "places")
    assert _rows(ws)[("T1", "places")].lease_owner is None
    review.remove_added_term(ws, "rey", "T1", "places")
    # asked again, leased to rey as an undone decision's row is: rob is not given it
    assert _rows(ws)[("T1", "places")].lease_owner == "rey"
    assert [r["item_id"] for r in review.lease_queue(ws, "rob")] == []


def test_marking_checked_and_adding_a_term_are_refused_in_the_same_words(
        two_reviewers: Any) -> None:
    ws, client = two_reviewers
    rob = client("rob")
    review.lease_queue(ws, "rey")
    row = _rows(ws)[("T1", "people")].id
    token = {"X-CSRF-Token": csrf_of(rob)}
    added = rob.post("/api/records/T1/terms", json={"term": "nature"}, headers=token)
    marked = rob.put("/api/records/T1/checked", headers=token)
    assert (added.status_code, marked.status_code) == (409, 409)  # before: 409, 422
    a, m = added.json(), marked.json()
    held = f"review queue row {row} (item T1) is being reviewed by rey; "
    assert a["error"] == held + "the term 'nature' was not added"
    assert m["error"] == held + "the record was not marked checked"
    first = "reload the queue; once rey has decided the record's suggestions, "
    assert a["hint"] == first + "add it"
    assert m["hint"] == first + "mark it checked"
    assert m["current"] == a["current"] == {"queue_id": row, "lease_owner": "rey"}
    # the queue page says it at its top, as for "Add term"
    page = rob.post("/queue/record-checked", data={"csrf": csrf_of(rob),
                                                   "record_checked": "T1"})
    assert page.status_code == 409
    assert (held + "the record was not marked checked. What to do: " + first
            + "mark it checked.") in _words(page.text)
    assert _rows(ws)[("T1", "people")].status == "open"  # nothing written


def test_a_refused_term_stays_chosen_on_its_card(two_reviewers: Any) -> None:
    ws, client = two_reviewers
    rob = client("rob")
    # rey's page holds T1's places, rob's T1's people (and T2)
    assert [r["label"] for r in review.lease_queue(ws, "rey", label="places")] == [
        "places"]
    page = rob.get("/queue").text
    row = _rows(ws)[("T1", "people")].id
    assert row in _shown(page)
    assert _selected(page)[f"term_{row}"] is None  # the first, people, drawn chosen
    refused = _add(rob, row, "T1", "nature")
    assert refused.status_code == 409
    words = _words(refused.text)
    assert ("is being reviewed by rey; the term 'nature' was not added. What to do: "
            "reload the queue") in words
    assert row in _shown(refused.text)
    assert _selected(refused.text)[f"term_{row}"] == "nature"  # before: none
    # a term the project does not have (its vocabulary changed meanwhile): said,
    # the card's list as it was
    unknown = _add(rob, row, "T1", "cats")
    assert unknown.status_code == 422
    assert "'cats' is not one of the project's terms, so it was not added to T1" in (
        _words(unknown.text))
    assert _selected(unknown.text)[f"term_{row}"] is None


def test_a_refused_term_stays_chosen_where_the_last_suggestion_offered_it(
        two_reviewers: Any) -> None:
    ws, client = two_reviewers
    rey = client("rey")
    review.lease_queue(ws, "rey")
    t2 = _rows(ws)[("T2", "people")]
    page = rey.post("/queue/decide", data={"csrf": csrf_of(rey),
                                           "one": f"{t2.id}:{t2.version}:reject"})
    assert "That was the last suggestion waiting for T2" in _words(page.text)
    assert _selected(page.text)["term_last"] is None
    # meanwhile a gold label of T2 looks wrong to the model, and rob is re-checking it
    review.enqueue_rechecks(ws, [("T2", "people", 0.9, "the label may be wrong")])
    assert [r["item_id"] for r in review.lease_queue(ws, "rob", kind="recheck")] == [
        "T2"]
    refused = _add(rey, "last", "T2", "places")
    assert refused.status_code == 409
    assert ("(item T2) is being reviewed by rob; the term 'places' was not added"
            in _words(refused.text))
    # the form is there again, places chosen (before: gone, to be found again)
    assert 'id="last-add-term"' in refused.text
    assert _selected(refused.text)["term_last"] == "places"


def test_a_refused_record_checked_shows_the_last_suggestions_form_again(
        two_reviewers: Any) -> None:
    """The form offered once a record's last suggestion is decided ("Add a term",
    "Whole record checked") was gone when "Whole record checked" was refused there
    (another reviewer holding a row of the record): the reviewer had to find the record
    again to mark it. Now it comes back under the reason, as after a refused "Add
    term"; a refusal of a card's own button does not bring it."""
    ws, client = two_reviewers
    rey = client("rey")
    review.lease_queue(ws, "rey")
    t2 = _rows(ws)[("T2", "people")]
    page = rey.post("/queue/decide", data={"csrf": csrf_of(rey),
                                           "one": f"{t2.id}:{t2.version}:reject"})
    assert "That was the last suggestion waiting for T2" in _words(page.text)
    form = re.search(r'<form[^>]*id="last-record-checked".*?</form>', page.text)
    assert form is not None
    sent = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"',
                           form.group(0)))
    # meanwhile rob is re-checking a gold label of T2
    review.enqueue_rechecks(ws, [("T2", "people", 0.9, "the label may be wrong")])
    assert [r["item_id"] for r in review.lease_queue(ws, "rob", kind="recheck")] == [
        "T2"]
    refused = rey.post("/queue/record-checked", data={**sent, "csrf": csrf_of(rey)})
    assert refused.status_code == 409
    words = _words(refused.text)
    reason = ("(item T2) is being reviewed by rob; the record was not marked checked. "
              "What to do: reload the queue; once rob has decided the record's "
              "suggestions, mark it checked.")
    assert reason in words
    # the form is there again under the reason (before: gone)
    assert (reason + " Add a term to T2 people places nature Add term Whole record checked"
            in words), words
    assert 'id="last-record-checked"' in refused.text
    # the card's own button (no record_asked): the reason only, as before
    card = rey.post("/queue/record-checked", data={"csrf": csrf_of(rey),
                                                   "record_checked": "T2"})
    assert card.status_code == 409 and reason in _words(card.text)
    assert 'id="last-record-checked"' not in card.text
