"""Entities review: the linker's link, its score and a reviewer's own link survive what
reviewers do next (the whole text marked checked, the boundaries moved, an entity added
with its record; the page and the API give one rule for who linked a span)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import csrf_of, login
from tests.web.test_entities_link_provenance import _linked_rows
from tests.web.test_entities_review import entities_ws as entities_ws  # the fixture


def _post_type_change(c: Any, row: dict[str, Any], new: str, **extra: str) -> Any:
    rid, v, kept = row["id"], row["value"], row["link"]["authority_id"]
    data = {"csrf": csrf_of(c), "one": f"{rid}:{row['version']}:correct",
            f"label_{rid}": new, f"predicted_{rid}": row["label"],
            f"authority_{rid}": kept, f"linked_{rid}": kept,
            f"start_{rid}": str(v["start"]), f"end_{rid}": str(v["end"]),
            f"value_{rid}": json.dumps({"start": v["start"], "end": v["end"]})}
    data.update(extra)
    return c.post("/queue/decide", data=data, follow_redirects=False)


def _exported(ws: Any, tmp_path: Path, item_id: str, start: int, end: int
              ) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    from glamlab.actions.entity_export import export_entities

    out = tmp_path / "e.jsonl"
    export_entities(ws, "jsonl", out, model="gazetteer@1")
    items = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    ents = [e for i in items if i["id"] == item_id for e in i["entities"]
            if (e["start"], e["end"]) == (start, end)]
    sheet = tmp_path / "e.csv"
    export_entities(ws, "csv", sheet, model="gazetteer@1")
    with sheet.open(encoding="utf-8-sig", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["item_id"] == item_id
                and (int(r["start"]), int(r["end"])) == (start, end)]
    return ents, rows


def _free_words(ws: Any, item_id: str, text: str) -> tuple[int, int]:
    """The offsets of a word of four letters or more no open queue row of the text
    covers."""
    import re

    from glamlab.review import peek_queue

    taken = [(r["value"]["start"], r["value"]["end"]) for r in peek_queue(ws, limit=500)
             if r["item_id"] == item_id]
    return next((m.start(), m.end()) for m in re.finditer(r"[^\W\d_]{4,}", text)
                if not any(b < m.end() and m.start() < e for b, e in taken))


def test_whole_text_checked_keeps_the_linkers_mark(entities_ws: Any, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from glamlab.actions.link import training_mentions
    from glamlab.tasks.spans import gold_spans
    from glamlab.web import create_app

    ws = entities_ws
    row = _linked_rows(ws, tmp_path)[0]
    v, kept = row["value"], row["link"]["authority_id"]
    new = "ORG" if row["label"] != "ORG" else "PER"
    learned = len(training_mentions(ws))
    with TestClient(create_app(ws)) as c:
        assert login(c, "rey").status_code == 303
        assert _post_type_change(c, row, new).status_code == 303
        r = c.post("/queue/text-done", data={"csrf": csrf_of(c), "text_done": row["item_id"]},
                   follow_redirects=False)
        assert r.status_code == 303, r.text
    mine = [s for s in gold_spans(ws, [row["item_id"]])[row["item_id"]]
            if (s.start, s.end) == (v["start"], v["end"])]
    print(mine)
    assert [(s.label, s.authority_id, s.attrs.get("link_by")) for s in mine] == [
        (new, kept, "linker")], mine
    assert len(training_mentions(ws)) == learned
    ents, rows = _exported(ws, tmp_path, row["item_id"], v["start"], v["end"])
    print(ents, rows)
    assert len(ents) == 1 and ents[0].get("attrs", {}).get("link_by") == "linker", ents
    assert len(rows) == 1 and rows[0]["link_by"] == "linker", rows


def test_moved_boundaries_keep_the_linkers_link_and_its_score(entities_ws: Any,
                                                              tmp_path: Path) -> None:
    """Before, a span whose boundaries the reviewer moved, its link left as the linker
    gave it, was exported without the link's score: the export looked the linker's link
    up at the new offsets, where the linker never linked anything. Now it is looked up at
    the model's offsets, as a type change's is, and its score kept."""
    from fastapi.testclient import TestClient

    from glamlab.web import create_app

    ws = entities_ws
    row = _linked_rows(ws, tmp_path)[0]
    rid, v, kept = row["id"], row["value"], row["link"]["authority_id"]
    score = row["link"]["score"]
    assert score is not None
    end = v["end"] - 1  # one character less
    with TestClient(create_app(ws)) as c:
        assert login(c, "rey").status_code == 303
        r = _post_type_change(c, row, row["label"], **{f"end_{rid}": str(end)})
        assert r.status_code == 303, r.text
    ents, rows = _exported(ws, tmp_path, row["item_id"], v["start"], end)
    assert len(ents) == 1, ents
    assert ents[0]["authority_id"] == kept, ents
    assert ents[0]["attrs"] == {"link_by": "linker", "link_score": score}, ents
    assert len(rows) == 1 and rows[0]["link_by"] == "linker", rows


def test_the_page_and_the_api_agree_on_whose_link_a_kept_record_is(entities_ws: Any,
                                                                   tmp_path: Path) -> None:
    """One rule on both: a reviewer who changes a linked span's type and says they
    checked its record (the page's "I checked this record" box; the API's
    ``authority_id`` sent) saves it as their own link; one who only changes the type,
    the record left as the linker gave it (the page's list unchanged; the API without
    ``authority_id``), keeps it as the linker's (``link_by: linker``). Before, the page
    had no way to say so: a record kept on purpose was the linker's there and the
    reviewer's through the API."""
    from fastapi.testclient import TestClient

    from glamlab.tasks.spans import gold_spans
    from glamlab.web import create_app

    ws = entities_ws
    from glamlab.actions.link import link_choices
    from glamlab.review import peek_queue

    _linked_rows(ws, tmp_path)
    rows: list[dict[str, Any]] = []
    waiting = peek_queue(ws, limit=500)
    link_choices(ws, waiting)
    for r in waiting:  # linked to a record, over words no other row chosen covers
        v = r["value"]
        if r.get("link") and r["link"]["authority_id"] != "NIL" and not any(
                o["item_id"] == r["item_id"] and o["value"]["start"] < v["end"]
                and v["start"] < o["value"]["end"] for o in rows):
            rows.append(r)
    assert len(rows) >= 4, "too few linked spans waiting for review"
    page_mine, page_linker, api_mine, api_linker = rows[:4]

    def other(row: dict[str, Any]) -> str:
        return "ORG" if row["label"] != "ORG" else "PER"

    with TestClient(create_app(ws)) as c:
        assert login(c, "rey").status_code == 303
        page = c.get("/queue?limit=500").text
        assert f'name="link_checked_{page_mine["id"]}"' in page
        r = _post_type_change(c, page_mine, other(page_mine),
                              **{f"link_checked_{page_mine['id']}": "1"})
        assert r.status_code == 303, r.text
        assert _post_type_change(c, page_linker, other(page_linker)).status_code == 303
        h = {"X-CSRF-Token": csrf_of(c)}
        for row, sent in ((api_mine, {"authority_id": api_mine["link"]["authority_id"]}),
                          (api_linker, {})):
            r = c.post("/api/decisions", headers=h, json={
                "queue_id": row["id"], "action": "correct", "seen_version": row["version"],
                "label": other(row), **sent})
            assert r.status_code == 200 and r.json()["action"] == "correct", r.text

    def stored(row: dict[str, Any]) -> list[tuple[str, str | None, str | None]]:
        v = row["value"]
        return [(s.label, s.authority_id, s.attrs.get("link_by"))
                for s in gold_spans(ws, [row["item_id"]])[row["item_id"]]
                if (s.start, s.end) == (v["start"], v["end"])]

    for row, by in ((page_mine, None), (api_mine, None), (page_linker, "linker"),
                    (api_linker, "linker")):
        assert stored(row) == [(other(row), row["link"]["authority_id"], by)], (row, by)


def test_an_entity_added_on_a_card_is_linked_there(entities_ws: Any, tmp_path: Path) -> None:
    """Before, an entity a reviewer added in the queue could not be linked there: it was
    exported with an empty authority_id. Now "Add as entity" takes its record too (an id
    of the project's authority file, or NIL), checked against the file, and saves it as
    the reviewer's link (not the linker's): the gold span, the linker's lessons and the
    exports carry it."""
    from fastapi.testclient import TestClient

    from glamlab.actions.link import training_mentions
    from glamlab.tasks.spans import gold_spans
    from glamlab.web import create_app

    ws = entities_ws
    row = _linked_rows(ws, tmp_path)[0]
    rid, item_id, record = row["id"], row["item_id"], row["link"]["authority_id"]
    text = next(iter(ws.items(ids=[item_id]))).text or ""
    start, end = _free_words(ws, item_id, text)
    learned = len(training_mentions(ws))
    with TestClient(create_app(ws)) as c:
        assert login(c, "rey").status_code == 303
        page = c.get("/queue?limit=500").text
        assert f'name="add_authority_{rid}"' in page

        def add(authority: str) -> Any:
            return c.post("/queue/add-span", data={
                "csrf": csrf_of(c), "add_span": str(rid), f"add_item_{rid}": item_id,
                f"add_start_{rid}": str(start), f"add_end_{rid}": str(end),
                f"add_label_{rid}": "PER", f"add_authority_{rid}": authority},
                follow_redirects=False)

        bad = add("Q-no-such")  # refused, named, the id kept on the card; nothing saved
        assert bad.status_code == 422
        assert "Not added: " in bad.text and "no record &#39;Q-no-such&#39;" in bad.text
        assert f'name="add_authority_{rid}" value="Q-no-such"' in bad.text
        assert not [s for s in gold_spans(ws, [item_id]).get(item_id, [])
                    if (s.start, s.end) == (start, end)]
        r = add(f" {record} ")
        assert r.status_code == 303 and "done=added" in r.headers["location"], r.text
    mine = [s for s in gold_spans(ws, [item_id])[item_id] if (s.start, s.end) == (start, end)]
    assert [(s.label, s.authority_id, s.attrs.get("link_by")) for s in mine] == [
        ("PER", record, None)], mine
    assert len(training_mentions(ws)) == learned + 1  # the reviewer's link: a lesson
    ents, rows = _exported(ws, tmp_path, item_id, start, end)
    assert [(e["authority_id"], e.get("attrs", {}).get("link_by")) for e in ents] == [
        (record, None)], ents
    assert [(r["authority_id"], r["link_by"], r["confirmed_by"]) for r in rows] == [
        (record, "", "rey")], rows


@pytest.mark.browser
@pytest.mark.slow
def test_an_entity_to_add_gets_its_record_found_by_name_in_a_real_browser(
        entities_ws: Any, tmp_path: Path) -> None:
    """In Chromium: on "Add an entity the model missed", the reviewer types a part of a
    record's name in "find it by its name", Down and Enter write the record found into
    the entity's record field and put the focus on "Add as entity"; added, the gold span
    carries it."""
    from glamlab.linking.authority import load_authority
    from glamlab.tasks.spans import gold_spans
    from tests.web.conftest import chromium_page

    ws = entities_ws
    row = _linked_rows(ws, tmp_path)[0]
    rec = next(r for r in load_authority(ws) if r.record_id == row["link"]["authority_id"])
    rid, item_id = row["id"], row["item_id"]
    text = next(iter(ws.items(ids=[item_id]))).text or ""
    start, end = _free_words(ws, item_id, text)
    with chromium_page(ws, "/queue?limit=500", csp=True) as (sync_api, page, errors):
        page.fill(f"#add_start_{rid}", str(start))
        page.fill(f"#add_end_{rid}", str(end))
        page.select_option(f"#add_label_{rid}", row["label"])
        page.locator(f"#find_add_{rid}").focus()
        page.keyboard.type(rec.label[:5])
        options = page.locator(f"#found_list_add_{rid} [role=option]")
        sync_api.expect(options.filter(has_text=f"({rec.record_id})")).to_have_count(1)
        n = [o.get_attribute("data-id") for o in options.all()].index(rec.record_id)
        for _ in range(n + 1):
            page.keyboard.press("ArrowDown")
        page.keyboard.press("Enter")
        assert page.input_value(f"#authority_add_{rid}") == rec.record_id
        add = page.locator(f'#add_start_{rid} >> xpath=ancestor::fieldset'
                           '//button[@formaction="/queue/add-span"]')
        sync_api.expect(add).to_be_focused()
        page.keyboard.press("Enter")
        sync_api.expect(page.locator("#queue-status")).to_contain_text("Entity added")
        assert not errors, errors
    mine = [s for s in gold_spans(ws, [item_id])[item_id] if (s.start, s.end) == (start, end)]
    assert [(s.authority_id, s.attrs.get("link_by")) for s in mine] == [
        (rec.record_id, None)], mine


def test_a_checked_record_the_authority_file_lacks_is_refused(entities_ws: Any,
                                                              tmp_path: Path) -> None:
    """Review finding: with "I checked this record" ticked, the record the page sent as the
    linker's (``linked_ID``, a form field) was saved as the reviewer's own link unchecked,
    so a record the authority file does not have got in as a person's link, where
    choosing that same record in the list is refused (422). Now it is refused the same
    way, and nothing is saved."""
    from fastapi.testclient import TestClient

    from glamlab.review import peek_queue
    from glamlab.tasks.spans import gold_spans
    from glamlab.web import create_app

    ws = entities_ws
    row = _linked_rows(ws, tmp_path)[0]
    rid, v = row["id"], row["value"]
    new = "ORG" if row["label"] != "ORG" else "PER"
    forged = {**row, "link": {**row["link"], "authority_id": "Q-no-such"}}
    with TestClient(create_app(ws)) as c:
        assert login(c, "rey").status_code == 303
        r = _post_type_change(c, forged, new, **{f"link_checked_{rid}": "1"})
        assert r.status_code == 422, r.text
        assert "Q-no-such" in r.text
        # the same record chosen in the list: refused alike
        r = _post_type_change(c, row, new, **{f"authority_{rid}": "Q-no-such"})
        assert r.status_code == 422, r.text
    assert not [s for s in gold_spans(ws, [row["item_id"]]).get(row["item_id"], [])
                if (s.start, s.end) == (v["start"], v["end"])]
    assert rid in {q["id"] for q in peek_queue(ws, limit=500)}
