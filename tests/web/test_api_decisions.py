"""``POST /api/decisions`` follows the queue and the queue page: a row a gold label
settles (the queue no longer lists it) is refused with one clear 409, and an entities
correction can fix a span's type and boundaries (``label``, ``value``) as the page's
form does, checked the same way."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tests.web.conftest import csrf_of, login
from tests.web.test_entities_review import _movable
from tests.web.test_entities_review import entities_ws as entities_ws  # the fixture


def _token(ws: Any, user: str) -> dict[str, str]:
    from glamlab.auth import api_token

    return {"Authorization": f"Bearer {api_token(ws, user)}"}


def _decisions(ws: Any, item_id: str) -> int:
    t = ws.store.t.decisions
    with ws.store.read() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(t)
                                .where(t.c.item_id == item_id)).scalar() or 0)


def test_a_row_a_gold_label_settles_is_decided_when_named_and_says_so(
        client_for: Any, queued_ws: Any) -> None:
    """The queue stops listing a row once a person's gold label gives its answer, but a
    script naming it can still decide it, deliberately (glamlab.review.decide_many: a
    person's decision replaces the gold label as a later label would; the library's
    tests correct imported labels so). Before, the answer did not say the row was one
    the queue no longer asks about, so a script could not tell it overrode a person's
    label. Now it says ``settled_by_gold``, and the queue page's form, from a page loaded
    before the gold label came, decides it the same way."""
    from glamlab import review
    from glamlab.tasks import gold_labels

    ws = queued_ws
    c = client_for("rey")
    h = _token(ws, "rey")
    rows = c.get("/api/queue?limit=10", headers=h).json()
    row, kept, other = (rows[0], *[r for r in rows[1:] if r["item_id"] != rows[0]["item_id"]][:2])
    for r in (row, kept):
        review.save_label(ws, "rob", r["item_id"], [r["label"]], "train")  # rob's gold
    listed = {r["id"] for r in c.get("/api/queue?limit=500", headers=h).json()}
    assert row["id"] not in listed and kept["id"] not in listed and other["id"] in listed
    wrong = next(lab for lab in ws.card.labels if lab != row["label"])
    r = c.post("/api/decisions", json={"queue_id": row["id"], "action": "correct",
                                       "seen_version": row["version"], "label": wrong},
               headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["settled_by_gold"] is True and r.json()["gold_label"] == "train"
    assert gold_labels(ws)[row["item_id"]] == [wrong]  # rey's decision is the gold
    schema = c.get("/openapi.json").json()["components"]["schemas"]["DecisionOut"]
    assert "settled_by_gold" in schema["properties"]
    # the form from a page loaded before: decided the same way
    f = client_for("rey")
    f.get("/queue")
    r = f.post("/queue/decide", data={"csrf": csrf_of(f),
                                      "one": f"{kept['id']}:{kept['version']}:accept"},
               follow_redirects=False)
    assert r.status_code == 303 and "done=accept" in r.headers["location"], r.text
    assert review.queue_item(ws, kept["id"])["status"] == "decided"
    # a row the queue lists: not one
    r = c.post("/api/decisions", json={"queue_id": other["id"], "action": "accept",
                                       "seen_version": other["version"]}, headers=h)
    assert r.status_code == 200 and r.json()["settled_by_gold"] is False, r.text


def _next_word_end(row: dict[str, Any]) -> int:
    v, t = row["value"], row["text"]
    return int(v["end"]) + len(re.match(r"\s+\S+", t[v["end"]:]).group(0))  # type: ignore[union-attr]


def test_an_entities_correction_fixes_type_and_boundaries(entities_ws: Any,
                                                          tmp_path: Path) -> None:
    """Before, the API's correction took no ``value`` (and, without one, an entities
    correction could not be saved at all): fixing a span's boundaries needed the queue
    page. Now ``value`` (start, end) and ``label`` do it, checked as the form checks them
    (on the text, start before end, one of the card's types, only for a correction),
    and the form's rules hold (another reviewer's lease); the schema says so."""
    from fastapi.testclient import TestClient

    from glamlab import review
    from glamlab.tasks.spans import gold_spans
    from glamlab.web import create_app

    ws = entities_ws

    def gold(item_id: str) -> set[tuple[int, int, str]]:
        return {(s.start, s.end, s.label) for s in gold_spans(ws, [item_id]).get(item_id, [])}

    with TestClient(create_app(ws)) as c:
        assert login(c, "rey").status_code == 303
        h = {"X-CSRF-Token": csrf_of(c)}
        rows = c.get("/api/queue?limit=200").json()
        row = _movable(rows, ws)
        v, item = row["value"], row["item_id"]
        before = gold(item)
        new_end = _next_word_end(row)
        body = {"queue_id": row["id"], "action": "correct", "seen_version": row["version"]}
        n = len(row["text"])
        for bad, words in (
                ({"value": {"start": v["start"], "end": n + 5}}, "is not on the text"),
                ({"value": {"start": v["end"], "end": v["start"]}}, "is not on the text"),
                ({"value": {"start": v["start"], "end": new_end}, "label": "NOPE"},
                 "'NOPE' is not one of this project's labels"),
                ({"value": {"start": v["start"], "end": new_end}, "action": "accept"},
                 "only for a correction")):
            r = c.post("/api/decisions", json={**body, **bad}, headers=h)
            assert r.status_code == 422, (bad, r.text)
            assert words in r.text, r.text
        assert gold(item) == before and _decisions(ws, item) == 0
        # another reviewer holds the row: refused as on the page
        review.release_leases(ws, "rey")
        assert row["id"] in {x["id"] for x in review.lease_queue(ws, "rob", limit=200)}
        r = c.post("/api/decisions", json={**body, "value": {"start": v["start"],
                                                             "end": new_end}}, headers=h)
        assert r.status_code == 409 and "rob" in r.json()["error"], r.text
        review.release_leases(ws, "rob")
        # new boundaries, same type
        r = c.post("/api/decisions", json={**body, "value": {"start": v["start"],
                                                             "end": new_end}}, headers=h)
        assert r.status_code == 200, r.text
        assert (r.json()["action"], r.json()["label"]) == ("correct", row["label"])
        assert (v["start"], new_end, row["label"]) in gold(item)
        assert (v["start"], v["end"], row["label"]) not in gold(item)
        # another type, the predicted boundaries (no value)
        nxt = next(x for x in c.get("/api/queue?limit=200").json() if x["item_id"] != item)
        other = next(lab for lab in ws.card.labels if lab != nxt["label"])
        r = c.post("/api/decisions", json={"queue_id": nxt["id"], "action": "correct",
                                           "seen_version": nxt["version"], "label": other},
                   headers=h)
        assert r.status_code == 200, r.text
        vn = nxt["value"]
        assert (vn["start"], vn["end"], other) in gold(nxt["item_id"])
        schema = c.get("/openapi.json").json()["components"]["schemas"]
        assert set(schema["SpanValueIn"]["properties"]) == {"start", "end"}
        assert "value" in schema["DecisionIn"]["properties"]


def test_a_value_is_refused_in_a_classification_project(client_for: Any,
                                                        queued_ws: Any) -> None:
    c = client_for("rey")
    h = _token(queued_ws, "rey")
    row = c.get("/api/queue?limit=1", headers=h).json()[0]
    other = next(lab for lab in queued_ws.card.labels if lab != row["label"])
    body = {"queue_id": row["id"], "action": "correct", "seen_version": row["version"],
            "label": other}
    r = c.post("/api/decisions", json={**body, "value": {"start": 0, "end": 3}}, headers=h)
    assert r.status_code == 422 and "only for entities projects" in r.json()["error"]
    r = c.post("/api/decisions", json=body, headers=h)  # a label alone, as before
    assert r.status_code == 200 and r.json()["label"] == other, r.text


def test_new_boundaries_follow_the_form_s_rules(entities_ws: Any, tmp_path: Path) -> None:
    """A correction's new boundaries through the API settle the model's other open spans
    over those words (decided with it, ``settled``) and are refused over an entity a
    person saved (422, nothing stored), as the queue page's form."""
    from fastapi.testclient import TestClient

    from glamlab import review
    from glamlab.tasks.spans import gold_spans
    from glamlab.web import create_app
    from tests.web.test_entities_kept import _predict_again
    from tests.web.test_entities_review import _fresh_text

    ws = entities_ws
    _text, rows = _fresh_text(ws, tmp_path)
    a, b = sorted(rows, key=lambda r: r["value"]["start"])[:2]
    review.add_span(ws, "rob", "fresh", 0, 15, "ORG")  # "Nouvelle lettre", rob's
    new = _predict_again(ws, "fresh", {"start": 0, "end": 8, "label": "LOC",
                                       "text": "Nouvelle", "score": a["score"]})
    with TestClient(create_app(ws)) as c:
        assert login(c, "rey").status_code == 303
        h = {"X-CSRF-Token": csrf_of(c)}
        r = c.post("/api/decisions", headers=h, json={
            "queue_id": new["id"], "action": "correct", "seen_version": new["version"],
            "label": "PER", "value": {"start": 0, "end": 15}})
        assert r.status_code == 422 and "saved as ORG by rob" in r.json()["error"], r.text
        r = c.post("/api/decisions", headers=h, json={
            "queue_id": a["id"], "action": "correct", "seen_version": a["version"],
            "value": {"start": a["value"]["start"], "end": b["value"]["end"]}})
        assert r.status_code == 200, r.text
        assert [(s["queue_id"], s["action"]) for s in r.json()["settled"]] == [
            (b["id"], "reject")]
    spans = {(s.start, s.end, s.label) for s in gold_spans(ws, ["fresh"])["fresh"]}
    assert (0, 15, "ORG") in spans and (0, 8, "LOC") not in spans
    assert (a["value"]["start"], b["value"]["end"], a["label"]) in spans


def _linked_ws(ws: Any, tmp_path: Path) -> None:
    """An authority file made from the gold spans' links, and the model's spans linked to
    it (``glamlab authority import``, ``glamlab link``)."""
    import csv

    from glamlab.actions.link import link_predictions, training_mentions
    from glamlab.linking import authority_from_mentions, import_authority

    names = tmp_path / "names.csv"
    with names.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "label", "alt_labels", "type", "description"])
        for r in authority_from_mentions(training_mentions(ws)):
            w.writerow([r.record_id, r.label, "|".join(r.alt_labels), r.type,
                        f"record of {r.label}"])
    import_authority(ws, names)
    assert link_predictions(ws, model="gazetteer@1").mentions > 0


def test_an_entities_correction_chooses_the_authority_link(entities_ws: Any,
                                                           tmp_path: Path) -> None:
    """The queue page lets a reviewer choose a linked span's authority record (one of the
    linker's candidates, or NIL); the API could only correct its type and boundaries
    (``authority_id`` was refused as an unknown field, the queue rows showed no link) and
    a type corrected through it lost the linker's link. Now ``GET /api/queue`` gives each
    linked row its record and choices, and a correction's ``authority_id`` chooses the
    link, checked as the page checks it (a record the authority file has, or NIL); the
    decision, the gold span and the export carry it as the page's do."""
    import csv

    from fastapi.testclient import TestClient

    from glamlab.actions.entity_export import export_entities
    from glamlab.actions.link import NIL
    from glamlab.tasks.spans import gold_spans
    from glamlab.tasks.splits import split_of
    from glamlab.web import create_app

    ws = entities_ws
    _linked_ws(ws, tmp_path)
    splits = split_of(ws)
    with TestClient(create_app(ws)) as c:
        assert login(c, "rey").status_code == 303
        h = {"X-CSRF-Token": csrf_of(c)}
        rows = [r for r in c.get("/api/queue?limit=500").json()
                if splits.get(r["item_id"]) != "test"]
        linked = [r for r in rows if r["link"]]
        by_item: dict[str, dict[str, Any]] = {}
        for r in sorted(linked, key=lambda r: r["link"]["authority_id"] == NIL):
            by_item.setdefault(r["item_id"], r)  # a row per text: none settles another
        assert len(by_item) >= 3, "too few texts with a linked span waiting for review"
        a, b, d = list(by_item.values())[:3]
        assert a["link"]["authority_id"] != NIL  # a record: another is chosen below
        ids = [x["id"] for x in a["link"]["choices"]]
        assert ids[0] == a["link"]["authority_id"] and ids[-1] == NIL
        assert a["link"]["record"]["label"] and a["link"]["choices"][0]["description"]

        def post(row: dict[str, Any], **extra: Any) -> Any:
            return c.post("/api/decisions", headers=h, json={
                "queue_id": row["id"], "action": "correct",
                "seen_version": row["version"], **extra})

        # refused: an id the authority file does not have; another link with an accept
        r = post(a, authority_id="Q-no-such")
        assert r.status_code == 422 and "no authority record 'Q-no-such'" in r.text, r.text
        assert "NIL when none fits" in r.json()["hint"]
        r = post(a, authority_id=NIL, action="accept")
        assert r.status_code == 422 and "only for a correction" in r.text, r.text
        assert _decisions(ws, a["item_id"]) == 0
        # the linker's own record: the span as it is, accepted
        r = post(d, authority_id=d["link"]["authority_id"])
        assert r.status_code == 200 and r.json()["action"] == "accept", r.text
        # another record (NIL here): a correction with that link
        r = post(a, authority_id=NIL)
        assert r.status_code == 200 and r.json()["action"] == "correct", r.text
        # another type, the link left out: the linker's link stays, as on the page
        other = next(lab for lab in ws.card.labels if lab != b["label"])
        r = post(b, label=other)
        assert r.status_code == 200 and r.json()["action"] == "correct", r.text
        schema = c.get("/openapi.json").json()["components"]["schemas"]
        assert "authority_id" in schema["DecisionIn"]["properties"]
        assert "link" in schema["QueueOut"]["properties"]
    va, vb = a["value"], b["value"]
    t = ws.store.t.decisions
    with ws.store.read() as conn:
        saved = conn.execute(sa.select(t.c.user, t.c.action, t.c.value)
                             .where(t.c.queue_id == a["id"])).one()
    assert (saved.user, saved.action, saved.value["authority_id"]) == ("rey", "correct", NIL)
    gold_a = {(s.start, s.end, s.authority_id) for s in gold_spans(ws, [a["item_id"]])[a["item_id"]]}
    assert (va["start"], va["end"], NIL) in gold_a
    gold_b = {(s.start, s.end, s.label, s.authority_id)
              for s in gold_spans(ws, [b["item_id"]])[b["item_id"]]}
    assert (vb["start"], vb["end"], other, b["link"]["authority_id"]) in gold_b
    out = tmp_path / "e.csv"
    export_entities(ws, "csv", out, model="gazetteer@1")
    exported = list(csv.DictReader(out.read_text(encoding="utf-8-sig").splitlines()))

    def row_of(r: dict[str, Any]) -> dict[str, str]:
        return next(e for e in exported if e["item_id"] == r["item_id"] and
                    (int(e["start"]), int(e["end"])) == (r["value"]["start"],
                                                         r["value"]["end"]))
    assert (row_of(a)["authority_id"], row_of(a)["confirmed_by"], row_of(a)["model"]) == (
        NIL, "rey", "")
    assert (row_of(b)["type"], row_of(b)["authority_id"], row_of(b)["confirmed_by"]) == (
        other, b["link"]["authority_id"], "rey")
    assert (row_of(d)["authority_id"], row_of(d)["confirmed_by"]) == (
        d["link"]["authority_id"], "rey")


def test_a_type_corrected_through_the_api_keeps_the_linker_s_link(entities_ws: Any,
                                                                   tmp_path: Path) -> None:
    """A linked span given another type on the queue page keeps its link; given it
    through the API, the gold span and the export lost it (an empty authority_id)."""
    from fastapi.testclient import TestClient

    from glamlab.actions.link import link_choices
    from glamlab.review import peek_queue
    from glamlab.tasks.spans import gold_spans
    from glamlab.tasks.splits import split_of
    from glamlab.web import create_app

    ws = entities_ws
    _linked_ws(ws, tmp_path)
    splits = split_of(ws)
    rows = [r for r in peek_queue(ws, limit=500) if splits.get(r["item_id"]) != "test"]
    link_choices(ws, rows)  # the library's view of each row's link, as the page's
    row = next(r for r in rows if r.get("link"))
    other = next(lab for lab in ws.card.labels if lab != row["label"])
    with TestClient(create_app(ws)) as c:
        assert login(c, "rey").status_code == 303
        r = c.post("/api/decisions", headers={"X-CSRF-Token": csrf_of(c)}, json={
            "queue_id": row["id"], "action": "correct", "seen_version": row["version"],
            "label": other})
        assert r.status_code == 200 and r.json()["action"] == "correct", r.text
    v = row["value"]
    assert (v["start"], v["end"], other, row["link"]["authority_id"]) in {
        (s.start, s.end, s.label, s.authority_id)
        for s in gold_spans(ws, [row["item_id"]])[row["item_id"]]}


def test_an_authority_link_is_refused_in_a_classification_project(
        client_for: Any, queued_ws: Any) -> None:
    c = client_for("rey")
    h = _token(queued_ws, "rey")
    row = c.get("/api/queue?limit=1", headers=h).json()[0]
    r = c.post("/api/decisions", headers=h, json={
        "queue_id": row["id"], "action": "correct", "seen_version": row["version"],
        "label": row["label"], "authority_id": "NIL"})
    assert r.status_code == 422 and "only for entities projects" in r.json()["error"], r.text
    assert row["link"] is None


def test_a_decision_keeps_the_text_s_spans_of_other_layers(entities_ws: Any,
                                                           tmp_path: Path) -> None:
    """A text's gold may hold spans of other layers than the main one (HIPE's nested
    and metonymic entities, a JSONL file's ``layer``). A decision through the API (or
    the queue page) rebuilt the text's gold from its main-layer spans alone, so the
    other layers were dropped from the gold and from every export of it, while adding
    an entity or marking the text checked kept them. Now a decision keeps them too."""
    import json

    from fastapi.testclient import TestClient

    from glamlab.actions.entity_export import export_spans, iter_gold_rows
    from glamlab.tasks.spans import gold_spans, import_spans
    from glamlab.web import create_app

    ws = entities_ws
    with TestClient(create_app(ws)) as c:
        assert login(c, "rey").status_code == 303
        h = {"X-CSRF-Token": csrf_of(c)}
        row = _movable(c.get("/api/queue?limit=200").json(), ws)
        item, v = row["item_id"], row["value"]
        text = row["text"]
        # a nested entity in the first word ("Nouvelle"), off the queued span
        assert v["start"] > 8
        src = tmp_path / "nested.jsonl"
        src.write_text(json.dumps({"id": item, "entities": [
            {"start": 0, "end": 8, "label": row["label"], "layer": "nested"}]}) + "\n",
            encoding="utf-8")
        import_spans(ws, src)
        other = next(lab for lab in ws.card.labels if lab != row["label"])
        r = c.post("/api/decisions", json={"queue_id": row["id"], "action": "correct",
                                           "seen_version": row["version"], "label": other},
                   headers=h)
        assert r.status_code == 200, r.text
    spans = {(s.layer, s.start, s.end, s.label)
             for s in gold_spans(ws, [item], layer=None)[item]}
    assert ("entity", v["start"], v["end"], other) in spans
    assert ("nested", 0, 8, row["label"]) in spans, spans
    out = tmp_path / "gold.jsonl"
    export_spans(iter_gold_rows(ws, ids=[item]), "jsonl", out, layers=None)
    [line] = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert {"start": 0, "end": 8, "label": row["label"], "layer": "nested"}.items() <= \
        next(e for e in line["entities"] if e.get("layer") == "nested").items()
    assert text[0:8] == "Nouvelle"


def test_get_decisions_shows_the_file_a_decision_was_imported_from(
        client_for: Any, queued_ws: Any, tmp_path: Path) -> None:
    """``glamlab review import`` keeps each decision's file (``decisions.source``: its
    name and the sha256 of its bytes) and its help says ``/api/decisions`` shows it as
    ``source``; the answer's model left the field out, so a script never saw it. A
    decision made with POST says so: ``{"via": "api"}`` (on the queue page ``{"via":
    "web queue"}``)."""
    import hashlib
    import json

    from glamlab.review.sheet import import_decisions, open_rows

    ws = queued_ws
    rows = list(open_rows(ws))
    rows[0]["decision"] = "accept"
    f = tmp_path / "decided.jsonl"
    f.write_text(json.dumps(rows[0]) + "\n", encoding="utf-8")
    assert import_decisions(ws, f, "rey").recorded == 1
    c = client_for("rey")
    h = _token(ws, "rey")
    other = next(r for r in c.get("/api/queue?limit=50", headers=h).json()
                 if r["id"] != rows[0]["queue_id"])
    r = c.post("/api/decisions", json={"queue_id": other["id"], "action": "accept",
                                       "seen_version": other["version"]}, headers=h)
    assert r.status_code == 200, r.text
    got = {d["queue_id"]: d for d in c.get("/api/decisions", headers=h).json()}
    assert got[rows[0]["queue_id"]]["source"] == {
        "file": "decided.jsonl", "sha256": hashlib.sha256(f.read_bytes()).hexdigest()}
    assert got[other["id"]]["source"] == {"via": "api"}  # POST /api/decisions
    schema = c.get("/openapi.json").json()["components"]["schemas"]["DecisionRow"]
    assert "source" in schema["properties"]
