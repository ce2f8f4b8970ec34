"""Undo in an entities project: a reviewer's own change to a text's entities (a decision
on a span, a new link, an entity added or removed, a text marked checked or the mark
taken back) taken back within ten minutes, the text's gold spans as they were, seen so
by training and the export; refused for another's change, an old one, and when the
text's entities changed since (:mod:`glamlab.review.undo`)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.web.conftest import PASSWORD, csrf_of, login
from tests.web.test_entities_review import _fresh_text
from tests.web.test_entities_review import entities_ws as entities_ws  # the fixture


def _gold(ws: Any, item_id: str = "fresh") -> list[tuple[int, int, str, str, str | None]]:
    from glamlab.tasks.spans import gold_spans

    return sorted((s.start, s.end, s.label, s.layer, s.authority_id)
                  for s in gold_spans(ws, [item_id], layer=None).get(item_id, []))


def _trains(ws: Any, item_id: str = "fresh") -> list[tuple[int, int, str]] | None:
    """The text's spans in the training data (None: it is not trained on: it waits)."""
    from glamlab.tasks.splits import training_data

    train = training_data(ws)
    ids = [i.item_id for i in train.items]
    if item_id not in ids:
        return None
    return sorted((s.start, s.end, s.label) for s in train.labels[ids.index(item_id)])


def _exported(ws: Any, item_id: str = "fresh") -> list[tuple[Any, Any, str]]:
    """The reviewer's spans the export gives for the text."""
    from glamlab.actions.export import iter_rows

    return sorted((e.row["span_start"], e.row["span_end"], e.row["label"])
                  for e in iter_rows(ws, model="gazetteer@1")
                  if e.row["item_id"] == item_id and e.row["origin"] == "person")


def _state(ws: Any) -> tuple[Any, ...]:
    return _gold(ws), _trains(ws), _exported(ws)


def _row(ws: Any, queue_id: int) -> Any:
    q = ws.store.t.review_queue
    with ws.store.read() as conn:
        return conn.execute(sa.select(q).where(q.c.id == queue_id)).first()


def test_each_entity_change_is_undone_through_the_store(entities_ws: Any,
                                                         tmp_path: Path) -> None:
    from glamlab import review
    from glamlab.errors import LabelError

    ws = entities_ws
    _text, rows = _fresh_text(ws, tmp_path)
    first = rows[0]
    start = _state(ws)

    # an accepted span: gold, trained on once the text is complete, exported; undone
    got = review.decide(ws, "rey", first["id"], "accept", first["version"])
    assert _state(ws) != start
    undone = review.undo_decision(ws, "rey", got["decision_id"])
    assert _state(ws) == start
    assert "is taken back" in undone["said"] and "fresh" in undone["said"]
    row = _row(ws, first["id"])
    assert row.status == "open" and row.lease_owner == "rey"
    with pytest.raises(LabelError, match="already taken back"):
        review.undo_decision(ws, "rey", got["decision_id"])

    # a rejection, then a correction with another type and a link (NIL)
    row = _row(ws, first["id"])
    got = review.decide(ws, "rey", first["id"], "reject", row.version)
    review.undo_decision(ws, "rey", got["decision_id"])
    assert _state(ws) == start
    row = _row(ws, first["id"])
    v = first["value"]
    new = "ORG" if first["label"] != "ORG" else "LOC"
    got = review.decide(ws, "rey", first["id"], "correct", row.version, label=new,
                        value={"start": v["start"], "end": v["end"], "authority_id": "NIL"})
    assert (v["start"], v["end"], new, "entity", "NIL") in _gold(ws)
    undone = review.undo_decision(ws, "rey", got["decision_id"])
    assert "linked to NIL" in undone["said"]
    assert _state(ws) == start

    # an entity added (the wrong words), undone by its decision
    added = review.add_span(ws, "rey", "fresh", 0, 8, "PER")
    assert (0, 8, "PER", "entity", None) in _gold(ws)
    undone = review.undo_decision(ws, "rey", added["decision_id"])
    assert "you added is no longer saved" in undone["said"]
    assert _state(ws) == start

    # an added entity removed by mistake: the removal undone, the entity back
    added = review.add_span(ws, "rey", "fresh", 0, 8, "LOC")
    with_it = _state(ws)
    removed = review.remove_added_span(ws, "rey", added["decision_id"])
    assert _state(ws) != with_it
    undone = review.undo_change(ws, "rey", removed["change_id"])
    assert "saved for fresh again" in undone["said"]
    assert _state(ws) == with_it
    dec = ws.store.t.decisions
    with ws.store.read() as conn:
        assert conn.execute(sa.select(dec.c.action).where(
            dec.c.id == added["decision_id"])).scalar() == "add"

    # a text marked checked too early: trained on, then not; the undo of the undo too
    assert _trains(ws) is None  # partly reviewed: it waits
    done = review.mark_text_done(ws, "rey", "fresh")
    assert _trains(ws) == [(0, 8, "LOC")]
    review.undo_change(ws, "rey", done["change_id"])
    assert _state(ws) == with_it
    done = review.mark_text_done(ws, "rey", "fresh")
    checked = _state(ws)
    unmarked = review.unmark_text_done(ws, "rey", "fresh")
    assert _trains(ws) is None
    review.undo_change(ws, "rey", unmarked["change_id"])
    assert _state(ws) == checked and _trains(ws) == [(0, 8, "LOC")]

    # refused, nothing changed: the text's entities changed since, another's, too old
    later = review.add_span(ws, "rey", "fresh", 9, 15, "PROD")
    now = _state(ws)
    with pytest.raises(LabelError, match="the text's entities changed since"):
        review.undo_change(ws, "rey", done["change_id"])
    with pytest.raises(LabelError, match="not yours"):
        review.undo_decision(ws, "finn", later["decision_id"])
    with pytest.raises(LabelError, match="more than 10 minutes old"):
        review.undo_decision(ws, "rey", later["decision_id"],
                             at=_later(11))
    assert _state(ws) == now
    # audited: who took back which change
    log = ws.store.t.audit_log
    with ws.store.read() as conn:
        undos = conn.execute(sa.select(log.c.actor, log.c.details).where(
            log.c.action == "spans.change.undo")).all()
    assert [(a, d["what"]) for a, d in undos] == [
        ("rey", "decision"), ("rey", "decision"), ("rey", "decision"), ("rey", "add"),
        ("rey", "remove"), ("rey", "text-done"), ("rey", "text-undone")]


def test_an_older_set_switched_off_by_someone_else_since_refuses_the_undo(
        entities_ws: Any, tmp_path: Path) -> None:
    """finn marks the text checked, rey too, and takes her mark back (her change); finn
    then takes his own mark back: his set, older than rey's change and untouched by it,
    is switched off. rey's undo of her change is refused in the same plain words as for
    a set added since (it went through: her mark in force again over finn's choice, the
    text's entities no longer as they were before her change, nor as finn left them)."""
    from glamlab import review
    from glamlab.errors import LabelError

    ws = entities_ws
    _fresh_text(ws, tmp_path)
    review.mark_text_done(ws, "finn", "fresh")
    review.mark_text_done(ws, "rey", "fresh")
    unmarked = review.unmark_text_done(ws, "rey", "fresh")
    review.unmark_text_done(ws, "finn", "fresh")
    now = _state(ws)
    sets = ws.store.t.span_sets
    with ws.store.read() as conn:
        before = conn.execute(sa.select(sets.c.id, sets.c.active, sets.c.source)
                              .order_by(sets.c.id)).all()
    with pytest.raises(LabelError, match="the text's entities changed since, so nothing "
                                         "was undone"):
        review.undo_change(ws, "rey", unmarked["change_id"])
    assert _state(ws) == now
    with ws.store.read() as conn:
        assert conn.execute(sa.select(sets.c.id, sets.c.active, sets.c.source)
                            .order_by(sets.c.id)).all() == before


def _later(minutes: int) -> Any:
    from glamlab.store import now

    return now() + timedelta(minutes=minutes)


def test_a_decision_that_completed_the_text_takes_its_mark_back(entities_ws: Any,
                                                                tmp_path: Path) -> None:
    """The text's last open span decided marks it checked (it trains): undoing that
    decision takes the mark back with it."""
    from glamlab import review

    ws = entities_ws
    _text, rows = _fresh_text(ws, tmp_path)
    for r in rows[:-1]:
        review.decide(ws, "rey", r["id"], "reject", r["version"])
    before = _state(ws)
    assert _trains(ws) is None
    last = rows[-1]
    got = review.decide(ws, "rey", last["id"], "accept", last["version"])
    assert _trains(ws) is not None
    review.undo_decision(ws, "rey", got["decision_id"])
    assert _state(ws) == before and _trains(ws) is None
    assert _row(ws, last["id"]).status == "open"


def test_the_api_and_the_queue_page_undo_entity_changes(entities_ws: Any,
                                                         tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from glamlab.auth import add_user
    from glamlab.web import create_app

    ws = entities_ws
    add_user(ws, "finn", PASSWORD, "reviewer")
    _text, rows = _fresh_text(ws, tmp_path)
    row = rows[0]
    rid = str(row["id"])
    start = _state(ws)
    with TestClient(create_app(ws)) as c:
        assert login(c, "rey").status_code == 303
        r = c.post("/queue/decide", data={
            "csrf": csrf_of(c), "one": f"{rid}:{row['version']}:accept"},
            follow_redirects=False)
        assert r.status_code == 303 and "undo=" in r.headers["location"]
        page = c.get(r.headers["location"]).text
        assert 'id="undo-form"' in page and "Undo (<kbd>u</kbd>)" in page
        ids = page.split('name="undo" value="')[1].split('"')[0]
        r = c.post("/queue/undo", data={"csrf": csrf_of(c), "undo": ids})
        assert r.status_code == 200, r.text
        assert "Undone: your decision on the model&#39;s span" in r.text
        assert _state(ws) == start

        r = c.post("/queue/add-span", data={
            "csrf": csrf_of(c), "add_span": rid, f"add_item_{rid}": "fresh",
            f"add_start_{rid}": "0", f"add_end_{rid}": "8", f"add_label_{rid}": "PER"},
            follow_redirects=False)
        page = c.get(r.headers["location"]).text
        assert 'id="undo-form"' in page
        r = c.post("/queue/text-done", data={"csrf": csrf_of(c), "text_done": "fresh"},
                   follow_redirects=False)
        assert "undo_change=" in r.headers["location"]
        page = c.get(r.headers["location"]).text
        change = page.split('name="undo_change" value="')[1].split('"')[0]
        r = c.post("/queue/undo", data={"csrf": csrf_of(c), "undo_change": change})
        assert r.status_code == 200
        assert "Undone: fresh is no longer marked as checked" in r.text
        assert _trains(ws) is None
        # the API: an entity added, taken back by its decision's number
        added = c.post("/api/texts/fresh/spans", headers={"X-CSRF-Token": csrf_of(c)},
                       json={"start": 9, "end": 15, "label": "PROD"}).json()
        r = c.post(f"/api/decisions/{added['decision_id']}/undo",
                   headers={"X-CSRF-Token": csrf_of(c)})
        assert r.status_code == 200, r.text
        assert r.json()["queue_id"] is None and "no longer saved" in r.json()["said"]
        assert (9, 15, "PROD", "entity", None) not in _gold(ws)
        marked = c.put("/api/texts/fresh/checked", headers={"X-CSRF-Token": csrf_of(c)})
        change = marked.json()["change_id"]
    with TestClient(create_app(ws)) as c:  # another reviewer: refused, nothing changed
        assert login(c, "finn").status_code == 303
        now = _state(ws)
        r = c.post(f"/api/changes/{change}/undo", headers={"X-CSRF-Token": csrf_of(c)})
        assert r.status_code == 422 and "not yours" in r.text
        assert _state(ws) == now
    with TestClient(create_app(ws)) as c:
        assert login(c, "rey").status_code == 303
        r = c.post(f"/api/changes/{change}/undo", headers={"X-CSRF-Token": csrf_of(c)})
        assert r.status_code == 200, r.text
        assert _trains(ws) is None


@pytest.mark.browser
@pytest.mark.slow
def test_an_entity_added_by_mistake_is_undone_with_u_in_a_real_browser(
        entities_ws: Any, tmp_path: Path) -> None:
    """In Chromium: an entity added with the keys on a card, then u (the queue's Undo):
    the page says in plain words what was undone, the entity is no longer saved, the
    training data and the export do not have it. No script error, nothing the
    Content-Security-Policy blocks."""
    from tests.web.test_entities_review import _added, _queue_in_chromium

    ws = entities_ws
    _text, _rows = _fresh_text(ws, tmp_path)  # "Nouvelle lettre du comité. ..."
    start = _state(ws)
    labels = ws.card.labels
    with _queue_in_chromium(ws, csp=True) as (sync_api, page, errors):
        card = page.locator("[data-add-text]").first
        rid = card.get_attribute("data-for")
        item = page.locator(f'[data-add-text][data-for="{rid}"]').locator(
            "xpath=ancestor::li[contains(@class,'qitem')]")
        item.focus()
        page.keyboard.press("e")
        page.keyboard.press("ArrowRight")  # "Nouvelle"
        page.keyboard.press(str(labels.index("PER") + 1))
        _added(sync_api, page, lambda: page.keyboard.press("Enter"))
        sync_api.expect(page.locator("#undo-form button")).to_be_visible()
        assert (0, 8, "PER", "entity", None) in _gold(ws)
        page.locator("body").focus()
        page.keyboard.press("u")
        sync_api.expect(page.locator("#undo-result")).to_contain_text(
            "Undone: the entity 'Nouvelle' (PER, 0-8) you added is no longer saved for fresh")
        sync_api.expect(page.locator(f'[data-add-text][data-for="{rid}"] mark.saved')
                        ).to_have_count(0)
        assert not errors, errors
    assert _state(ws) == start
