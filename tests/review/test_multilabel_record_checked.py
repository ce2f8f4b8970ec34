"""A multi-label record's reviewed gold and the terms the policy accepted.

Three gaps a reviewer's work fell into:

1. The terms the policy accepted (``glamlab act`` wrote them as machine metadata) were not
   gold, so a record whose suggestions a reviewer decided trained with them *absent*.
   Now, when the last suggestion is decided, the record is checked
   (:func:`glamlab.tasks.partial_labels.check_record`): the terms people accepted and
   those the policy accepted that nobody rejected are its whole set.
2. A record whose suggestions were all rejected got no gold and never trained. Now it
   trains, its rejected terms absent (with the empty set where the policy accepted
   none).
3. There was no "whole record checked" (the entities kind's "whole text checked"):
   :func:`glamlab.review.mark_record_checked`, the queue page's button (key ``d``) and
   ``PUT /api/records/{id}/checked``; audited, and taken back by
   :func:`glamlab.review.unmark_record_checked`.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from glamlab.store import now

from ..actions.helpers import add_items, add_model, add_predictions

SUBJECTS = ("sea", "ships", "storm", "dog")


def _project(make_ws: Any) -> Any:
    """t1: the cataloguer gave {sea, ships}. t2: the policy accepts sea, sends storm and
    ships to review. t3: the policy accepts nothing, sends storm to review."""
    ws = make_ws("tate", task="subjects", labels=list(SUBJECTS), multi_label=True)
    add_items(ws, [{"item_id": i, "source_kind": "iiif", "uri": f"https://example.org/{i}.jpg"}
                   for i in ("t1", "t2", "t3")])
    t = ws.store.t
    with ws.store.write() as conn:
        conn.execute(t.labels.insert(), [
            {"item_id": "t1", "label": x, "annotator": "tate", "source": "import",
             "active": True, "created_at": now()} for x in ("sea", "ships")])
        conn.execute(t.splits.insert().values(item_id="t1", split="train", created_at=now()))
    add_predictions(ws, add_model(ws, "subj", 1), {
        "t1": {"sea": 0.04, "ships": 0.04, "storm": 0.04, "dog": 0.01},
        "t2": {"sea": 0.95, "ships": 0.6, "storm": 0.7, "dog": 0.01},
        "t3": {"sea": 0.1, "ships": 0.1, "storm": 0.7, "dog": 0.01}}, multi_label=True)
    ws.card.raw["policy"] = {"field": "subject",
                             "labels": {x: {"accept": 0.9, "review": 0.5} for x in SUBJECTS}}
    ws.save_card()
    from glamlab.actions import act

    act(ws)
    return ws


def _queued(ws: Any, item_id: str) -> dict[str, Any]:
    from glamlab.review import peek_queue

    return {r["label"]: r for r in peek_queue(ws, limit=50) if r["item_id"] == item_id}


def _training(ws: Any) -> tuple[dict[str, list[str]], list[str]]:
    from glamlab.tasks.splits import training_data

    data = training_data(ws)
    return ({i.item_id: sorted(g) for i, g in zip(data.items, data.labels, strict=True)},
            data.waiting)


def _audit(ws: Any, action: str) -> list[dict[str, Any]]:
    a = ws.store.t.audit_log
    with ws.store.read() as conn:
        return [dict(r.details or {}, actor=r.actor, object=r.object) for r in conn.execute(
            sa.select(a.c.actor, a.c.object, a.c.details).where(a.c.action == action)
            .order_by(a.c.id))]


# -- 1. the terms the policy accepted -----------------------------------------------------
def test_a_reviewed_record_trains_with_the_terms_the_policy_accepted(make_ws: Any) -> None:
    from glamlab.review import decide

    ws = _project(make_ws)
    q = _queued(ws, "t2")
    decide(ws, "ada", q["storm"]["id"], "accept", q["storm"]["version"])
    assert _training(ws) == ({"t1": ["sea", "ships"]}, ["t2"])  # ships still open
    res = decide(ws, "bo", q["ships"]["id"], "reject", q["ships"]["version"])
    assert res["record_checked"] == ["sea", "storm"]
    # sea (the policy's) present, storm (accepted) present, ships (rejected) absent
    assert _training(ws) == ({"t1": ["sea", "ships"], "t2": ["sea", "storm"]}, [])
    [entry] = _audit(ws, "labels.record_checked")
    assert (entry["object"], entry["actor"], entry["terms"], entry["policy_terms"],
            entry["auto"]) == ("t2", "bo", ["sea", "storm"], ["sea"], True)
    from glamlab.tasks.partial_labels import review_label_counts

    assert review_label_counts(ws) == {"fully_reviewed": 1, "partly_reviewed": 0}


def test_undoing_the_last_decision_takes_the_check_back(make_ws: Any) -> None:
    from glamlab.review import decide, undo_decision

    ws = _project(make_ws)
    q = _queued(ws, "t2")
    decide(ws, "ada", q["storm"]["id"], "accept", q["storm"]["version"])
    last = decide(ws, "ada", q["ships"]["id"], "reject", q["ships"]["version"])
    assert _training(ws)[0]["t2"] == ["sea", "storm"]
    undo_decision(ws, "ada", last["decision_id"])
    assert _training(ws) == ({"t1": ["sea", "ships"]}, ["t2"])  # waits again, as before
    assert sorted(_queued(ws, "t2")) == ["ships"]


def test_the_export_says_who_checked_the_policy_s_term(make_ws: Any, tmp_path: Any) -> None:
    """Once the record is checked, the export's row of sea (the policy's) carries the
    reviewer who checked the record as confirming it (it is a person's gold now), the
    model's name and score kept beside it."""
    from glamlab.actions.export import export
    from glamlab.review import decide

    ws = _project(make_ws)
    q = _queued(ws, "t2")
    decide(ws, "ada", q["storm"]["id"], "accept", q["storm"]["version"])
    decide(ws, "ada", q["ships"]["id"], "reject", q["ships"]["version"])
    out = tmp_path / "out.jsonl"
    export(ws, "jsonl", out)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    [sea] = [r for r in rows if r["item_id"] == "t2" and r["value"] == "sea"]
    assert (sea["action"], sea["decision"], sea["confirmed_by"]) == ("accept", "gold", "ada")
    assert sea["reason"] == "settled by a gold label: ada's label gives it"
    assert (sea["model"], sea["score"]) == ("subj", 0.95)  # the machine's provenance kept


# -- 2. every suggestion rejected -----------------------------------------------------------
def test_a_record_whose_suggestions_were_all_rejected_trains(make_ws: Any) -> None:
    from glamlab.review import decide

    ws = _project(make_ws)
    q2, q3 = _queued(ws, "t2"), _queued(ws, "t3")
    for r in q2.values():
        decide(ws, "ada", r["id"], "reject", r["version"])
    decide(ws, "ada", q3["storm"]["id"], "reject", q3["storm"]["version"])
    # t2: the policy's sea only; t3: no term applies (a negative example for every one)
    assert _training(ws) == ({"t1": ["sea", "ships"], "t2": ["sea"], "t3": []}, [])
    from glamlab.tasks.labels import gold_labels

    assert gold_labels(ws, ["t3"]) == {"t3": []}
    from glamlab.tasks.splits import split_of

    assert split_of(ws, ["t2", "t3"]) == {"t2": "train", "t3": "train"}
    # the empty set's one row is no label of its own on the Labelling and stage pages
    from glamlab.review import labelling_counts

    counts = labelling_counts(ws)
    assert "" not in counts["by_label"] and set(counts["by_label"]) <= {"sea", "ships", "storm"}


def test_a_record_with_no_term_fits_a_model(make_ws: Any) -> None:
    """The empty set trains (every term absent), through the real fit path."""
    from glamlab.review import decide
    from glamlab.tasks.splits import training_data

    ws = _project(make_ws)
    q3 = _queued(ws, "t3")
    decide(ws, "ada", q3["storm"]["id"], "reject", q3["storm"]["version"])
    data = training_data(ws)
    assert data.targets()[data.ids.index("t3")] == []


# -- 3. "whole record checked" -------------------------------------------------------------
def test_whole_record_checked_saves_the_record_s_whole_set(make_ws: Any) -> None:
    from glamlab.review import decide, mark_record_checked, unmark_record_checked

    ws = _project(make_ws)
    q = _queued(ws, "t2")
    decide(ws, "ada", q["storm"]["id"], "accept", q["storm"]["version"])
    done = mark_record_checked(ws, "ada", "t2")
    assert (done["terms"], done["policy_terms"], done["rejected"]) == (
        ["sea", "storm"], ["sea"], 1)
    assert _queued(ws, "t2") == {}  # ships, still waiting, rejected with it
    assert _training(ws) == ({"t1": ["sea", "ships"], "t2": ["sea", "storm"]}, [])
    [entry] = _audit(ws, "labels.record_checked")
    assert entry["auto"] is False and entry["actor"] == "ada" and len(entry["rejected"]) == 1
    # pressed by mistake: taken back, ships asked again, t2 waits as before
    back = unmark_record_checked(ws, "ada", "t2")
    assert back["reopened"] == 1
    assert sorted(_queued(ws, "t2")) == ["ships"]
    assert _training(ws) == ({"t1": ["sea", "ships"]}, ["t2"])
    assert _audit(ws, "labels.record_checked.undo")[0]["reopened"] == [q["ships"]["id"]]


def test_whole_record_checked_is_refused_plainly(make_ws: Any) -> None:
    from glamlab.errors import LabelError
    from glamlab.review import mark_record_checked, unmark_record_checked

    ws = _project(make_ws)
    with ws.store.write() as conn:
        conn.execute(ws.store.t.splits.insert().values(item_id="t3", split="test",
                                                       created_at=now()))
    for call, said in ((lambda: mark_record_checked(ws, "ada", "t3"),
                        "t3 is in the test split"),
                       (lambda: unmark_record_checked(ws, "ada", "t2"),
                        "t2 is not marked checked by ada")):
        try:
            call()
        except LabelError as exc:
            assert said in exc.message
        else:
            raise AssertionError("not refused")
    assert _audit(ws, "labels.record_checked") == []


def test_only_its_reviewer_takes_a_mark_back(make_ws: Any) -> None:
    """Another reviewer's mark is theirs to take back; a record its last decision checked
    is taken back by undoing that decision."""
    from glamlab.errors import LabelError
    from glamlab.review import decide, mark_record_checked, unmark_record_checked

    ws = _project(make_ws)
    mark_record_checked(ws, "ada", "t2")
    q3 = _queued(ws, "t3")
    decide(ws, "ada", q3["storm"]["id"], "reject", q3["storm"]["version"])
    for item_id, said in (("t2", "t2 was marked checked by ada, not by bo"),
                          ("t3", "t3 was checked by the last decision on it")):
        try:
            unmark_record_checked(ws, "bo" if item_id == "t2" else "ada", item_id)
        except LabelError as exc:
            assert said in exc.message, exc.message
        else:
            raise AssertionError("not refused")
    assert _training(ws)[0] == {"t1": ["sea", "ships"], "t2": ["sea"], "t3": []}


def test_a_mark_is_taken_back_within_ten_minutes_and_says_what_used_it(make_ws: Any
                                                                        ) -> None:
    """"Whole record checked" taken back follows every other undo's rules
    (:mod:`glamlab.review.undo`): refused once ten minutes old, in the same words, and
    ``cannot_take_back`` says that a model trained since may have learned from the
    record, in the store, the API and the queue page (it had no time limit and said
    nothing of what used the mark)."""
    from datetime import timedelta

    from glamlab.errors import LabelError
    from glamlab.review import UNDO_S, mark_record_checked, unmark_record_checked

    from ..web.conftest import app_with_users, csrf_of

    ws = _project(make_ws)
    mark_record_checked(ws, "rey", "t2")
    try:
        unmark_record_checked(ws, "rey", "t2", at=now() + timedelta(seconds=UNDO_S + 60))
    except LabelError as exc:
        assert exc.message == ("the mark 'whole record checked' on item t2 is more than 10 "
                               "minutes old, so it can no longer be undone"), exc.message
        assert "labels on its page" in (exc.hint or "")
    else:
        raise AssertionError("a mark older than ten minutes was taken back")
    assert _training(ws)[0]["t2"] == ["sea"]  # still checked
    add_model(ws, "subj", 2)  # a model trained since, on the record's set
    back = unmark_record_checked(ws, "rey", "t2")
    [said] = back["cannot_take_back"]
    assert said.startswith("model subj v2 was trained after") and "learned from it" in said
    assert _audit(ws, "labels.record_checked.undo")[0]["cannot_take_back"] == [said]

    users = app_with_users(ws)
    _, _, client = next(users)
    try:
        c = client("rey")
        h = {"X-CSRF-Token": csrf_of(c)}
        assert c.put("/api/records/t2/checked", headers=h).status_code == 200
        add_model(ws, "subj", 3)
        r = c.delete("/api/records/t2/checked", headers=h)
        assert r.status_code == 200, r.text
        assert [x[:20] for x in r.json()["cannot_take_back"]] == ["model subj v3 was tr"]
        # the queue page: what undo cannot take back, said at its top
        r = c.post("/queue/record-checked", data={"csrf": csrf_of(c), "record_checked": "t2"},
                   follow_redirects=True)
        assert "for 10 minutes after" in r.text
        add_model(ws, "subj", 4)
        r = c.post("/queue/record-unchecked", data={"csrf": csrf_of(c), "record_checked": "t2"},
                   follow_redirects=True)
        assert r.status_code == 200 and "Mark taken back" in r.text
        assert "What undo cannot take back: model subj v4 was trained after" in r.text
        # older than ten minutes: refused (422) on the API and the queue page alike
        assert c.put("/api/records/t2/checked", headers=h).status_code == 200
        a = ws.store.t.audit_log
        with ws.store.write() as conn:
            conn.execute(a.update().where(a.c.action == "labels.record_checked")
                         .values(at=now() - timedelta(seconds=UNDO_S + 60)))
        r = c.delete("/api/records/t2/checked", headers=h)
        assert r.status_code == 422 and "can no longer be undone" in r.text
        r = c.post("/queue/record-unchecked", data={"csrf": csrf_of(c), "record_checked": "t2"},
                   follow_redirects=True)
        assert r.status_code == 422
        assert "Not undone: the mark &#39;whole record checked&#39; on item t2 is more" in r.text
        assert _training(ws)[0]["t2"] == ["sea"]
    finally:
        next(users, None)


def test_the_queue_page_and_the_api_check_a_record(make_ws: Any) -> None:
    from glamlab.review import decide

    from ..web.conftest import app_with_users, csrf_of

    ws = _project(make_ws)
    q = _queued(ws, "t2")
    users = app_with_users(ws)
    _, _, client = next(users)
    try:
        c = client("rey")
        page = c.get("/queue").text
        assert 'formaction="/queue/record-checked"' in page and 'data-act="d"' in page
        assert "Whole record checked (<kbd>d</kbd>)" in page
        assert "Accepted by the policy, kept: <b>sea</b>" in page
        decide(ws, "rey", q["storm"]["id"], "accept", q["storm"]["version"])
        r = c.post("/queue/record-checked", data={"csrf": csrf_of(c), "record_checked": "t2"},
                   follow_redirects=True)
        assert r.status_code == 200
        assert "Record marked checked" in r.text and "/queue/record-unchecked" in r.text
        assert _training(ws)[0]["t2"] == ["sea", "storm"]
        r = c.post("/queue/record-unchecked", data={"csrf": csrf_of(c), "record_checked": "t2"},
                   follow_redirects=True)
        assert "Mark taken back" in r.text
        assert _training(ws)[1] == ["t2"]
        h = {"X-CSRF-Token": csrf_of(c)}
        r = c.put("/api/records/t2/checked", headers=h)
        assert r.status_code == 200, r.text
        assert r.json()["terms"] == ["sea", "storm"] and r.json()["rejected"] == 1
        r = c.delete("/api/records/t2/checked", headers=h)
        assert r.status_code == 200 and r.json()["reopened"] == 1
        r = c.put("/api/records/t1/checked", headers=h)  # the cataloguer's set, plus nothing
        assert r.status_code == 200 and r.json()["terms"] == ["sea", "ships"]
    finally:
        next(users, None)


def test_a_record_checked_with_no_term_shows_no_label_named_empty(make_ws: Any) -> None:
    """The empty set's one row (:data:`~glamlab.store.gold.NO_TERMS`) is no label a
    reviewer is shown: a later suggestion for the record says that the record was
    checked with none of the terms (it said "they are <b></b>"; the API's ``gold_labels``
    were ``[""]``), and the item page's history names no label ''."""
    import re

    from glamlab.actions import act
    from glamlab.review import decide

    from ..web.conftest import app_with_users

    ws = _project(make_ws)
    q3 = _queued(ws, "t3")
    decide(ws, "ada", q3["storm"]["id"], "reject", q3["storm"]["version"])
    # a later model suggests dog for t3: asked, the record's set (none) shown beside it
    add_predictions(ws, add_model(ws, "subj", 2), {
        "t3": {"sea": 0.1, "ships": 0.1, "storm": 0.1, "dog": 0.7}}, multi_label=True)
    act(ws)
    dog = _queued(ws, "t3")["dog"]
    assert dog["gold"] == [] and dog["gold_none"] is True
    users = app_with_users(ws)
    _, _, client = next(users)
    try:
        c = client("rey")
        page = c.get("/queue").text
        assert "they are <b></b>" not in page
        assert re.search(r"checked this record and found none of the terms applies", page)
        r = c.get("/api/queue")
        assert r.status_code == 200, r.text
        [row] = [x for x in r.json() if x["item_id"] == "t3"]
        assert row["gold_labels"] == []
        item = c.get("/items/t3").text
        listed = item.split('id="gold-labels"', 1)[1].split("</ul>", 1)[0]
        assert "<li> by ada" not in listed and "no term applies" in listed, listed
    finally:
        next(users, None)


def test_a_viewer_checks_no_record_and_another_reviewer_takes_no_mark_back(make_ws: Any
                                                                           ) -> None:
    """The new routes' role and CSRF checks: a viewer's PUT/DELETE
    /api/records/ID/checked and the queue's forms are refused (403), a form without its
    CSRF token too, and another reviewer's DELETE of rey's mark (422) leaves it."""
    from glamlab.auth import add_user

    from ..web.conftest import PASSWORD, app_with_users, csrf_of

    ws = _project(make_ws)
    add_user(ws, "vic", PASSWORD, "viewer")
    add_user(ws, "bo", PASSWORD, "reviewer")
    users = app_with_users(ws)
    _, _, client = next(users)
    try:
        vic, rey, bo = client("vic"), client("rey"), client("bo")
        for verb in ("put", "delete"):
            r = getattr(vic, verb)("/api/records/t2/checked",
                                   headers={"X-CSRF-Token": csrf_of(vic)})
            assert r.status_code == 403, r.text
        for path in ("/queue/record-checked", "/queue/record-unchecked"):
            r = vic.post(path, data={"csrf": csrf_of(vic), "record_checked": "t2"})
            assert r.status_code == 403, r.text
            r = rey.post(path, data={"record_checked": "t2"})  # no CSRF token
            assert r.status_code == 403, r.text
        assert _audit(ws, "labels.record_checked") == []
        r = rey.put("/api/records/t2/checked", headers={"X-CSRF-Token": csrf_of(rey)})
        assert r.status_code == 200, r.text
        r = bo.delete("/api/records/t2/checked", headers={"X-CSRF-Token": csrf_of(bo)})
        assert r.status_code == 422 and "marked checked by rey, not by bo" in r.text
        assert _training(ws)[0]["t2"] == ["sea"]
    finally:
        next(users, None)


def test_a_record_checked_with_no_term_is_no_label_act_counts(make_ws: Any) -> None:
    """act's "N labels a person gave have no value of the model ... every export gives
    them in a row of their own" counted the empty set's row of a record checked with no
    term (no export row comes of it)."""
    from glamlab.actions.export import export
    from glamlab.review import decide

    ws = _project(make_ws)
    q3 = _queued(ws, "t3")
    decide(ws, "ada", q3["storm"]["id"], "reject", q3["storm"]["version"])
    # a new model that has predicted t1 and t2, not t3 yet
    add_predictions(ws, add_model(ws, "subj", 2), {
        "t1": {"sea": 0.95, "ships": 0.95, "storm": 0.01, "dog": 0.01},
        "t2": {"sea": 0.95, "ships": 0.01, "storm": 0.01, "dog": 0.01}}, multi_label=True)
    from glamlab.actions.act import plan

    report = plan(ws, model="subj@2", dry_run=True)
    assert report.gold_unpredicted == 0
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as d:
        export(ws, "jsonl", Path(d) / "x.jsonl", model="subj@2")
        rows = [json.loads(x) for x in (Path(d) / "x.jsonl").read_text().splitlines()]
    assert not [r for r in rows if r["item_id"] == "t3"]


def test_the_item_page_says_no_term_applies_in_force(make_ws: Any) -> None:
    """A record whose suggestions were all rejected: the item page's "Change the labels"
    said "The label in force now is , by ada." (an empty list); it says no term
    applies."""
    import re

    from glamlab.review import decide

    from ..web.conftest import app_with_users

    ws = _project(make_ws)
    q3 = _queued(ws, "t3")
    decide(ws, "ada", q3["storm"]["id"], "reject", q3["storm"]["version"])
    users = app_with_users(ws)
    _, _, client = next(users)
    try:
        page = client("rey").get("/items/t3").text
        [said] = re.findall(r'<p class="hint"[^>]*>([^<]*in force now[^<]*)', page, re.I)
        assert "is , by" not in said
        assert said.startswith("In force now: no term applies"), said
        assert "by ada" in said
    finally:
        next(users, None)


def test_an_item_page_with_no_label_links_to_labelling_it(make_ws: Any) -> None:
    """A record nobody labelled or checked yet: its page had no way to give its terms
    (the "Change the labels" form needs a label in force), so a cataloguer who saw a term
    missing had nowhere to add it. A reviewer gets a link to the labelling form for it;
    a viewer does not."""
    from glamlab.auth import add_user

    from ..web.conftest import PASSWORD, app_with_users, login

    ws = _project(make_ws)
    add_user(ws, "val", PASSWORD, "viewer")
    users = app_with_users(ws)
    _, app, client = next(users)
    try:
        c = client("rey")
        page = c.get("/items/t2").text
        assert 'href="/label?item=t2"' in page and "Label this item" in page
        assert "t2" in c.get("/label?item=t2").text
        assert 'href="/label?item=t2"' not in c.get("/items/t1").text  # it has a label
        from fastapi.testclient import TestClient

        with TestClient(app) as v:
            assert login(v, "val").status_code == 303
            assert 'href="/label?item=t2"' not in v.get("/items/t2").text
    finally:
        next(users, None)
