"""The conformance suite: every registered task kind must pass it, and every registered
kind must be listed here (like tests/predictors/test_conformance.py for predictors).

To add a kind, add ONE entry to ``EXAMPLES``: its name -> :class:`Example`, a tiny real
task of that kind (the card, items with their gold labels as a labels file would give
them, a predictor the kind can fit, and what a perfect prediction of each item is).
"""

from __future__ import annotations

import json
import pickle
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import numpy as np
import pytest

from glamlab.config import ProjectCard
from glamlab.errors import ConfigError
from glamlab.items import Item
from glamlab.predictors.catalogue import available as predictors_available
from glamlab.predictors.catalogue import create
from glamlab.tasks.kinds import (
    Candidate,
    ItemStats,
    LabelRow,
    StoredPrediction,
    TaskKind,
    available,
    task_kind,
)
from glamlab.tasks.kinds.classification import Scores
from glamlab.tasks.predict import predict_items


@dataclass
class Example:
    card: dict[str, Any]  # ProjectCard fields (name and task are filled in)
    items: list[Item]
    cells: list[str]  # each item's gold label as one cell of a labels file
    form: list[list[str]]  # each item's gold label as the labelling widget submits it
    predictor: Callable[[], Any]  # a fresh predictor this kind can fit
    perfect: Callable[[TaskKind[Any, Any], list[Any]], list[Any]]  # golds -> predictions
    bad_cells: list[str] = field(default_factory=list)


def _texts(n: int) -> list[Item]:
    words = ["the sea at dusk", "a portrait of a man", "the old church", "boats in a storm",
             "a woman reading", "the town hall", "fishing nets", "a child with a dog"]
    return [Item(f"t{i}", "text", text=words[i % len(words)], content_hash=f"h{i}")
            for i in range(n)]


def _perfect_scores(kind: TaskKind[Any, Any], golds: list[Any]) -> list[Scores]:
    labels = list(kind.labels)
    return [Scores(labels, [1.0 if c in g else 0.0 for c in labels]) for g in golds]


# short French sentences written in the style of HIPE-2020 (19th-century Swiss news),
# with their gold spans in the JSON form of the shared labels.csv
_NER = [
    ("Le général Dufour arrive à Genève ce matin .", [(11, 17, "PER"), (27, 33, "LOC")]),
    ("On écrit de Berne que le Conseil fédéral a siégé .", [(12, 17, "LOC"),
                                                           (25, 40, "ORG")]),
    ("M. Dufour est reparti pour Berne .", [(3, 9, "PER"), (27, 32, "LOC")]),
    ("Le Conseil fédéral a reçu le ministre de France .", [(3, 18, "ORG"), (41, 47, "LOC")]),
    ("Genève et Berne ont fêté le 1er août .", [(0, 6, "LOC"), (10, 15, "LOC"),
                                                (28, 36, "TIME")]),
    ("Le Journal de Genève annonce la visite .", [(3, 20, "PROD")]),
]


def _ner_items() -> list[Item]:
    return [Item(f"t{i}", "text", text=text, content_hash=f"n{i}", meta={"lang": "fr"})
            for i, (text, _) in enumerate(_NER)]


def _ner_cells() -> list[str]:
    return [json.dumps([{"start": a, "end": b, "label": t} for a, b, t in spans])
            for _, spans in _NER]


def _perfect_spans(kind: TaskKind[Any, Any], golds: list[Any]) -> list[Any]:
    import dataclasses

    return [[dataclasses.replace(s, score=1.0) for s in g] for g in golds]


EXAMPLES: dict[str, Example] = {
    "entities": Example(
        card={"modality": "text", "labels": ["PER", "LOC", "ORG", "PROD", "TIME"],
              "metric": "strict_micro_f1"},
        items=_ner_items(),
        cells=_ner_cells(),
        form=[[c] for c in _ner_cells()],
        predictor=lambda: create("gazetteer"),
        perfect=_perfect_spans,
        bad_cells=['[{"start": 0, "end": 2, "label": "ANIMAL"}]',
                   '[{"start": 0, "end": 9, "label": "PER"}, {"start": 3, "end": 12, '
                   '"label": "LOC"}]', "not json", '[{"start": 5, "end": 2, "label": "PER"}]'],
    ),
    "single-label": Example(
        card={"modality": "text", "labels": ["nature", "people"], "metric": "f1_macro"},
        items=_texts(8),
        cells=["nature", "people", "nature", "nature", "people", "nature", "nature", "people"],
        form=[["nature"], ["people"], ["nature"], ["nature"], ["people"], ["nature"],
              ["nature"], ["people"]],
        predictor=lambda: create("majority"),
        perfect=_perfect_scores,
        bad_cells=["sky", "nature|people"],
    ),
    "multi-label": Example(
        card={"modality": "text", "labels": ["nature", "people", "places"], "multi_label": True,
              "metric": "f1_samples"},
        items=_texts(8),
        cells=["nature", "people", "places|nature", "nature|places", "people", "places",
               "nature", "people|places"],
        form=[["nature"], ["people"], ["places", "nature"], ["nature", "places"], ["people"],
              ["places"], ["nature"], ["people", "places"]],
        predictor=lambda: create("majority"),
        perfect=_perfect_scores,
        bad_cells=["sky", "nature|sky"],
    ),
}


def _card(name: str, **extra: Any) -> ProjectCard:
    spec = {**EXAMPLES[name].card, **extra}
    return ProjectCard(name="conformance", task="conformance", kind=name, **spec)


def test_every_registered_kind_is_in_the_suite() -> None:
    missing = sorted(set(available()) - set(EXAMPLES))
    assert not missing, f"registered task kinds missing from EXAMPLES: {missing}"
    assert not sorted(set(EXAMPLES) - set(available()))


@pytest.fixture(params=sorted(EXAMPLES))
def case(request: pytest.FixtureRequest) -> tuple[str, Example, TaskKind[Any, Any]]:
    name = request.param
    return name, EXAMPLES[name], task_kind(_card(name))


def test_the_kind_describes_itself(case) -> None:
    name, ex, kind = case
    assert kind.name == name and type(kind).name == name and kind.description
    assert kind.metrics and kind.default_metric in kind.metrics
    assert set(kind.headline_metrics()) >= {ex.card["metric"]}
    assert ex.card["modality"] in kind.modalities
    templates = resources.files("glamlab") / "web" / "templates"
    for widget in (kind.label_widget, kind.review_widget):
        assert widget and (templates / widget).is_file(), widget
    for baseline, _params in kind.baselines(rules=None, threshold=None, seed=0):
        assert baseline in predictors_available()
    restored = pickle.loads(pickle.dumps(kind))  # it travels to worker processes
    assert type(restored) is type(kind) and restored.labels == kind.labels


def test_a_card_the_kind_cannot_serve_is_refused(case) -> None:
    name, _ex, kind = case
    with pytest.raises(ConfigError, match="metric"):
        task_kind(_card(name, metric="no-such-metric"))
    with pytest.raises(ConfigError, match="option"):
        task_kind(_card(name), no_such_option=1)
    with pytest.raises(ConfigError, match="modality|reads"):
        task_kind(_card(name, modality="video"))


def test_gold_labels_parse_store_and_come_back(case) -> None:
    _name, ex, kind = case
    golds = [kind.parse_gold(cell) for cell in ex.cells]
    for cell, gold, form in zip(ex.cells, golds, ex.form, strict=True):
        rows = kind.gold_rows(gold)
        assert rows and all(isinstance(r, LabelRow) and isinstance(r.label, str) for r in rows)
        json.dumps([r.value for r in rows])  # values are JSON
        # what is stored comes back as it went in (also through the JSON columns)
        stored = [LabelRow(r.label, json.loads(json.dumps(r.value))) for r in rows]
        assert kind.gold_key(kind.gold_from_rows(stored)) == kind.gold_key(gold)
        json.dumps(kind.gold_key(gold))
        assert kind.merge_gold(gold, gold) is not None  # the same row twice is no conflict
        assert all(isinstance(s, str) for s in kind.strata(gold))
        from_form = kind.gold_from_form(form)
        assert kind.gold_key(kind.gold_from_rows(kind.gold_rows(from_form))) == kind.gold_key(gold)
        assert kind.parse_gold(cell) == gold
    for bad in ex.bad_cells:
        with pytest.raises(ValueError):
            kind.parse_gold(bad)
    with pytest.raises(ValueError):
        kind.gold_from_form([])
    assert len(kind.targets(golds)) == len(golds)


def test_predictions_are_made_stored_and_read_back(case) -> None:
    _name, ex, kind = case
    golds = [kind.parse_gold(cell) for cell in ex.cells]
    predictor = kind.fit(ex.predictor(), ex.items, golds)
    kind.check_predictor(predictor)
    preds = kind.predict(predictor, ex.items)
    assert len(preds) == len(ex.items)
    rows = kind.to_rows(ex.items, preds)
    for item, p, row in zip(ex.items, preds, rows, strict=True):
        assert kind.problem(p) is None
        s = kind.to_stored(p)
        assert isinstance(s, StoredPrediction) and all(isinstance(x, str) for x in s.labels)
        assert row[0] == item.item_id and (row[1], json.loads(row[2]), json.loads(row[3]),
                                           row[4]) == (s.label, s.labels, s.scores, s.score)
        back = kind.from_stored(s.label, s.labels, json.loads(json.dumps(s.scores)), s.score)
        assert kind.candidates(back) == kind.candidates(p)
        for c in kind.candidates(p):
            assert isinstance(c, Candidate) and 0.0 <= c.score <= 1.0
            json.dumps(c.value)
            assert isinstance(kind.metadata_value(c), str)
            assert set(kind.export_values(c)) == set(kind.export_columns)
            assert kind.annotation_selector(c) is None or isinstance(
                kind.annotation_selector(c), dict)
        assert 0.0 <= kind.uncertainty(p) <= 1.0
    with pytest.raises((ValueError, TypeError)):
        kind.candidates(kind.from_stored(None, [], "not scores", None))


def test_perfect_predictions_score_best_and_failures_count_as_wrong(case) -> None:
    _name, ex, kind = case
    golds = [kind.parse_gold(cell) for cell in ex.cells]
    perfect = ex.perfect(kind, golds)
    n = len(golds)
    reduce = kind.reducer()
    best = kind.item_stats(golds, perfect)
    none = kind.item_stats(golds, [None] * n)
    fitted = kind.item_stats(golds, kind.predict(kind.fit(ex.predictor(), ex.items, golds),
                                                 ex.items))
    for stats in (best, none, fitted):
        assert isinstance(stats, ItemStats) and stats.S.shape[0] == n
        assert stats.correct is None or stats.correct.shape == (n,)
    top = reduce(best.S.sum(axis=0), float(n))
    worst = reduce(none.S.sum(axis=0), float(n))
    some = reduce(fitted.S.sum(axis=0), float(n))
    for metric in kind.headline_metrics():  # every metric: higher is better
        assert np.isfinite(top[metric]) and np.isfinite(worst[metric])
        assert top[metric] >= some[metric] >= worst[metric], metric
        assert top[metric] > worst[metric], metric
    # resamples: the reducer takes any leading shape (the bootstrap's W @ S)
    sums = np.stack([best.S.sum(axis=0), none.S.sum(axis=0)])
    both = reduce(sums, np.array([float(n), float(n)]))
    assert np.allclose(both[kind.metric], [top[kind.metric], worst[kind.metric]])
    breakdown = kind.breakdown_labels()
    if breakdown:
        for key in ("precision", "recall", "f1", "support"):
            assert np.shape(top[key]) == (len(breakdown),)
    # what a person accepts from a perfect prediction is the gold label, and it is right
    for gold, p in zip(golds, perfect, strict=True):
        cands = kind.candidates(p)
        assert cands and kind.is_correct(cands[0], gold)
        kind.validate_candidate(cands[0])
        accepted = kind.accepted(None, cands[0])
        assert kind.gold_from_rows(kind.gold_rows(accepted)) is not None


def test_one_bad_item_fails_alone(case) -> None:
    _name, ex, kind = case
    golds = [kind.parse_gold(cell) for cell in ex.cells]
    predictor = kind.fit(ex.predictor(), ex.items, golds)
    real = kind.predict

    def picky(pred, items):  # as if the predictor could not read t3
        if any(i.item_id == "t3" for i in items):
            raise RuntimeError("cannot read t3")
        return real(pred, items)

    kind.predict = picky  # type: ignore[method-assign]
    res = predict_items(kind, predictor, ex.items, batch_size=4)
    assert [p is None for p in res.predictions] == [i.item_id == "t3" for i in ex.items]
    assert res.failures == [("t3", "RuntimeError: cannot read t3")]
