"""A reviewer who knows the right authority record of a linked span finds it by its
name on the span's card ("Find another record") and saves it, as any link choice: the
gold span (the linker's next lesson) and the exports carry it, with who and when."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import PASSWORD, chromium_page, csrf_of, login
from tests.web.test_entities_review import entities_ws  # noqa: F401  (the fixture)

#: a record the linker does not offer for the rows the tests decide: a search finds it
TEXAS = ("Q16555", "Paris", "city in Lamar County, Texas")


def _authority(ws: Any, tmp_path: Path) -> None:
    """The project's authority file: built from the gold links, plus Paris, Texas."""
    from glamlab.actions.link import training_mentions
    from glamlab.linking import authority_from_mentions, import_authority

    names = tmp_path / "names.csv"
    with names.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "label", "alt_labels", "type", "description", "uri"])
        for r in authority_from_mentions(training_mentions(ws)):
            w.writerow([r.record_id, r.label, "|".join(r.alt_labels), r.type,
                        f"record of {r.label}", ""])
        w.writerow([TEXAS[0], TEXAS[1], "", "LOC", TEXAS[2],
                    f"http://www.wikidata.org/entity/{TEXAS[0]}"])
    import_authority(ws, names)


def _linked(ws: Any, tmp_path: Path) -> list[dict[str, Any]]:
    """The authority file (:func:`_authority`); the model's spans linked to it; the open
    rows (not in the test split) that have a link and do not offer Paris, Texas, NIL
    first."""
    from glamlab.actions.link import NIL, link_choices, link_predictions
    from glamlab.review import peek_queue
    from glamlab.tasks.splits import split_of

    _authority(ws, tmp_path)
    assert link_predictions(ws, model="gazetteer@1").mentions > 0
    splits = split_of(ws)
    rows = [r for r in peek_queue(ws, limit=500) if splits.get(r["item_id"]) != "test"]
    link_choices(ws, rows)
    linked = sorted((r for r in rows if r.get("link") and TEXAS[0] not in
                     [c["id"] for c in r["link"]["choices"]]),
                    key=lambda r: r["link"]["authority_id"] != NIL)
    assert any(r["link"]["authority_id"] == NIL for r in linked), "no row linked to NIL"
    assert any(r["link"]["authority_id"] != NIL for r in linked), "no row linked to a record"
    return linked


def test_a_reviewer_finds_a_record_by_name_and_saves_it(entities_ws: Any,  # noqa: F811
                                                        tmp_path: Path) -> None:
    """The card's "Search records" (no script needed) lists the project's records the
    name finds in the card's list of records; the one chosen is saved as the reviewer's
    correction (NIL before: the record the linker missed), which the gold span, the
    linker's training mentions and every export (JSONL, CSV, W3C, INCEpTION) carry with
    who decided it and when. Reviewers only, with the page's CSRF token; the JSON search
    the page's script asks as one types needs a signed-in user, and gives only this
    project's records."""
    from fastapi.testclient import TestClient

    from glamlab.actions.entity_export import export_entities
    from glamlab.actions.link import training_mentions
    from glamlab.auth import add_user
    from glamlab.tasks.spans import gold_spans
    from glamlab.web import create_app

    ws = entities_ws
    row = _linked(ws, tmp_path)[0]  # the linker found no record (NIL)
    rid, v = row["id"], row["value"]
    add_user(ws, "val", PASSWORD, "viewer")
    with TestClient(create_app(ws)) as c:
        # the JSON search: signed in, this project's records only
        assert c.get("/api/authority?q=paris").status_code == 401
        assert login(c, "val").status_code == 303
        found = c.get("/api/authority", params={"q": "paris texas", "label": "LOC"}).json()
        assert [f["id"] for f in found] == [TEXAS[0]]
        assert found[0]["description"] == TEXAS[2] and found[0]["type"] == "LOC"
        assert c.get("/api/authority?q=no+such+place+anywhere").json() == []
        # a viewer may not search on a card (nor decide)
        search = {"find_record": str(rid), f"find_{rid}": "Paris Tex",
                  f"predicted_{rid}": row["label"]}
        assert c.post("/queue/find-record", data={**search, "csrf": csrf_of(c)},
                      follow_redirects=False).status_code == 403
    with TestClient(create_app(ws)) as c:
        assert login(c, "rey").status_code == 303
        page = c.get("/queue?limit=50").text
        assert f'id="find_{rid}"' in page and 'formaction="/queue/find-record"' in page
        # without the CSRF token: refused
        assert c.post("/queue/find-record", data=search,
                      follow_redirects=False).status_code == 403
        got = c.post("/queue/find-record", data={**search, "csrf": csrf_of(c)},
                     follow_redirects=False)
        assert got.status_code == 200, got.text
        card = re.search(rf'<select id="authority_{rid}".*?</select>', got.text, re.S)
        assert card and f'<option value="{TEXAS[0]}">Paris ({TEXAS[0]}), LOC: ' \
            f'{TEXAS[2]}</option>' in card.group(0)
        assert "1 record found for &ldquo;Paris Tex&rdquo;" in got.text
        assert got.headers["HX-Replace-Url"].startswith("/queue?")
        nothing = c.post("/queue/find-record", data={**search, f"find_{rid}": "Nowhere",
                                                     "csrf": csrf_of(c)})
        assert "No record of the authority file is named &ldquo;Nowhere&rdquo;" in nothing.text
        # saved with the record found: a correction
        saved = c.post("/queue/decide", data={
            "csrf": csrf_of(c), "one": f"{rid}:{row['version']}:correct",
            f"label_{rid}": row["label"], f"predicted_{rid}": row["label"],
            f"linked_{rid}": row["link"]["authority_id"], f"authority_{rid}": TEXAS[0],
            f"value_{rid}": json.dumps({"start": v["start"], "end": v["end"]})},
            follow_redirects=False)
        assert saved.status_code == 303 and "done=correct" in saved.headers["location"]
    gold = gold_spans(ws, [row["item_id"]])[row["item_id"]]
    assert (v["start"], v["end"], TEXAS[0]) in {(s.start, s.end, s.authority_id) for s in gold}
    # the linker learns it
    assert any(m.authority_id == TEXAS[0] and m.document == row["item_id"]
               for m in training_mentions(ws))
    # every export carries it, the reviewer's
    out = tmp_path / "e.csv"
    export_entities(ws, "csv", out, model="gazetteer@1")
    mine = next(e for e in csv.DictReader(out.read_text(encoding="utf-8-sig").splitlines())
                if e["item_id"] == row["item_id"] and int(e["start"]) == v["start"])
    assert (mine["authority_id"], mine["confirmed_by"]) == (TEXAS[0], "rey") and mine["created"]
    export_entities(ws, "jsonl", tmp_path / "e.jsonl", model="gazetteer@1")
    doc = next(d for d in map(json.loads, (tmp_path / "e.jsonl").read_text().splitlines())
               if d["id"] == row["item_id"])
    entity = next(e for e in doc["entities"] if e["start"] == v["start"])
    assert entity["authority_id"] == TEXAS[0]
    assert (entity.get("provenance") or doc["provenance"])["confirmed_by"] == "rey"
    export_entities(ws, "w3c", tmp_path / "e.json", model="gazetteer@1")
    annos = json.loads((tmp_path / "e.json").read_text())["first"]["items"]
    anno = next(a for a in annos if a["target"]["selector"][1]["start"] == v["start"]
                and "rey" in json.dumps(a))
    assert {"type": "SpecificResource", "purpose": "identifying",
            "source": f"http://www.wikidata.org/entity/{TEXAS[0]}"} in anno["body"]
    assert "rey" in json.dumps(anno)
    export_entities(ws, "inception", tmp_path / "inc", model="gazetteer@1")
    assert any(TEXAS[0] in p.read_text(encoding="utf-8")
               for p in (tmp_path / "inc").glob("*.tsv") if p.name != "index.tsv")


def test_a_span_not_linked_yet_is_given_a_record_found_by_name(
        entities_ws: Any, tmp_path: Path) -> None:  # noqa: F811
    """A project with an authority file whose model's spans `glamlab link` has not linked
    (yet): a reviewer's card offers no record chosen, NIL, and the search; the record
    found and saved is the reviewer's correction, in the gold span and the export. Saved
    with no record chosen, the span is accepted as it is."""
    from fastapi.testclient import TestClient

    from glamlab.actions.entity_export import export_entities
    from glamlab.tasks.spans import gold_spans
    from glamlab.tasks.splits import split_of
    from glamlab.web import create_app

    ws = entities_ws
    _authority(ws, tmp_path)
    splits = split_of(ws)
    with TestClient(create_app(ws)) as c:
        assert login(c, "rey").status_code == 303
        page = c.get("/queue?limit=50").text
        rows = [r for r in c.get("/api/queue?limit=200").json()
                if splits.get(r["item_id"]) != "test" and f'id="find_{r["id"]}"' in page]
        assert len(rows) >= 2 and not any(r.get("link") for r in rows)
        first, second = rows[0], next(r for r in rows if r["item_id"] != rows[0]["item_id"])
        assert "Not linked to a record yet" in page
        rid, v = first["id"], first["value"]
        got = c.post("/queue/find-record", data={
            "csrf": csrf_of(c), "find_record": str(rid), f"find_{rid}": "paris texas",
            f"predicted_{rid}": first["label"]})
        card = re.search(rf'<select id="authority_{rid}".*?</select>', got.text, re.S)
        assert card and f'<option value="{TEXAS[0]}">' in card.group(0)
        assert '<option value="" selected>no record chosen' in card.group(0)
        form = {"csrf": csrf_of(c), f"label_{rid}": first["label"],
                f"predicted_{rid}": first["label"], f"linked_{rid}": "",
                f"value_{rid}": json.dumps({"start": v["start"], "end": v["end"]})}
        saved = c.post("/queue/decide", data={
            **form, "one": f"{rid}:{first['version']}:correct", f"authority_{rid}": TEXAS[0]},
            follow_redirects=False)
        assert saved.status_code == 303 and "done=correct" in saved.headers["location"]
        # the other left with no record chosen: an accept
        sid, w = second["id"], second["value"]
        kept = c.post("/queue/decide", data={
            "csrf": csrf_of(c), "one": f"{sid}:{second['version']}:correct",
            f"label_{sid}": second["label"], f"predicted_{sid}": second["label"],
            f"linked_{sid}": "", f"authority_{sid}": "",
            f"value_{sid}": json.dumps({"start": w["start"], "end": w["end"]})},
            follow_redirects=False)
        assert kept.status_code == 303 and "done=accept" in kept.headers["location"]
    gold = gold_spans(ws, [first["item_id"]])[first["item_id"]]
    assert (v["start"], v["end"], TEXAS[0]) in {(s.start, s.end, s.authority_id) for s in gold}
    out = tmp_path / "e.csv"
    export_entities(ws, "csv", out, model="gazetteer@1")
    mine = next(e for e in csv.DictReader(out.read_text(encoding="utf-8-sig").splitlines())
                if e["item_id"] == first["item_id"] and int(e["start"]) == v["start"])
    assert (mine["authority_id"], mine["confirmed_by"]) == (TEXAS[0], "rey")


@pytest.mark.browser
def test_a_reviewer_picks_a_record_with_the_keys_in_a_real_browser(
        entities_ws: Any, tmp_path: Path) -> None:  # noqa: F811
    """In Chromium, with the keys only: the reviewer types a part of the name in the
    card's "Find another record", Down and Enter choose the record listed, and Enter on
    "Save type, link and boundaries" (where the focus went) saves the span with it."""
    from glamlab.tasks.spans import gold_spans

    ws = entities_ws
    linked = _linked(ws, tmp_path)
    with chromium_page(ws, "/queue", csp=True) as (sync_api, page, errors):
        shown = {int(i) for i in page.locator("[data-record-find]").evaluate_all(
            "els => els.map(e => e.dataset.for)")}
        row = next(r for r in linked if r["id"] in shown and r["link"]["authority_id"] != "NIL")
        rid = row["id"]
        page.locator(f"#find_{rid}").focus()
        page.keyboard.type("paris tex")
        options = page.locator(f"#found_list_{rid} [role=option]")
        sync_api.expect(options).to_have_count(1)
        sync_api.expect(options.first).to_contain_text(TEXAS[2])
        page.keyboard.press("ArrowDown")
        sync_api.expect(options.first).to_have_attribute("aria-selected", "true")
        page.keyboard.press("Enter")
        assert page.input_value(f"#authority_{rid}") == TEXAS[0]
        save = page.locator(f'button[value="{rid}:{row["version"]}:correct"]')
        sync_api.expect(save).to_be_focused()
        page.keyboard.press("Enter")
        sync_api.expect(page.locator("#queue-status")).to_contain_text("Corrected.")
        assert not errors, errors
    v = row["value"]
    gold = gold_spans(ws, [row["item_id"]])[row["item_id"]]
    assert (v["start"], v["end"], TEXAS[0]) in {(s.start, s.end, s.authority_id) for s in gold}
