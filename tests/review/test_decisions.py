"""Decisions become gold labels as the task kind says; the champion's prediction for one
item is judged by the policy (not a fixed 0.5)."""

from __future__ import annotations

from glamlab.review import decide, lease_queue
from glamlab.store import now
from glamlab.tasks import gold_labels, import_labels
from tests.actions.helpers import add_items
from tests.tasks.helpers import write_csv


def _queue(ws, item_id: str, label: str, score: float, model_id: int | None = None) -> None:
    with ws.store.write() as conn:
        conn.execute(ws.store.t.review_queue.insert().values(
            item_id=item_id, label=label, score=score, kind="prediction", status="open",
            version=1, created_at=now(), model_id=model_id))


def test_multi_label_accept_adds_to_the_gold_labels(make_ws, tmp_path) -> None:
    """The reviewer's labels become the item's gold, the earlier labels kept with the
    accepted one (a multi-label item kept only the accepted label before)."""
    ws = make_ws(labels=["nature", "people", "places"], modality="text", multi_label=True)
    add_items(ws, [{"item_id": "r1", "modality": "text"}])
    import_labels(ws, write_csv(tmp_path / "l.csv", ["id", "label"], [["r1", "nature|people"]]))
    _queue(ws, "r1", "places", 0.7)
    row = lease_queue(ws, "rey", limit=1)[0]
    assert decide(ws, "rey", row["id"], "accept", row["version"])["gold_label"] == "train"
    assert gold_labels(ws)["r1"] == ["nature", "people", "places"]


def test_single_label_correction_replaces_the_gold_label(make_ws, tmp_path) -> None:
    ws = make_ws(labels=["blank", "content"])
    add_items(ws, [{"item_id": "p1"}])
    import_labels(ws, write_csv(tmp_path / "l.csv", ["id", "label"], [["p1", "blank"]]))
    _queue(ws, "p1", "blank", 0.6)
    # the queue no longer offers a prediction its gold label agrees with; a script that
    # names the queue row can still correct it
    assert lease_queue(ws, "rey", limit=1) == []
    d = decide(ws, "rey", 1, "correct", 1, label="content")
    assert (d["label"], d["value"]) == ("content", None)
    assert gold_labels(ws)["p1"] == ["content"]
    with ws.store.read() as conn:
        t = ws.store.t.labels
        active = conn.execute(t.select().where(t.c.active.is_(True))).all()
    assert [(r.label, r.annotator, r.source) for r in active] == [("content", "rey", "review")]


def test_the_champions_prediction_is_judged_by_the_policy(make_ws) -> None:
    """Multi-label: which labels /api/predict returns is the policy's, per label."""
    from glamlab.actions import decide_item
    from glamlab.registry import save_model, set_alias
    from tests.inference.predictors import HashPredictor

    ws = make_ws(labels=["p", "q", "r"], modality="text", multi_label=True)
    add_items(ws, [{"item_id": f"d{i}", "modality": "text"} for i in range(4)])
    items = list(ws.items())
    pred = HashPredictor().fit(items, [["p"], ["q"], ["r"], ["p", "q"]],
                               classes=["p", "q", "r"], multi_label=True)
    set_alias(ws, save_model(ws, pred, name="hash").spec, "champion")
    ws.card.raw["policy"] = {"default_action": "reject",
                             "labels": {"p": {"accept": 0.0}, "q": {"review": 0.0},
                                        "r": {"action": "reject"}}}
    ws.save_card()
    out = decide_item(ws, items[0])
    by = {d["label"]: d["action"] for d in out.decisions}
    assert by == {"p": "accept", "q": "review", "r": "reject"}
    assert sorted(out.labels) == ["p", "q"] and out.model == "hash@1"
    # a fixed 0.5 would have decided otherwise for a label scored below it
    assert any(d["score"] < 0.5 for d in out.decisions if d["action"] != "reject")


def test_a_reviewers_accept_builds_on_the_gold_label_not_on_a_blind_second_label(
        make_ws, tmp_path) -> None:
    """A blind second label (the Labelling page's second labeller) is never gold beside
    another person's label. Accepting a prediction built the new gold on the item's
    newest annotator, the second labeller: in a multi-label project {z} + w became gold
    and the first person's x and y were switched off. Now the gold in force is built on,
    and the second label stays for the agreement."""
    from glamlab.review import save_label

    ws = make_ws(labels=["x", "y", "z", "w"], modality="text", multi_label=True)
    add_items(ws, [{"item_id": "r1", "modality": "text"}])
    import_labels(ws, write_csv(tmp_path / "l.csv", ["id", "label"], [["r1", "x|y"]]))
    save_label(ws, "bea", "r1", ["z"], None, second=True)
    assert gold_labels(ws)["r1"] == ["x", "y"]
    _queue(ws, "r1", "w", 0.7)
    row = lease_queue(ws, "rey", limit=1)[0]
    decide(ws, "rey", row["id"], "accept", row["version"])
    assert gold_labels(ws)["r1"] == ["w", "x", "y"]
    with ws.store.read() as conn:
        t = ws.store.t.labels
        bea = conn.execute(t.select().where(t.c.active.is_(True),
                                            t.c.annotator == "bea")).all()
    assert [r.label for r in bea] == ["z"]  # kept for the agreement


def test_a_reviewers_accept_is_not_a_second_labeller_for_the_agreement(make_ws, tmp_path) -> None:
    """Accepting one suggested subject gave the reviewer a copy of the item's catalogued
    subjects, so `glamlab labels agreement` counted the item as labelled by two people who
    agreed (alpha 1) on subjects the reviewer never looked at."""
    import pytest

    from glamlab.errors import LabelError
    from glamlab.tasks.agreement import agreement

    ws = make_ws(labels=["nature", "people", "places"], modality="text", multi_label=True)
    add_items(ws, [{"item_id": "r1", "modality": "text"}])
    import_labels(ws, write_csv(tmp_path / "l.csv", ["id", "label"], [["r1", "nature|people"]]))
    _queue(ws, "r1", "places", 0.7)
    row = lease_queue(ws, "rey", limit=1)[0]
    decide(ws, "rey", row["id"], "accept", row["version"])
    assert gold_labels(ws)["r1"] == ["nature", "people", "places"]
    with pytest.raises(LabelError, match="no item was labelled by two or more"):
        agreement(ws)


def test_an_item_a_person_decided_in_review_is_not_offered_them_as_a_blind_second_label(
        make_ws, tmp_path) -> None:
    """Review decisions are no second labeller in the agreement, so an item the reviewer
    decided (its labels shown to them in the queue) counted as one they had not labelled
    and the second-labeller page offered it to them as a blind label."""
    from glamlab.review.labelling import second_labelling

    ws = make_ws(labels=["nature", "people", "places"], modality="text", multi_label=True)
    add_items(ws, [{"item_id": "r1", "modality": "text"}, {"item_id": "r2", "modality": "text"}])
    import_labels(ws, write_csv(tmp_path / "l.csv", ["id", "label"],
                                [["r1", "nature|people"], ["r2", "people"]]))
    _queue(ws, "r1", "places", 0.7)
    row = lease_queue(ws, "rey", limit=1)[0]
    decide(ws, "rey", row["id"], "accept", row["version"])
    offered = second_labelling(ws, "rey")
    assert offered is not None and offered["candidates"] == 1
    assert offered["item"] is not None and offered["item"].item_id == "r2"
    # another person, who never saw r1, may be offered both
    assert second_labelling(ws, "ada")["candidates"] == 2
