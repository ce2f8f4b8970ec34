"""The span conformance suite: every registered entity predictor must pass it, and every
registered entity predictor must be listed here (``SPAN_CASES``).

Data: real sentences of NewsEye (CC BY 4.0, ``tests/data/ner/newseye-sample.csv``)."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import pytest

from glamlab.errors import ItemError, NotFittedError, PredictorError
from glamlab.items import Item
from glamlab.predictors.base import Predictor
from glamlab.predictors.catalogue import available, create, get
from glamlab.predictors.entities.base import SpanPredictor
from glamlab.predictors.entities.corpus import read_sentences
from glamlab.predictors.entities.tokens import Span

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "ner" / "newseye-sample.csv"
TYPES = ["LOC", "ORG", "PER", "PROD", "TIME"]

# name -> (params, slow)
SPAN_CASES: dict[str, tuple[dict[str, Any], bool]] = {
    "gazetteer": ({}, False),
    "entity-rules": ({}, False),
    "crf-ner": ({"max_iterations": 20}, False),
    "spacy-pretrained": ({"model": "fr_core_news_sm"}, False),
    "spacy-ner": ({"base": "blank:fr", "epochs": 1}, True),
    "entities-by-language": ({"models": {
        "fr": {"predictor": "gazetteer"},
        "*": {"predictor": "crf-ner", "params": {"max_iterations": 10}}}}, False),
}


def span_predictor_names() -> list[str]:
    """Registered predictors that find spans (they skip the classification suite)."""
    out = []
    for name, spec in available().items():
        if spec.startswith("glamlab.predictors.entities.") or (
                name in SPAN_CASES and issubclass(get(name), SpanPredictor)):
            out.append(name)
    return sorted(out)


def test_every_registered_span_predictor_is_in_the_suite() -> None:
    assert sorted(SPAN_CASES) == span_predictor_names()
    for name in SPAN_CASES:
        assert issubclass(get(name), SpanPredictor)


def _data() -> tuple[list[str], list[list[Span]], list[str]]:
    rows = read_sentences(SAMPLE)
    return [r.text for r in rows], [list(r.spans) for r in rows], [r.lang for r in rows]


def _params() -> list[Any]:
    return [pytest.param(n, marks=[pytest.mark.slow] if slow else [], id=n)
            for n, (_, slow) in sorted(SPAN_CASES.items())]


@pytest.mark.parametrize("name", _params())
def test_span_conformance(name: str, tmp_path: Path) -> None:
    params, _ = SPAN_CASES[name]
    texts, spans, langs = _data()

    p = create(name, **params)
    assert isinstance(p, SpanPredictor) and isinstance(p, Predictor) and p.name == name
    assert type(p)(**p.get_params()).get_params() == p.get_params()
    assert not any(k.endswith("_") and not k.startswith("_") for k in vars(p))
    with pytest.raises(PredictorError):
        p.set_params(no_such_parameter=1)
    with pytest.raises(NotFittedError):
        p.predict_spans(texts[:1])
    with pytest.raises(PredictorError):
        p.fit(texts, spans[:-1])
    bad = [list(s) for s in spans]
    bad[0] = [Span(0, len(texts[0]) + 5, "PER")]
    with pytest.raises(PredictorError, match="outside"):
        p.fit(texts, bad, classes=TYPES)

    assert p.fit(texts, spans, langs=langs, classes=TYPES) is p
    assert p.training_["sentences"] == len(texts)
    assert p.training_["spans"] == sum(len(s) for s in spans)
    got = p.predict_spans(texts, langs=langs)
    assert len(got) == len(texts)
    for text, ss in zip(texts, got, strict=True):
        prev = -1
        for s in ss:
            assert isinstance(s, Span) and 0 <= s.start < s.end <= len(text)
            assert s.start >= prev and s.label in p.classes_ and 0.0 <= s.score <= 1.0
            assert text[s.start].strip() and text[s.end - 1].strip()  # whole tokens
            prev = s.end
    assert p.predict_spans([]) == []
    assert p.predict_spans([""]) == [[]]
    with pytest.raises(PredictorError):
        p.predict_proba([Item("a", "text", text="Paris")])

    # items: the language from the metadata; an item without text is named
    items = [Item(f"i{k}", "text", text=t, meta={"lang": lang})
             for k, (t, lang) in enumerate(zip(texts[:5], langs[:5], strict=True))]
    assert p.predict_items(items) == got[:5]
    with pytest.raises(ItemError) as exc:
        p.predict_items([Item("empty", "text", text=None)])
    assert exc.value.item == "empty"

    # save / load round-trip (a pickled copy too: workers receive predictors pickled)
    files = p.save(tmp_path / "m")
    assert files and all(f.exists() for f in files)
    q = Predictor.load(tmp_path / "m")
    assert type(q) is type(p)
    assert q.predict_spans(texts, langs=langs) == got
    card = q.card()
    assert card["task"] == "entities" and card["trained_on"]["sentences"] == len(texts)
    if name not in {"spacy-ner", "spacy-pretrained"}:
        r = pickle.loads(pickle.dumps(q))
        assert r.predict_spans(texts[:10], langs=langs[:10]) == got[:10]
