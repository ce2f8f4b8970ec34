"""A person's decision stands for the item, whichever prediction it was made on
(glamlab.actions.people): the rules, and an item whose content changed since."""

from __future__ import annotations

import csv
from datetime import datetime
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from glamlab.actions.people import person_decision

AT = datetime(2026, 1, 1)


def _row(queued, action, label=None, value=None, queued_value=None, user="ana"):
    return SimpleNamespace(queued=queued, queued_value=queued_value, action=action,
                           label=label, value=value, user=user, created_at=AT,
                           prediction_id=1)


def test_single_label_a_person_settles_the_item() -> None:
    corrected = [_row("a", "correct", "b")]
    assert person_decision(corrected, "a", None, one_value=True).action == "correct"
    assert person_decision(corrected, "b", None, one_value=True).action == "accept"
    other = person_decision(corrected, "c", None, one_value=True)
    assert (other.action, other.label, other.recorded) == ("correct", "b", "correct")
    rejected = [_row("a", "reject")]
    assert person_decision(rejected, "a", None, one_value=True).action == "reject"
    assert person_decision(rejected, "b", None, one_value=True) is None
    # the latest decision that counts wins
    both = [_row("a", "correct", "b"), _row("b", "reject", user="bo")]
    last = person_decision(both, "b", None, one_value=True)
    assert (last.action, last.user) == ("reject", "bo")
    assert person_decision(both, "c", None, one_value=True).label == "b"
    assert person_decision([], "a", None, one_value=True) is None


def test_multi_label_and_spans_count_per_candidate() -> None:
    rows = [_row("a", "reject"), _row("b", "accept", "b")]
    assert person_decision(rows, "a", None, one_value=False).action == "reject"
    assert person_decision(rows, "b", None, one_value=False).action == "accept"
    assert person_decision(rows, "c", None, one_value=False) is None
    span = {"start": 0, "end": 5}
    fixed = {"start": 0, "end": 9}
    spans = [_row("PER", "correct", "PER", fixed, queued_value=span)]
    assert person_decision(spans, "PER", {"end": 5, "start": 0},  # key order is no matter
                           one_value=False).action == "correct"
    assert person_decision(spans, "PER", fixed, one_value=False).action == "accept"
    assert person_decision(spans, "LOC", span, one_value=False) is None
    # the web app's boundary form sends offsets only; a model's candidate carries the
    # text they cover too: the same span all the same (a link chosen is not)
    web = [_row("PER", "correct", "PER", fixed, queued_value={**span, "text": "Marie"})]
    assert person_decision(web, "PER", {**fixed, "text": "Marie Cur"},
                           one_value=False).action == "accept"
    assert person_decision(web, "PER", {**span, "text": "Marie"},
                           one_value=False).action == "correct"
    # the same offsets over other words (the text changed since): not the same span
    said = [_row("PER", "accept", "PER", {**span, "text": "Marie"},
                 queued_value={**span, "text": "Marie"})]
    assert person_decision(said, "PER", {**span, "text": "Louis"}, one_value=False) is None
    assert person_decision(said, "PER", {**span, "text": "Marie"},
                           one_value=False).action == "accept"
    linked = [_row("PER", "correct", "PER", {**fixed, "authority_id": "Q7186"},
                   queued_value=fixed)]
    assert person_decision(linked, "PER", {**fixed, "text": "Marie Cur"},
                           one_value=False).action == "correct"


def test_decisions_survive_a_re_ingest_and_a_forced_run_through_act_and_export(make_ws) -> None:
    """The catalogue gains a column (every item gets a new version, the text is the
    same), then the model is run again with --force: act writes no value a person turned
    down, confirms the one they accepted, queues nothing they decided, and the export
    carries their values and names."""
    from glamlab.actions import iter_rows
    from glamlab.actions.act import plan, render
    from glamlab.actions.policy import LabelPolicy, Policy
    from glamlab.inference import run
    from glamlab.review.decisions import decide
    from tests.inference.conftest import add_text_items, save_hash_model

    ws = make_ws("people", modality="text", labels=["a", "b", "c"])
    ids = add_text_items(ws, 6)
    save_hash_model(ws)
    run(ws, "hash", workers=0)
    plan(ws, model="hash", dry_run=False, policy=Policy(field="label", default_action="review"))
    q, mm = ws.store.t.review_queue, ws.store.t.machine_metadata
    with ws.store.read() as conn:
        rows = {r.item_id: r for r in conn.execute(sa.select(q))}
    other = next(lab for lab in ("a", "b", "c") if lab != rows[ids[0]].label)
    decide(ws, "ana", rows[ids[0]].id, "correct", rows[ids[0]].version, label=other)
    decide(ws, "ana", rows[ids[1]].id, "accept", rows[ids[1]].version)
    decide(ws, "bo", rows[ids[2]].id, "reject", rows[ids[2]].version)

    path = ws.root / "doc.csv"
    with open(path, newline="") as fh:
        table = list(csv.reader(fh))
    with open(path, "w", newline="") as fh:
        csv.writer(fh).writerows([r + (["rights"] if i == 0 else ["CC0"])
                                  for i, r in enumerate(table)])
    assert ws.ingest([str(path)], id_column="id", text_column="text").updated == 6
    assert run(ws, "hash", workers=0, force=True).done == 6
    # the dry run counts no reviewer time for what people already decided
    dry = plan(ws, model="hash", policy=Policy(field="label", default_action="review"))
    assert (dry.counts["review"], dry.review_decided) == (6, 3)
    assert dry.review_hours == pytest.approx(3 * ws.card.review_seconds_per_item / 3600)
    assert "Review workload: 3 items" in render(dry.to_dict())
    # and per label: the decided candidates are out of each label's review count
    rows = dry.to_dict()["by_label"]
    assert sum(r["review_already_decided"] for r in rows) == 3
    text = render(dry.to_dict())
    for r in rows:
        done = r["review_already_decided"]
        left = f"{r['label']}: accept 0, review {r['review'] - done}"
        assert (left + (f" (+{done} already decided)" if done else ", reject")) in text
    accept_all = Policy(field="label", labels={lab: LabelPolicy(accept=0.0)
                                               for lab in ("a", "b", "c")})
    report = plan(ws, model="hash", dry_run=False, policy=accept_all)
    assert report.decided_by_people == 2  # the correction and the rejection
    p = ws.store.t.predictions
    with ws.store.read() as conn:
        current = [r.id for r in conn.execute(sa.select(p.c.id))]
        written = {r.item_id: r for r in conn.execute(
            sa.select(mm).where(mm.c.prediction_id.in_(current)))}
        open_rows = conn.execute(sa.select(sa.func.count()).select_from(q).where(
            q.c.status == "open")).scalar()
    assert set(written) == {ids[1], *ids[3:]}  # not the values the people turned down
    assert written[ids[1]].confirmed_by == "ana"
    assert all(written[i].confirmed_by is None for i in ids[3:])
    # the three undecided items' open rows asked about the earlier prediction; this
    # policy accepts their new prediction, so they are withdrawn (not left in review)
    assert open_rows == 0 and report.superseded == 3
    by = {e.row["item_id"]: e.row for e in iter_rows(ws, model="hash")}
    assert (by[ids[0]]["value"], by[ids[0]]["origin"], by[ids[0]]["confirmed_by"],
            by[ids[0]]["decision"]) == (other, "person", "ana", "correct")
    assert (by[ids[1]]["action"], by[ids[1]]["confirmed_by"]) == ("accept", "ana")
    assert (by[ids[2]]["action"], by[ids[2]]["confirmed_by"]) == ("reject", "bo")
    assert all(not by[i]["confirmed_by"] for i in ids[3:])
