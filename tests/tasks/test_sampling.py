"""Choosing what to label next."""

from __future__ import annotations

import pytest

from glamlab.errors import LabelError
from glamlab.registry.training import train
from glamlab.tasks import import_labels, sample_items, split_labels
from tests.tasks.helpers import add_items, write_csv


@pytest.fixture
def ws(make_ws, tmp_path):
    ws = make_ws(labels=["short", "long"], modality="text")
    add_items(ws, [{"id": f"i{k:02d}", "text": "w" * (k * 3 + 1),
                    "meta": {"collection": "A" if k % 3 else "B"}} for k in range(40)])
    rows = [[f"i{k:02d}", "short" if k < 10 else "long"] for k in range(0, 40, 2)]
    import_labels(ws, write_csv(tmp_path / "l.csv", ["id", "label"], rows))
    return ws


def test_random_sample_is_seeded_and_unlabelled(ws) -> None:
    s1 = sample_items(ws, 5, seed=1)
    s2 = sample_items(ws, 5, seed=1)
    ids = [r["id"] for r in s1.items]
    assert ids == [r["id"] for r in s2.items]
    assert len(set(ids)) == 5
    assert all(int(i[1:]) % 2 == 1 for i in ids)  # only unlabelled (odd) items
    assert s1.pool == 20


def test_stratified_sample_is_proportional(ws) -> None:
    s = sample_items(ws, 10, strategy="stratified", by="collection")
    got = [r["collection"] for r in s.items]
    pool = [("A" if k % 3 else "B") for k in range(1, 40, 2)]
    quota = 10 * pool.count("B") / len(pool)  # 3.5
    assert len(got) == 10
    assert int(quota) <= got.count("B") <= int(quota) + 1


def test_uncertainty_needs_a_model(ws) -> None:
    with pytest.raises(LabelError, match="needs a model"):
        sample_items(ws, 5, strategy="uncertainty")


def test_uncertainty_picks_the_least_confident(ws) -> None:
    split_labels(ws, test_size=0.3, seed=0)
    train(ws, "threshold", name="len", params={"statistic": "text_length"})
    from glamlab.inference import model_scorer

    mv, scorer = model_scorer(ws, "len")
    s = sample_items(ws, 3, strategy="uncertainty", scorer=scorer, model=mv.spec)
    assert s.model == "len@1"
    u = [r["uncertainty"] for r in s.items]
    assert u == sorted(u, reverse=True)
    # the least confident items sit nearest the learned length threshold
    from glamlab.registry import load_model

    _, model = load_model(ws, "len")
    lengths = [len(ws.item(r["id"]).text or "") for r in s.items]
    others = [len(i.text or "") for i in ws.items() if i.item_id not in {r["id"] for r in s.items}
              and int(i.item_id[1:]) % 2 == 1]
    dist = lambda x: abs(x - model.threshold_)  # noqa: E731
    assert max(map(dist, lengths)) <= min(map(dist, others))
