"""Entities review: a model run after a reviewer's work never replaces the reviewer's
spans (glamlab.tasks.spans.saved, glamlab.review.decisions._keep_people_spans)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from glamlab.web.app import stop_background
from tests.web.conftest import csrf_of, login
from tests.web.test_entities_review import _fresh_text
from tests.web.test_entities_review import entities_ws as entities_ws  # the fixture


def _predict_again(ws: Any, item_id: str, extra: dict[str, Any]) -> dict[str, Any]:
    """The model run again on ``item_id`` finds ``extra`` besides its spans, and it is
    queued: returns its open review row. Over imported gold act queues it; over words
    a person saved act settles it instead (glamlab.tasks.spans.saved.settled_by_person),
    so there the row is queued as an act from before that did (a row that stays open in
    such a workspace: the refusal is what keeps the person's span)."""
    from glamlab.actions import act
    from glamlab.store import now

    p = ws.store.t.predictions
    with ws.store.write() as conn:
        row = conn.execute(p.select().where(p.c.item_id == item_id)).one()
        scores = {**row.scores, "spans": [extra, *row.scores["spans"]]}
        conn.execute(p.update().where(p.c.id == row.id).values(scores=scores))
    act(ws, model="gazetteer@1")
    q = ws.store.t.review_queue  # (a text with complete gold: queued, not shown)

    def found() -> dict[str, Any] | None:
        with ws.store.read() as conn:
            return next((dict(r._mapping) for r in conn.execute(q.select().where(
                q.c.item_id == item_id, q.c.status == "open"))
                if (r.value["start"], r.value["end"], r.label)
                == (extra["start"], extra["end"], extra["label"])), None)

    queued = found()
    if queued is None:
        with ws.store.write() as conn:
            conn.execute(q.insert().values(
                item_id=item_id, prediction_id=row.id, model_id=None, label=extra["label"],
                value={k: extra[k] for k in ("start", "end", "text")}, score=extra["score"],
                reason="threshold", kind="prediction", status="open", version=1,
                created_at=now()))
        queued = found()
    assert queued is not None
    return queued


def test_a_later_prediction_does_not_replace_a_reviewer_s_span(entities_ws: Any,
                                                               tmp_path: Path) -> None:
    """Before, when the model later queued a span over the words of an entity a reviewer
    had saved, the card did not show the reviewer's span (it hid saved spans under the
    predicted one) and accepting the model's span replaced it. Now the card says which
    span is saved there and by whom, and accepting or correcting the model's span over
    it is refused with the reason and the fix (Python, the API, the form and bulk
    accept), nothing stored; rejecting it keeps the reviewer's span. Spans elsewhere are
    accepted as before."""
    from fastapi.testclient import TestClient

    from glamlab import review
    from glamlab.errors import LabelError
    from glamlab.tasks.spans import gold_spans
    from glamlab.web import create_app

    ws = entities_ws
    _text, rows = _fresh_text(ws, tmp_path)
    review.add_span(ws, "rey", "fresh", 0, 15, "ORG")  # "Nouvelle lettre"
    new = _predict_again(ws, "fresh", {"start": 0, "end": 8, "label": "LOC",
                                       "text": "Nouvelle", "score": rows[0]["score"]})

    def gold() -> set[tuple[int, int, str]]:
        return {(s.start, s.end, s.label) for s in gold_spans(ws, ["fresh"])["fresh"]}

    assert gold() == {(0, 15, "ORG")}
    with pytest.raises(LabelError) as refused:
        review.decide(ws, "rob", new["id"], "accept", new["version"])
    assert refused.value.message == (
        "fresh: the model's span 'Nouvelle' (0-8, LOC) overlaps 'Nouvelle lettre' (0-15), "
        "saved as ORG by rey; accepting it would replace rey's entity, so nothing was saved")
    assert "reject the model's span (rey's entity stays)" in str(refused.value.hint)
    with pytest.raises(LabelError, match="saving it would replace rey's entity"):
        review.decide(ws, "rob", new["id"], "correct", new["version"], label="PER",
                      value={"start": 0, "end": 15})
    assert gold() == {(0, 15, "ORG")}
    other = rows[0]  # a span elsewhere in the text
    with TestClient(create_app(ws)) as c:
        assert login(c, "rey").status_code == 303
        page = c.get("/queue?limit=300").text
        assert ("Already saved over these words: <b>Nouvelle lettre</b> (ORG, 0-15), by "
                "rey. Accepting this span would replace rey's entity, so it is refused"
                ) in page
        # the form: back to the queue, which says why
        r = c.post("/queue/decide", data={"csrf": csrf_of(c),
                                          "one": f"{new['id']}:{new['version']}:accept"},
                   follow_redirects=False)
        assert r.status_code == 303 and "kept=1" in r.headers["location"], r.text
        assert "That span was not saved: accepting would replace an entity a person " \
            "saved over the same words" in c.get(r.headers["location"]).text
        # bulk accept: the other span is accepted, this one is not
        r = c.post("/queue/bulk", data={"csrf": csrf_of(c), "sel": [
            f"{new['id']}:{new['version']}", f"{other['id']}:{other['version']}"]},
            follow_redirects=False)
        assert "done=accepted-1" in r.headers["location"]
        assert "kept=1" in r.headers["location"] and "conflicts=1" not in r.headers["location"]
        # the API: one clear error, then the rejection goes through
        headers = {"X-CSRF-Token": csrf_of(c)}
        r = c.post("/api/decisions", headers=headers, json={
            "queue_id": new["id"], "action": "accept", "seen_version": new["version"]})
        assert r.status_code == 422, r.text
        assert "saved as ORG by rey" in r.json()["error"] and r.json()["item"] == "fresh"
        r = c.post("/api/decisions", headers=headers, json={
            "queue_id": new["id"], "action": "reject", "seen_version": new["version"]})
        assert r.status_code == 200, r.text
    vo = other["value"]
    assert gold() == {(0, 15, "ORG"), (vo["start"], vo["end"], other["label"])}


def test_imported_gold_is_still_corrected_by_accepting(entities_ws: Any) -> None:
    """Over imported gold, accepting the model's span replaces the imported span, as
    before (a reviewer correcting the file): only people's spans are kept."""
    from glamlab import review
    from glamlab.tasks.spans import gold_spans
    from glamlab.tasks.splits import split_of

    ws = entities_ws
    gold = gold_spans(ws)
    item_id, g = next((i, spans[0]) for i, s in sorted(split_of(ws).items())
                      if s == "train" and (spans := gold.get(i)))
    label = next(lab for lab in ws.card.labels if lab != g.label)
    new = _predict_again(ws, item_id, {"start": g.start, "end": g.end, "label": label,
                                       "score": 0.5})
    assert review.decide(ws, "rob", new["id"], "accept", new["version"])["ok"]
    spans = {(s.start, s.end, s.label) for s in gold_spans(ws, [item_id])[item_id]}
    assert (g.start, g.end, label) in spans and (g.start, g.end, g.label) not in spans


def test_a_refused_correction_keeps_the_type_and_boundaries_chosen(entities_ws: Any,
                                                                   tmp_path: Path) -> None:
    """A correction refused because its words overlap a person's saved entity came back
    with the card as the model had it: the type and the boundaries the reviewer had
    chosen were lost, to be chosen again after fixing the other entity. Now the queue
    says why, and the card keeps the chosen type and boundaries (and shows their
    words); nothing is stored."""
    import html
    import re

    from fastapi.testclient import TestClient

    from glamlab import review
    from glamlab.tasks.spans import gold_spans
    from glamlab.web import create_app

    ws = entities_ws
    text, rows = _fresh_text(ws, tmp_path)
    review.add_span(ws, "rey", "fresh", 0, 15, "ORG")  # "Nouvelle lettre"
    new = _predict_again(ws, "fresh", {"start": 0, "end": 8, "label": "LOC",
                                       "text": "Nouvelle", "score": rows[0]["score"]})
    q = new["id"]
    with TestClient(create_app(ws)) as c:
        assert login(c, "rey").status_code == 303
        c.get("/queue?limit=300")
        r = c.post("/queue/decide", data={
            "csrf": csrf_of(c), "one": f"{q}:{new['version']}:correct", f"label_{q}": "PER",
            f"value_{q}": '{"start": 0, "end": 8}', f"start_{q}": "0", f"end_{q}": "15"})
        page = r.text
    assert "That span was not saved: accepting would replace an entity a person" in page
    card = re.search(rf'<li class="qitem"[^>]*data-queue-id="{q}".*?</li>', page, re.S)
    assert card, "the refused span's card is not shown again"
    card_html = card.group(0)
    assert re.search(rf'id="end_{q}"[^>]*value="15"', card_html), card_html
    assert re.search(rf'id="start_{q}"[^>]*value="0"', card_html)
    chosen = re.search(rf'<select id="label_{q}".*?</select>', card_html, re.S)
    assert chosen and re.search(r"<option selected>PER</option>", chosen.group(0))
    preview = re.search(r'<output class="span-preview"[^>]*>([^<]*)</output>', card_html)
    assert preview and html.unescape(preview.group(1)) == text[0:15]
    assert r.status_code == 422, r.status_code  # refused, shown again (not redirected)
    assert {(s.start, s.end, s.label) for s in gold_spans(ws, ["fresh"])["fresh"]} \
        == {(0, 15, "ORG")}


def _export_said(c: Any, app: Any) -> int:
    """The number of entity mentions the Export page says the downloads hold (its IIIF
    line: "leaves out N of the M entity mentions"), once worked out."""
    import re

    c.get("/stages/export")
    assert app.state.refresher.wait(120)
    page = c.get("/stages/export").text
    m = re.search(r"leaves out [\d,]+ of the ([\d,]+) entity mentions?", page)
    assert m, "the Export page does not count the mentions"
    return int(m.group(1).replace(",", ""))


def test_the_export_page_counts_again_after_a_text_is_marked_checked(
        entities_ws: Any, tmp_path: Path) -> None:
    """"Whole text checked" settles the text's open spans (they leave the export) without
    a decision row, so the Export page's own check, stored with the key of what it read,
    kept the count from before the mark (one mention more than the CSV download held,
    found walking the entities demo). Now the mark, and its undo, move the key: the page
    counts what the CSV download holds."""
    import csv
    import io

    from fastapi.testclient import TestClient

    from glamlab.web import create_app

    ws = entities_ws
    _text, rows = _fresh_text(ws, tmp_path)
    assert len(rows) >= 2, rows
    # the count is the IIIF line's, offered where a text is a page (OCR with word
    # positions): one other text is, as an ALTO page read without its image
    import sqlalchemy as sa

    items = ws.store.t.items
    with ws.store.write() as conn:
        other = conn.execute(sa.select(items.c.pk).where(
            items.c.is_current.is_(True), items.c.item_id != "fresh").limit(1)).scalar()
        conn.execute(items.update().where(items.c.pk == other).values(source_kind="alto"))
    app = create_app(ws)
    with TestClient(app) as c:
        assert login(c, "rey").status_code == 303

        def downloaded() -> int:
            got = c.get("/stages/export/download?format=csv")
            assert got.status_code == 200
            return len(list(csv.DictReader(io.StringIO(got.content.decode("utf-8-sig")))))

        before = _export_said(c, app)
        assert before == downloaded()
        c.get("/queue?limit=300")
        first = rows[0]
        r = c.post("/queue/decide", data={"csrf": csrf_of(c),
                                          "one": f"{first['id']}:{first['version']}:accept"})
        assert r.status_code == 200
        accepted = downloaded()
        assert _export_said(c, app) == accepted  # a decision moved the key before, too
        r = c.post("/queue/text-done", data={"csrf": csrf_of(c), "text_done": "fresh"})
        assert r.status_code == 200 and "Text marked checked" in r.text
        after = downloaded()
        assert after < accepted  # the open spans of the text left the export
        assert _export_said(c, app) == after
        r = c.post("/queue/text-undone", data={"csrf": csrf_of(c), "text_done": "fresh"})
        assert r.status_code == 200 and "Mark taken back" in r.text
        assert _export_said(c, app) == downloaded()
    stop_background(app)
