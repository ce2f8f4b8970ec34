"""Every count of the review queue is what a reviewer will be shown: ``glamlab status``,
the queue itself, ``glamlab act``'s workload and reviewer hours, and the web overview.
An open prediction whose label an active gold label of the item already gives is not
shown (it is *settled by a gold label*), and every count says so in words instead of
counting it as waiting (the walkthrough saw 4,348 waiting in status and act, 3,453 in
the queue)."""

from __future__ import annotations

from glamlab.actions.act import act, plan, render
from glamlab.review import peek_queue, queue_counts
from tests.actions.helpers import add_gold, add_items, add_model, add_predictions

LABELS = ["nature", "people", "places"]


def _workspace(make_ws):
    ws = make_ws(labels=LABELS, modality="text", multi_label=True)
    ws.card.raw["policy"] = {"default_action": "review"}  # every candidate to a person
    ws.save_card()
    add_items(ws, [{"item_id": f"i{n}", "modality": "text"} for n in range(6)])
    mid = add_model(ws)
    add_predictions(ws, mid, {f"i{n}": {lab: 0.6 for lab in LABELS} for n in range(6)},
                    multi_label=True)
    # i0 and i1 already carry gold labels: "nature" (i0), "people" and "places" (i1)
    add_gold(ws, {"i0": "nature", "i1": ["people", "places"]}, split="train")
    return ws


def test_status_queue_and_act_count_what_a_reviewer_is_shown(make_ws) -> None:
    ws = _workspace(make_ws)
    before = plan(ws, dry_run=True)
    act(ws)
    shown = peek_queue(ws, limit=500)
    assert len(shown) == 6 * 3 - 3  # three suggestions a gold label already gives
    counts = queue_counts(ws)
    assert counts["open"] == len(shown) and counts["settled_by_gold"] == 3
    status = ws.status()
    stage = next(s for s in status["stages"] if s["stage"] == "actions")
    assert stage["review_open"] == len(shown), stage
    assert stage["settled_by_gold"] == 3
    assert f"{len(shown)} waiting for review" in status["summary"]
    assert "3 more suggestions settled by a gold label" in status["summary"]
    # act's workload and reviewer hours: the same rows, before and after they are written
    again = plan(ws, dry_run=True)
    for report in (before, again):
        assert report.review_workload == len(shown)
        assert report.review_settled_by_gold == 3
        assert report.review_hours == len(shown) * ws.card.review_seconds_per_item / 3600
        words = render(report.to_dict())
        assert f"Review workload: {len(shown)} " in words, words
        assert "3 more settled by a gold label" in words, words
    by = {r["label"]: r for r in again.to_dict()["by_label"]}
    assert by["nature"]["review_workload"] == 5 and by["nature"]["review_settled_by_gold"] == 1


def test_a_settled_suggestion_is_kept_and_shows_again_when_its_gold_label_goes(make_ws) -> None:
    """Nothing is lost: the rows a gold label settles stay open in the queue table."""
    ws = _workspace(make_ws)
    act(ws)
    t = ws.store.t
    with ws.store.write() as conn:
        conn.execute(t.labels.update().where(t.labels.c.item_id == "i0").values(active=False))
    assert queue_counts(ws)["open"] == 16 and queue_counts(ws)["settled_by_gold"] == 2
    stage = next(s for s in ws.status()["stages"] if s["stage"] == "actions")
    assert (stage["review_open"], stage["settled_by_gold"]) == (16, 2)
    assert plan(ws, dry_run=True).review_workload == 16


def test_only_the_label_in_force_settles_a_suggestion(make_ws) -> None:
    """Two annotators: the later one's label is the gold label training and evaluation
    use, so it (not the earlier, replaced one) settles a suggestion; a suggestion of the
    replaced label is asked about, shown with the label in force."""
    from glamlab.store import now
    from glamlab.tasks import gold_labels

    ws = _workspace(make_ws)  # i0: "nature" from "curator"
    with ws.store.write() as conn:
        conn.execute(ws.store.t.labels.insert().values(
            item_id="i0", label="people", annotator="second-curator", source="web",
            active=True, created_at=now()))
    assert gold_labels(ws)["i0"] == ["people"]
    before = plan(ws, dry_run=True)  # candidates not yet in the queue
    assert before.review_settled_by_gold == 3 and before.review_workload == 15
    act(ws)
    counts = queue_counts(ws)
    assert (counts["open"], counts["settled_by_gold"]) == (15, 3)
    shown = {(r["item_id"], r["label"]): r for r in peek_queue(ws, limit=500)}
    assert ("i0", "nature") in shown and ("i0", "people") not in shown
    assert shown[("i0", "nature")]["gold"] == ["people"]
    assert plan(ws, dry_run=True).review_settled_by_gold == 3
