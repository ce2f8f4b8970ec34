"""The rows a worker hands to the writer."""

from __future__ import annotations

import json
import random

import numpy as np

from glamlab.config import ProjectCard
from glamlab.errors import reason_for
from glamlab.inference.plan import Plan, parse_query
from glamlab.inference.worker import predict_batch, to_items
from glamlab.items import Item
from glamlab.tasks.kinds import task_kind
from glamlab.tasks.kinds.classification import Scores


def _kind(classes, multi=False):
    return task_kind(ProjectCard(name="t", task="t", modality="text", labels=list(classes),
                                 multi_label=multi, metric="f1_samples" if multi else "f1_macro"))


class _Fixed:
    """A fitted predictor that answers the given scores."""

    def __init__(self, classes, proba):
        self.classes_ = classes
        self.proba = proba

    def predict_proba(self, items):
        return self.proba[: len(items)]


def test_rows_hold_exactly_what_json_dumps_would_write():
    rng = random.Random(3)
    classes = ["a", 'quote " and \\', "é", "日本", "space label", "100% sure"]
    items = [Item(item_id=f"i{i}", modality="text") for i in range(200)]
    proba = np.array([[rng.choice([0.0, 1.0, 1e-300, rng.random(), rng.random() * 1e9])
                       for _ in classes] for _ in items])
    rows = _kind(classes).to_rows(items, [Scores(classes, r) for r in proba.tolist()])
    for (item_id, label, labels, scores, score), item, p in zip(rows, items, proba, strict=True):
        expected = dict(zip(classes, p.tolist(), strict=True))
        assert item_id == item.item_id
        assert scores == json.dumps(expected)
        assert label == classes[int(np.argmax(p))] and labels == json.dumps([label])
        assert score == max(expected.values())
    multi = _kind(classes, multi=True).to_rows(items[:5],
                                               [Scores(classes, r) for r in proba[:5].tolist()])
    for row, p in zip(multi, proba[:5], strict=True):
        assert row[1] is None
        assert json.loads(row[2]) == [c for c, s in zip(classes, p, strict=True) if s >= 0.5]


def test_scores_that_are_not_numbers_fail_the_item_only():
    items = [Item(item_id="ok", modality="text"), Item(item_id="nan", modality="text")]
    rows, failures = predict_batch(_Fixed(["x", "y"], np.array([[0.4, 0.6], [np.nan, 1.0]])),
                                   items, _kind(["x", "y"]))
    assert [r[0] for r in rows] == ["ok"]
    assert failures[0][0] == "nan" and "not finite" in failures[0][1]


def test_a_failing_batch_is_retried_item_by_item():
    class Picky:
        classes_ = ["x", "y"]
        multi_label_ = False
        calls = 0

        def predict_proba(self, items):
            self.calls += 1
            if any(i.item_id == "bad" for i in items):
                raise FileNotFoundError(2, "No such file", "/scans/bad.jpg")
            return np.tile([0.25, 0.75], (len(items), 1))

    pred = Picky()
    items = [Item(item_id=i, modality="text") for i in ("a", "bad", "c")]
    rows, failures = predict_batch(pred, items, _kind(["x", "y"]))
    assert [r[0] for r in rows] == ["a", "c"]
    assert failures == [("bad", "the source file is missing: /scans/bad.jpg")]
    assert pred.calls == 4  # the batch, then each item
    assert reason_for(ValueError("bad\nsecond line")) == "ValueError: bad"


def test_items_travel_as_tuples_and_arrive_as_the_workspace_items(text_ws):
    with text_ws.store.write() as conn:  # nested meta, and an item with none
        t = text_ws.store.t.items
        conn.execute(t.update().where(t.c.item_id == text_ws.ids[1])
                     .values(meta={"collection": "maps", "shelf": {"room": 3, "tags": ["x"]}}))
        conn.execute(t.update().where(t.c.item_id == text_ws.ids[2]).values(meta={}))
    batches = list(Plan(text_ws, parse_query(""), model_id=-1).batches(7, page_size=10))
    assert [len(b) for b in batches] == [7] * 8 + [4]
    rows = [row for batch in batches for row in batch]
    assert all(type(row) is tuple for row in rows)  # cheap to pickle: no objects
    items = to_items(rows, text_ws.cache_dir_text, text_ws.fetch_policy)
    assert items == list(text_ws.items())
    assert items[1].meta["shelf"] == {"room": 3, "tags": ["x"]} and items[2].meta == {}
    assert items[3].meta is not items[4].meta
