"""Reviewing a text ingested again with other words (new OCR) after a person marked its
entities: a decision on one of its spans, an entity added and "whole text checked" build
on the spans of that gold still on the same words of the new text (carried over, at
their new offsets), drop the others (kept in the history), say how many of each, and the
text then trains and is no longer named as changed. They used to fail: the decision
built on the old gold set and was refused (``span 0-8 PROD says 'Nouvelle' but the text
there reads 'Nouvele '``), and a span over the same words as the person's, moved by the
new text, was refused as replacing it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.ner_project import gold_and_new_texts


@pytest.fixture
def reingested(make_ws: Any, tmp_path: Path) -> Any:
    """``new0``: a person saved two entities on it ("Nouvelle", and the first entity the
    gazetteer finds further on), then it was ingested again with "Nouvele" (one letter
    fewer), run and acted on again. Returns the workspace, the person's span further on
    (its words, type and new offsets) and the text's queued rows."""
    from glamlab.actions import act
    from glamlab.inference.runner import run
    from glamlab.review import lease_queue, save_label
    from glamlab.tasks.spans.gold import _active_sets

    ws, _ = gold_and_new_texts(make_ws, tmp_path, 1)
    act(ws, model="gazetteer@1")
    rows = [r for r in lease_queue(ws, "ana", limit=500) if r["item_id"] == "new0"]
    later = next(r for r in rows if r["value"]["start"] > 20)
    b, e = later["value"]["start"], later["value"]["end"]
    save_label(ws, "rey", "new0", [json.dumps([
        {"start": 0, "end": 8, "label": "PROD"},
        {"start": b, "end": e, "label": later["label"]}])], split="train")
    path = tmp_path / "new" / "new0.txt"
    old = path.read_text(encoding="utf-8")
    path.write_text(old.replace("Nouvelle", "Nouvele", 1), encoding="utf-8")
    assert ws.ingest([tmp_path / "new"]).updated == 1
    run(ws, "gazetteer@1", workers=0, handle_signals=False)
    act(ws, model="gazetteer@1")
    with ws.store.read() as conn:
        assert _active_sets(conn, ws, ["new0"])["new0"].source == "web"
    from glamlab.tasks.spans.complete import changed_gold_texts

    assert changed_gold_texts(ws) == ["new0"]
    queued = [r for r in lease_queue(ws, "ana", limit=500) if r["item_id"] == "new0"]
    words = old[b:e]
    assert ws.item("new0").text[b - 1:e - 1] == words
    try:
        yield ws, {"start": b - 1, "end": e - 1, "label": later["label"], "text": words}, queued
    finally:
        ws.close()


def _gold(ws: Any) -> list[tuple[int, int, str, str | None]]:
    from glamlab.tasks.spans import gold_spans

    return [(s.start, s.end, s.label, s.text) for s in gold_spans(ws, ["new0"])["new0"]]


def _history_kept(ws: Any) -> None:
    """The person's (first) set, made on the earlier text, is still there, its two spans too."""
    sets, spans = ws.store.t.span_sets, ws.store.t.spans
    with ws.store.read() as conn:
        old = conn.execute(sa.select(sets.c.id).where(
            sets.c.item_id == "new0", sets.c.annotator == "rey").order_by(sets.c.id)).scalar()
        n = conn.execute(sa.select(sa.func.count()).select_from(spans).where(
            spans.c.set_id == old)).scalar()
    assert n == 2


def _reviewed(ws: Any, person: dict[str, Any], queued: list[dict[str, Any]],
              decide: Any, add: Any, check: Any) -> None:
    """Decide the queued span that is the person's very span, and another one; add
    "Nouvele"; mark the text checked: each answer says what was carried over; the text
    trains and is no longer named as changed."""
    from glamlab.tasks.spans.complete import changed_gold_texts
    from glamlab.tasks.splits import training_data

    same = next(r for r in queued if (r["value"]["start"], r["value"]["end"], r["label"])
                == (person["start"], person["end"], person["label"]))
    # the model's span over the person's words, moved with them: accepting it replaces
    # nothing (it used to be refused, the person's span read at its old offsets)
    got = decide(same)
    assert got["ok"] and got["earlier_gold"] == {"carried_over": 1, "dropped": 1}, got
    assert _gold(ws) == [(person["start"], person["end"], person["label"], person["text"])]
    assert changed_gold_texts(ws) == []
    other = next(r for r in queued if r["id"] != same["id"] and r["value"]["start"] > 7
                 and not (r["value"]["start"] < person["end"]
                          and person["start"] < r["value"]["end"]))
    got = decide(other)
    assert got["ok"] and got["earlier_gold"] is None, got
    assert len(_gold(ws)) == 2
    added = add(0, 7, "PROD")
    assert added["text"] == "Nouvele" and added["earlier_gold"] is None, added
    assert (0, 7, "PROD", "Nouvele") in _gold(ws)
    done = check()
    assert done["spans"] >= 3 and done.get("earlier_gold") is None, done
    assert "new0" in training_data(ws).ids
    assert changed_gold_texts(ws) == []
    _history_kept(ws)


def test_a_reingested_text_is_reviewed_in_python(reingested: Any) -> None:
    from glamlab.review import add_span, decide, mark_text_done

    ws, person, queued = reingested
    _reviewed(ws, person, queued,
              lambda r: decide(ws, "ana", r["id"], "accept", r["version"]),
              lambda b, e, label: add_span(ws, "ana", "new0", b, e, label),
              lambda: mark_text_done(ws, "ana", "new0"))


def test_a_reingested_text_is_reviewed_through_the_api(reingested: Any) -> None:
    from fastapi.testclient import TestClient

    from glamlab.auth import add_user
    from glamlab.web import create_app
    from tests.web.conftest import PASSWORD, csrf_of, login

    ws, person, queued = reingested
    add_user(ws, "ana", PASSWORD, "reviewer")
    with TestClient(create_app(ws)) as c:
        assert login(c, "ana").status_code == 303
        c.get("/")
        headers = {"X-CSRF-Token": csrf_of(c)}

        def decide(r: dict[str, Any]) -> dict[str, Any]:
            got = c.post("/api/decisions", headers=headers, json={
                "queue_id": r["id"], "action": "accept", "seen_version": r["version"]})
            assert got.status_code == 200, got.text
            return dict(got.json())

        def add(b: int, e: int, label: str) -> dict[str, Any]:
            got = c.post("/api/texts/new0/spans", headers=headers,
                         json={"start": b, "end": e, "label": label})
            assert got.status_code == 200, got.text
            return dict(got.json())

        def check() -> dict[str, Any]:
            got = c.put("/api/texts/new0/checked", headers=headers)
            assert got.status_code == 200, got.text
            return dict(got.json())

        _reviewed(ws, person, queued, decide, add, check)


def test_whole_text_checked_first_carries_the_fitting_spans_over(reingested: Any) -> None:
    """Marked checked straight away: the person's span still on its words is kept (at
    its new offsets), "Nouvelle" (no longer in the text) dropped, and the answer says so."""
    from glamlab.review import mark_text_done
    from glamlab.tasks.spans.complete import changed_gold_texts
    from glamlab.tasks.splits import training_data

    ws, person, _ = reingested
    done = mark_text_done(ws, "ana", "new0")
    assert done["earlier_gold"] == {"carried_over": 1, "dropped": 1}, done
    assert (person["start"], person["end"], person["label"], person["text"]) in _gold(ws)
    assert not any(t == "Nouvelle" for *_, t in _gold(ws))
    assert "new0" in training_data(ws).ids and changed_gold_texts(ws) == []
    _history_kept(ws)


def test_carry_over_keeps_spans_on_the_same_words_only() -> None:
    from glamlab.tasks.spans.gold import ALIGN_MAX_CHARS, carry_over
    from glamlab.tasks.spans.model import Span

    old = "Nouvelle lettre de Paris à Lyon."
    spans = [Span(0, 8, "PROD", text="Nouvelle"), Span(19, 24, "LOC", text="Paris"),
             Span(27, 31, "LOC", text="Lyon")]
    assert [old[s.start:s.end] for s in spans] == ["Nouvelle", "Paris", "Lyon"]
    # the same length: offsets unchanged, the changed word dropped
    same_len = "Nouvclle lettre de Paris à Lyon."
    assert [(s.start, s.end, s.text) for s in carry_over(spans, old, same_len)] == [
        (19, 24, "Paris"), (27, 31, "Lyon")]
    # a letter fewer before them: re-anchored by the alignment
    shorter = "Nouvele lettre de Paris à Lyon."
    assert [(s.start, s.end, s.text) for s in carry_over(spans, old, shorter)] == [
        (18, 23, "Paris"), (26, 30, "Lyon")]
    # without the earlier text, only what is still at the same offsets
    assert carry_over(spans, None, shorter) == []
    assert [s.text for s in carry_over(spans, None, same_len)] == ["Paris", "Lyon"]
    # a word changed: dropped, never moved to other words
    assert [s.text for s in carry_over(spans, old, "Nouvele lettre de Pâris à Lyon.")] == [
        "Lyon"]
    # the same words far away (a paragraph moved) are not "nearby"
    far = "x" * 200 + " Paris"
    assert carry_over([Span(0, 5, "LOC", text="Paris")], "Paris" + "x" * 200, far) == []
    # too long to align: the same offsets only
    big = "y" * ALIGN_MAX_CHARS
    assert carry_over([Span(1 + len(big), 6 + len(big), "LOC", text="Paris")],
                      "a" + big + "Paris", big + "Paris") == []


def test_the_review_page_says_what_was_kept_of_the_earlier_entities(reingested: Any) -> None:
    """The review card of the text shows the person's entity where its words are now, and
    says it can be reviewed here; the page after a decision says how many entities of the
    earlier text were kept and how many left out."""
    import re
    from html import unescape

    from fastapi.testclient import TestClient

    from glamlab.auth import add_user
    from glamlab.web import create_app
    from tests.web.conftest import PASSWORD, csrf_of, login

    ws, person, queued = reingested
    add_user(ws, "ana", PASSWORD, "reviewer")
    with TestClient(create_app(ws)) as c:
        assert login(c, "ana").status_code == 303
        page = c.get("/queue?limit=300").text
        card = re.search(r'<p class="problem gold-changed">(.*?)</p>', page, re.S)
        assert card and "press Whole text checked" in card.group(1), page
        assert f"Saved for this text so far: <b>{person['text']}</b> ({person['label']})" \
            in page
        other = next(r for r in queued if not (r["value"]["start"] < person["end"]
                                               and person["start"] < r["value"]["end"]))
        r = c.post("/queue/decide", data={"csrf": csrf_of(c), "one": f"{other['id']}:"
                                          f"{other['version']}:reject"},
                   follow_redirects=True)
        assert r.status_code == 200
        assert "earlier-gold" not in r.text  # a rejection writes no gold
        same = next(q for q in queued if (q["value"]["start"], q["value"]["end"])
                    == (person["start"], person["end"]))
        r = c.post("/queue/decide", data={"csrf": csrf_of(c), "one": f"{same['id']}:"
                                          f"{same['version']}:accept"},
                   follow_redirects=True)
        assert r.status_code == 200
        said = re.search(r'<span id="earlier-gold">(.*?)</span>', r.text, re.S)
        assert said, r.text
        words = " ".join(unescape(said.group(1)).split())
        assert ("1 of those entities still cover the same words and was kept; 1 no longer "
                "does and was left out (kept in the history)") in words, words


def _shown(ws: Any) -> int:
    """How many of ``new0``'s predicted spans the review queue shows (not settled)."""
    from glamlab.store.queue import shown

    rq = ws.store.t.review_queue
    with ws.store.read() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(rq).where(
            *shown(rq, "prediction"), rq.c.item_id == "new0")).scalar() or 0)


def test_a_mark_taken_back_on_a_reingested_text_brings_no_old_gold_back(
        reingested: Any) -> None:
    """The person who saved the text's entities on its earlier words marks the new text
    checked, then takes the mark back (in Python, then on the queue page): their set made
    on the earlier words is the text's gold again, as it was before the mark, and, as
    then, it neither trains, settles the model's spans nor scores, and the page says so. It used to count as made on the new text (any span set made
    on the new text, here the mark taken back, made every set of the item "fit"): the
    text trained with the old offsets and every span of it left the queue, settled."""
    from html import unescape

    from fastapi.testclient import TestClient

    from glamlab.auth import add_user
    from glamlab.review import mark_text_done, queue_counts, unmark_text_done
    from glamlab.tasks.spans.complete import changed_gold_texts
    from glamlab.tasks.splits import training_data
    from glamlab.web import create_app
    from tests.web.conftest import PASSWORD, csrf_of, login

    ws, person, queued = reingested
    before = _gold(ws)
    settled = queue_counts(ws)["settled_by_gold"]
    assert _shown(ws) == len(queued)
    done = mark_text_done(ws, "rey", "new0")
    assert done["earlier_gold"] == {"carried_over": 1, "dropped": 1}, done
    assert "new0" in training_data(ws).ids and _shown(ws) == 0
    undone = unmark_text_done(ws, "rey", "new0")
    assert undone["waits"] and undone["changed"], undone
    assert undone["gold_spans"] == 1, undone  # what still fits the text: the person's span
    # the queue page says so after the undo, and what to do
    mark_text_done(ws, "rey", "new0")
    add_user(ws, "rey", PASSWORD, "reviewer")
    with TestClient(create_app(ws)) as c:
        assert login(c, "rey").status_code == 303
        page = c.post("/queue/text-undone", data={"csrf": csrf_of(c), "text_done": "new0"},
                      follow_redirects=True)
        assert page.status_code == 200, page.text
        words = " ".join(unescape(page.text).split())
        assert ("Mark taken back: the entities the text had before it were marked on its "
                "earlier words") in words, words
        assert "waits until its entities are marked again for its new words" in words
    # the gold as before the mark: the person's set on the earlier words, kept
    assert _gold(ws) == before
    _history_kept(ws)
    # ... and, as before the mark, it does not count for the text it has now
    assert changed_gold_texts(ws) == ["new0"]
    data = training_data(ws)
    assert "new0" not in data.ids and data.changed == ["new0"]
    assert _shown(ws) == len(queued)
    assert queue_counts(ws)["settled_by_gold"] == settled
    # the person labels the new text again: it trains
    mark_text_done(ws, "rey", "new0")
    assert "new0" in training_data(ws).ids and changed_gold_texts(ws) == []
    assert (person["start"], person["end"], person["label"], person["text"]) in _gold(ws)


def test_a_mark_taken_back_keeps_the_spans_decided_on_the_new_text(reingested: Any) -> None:
    """Spans a reviewer decided on the new text before marking it checked are its gold
    again once the mark is taken back (on the new words, not the earlier set's), through
    the API too: the text waits for its other spans, and is not named as changed."""
    from fastapi.testclient import TestClient

    from glamlab.auth import add_user
    from glamlab.review import decide
    from glamlab.tasks.spans.complete import changed_gold_texts
    from glamlab.tasks.splits import training_data
    from glamlab.web import create_app
    from tests.web.conftest import PASSWORD, csrf_of, login

    ws, person, queued = reingested
    same = next(r for r in queued if (r["value"]["start"], r["value"]["end"], r["label"])
                == (person["start"], person["end"], person["label"]))
    assert decide(ws, "ana", same["id"], "accept", same["version"])["ok"]
    decided = _gold(ws)
    assert decided == [(person["start"], person["end"], person["label"], person["text"])]
    add_user(ws, "ana", PASSWORD, "reviewer")
    with TestClient(create_app(ws)) as c:
        assert login(c, "ana").status_code == 303
        c.get("/")
        headers = {"X-CSRF-Token": csrf_of(c)}
        assert c.put("/api/texts/new0/checked", headers=headers).status_code == 200
        assert "new0" in training_data(ws).ids
        got = c.delete("/api/texts/new0/checked", headers=headers)
        assert got.status_code == 200, got.text
        assert got.json() == {"item_id": "new0", "checked": False, "spans": 1,
                              "split": None, "waits": True, "earlier_gold": None,
                              "change_id": got.json()["change_id"]}
    assert _gold(ws) == decided and changed_gold_texts(ws) == []
    data = training_data(ws)
    assert "new0" not in data.ids and data.waiting == ["new0"]
    assert _shown(ws) == len(queued) - 1
    _history_kept(ws)


def test_a_span_set_of_the_new_text_does_not_make_the_old_gold_fit(reingested: Any) -> None:
    """Gold fits a text when made on its words: a span set of another kind made on the
    new text (the one ``glamlab link`` writes for a model's linked spans) used to make
    the person's gold on the earlier words fit too, and the text trained and settled."""
    from glamlab.tasks.spans.complete import changed_gold_texts
    from glamlab.tasks.spans.gold import PREDICTION, record_spans
    from glamlab.tasks.splits import training_data

    ws, _, queued = reingested
    with ws.store.write() as conn:
        record_spans(conn, ws, "new0", ws.item("new0").text, [], annotator="linker:test",
                     source="glamlab link", kind=PREDICTION)
    assert changed_gold_texts(ws) == ["new0"]
    assert "new0" in training_data(ws).changed and _shown(ws) == len(queued)
