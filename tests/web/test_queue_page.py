"""The review queue as a curator meets it (issue 18, items 7-9): items with a gold label
are not asked about, viewers read without buttons, reasons in plain words, keys 1-9 shown,
a conflict lands on a page (never a POST URL), destructive admin actions are confirmed."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

from glamlab import review
from glamlab.store import now

from .conftest import csrf_of


def _queue_ids(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'data-queue-id="(\d+)"', html)]


def test_items_whose_gold_label_agrees_are_not_queued(client_for: Any, queued_ws: Any) -> None:
    before = review.peek_queue(queued_ws, sort="oldest", limit=500)
    agree, disagree = before[:5], before[5]
    other = next(lab for lab in queued_ws.card.labels if lab != disagree["label"])
    t = queued_ws.store.t
    with queued_ws.store.write() as conn:
        for r, lab in [*((r, r["label"]) for r in agree), (disagree, other)]:
            conn.execute(t.labels.insert().values(item_id=r["item_id"], label=lab,
                                                  annotator="import", source="gold.csv",
                                                  active=True, created_at=now()))
        # a recheck of a gold label still shows: it is about that label
        conn.execute(t.review_queue.insert().values(
            item_id=agree[0]["item_id"], label=agree[0]["label"], score=0.9,
            reason="gold label looks wrong", kind="recheck", status="open", version=1,
            created_at=now()))
    gone = {r["id"] for r in agree}
    after = review.peek_queue(queued_ws, sort="oldest", limit=500)
    assert not gone & {r["id"] for r in after} and len(after) == len(before) - 4
    assert review.queue_counts(queued_ws)["open"] == len(before) - 4
    c = client_for("rey")
    leased = {r["id"] for r in c.get("/api/queue?limit=500").json()}
    assert not gone & leased and disagree["id"] in leased
    html = c.get("/queue?sort=oldest").text
    assert not gone & set(_queue_ids(html))
    # the disagreeing one shows both labels: nothing is replaced silently
    assert f"A person labelled this item otherwise: <b>{other}</b> (imported from gold.csv)" in html


def test_viewers_read_the_queue_without_buttons(client_for: Any, queued_ws: Any) -> None:
    val = client_for("val")
    html = val.get("/queue").text
    assert len(_queue_ids(html)) == 25  # they see the queue
    assert "/queue/decide" not in html and 'name="sel"' not in html
    assert "Accept all selected" not in html and 'id="read-only"' in html
    t = queued_ws.store.t.review_queue
    with queued_ws.store.read() as conn:  # and hold nothing
        assert conn.execute(sa.select(sa.func.count()).where(
            t.c.lease_owner.is_not(None))).scalar() == 0
    label = val.get("/label").text
    assert 'id="label-form"' not in label and 'action="/label/skip"' not in label
    assert 'id="read-only"' in label
    assert 'id="label-form"' in client_for("rey").get("/label").text


def test_reasons_are_plain_words_and_number_keys_are_shown(client_for: Any,
                                                           queued_ws: Any) -> None:
    from glamlab.web.routes.review import plain_reason

    class LP:
        accept = 0.95

    class Policy:
        labels = {"graphic": LP()}

    row = {"kind": "prediction", "label": "graphic", "score": 0.919492,
           "reason": "score 0.919492 >= review threshold 0.5 and below accept 0.95"}
    assert plain_reason(Policy(), row) == (
        "The model is 92% sure; items at or above 95% are accepted automatically.")
    close = {**row, "score": 0.949, "reason": "score 0.949 >= review threshold 0.5"}
    assert "94.9% sure; items at or above 95% are" in plain_reason(Policy(), close)
    # the threshold reads the same on every card, never rounded up: 0.98713 was "99%"
    # on a card that said "97% sure", and on another "98.7%"
    LP.accept = 0.98713
    for score, sure in ((0.9712, "97%"), (0.9869, "98.6%"), (0.5, "50%")):
        assert plain_reason(Policy(), {**row, "score": score}) == (
            f"The model is {sure} sure; items at or above 98.7% are accepted automatically.")
    # a score within a tenth of a percent of the threshold shows the digits that part them
    assert "98.712% sure; items at or above 98.713%" in plain_reason(
        Policy(), {**row, "score": 0.98712})
    rule = {**row, "reason": "safety rule 'restricted' matched"}
    assert plain_reason(Policy(), rule) == rule["reason"]
    html = client_for("rey").get("/queue").text
    for n, lab in enumerate(queued_ws.card.labels, start=1):
        assert f"<kbd>{n}</kbd> {lab}" in html


def test_a_conflicting_form_decision_lands_on_the_queue(client_for: Any, queued_ws: Any) -> None:
    rey = client_for("rey")
    row = rey.get("/api/queue?limit=1").json()[0]
    review.decide(queued_ws, "rey", row["id"], "accept", row["version"])  # another tab
    r = rey.post("/queue/decide", data={"one": f"{row['id']}:{row['version']}:reject",
                                        "csrf": csrf_of(rey)}, follow_redirects=False)
    assert r.status_code == 303 and "conflicts=1" in r.headers["location"]
    page = rey.get(r.headers["location"]).text
    assert "your decision was not saved" in page


def test_correcting_to_the_predicted_label_accepts(client_for: Any, queued_ws: Any) -> None:
    rey = client_for("rey")
    row = rey.get("/api/queue?limit=1").json()[0]
    r = rey.post("/queue/decide", data={
        "one": f"{row['id']}:{row['version']}:correct", f"label_{row['id']}": row["label"],
        f"predicted_{row['id']}": row["label"], "csrf": csrf_of(rey)}, follow_redirects=False)
    assert r.status_code == 303 and "done=accept" in r.headers["location"]
    assert review.list_decisions(queued_ws, item_id=row["item_id"])[0]["action"] == "accept"


def test_what_the_model_predicted_comes_from_the_queue_row(client_for: Any,
                                                           queued_ws: Any) -> None:
    """Whether a "correction" is an accept is told by the queue row's label as the
    server has it, never by a field the page posts (``predicted_ID``, once a hidden
    field): a stale or forged page turns neither a correction into an accept (which
    would save the model's label, not the reviewer's) nor the reverse."""
    rey = client_for("rey")
    rows = rey.get("/api/queue?limit=2").json()
    a, b = rows[0], rows[1]
    other_a = next(lab for lab in queued_ws.card.labels if lab != a["label"])
    other_b = next(lab for lab in queued_ws.card.labels if lab != b["label"])
    page = rey.get("/queue").text
    assert 'name="predicted_' not in page  # the page no longer sends one
    # the model's label, the page saying it predicted another: an accept
    r = rey.post("/queue/decide", data={
        "one": f"{a['id']}:{a['version']}:correct", f"label_{a['id']}": a["label"],
        f"predicted_{a['id']}": other_a, "csrf": csrf_of(rey)}, follow_redirects=False)
    assert r.status_code == 303 and "done=accept" in r.headers["location"]
    got = review.list_decisions(queued_ws, item_id=a["item_id"])[0]
    assert (got["action"], got["label"]) == ("accept", a["label"])
    # another label, the page saying the model predicted it: a correction to it
    r = rey.post("/queue/decide", data={
        "one": f"{b['id']}:{b['version']}:correct", f"label_{b['id']}": other_b,
        f"predicted_{b['id']}": other_b, "csrf": csrf_of(rey)}, follow_redirects=False)
    assert r.status_code == 303 and "done=correct" in r.headers["location"]
    got = review.list_decisions(queued_ws, item_id=b["item_id"])[0]
    assert (got["action"], got["label"]) == ("correct", other_b)


def test_destructive_admin_actions_ask_first(client_for: Any, queued_ws: Any) -> None:
    from glamlab.auth import get_user
    from glamlab.registry import list_models

    ada = client_for("ada")
    r = ada.post("/admin/users/remove", data={"username": "rob", "csrf": csrf_of(ada)},
                 follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/admin/confirm")
    assert get_user(queued_ws, "rob") is not None  # nothing happened yet
    page = ada.get(r.headers["location"]).text
    assert "Remove rob?" in page and 'name="confirmed" value="yes"' in page
    r = ada.post("/admin/users/remove", data={"username": "rob", "confirmed": "yes",
                                              "csrf": csrf_of(ada)}, follow_redirects=False)
    assert r.status_code == 303 and get_user(queued_ws, "rob") is None
    model = f"{list_models(queued_ws)[0].name}@{list_models(queued_ws)[0].version}"
    r = ada.post("/admin/alias", data={"model": model, "alias": "champion",
                                       "csrf": csrf_of(ada)}, follow_redirects=False)
    assert r.headers["location"].startswith("/admin/confirm")
    assert "becomes the model in use" in ada.get(r.headers["location"]).text
    r = ada.post("/admin/alias", data={"model": model, "alias": "challenger",
                                       "csrf": csrf_of(ada)}, follow_redirects=False)
    assert r.headers["location"] == "/admin?done=alias-set"  # not destructive: no question


def test_the_dry_run_section_names_unmeasured_labels_and_warns(queued_ws: Any) -> None:
    """The web's dry run said nothing about wrong accepts when some label had no test
    item above its threshold, and nothing about a label far below the target."""
    from glamlab.web.app import create_app

    env = create_app(queued_ws).state.templates.env
    act = {"model": "m@1", "field": "subjects", "items_with_predictions": 10,
           "counts": {"accept": 5, "review": 2, "reject": 3}, "by_label": [],
           "expected_wrong_accepts": None, "review_hours": 0.1,
           "expected_wrong_partial": {"expected_wrong_measured": 1.4, "measured_accepts": 4,
                                      "unmeasured": [{"label": "ships", "accepts": 1}],
                                      "unmeasured_accepts": 1},
           "warnings": ["maps: only 1 of 2 test accepts right"]}
    html = env.get_template("report_section.html").render(r={"act": act})
    assert "About 1 of the 4 automatic values the test set can judge may be wrong" in html
    assert "for ships (1 values) no test item scores as high" in html
    assert "Warning: maps: only 1 of 2 test accepts right" in html


def test_a_test_set_item_in_the_queue_does_not_promise_to_replace_its_label(
        client_for: Any, queued_ws: Any) -> None:
    """A prediction that disagrees with a person's label said "Accepting replaces the
    existing label" also for an item in the test set, whose gold label a decision keeps:
    the reviewer believed they had changed it."""
    rows = review.peek_queue(queued_ws, sort="oldest", limit=500)
    in_test, in_train = rows[0], rows[1]
    t = queued_ws.store.t
    with queued_ws.store.write() as conn:
        for r, split in ((in_test, "test"), (in_train, "train")):
            other = next(lab for lab in queued_ws.card.labels if lab != r["label"])
            conn.execute(t.labels.insert().values(item_id=r["item_id"], label=other,
                                                  annotator="ada", source="web",
                                                  active=True, created_at=now()))
            conn.execute(t.splits.delete().where(t.splits.c.item_id == r["item_id"]))
            conn.execute(t.splits.insert().values(item_id=r["item_id"], split=split,
                                                  created_at=now()))
    c = client_for("rey")
    review_page = c.get("/queue?sort=oldest").text

    def card(item_id: str) -> str:
        start = review_page.index(f'aria-label="{item_id}:')
        return review_page[start:review_page.index("</li>", start)]

    train_card = card(in_train["item_id"])
    assert "otherwise: <b>" in train_card and "(by ada)" in train_card
    assert "replaces that label for training" in train_card
    test_card = card(in_test["item_id"])
    assert "replaces" not in test_card and "(by ada)" in test_card
    assert ("The item is in the test set: your decision goes into the export; the item's "
            "label in the test set stays as it was, so the model's measured quality is not "
            "changed by it") in test_card
    # the JSON API's rows say the same: the person's labels, who, and the test split
    api = {r["item_id"]: r for r in c.get("/api/queue?sort=oldest&limit=500").json()}
    assert api[in_test["item_id"]]["in_test"] is True
    assert api[in_train["item_id"]]["in_test"] is False
    for r in (in_test, in_train):
        assert api[r["item_id"]]["gold_labels"] == [
            next(lab for lab in queued_ws.card.labels if lab != r["label"])]
        assert api[r["item_id"]]["gold_by"] == "ada"
    assert api[rows[2]["item_id"]]["gold_labels"] == []
    # and that is what a decision does: the test item's label stays the person's
    with queued_ws.store.read() as conn:
        version = conn.execute(sa.select(t.review_queue.c.version).where(
            t.review_queue.c.id == in_test["id"])).scalar()
    review.decide(queued_ws, "rey", in_test["id"], "accept", version)
    with queued_ws.store.read() as conn:
        labels = [r.label for r in conn.execute(sa.select(t.labels.c.label).where(
            t.labels.c.item_id == in_test["item_id"], t.labels.c.active.is_(True)))]
    assert labels and in_test["label"] not in labels


def _empty_next(html: str) -> str:
    m = re.search(r'<span id="queue-empty-next">(.*?)</span>', html, re.S)
    assert m, html
    return m.group(1)


def _said_on_an_empty_queue(ws: Any) -> str:
    from fastapi.testclient import TestClient

    from glamlab.web import create_app
    from glamlab.web.app import stop_background

    from .conftest import login

    app = create_app(ws)
    with TestClient(app) as c:
        assert login(c, "rey").status_code == 303
        said = _empty_next(c.get("/queue").text)
    stop_background(app)
    return said


def test_an_empty_queue_before_the_policy_says_to_apply_it(web_ws: Any) -> None:
    """"Nothing waiting for you." was a dead end: before the policy is applied it points
    to the page that applies it."""
    said = _said_on_an_empty_queue(web_ws)
    assert "The queue fills when the policy is applied" in said, said
    assert 'href="/stages/act"' in said, said


def test_an_empty_queue_after_review_says_to_export(queued_ws: Any) -> None:
    """Once everything sent to people is decided, it points to the export."""
    t = queued_ws.store.t
    with queued_ws.store.write() as conn:  # the policy applied, every row decided
        conn.execute(t.review_queue.update().values(status="decided"))
        conn.execute(t.audit_log.insert().values(at=now(), actor="ada", action="act",
                                                 object="", details={}))
    said = _said_on_an_empty_queue(queued_ws)
    assert "Everything sent to people is reviewed" in said, said
    assert 'href="/stages/export"' in said, said
