"""Complete gold spans settle a text's predicted spans: a model run over texts whose
gold was imported (HIPE) sent every predicted span to the review queue, asking
reviewers about spans whose answer the gold already gives (843 of them in a walkthrough).
A predicted span the complete gold holds is one it agrees with; one it does not hold is
one it says is not an entity: neither is asked. They are counted as settled by gold, in
act's report and every queue count, as in a classification project. A text whose gold
came from reviewers' decisions on some of its spans (partly reviewed) settles nothing
more: its other spans are still asked; a text a reviewer marked checked settles them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.ner_project import gold_and_new_texts


@pytest.fixture
def acted(make_ws: Any, tmp_path: Path) -> Any:
    """The NewsEye sample imported as gold (complete: every text), a gazetteer trained on
    it and run over it and over three new texts nobody labelled, every span to review."""
    ws, known = gold_and_new_texts(make_ws, tmp_path, 3)
    with ws.store.read() as conn:
        ids = set(conn.execute(sa.select(ws.store.t.items.c.item_id)).scalars())
    assert len(ids - known) == 3
    try:
        yield ws, ids - known
    finally:
        ws.close()


def _spans_per_item(ws: Any) -> dict[str, int]:
    from glamlab.actions.act import iter_decisions
    from glamlab.actions.policy import load_policy
    from glamlab.actions.safety import load_safety
    from glamlab.registry.models import get_model

    out: dict[str, int] = {}
    mv = get_model(ws, "gazetteer@1")
    for batch in iter_decisions(ws, mv, load_policy(ws.card),
                                load_safety(ws.card, ws.root)):
        for d in batch:
            assert d.action == "review"
            out[d.item.item_id] = out.get(d.item.item_id, 0) + 1
    return out


def test_spans_of_texts_with_complete_gold_are_settled_not_asked(acted: Any) -> None:
    from glamlab.actions.act import act, plan, render
    from glamlab.review import peek_queue, queue_counts

    ws, new_ids = acted
    per_item = _spans_per_item(ws)
    new = sum(n for i, n in per_item.items() if i in new_ids)
    on_gold = sum(n for i, n in per_item.items() if i not in new_ids)
    assert new >= 3 and on_gold > new  # the gazetteer finds spans in both
    before = plan(ws, model="gazetteer@1", dry_run=True)
    assert before.counts["review"] == new + on_gold
    assert (before.review_settled_by_gold, before.review_workload) == (on_gold, new)
    words = render(before.to_dict())
    assert f"Review workload: {new} spans" in words, words
    assert f"{on_gold} more settled by a gold label" in words, words
    report = act(ws, model="gazetteer@1")
    assert report.written["review_queue"] == new + on_gold  # kept, not lost
    counts = queue_counts(ws)
    assert (counts["open"], counts["settled_by_gold"]) == (new, on_gold)
    shown = peek_queue(ws, limit=500)
    assert len(shown) == new and {r["item_id"] for r in shown} == new_ids
    stage = next(s for s in ws.status()["stages"] if s["stage"] == "actions")
    assert (stage["review_open"], stage["settled_by_gold"]) == (new, on_gold)
    again = plan(ws, model="gazetteer@1", dry_run=True)
    assert (again.review_settled_by_gold, again.review_workload) == (on_gold, new)


def test_partly_reviewed_gold_settles_nothing_a_text_marked_checked_does(acted: Any) -> None:
    from glamlab.actions.act import act, plan
    from glamlab.review import decide, lease_queue, mark_text_done, queue_counts

    ws, _ = acted
    act(ws, model="gazetteer@1")
    by_item: dict[str, list[dict[str, Any]]] = {}
    for r in lease_queue(ws, "ana", limit=500):
        by_item.setdefault(r["item_id"], []).append(r)
    (part, rows), (whole, whole_rows) = [(i, r) for i, r in sorted(by_item.items())
                                         if len(r) >= 2][:2]
    before = queue_counts(ws)
    # one span of several decided: the text's gold is partly reviewed, the rest is asked
    decide(ws, "ana", rows[0]["id"], "accept", rows[0]["version"])
    counts = queue_counts(ws)
    assert counts["open"] == before["open"] - 1
    assert counts["settled_by_gold"] == before["settled_by_gold"]
    # the whole text checked: its other spans are not entities, nobody is asked
    mark_text_done(ws, "ana", whole)
    counts = queue_counts(ws)
    assert counts["open"] == before["open"] - 1 - len(whole_rows)
    assert counts["settled_by_gold"] == before["settled_by_gold"] + len(whole_rows)
    # act's own count agrees with the queue's
    again = plan(ws, model="gazetteer@1", dry_run=True)
    assert again.review_workload == counts["open"]
    assert part in {r["item_id"] for r in lease_queue(ws, "ana", limit=500)}


def test_acts_figures_say_their_unit_and_add_up(acted: Any, capsys: Any) -> None:
    """glamlab act on an entities project said "send 2645 to review" and then "Review
    workload: 32 spans" (2613 settled by a gold label), "about 96.51 of the accepts
    expected wrong", "Written: 1775 machine metadata values" of 1790 accepts: every
    count now names its unit, the workload says which of the spans sent to review it
    leaves out, an expected count is rounded, what was written is said out of the
    accepts; and going through the predictions shows progress as glamlab run does."""
    from glamlab.actions.act import act, plan, render

    ws, _new_ids = acted
    before = plan(ws, model="gazetteer@1", dry_run=True, progress=True)
    sent, settled = before.counts["review"], before.review_settled_by_gold
    assert settled and before.review_workload == sent - settled
    words = render(before.to_dict())
    assert (f"The policy would: accept 0 spans (written to field {before.field!r} "
            f"as machine metadata), send {sent} spans to review, reject 0 spans.") in words, words
    assert (f"Review workload: {sent - settled} spans, about") in words, words
    assert (f"(of the {sent} sent to review: {settled} more settled by a gold label"
            in words), words
    # the items gone through, on stderr (a line in a log; a bar in a terminal)
    err = capsys.readouterr().err
    assert (f"act (gazetteer@1, dry run): {before.items_with_predictions:,} items with "
            "spans" in err), err
    row = dict(before.to_dict()["by_label"][0], expected_wrong=96.51, test_correct=214,
               test_accepted=227, expected_precision=0.94)
    said = render(dict(before.to_dict(), by_label=[row]))
    assert "about 97 of the accepts expected wrong (214 of 227" in said, said
    assert "96.51" not in said
    assert "(95% range 0 to 0 spans, from the test-split" in words, words
    done = act(ws, model="gazetteer@1").to_dict()
    assert (f"Written: 0 of the 0 accepted spans as machine metadata values, "
            f"{sent - settled} review spans waiting for a person (and {settled} settled by "
            "a gold label already") in render(done), render(done)
