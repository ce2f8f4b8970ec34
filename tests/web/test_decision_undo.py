"""Undo a reviewer's own recent decision (a wrong key pressed): ``POST
/api/decisions/{id}/undo`` and the queue page's Undo (``/queue/undo``, key ``u``).

Before, there was no undo anywhere: a wrong accept stayed the item's gold label. Now the
decision is taken back exactly: the row open again (version bumped), the labels it wrote
removed and those it retired in force again, the metadata it confirmed gone, the
decision kept as withdrawn and the undo audited."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from tests.web.conftest import csrf_of


def _token(ws: Any, user: str) -> dict[str, str]:
    from glamlab.auth import api_token

    return {"Authorization": f"Bearer {api_token(ws, user)}"}


def _state(ws: Any, item_id: str) -> dict[str, Any]:
    """Everything a decision may change about an item, but the decisions and the log."""
    st = ws.store.t
    with ws.store.read() as conn:
        labels = sorted((r.id, r.label, r.annotator, bool(r.active)) for r in conn.execute(
            sa.select(st.labels).where(st.labels.c.item_id == item_id)))
        split = conn.execute(sa.select(st.splits.c.split).where(
            st.splits.c.item_id == item_id)).scalar()
        meta = conn.execute(sa.select(sa.func.count()).select_from(st.machine_metadata)
                            .where(st.machine_metadata.c.item_id == item_id)).scalar()
    return {"labels": labels, "split": split, "meta": int(meta or 0)}


def _rows(c: Any, h: dict[str, str]) -> list[dict[str, Any]]:
    return list(c.get("/api/queue?limit=50", headers=h).json())


def test_undo_restores_the_state_before_the_decision(client_for: Any, queued_ws: Any) -> None:
    """A correction on an item nobody labelled (it adds a label, the item's split row
    and a metadata confirmation) and one on an item rob labelled (it retires rob's
    label) are both taken back exactly; the decision stays, withdrawn, and the audit log
    says who undid what; a page loaded before cannot act on the row; exports and counts
    no longer count it."""
    from glamlab import review
    from glamlab.tasks.people import item_decisions

    ws = queued_ws
    c = client_for("rey")
    h = _token(ws, "rey")
    rows = _rows(c, h)
    labelled = {r.item_id for r in _labelled(ws)}
    fresh = next(r for r in rows if r["item_id"] not in labelled)
    other = next(r for r in rows if r["item_id"] not in labelled
                 and r["item_id"] != fresh["item_id"])
    review.save_label(ws, "rob", other["item_id"], [other["label"]], "train")
    decided_before = review.queue_counts(ws)["decisions"]
    for row in (fresh, other):
        before = _state(ws, row["item_id"])
        wrong = next(lab for lab in ws.card.labels if lab != row["label"])
        r = c.post("/api/decisions", json={"queue_id": row["id"], "action": "correct",
                                           "seen_version": row["version"], "label": wrong},
                   headers=h)
        assert r.status_code == 200, r.text
        decision_id = r.json()["decision_id"]
        assert _state(ws, row["item_id"]) != before
        r = c.post(f"/api/decisions/{decision_id}/undo", headers=h)
        assert r.status_code == 200, r.text
        out = r.json()
        assert out["queue_id"] == row["id"] and out["cannot_take_back"] == []
        assert _state(ws, row["item_id"]) == before  # labels, split, metadata as before
        q = review.queue_item(ws, row["id"])
        assert q["status"] == "open" and q["version"] == row["version"] + 2
        assert out["version"] == q["version"]
        # the decision is kept, withdrawn; the log says who undid which decision
        dec = review.list_decisions(ws, item_id=row["item_id"])
        assert [(d["id"], d["action"]) for d in dec] == [(decision_id, "correct-withdrawn")]
        with ws.store.read() as conn:
            log = conn.execute(sa.select(ws.store.t.audit_log).where(
                ws.store.t.audit_log.c.action == "review.undo")
                .order_by(ws.store.t.audit_log.c.id.desc())).first()
            assert item_decisions(ws, conn, [row["item_id"]]) == {}  # exports: undecided
        assert log.actor == "rey" and log.details["decision_id"] == decision_id
        # a page loaded before the undo cannot act on the row
        r = c.post("/api/decisions", json={"queue_id": row["id"], "action": "accept",
                                           "seen_version": row["version"] + 1}, headers=h)
        assert r.status_code == 409, r.text
        # undone twice: refused
        r = c.post(f"/api/decisions/{decision_id}/undo", headers=h)
        assert r.status_code == 422 and "already taken back" in r.json()["error"], r.text
    assert review.queue_counts(ws)["decisions"] == decided_before
    # glamlab status does not count them; the item page says the decision was undone
    from glamlab.workspace.status import workspace_status

    stages = {s["stage"]: s for s in workspace_status(ws)["stages"]}
    assert stages["actions"]["decisions"] == decided_before
    page = c.get(f"/items/{fresh['item_id']}").text
    assert "corrected" in page and "then undid it" in page and "withdrawned" not in page


def _labelled(ws: Any) -> list[Any]:
    st = ws.store.t
    with ws.store.read() as conn:
        return list(conn.execute(sa.select(st.labels.c.item_id)))


def test_undo_is_refused_for_others_old_or_changed_decisions(client_for: Any,
                                                            queued_ws: Any) -> None:
    """Only the reviewer who decided may undo (an admin neither: they correct the
    label); not after ten minutes; not once the item's labels changed since; a cookie
    request without the CSRF token is refused; and what the decision was used for since
    (a model trained) is said, not silently ignored."""
    from glamlab import review
    from glamlab.store import now

    ws = queued_ws
    c = client_for("rey")
    h = _token(ws, "rey")
    rows = _rows(c, h)
    a, b, old = rows[0], rows[1], rows[2]
    d = review.decide(ws, "rey", a["id"], "accept", a["version"])
    for who in ("rob", "ada"):
        r = c.post(f"/api/decisions/{d['decision_id']}/undo", headers=_token(ws, who))
        assert r.status_code == 422 and "rey's, not yours" in r.json()["error"], r.text
    # the browser's session without the page's CSRF token
    r = c.post(f"/api/decisions/{d['decision_id']}/undo")
    assert r.status_code == 403, r.text
    # the item's labels changed since
    review.save_label(ws, "rob", a["item_id"], [a["label"]], "train")
    r = c.post(f"/api/decisions/{d['decision_id']}/undo", headers=h)
    assert r.status_code == 422 and "labels changed since" in r.json()["error"], r.text
    # older than ten minutes
    late = review.decide(ws, "rey", old["id"], "reject", old["version"],
                         at=now() - timedelta(seconds=review.UNDO_S + 5))
    r = c.post(f"/api/decisions/{late['decision_id']}/undo", headers=h)
    assert r.status_code == 422 and "10 minutes" in r.json()["error"], r.text
    # a model trained since: undone, and said
    d = review.decide(ws, "rey", b["id"], "accept", b["version"])
    from glamlab.predictors.catalogue import get
    from glamlab.registry import save_model

    pred = get("majority")()
    pred.fit([it for it in ws.items()][:4], [[ws.card.labels[0]]] * 4,
             classes=ws.card.labels, multi_label=False)
    save_model(ws, pred, name="later")
    r = c.post(f"/api/decisions/{d['decision_id']}/undo", headers=h)
    assert r.status_code == 200, r.text
    assert any("later v1" in x for x in r.json()["cannot_take_back"]), r.json()


def test_queue_page_offers_undo_after_a_decision(client_for: Any, queued_ws: Any) -> None:
    """The queue page, after a decision, shows Undo (key u) for it; pressing it puts the
    item back in the queue; after a bulk accept it takes back all of them."""
    from glamlab import review

    ws = queued_ws
    c = client_for("rey")
    page = c.get("/queue")
    assert 'id="undo-form"' not in page.text
    rows = review.lease_queue(ws, "rey", limit=25)
    row = rows[0]
    r = c.post("/queue/decide", data={"csrf": csrf_of(c),
                                      "one": f"{row['id']}:{row['version']}:accept"},
               follow_redirects=False)
    assert r.status_code == 303 and "undo=" in r.headers["location"], r.text
    page = c.get(r.headers["location"])
    assert 'id="undo-form"' in page.text and 'data-key="u"' in page.text
    undo = page.text.split('name="undo" value="')[1].split('"')[0]
    r = c.post("/queue/undo", data={"csrf": csrf_of(c), "undo": undo},
               follow_redirects=False)
    assert r.status_code == 303 and "done=undone-1" in r.headers["location"], r.text
    assert review.queue_item(ws, row["id"])["status"] == "open"
    assert "taken back" in c.get(r.headers["location"]).text
    # bulk accept, then undo: all of them back
    rows = review.lease_queue(ws, "rey", limit=25)
    sel = [f"{x['id']}:{x['version']}" for x in rows[:3]]
    r = c.post("/queue/bulk", data={"csrf": csrf_of(c), "sel": sel}, follow_redirects=False)
    assert r.status_code == 303, r.text
    page = c.get(r.headers["location"])
    undo = page.text.split('name="undo" value="')[1].split('"')[0]
    assert len(undo.split(",")) == 3
    # without the CSRF token: refused
    r = c.post("/queue/undo", data={"undo": undo}, follow_redirects=False)
    assert r.status_code == 403, r.text
    r = c.post("/queue/undo", data={"csrf": csrf_of(c), "undo": undo},
               follow_redirects=False)
    assert "done=undone-3" in r.headers["location"], r.text
    assert all(review.queue_item(ws, x["id"])["status"] == "open" for x in rows[:3])
    # a viewer cannot
    v = client_for("val")
    r = v.post("/queue/undo", data={"csrf": csrf_of(v), "undo": undo},
               follow_redirects=False)
    assert r.status_code == 403, r.text


def test_undo_after_a_bulk_accept_of_two_rows_of_one_item(client_for: Any,
                                                          queued_ws: Any) -> None:
    """A bulk accept that decides two suggestions of one item (a multi-label record's
    terms, or a second row about the same item) writes the later decision's labels over
    the earlier's; the page's Undo takes both back. It undid them oldest first, so the
    first was refused as "the item's labels changed since" (by the second decision of
    the same bulk) and only one of the two was undone."""
    from glamlab import review
    from glamlab.store import now

    ws = queued_ws
    c = client_for("rey")
    st = ws.store.t
    labelled = {r.item_id for r in _labelled(ws)}
    first = next(r for r in review.lease_queue(ws, "rey", limit=25)
                 if r["item_id"] not in labelled)
    before = _state(ws, first["item_id"])
    other = next(lab for lab in ws.card.labels if lab != first["label"])
    with ws.store.write() as conn:
        q = conn.execute(sa.select(st.review_queue).where(
            st.review_queue.c.id == first["id"])).one()
        second_id = int(conn.execute(st.review_queue.insert().values(
            item_id=q.item_id, prediction_id=q.prediction_id, model_id=q.model_id,
            label=other, score=q.score, reason=q.reason, kind="prediction",
            status="open", version=1, created_at=now())).inserted_primary_key[0])
    sel = [f"{first['id']}:{first['version']}", f"{second_id}:1"]
    r = c.post("/queue/bulk", data={"csrf": csrf_of(c), "sel": sel}, follow_redirects=False)
    assert r.status_code == 303, r.text
    page = c.get(r.headers["location"])
    undo = page.text.split('name="undo" value="')[1].split('"')[0]
    assert len(undo.split(",")) == 2
    r = c.post("/queue/undo", data={"csrf": csrf_of(c), "undo": undo},
               follow_redirects=False)
    assert r.status_code == 303 and "done=undone-2" in r.headers["location"], r.text
    assert _state(ws, first["item_id"]) == before
    assert review.queue_item(ws, first["id"])["status"] == "open"
    assert review.queue_item(ws, second_id)["status"] == "open"
