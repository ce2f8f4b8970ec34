"""No overlap, ever: a model's training items never score it, and never join the test
split after it trained on them."""

from __future__ import annotations

import csv

import pytest
import sqlalchemy as sa

from glamlab.demo import demo_data
from glamlab.errors import LabelError
from glamlab.registry.overlap import OverlapError, model_item_ids, test_overlap
from glamlab.registry.training import train
from glamlab.tasks import import_labels, split_labels
from glamlab.tasks.splits import test_data, training_data
from tests.tasks.helpers import language_project, write_csv


@pytest.fixture
def trained(make_ws):
    ws = language_project(make_ws)
    ws.model = train(ws, "majority", name="maj").model
    return ws


def _force_into_test(ws, item_id):
    """What an old glamlab (or a hand edit) could do: move a training item into test."""
    t = ws.store.t.splits
    with ws.store.write() as conn:
        conn.execute(t.update().where(t.c.item_id == item_id).values(split="test"))


def test_a_model_records_the_items_it_trained_on(trained):
    assert model_item_ids(trained, trained.model.id) == sorted(training_data(trained).ids)
    assert model_item_ids(trained, trained.model.id, "calibration") == []
    assert test_overlap(trained, trained.model.id) == []


def test_evaluate_act_and_retrain_refuse_a_model_scored_on_its_training_items(trained):
    from glamlab.actions import optimise, plan
    from glamlab.evaluation import evaluate, model_candidates
    from glamlab.retraining.retrain import retrain

    leaked = training_data(trained).ids[0]
    _force_into_test(trained, leaked)
    for call in (lambda: evaluate(trained, model_candidates(trained, ["maj@1"]), n_boot=50),
                 lambda: plan(trained, model="maj@1"),
                 lambda: optimise(trained, target_precision=0.9, model="maj@1"),
                 lambda: retrain(trained, "maj", n_boot=50)):
        with pytest.raises(OverlapError) as exc:
            call()
        assert exc.value.item == leaked and leaked in exc.value.message
        assert "retrain" in exc.value.hint


def test_training_items_cannot_join_the_test_split(trained, tmp_path):
    train_ids = training_data(trained).ids
    test_ids = test_data(trained, freeze=False).ids
    # a re-split keeps them in training (it used to be refused whole), so the test split
    # keeps the items no model learned from
    report = split_labels(trained, test_size=0.3, seed=1, force=True)
    assert report.learned == len(train_ids)
    assert sorted(training_data(trained).ids) == sorted(train_ids)
    assert sorted(test_data(trained, freeze=False).ids) == sorted(test_ids)
    assert test_overlap(trained, trained.model.id) == []
    # importing a training item's label into the test split
    with open(demo_data("language") / "texts.csv", newline="", encoding="utf-8") as fh:
        row = next(r for r in csv.DictReader(fh) if r["id"] == train_ids[0])
    f = write_csv(tmp_path / "more.csv", ["id", "label"], [[row["id"], row["label"]]])
    with pytest.raises(LabelError, match="cannot join the test split"):
        import_labels(trained, f, split="test")
    with trained.store.read() as conn:
        t = trained.store.t.splits
        assert conn.execute(sa.select(t.c.split).where(t.c.item_id == train_ids[0])).scalar() \
            == "train"


def test_a_model_saved_before_item_ids_were_recorded_is_said_to_be_unchecked(trained):
    """An older model (no model_items rows) cannot be checked: evaluate says so instead
    of passing it silently; a model with its items recorded gets no such warning."""
    from glamlab.evaluation import evaluate, model_candidates

    fresh = evaluate(trained, model_candidates(trained, ["maj@1"]), n_boot=50)
    assert not any("cannot be checked" in w for w in fresh.warnings)
    t = trained.store.t.model_items
    with trained.store.write() as conn:  # what a model saved by an older glamlab looks like
        conn.execute(t.delete().where(t.c.model_id == trained.model.id))
    old = evaluate(trained, model_candidates(trained, ["maj@1"]), n_boot=50)
    assert any("maj@1" in w and "cannot be checked" in w for w in old.warnings)
