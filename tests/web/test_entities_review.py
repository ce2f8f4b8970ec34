"""The span review widget: a predicted span highlighted in its text, accepted or given
another type by a reviewer in the web app; the answer becomes gold in the span store."""

from __future__ import annotations

import html
import json
import re
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests import ner_project
from tests.web.conftest import PASSWORD, chromium_page, csrf_of, login


def _queue_in_chromium(ws: Any, *, csp: bool = False
                       ) -> AbstractContextManager[tuple[Any, Any, list[str]]]:
    """The review queue of ``ws`` in Chromium, signed in as rey (conftest.chromium_page)."""
    return chromium_page(ws, "/queue", csp=csp)


#: in a queue card's text: ``[x, y]``, a point on character ``at`` of row ``id``'s text
_POINT_ON_CHARACTER = """([id, at]) => {
        const el = document.querySelector(`[data-add-text][data-for="${id}"]`);
        const w = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
        let n, left = at;
        while ((n = w.nextNode())) { if (left < n.length) break; left -= n.length; }
        const r = document.createRange(); r.setStart(n, left); r.setEnd(n, left + 1);
        const b = r.getBoundingClientRect();
        return [b.left + 1, b.top + b.height / 2]; }"""


def _drag(page: Any, rid: str, start: int, end: int) -> None:
    """The mouse pressed on character ``start`` of the row ``rid``'s card text, moved
    and released on character ``end``."""
    x1, y1 = page.evaluate(_POINT_ON_CHARACTER, [rid, start])
    x2, y2 = page.evaluate(_POINT_ON_CHARACTER, [rid, end])
    page.mouse.move(x1, y1)
    page.mouse.down()
    page.mouse.move(x2, y2, steps=8)
    page.mouse.up()


def _added(sync_api: Any, page: Any, submit: Any) -> None:
    """``submit()`` (a click or Enter) adds an entity: wait until the page says so. The
    status line is emptied first, since an earlier add left "Entity added" in it (the
    wait passed at once, and the page was read before this add was saved)."""
    page.evaluate("document.querySelector('#queue-status').textContent = ''")
    submit()
    sync_api.expect(page.locator("#queue-status")).to_contain_text("Entity added")


def _add_as(sync_api: Any, page: Any, rid: str, label: str) -> None:
    """The words selected in the row ``rid``'s card added as an entity of type ``label``
    ("Add as entity"), then the page reloaded."""
    page.select_option(f"#add_label_{rid}", label)
    _added(sync_api, page, page.locator(f'button[name="add_span"][value="{rid}"]').click)
    page.reload()


@pytest.fixture
def entities_ws(make_ws: Any, tmp_path: Path) -> Any:
    """The NewsEye sample imported as gold, a gazetteer trained on it, and eight new
    texts nobody labelled (in the train split), run and acted on. The spans of the
    gold texts are settled by their complete gold (not asked): reviewers see the new
    texts' spans."""
    from glamlab.actions import act
    from glamlab.auth import add_user
    from glamlab.inference.runner import run
    from glamlab.store import now

    ws = ner_project.gold_and_gazetteer(make_ws, task="entities")
    ner_project.ingest_new_texts(ws, tmp_path, 8, stem="unread", entities=2)
    with ws.store.write() as conn:
        conn.execute(ws.store.t.splits.insert(), [
            {"item_id": f"unread{n}", "split": "train", "created_at": now()} for n in range(8)])
    run(ws, "gazetteer@1", workers=1, handle_signals=False)
    act(ws, model="gazetteer@1")
    add_user(ws, "rey", PASSWORD, "reviewer")
    return ws


def test_a_reviewer_sees_the_span_and_changes_its_type(entities_ws: Any) -> None:
    from fastapi.testclient import TestClient

    from glamlab.tasks.spans import gold_spans
    from glamlab.tasks.splits import split_of
    from glamlab.web import create_app

    ws = entities_ws
    with TestClient(create_app(ws)) as c:
        assert login(c, "rey").status_code == 303
        page = c.get("/queue?limit=50")
        assert page.status_code == 200
        marks = re.findall(r'<mark class="ent ent-(\w+)"[^>]*>([^<]+)</mark>', page.text)
        assert marks, "no highlighted span on the review page"
        rows = c.get("/api/queue?limit=200").json()
        splits = split_of(ws)
        row = next(r for r in rows if splits.get(r["item_id"]) != "test")
        v = row["value"]
        new = "ORG" if row["label"] != "ORG" else "LOC"
        r = c.post("/queue/decide", data={
            "csrf": csrf_of(c), "one": f"{row['id']}:{row['version']}:correct",
            f"label_{row['id']}": new,
            f"value_{row['id']}": json.dumps({"start": v["start"], "end": v["end"]})},
            follow_redirects=False)
        assert r.status_code in (200, 303), r.text
    gold = gold_spans(ws, [row["item_id"]])[row["item_id"]]
    assert any((s.start, s.end, s.label) == (v["start"], v["end"], new) for s in gold)
    # a correction outside the text is refused and changes nothing
    with TestClient(create_app(ws)) as c:
        login(c, "rey")
        rows = c.get("/api/queue?limit=200").json()
        other = next(r for r in rows if splits.get(r["item_id"]) != "test"
                     and r["id"] != row["id"])
        before = gold_spans(ws, [other["item_id"]])[other["item_id"]]
        bad = c.post("/queue/decide", data={
            "csrf": csrf_of(c), "one": f"{other['id']}:{other['version']}:correct",
            f"label_{other['id']}": "PER",
            f"value_{other['id']}": json.dumps({"start": 0, "end": 100000})},
            follow_redirects=False)
        assert bad.status_code >= 400 or "outside" in bad.text
    assert gold_spans(ws, [other["item_id"]])[other["item_id"]] == before


def _movable(rows: list[dict[str, Any]], ws: Any) -> dict[str, Any]:
    """A queued span outside the test split whose text has a word after it."""
    from glamlab.tasks.splits import split_of

    splits = split_of(ws)
    texts = {i.item_id: i.text for i in ws.items(ids=sorted({r["item_id"] for r in rows}))}
    for r in rows:
        t, v = texts.get(r["item_id"]) or "", r["value"]
        if splits.get(r["item_id"]) != "test" and re.match(r"\s+\S", t[v["end"]:]):
            return r | {"text": t}
    raise AssertionError("no queued span with a word after it")


def test_a_reviewer_fixes_a_span_boundary(entities_ws: Any) -> None:
    """start_ID/end_ID win over the predicted offsets: the gold span gets the new
    boundaries, keeping the type; the export says corrected with the new offsets."""
    from fastapi.testclient import TestClient

    from glamlab.tasks.spans import gold_spans
    from glamlab.web import create_app

    ws = entities_ws
    with TestClient(create_app(ws)) as c:
        assert login(c, "rey").status_code == 303
        page = c.get("/queue")
        assert "Fix the boundaries" in page.text and 'name="start_' in page.text
        row = _movable(c.get("/api/queue?limit=200").json(), ws)
        v, t = row["value"], row["text"]
        new_end = v["end"] + len(re.match(r"\s+\S+", t[v["end"]:]).group(0))  # type: ignore[union-attr]
        r = c.post("/queue/decide", data={
            "csrf": csrf_of(c), "one": f"{row['id']}:{row['version']}:correct",
            f"label_{row['id']}": row["label"],  # same type: only the boundary moves
            f"value_{row['id']}": json.dumps({"start": v["start"], "end": v["end"]}),
            f"start_{row['id']}": str(v["start"]), f"end_{row['id']}": str(new_end)},
            follow_redirects=False)
        assert r.status_code == 303, r.text
    gold = gold_spans(ws, [row["item_id"]])[row["item_id"]]
    assert (v["start"], new_end, row["label"]) in {(s.start, s.end, s.label) for s in gold}
    assert (v["start"], v["end"], row["label"]) not in {(s.start, s.end, s.label) for s in gold}
    from glamlab.actions.export import iter_rows

    mine = [e.row for e in iter_rows(ws, model="gazetteer@1")
            if e.row["item_id"] == row["item_id"] and e.row["origin"] == "person"]
    assert any(m["span_start"] == v["start"] and m["span_end"] == new_end for m in mine)


def test_boundary_fields_that_are_not_numbers_are_refused(entities_ws: Any) -> None:
    from fastapi.testclient import TestClient

    from glamlab.web import create_app

    with TestClient(create_app(entities_ws)) as c:
        login(c, "rey")
        row = c.get("/api/queue?limit=200").json()[0]
        r = c.post("/queue/decide", data={
            "csrf": csrf_of(c), "one": f"{row['id']}:{row['version']}:correct",
            f"label_{row['id']}": row["label"], f"start_{row['id']}": "two",
            f"end_{row['id']}": "9"}, follow_redirects=False)
        assert r.status_code == 422
        assert c.get("/api/queue?limit=200").json()[0]["status"] == "open"


@pytest.mark.browser
@pytest.mark.slow
def test_word_buttons_move_a_boundary_in_a_real_browser(entities_ws: Any) -> None:
    """In Chromium: "word →" on the end moves it past the next word, the preview shows the
    covered words, and saving stores the span with that end."""
    from glamlab.tasks.spans import gold_spans

    ws = entities_ws
    with _queue_in_chromium(ws) as (sync_api, page, errors):
        shown = {int(i) for i in page.locator("[data-span-bounds]").evaluate_all(
            "els => els.map(e => e.dataset.for)")}
        rows = page.evaluate("async () => (await fetch('/api/queue?limit=200')).json()")
        row = _movable([r for r in rows if r["id"] in shown], ws)  # one this page shows
        box = page.locator(f'[data-span-bounds][data-for="{row["id"]}"]')
        v, t = row["value"], row["text"]
        expected = v["end"] + len(re.match(r"\s+\S+", t[v["end"]:]).group(0))  # type: ignore[union-attr]
        box.locator('[data-step="end:1"]').click()
        assert page.input_value(f"#end_{row['id']}") == str(expected)
        assert box.locator(".span-preview").inner_text() == t[v["start"]:expected]
        box.locator('[data-step="end:-1"]').click()
        assert page.input_value(f"#end_{row['id']}") == str(v["end"])
        box.locator('[data-step="end:1"]').click()
        # the page is htmx-boosted: the decision posts in the background and the queue
        # it comes back to says what was done
        page.locator(f'button[value="{row["id"]}:{row["version"]}:correct"]').click()
        sync_api.expect(page.locator("#queue-status")).to_contain_text("Corrected.")
        assert not errors, errors
    gold = gold_spans(ws, [row["item_id"]])[row["item_id"]]
    assert (v["start"], expected, row["label"]) in {(s.start, s.end, s.label) for s in gold}


@pytest.mark.browser
def test_a_number_key_gives_a_span_that_type_in_a_real_browser(entities_ws: Any) -> None:
    """In Chromium: the key hint promises "1 PER, 2 LOC, ... (the right label: saved at
    once)"; pressing the number of another type on the current row saves the span
    with that type (the widget's save button is the one the key presses)."""
    from glamlab.tasks.spans import gold_spans

    ws = entities_ws
    labels = ws.card.labels
    with _queue_in_chromium(ws) as (sync_api, page, errors):
        rows = {r["id"]: r for r in page.evaluate(
            "async () => (await fetch('/api/queue?limit=200')).json()")}
        first = page.locator(".qitem").first
        first.focus()
        row = rows[int(first.locator("[data-span-bounds]").get_attribute("data-for") or 0)]
        other = next(lab for lab in labels if lab != row["label"])
        page.keyboard.press(str(labels.index(other) + 1))
        sync_api.expect(page.locator("#queue-status")).to_contain_text("Corrected.")
        assert not errors, errors
    v = row["value"]
    gold = gold_spans(ws, [row["item_id"]])[row["item_id"]]
    assert (v["start"], v["end"], other) in {(s.start, s.end, s.label) for s in gold}


def test_a_reviewer_sees_the_link_keeps_it_or_chooses_another(entities_ws: Any,
                                                              tmp_path: Path) -> None:
    """After `glamlab link`, each linked span waiting for review shows the record it
    points to and the linker's other candidates; saving the span with its link (as it
    is, or another record, or NIL) is a person's decision that the gold span and the
    export carry; an id the authority file does not have is refused."""
    import csv

    from fastapi.testclient import TestClient

    from glamlab.actions.link import NIL, link_predictions, training_mentions
    from glamlab.linking import authority_from_mentions, import_authority
    from glamlab.tasks.spans import gold_spans
    from glamlab.tasks.splits import split_of
    from glamlab.web import create_app

    ws = entities_ws
    names = tmp_path / "names.csv"
    with names.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "label", "alt_labels", "type", "description"])
        for r in authority_from_mentions(training_mentions(ws)):
            w.writerow([r.record_id, r.label, "|".join(r.alt_labels), r.type,
                        f"record of {r.label}"])
    import_authority(ws, names)
    report = link_predictions(ws, model="gazetteer@1")
    assert report.mentions > 0
    splits = split_of(ws)
    with TestClient(create_app(ws)) as c:
        assert login(c, "rey").status_code == 303
        from glamlab.actions.link import link_choices
        from glamlab.review import peek_queue

        rows = [r for r in peek_queue(ws, limit=500) if splits.get(r["item_id"]) != "test"]

        link_choices(ws, rows)  # what the review page shows for each row
        linked = [r for r in rows if r.get("link")]
        assert len(linked) >= 2, "no open review row has a link to show"
        page = c.get("/queue?limit=50").text
        assert "Linked to" in page and 'name="authority_' in page
        # a span linked to no record has no link score of its own: the card says how
        # close the nearest record came, if any did, not "link score 0.00"
        nil_cards = re.findall(r"<b>no record</b>.*?</p>", page, re.S)
        assert nil_cards and not any("link score" in card for card in nil_cards)
        # 1. saved as it is (the linker's record kept): an accept, not a correction
        a = next(r for r in linked if r["link"]["authority_id"] != NIL)
        va = {**a["value"], "authority_id": a["link"]["authority_id"]}
        r1 = c.post("/queue/decide", data={
            "csrf": csrf_of(c), "one": f"{a['id']}:{a['version']}:correct",
            f"label_{a['id']}": a["label"], f"authority_{a['id']}": va["authority_id"],
            f"linked_{a['id']}": va["authority_id"], f"predicted_{a['id']}": a["label"],
            f"value_{a['id']}": json.dumps({"start": va["start"], "end": va["end"]})},
            follow_redirects=False)
        assert r1.status_code == 303 and "done=accept" in r1.headers["location"], r1.text
        # 2. another record chosen: a correction, the gold span points to it
        b = next(r for r in linked if r["id"] != a["id"]
                 and r["item_id"] != a["item_id"])
        vb = {**b["value"], "authority_id": b["link"]["authority_id"]}
        choice = NIL if vb["authority_id"] != NIL else va["authority_id"]
        form = {"csrf": csrf_of(c), "one": f"{b['id']}:{b['version']}:correct",
                f"label_{b['id']}": b["label"], f"linked_{b['id']}": vb["authority_id"],
                f"value_{b['id']}": json.dumps({"start": vb["start"], "end": vb["end"]})}
        bad = c.post("/queue/decide", data={**form, f"authority_{b['id']}": "Q-no-such"},
                     follow_redirects=False)
        assert bad.status_code == 422 and "no authority record" in bad.text
        r2 = c.post("/queue/decide", data={**form, f"authority_{b['id']}": choice},
                    follow_redirects=False)
        assert r2.status_code == 303, r2.text
    gold_a = gold_spans(ws, [a["item_id"]])[a["item_id"]]
    assert any((s.start, s.end) == (va["start"], va["end"]) for s in gold_a)
    gold_b = gold_spans(ws, [b["item_id"]])[b["item_id"]]
    assert any((s.start, s.end, s.authority_id) == (vb["start"], vb["end"], choice)
               for s in gold_b)
    # the export a curator downloads from the web app: a row per span, with the link
    with TestClient(create_app(ws)) as c:
        login(c, "rey")
        got = c.get("/stages/export/download?format=csv&all_layers=1")
        assert got.status_code == 200
    assert got.content.startswith(b"\xef\xbb\xbfitem_id,")  # the CLI's CSV: a BOM for Excel
    exported = list(csv.DictReader(got.content.decode("utf-8-sig").splitlines()))
    row_b = next(r for r in exported if r["item_id"] == b["item_id"]
                 and int(r["start"]) == vb["start"] and int(r["end"]) == vb["end"])
    assert row_b["authority_id"] == choice
    row_a = next(r for r in exported if r["item_id"] == a["item_id"]
                 and int(r["start"]) == va["start"] and int(r["end"]) == va["end"])
    assert row_a["authority_id"] == va["authority_id"]  # the linker's link, accepted


def test_a_reviewer_marks_a_partly_reviewed_text_checked(entities_ws: Any,
                                                         tmp_path: Path) -> None:
    """A new text with several predicted spans: one accepted, the page says the text
    waits (out of training) and offers "Whole text checked" (key d); pressing it puts
    the text, with the spans saved for it, into training."""
    from fastapi.testclient import TestClient

    from glamlab.actions import act
    from glamlab.inference.runner import run
    from glamlab.tasks.spans import gold_spans
    from glamlab.tasks.splits import split_of, training_data
    from glamlab.web import create_app

    ws = entities_ws
    gold = gold_spans(ws)
    source = next(i for i, s in sorted(split_of(ws).items())
                  if s == "train" and len(gold[i]) >= 3)
    folder = tmp_path / "new"
    folder.mkdir()
    (folder / "fresh.txt").write_text("Nouvelle lettre. " + (ws.item(source).text or ""),
                                      encoding="utf-8")
    assert ws.ingest([folder]).added == 1
    run(ws, "gazetteer@1", workers=0, handle_signals=False)
    act(ws, model="gazetteer@1")
    q = ws.store.t.review_queue
    with ws.store.write() as conn:  # the page shows 25 rows: only the new text's wait
        conn.execute(q.update().where(q.c.item_id != "fresh").values(status="decided"))
    with TestClient(create_app(ws)) as c:
        assert login(c, "rey").status_code == 303
        page = c.get("/queue?limit=300")
        assert 'data-act="d"' in page.text and "<kbd>d</kbd> whole text checked" in page.text
        rows = [r for r in c.get("/api/queue?limit=300").json() if r["item_id"] == "fresh"]
        assert len(rows) >= 2, rows
        first = rows[0]
        r = c.post("/queue/decide", data={"csrf": csrf_of(c),
                                          "one": f"{first['id']}:{first['version']}:accept"},
                   follow_redirects=False)
        assert r.status_code == 303
        assert "fresh" in training_data(ws).waiting
        page = c.get("/queue?limit=300")
        assert "This text waits" in page.text
        words = first["value"].get("text") or ""
        assert f"Saved for this text so far: <b>{words}</b> ({first['label']})" in page.text
        r = c.post("/queue/text-done", data={"csrf": csrf_of(c), "text_done": "fresh"},
                   follow_redirects=True)
        assert r.status_code == 200 and "Text marked checked" in r.text
        # pressed by mistake: the page offers to take it back, and that works
        assert 'action="/queue/text-undone"' in r.text and "Undo: not checked yet" in r.text
        r = c.post("/queue/text-undone", data={"csrf": csrf_of(c), "text_done": "fresh"},
                   follow_redirects=True)
        assert r.status_code == 200 and "Mark taken back" in r.text
        assert "fresh" in training_data(ws).waiting
        # the same through the API (a token or the session, with its CSRF header)
        headers = {"X-CSRF-Token": csrf_of(c)}
        r = c.put("/api/texts/fresh/checked", headers=headers)
        assert r.status_code == 200 and r.json()["checked"] is True, r.text
        assert "fresh" not in training_data(ws).waiting
        r = c.delete("/api/texts/fresh/checked", headers=headers)
        assert r.status_code == 200 and r.json() == {
            "item_id": "fresh", "checked": False, "spans": 1, "split": None, "waits": True,
            "earlier_gold": None, "change_id": r.json()["change_id"]}
        assert isinstance(r.json()["change_id"], int)  # the number to undo it by
        r = c.delete("/api/texts/fresh/checked", headers=headers)
        assert r.status_code == 422 and "not marked as checked" in r.json()["error"]
        r = c.put("/api/texts/fresh/checked", headers=headers)
        assert r.status_code == 200
    data = training_data(ws)
    assert "fresh" in data.ids and data.waiting == []
    v = first["value"]
    saved = {(s.start, s.end, s.label) for s in gold_spans(ws, ["fresh"])["fresh"]}
    # the accepted span, and the spans the policy accepted (none of them queued): the
    # spans still in review that nobody decided are not entities of the text
    queued = {(r["value"]["start"], r["value"]["end"], r["label"]) for r in rows}
    assert (v["start"], v["end"], first["label"]) in saved
    assert not (saved - {(v["start"], v["end"], first["label"])}) & queued


def test_a_text_in_the_test_split_is_not_offered_whole_text_checked(entities_ws: Any) -> None:
    """ "Whole text checked" is refused for a text in the test split (its gold spans stay
    as they are): the queue does not offer it there, and says why, while a training
    text keeps the button."""
    from fastapi.testclient import TestClient

    from glamlab.review import peek_queue
    from glamlab.tasks.splits import split_of
    from glamlab.web import create_app

    ws = entities_ws
    q = ws.store.t.review_queue
    queued = sorted({r["item_id"] for r in peek_queue(ws, limit=500)})  # what is asked
    splits = split_of(ws, queued)
    train, test = [i for i in queued if splits.get(i) == "train"][:2]
    sp = ws.store.t.splits
    with ws.store.write() as conn:  # the page shows one text of each split
        # the test texts' gold settles their spans (none is asked): one text moves there
        conn.execute(sp.update().where(sp.c.item_id == test).values(split="test"))
        conn.execute(q.update().where(q.c.item_id.not_in([test, train]))
                     .values(status="decided"))
    with TestClient(create_app(ws)) as c:
        assert login(c, "rey").status_code == 303
        page = c.get("/queue?limit=300").text
    assert test in page and train in page
    assert f'name="text_done" value="{test}"' not in page
    assert f'name="text_done" value="{train}"' in page
    assert "This text is in the test set" in page


def _fresh_text(ws: Any, tmp_path: Path, head: str = "Nouvelle lettre du comité. ",
                name: str = "fresh") -> tuple[str, list[dict[str, Any]]]:
    """A new text ``name``: ``head``, then a train sentence's words (so the gazetteer
    finds entities in them), predicted and queued, whose rows are the only ones open (the
    page shows them), none in ``head``; returns its text and its queued spans."""
    from glamlab.actions import act
    from glamlab.inference.runner import run
    from glamlab.tasks.spans import gold_spans
    from glamlab.tasks.splits import split_of

    gold = gold_spans(ws)
    source = next(i for i, s in sorted(split_of(ws).items())
                  if s == "train" and len(gold[i]) >= 3)
    folder = tmp_path / name
    folder.mkdir()
    text = head + (ws.item(source).text or "")
    (folder / f"{name}.txt").write_bytes(text.encode("utf-8"))  # each \r kept
    assert ws.ingest([folder]).added == 1
    assert ws.item(name).text == text
    run(ws, "gazetteer@1", workers=0, handle_signals=False)
    act(ws, model="gazetteer@1")
    q = ws.store.t.review_queue
    with ws.store.write() as conn:
        conn.execute(q.update().where(q.c.item_id != name).values(status="decided"))
    from glamlab.review import peek_queue

    rows = [r for r in peek_queue(ws, limit=300) if r["item_id"] == name]
    assert len(rows) >= 2, rows
    assert all(r["value"]["start"] >= len(head) for r in rows)
    return text, rows


def test_a_reviewer_adds_an_entity_the_model_missed(entities_ws: Any, tmp_path: Path) -> None:
    """"Add as entity" on a card: the words become the reviewer's gold span on the text,
    highlighted as saved; the text still waits for its other spans (an addition decides
    none of them), trains once it is checked, and the export gives the span as the
    reviewer's. Overlapping a saved span, outside the text, an unknown type, a text in
    the test split: refused with the reason, nothing stored. The API does the same."""
    import csv

    from fastapi.testclient import TestClient

    from glamlab.tasks.spans import gold_spans, span_data
    from glamlab.tasks.splits import training_data
    from glamlab.web import create_app

    ws = entities_ws
    text, rows = _fresh_text(ws, tmp_path)
    row = rows[0]
    with TestClient(create_app(ws)) as c:
        assert login(c, "rey").status_code == 303
        page = c.get("/queue?limit=300").text
        assert f'data-add-text data-for="{row["id"]}"' in page and "Add as entity" in page
        assert "<kbd>e</kbd> add an entity the model missed" in page

        def add(start: int | str, end: int | str, label: str) -> Any:
            return c.post("/queue/add-span", data={
                "csrf": csrf_of(c), "add_span": str(row["id"]),
                f"add_item_{row['id']}": "fresh", f"add_start_{row['id']}": str(start),
                f"add_end_{row['id']}": str(end), f"add_label_{row['id']}": label},
                follow_redirects=False)

        r = add(0, 9, "ORG")  # "Nouvelle " : the space at its end is left out
        assert r.status_code == 303 and "done=added" in r.headers["location"], r.text
        page = c.get(r.headers["location"]).text
        assert "Entity added to fresh" in page
        assert '<mark class="ent saved ent-ORG" title="ORG (saved)">Nouvelle</mark>' in page
        assert "Saved for this text so far: <b>Nouvelle</b> (ORG)" in page
        assert "fresh" in training_data(ws).waiting  # its predicted spans are undecided
        before = gold_spans(ws, ["fresh"])["fresh"]
        assert [(s.start, s.end, s.label) for s in before] == [(0, 8, "ORG")]
        # refused, the reason on the queue page, the selection kept; nothing stored
        bad = add(4, 15, "PER")
        assert bad.status_code == 422
        assert bad.headers["HX-Replace-Url"].startswith("/queue?")
        assert "Not added: fresh: &#39;elle lettre&#39; (4-15) overlaps &#39;Nouvelle&#39;" \
            in bad.text and "already saved as ORG (0-8). What to do: select words" in bad.text
        assert f'name="add_start_{row["id"]}" value="4"' in bad.text
        assert "outside the text" in add(0, len(text) + 5, "PER").text
        assert "unknown label" in add(9, 15, "SHIP").text
        assert "Not added: no words selected. What to do: select the words" in add(
            "", "", "PER").text
        assert gold_spans(ws, ["fresh"])["fresh"] == before
        # the API: the same, for scripts
        headers = {"X-CSRF-Token": csrf_of(c)}
        r = c.post("/api/texts/fresh/spans", json={"start": 9, "end": 15, "label": "PROD"},
                   headers=headers)
        assert r.status_code == 200, r.text
        assert r.json() | {"decision_id": 0} == {
            "item_id": "fresh", "start": 9, "end": 15, "label": "PROD", "layer": "entity",
            "authority_id": None, "text": "lettre",
            "split": "train", "spans": 2, "waits": True, "decision_id": 0, "settled": [],
            "earlier_gold": None}
        r = c.post("/api/texts/fresh/spans", json={"start": 12, "end": 18, "label": "PER"},
                   headers=headers)
        assert r.status_code == 422 and "overlaps 'lettre'" in r.json()["error"]
        r = c.put("/api/texts/fresh/checked", headers=headers)
        assert r.status_code == 200
        got = c.get("/stages/export/download?format=csv&all_layers=1")
        assert got.status_code == 200
    # checked: the text trains, with the spans added
    data = training_data(ws)
    assert "fresh" in data.ids and "fresh" not in data.waiting
    train = span_data(ws, "train")
    spans = train.spans[[i.item_id for i in train.items].index("fresh")]
    assert {(0, 8, "ORG"), (9, 15, "PROD")} <= {(s.start, s.end, s.label) for s in spans}
    # the export: the added spans, the reviewer's
    exported = [r for r in csv.DictReader(got.content.decode("utf-8-sig").splitlines())
                if r["item_id"] == "fresh" and int(r["start"]) < 26]
    assert {(int(r["start"]), int(r["end"]), r["type"], r["confirmed_by"])
            for r in exported} == {(0, 8, "ORG", "rey"), (9, 15, "PROD", "rey")}


def test_the_api_adds_a_nested_or_metonymic_entity(entities_ws: Any, tmp_path: Path) -> None:
    """``layer`` on ``POST /api/texts/ID/spans``: a nested entity inside a saved one and a
    metonymic one on the same words are added (each overlapping only spans of other
    layers), stored with their layer, and the export keeps it; an overlap on the same
    layer, and a layer the project does not know, are refused with one clear error,
    nothing stored."""
    import json

    from fastapi.testclient import TestClient

    from glamlab.actions.entity_export import export_spans, iter_gold_rows
    from glamlab.tasks.spans import gold_spans
    from glamlab.web import create_app

    ws = entities_ws
    text, _rows = _fresh_text(ws, tmp_path, head="Comité de Genève. ")
    assert text.startswith("Comité de Genève. ")
    with TestClient(create_app(ws)) as c:
        assert login(c, "rey").status_code == 303
        headers = {"X-CSRF-Token": csrf_of(c)}

        def add(start: int, end: int, label: str, **layer: str) -> Any:
            return c.post("/api/texts/fresh/spans", headers=headers,
                          json={"start": start, "end": end, "label": label, **layer})

        r = add(0, 16, "ORG")  # "Comité de Genève", the main layer
        assert r.status_code == 200 and r.json()["layer"] == "entity", r.text
        r = add(10, 16, "LOC", layer="nested")  # "Genève", inside it
        assert r.status_code == 200, r.text
        assert (r.json()["layer"], r.json()["text"], r.json()["spans"]) == (
            "nested", "Genève", 2)
        r = add(0, 16, "LOC", layer="metonymic")
        assert r.status_code == 200 and r.json()["layer"] == "metonymic", r.text
        before = gold_spans(ws, ["fresh"], layer=None)["fresh"]
        r = add(12, 16, "PER", layer="nested")  # over the nested span: refused
        assert r.status_code == 422 and "overlaps 'Genève'" in r.json()["error"], r.text
        assert "(layer nested)" in r.json()["error"]
        r = add(0, 6, "ORG", layer="nestde")
        assert r.status_code == 422, r.text
        assert "unknown span layer 'nestde'" in r.json()["error"]
        assert "entity, metonymic, nested" in r.json()["hint"]
        assert gold_spans(ws, ["fresh"], layer=None)["fresh"] == before
        assert "layer" in c.get("/openapi.json").json()["components"]["schemas"]["SpanIn"][
            "properties"]
    got = {(s.start, s.end, s.label, s.layer) for s in gold_spans(ws, ["fresh"], layer=None)[
        "fresh"]}
    assert {(0, 16, "ORG", "entity"), (10, 16, "LOC", "nested"),
            (0, 16, "LOC", "metonymic")} <= got
    assert gold_spans(ws, ["fresh"])["fresh"][0].layer == "entity"  # the main layer alone
    out = tmp_path / "gold.jsonl"
    export_spans(iter_gold_rows(ws, ids=["fresh"]), "jsonl", out, layers=None)
    (doc,) = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    exported = {(e["start"], e["end"], e["label"], e.get("layer", "entity"))
                for e in doc["entities"]}
    assert {(10, 16, "LOC", "nested"), (0, 16, "LOC", "metonymic")} <= exported


def test_adding_an_entity_does_not_read_every_spans_layer(entities_ws: Any,
                                                          tmp_path: Path) -> None:
    """Adding one entity (``POST /api/texts/ID/spans``) checks its layer without reading
    the layer of every stored span (a ``SELECT DISTINCT`` over the spans table: a full
    scan per entity added at millions of spans): the main and HIPE's layers need no
    query, another layer the project's spans have is found by one of them. The layers
    accepted and refused are the ones the project knows, as before; a refusal still
    names them all."""
    from fastapi.testclient import TestClient

    from glamlab.store import now
    from glamlab.tasks.spans import Span
    from glamlab.tasks.spans.complete import known_layers
    from glamlab.tasks.spans.gold import record_spans
    from glamlab.web import create_app

    ws = entities_ws
    text, _rows = _fresh_text(ws, tmp_path, head="Comité de Genève. ")
    # another text's spans bring a layer of their own (as an imported file may)
    other = next(i for i in ws.items(limit=5) if i.item_id != "fresh" and i.text)
    with ws.store.write() as conn:
        record_spans(conn, ws, other.item_id, other.text or "",
                     [Span(0, 1, "ORG", layer="quoted")], annotator="import",
                     source="quoted.jsonl", stamp=now())
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    sa.event.listen(ws.store.engine, "before_cursor_execute", seen)
    try:
        with TestClient(create_app(ws)) as c:
            assert login(c, "rey").status_code == 303
            headers = {"X-CSRF-Token": csrf_of(c)}

            def add(start: int, end: int, label: str, **layer: str) -> Any:
                return c.post("/api/texts/fresh/spans", headers=headers,
                              json={"start": start, "end": end, "label": label, **layer})

            statements.clear()
            for layer in ({}, {"layer": "nested"}, {"layer": "quoted"}):
                r = add(0, 16, "ORG", **layer)
                assert r.status_code == 200, r.text
                assert r.json()["layer"] == layer.get("layer", "entity")
            scans = [s for s in statements if re.search(r"DISTINCT\s+spans\.layer", s)]
            assert scans == [], scans
            r = add(0, 6, "ORG", layer="quote")
            assert r.status_code == 422, r.text
            assert "unknown span layer 'quote'" in r.json()["error"]
            assert "entity, metonymic, nested, quoted" in r.json()["hint"]
    finally:
        sa.event.remove(ws.store.engine, "before_cursor_execute", seen)
    from glamlab.tasks.spans.complete import layer_known

    with ws.store.read() as conn:
        known = known_layers(ws, conn)
        assert known == ["entity", "metonymic", "nested", "quoted"]
        for layer in (*known, "quote", "Entity", ""):
            assert layer_known(ws, conn, layer) == (layer in known), layer


def test_no_entity_is_added_to_a_text_in_the_test_split(entities_ws: Any) -> None:
    """A text in the test split keeps its gold spans as they are (as "Whole text
    checked" keeps them): adding an entity to it is refused with the reason."""
    from fastapi.testclient import TestClient

    from glamlab.tasks.spans import gold_spans
    from glamlab.tasks.splits import split_of
    from glamlab.web import create_app

    ws = entities_ws
    test = next(i for i, s in sorted(split_of(ws).items()) if s == "test")
    before = gold_spans(ws, [test])[test]
    end = min(5, len(ws.item(test).text or ""))
    with TestClient(create_app(ws)) as c:
        login(c, "rey")
        r = c.post(f"/api/texts/{test}/spans", json={"start": 0, "end": end, "label": "PER"},
                   headers={"X-CSRF-Token": csrf_of(c)})
        assert r.status_code == 422, r.text
        assert "is in the test split" in r.json()["error"]
        assert "train split only" in r.json()["hint"]
    assert gold_spans(ws, [test])[test] == before


@pytest.mark.browser
def test_a_reviewer_adds_entities_with_the_mouse_and_the_keys_in_a_real_browser(
        entities_ws: Any, tmp_path: Path) -> None:
    """In Chromium: words selected with the mouse in a card's text (cutting words: the
    selection takes them in whole) and a type chosen; "Add as entity" saves them, and
    after a reload they are highlighted as saved. Then with the keyboard: e to the text,
    arrows to a word, Shift+arrow for one more, a number for the type, Enter. No script
    error, nothing the page's Content-Security-Policy blocks."""
    from glamlab.tasks.spans import gold_spans

    ws = entities_ws
    text, _rows = _fresh_text(ws, tmp_path)  # "Nouvelle lettre du comité. ..."
    labels = ws.card.labels
    with _queue_in_chromium(ws, csp=True) as (sync_api, page, errors):
        card = page.locator("[data-add-text]").first
        rid = card.get_attribute("data-for")
        # the whole text is in the card (not the queue's first 600 characters), scrolled
        # to the row's span: back to its start
        assert card.evaluate("el => el.textContent") == text
        card.evaluate("el => { el.scrollTop = 0; }")
        # the mouse: from inside "Nouvelle" to inside "lettre"
        _drag(page, rid, 3, 12)
        assert page.input_value(f"#add_start_{rid}") == "0"
        assert page.input_value(f"#add_end_{rid}") == "15"
        box = page.locator(f'[data-span-add][data-for="{rid}"]')
        assert box.locator(".span-add-preview").inner_text() == "Nouvelle lettre"
        _add_as(sync_api, page, rid, "ORG")
        saved = page.locator(f'[data-add-text][data-for="{rid}"] mark.saved')
        sync_api.expect(saved).to_have_text("Nouvelle lettre")
        # the keyboard: e, then the third word, one more, the type by its number, Enter
        page.locator(f'[data-add-text][data-for="{rid}"]').locator(
            "xpath=ancestor::li[contains(@class,'qitem')]").focus()
        page.keyboard.press("e")
        for key in ("ArrowRight", "ArrowRight", "ArrowRight", "Shift+ArrowRight"):
            page.keyboard.press(key)
        assert box.locator(".span-add-preview").inner_text() == "du comité"
        page.keyboard.press(str(labels.index("PROD") + 1))
        assert page.input_value(f"#add_label_{rid}") == "PROD"
        _added(sync_api, page, lambda: page.keyboard.press("Enter"))
        page.reload()
        sync_api.expect(page.locator(f'[data-add-text][data-for="{rid}"] mark.saved')
                        ).to_have_text(["Nouvelle lettre", "du comité"])
        assert not errors, errors
    gold = {(s.start, s.end, s.label) for s in gold_spans(ws, ["fresh"])["fresh"]}
    assert gold == {(0, 15, "ORG"), (16, 25, "PROD")}
    assert text[16:25] == "du comité"


#: a head whose words come after line breaks: a CR LF, two lone CRs, a CR LF
CRLF_HEAD = "Nouvelle lettre\r\ndu comité\r\rpour Genève.\r\n"


def _as_a_browser_reads(raw: str) -> str:
    """Raw page text as a browser's HTML parser reads it: each CR LF, and each lone CR,
    is one LF (a character reference such as ``&#13;`` is kept as it says)."""
    return raw.replace("\r\n", "\n").replace("\r", "\n")


def _policy_accepts_the_rest(ws: Any, keep: int) -> None:
    """Of the open queue rows, those after the first ``keep`` are settled as ``glamlab
    act`` settles a span its policy accepts: the row is closed and the value written as
    machine metadata (what :func:`policy_accepted_spans` reads)."""
    import sqlalchemy as sa

    from glamlab.store import now
    from glamlab.tasks.kinds import Candidate, task_kind

    kind = task_kind(ws.card)
    q, mm = ws.store.t.review_queue, ws.store.t.machine_metadata
    with ws.store.write() as conn:
        rows = conn.execute(sa.select(q).where(q.c.status == "open").order_by(q.c.id)).all()
        for r in rows[keep:]:
            conn.execute(q.update().where(q.c.id == r.id).values(status="decided"))
            conn.execute(mm.insert().values(
                item_id=r.item_id, field=ws.card.task,
                value=kind.metadata_value(Candidate(r.label, float(r.score or 0), r.value)),
                model="gazetteer", model_version=1, score=r.score, run_id=None,
                prediction_id=r.prediction_id, created_at=now()))


def test_a_text_with_line_breaks_keeps_its_offsets_on_the_card(entities_ws: Any,
                                                              tmp_path: Path) -> None:
    """Before, a CR LF (or a lone CR) in a text reached the browser raw in the card's
    data-text, and a browser reads each as one LF: the script, which finds the words and
    counts the offsets it saves in that text, was one character short per line break
    before the words, so "Add as entity" and the boundary buttons saved spans over the
    wrong characters. Now data-text, read as a browser reads it, is the text as stored,
    each CR kept; the API counts offsets in the stored text. The spans the policy
    accepted are highlighted in the text as such (before, only listed under it)."""
    import html

    from fastapi.testclient import TestClient

    from glamlab.tasks.spans import gold_spans
    from glamlab.tasks.spans.complete import policy_accepted_spans
    from glamlab.web import create_app

    ws = entities_ws
    text, rows = _fresh_text(ws, tmp_path, head=CRLF_HEAD, name="crlf")
    _policy_accepts_the_rest(ws, keep=1)
    with ws.store.read() as conn:
        accepted = policy_accepted_spans(ws, conn, ["crlf"])["crlf"]
    assert accepted
    with TestClient(create_app(ws)) as c:
        assert login(c, "rey").status_code == 303
        page = c.get("/queue?limit=300").text
        boxes = re.findall(r'data-span-(add|bounds) data-text="([^"]*)" data-for="(\d+)"',
                           page)
        assert {k for k, _, _ in boxes} == {"add", "bounds"}
        for _kind, raw, _rid in boxes:
            assert html.unescape(_as_a_browser_reads(raw)) == text
        # the policy's spans, highlighted in the text, marked as the policy's
        for sp in accepted:
            assert (f'<mark class="ent accepted ent-{sp.label}" title="{sp.label} (accepted '
                    f'by the policy)">{html.escape(text[sp.start:sp.end], quote=False)}'
                    '</mark>') in page
        # the API: offsets of the stored text, each CR counted
        start = text.index("comité")
        r = c.post("/api/texts/crlf/spans", json={"start": start, "end": start + 6,
                                                  "label": "ORG"},
                   headers={"X-CSRF-Token": csrf_of(c)})
        assert r.status_code == 200, r.text
        assert r.json()["text"] == "comité"
    spans = gold_spans(ws, ["crlf"])["crlf"]
    assert [text[s.start:s.end] for s in spans] == ["comité"]


@pytest.mark.browser
def test_words_after_line_breaks_are_added_exactly_in_a_real_browser(
        entities_ws: Any, tmp_path: Path) -> None:
    """In Chromium, a text with a CR LF and lone CRs before its words (the browser
    shows each as one line break): a word selected with the mouse after them, and one
    picked with the keys, are saved over exactly those words; a boundary button moves
    the row's span to the end of the next word of the stored text. Before, each was off
    by one character per line break before it. The policy's spans are highlighted. No
    script error, nothing the page's Content-Security-Policy blocks."""
    from glamlab.tasks.spans import gold_spans

    ws = entities_ws
    text, _rows = _fresh_text(ws, tmp_path, head=CRLF_HEAD, name="crlf")
    _policy_accepts_the_rest(ws, keep=1)
    shown = _as_a_browser_reads(text)
    labels = ws.card.labels
    comite, geneve = text.index("comité"), text.index("Genève")
    with _queue_in_chromium(ws, csp=True) as (sync_api, page, errors):
        card = page.locator("[data-add-text]").first
        rid = card.get_attribute("data-for")
        assert card.evaluate("el => el.textContent") == shown
        assert card.locator("mark.accepted").count() >= 1
        # a boundary button: the end one word later, in the stored text
        end_field = f"#end_{rid}"
        s0, e0 = int(page.input_value(f"#start_{rid}")), int(page.input_value(end_field))
        e1 = e0
        while e1 < len(text) and text[e1].isspace():
            e1 += 1
        while e1 < len(text) and not text[e1].isspace():
            e1 += 1
        page.locator(f'[data-span-bounds][data-for="{rid}"] [data-step="end:1"]').click()
        assert page.input_value(end_field) == str(e1)
        assert page.locator(f'[data-span-bounds][data-for="{rid}"] .span-preview'
                            ).inner_text() == text[s0:e1]
        # the mouse: from inside "comité" to inside it (after a CR LF)
        card.evaluate("el => { el.scrollTop = 0; }")
        at = shown.index("comité")
        _drag(page, rid, at + 1, at + 4)
        assert page.input_value(f"#add_start_{rid}") == str(comite)
        assert page.input_value(f"#add_end_{rid}") == str(comite + 6)
        box = page.locator(f'[data-span-add][data-for="{rid}"]')
        assert box.locator(".span-add-preview").inner_text() == "comité"
        _add_as(sync_api, page, rid, "ORG")
        sync_api.expect(page.locator(f'[data-add-text][data-for="{rid}"] mark.saved')
                        ).to_have_text("comité")
        # the keys: e, then the sixth word ("Genève", after two lone CRs), its type, Enter
        page.locator(f'[data-add-text][data-for="{rid}"]').locator(
            "xpath=ancestor::li[contains(@class,'qitem')]").focus()
        page.keyboard.press("e")
        for _ in range(6):
            page.keyboard.press("ArrowRight")
        assert box.locator(".span-add-preview").inner_text() == "Genève"
        assert page.input_value(f"#add_start_{rid}") == str(geneve)
        page.keyboard.press(str(labels.index("LOC") + 1))
        _added(sync_api, page, lambda: page.keyboard.press("Enter"))
        assert not errors, errors
    gold = {(s.start, s.end, s.label) for s in gold_spans(ws, ["crlf"])["crlf"]}
    assert gold == {(comite, comite + 6, "ORG"), (geneve, geneve + 6, "LOC")}
    assert {text[a:b] for a, b, _ in gold} == {"comité", "Genève"}


def test_an_added_entity_settles_the_model_s_spans_over_its_words(entities_ws: Any,
                                                                 tmp_path: Path) -> None:
    """Before, a span a reviewer added stayed beside the model's queued spans over the
    same words, and accepting one of those later replaced the reviewer's span. Now
    adding it decides them with it, as the reviewer's: the model's very span (same
    words, same type) accepted, another rejected; they leave the queue, and a decision
    made on one later is refused as already decided. A row over those words that another
    reviewer holds refuses the addition, with the reason, nothing stored. The Python
    function and the API alike."""
    from fastapi.testclient import TestClient

    from glamlab import review
    from glamlab.tasks.spans import gold_spans
    from glamlab.web import create_app

    ws = entities_ws
    _text, rows = _fresh_text(ws, tmp_path)
    a, b = rows[0], rows[1]
    va, vb = a["value"], b["value"]
    other = next(lab for lab in ws.card.labels if lab != a["label"])
    # the Python function: a's words, another type: a is rejected, by rey
    added = review.add_span(ws, "rey", "fresh", va["start"], va["end"], other)
    assert [(s["queue_id"], s["action"], s["predicted"]) for s in added["settled"]] == [
        (a["id"], "reject", a["label"])]
    with pytest.raises(review.StaleDecision, match="already decided"):
        review.decide(ws, "rob", a["id"], "accept", a["version"])
    gold = {(s.start, s.end, s.label) for s in gold_spans(ws, ["fresh"])["fresh"]}
    assert gold == {(va["start"], va["end"], other)}
    mine = review.list_decisions(ws, item_id="fresh")
    assert {(d["queue_id"], d["action"], d["user"]) for d in mine} >= {
        (a["id"], "reject", "rey"), (None, "add", "rey")}
    # rob holds b: adding over its words is refused, nothing stored
    assert b["id"] in {r["id"] for r in review.lease_queue(ws, "rob", limit=300)}
    with TestClient(create_app(ws)) as c:
        assert login(c, "rey").status_code == 303
        headers = {"X-CSRF-Token": csrf_of(c)}
        body = {"start": vb["start"], "end": vb["end"], "label": b["label"]}
        r = c.post("/api/texts/fresh/spans", json=body, headers=headers)
        assert r.status_code == 422, r.text
        assert "rob is reviewing the model's span" in r.json()["error"]
        assert "the entity was not added" in r.json()["error"]
        bid = b["id"]
        page = c.post("/queue/add-span", data={
            "csrf": csrf_of(c), "add_span": str(bid), f"add_item_{bid}": "fresh",
            f"add_start_{bid}": str(vb["start"]), f"add_end_{bid}": str(vb["end"]),
            f"add_label_{bid}": b["label"]}, follow_redirects=False)
        # (rob holds the card's row too: the reason is said at the top of the page)
        assert page.status_code == 422, page.text
        assert "The entity was not added: fresh: rob is reviewing" in page.text
        assert {(s.start, s.end, s.label)
                for s in gold_spans(ws, ["fresh"])["fresh"]} == gold
        assert review.release_leases(ws, "rob") >= 1
        # b's very span: accepted with the addition
        r = c.post("/api/texts/fresh/spans", json=body, headers=headers)
        assert r.status_code == 200, r.text
        assert [(s["queue_id"], s["action"], s["words"]) for s in r.json()["settled"]] == [
            (b["id"], "accept", vb.get("text") or _text[vb["start"]:vb["end"]])]
        open_ids = {q["id"] for q in c.get("/api/queue?limit=300").json()}
        assert not {a["id"], b["id"]} & open_ids
        # what the queue page says after such an addition (the form's redirect)
        page = c.get("/queue?done=added&text=fresh&settled=1").text
        assert "The model's span over the same words was decided with it" in page
    gold = {(s.start, s.end, s.label) for s in gold_spans(ws, ["fresh"])["fresh"]}
    assert gold == {(va["start"], va["end"], other), (vb["start"], vb["end"], b["label"])}


def _another_candidate(ws: Any, row: dict[str, Any], label: str,
                       value: dict[str, Any] | None = None) -> dict[str, Any]:
    """Queue, open, the model's other candidate for ``row``'s span (``label``, and the
    span ``value``, ``row``'s by default): a second row over some of the same words."""
    q = ws.store.t.review_queue
    with ws.store.write() as conn:
        r = conn.execute(sa.select(q).where(q.c.id == row["id"])).one()._mapping
        new = {k: v for k, v in r.items() if k not in ("id", "lease_owner", "lease_until")}
        new |= {"label": label, "value": value or row["value"], "status": "open",
                "version": 1}
        rid = int(conn.execute(q.insert().values(**new)).inserted_primary_key[0])
    return {**row, "id": rid, "label": label, "value": new["value"], "version": 1}


def test_accepting_or_correcting_a_span_settles_the_model_s_spans_over_its_words(
        entities_ws: Any, tmp_path: Path) -> None:
    """Before, accepting or correcting a model's span left its other open spans over the
    same words in the queue until the next ``glamlab act``: a second reviewer was shown
    words already decided, and saving one of them was refused only then. Now the
    decision settles them in its transaction, as an added entity does: the very span
    (same words, same type) accepted, any other rejected, each a decision of the
    reviewer's that names the one that settled it. A row over those words another
    reviewer holds refuses the decision (409, naming the row and who holds it; the form
    says so at the top of the page), nothing stored. A bulk accept of two overlapping
    spans says the second was decided with the first."""
    from fastapi.testclient import TestClient

    from glamlab import review
    from glamlab.auth import add_user
    from glamlab.tasks.spans import gold_spans
    from glamlab.web import create_app

    ws = entities_ws
    add_user(ws, "rob", PASSWORD, "reviewer")
    text, rows = _fresh_text(ws, tmp_path)
    a, b = sorted(rows, key=lambda r: r["value"]["start"])[:2]
    va, vb = a["value"], b["value"]
    other = next(lab for lab in ws.card.labels if lab != a["label"])
    a2 = _another_candidate(ws, a, other)  # a's words, another type
    b_other = next(lab for lab in ws.card.labels if lab != b["label"])
    b2 = _another_candidate(ws, b, b_other)  # b's words, another type
    with TestClient(create_app(ws)) as c:
        assert login(c, "rey").status_code == 303
        headers = {"X-CSRF-Token": csrf_of(c)}
        before = c.get("/api/queue?limit=300").json()
        assert {a["id"], a2["id"], b["id"], b2["id"]} <= {q["id"] for q in before}
        # rey accepts a: a2, over the same words, is rejected with it, as rey's
        r = c.post("/api/decisions", headers=headers, json={
            "queue_id": a["id"], "action": "accept", "seen_version": a["version"]})
        assert r.status_code == 200, r.text
        got = r.json()
        shown = {q["id"] for q in c.get("/api/queue?limit=300").json()}
        assert a2["id"] not in shown and b2["id"] in shown
        assert [(s["queue_id"], s["action"], s["predicted"], s["words"])
                for s in got["settled"]] == [(a2["id"], "reject", other,
                                              text[va["start"]:va["end"]])]
        mine = {d["queue_id"]: d for d in review.list_decisions(ws, item_id="fresh")}
        assert (mine[a2["id"]]["action"], mine[a2["id"]]["user"]) == ("reject", "rey")
        with ws.store.read() as conn:
            t = ws.store.t.audit_log
            audited = [row.details for row in conn.execute(sa.select(t).where(
                t.c.action == "review.reject", t.c.object == "fresh"))]
        assert {"queue_id": a2["id"], "settled_by": got["decision_id"]}.items() <= \
            audited[-1].items()
        # a second reviewer deciding a2 now: refused as already decided
        with pytest.raises(review.StaleDecision, match="already decided"):
            review.decide(ws, "rob", a2["id"], "accept", a2["version"])
        # rob holds b; rey's accepting b2 would reject b, and correcting b2 to b's type
        # (b's very span) would accept it: both refused, naming the row and rob, nothing
        # stored
        review.release_leases(ws, "rey")  # (the queue rey loaded)
        held = {q["id"] for q in review.lease_queue(ws, "rob", limit=300)}
        assert {b["id"], b2["id"]} <= held
        review.release_leases(ws, "rob", sorted(held - {b["id"]}))
        gold = {(s.start, s.end, s.label) for s in gold_spans(ws, ["fresh"])["fresh"]}
        r = c.post("/api/decisions", headers=headers, json={
            "queue_id": b2["id"], "action": "accept", "seen_version": b2["version"]})
        assert r.status_code == 409, r.text
        error = r.json()["error"]
        assert f"rob is reviewing review queue row {b['id']}, the model's span" in error
        assert "your decision was not saved" in error, error
        page = c.post("/queue/decide", data={
            "csrf": csrf_of(c), "one": f"{b2['id']}:{b2['version']}:correct",
            f"label_{b2['id']}": b["label"], f"predicted_{b2['id']}": b_other,
            f"value_{b2['id']}": json.dumps({"start": vb["start"], "end": vb["end"]})},
            follow_redirects=False)
        assert page.status_code == 409, page.text
        assert f"rob is reviewing review queue row {b['id']}, the model&#39;s span" \
            in page.text
        assert "What to do: decide it once rob has decided row" in page.text
        assert {(s.start, s.end, s.label)
                for s in gold_spans(ws, ["fresh"])["fresh"]} == gold
        assert {b["id"], b2["id"]} <= {q["id"] for q in review.peek_queue(ws, limit=300)}
        # once rob lets go: b (that very span, that type) is accepted with it
        assert review.release_leases(ws, "rob") >= 1
        page = c.post("/queue/decide", data={
            "csrf": csrf_of(c), "one": f"{b2['id']}:{b2['version']}:correct",
            f"label_{b2['id']}": b["label"], f"predicted_{b2['id']}": b_other,
            f"value_{b2['id']}": json.dumps({"start": vb["start"], "end": vb["end"]})},
            follow_redirects=False)
        assert page.status_code == 303, page.text
        assert "settled=1" in page.headers["location"]
        assert "The model's other span over the same words was decided with it" in \
            c.get(page.headers["location"]).text
        mine = {d["queue_id"]: d for d in review.list_decisions(ws, item_id="fresh")}
        assert (mine[b["id"]]["action"], mine[b["id"]]["user"]) == ("accept", "rey")
        assert not {b["id"], b2["id"]} & {q["id"] for q in review.peek_queue(ws, limit=300)}
    assert {(va["start"], va["end"], a["label"]), (vb["start"], vb["end"], b["label"])} <= {
        (s.start, s.end, s.label) for s in gold_spans(ws, ["fresh"])["fresh"]}
    # a bulk accept of two spans over the same words: the second is decided with the first
    head = text.index("lettre")
    x1 = _another_candidate(ws, a, other, {"start": head, "end": head + 6})
    x2 = _another_candidate(ws, a, a["label"], {"start": head, "end": head + 9})
    done = review.decide_many(ws, "rey", [(x1["id"], 1), (x2["id"], 1)], "accept")
    assert [(d["queue_id"], d["ok"]) for d in done] == [(x1["id"], True), (x2["id"], False)]
    assert [(s["queue_id"], s["action"]) for s in done[0]["settled"]] == [(x2["id"], "reject")]
    assert done[1]["settled_with"] == x1["id"] and "accepted in the same go" in \
        done[1]["reason"]


def test_the_item_page_shows_a_text_s_gold_entities(entities_ws: Any) -> None:
    """Before, an entities item's page said "gold label in the test split", then "Gold
    labels: None.": its gold is spans, which the page never read."""
    from urllib.parse import quote

    from fastapi.testclient import TestClient

    from glamlab.tasks.spans import gold_spans
    from glamlab.tasks.splits import split_of
    from glamlab.web import create_app

    ws = entities_ws
    gold = gold_spans(ws)
    item = next(i for i, s in sorted(split_of(ws).items()) if s == "test" and gold.get(i))
    empty = next(i for i, spans in sorted(gold.items()) if not spans)
    text = ws.item(item).text or ""
    with TestClient(create_app(ws)) as c:
        assert login(c, "rey").status_code == 303
        page = c.get(f"/items/{quote(item)}").text
        other = c.get(f"/items/{quote(empty)}").text
    assert "in the <b>test</b> split" in page and "Gold labels" not in page
    section = page.split('id="gold-h">Gold entities</h2>', 1)[1].split("</section>", 1)[0]
    assert "by import" in section
    from markupsafe import escape

    for s in gold[item]:
        assert f"<b>{escape(text[s.start:s.end])}</b> {s.label}" in section
    assert "no entity in this text" in other


def test_a_corrected_span_keeps_the_link_left_selected_and_names_no_model(
        entities_ws: Any, tmp_path: Path) -> None:
    """A reviewer gives a linked span another type and leaves its link as the linker had
    it (a record, or NIL): the entity CSV had an empty authority_id (the link was lost)
    and named the model and its version, as if the model had found the person's span.
    Now the link stays, and the row names the person (confirmed_by), no model."""
    import csv

    from fastapi.testclient import TestClient

    from glamlab.actions.entity_export import export_entities
    from glamlab.actions.link import NIL, link_choices, link_predictions, training_mentions
    from glamlab.linking import authority_from_mentions, import_authority
    from glamlab.review import peek_queue
    from glamlab.web import create_app

    ws = entities_ws
    names = tmp_path / "names.csv"
    with names.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "label", "alt_labels", "type", "description"])
        for r in authority_from_mentions(training_mentions(ws)):
            w.writerow([r.record_id, r.label, "|".join(r.alt_labels), r.type, r.label])
    import_authority(ws, names)
    assert link_predictions(ws, model="gazetteer@1").mentions > 0
    rows = peek_queue(ws, limit=500)
    link_choices(ws, rows)
    linked = sorted((r for r in rows if r.get("link")),
                    key=lambda r: r["link"]["authority_id"] != NIL)  # NIL first
    assert linked, "no open review row has a link"
    done = []
    with TestClient(create_app(ws)) as c:
        assert login(c, "rey").status_code == 303
        for row in linked[:2]:
            if any(d["item_id"] == row["item_id"] for d in done):
                continue
            kept, v = row["link"]["authority_id"], row["value"]
            new = "ORG" if row["label"] != "ORG" else "PER"
            r = c.post("/queue/decide", data={
                "csrf": csrf_of(c), "one": f"{row['id']}:{row['version']}:correct",
                f"label_{row['id']}": new, f"predicted_{row['id']}": row["label"],
                f"authority_{row['id']}": kept, f"linked_{row['id']}": kept,
                f"value_{row['id']}": json.dumps({"start": v["start"], "end": v["end"]})},
                follow_redirects=False)
            assert r.status_code == 303, r.text
            done.append({**row, "kept": kept, "new": new})
    out = tmp_path / "e.csv"
    export_entities(ws, "csv", out, model="gazetteer@1")
    exported = list(csv.DictReader(out.read_text(encoding="utf-8-sig").splitlines()))
    for d in done:
        mine = next(e for e in exported if e["item_id"] == d["item_id"]
                    and (int(e["start"]), int(e["end"])) == (d["value"]["start"],
                                                              d["value"]["end"]))
        assert (mine["type"], mine["authority_id"], mine["confirmed_by"]) == (
            d["new"], d["kept"], "rey"), mine
        assert (mine["model"], mine["model_version"], mine["score"]) == ("", "", ""), mine
        # the model's spans of the item still name it
        others = [e for e in exported if e["item_id"] == d["item_id"] and e is not mine
                  and not e["confirmed_by"]]
        assert all(e["model"] == "gazetteer" for e in others)


def _open_count(page: str) -> int:
    """The queue page header's "N waiting for a person"."""
    m = re.search(r'<b id="open-count">(\d+)</b>', page)
    assert m, page
    return int(m.group(1))


def test_the_queue_counts_follow_whole_text_checked_at_once(entities_ws: Any) -> None:
    """The queue page's header counts what waits right after "Whole text checked" (the
    text's spans then settled by its complete gold, not asked) and after its undo, from
    the page and through the API (before, the counts of up to 10 seconds earlier
    showed: only decisions adjusted them)."""
    from fastapi.testclient import TestClient

    from glamlab import review
    from glamlab.web import create_app

    ws = entities_ws
    with TestClient(create_app(ws)) as c:
        assert login(c, "rey").status_code == 303
        before = _open_count(c.get("/queue").text)
        assert before == review.queue_counts(ws)["open"]
        text = next(r["item_id"] for r in c.get("/api/queue?limit=300").json()
                    if r["item_id"].startswith("unread"))
        r = c.post("/queue/text-done", data={"csrf": csrf_of(c), "text_done": text},
                   follow_redirects=True)
        assert r.status_code == 200 and "Text marked checked" in r.text
        after = review.queue_counts(ws)["open"]
        assert after < before  # the text's spans are settled by its complete gold
        assert _open_count(r.text) == after
        r = c.post("/queue/text-undone", data={"csrf": csrf_of(c), "text_done": text},
                   follow_redirects=True)
        assert r.status_code == 200 and "Mark taken back" in r.text
        assert _open_count(r.text) == before == review.queue_counts(ws)["open"]
        headers = {"X-CSRF-Token": csrf_of(c)}
        assert c.put(f"/api/texts/{text}/checked", headers=headers).status_code == 200
        assert _open_count(c.get("/queue").text) == after
        assert c.delete(f"/api/texts/{text}/checked", headers=headers).status_code == 200
        assert _open_count(c.get("/queue").text) == before


def test_a_bulk_accept_names_the_rows_another_reviewer_holds(entities_ws: Any,
                                                             tmp_path: Path) -> None:
    """Before, a span a bulk accept could not save because another reviewer holds a row
    over the same words (what a single accept refuses with 409, naming the row and who)
    was counted under "changed or was taken by someone else", with no row and no name.
    Now the page names the row, the item and who holds it, with what to do; the other
    selected spans are saved, and nothing is said to have changed."""
    from fastapi.testclient import TestClient

    from glamlab import review
    from glamlab.auth import add_user
    from glamlab.web import create_app

    ws = entities_ws
    add_user(ws, "rob", PASSWORD, "reviewer")
    _text, rows = _fresh_text(ws, tmp_path)
    a, b = sorted(rows, key=lambda r: r["value"]["start"])[:2]
    b_other = next(lab for lab in ws.card.labels if lab != b["label"])
    b2 = _another_candidate(ws, b, b_other)  # b's words, another type
    with TestClient(create_app(ws)) as c:
        assert login(c, "rey").status_code == 303
        c.get("/queue")  # the page rey loaded
        review.release_leases(ws, "rey")
        held = {q["id"] for q in review.lease_queue(ws, "rob", limit=300)}
        assert b["id"] in held
        review.release_leases(ws, "rob", sorted(held - {b["id"]}))  # rob keeps b
        page = c.post("/queue/bulk", data={"csrf": csrf_of(c), "sel": [
            f"{a['id']}:{a['version']}", f"{b2['id']}:{b2['version']}"]},
            follow_redirects=False)
        assert page.status_code == 200, page.text
        said = re.search(r'<span class="problem" role="alert" id="bulk-held">(.*?)</span>'
                         r'</span>', page.text, re.S)
        assert said, page.text
        words = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", said.group(1))).split())
        assert words.startswith("One selected span was not saved: another reviewer is "
                                "deciding a span over some of the same words"), words
        assert f"review queue row {b2['id']} (item fresh): rob is reviewing review queue " \
            f"row {b['id']}, the model's span" in words, words
        assert f"What to do: decide it once rob has decided row {b['id']}" in words
        assert "changed or was taken" not in page.text
        assert "Accepted 1 selected items." in page.text
        assert page.headers["HX-Replace-Url"].startswith("/queue?")
    mine = {d["queue_id"]: d["action"] for d in review.list_decisions(ws, item_id="fresh")}
    assert mine.get(a["id"]) == "accept" and b2["id"] not in mine and b["id"] not in mine
    # the Python function's answer names who holds it too
    done = review.decide_many(ws, "rey", [(b2["id"], b2["version"])], "accept")
    assert [(d["ok"], d.get("held"), d.get("held_by")) for d in done] == [(False, True, "rob")]


def test_a_decision_on_a_test_text_settles_the_model_s_spans_over_its_words(
        entities_ws: Any, tmp_path: Path) -> None:
    """Before, accepting or correcting a span on a text in the test split left the
    model's other open spans over the same words in the queue (they were settled only
    where the decision wrote gold, in the train split): the next reviewer was asked
    again about words a reviewer had just decided, and could contradict them. Now they
    are decided with it there too, as the reviewer's (the very span accepted, any other
    rejected). The test split stays honest: the text's gold spans are kept as they are
    (the decision writes no gold, so nothing trains on it, and the text stays in the
    test split), and the reviewer's decision itself is kept (list_decisions, the
    export's reviewer's span)."""
    from fastapi.testclient import TestClient

    from glamlab import review
    from glamlab.store import now
    from glamlab.tasks.spans import gold_spans
    from glamlab.tasks.splits import split_of, training_data
    from glamlab.web import create_app

    ws = entities_ws
    text, rows = _fresh_text(ws, tmp_path)
    sp = ws.store.t.splits
    with ws.store.write() as conn:
        conn.execute(sp.delete().where(sp.c.item_id == "fresh"))
        conn.execute(sp.insert().values(item_id="fresh", split="test", created_at=now()))
    gold_before = gold_spans(ws, ["fresh"]).get("fresh")
    a, b = sorted(rows, key=lambda r: r["value"]["start"])[:2]
    va, vb = a["value"], b["value"]
    other = next(lab for lab in ws.card.labels if lab != a["label"])
    a2 = _another_candidate(ws, a, other)  # a's words, another type
    b_other = next(lab for lab in ws.card.labels if lab != b["label"])
    b2 = _another_candidate(ws, b, b_other)  # b's words, the type b is corrected to
    with TestClient(create_app(ws)) as c:
        assert login(c, "rey").status_code == 303
        headers = {"X-CSRF-Token": csrf_of(c)}
        before = {q["id"] for q in c.get("/api/queue?limit=300").json()}
        assert {a["id"], a2["id"], b["id"], b2["id"]} <= before
        # rey accepts a: a2, over the same words, is rejected with it, as rey's
        r = c.post("/api/decisions", headers=headers, json={
            "queue_id": a["id"], "action": "accept", "seen_version": a["version"]})
        assert r.status_code == 200, r.text
        got = r.json()
        assert got["gold_label"].startswith("kept"), got
        assert [(s["queue_id"], s["action"], s["words"]) for s in got["settled"]] == [
            (a2["id"], "reject", text[va["start"]:va["end"]])]
        # rey corrects b to b2's type: b2, that very span, is accepted with it
        r = c.post("/api/decisions", headers=headers, json={
            "queue_id": b["id"], "action": "correct", "seen_version": b["version"],
            "label": b_other})
        assert r.status_code == 200, r.text
        assert [(s["queue_id"], s["action"]) for s in r.json()["settled"]] == [
            (b2["id"], "accept")]
        shown = {q["id"] for q in c.get("/api/queue?limit=300").json()}
        assert not {a["id"], a2["id"], b["id"], b2["id"]} & shown
    with pytest.raises(review.StaleDecision, match="already decided"):
        review.decide(ws, "rob", a2["id"], "accept", a2["version"])
    mine = {d["queue_id"]: d for d in review.list_decisions(ws, item_id="fresh")}
    assert (mine[a["id"]]["action"], mine[a["id"]]["label"]) == ("accept", a["label"])
    assert (mine[b["id"]]["action"], mine[b["id"]]["label"]) == ("correct", b_other)
    assert (mine[a2["id"]]["action"], mine[a2["id"]]["user"]) == ("reject", "rey")
    assert (mine[b2["id"]]["action"], mine[b2["id"]]["user"]) == ("accept", "rey")
    # the test split stays honest: no gold written, still a test text, never trained on
    assert gold_spans(ws, ["fresh"]).get("fresh") == gold_before
    assert split_of(ws, ["fresh"]) == {"fresh": "test"}
    assert "fresh" not in {i.item_id for i in training_data(ws).items}
    assert (vb["start"], vb["end"]) == (b2["value"]["start"], b2["value"]["end"])


def test_a_viewer_sees_the_spans_without_controls_that_would_be_refused(
        entities_ws: Any) -> None:
    """Before, an entities queue showed a viewer Accept, Reject, the type list, "Save type
    and boundaries" and the boundary fields of each card (the classification widget
    hides them): each press ended on a refusal page. Now a viewer reads the cards - the
    span in its text, the model's reason - with no control, and a reviewer still gets
    every one."""
    from fastapi.testclient import TestClient

    from glamlab.auth import add_user
    from glamlab.web import create_app

    add_user(entities_ws, "val", PASSWORD, "viewer")
    with TestClient(create_app(entities_ws)) as c:
        assert login(c, "val").status_code == 303
        page = c.get("/queue").text
        assert re.search(r'<mark class="ent ent-\w+"', page), "no span shown to the viewer"
        assert "look but not decide" in page
        for control in ('formaction="/queue/decide"', 'data-act="c"', "data-span-bounds",
                        'name="start_', 'formaction="/queue/add-span"', 'data-act="d"'):
            assert control not in page, control
    with TestClient(create_app(entities_ws)) as c:
        assert login(c, "rey").status_code == 303
        page = c.get("/queue").text
        for control in ('formaction="/queue/decide"', 'data-act="c"', "data-span-bounds",
                        'name="start_'):
            assert control in page, control


def test_the_boundaries_are_said_in_plain_words(entities_ws: Any) -> None:
    """The review card's "Fix the boundaries" and the labelling page's JSON said
    "character offsets": they now say where an entity starts and ends, counted in
    characters, and keep their start and end fields."""
    from fastapi.testclient import TestClient

    from glamlab.web import create_app
    from tests.helpers_page_words import read_page

    with TestClient(create_app(entities_ws)) as c:
        assert login(c, "rey").status_code == 303
        queue = c.get("/queue?limit=50").text
        label = c.get("/label?item=unread0").text
    for html_page, field in ((queue, 'name="start_'), (label, 'id="spans-json"')):
        words, _ = read_page(html_page)
        assert "offset" not in words.lower(), words
        assert "counted in characters from the start of the text" in words
        assert field in html_page


def test_the_label_page_shows_the_entities_a_text_already_has(entities_ws: Any,
                                                              tmp_path: Path) -> None:
    """/label?item=ID of a text with gold entities said "Entities in this text so far:
    none" with "[]" in its form, so that pressing Save wiped them. It now lists them and
    saving keeps them; a text ingested again with other words since says how many it
    had, to mark again."""
    from fastapi.testclient import TestClient

    from glamlab.review import save_label
    from glamlab.tasks.spans import gold_spans
    from glamlab.web import create_app

    ws = entities_ws
    text = ws.item("unread0").text or ""
    first = re.search(r"\w+", text)
    second = re.search(r"\w+", text[first.end():])  # type: ignore[union-attr]
    assert first and second
    marked = [{"start": first.start(), "end": first.end(), "label": "LOC"},
              {"start": first.end() + second.start(), "end": first.end() + second.end(),
               "label": "PER"}]
    save_label(ws, "rey", "unread0", [json.dumps(marked)], split="train")
    before = [(s.start, s.end, s.label) for s in gold_spans(ws, ["unread0"])["unread0"]]
    assert before == [(m["start"], m["end"], m["label"]) for m in marked]
    with TestClient(create_app(ws)) as c:
        assert login(c, "rey").status_code == 303
        page = c.get("/label?item=unread0").text
        shown = re.search(r'<span id="span-list"[^>]*>(.*?)</span></p>', page, re.S)
        assert shown, page
        for m in marked:
            assert f"<b>{html.escape(text[m['start']:m['end']])}</b> ({m['label']})" \
                in shown.group(1)
        area = re.search(r'<textarea id="spans-json" name="label"[^>]*>(.*?)</textarea>',
                         page, re.S)
        assert area and json.loads(html.unescape(area.group(1))) == marked
        # saving the form as it is keeps the entities
        r = c.post("/label", data={"csrf": csrf_of(c), "item_id": "unread0",
                                   "split": "train", "label": html.unescape(area.group(1))},
                   follow_redirects=False)
        assert r.status_code == 303, r.text
    after = [(s.start, s.end, s.label) for s in gold_spans(ws, ["unread0"])["unread0"]]
    assert after == before
    # the text comes again with other words: its entities are not offered as they were
    path = tmp_path / "unread" / "unread0.txt"
    path.write_text("Autre " + path.read_text(encoding="utf-8"), encoding="utf-8")
    assert ws.ingest([tmp_path / "unread"]).updated == 1
    with TestClient(create_app(ws)) as c:
        assert login(c, "rey").status_code == 303
        page = c.get("/label?item=unread0").text
    note = re.search(r'<p class="problem gold-changed" id="had-changed">(.*?)</p>', page, re.S)
    assert note and "This text had 2 entities" in note.group(1), page
    assert "mark its entities again here" in note.group(1)
    assert '<textarea id="spans-json" name="label" rows="4" cols="60">[]</textarea>' in page


def _removes(page: str) -> dict[str, str]:
    """The card's "Remove" buttons: the words they take back -> the decision posted."""
    return {html.unescape(m.group(2)): m.group(1) for m in re.finditer(
        r'name="remove_span" value="(\d+)"[^>]*aria-label="Remove ([^"]*), the entity', page)}


def test_a_reviewer_takes_back_an_entity_they_added(entities_ws: Any, tmp_path: Path) -> None:
    """An entity added with the wrong type is taken back from the queue card ("Remove"
    next to it, or "Undo: remove it" right after adding): it leaves the text's gold
    spans, the training data and the export; the text's other spans (its other added
    entity, a nested one) stay as they were, the decision stays in the history, the
    audit log says who took it back. Refused, nothing changed: a viewer, a post without
    the form's CSRF token, another reviewer, a second removal."""
    import csv

    from fastapi.testclient import TestClient

    from glamlab.auth import add_user
    from glamlab.tasks.spans import gold_spans, span_data
    from glamlab.web import create_app

    ws = entities_ws
    add_user(ws, "vic", PASSWORD, "viewer")
    add_user(ws, "finn", PASSWORD, "reviewer")
    _text, rows = _fresh_text(ws, tmp_path)
    row = rows[0]
    rid = str(row["id"])

    def all_gold() -> list[tuple[int, int, str, str]]:
        return sorted((s.start, s.end, s.label, s.layer)
                      for s in gold_spans(ws, ["fresh"], layer=None)["fresh"])

    with TestClient(create_app(ws)) as c:
        assert login(c, "rey").status_code == 303

        def add(start: int, end: int, label: str) -> Any:
            return c.post("/queue/add-span", data={
                "csrf": csrf_of(c), "add_span": rid, f"add_item_{rid}": "fresh",
                f"add_start_{rid}": str(start), f"add_end_{rid}": str(end),
                f"add_label_{rid}": label}, follow_redirects=False)

        assert add(9, 15, "PROD").status_code == 303  # "lettre", right
        r = c.post("/api/texts/fresh/spans", headers={"X-CSRF-Token": csrf_of(c)},
                   json={"start": 0, "end": 8, "label": "LOC", "layer": "nested"})
        assert r.status_code == 200, r.text
        r = add(0, 8, "PER")  # "Nouvelle": the wrong type
        assert r.status_code == 303
        page = c.get(r.headers["location"]).text
        assert "Entity added to fresh" in page and "Undo: remove it" in page
        undo = re.search(r'name="remove_span" value="(\d+)"><input type="hidden" name="sort"',
                         page)
        assert undo is not None
        removes = _removes(page)
        # the nested one is listed too, with its layer, taken back on its own
        assert removes.keys() == {"Nouvelle (PER)", "Nouvelle (LOC, nested)", "lettre (PROD)"}
        assert removes["Nouvelle (PER)"] == undo.group(1)
        before = all_gold()
        assert before == [(0, 8, "LOC", "nested"), (0, 8, "PER", "entity"),
                          (9, 15, "PROD", "entity")]
        wrong = int(removes["Nouvelle (PER)"])
        # refused, nothing changed: no CSRF token
        r = c.post("/queue/remove-span", data={"remove_span": str(wrong)},
                   follow_redirects=False)
        assert r.status_code == 403 and all_gold() == before

    with TestClient(create_app(ws)) as c:  # a viewer: no button, and a post is refused
        assert login(c, "vic").status_code == 303
        assert 'name="remove_span"' not in c.get("/queue?limit=300").text
        r = c.post("/queue/remove-span", data={"csrf": csrf_of(c), "remove_span": str(wrong)},
                   follow_redirects=False)
        assert r.status_code == 403 and all_gold() == before

    with TestClient(create_app(ws)) as c:  # another reviewer: no button, refused
        assert login(c, "finn").status_code == 303
        assert 'name="remove_span"' not in c.get("/queue?limit=300").text
        r = c.post("/queue/remove-span", data={"csrf": csrf_of(c), "remove_span": str(wrong)},
                   follow_redirects=False)
        assert r.status_code == 422
        assert ("The entity was not removed: fresh: the entity &#39;Nouvelle&#39; (PER, 0-8) "
                "was added by rey, not by finn") in r.text
        assert all_gold() == before

    with TestClient(create_app(ws)) as c:
        assert login(c, "rey").status_code == 303
        r = c.post("/queue/remove-span", data={"csrf": csrf_of(c), "remove_span": str(wrong)},
                   follow_redirects=False)
        assert r.status_code == 303 and "done=removed" in r.headers["location"], r.text
        page = c.get(r.headers["location"]).text
        assert "Entity removed from fresh" in page
        assert _removes(page).keys() == {"Nouvelle (LOC, nested)", "lettre (PROD)"}
        assert all_gold() == [(0, 8, "LOC", "nested"), (9, 15, "PROD", "entity")]
        again = c.post("/queue/remove-span",
                       data={"csrf": csrf_of(c), "remove_span": str(wrong)},
                       follow_redirects=False)
        assert again.status_code == 422 and "was already removed" in again.text
        assert "added, then removed, PER" in c.get("/items/fresh").text
        r = c.put("/api/texts/fresh/checked", headers={"X-CSRF-Token": csrf_of(c)})
        assert r.status_code == 200
        got = c.get("/stages/export/download?format=csv&all_layers=1")
        assert got.status_code == 200
    train = span_data(ws, "train")
    spans = train.spans[[i.item_id for i in train.items].index("fresh")]
    assert (9, 15, "PROD") in {(s.start, s.end, s.label) for s in spans}
    assert not any(s.start < 8 for s in spans)
    exported = [r for r in csv.DictReader(got.content.decode("utf-8-sig").splitlines())
                if r["item_id"] == "fresh" and int(r["start"]) < 26]
    # every layer: the nested LOC stays, on its layer; the removed PER is gone
    assert {(int(r["start"]), int(r["end"]), r["type"], r["layer"]) for r in exported} == {
        (0, 8, "LOC", "nested"), (9, 15, "PROD", "entity")}
    log = ws.store.t.audit_log
    with ws.store.read() as conn:
        undone = conn.execute(sa.select(log.c.actor, log.c.details).where(
            log.c.action == "spans.add.undo", log.c.object == "fresh")).all()
    assert [(u, d["decision_id"], d["label"]) for u, d in undone] == [("rey", wrong, "PER")]


def test_taking_back_an_entity_keeps_a_checked_text_checked(entities_ws: Any,
                                                           tmp_path: Path) -> None:
    """An entity removed from a text marked checked: the text still trains, without it;
    an addition that also decided the model's span over its words is not taken back
    (that decision would stay), with the reason, nothing changed."""
    from glamlab import review
    from glamlab.errors import LabelError
    from glamlab.tasks.spans import gold_spans, span_data
    from glamlab.tasks.splits import training_data

    ws = entities_ws
    _text, rows = _fresh_text(ws, tmp_path)
    added = review.add_span(ws, "rey", "fresh", 0, 8, "PER")
    review.mark_text_done(ws, "rey", "fresh")
    v = rows[0]["value"]
    over = review.add_span(ws, "rey", "fresh", v["start"], v["end"], rows[0]["label"])
    assert [r["queue_id"] for r in over["settled"]] == [rows[0]["id"]]
    before = gold_spans(ws, ["fresh"], layer=None)["fresh"]
    assert (0, 8, "PER") in {(s.start, s.end, s.label) for s in before}
    with pytest.raises(LabelError, match="also decided the model's span over the same words"):
        review.remove_added_span(ws, "rey", over["decision_id"])
    assert gold_spans(ws, ["fresh"], layer=None)["fresh"] == before
    review.remove_added_span(ws, "rey", added["decision_id"])
    after = gold_spans(ws, ["fresh"], layer=None)["fresh"]
    assert [(s.start, s.end, s.label) for s in after] == [
        (s.start, s.end, s.label) for s in before if s.start != 0]
    data = training_data(ws)
    assert "fresh" in data.ids and "fresh" not in data.waiting
    train = span_data(ws, "train")
    assert not any(s.start == 0 for s in train.spans[[i.item_id for i in train.items]
                                                     .index("fresh")])


@pytest.mark.browser
def test_a_reviewer_removes_an_added_entity_with_the_keys_in_a_real_browser(
        entities_ws: Any, tmp_path: Path) -> None:
    """In Chromium: an entity added with the keys, its "Remove" button on the card
    reached with Shift+Tab and pressed with Enter: it is no longer saved, the other added
    entity is. No script error, nothing the Content-Security-Policy blocks."""
    from glamlab.tasks.spans import gold_spans

    ws = entities_ws
    _text, _rows = _fresh_text(ws, tmp_path)  # "Nouvelle lettre du comité. ..."
    labels = ws.card.labels
    with _queue_in_chromium(ws, csp=True) as (sync_api, page, errors):
        card = page.locator("[data-add-text]").first
        rid = card.get_attribute("data-for")
        _drag(page, rid, 9, 14)  # "lettre"
        _add_as(sync_api, page, rid, "PROD")
        item = page.locator(f'[data-add-text][data-for="{rid}"]').locator(
            "xpath=ancestor::li[contains(@class,'qitem')]")
        item.focus()
        page.keyboard.press("e")
        page.keyboard.press("ArrowRight")  # "Nouvelle"
        page.keyboard.press(str(labels.index("PER") + 1))
        _added(sync_api, page, lambda: page.keyboard.press("Enter"))
        page.reload()
        remove = item.locator('button[name="remove_span"]', has_text="Remove")
        sync_api.expect(remove).to_have_count(2)
        # Shift+Tab from the next button (the other added entity's) to it, then Enter
        item.get_by_role("button", name="Remove lettre (PROD)").focus()
        page.keyboard.press("Shift+Tab")
        assert page.evaluate("document.activeElement.getAttribute('aria-label')").startswith(
            "Remove Nouvelle (PER)")
        page.keyboard.press("Enter")
        sync_api.expect(page.locator("#queue-status")).to_contain_text("Entity removed")
        sync_api.expect(page.locator(f'[data-add-text][data-for="{rid}"] mark.saved')
                        ).to_have_text(["lettre"])
        assert not errors, errors
    assert [(s.start, s.end, s.label) for s in gold_spans(ws, ["fresh"])["fresh"]] == [
        (9, 15, "PROD")]


def test_a_reviewer_adds_a_nested_entity_on_the_card(entities_ws: Any, tmp_path: Path) -> None:
    """The card's "Add an entity the model missed" offers the layers the project's spans
    have (the main one first): a nested entity inside a saved one is added from the
    card with its layer, stored and listed with it; a refusal keeps the layer chosen.
    Where the spans have the main layer only, no layer is offered."""
    from fastapi.testclient import TestClient

    from glamlab.store import now
    from glamlab.tasks.spans import Span, gold_spans
    from glamlab.tasks.spans.complete import layers_in_use
    from glamlab.tasks.spans.gold import record_spans
    from glamlab.web import create_app

    ws = entities_ws
    _text, rows = _fresh_text(ws, tmp_path, head="Comité de Genève. ")
    rid = str(rows[0]["id"])
    with ws.store.read() as conn:
        only_main = layers_in_use(ws, conn) == ["entity"]
    with TestClient(create_app(ws)) as c:
        assert login(c, "rey").status_code == 303
        page = c.get("/queue?limit=50").text
        if only_main:  # the sample's gold has no nested span: no layer to choose
            assert f'name="add_layer_{rid}"' not in page
            other = next(i for i in ws.items(limit=5) if i.item_id != "fresh" and i.text)
            with ws.store.write() as conn:
                record_spans(conn, ws, other.item_id, other.text or "",
                             [Span(0, 1, "ORG", layer="nested")], annotator="import",
                             source="nested.jsonl", stamp=now())
            page = c.get("/queue?limit=50").text
        options = re.search(rf'<select id="add_layer_{rid}" name="add_layer_{rid}"[^>]*>(.*?)'
                            r"</select>", page)
        assert options is not None, "no layer offered"
        assert re.findall(r'<option value="([^"]*)"', options.group(1))[:1] == [""]
        assert 'value="nested"' in options.group(1)

        def add(start: int, end: int, label: str, layer: str) -> Any:
            return c.post("/queue/add-span", data={
                "csrf": csrf_of(c), "add_span": rid, f"add_item_{rid}": "fresh",
                f"add_start_{rid}": str(start), f"add_end_{rid}": str(end),
                f"add_label_{rid}": label, f"add_layer_{rid}": layer},
                follow_redirects=False)

        assert add(0, 16, "ORG", "").status_code == 303  # "Comité de Genève", main
        r = add(10, 16, "LOC", "nested")  # "Genève", inside it
        assert r.status_code == 303, r.text
        page = c.get(r.headers["location"]).text
        assert "<b>Genève</b> (LOC, nested)" in page
        bad = add(12, 16, "PER", "nested")  # over the nested one: refused, layer kept
        assert bad.status_code == 422
        assert "overlaps" in bad.text
        assert re.search(rf'name="add_layer_{rid}"[^>]*>.*?<option value="nested" selected',
                         bad.text, re.S)
    got = {(s.start, s.end, s.label, s.layer)
           for s in gold_spans(ws, ["fresh"], layer=None)["fresh"]}
    assert got == {(0, 16, "ORG", "entity"), (10, 16, "LOC", "nested")}


@pytest.mark.browser
def test_each_card_shows_its_own_span_in_view_on_a_long_text_in_a_real_browser(
        entities_ws: Any, tmp_path: Path) -> None:
    """In Chromium, on a long text whose first spans the policy accepted (highlighted
    before the spans still asked about, far below them): each card's text box is
    scrolled so that the span under review is in its visible area, not to the first
    highlight of the text (every card the same place); a card reached with the keyboard
    brings its span back into view after the text was scrolled away."""
    from glamlab.actions import act
    from glamlab.inference.runner import run
    from glamlab.store import now
    from glamlab.tasks.kinds import task_kind
    from glamlab.tasks.spans import gold_spans
    from glamlab.tasks.spans.complete import _current_candidates
    from glamlab.tasks.splits import split_of

    ws = entities_ws
    gold = gold_spans(ws)
    source = next(i for i, s in sorted(split_of(ws).items())
                  if s == "train" and len(gold[i]) >= 3)
    words = ws.item(source).text or ""
    filler = "".join(f"Zeile {n} ohne Namen.\n" for n in range(120))
    text = words + "\n" + filler + words
    folder = tmp_path / "long"
    folder.mkdir()
    (folder / "long.txt").write_bytes(text.encode("utf-8"))
    assert ws.ingest([folder]).added == 1
    run(ws, "gazetteer@1", workers=0, handle_signals=False)
    act(ws, model="gazetteer@1")
    kind = task_kind(ws.card)
    t = ws.store.t
    with ws.store.write() as conn:
        # the spans of the text's first copy accepted by the policy (written as machine
        # metadata, as act does), the others' rows decided: the page asks the second copy's
        conn.execute(t.review_queue.update().where(t.review_queue.c.item_id != "long")
                     .values(status="decided"))
        pid, candidates = _current_candidates(ws, conn, ["long"])["long"]
        first = [c for c in candidates if c.value["end"] <= len(words)]
        assert first
        conn.execute(t.machine_metadata.insert(), [
            {"item_id": "long", "field": "entities", "value": kind.metadata_value(c),
             "model": "gazetteer", "model_version": 1, "prediction_id": pid,
             "created_at": now()} for c in first])
        for r in conn.execute(sa.select(t.review_queue.c.id, t.review_queue.c.value).where(
                t.review_queue.c.item_id == "long")).all():
            if isinstance(r.value, dict) and r.value.get("end", 0) <= len(words):
                conn.execute(t.review_queue.update().where(t.review_queue.c.id == r.id)
                             .values(status="decided"))
    in_view = """el => {
        const m = el.querySelector('mark:not(.saved):not(.accepted)');
        const b = el.getBoundingClientRect(), a = m.getBoundingClientRect();
        return [el.scrollHeight > el.clientHeight * 2, a.top >= b.top && a.top + 4 < b.bottom,
                el.querySelectorAll('mark.accepted').length]; }"""
    with _queue_in_chromium(ws) as (sync_api, page, errors):
        cards = page.locator("[data-add-text]")
        assert cards.count() >= 2
        for n in range(cards.count()):
            long_box, seen, accepted = cards.nth(n).evaluate(in_view)
            assert long_box and accepted, "the text is not long, or shows no accepted span"
            assert seen, f"card {n}: the span under review is out of its text box's view"
        # scrolled away, then the row reached with the keyboard: its span in view again
        cards.nth(1).evaluate("el => { el.scrollTop = 0; }")
        assert not cards.nth(1).evaluate(in_view)[1]
        page.locator(".qitem").first.focus()
        page.keyboard.press("j")
        assert cards.nth(1).evaluate(in_view)[1]
        assert not errors, errors


def test_the_predicted_type_comes_from_the_queue_row(entities_ws: Any) -> None:
    """Whether "Save type and boundaries" is an accept is told by the queue row's type
    as the server has it, never by a posted ``predicted_ID`` (a stale or forged page):
    another type, the page saying the model predicted it, is saved as the reviewer's
    correction (before: accepted, the model's type saved); the model's own type, the page
    saying it predicted another, is an accept."""
    from fastapi.testclient import TestClient

    from glamlab import review
    from glamlab.tasks.spans import gold_spans
    from glamlab.tasks.splits import split_of
    from glamlab.web import create_app

    ws = entities_ws
    with TestClient(create_app(ws)) as c:
        assert login(c, "rey").status_code == 303
        splits = split_of(ws)
        rows = [r for r in c.get("/api/queue?limit=200").json()
                if splits.get(r["item_id"]) != "test"]
        a = rows[0]
        b = next(r for r in rows if r["item_id"] != a["item_id"])
        done = {}
        for row, label, forged in ((a, "ORG" if a["label"] != "ORG" else "LOC", None),
                                   (b, b["label"], "ORG" if b["label"] != "ORG" else "LOC")):
            v = row["value"]
            r = c.post("/queue/decide", data={
                "csrf": csrf_of(c), "one": f"{row['id']}:{row['version']}:correct",
                f"label_{row['id']}": label, f"predicted_{row['id']}": forged or label,
                f"value_{row['id']}": json.dumps({"start": v["start"], "end": v["end"]})},
                follow_redirects=False)
            assert r.status_code == 303, r.text
            done[row["id"]] = label
    for row, action in ((a, "correct"), (b, "accept")):
        v = row["value"]
        got = {d["queue_id"]: d for d in review.list_decisions(ws, item_id=row["item_id"])}
        assert got[row["id"]]["action"] == action, got[row["id"]]
        gold = gold_spans(ws, [row["item_id"]])[row["item_id"]]
        assert (v["start"], v["end"], done[row["id"]]) in {(s.start, s.end, s.label)
                                                           for s in gold}
