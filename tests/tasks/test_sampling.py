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


def test_the_test_split_is_chosen_at_random_only(ws) -> None:
    """Labels for the test split come from random or stratified sampling; the items a
    model is unsure about would make the test split a biased sample."""
    split_labels(ws, test_size=0.3, seed=0)
    train(ws, "threshold", name="len", params={"statistic": "text_length"})
    from glamlab.inference import model_scorer
    from glamlab.review import save_label
    from glamlab.tasks.sampling import next_to_label, strategies_for

    mv, scorer = model_scorer(ws, "len")
    with pytest.raises(LabelError, match="must stay a random sample") as exc:
        sample_items(ws, 3, strategy="uncertainty", scorer=scorer, model=mv.spec, split="test")
    assert "split='train'" in exc.value.hint  # Python's words (glamlab.said)
    assert sample_items(ws, 3, strategy="uncertainty", scorer=scorer, model=mv.spec,
                        split="train").items
    assert sample_items(ws, 3, strategy="random", split="test").items
    assert set(strategies_for("test")) == {"random", "stratified"}
    with pytest.raises(LabelError, match="must stay a random sample"):
        next_to_label(ws, strategy="uncertainty", split="test")
    item = next_to_label(ws, strategy="random", split="test")
    with pytest.raises(LabelError, match="must stay a random sample"):
        save_label(ws, "rey", item.item_id, [ws.card.labels[0]], "test", strategy="uncertainty")


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


# -- one sampler: the web app's labelling page means what the command line means -------
def test_stratified_brings_the_labels_towards_each_source_share(make_ws, tmp_path) -> None:
    """Source A has 30 items, B 10; A already has 10 labelled items, B none. The next items
    to label come from B (furthest below its share) on the command line and in the web app."""
    import random

    from glamlab.tasks.sampling import next_to_label

    ws = make_ws(labels=["short", "long"], modality="text")
    add_items(ws, [{"id": f"a{k:02d}", "text": f"a text {k}", "source": "A"} for k in range(30)]
              + [{"id": f"b{k:02d}", "text": f"b text {k}", "source": "B"} for k in range(10)])
    import_labels(ws, write_csv(tmp_path / "l.csv", ["id", "label"],
                                [[f"a{k:02d}", "short"] for k in range(10)]))
    s = sample_items(ws, 5, strategy="stratified", seed=3)
    # 15 labelled then: A's share is 11.25 (it has 10), B's 3.75 (it has 0): 1 and 4
    assert sorted(r["source"] for r in s.items) == ["A", "B", "B", "B", "B"]
    picks = {next_to_label(ws, strategy="stratified", rng=random.Random(k)).item_id[0]
             for k in range(10)}
    assert picks == {"b"}


def test_uncertainty_means_the_kinds_measure_in_the_web_too(make_ws) -> None:
    """Multi-label: unsure is a label near 0.5, not a low top score. The web's labelling
    page (stored predictions) and the command line (a scorer) pick the same item."""
    import random

    from glamlab.tasks.predict import Predicted
    from glamlab.tasks.sampling import next_to_label
    from tests.actions.helpers import add_model, add_predictions

    ws = make_ws(labels=["p", "q"], modality="text", multi_label=True)
    add_items(ws, [{"id": i, "text": i} for i in ("low", "fence", "sure")])
    scores = {"low": {"p": 0.05, "q": 0.1},  # lowest top score, but surely neither
              "fence": {"p": 0.52, "q": 0.95},  # p sits on the fence
              "sure": {"p": 0.99, "q": 0.01}}
    add_predictions(ws, add_model(ws), scores, multi_label=True)
    assert next_to_label(ws, strategy="uncertainty", rng=random.Random(0)).item_id == "fence"

    from glamlab.tasks.kinds import task_kind
    from glamlab.tasks.kinds.classification import Scores

    def scorer(items):
        return Predicted([Scores(["p", "q"], [scores[i.item_id]["p"], scores[i.item_id]["q"]])
                          for i in items])

    s = sample_items(ws, 1, strategy="uncertainty", scorer=scorer, model="m@1")
    assert s.items[0]["id"] == "fence"
    kind = task_kind(ws.card)
    assert s.items[0]["uncertainty"] == round(kind.uncertainty(
        Scores(["p", "q"], [0.52, 0.95])), 4)


def test_texts_with_gold_spans_are_not_offered_for_labelling(make_ws, tmp_path) -> None:
    """An entities project keeps its gold in the span store: a text imported with its
    spans is labelled, so the labelling page must not offer it (with an empty span
    list whose saving would replace them) nor count it as unlabelled."""
    import json

    from glamlab.review import labelling_counts
    from glamlab.tasks.sampling import next_to_label
    from glamlab.tasks.spans import gold_spans, import_spans

    ws = make_ws("ner", task="entities", kind="entities", modality="text",
                 labels=["PER", "LOC"], metric="strict_micro_f1")
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(json.dumps(r) + "\n" for r in [
        {"id": "g1", "text": "Anna went to Paris.",
         "entities": [{"start": 0, "end": 4, "label": "PER"},
                      {"start": 13, "end": 18, "label": "LOC"}]},
        {"id": "g2", "text": "Nothing named here.", "entities": []}]), encoding="utf-8")
    import_spans(ws, gold)
    add_items(ws, [{"id": "u1", "text": "Max lives in Rome."}])

    for strategy in ("random", "stratified"):
        for seed in range(8):
            assert [r["id"] for r in sample_items(ws, 5, strategy=strategy,
                                                  seed=seed).items] == ["u1"]
    assert next_to_label(ws).item_id == "u1"
    assert labelling_counts(ws)["labelled"] == 2
    with pytest.raises(LabelError, match="every item is labelled"):
        sample_items(ws, 1, exclude=["u1"])
    assert [(s.start, s.end, s.label) for s in gold_spans(ws, ["g1"])["g1"]] == [
        (0, 4, "PER"), (13, 18, "LOC")]
