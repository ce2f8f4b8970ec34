"""The review card of a subject-indexing (multi-label) project, as a cataloguer found it:

1. Deciding a record's last suggestion was filed as "whole record checked" (its labels
   saved as the reviewer's mark, every export then saying they checked the record) though
   the reviewer never pressed ``d``, and the page said only "Accepted.": the record left
   the queue under them. Now it is filed as "every suggestion decided" (it trains as
   before; no export says the reviewer checked the whole record), the card says so of a
   record's last suggestion beforehand, and the page says so after, offering to add a
   term or to mark the record checked.
2. Correct was the only way to give a term the model did not suggest: the card now has
   "Add term" (key ``t``), the project's vocabulary as its choices, saved as the
   person's.
3. The keys line did not name ``u`` (undo), which works.
4. The card said "labels" where the project's word is "terms"; and a record whose text
   is its title (Tate records) showed the title twice.
5. A term added by mistake (``t`` then Enter) was saved as the reviewer's with no Undo,
   unlike every other action on the page: now "Undo: remove it" (key ``u``) takes it
   back for ten minutes, only the person who added it, only while the record's terms
   are as the addition left them.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import sqlalchemy as sa

from glamlab.actions.export import export

from .conftest import app_with_users, csrf_of
from .test_subject_correction_export import subjects_ws


def _rows(ws: Any, tmp_path: Any) -> dict[str, dict[str, str]]:
    out = tmp_path / "export.csv"
    export(ws, "csv", out)
    return {r["value"]: r for r in csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig")))}


def _sources(ws: Any) -> set[str]:
    t = ws.store.t.labels
    with ws.store.read() as conn:
        return set(conn.execute(sa.select(t.c.source).where(
            t.c.item_id == "T07768", t.c.active.is_(True))).scalars())


def _keys(html: str) -> str:
    keys = html[html.index('id="queue-keys"'):]
    return keys[:keys.index("</p>")]


def test_the_last_suggestion_is_not_filed_as_the_whole_record_checked(
        make_ws: Any, tmp_path: Any) -> None:
    from glamlab.store.gold import ALL_DECIDED, RECORD_CHECKED

    ws = subjects_ws(make_ws)
    users = app_with_users(ws)
    _, _, client = next(users)
    try:
        c = client("rey")
        card = c.get("/queue").text
        assert "This is the last suggestion waiting for this item" in card
        row = next(r for r in c.get("/api/queue").json() if r["label"] == "people")
        page = c.post("/queue/decide", data={
            "csrf": csrf_of(c), "one": f"{row['id']}:{row['version']}:accept"}).text
        # said, not done silently: and the record can still be completed or marked
        assert ("That was the last suggestion waiting for <b>T07768</b>: it goes into "
                "training with the terms it has now (<b>people</b>)") in page
        assert "It is not marked checked" in page
        assert 'id="last-add-term"' in page and 'id="last-record-checked"' in page
        assert _sources(ws) == {ALL_DECIDED}  # not the reviewer's "whole record checked"
        rows = _rows(ws, tmp_path)
        assert (rows["people"]["action"], rows["people"]["confirmed_by"]) == ("accept", "rey")
        # nobody said places or nature do not apply: no export claims they did
        assert rows["places"]["confirmed_by"] == rows["nature"]["confirmed_by"] == ""
        from glamlab.tasks.splits import training_data

        data = training_data(ws)  # it trains, as before
        assert data.targets()[data.ids.index("T07768")] == ["people"]
        # the reviewer says the record is complete, from the same page
        r = c.post("/queue/record-checked", data={"csrf": csrf_of(c),
                                                  "record_checked": "T07768"})
        assert "Record marked checked" in r.text
    finally:
        next(users, None)
    assert _sources(ws) == {RECORD_CHECKED}
    rows = _rows(ws, tmp_path)
    assert (rows["places"]["action"], rows["places"]["confirmed_by"]) == ("reject", "rey")
    assert rows["places"]["reason"] == ("settled by a gold label: rey checked the whole "
                                        "record: its terms are 'people', not this one")


def test_a_term_the_model_did_not_suggest_is_added_on_the_card(make_ws: Any,
                                                                tmp_path: Any) -> None:
    ws = subjects_ws(make_ws)
    users = app_with_users(ws)
    _, _, client = next(users)
    try:
        c = client("rey")
        html = c.get("/queue").text
        assert "<kbd>t</kbd> add a term" in _keys(html)
        box = html[html.index('<select id="term_'):]
        box = box[:box.index("</select>")]
        assert 'data-act="t"' in box  # the key t goes to it
        assert box.count("<option>") == 3  # the project's vocabulary
        row = next(r for r in c.get("/api/queue").json() if r["label"] == "people")
        page = c.post("/queue/add-term", data={
            "csrf": csrf_of(c), "add_term": str(row["id"]),
            f"term_item_{row['id']}": "T07768", f"term_{row['id']}": "places"}).text
        assert "Added the term <b>places</b> to T07768, saved as yours." in page
        # the record's suggestion people still waits: adding decides nothing else
        assert [r["label"] for r in c.get("/api/queue").json()] == ["people"]
        assert "Terms of this item so far: <b>places</b>." in page
        # a term the project does not have: refused, said on the page
        bad = c.post("/queue/add-term", data={
            "csrf": csrf_of(c), "add_term": str(row["id"]),
            f"term_item_{row['id']}": "T07768", f"term_{row['id']}": "dogs"})
        assert bad.status_code == 422
        assert "&#39;dogs&#39; is not one of the project&#39;s terms" in bad.text
    finally:
        next(users, None)
    rows = _rows(ws, tmp_path)
    places = rows["places"]  # the model scored it 0.06: the term is the person's
    assert (places["action"], places["origin"], places["confirmed_by"], places["score"]) == (
        "accept", "person", "rey", "")
    assert rows["people"]["action"] == "review"


def test_the_keys_line_names_u(make_ws: Any) -> None:
    ws = subjects_ws(make_ws)
    users = app_with_users(ws)
    _, _, client = next(users)
    try:
        keys = _keys(client("rey").get("/queue").text)
        assert "<kbd>u</kbd> undo what you just did" in keys
    finally:
        next(users, None)


def test_the_card_says_terms_and_names_the_record_once(make_ws: Any) -> None:
    ws = subjects_ws(make_ws)
    title = "Tate Thames Dig (Two Banks)"
    t = ws.store.t.items
    with ws.store.write() as conn:  # a Tate record: its title is its text
        conn.execute(t.update().where(t.c.item_id == "T07768").values(
            text=title, meta={"title": title}))
    users = app_with_users(ws)
    _, _, client = next(users)
    try:
        html = client("rey").get("/queue").text
    finally:
        next(users, None)
    card = html[html.index('id="queue-items"'):]
    assert card.count(title) == 2  # the card's name (aria-label) and its link, no more
    assert '<blockquote class="text">' not in card
    assert "Terms of this item so far" in card and "Labels of this" not in card
    assert "Right term for T07768" in card
    assert '<label for="filter-label">Predicted term</label>' in html
    assert "the right term: saved at once" in _keys(html)


def test_a_record_with_every_term_is_offered_no_empty_add_term(make_ws: Any) -> None:
    """The last suggestion of a record that already has every one of the project's terms:
    the page offered "Add a term" with an empty list (pressing it could only fail, "'' is
    not one of the project's terms") and told the reviewer to add a missing term there.
    Now it offers only to mark the record checked, and says why."""
    ws = subjects_ws(make_ws, gold=["places", "nature"])
    users = app_with_users(ws)
    _, _, client = next(users)
    try:
        c = client("rey")
        row = next(r for r in c.get("/api/queue").json() if r["label"] == "people")
        page = c.post("/queue/decide", data={
            "csrf": csrf_of(c), "one": f"{row['id']}:{row['version']}:accept"}).text
        said = page[page.index('id="last-suggestion"'):]
        said = said[:said.index("</span>")]
        assert "(<b>nature</b>, <b>people</b>, <b>places</b>)" in said
        assert 'id="last-add-term"' not in page and "add it here" not in said
        assert "it has every one of the project's terms; if they all apply, say so" in said
        assert 'id="last-record-checked"' in page
    finally:
        next(users, None)


# -- 5. a term added by mistake (t then Enter) is taken back: Undo, key u -----------------

def _active(ws: Any) -> list[tuple[int, str, str | None, bool]]:
    t = ws.store.t.labels
    with ws.store.read() as conn:
        return [tuple(r) for r in conn.execute(sa.select(
            t.c.id, t.c.label, t.c.annotator, t.c.active).where(
            t.c.item_id == "T07768", t.c.active.is_(True)).order_by(t.c.id))]


def _terms(ws: Any) -> list[str]:
    from glamlab.store.queue import gold_labels

    with ws.store.read() as conn:
        return sorted(t for t in gold_labels(conn, ["T07768"]).get("T07768", set()) if t)


def _add(c: Any, term: str) -> Any:
    return c.post("/queue/add-term", data={"csrf": csrf_of(c), "add_term": "0",
                                           "term_item_0": "T07768", "term_0": term})


def _undo(c: Any, term: str) -> Any:
    return c.post("/queue/remove-term", data={"csrf": csrf_of(c), "remove_term": "T07768",
                                              "term": term})


def test_a_term_added_by_mistake_is_taken_back(make_ws: Any, tmp_path: Any) -> None:
    ws = subjects_ws(make_ws, gold=["nature"])
    before, terms = _active(ws), _terms(ws)
    assert terms == ["nature"]
    users = app_with_users(ws)
    _, _, client = next(users)
    try:
        c = client("rey")
        page = _add(c, "places").text
        assert "Added the term <b>places</b> to T07768, saved as yours." in page
        form = page[page.index('action="/queue/remove-term"'):]
        form = form[:form.index("</form>")]
        assert f'name="csrf" value="{csrf_of(c)}"' in form
        assert 'value="places"' in form and 'data-key="u"' in form
        assert "Undo: remove it (<kbd>u</kbd>)" in form
        assert "<kbd>u</kbd> right after takes it back" in _keys(page)
        assert _terms(ws) == ["nature", "places"]
        assert _rows(ws, tmp_path)["places"]["confirmed_by"] == "rey"
        undone = _undo(c, "places")
        assert undone.status_code == 200
        assert "<b>places</b> is no longer one of the terms of T07768" in undone.text
        # twice: nothing left to undo, said naming the record
        again = _undo(c, "places")
        assert again.status_code == 422 and "T07768" in again.text
    finally:
        next(users, None)
    assert _active(ws) == before and _terms(ws) == terms  # exactly as before
    places = _rows(ws, tmp_path)["places"]
    assert places["confirmed_by"] != "rey" and places["origin"] != "person"
    t, a = ws.store.t.labels, ws.store.t.audit_log
    with ws.store.read() as conn:  # kept in the history, retired
        assert conn.execute(sa.select(t.c.active).where(
            t.c.item_id == "T07768", t.c.label == "places")).scalars().all() == [False]
        assert conn.execute(sa.select(a.c.actor).where(
            a.c.action == "labels.term_added.undo")).scalars().all() == ["rey"]


def test_undoing_an_added_suggested_term_asks_the_suggestion_again(make_ws: Any) -> None:
    ws = subjects_ws(make_ws)
    users = app_with_users(ws)
    _, _, client = next(users)
    try:
        c = client("rey")
        assert [r["label"] for r in c.get("/api/queue").json()] == ["people"]
        assert _add(c, "people").status_code == 200
        assert c.get("/api/queue").json() == []  # settled by the term added
        assert _undo(c, "people").status_code == 200
        assert [r["label"] for r in c.get("/api/queue").json()] == ["people"]
    finally:
        next(users, None)
    assert _terms(ws) == []


def test_another_reviewer_cannot_take_back_a_term_added(make_ws: Any) -> None:
    from glamlab.auth import add_user

    from .conftest import PASSWORD

    ws = subjects_ws(make_ws, gold=["nature"])
    add_user(ws, "rob", PASSWORD, "reviewer")
    users = app_with_users(ws)
    _, _, client = next(users)
    try:
        assert _add(client("rob"), "places").status_code == 200
        after = _active(ws)
        r = _undo(client("rey"), "places")
        assert r.status_code == 422
        assert "T07768: the term &#39;places&#39; was added by rob, not by rey" in r.text
    finally:
        next(users, None)
    assert _active(ws) == after and _terms(ws) == ["nature", "places"]


def test_a_term_is_not_taken_back_once_the_record_changed(make_ws: Any) -> None:
    from datetime import timedelta

    from glamlab.errors import LabelError
    from glamlab.review import remove_added_term
    from glamlab.store.engine import now

    ws = subjects_ws(make_ws, gold=["nature"])
    users = app_with_users(ws)
    _, _, client = next(users)
    try:
        c = client("rey")
        assert _add(c, "places").status_code == 200
        try:  # ten minutes on: too late
            remove_added_term(ws, "rey", "T07768", "places", at=now() + timedelta(minutes=11))
            raise AssertionError("undone after ten minutes")
        except LabelError as exc:
            assert "more than 10 minutes ago" in exc.message
        assert _add(c, "people").status_code == 200  # the record's terms change
        after = _active(ws)
        r = _undo(c, "places")
        assert r.status_code == 422
        assert "T07768: its terms changed since the term &#39;places&#39; was added" in r.text
    finally:
        next(users, None)
    assert _active(ws) == after and _terms(ws) == ["nature", "people", "places"]
