"""Entities review: whose a link is comes from the server, never from a page's field
(the queue page and the API keep one rule); ``nil`` typed in any case is NIL wherever an
authority id is typed; an entity refused for its record says so once."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.web.conftest import csrf_of, login
from tests.web.test_entities_link_kept import _exported, _free_words, _post_type_change
from tests.web.test_entities_link_provenance import _linked_rows
from tests.web.test_entities_review import entities_ws as entities_ws  # the fixture


def _relink(ws: Any, row: dict[str, Any], record: str) -> None:
    """As if ``glamlab link`` ran again and now links the row's span to ``record``."""
    from glamlab.actions.link import LINKER_PREFIX

    sets, spans = ws.store.t.span_sets, ws.store.t.spans
    v = row["value"]
    with ws.store.write() as conn:
        ids = [r.id for r in conn.execute(sets.select().where(
            sets.c.item_id == row["item_id"], sets.c.kind == "prediction",
            sets.c.active.is_(True), sets.c.annotator.like(LINKER_PREFIX + "%")))]
        n = conn.execute(spans.update().where(
            spans.c.set_id.in_(ids), spans.c.char_start == v["start"],
            spans.c.char_end == v["end"], spans.c.label == row["label"])
            .values(authority_id=record)).rowcount
    assert n == 1, n


def test_a_page_made_before_the_linker_ran_again_gives_the_linkers_link_of_now(
        entities_ws: Any, tmp_path: Path) -> None:
    """Review finding: with "I checked this record" left unticked, the queue page saved
    the record it had shown (``linked_ID``, a form field) as the linker's link. A page
    made before the linker ran again then recorded as the linker's a link the linker no
    longer gives (the gold span, the exports: ``link_by: linker`` with the old id). Now
    the page looks the linker's link up on the server, as POST /api/decisions does."""
    from fastapi.testclient import TestClient

    from glamlab.actions.link import NIL
    from glamlab.tasks.spans import gold_spans
    from glamlab.web import create_app

    ws = entities_ws
    row = _linked_rows(ws, tmp_path)[0]
    v, shown = row["value"], row["link"]["authority_id"]
    assert shown != NIL
    new = "ORG" if row["label"] != "ORG" else "PER"
    with TestClient(create_app(ws)) as c:
        assert login(c, "rey").status_code == 303
        assert f'name="linked_{row["id"]}" value="{shown}"' in c.get("/queue?limit=500").text
        _relink(ws, row, NIL)  # the linker, run again, no longer links it to ``shown``
        assert _post_type_change(c, row, new).status_code == 303  # the page made before
    mine = [(s.label, s.authority_id, s.attrs.get("link_by"))
            for s in gold_spans(ws, [row["item_id"]])[row["item_id"]]
            if (s.start, s.end) == (v["start"], v["end"])]
    assert mine == [(new, NIL, "linker")], mine
    ents, rows = _exported(ws, tmp_path, row["item_id"], v["start"], v["end"])
    assert [(e["authority_id"], e.get("attrs", {}).get("link_by")) for e in ents] == [
        (NIL, "linker")], ents
    assert [(r["authority_id"], r["link_by"]) for r in rows] == [(NIL, "linker")], rows


def test_a_record_the_reviewer_checked_on_a_page_made_before_stays_theirs(
        entities_ws: Any, tmp_path: Path) -> None:
    """The same old page with "I checked this record" ticked: the reviewer says the
    record they saw is right, so it is saved as their own link (checked against the
    authority file), whatever the linker says now."""
    from fastapi.testclient import TestClient

    from glamlab.actions.link import NIL
    from glamlab.tasks.spans import gold_spans
    from glamlab.web import create_app

    ws = entities_ws
    row = _linked_rows(ws, tmp_path)[0]
    v, shown = row["value"], row["link"]["authority_id"]
    new = "ORG" if row["label"] != "ORG" else "PER"
    with TestClient(create_app(ws)) as c:
        assert login(c, "rey").status_code == 303
        _relink(ws, row, NIL)
        r = _post_type_change(c, row, new, **{f"link_checked_{row['id']}": "1"})
        assert r.status_code == 303, r.text
    mine = [(s.label, s.authority_id, s.attrs.get("link_by"))
            for s in gold_spans(ws, [row["item_id"]])[row["item_id"]]
            if (s.start, s.end) == (v["start"], v["end"])]
    assert mine == [(new, shown, None)], mine


def test_nil_in_any_case_is_nil_wherever_a_record_is_typed(entities_ws: Any,
                                                           tmp_path: Path) -> None:
    """Review finding: ``nil`` (or `` Nil ``) was refused as "no record 'nil'"; only
    ``NIL`` was taken. Now the queue page (a record chosen, an entity added), the API
    (a correction, an entity added) and a JSON Lines file read it as NIL."""
    from fastapi.testclient import TestClient

    from glamlab.actions.link import NIL, link_choices
    from glamlab.review import peek_queue
    from glamlab.tasks.spans import Span, gold_spans
    from glamlab.web import create_app

    assert Span.from_dict({"start": 0, "end": 2, "label": "PER",
                           "authority_id": " nil "}).authority_id == NIL
    ws = entities_ws
    page_add, api_add = _linked_rows(ws, tmp_path)[:2]

    def other(row: dict[str, Any]) -> str:
        return "ORG" if row["label"] != "ORG" else "PER"

    def saved(item_id: str, start: int, end: int) -> list[tuple[str | None, str | None]]:
        return [(s.authority_id, s.attrs.get("link_by"))
                for s in gold_spans(ws, [item_id])[item_id] if (s.start, s.end) == (start, end)]

    added = {}
    with TestClient(create_app(ws)) as c:
        assert login(c, "rey").status_code == 303
        h = {"X-CSRF-Token": csrf_of(c)}
        for row, typed in ((page_add, " nil "), (api_add, "nIL")):  # over no open row
            item_id = row["item_id"]
            text = next(iter(ws.items(ids=[item_id]))).text or ""
            start, end = added[item_id] = _free_words(ws, item_id, text)
            if row is page_add:
                rid = row["id"]
                r = c.post("/queue/add-span", data={
                    "csrf": csrf_of(c), "add_span": str(rid), f"add_item_{rid}": item_id,
                    f"add_start_{rid}": str(start), f"add_end_{rid}": str(end),
                    f"add_label_{rid}": "PER", f"add_authority_{rid}": typed},
                    follow_redirects=False)
                assert r.status_code == 303, r.text
            else:
                r = c.post(f"/api/texts/{item_id}/spans", headers=h, json={
                    "start": start, "end": end, "label": "PER", "authority_id": typed})
                assert r.status_code == 200, r.text
        waiting = peek_queue(ws, limit=500)
        link_choices(ws, waiting)
        rows: list[dict[str, Any]] = []
        for q in waiting:  # linked to a record, over words no other row chosen covers
            v = q["value"]
            if q.get("link") and q["link"]["authority_id"] != NIL and not any(
                    o["item_id"] == q["item_id"] and o["value"]["start"] < v["end"]
                    and v["start"] < o["value"]["end"] for o in rows):
                rows.append(q)
        assert len(rows) >= 2, rows
        page_row, api_row = rows[:2]
        r = _post_type_change(c, page_row, other(page_row),
                              **{f"authority_{page_row['id']}": " nil "})
        assert r.status_code == 303, r.text
        r = c.post("/api/decisions", headers=h, json={
            "queue_id": api_row["id"], "action": "correct",
            "seen_version": api_row["version"], "label": other(api_row),
            "authority_id": "Nil"})
        assert r.status_code == 200, r.text
    for row in (page_row, api_row):
        v = row["value"]
        assert saved(row["item_id"], v["start"], v["end"]) == [(NIL, None)], row
    for row in (page_add, api_add):
        assert saved(row["item_id"], *added[row["item_id"]]) == [(NIL, None)], row


def test_an_entity_refused_for_its_record_says_so_once(entities_ws: Any,
                                                       tmp_path: Path) -> None:
    """Review finding: an entity added with a record the authority file lacks was refused
    with "Not added: <item>: no record … so no entity was added", the refusal said twice.
    Now once, the record named, with the fix; the API's 422 names the item and record."""
    from fastapi.testclient import TestClient

    from glamlab.web import create_app

    ws = entities_ws
    row = _linked_rows(ws, tmp_path)[0]
    rid, item_id = row["id"], row["item_id"]
    text = next(iter(ws.items(ids=[item_id]))).text or ""
    start, end = _free_words(ws, item_id, text)
    with TestClient(create_app(ws)) as c:
        assert login(c, "rey").status_code == 303
        bad = c.post("/queue/add-span", data={
            "csrf": csrf_of(c), "add_span": str(rid), f"add_item_{rid}": item_id,
            f"add_start_{rid}": str(start), f"add_end_{rid}": str(end),
            f"add_label_{rid}": "PER", f"add_authority_{rid}": "Q-no-such"})
        assert bad.status_code == 422
        said = re.search(r'<p class="problem" role="alert">(.*?)</p>', bad.text, re.S)
        assert said, bad.text
        words = said.group(1)
        print(words)
        assert words.startswith("Not added: ")
        assert len(re.findall(r"(?i)not added|no entity was added", words)) == 1, words
        assert "Q-no-such" in words and "What to do: " in words
        r = c.post(f"/api/texts/{item_id}/spans", headers={"X-CSRF-Token": csrf_of(c)},
                   json={"start": start, "end": end, "label": "PER",
                         "authority_id": "Q-no-such"})
        assert r.status_code == 422
        body = r.json()
        assert body["item"] == item_id and "Q-no-such" in body["error"], body


def test_a_pages_value_field_cannot_say_whose_or_which_link_it_is(
        entities_ws: Any, tmp_path: Path) -> None:
    """The queue page posts the span's value (``value_ID``: its start and end, and its
    layer) as a JSON form field; the server took every key of it, so a post carrying
    ``link_by`` saved the reviewer's own record as the linker's (the exports said the
    linker linked it, and the linker never learnt it back), and one carrying an
    ``authority_id`` saved a record never checked against the authority file. As
    POST /api/decisions (whose value is start and end only), whose a link is and which it
    is come from the server and the reviewer's choice, never from that field."""
    import json

    from fastapi.testclient import TestClient

    from glamlab.tasks.spans import gold_spans
    from glamlab.web import create_app

    ws = entities_ws
    row = _linked_rows(ws, tmp_path)[0]
    v, shown = row["value"], row["link"]["authority_id"]
    new = "ORG" if row["label"] != "ORG" else "PER"
    forged = json.dumps({"start": v["start"], "end": v["end"], "link_by": "linker",
                         "authority_id": "no-such-record"})
    with TestClient(create_app(ws)) as c:
        assert login(c, "rey").status_code == 303
        r = _post_type_change(c, row, new, **{f"link_checked_{row['id']}": "1",
                                               f"value_{row['id']}": forged})
        assert r.status_code == 303, r.text
    mine = [(s.label, s.authority_id, s.attrs.get("link_by"))
            for s in gold_spans(ws, [row["item_id"]])[row["item_id"]]
            if (s.start, s.end) == (v["start"], v["end"])]
    assert mine == [(new, shown, None)], mine
