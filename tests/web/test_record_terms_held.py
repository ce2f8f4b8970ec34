"""Adding a term to a record, and taking one back, in a subject-indexing (multi-label)
project, as a second reviewer found them:

1. While one reviewer held a record in the review queue (the queue leases a record's
   rows to one reviewer at a time), another could add a term to it, or take one back,
   under them: the record's terms changed while the first was deciding its suggestions.
   Now both are refused, nothing written, as a decision on a row another reviewer holds
   is: the page (409) names the row, the record and who holds it, and what was not done.
2. The JSON API could decide suggestions and mark a record checked, but not add a term
   or take one back: now ``POST`` and ``DELETE /api/records/ID/terms`` do, as the queue
   page's "Add term" and "Undo: remove it" do (a reviewer's token, or the session cookie
   with the CSRF token), refused the same way.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from glamlab import review
from glamlab.auth import add_user, api_token

from .conftest import PASSWORD, app_with_users, csrf_of
from .test_subject_review_card import _active, _add, _terms, _undo


def _counts(ws: Any) -> dict[str, int]:
    """The rows of the tables a term added or taken back writes (the audit log's of
    labels: signing in writes its own)."""
    t = ws.store.t
    with ws.store.read() as conn:
        out = {n: int(conn.execute(sa.select(sa.func.count()).select_from(x)).scalar() or 0)
               for n, x in (("labels", t.labels), ("splits", t.splits),
                            ("decisions", t.decisions))}
        out["audit"] = int(conn.execute(sa.select(sa.func.count()).where(
            t.audit_log.c.action.like("labels.%"))).scalar() or 0)
    return out


def _row(ws: Any) -> int:
    q = ws.store.t.review_queue
    with ws.store.read() as conn:
        return int(conn.execute(sa.select(q.c.id).where(
            q.c.item_id == "T07768", q.c.status == "open")).scalar_one())


def _bearer(ws: Any, user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_token(ws, user)}"}


def test_a_term_is_not_added_to_a_record_another_reviewer_holds(make_ws: Any) -> None:
    from .test_subject_correction_export import subjects_ws

    ws = subjects_ws(make_ws, gold=["nature"])
    add_user(ws, "rob", PASSWORD, "reviewer")
    users = app_with_users(ws)
    _, _, client = next(users)
    try:
        rey = client("rey")
        assert [r["item_id"] for r in review.lease_queue(ws, "rey")] == ["T07768"]
        before, counts = _active(ws), _counts(ws)
        row = _row(ws)
        page = _add(client("rob"), "places")
        assert page.status_code == 409
        said = (f"review queue row {row} (item T07768) is being reviewed by rey; the term "
                "&#39;places&#39; was not added")
        assert said in page.text, page.text
        assert ("reload the queue; once rey has decided the record&#39;s suggestions, add "
                "it") in page.text
        api = client("rob")  # the API refuses it the same way
        got = api.post("/api/records/T07768/terms", json={"term": "places"},
                       headers={"X-CSRF-Token": csrf_of(api)})
        assert got.status_code == 409, got.text
        body = got.json()
        assert body["item"] == "T07768" and body["current"]["lease_owner"] == "rey"
        assert "is being reviewed by rey; the term 'places' was not added" in body["error"]
        assert _active(ws) == before and _counts(ws) == counts  # nothing written
        # rey, who holds it, adds it: their own lease does not stop them
        assert _add(rey, "places").status_code == 200
        assert _terms(ws) == ["nature", "places"]
    finally:
        next(users, None)


def test_a_term_is_not_taken_back_while_another_reviewer_holds_the_record(
        make_ws: Any) -> None:
    from .test_subject_correction_export import subjects_ws

    ws = subjects_ws(make_ws, gold=["nature"])
    add_user(ws, "rob", PASSWORD, "reviewer")
    users = app_with_users(ws)
    _, _, client = next(users)
    try:
        rob = client("rob")
        assert _add(rob, "places").status_code == 200  # nobody held it yet
        review.release_leases(ws, "rob")  # rob's queue page left: rey's takes the record
        assert [r["item_id"] for r in review.lease_queue(ws, "rey")] == ["T07768"]
        after, counts = _active(ws), _counts(ws)
        page = _undo(rob, "places")
        assert page.status_code == 409
        assert (f"review queue row {_row(ws)} (item T07768) is being reviewed by rey; the "
                "term &#39;places&#39; was not taken back") in page.text
        got = rob.delete("/api/records/T07768/terms", params={"term": "places"},
                         headers=_bearer(ws, "rob"))
        assert got.status_code == 409 and got.json()["current"]["lease_owner"] == "rey"
        assert got.json()["hint"] == (
            "reload the queue; once rey has decided the record's suggestions, take it back "
            "(in the ten minutes after adding it; later, correct the record's terms on its "
            "page)")
        assert _active(ws) == after and _counts(ws) == counts  # nothing written
        # rey gives the record back: rob's undo goes through
        assert review.release_leases(ws, "rey") == 1
        got = rob.delete("/api/records/T07768/terms", params={"term": "places"},
                         headers=_bearer(ws, "rob"))
        assert got.status_code == 200, got.text
        assert got.json() == {"item_id": "T07768", "term": "places", "terms": ["nature"]}
    finally:
        next(users, None)
    assert _terms(ws) == ["nature"]


def test_a_lease_run_out_does_not_hold_the_record(make_ws: Any) -> None:
    from datetime import timedelta

    from glamlab.store.engine import now

    from .test_subject_correction_export import subjects_ws

    ws = subjects_ws(make_ws)
    review.lease_queue(ws, "rey")
    q = ws.store.t.review_queue
    with ws.store.write() as conn:
        conn.execute(q.update().values(lease_until=now() - timedelta(seconds=1)))
    assert review.add_term(ws, "rob", "T07768", "places")["terms"] == ["places"]


def test_the_api_adds_a_term_and_takes_it_back(make_ws: Any) -> None:
    from .test_subject_correction_export import subjects_ws

    ws = subjects_ws(make_ws)
    add_user(ws, "val", PASSWORD, "viewer")
    users = app_with_users(ws)
    _, _, client = next(users)
    try:
        c = client("rey")
        token = _bearer(ws, "rey")
        assert [r["label"] for r in c.get("/api/queue", headers=token).json()] == ["people"]
        got = c.post("/api/records/T07768/terms", json={"term": "people"}, headers=token)
        assert got.status_code == 200, got.text
        assert got.json() == {"item_id": "T07768", "term": "people", "terms": ["people"]}
        assert c.get("/api/queue", headers=token).json() == []  # settled by it
        # refused plainly, naming the record and the fix
        again = c.post("/api/records/T07768/terms", json={"term": "people"}, headers=token)
        assert again.status_code == 422
        assert again.json()["error"] == "T07768 already has the term 'people'"
        unknown = c.post("/api/records/T07768/terms", json={"term": "cats"}, headers=token)
        assert unknown.status_code == 422 and "choose one of people, places, nature" in (
            unknown.json()["hint"])
        nothing = c.post("/api/records/T0/terms", json={"term": "places"}, headers=token)
        assert nothing.status_code == 404 and nothing.json()["item"] == "T0"
        # the session cookie needs the CSRF token, as every write does
        bare = c.post("/api/records/T07768/terms", json={"term": "places"})
        assert bare.status_code == 403 and "CSRF" in bare.text
        # a viewer may not
        val = client("val")
        seen = val.post("/api/records/T07768/terms", json={"term": "places"},
                        headers={"X-CSRF-Token": csrf_of(val)})
        assert seen.status_code == 403 and "viewer" in seen.text
        # taken back: the suggestion is asked again
        got = c.delete("/api/records/T07768/terms", params={"term": "people"},
                       headers={"X-CSRF-Token": csrf_of(c)})
        assert got.status_code == 200, got.text
        assert got.json()["terms"] == []
        assert [r["label"] for r in c.get("/api/queue", headers=token).json()] == ["people"]
        twice = c.delete("/api/records/T07768/terms", params={"term": "people"},
                         headers=token)
        assert twice.status_code == 422 and "nothing to undo" in twice.json()["error"]
    finally:
        next(users, None)
    assert _terms(ws) == []
    a = ws.store.t.audit_log
    with ws.store.read() as conn:
        assert conn.execute(sa.select(a.c.action, a.c.actor).where(a.c.action.like(
            "labels.term_added%")).order_by(a.c.id)).all() == [
            ("labels.term_added", "rey"), ("labels.term_added.undo", "rey")]
