"""glamlab act wrote a span the policy accepts as machine metadata (an automatic value)
on a text where a person had already saved another entity over its words (a reviewer's
correction, or an entity they added): the words a person settled were marked again by
the model, against the person's mark. A span to review over those words was settled,
not queued (glamlab.tasks.spans.saved.settled_by_person); an accepted one now is too,
as a label a person's gold label says otherwise of is not written in a classification
project: not written, counted with those a person's gold overrules, and every export
says the person's. A span the person's holds (same words, same type) is written, as the
label a person's gold gives is."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa


def test_act_does_not_write_a_span_over_words_a_person_marked_otherwise(
        make_ws: Any, tmp_path: Path) -> None:
    from glamlab.actions import act
    from glamlab.actions.export import iter_rows
    from glamlab.tasks.kinds import task_kind
    from glamlab.tasks.spans.complete import add_span
    from tests.ner_project import gold_and_gazetteer, ingest_new_texts, policy_and_run

    ws = gold_and_gazetteer(make_ws)
    ingest_new_texts(ws, tmp_path, 1, entities=2)
    ws = policy_and_run(ws, "accept")
    try:
        kind = task_kind(ws.card)
        p = ws.store.t.predictions
        with ws.store.read() as conn:
            r = conn.execute(sa.select(p).where(p.c.item_id == "new0")).one()
        spans = sorted((c for c in kind.candidates(kind.from_stored(
            r.label, r.labels, r.scores, r.score)) if isinstance(c.value, dict)),
            key=lambda c: c.value["start"])
        assert len(spans) >= 2, spans
        other, same = spans[0], spans[1]
        retyped = "ORG" if other.label != "ORG" else "LOC"
        # a person marks the first span's words as another type, the second's as the model does
        add_span(ws, "new0", other.value["start"], other.value["end"], retyped, user="rey")
        add_span(ws, "new0", same.value["start"], same.value["end"], same.label, user="rey")
        report = act(ws, model="gazetteer@1")
        mm = ws.store.t.machine_metadata
        with ws.store.read() as conn:
            written = set(conn.execute(sa.select(mm.c.value).where(
                mm.c.item_id == "new0")).scalars())
        assert kind.metadata_value(other) not in written, written
        assert written == {kind.metadata_value(c) for c in spans if c is not other}
        # the export says the person's: the model's span of those words is not accepted,
        # never written; the one the person's holds is, confirmed by them
        every = [e.row for e in iter_rows(ws)]
        gold_texts = [r for r in every if r["item_id"] != "new0" and r["action"] == "reject"
                      and r["decision"] == "gold"]  # (their complete gold says otherwise)
        assert report.not_written_overruled == len(gold_texts) + 1
        rows = {r["span_start"]: r for r in every if r["item_id"] == "new0"}
        mine, held = rows[other.value["start"]], rows[same.value["start"]]
        assert (mine["written_at"], mine["action"], mine["confirmed_by"]) == (
            None, "reject", "rey"), mine
        assert (held["written_at"] is not None, held["action"], held["confirmed_by"]) == (
            True, "accept", "rey"), held
    finally:
        ws.close()
