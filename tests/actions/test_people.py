"""A person's decision stands for the item, whichever prediction it was made on
(glamlab.actions.people): the rules, and an item whose content changed since."""

from __future__ import annotations

import csv
from datetime import datetime
from types import SimpleNamespace

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


def test_a_decision_on_content_that_changed_since_no_longer_counts(make_ws) -> None:
    """Re-ingested with new text, the item is predicted again (the old prediction is
    stale) and queued again: the person decided on text that is no longer there."""
    from glamlab.actions import ExportFilter, iter_rows
    from glamlab.actions.act import plan
    from glamlab.actions.policy import Policy
    from glamlab.inference import run
    from glamlab.review.decisions import decide
    from tests.inference.conftest import add_text_items, save_hash_model

    ws = make_ws("people", modality="text", labels=["a", "b", "c"])
    ids = add_text_items(ws, 6)
    save_hash_model(ws, on_text=True)
    run(ws, "hash", workers=0)
    review_all = Policy(field="label", default_action="review")
    plan(ws, model="hash", dry_run=False, policy=review_all)
    q = ws.store.t.review_queue
    with ws.store.read() as conn:
        first = conn.execute(sa.select(q).where(q.c.item_id == ids[0])).one()
        second = conn.execute(sa.select(q).where(q.c.item_id == ids[1])).one()
    other = next(lab for lab in ("a", "b", "c") if lab != first.label)
    decide(ws, "ana", first.id, "correct", first.version, label=other)
    decide(ws, "ana", second.id, "accept", second.version)

    path = ws.root / "doc.csv"
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    rows[1][1] = "a corrected transcription"  # ids[0]
    with open(path, "w", newline="") as fh:
        csv.writer(fh).writerows(rows)
    assert ws.ingest([str(path)], id_column="id", text_column="text").updated == 1
    assert run(ws, "hash", workers=0, force=True).done == 6
    report = plan(ws, model="hash", dry_run=False, policy=review_all)
    assert report.decided_by_people == 1  # the unchanged item's decision stands
    with ws.store.read() as conn:
        reopened = conn.execute(sa.select(sa.func.count()).select_from(q).where(
            q.c.item_id == ids[0], q.c.status == "open")).scalar()
        still = conn.execute(sa.select(sa.func.count()).select_from(q).where(
            q.c.item_id == ids[1], q.c.status == "open")).scalar()
    assert (reopened, still) == (1, 0)
    by = {e.row["item_id"]: e.row for e in iter_rows(ws, model="hash",
                                                     where=ExportFilter(confirmed=True))}
    assert set(by) == {ids[1]} and by[ids[1]]["confirmed_by"] == "ana"
