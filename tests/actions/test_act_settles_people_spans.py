"""``glamlab act`` settles a predicted span over words a person saved as an entity.

Accepting such a span is refused (it would replace the person's entity:
glamlab.review.decisions._keep_people_spans), yet act still queued it, on a text whose
gold is not complete (a reviewer's decisions and added entities on some of its spans),
costing a reviewer's look at a span they can only reject. Now act settles it "by gold"
(accepted where it is that very span, rejected otherwise), counts it with
``review_settled_by_gold``, withdraws an open row asking about it, the exports say what
the person's span says of it, and the text's completeness counts it as decided."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.ner_project import gold_and_new_texts


def _cli_json(capsys: Any, ws: Any, *args: str) -> dict[str, Any]:
    from glamlab.cli import main

    db = [] if ws.store.is_sqlite else ["--db", ws.store.url]
    with pytest.raises(SystemExit) as exc:
        main(["-w", str(ws.root), *db, *args, "--json"])
        raise SystemExit(0)
    out = capsys.readouterr()
    assert (exc.value.code or 0) == 0, out.err
    return dict(json.loads(out.out))


def _predict_also(ws: Any, item_id: str, extra: list[dict[str, Any]]) -> None:
    """The model's prediction of ``item_id`` finds ``extra`` besides its spans."""
    p = ws.store.t.predictions
    with ws.store.write() as conn:
        row = conn.execute(p.select().where(p.c.item_id == item_id)).one()
        conn.execute(p.update().where(p.c.id == row.id).values(
            scores={**row.scores, "spans": [*extra, *row.scores["spans"]]}))


def _open(ws: Any, item_id: str) -> list[Any]:
    q = ws.store.t.review_queue
    with ws.store.read() as conn:
        return list(conn.execute(q.select().where(q.c.item_id == item_id,
                                                  q.c.status == "open")))


def test_act_settles_spans_over_words_a_person_saved(make_ws: Any, tmp_path: Path,
                                                      capsys: Any) -> None:
    from glamlab.actions import act
    from glamlab.actions.export import iter_rows
    from glamlab.review import add_span, decide, lease_queue, queue_counts
    from glamlab.store import now
    from glamlab.tasks.spans.complete import partial_gold
    from glamlab.tasks.splits import training_data

    ws, _ = gold_and_new_texts(make_ws, tmp_path, 2)
    try:
        act(ws, model="gazetteer@1")
        item = "new0"
        rows = [r for r in lease_queue(ws, "ana", limit=500) if r["item_id"] == item]
        assert len(rows) >= 3
        text = ws.item(item).text
        # a reviewer accepts one span and adds an entity the model missed: the text's
        # gold is the reviewer's decisions, not complete (it waits)
        decide(ws, "ana", rows[0]["id"], "accept", rows[0]["version"])
        add_span(ws, "ana", item, 0, len("Nouvelle"), "PROD")
        with ws.store.read() as conn:
            assert partial_gold(ws, [item], conn) == {item}
        # the model, run again, also finds a span over the added entity's words (another
        # type, other boundaries), and one over the accepted span's words with another
        # type; an open row asked about the second already
        over_added = {"start": 0, "end": len("Nouvelle lettre"), "label": "ORG",
                      "text": text[:len("Nouvelle lettre")], "score": 0.5}
        a = rows[0]["value"]
        over_accepted = {"start": a["start"], "end": a["end"],
                         "label": "TIME" if rows[0]["label"] != "TIME" else "PER",
                         "text": a["text"], "score": 0.5}
        q = ws.store.t.review_queue
        with ws.store.write() as conn:
            conn.execute(q.insert().values(
                item_id=item, prediction_id=rows[1]["prediction_id"], model_id=None,
                label=over_accepted["label"], value={k: over_accepted[k] for k in
                                                     ("start", "end", "text")},
                score=0.5, reason="threshold", kind="prediction", status="open",
                version=1, created_at=now()))
        before = _cli_json(capsys, ws, "act", "--model", "gazetteer@1", "--dry-run")
        _predict_also(ws, item, [over_added, over_accepted])
        shown_before = queue_counts(ws)["open"]
        dry = _cli_json(capsys, ws, "act", "--model", "gazetteer@1", "--dry-run")
        report = _cli_json(capsys, ws, "act", "--model", "gazetteer@1")
        was = {b["label"]: b for b in before["by_label"]}
        for r in (dry, report):
            by = {b["label"]: b for b in r["by_label"]}
            assert r["review_settled_by_gold"] == before["review_settled_by_gold"] + 2
            assert r["review_workload"] == before["review_workload"]
            for label in {"ORG", over_accepted["label"]}:
                assert (by[label]["review_settled_by_gold"]
                        == was.get(label, {}).get("review_settled_by_gold", 0)
                        + (label == "ORG") + (label == over_accepted["label"]))
        # neither is asked: not queued, and the open row about one is withdrawn
        spans = {(r.value["start"], r.value["end"], r.label) for r in _open(ws, item)}
        assert (0, over_added["end"], "ORG") not in spans
        assert (a["start"], a["end"], over_accepted["label"]) not in spans
        assert queue_counts(ws)["open"] == shown_before - 1
        # the exports say what the person's spans say of them: rejected, by ana
        got = {(e.candidate.value["start"], e.candidate.value["end"], e.candidate.label):
               e.row for e in iter_rows(ws) if e.item.item_id == item}
        for key in ((0, over_added["end"], "ORG"),
                    (a["start"], a["end"], over_accepted["label"])):
            row = got[key]
            assert (row["action"], row["decision"], row["confirmed_by"]) == (
                "reject", "gold", "ana"), row
            assert "ana saved an entity over the same words" in row["reason"]
        # the other spans decided: the text is fully reviewed, the settled spans count
        # as decided (nothing left for a person), and it trains
        for r in _open(ws, item):
            decide(ws, "ana", r.id, "reject", r.version)
        with ws.store.read() as conn:
            assert partial_gold(ws, [item], conn) == set()
        assert item in training_data(ws).ids
        sets = ws.store.t.span_sets
        with ws.store.read() as conn:
            latest = conn.execute(sa.select(sets.c.source).where(
                sets.c.item_id == item, sets.c.kind == "gold", sets.c.active.is_(True))
                .order_by(sets.c.id.desc())).first()
        assert latest is not None and latest.source == "review"  # not marked checked
    finally:
        ws.close()


def test_settled_by_person_accepts_the_very_span_and_rejects_others() -> None:
    from glamlab.tasks.spans.model import Span
    from glamlab.tasks.spans.saved import SavedSpan, settled_by_person

    saved = [SavedSpan(Span(10, 20, "PER"), "ana"), SavedSpan(Span(30, 40, "LOC"), None)]
    same = settled_by_person(saved, "PER", {"start": 10, "end": 20})
    assert same is not None and same.holds and "ana saved it" in same.reason()
    other = settled_by_person(saved, "LOC", {"start": 10, "end": 20})
    assert other is not None and not other.holds
    wider = settled_by_person(saved, "PER", {"start": 5, "end": 12})
    assert wider is not None and not wider.holds
    assert settled_by_person(saved, "PER", {"start": 20, "end": 25}) is None  # touching
    assert settled_by_person(saved, "PER", {"start": 32, "end": 35}) is None  # imported
    assert settled_by_person(saved, "PER", {"start": 10, "end": 20, "layer": "nested"}) is None


def test_act_settles_a_new_model_s_spans_over_words_decided_on_a_test_text(
        make_ws: Any, tmp_path: Path) -> None:
    """Before, a decision on a text in the test split settled the model's open spans
    over its words there and then (it writes no gold: the test split stays honest), but
    act left test texts out of the spans that settle a later run's spans: a second model
    that found other spans over those words had them queued, asking a reviewer again
    about words a reviewer had decided (and inviting a contradiction). Now act settles
    them by the reviewer's decision as by a person's saved span (the very span
    accepted, the others rejected, not queued), and still writes no test gold."""
    from glamlab.actions import act
    from glamlab.actions.people import item_decisions
    from glamlab.inference.runner import run
    from glamlab.registry import use_model
    from glamlab.registry.training import train
    from glamlab.review import decide, lease_queue
    from glamlab.store import now
    from glamlab.tasks.spans import gold_spans
    from glamlab.tasks.spans.saved import decided_on_test_texts
    from glamlab.tasks.splits import split_of, training_data

    ws, _ = gold_and_new_texts(make_ws, tmp_path, 1)
    try:
        item = "new0"
        sp = ws.store.t.splits
        with ws.store.write() as conn:
            conn.execute(sp.delete().where(sp.c.item_id == item))
            conn.execute(sp.insert().values(item_id=item, split="test", created_at=now()))
        act(ws, model="gazetteer@1")
        gold_before = gold_spans(ws, [item]).get(item)
        text = ws.item(item).text or ""
        rows = [r for r in lease_queue(ws, "ana", limit=500) if r["item_id"] == item]
        a = next(r for r in rows if " " not in r["value"]["text"]
                 and r["value"]["end"] < len(text) - 1)
        va = a["value"]
        # ana accepts the model's span: no gold is written on the test text
        done = decide(ws, "ana", a["id"], "accept", a["version"])
        assert done["gold_label"].startswith("kept"), done
        # a second model finds another span over those words: them and the next word,
        # as another type (never queued before, so no decision of ana's names it)
        other = next(t for t in ("PER", "LOC", "ORG", "PROD", "TIME") if t != a["label"])
        end = text.find(" ", va["end"] + 1)
        end = len(text) if end < 0 else end
        longer = text[va["start"]:end]
        assert longer.strip() != va["text"] and " " in longer
        train(ws, "gazetteer", name="second", params={
            "from_training": False, "entries": [{"text": longer, "type": other}]})
        assert run(ws, "second@1", workers=0, handle_signals=False).done >= 1
        with ws.store.read() as conn:
            settling = decided_on_test_texts(ws, conn, [item])[item]
        assert [(s.span.start, s.span.end, s.span.label, s.who) for s in settling] == [
            (va["start"], va["end"], a["label"], "ana")]
        use_model(ws, "second")  # chosen: the model in use, whose queue it takes over
        act(ws, model="second@1")
        # nobody is asked again about the words ana decided
        q = ws.store.t.review_queue
        with ws.store.read() as conn:
            still = [(r.label, r.value) for r in conn.execute(
                q.select().where(q.c.item_id == item, q.c.status == "open"))]
        over = [(label, v) for label, v in still
                if v["start"] < va["end"] and va["start"] < v["end"]]
        assert over == [], over
        # the test split stays honest: no gold written, still a test text, not trained on
        assert gold_spans(ws, [item]).get(item) == gold_before
        assert split_of(ws, [item]) == {item: "test"}
        assert item not in training_data(ws).ids
        with ws.store.read() as conn:
            assert [d.action for d in item_decisions(ws, conn, [item])[item]] == ["accept"]
    finally:
        ws.close()


def test_a_span_settled_by_a_decision_on_a_test_text_exports_the_reviewer_s_decision(
        make_ws: Any, tmp_path: Path) -> None:
    """On a text in the test split a reviewer's decision writes no gold, yet act settles
    a later model's span over the same words by it (not queued). The export still said
    that span waited for review (``action=review``, no decision, nobody named) where on
    any other text it says what the person's span makes of it, and act counted it as
    ``review_settled_by_gold``, when no gold label settles anything there. Now its row
    says the reviewer's decision (``decision``, ``confirmed_by``, ``confirmed_at``, the
    reason), the entity CSV no longer lists it as waiting, and act counts it as already
    decided by a reviewer."""
    import csv
    import io

    from glamlab.actions import act, plan
    from glamlab.actions.entity_export import export_entities
    from glamlab.actions.export import iter_rows
    from glamlab.actions.people import item_decisions
    from glamlab.inference.runner import run
    from glamlab.registry.training import train
    from glamlab.review import decide, lease_queue
    from glamlab.store import now

    ws, _ = gold_and_new_texts(make_ws, tmp_path, 1)
    try:
        item = "new0"
        sp = ws.store.t.splits
        with ws.store.write() as conn:
            conn.execute(sp.delete().where(sp.c.item_id == item))
            conn.execute(sp.insert().values(item_id=item, split="test", created_at=now()))
        act(ws, model="gazetteer@1")
        text = ws.item(item).text or ""
        rows = [r for r in lease_queue(ws, "ana", limit=500) if r["item_id"] == item]
        a = next(r for r in rows if " " not in r["value"]["text"]
                 and r["value"]["end"] < len(text) - 1)
        va = a["value"]
        decide(ws, "ana", a["id"], "accept", a["version"])
        with ws.store.read() as conn:
            said = item_decisions(ws, conn, [item])[item][-1]
        other = next(t for t in ("PER", "LOC", "ORG", "PROD", "TIME") if t != a["label"])
        end = text.find(" ", va["end"] + 1)
        longer = text[va["start"]:len(text) if end < 0 else end]
        train(ws, "gazetteer", name="second", params={
            "from_training": False, "entries": [{"text": longer, "type": other}]})
        assert run(ws, "second@1", workers=0, handle_signals=False).done >= 1

        def over(r: dict[str, Any]) -> bool:
            return (r["item_id"] == item and int(r["span_start"]) < va["end"]
                    and va["start"] < int(r["span_end"]))

        exported = [e.row for e in iter_rows(ws, model="second@1")]
        mine = [r for r in exported if over(r)]
        assert mine, exported
        for r in mine:  # what ana's decision makes of it, as on any other text
            assert (r["action"], r["decision"], r["confirmed_by"]) == (
                "reject", "accept", "ana"), r
            assert r["confirmed_at"] == said.created_at.isoformat(timespec="seconds") + "Z"
            assert "ana's decision on this test text" in r["reason"], r["reason"]
            assert "gold" not in r["reason"], r["reason"]
        # act counts them as decided by a reviewer, not settled by a gold label
        report = plan(ws, model="second@1", dry_run=True)
        assert report.review_settled_by_gold == sum(r["decision"] == "gold"
                                                    for r in exported)
        assert report.review_decided == sum(
            r["decision"] not in (None, "gold") for r in exported), exported
        assert report.review_decided >= len(mine)
        # the entity CSV does not list them as waiting for review: over those words it
        # has ana's span, as she accepted it
        out = tmp_path / "entities.csv"
        export_entities(ws, "csv", out, model="second@1")
        lines = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
        assert [(int(r["start"]), int(r["end"]), r["type"], r["action"], r["confirmed_by"])
                for r in lines if r["item_id"] == item and int(r["start"]) < va["end"]
                and va["start"] < int(r["end"])] == [
            (va["start"], va["end"], a["label"], "accept", "ana")], lines
    finally:
        ws.close()
