"""Text classifiers: TF-IDF and embedding heads, metadata fields, tuned thresholds,
zero-shot descriptions from glamlab.toml, the bundled tokenizer, bad input."""

from __future__ import annotations

import csv
import hashlib

import numpy as np
import pytest

from glamlab.errors import ConfigError
from glamlab.items import Item
from glamlab.predictors.text.embed import MINILM_TOKENIZER, encoder
from glamlab.predictors.text.ensemble import EnsembleClassifier
from glamlab.predictors.text.heads import TextClassifier
from glamlab.predictors.text.zero_shot import ZeroShotClassifier, descriptions_from_card

# a tiny, readable catalogue: the medium alone tells prints from paintings
RECORDS = [
    ("Storm over the sea", "oil paint on canvas", ["nature", "painting"]),
    ("Waves at dusk", "oil paint on canvas", ["nature", "painting"]),
    ("Portrait of a man", "oil paint on canvas", ["people", "painting"]),
    ("Woman reading", "oil paint on canvas", ["people", "painting"]),
    ("Mountain lake", "etching on paper", ["nature", "print"]),
    ("Forest path", "etching on paper", ["nature", "print"]),
    ("The blacksmith", "etching on paper", ["people", "print"]),
    ("Girl with a dog", "etching on paper", ["people", "print", "nature"]),
    ("River in spring", "oil paint on board", ["nature", "painting"]),
    ("Head of a boy", "lithograph on paper", ["people", "print"]),
    ("Trees in winter", "lithograph on paper", ["nature", "print"]),
    ("Old fisherman", "oil paint on canvas", ["people", "painting"]),
]


def records() -> tuple[list[Item], list[list[str]]]:
    items = [Item(item_id=f"r{i}", modality="text", text=t, meta={"medium": m})
             for i, (t, m, _) in enumerate(RECORDS)]
    return items, [ys for _, _, ys in RECORDS]


def test_metadata_fields_are_features():
    items, labels = records()
    with_field = TextClassifier(fields=("medium",), cv=0).fit(items, labels, multi_label=True)
    new = [Item("n1", "text", text="Harbour", meta={"medium": "etching on paper"}),
           Item("n2", "text", text="Harbour", meta={"medium": "oil paint on canvas"})]
    p = with_field.predict_proba(new)
    col = with_field.classes_.index("print")
    assert p[0, col] > 0.5 > p[1, col]
    as_string = TextClassifier(fields="medium", cv=0).fit(items, labels, multi_label=True)
    assert np.allclose(as_string.predict_proba(new), p)  # "a,b" as from --param fields=a,b
    without = TextClassifier(cv=0).fit(items, labels, multi_label=True).predict_proba(new)
    assert np.allclose(without[0], without[1])  # same title, nothing else to tell them apart


def test_multilabel_thresholds_are_tuned_and_min_labels_kept():
    items, labels = records()
    m = TextClassifier(fields=("medium",), cv=3).fit(items, labels, multi_label=True)
    assert m.thresholds_.shape == (len(m.classes_),)
    assert ((m.thresholds_ >= 0.02) & (m.thresholds_ <= 0.98)).all()
    preds = m.predict(items + [Item("e", "text", text="")])
    assert all(len(p) >= 1 for p in preds)


def test_single_label_rows_sum_to_one_and_round_trip(tmp_path):
    items, labels = records()
    single = [ys[-1] if ys[-1] in ("painting", "print") else ys[1] for ys in labels]
    m = TextClassifier(fields=("medium",)).fit(items, single)
    p = m.predict_proba(items)
    assert np.allclose(p.sum(axis=1), 1)
    m.save(tmp_path / "m")
    again = TextClassifier.load(tmp_path / "m")
    assert np.allclose(again.predict_proba(items), p)


@pytest.mark.parametrize("bad", ["", "   ", "\x00\x01\x02" * 100, None])
def test_bad_input_gets_low_scores_not_a_crash(bad):
    items, labels = records()
    m = TextClassifier(cv=0).fit(items, labels, multi_label=True)
    p = m.predict_proba([Item("bad", "text", text=bad)])
    assert p.shape == (1, len(m.classes_)) and (p < 0.5).all()


def test_huge_text_is_truncated():
    items, labels = records()
    m = TextClassifier(cv=0, max_chars=5000).fit(items, labels, multi_label=True)
    big = Item("big", "text", text="storm over the sea " * 600_000)  # ~11 MB
    assert m.predict_proba([big]).shape == (1, len(m.classes_))


def test_bundled_tokenizer_and_licence():
    data = MINILM_TOKENIZER.read_bytes()
    assert hashlib.sha256(data).hexdigest() == (
        "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037")
    licence = (MINILM_TOKENIZER.parent / "LICENSE.txt").read_text()
    assert "Apache License" in licence and "Version 2.0" in licence


def test_minilm_embeddings_are_meaningful():
    vecs = encoder("minilm").encode(["A dog runs in the park", "A puppy playing on the grass",
                                     "Quarterly tax report for the ministry"])
    assert vecs.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1, atol=1e-4)
    sims = vecs @ vecs.T
    assert sims[0, 1] > sims[0, 2] + 0.2


@pytest.mark.slow
def test_embedding_heads_learn(shared_data):
    with open(shared_data / "subject_indexing" / "dev" / "labels.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))[:240]
    items = [Item(r["id"], "text", text=r["path_or_text"], meta={"medium": r["medium"]})
             for r in rows]
    labels = [r["label"].split("|") for r in rows]
    for enc in ("minilm", "e5"):
        m = TextClassifier(encoder=enc, tfidf=False, cv=2).fit(items[:160], labels[:160],
                                                              multi_label=True)
        pred = m.predict(items[160:])
        f1 = np.mean([2 * len(set(p) & set(g)) / (len(p) + len(g))
                      for p, g in zip(pred, labels[160:], strict=True)])
        assert f1 > 0.3, enc


def test_zero_shot_from_card_descriptions(make_ws):
    ws = make_ws("zs", modality="text", labels=["nature", "people", "religion"], multi_label=True)
    ws.card.raw["labels"] = {"descriptions": {
        "nature": "landscape, sea, mountains, trees, animals and plants",
        "people": "a portrait of a person, a man, a woman or a child",
        "religion": "church, saints, the Bible, Christ, prayer and worship"}}
    ws.save_card()
    desc = descriptions_from_card(ws.card.raw)
    m = ZeroShotClassifier(descriptions=desc, encoder="minilm").fit([], [], classes=ws.card.labels,
                                                                   multi_label=False)
    texts = ["Storm over the mountains and the sea", "Portrait of the artist's wife",
             "The crucifixion of Christ"]
    assert m.predict([Item(f"z{i}", "text", text=t) for i, t in enumerate(texts)]) == [
        "nature", "people", "religion"]
    from_file = ZeroShotClassifier(card_path=str(ws.root / "glamlab.toml"), encoder="minilm").fit(
        [], [], classes=ws.card.labels)
    assert from_file.label_texts_ == m.label_texts_
    with pytest.raises(ConfigError, match="labels the task does not have"):
        ZeroShotClassifier(descriptions={"animals": "cats"}).fit([], [], classes=ws.card.labels)
    with pytest.raises(ConfigError, match="must map each label"):
        descriptions_from_card({"labels": {"descriptions": {"nature": 3}}})


def test_ensemble_cut_is_tuned_out_of_fold_and_round_trips(tmp_path):
    items, labels = records()
    for i, it in enumerate(items):
        it.meta["creator"] = f"artist{i // 2}"  # two records per artist: grouped folds
    m = EnsembleClassifier(heads=("tfidf", "minilm"), knn=("minilm",), fields=("medium",),
                           cv=3, k=5, group_field="creator").fit(items, labels, multi_label=True)
    t, r, limit = m.cut_
    assert t in EnsembleClassifier.CUT_T and r in EnsembleClassifier.CUT_R
    assert limit in EnsembleClassifier.CUT_LIMIT
    W, b = m.calibration_  # per-label calibration of (heads, kNN) scores, fitted out of fold
    assert W.shape == (len(m.classes_), 2) and b.shape == (len(m.classes_),)
    p = m.predict_proba(items)
    kept = p >= 0.5
    assert kept.any(axis=1).all()  # the best label is always kept
    # within a record, every kept label outranks every dropped one
    assert all(row[k].min() > row[~k].max() for row, k in zip(p, kept, strict=True) if (~k).any())
    new = [Item("n1", "text", text="Harbour", meta={"medium": "etching on paper"})]
    assert "print" in m.predict(new)[0]
    m.save(tmp_path / "m")
    assert np.allclose(EnsembleClassifier.load(tmp_path / "m").predict_proba(items), p)
    bad = m.predict_proba([Item("bad", "text", text="\x00\x01\x02" * 100)])
    assert (bad < 0.5).all()


def test_ensemble_without_calibration_mixes_with_one_weight():
    items, labels = records()
    m = EnsembleClassifier(heads=("tfidf",), knn=("minilm",), fields=("medium",), cv=3, k=5,
                           calibrate=False).fit(items, labels, multi_label=True)
    assert m.calibration_ is None
    assert m.knn_weight_ in EnsembleClassifier.KNN_WEIGHTS  # chosen with the cut
    p = m.predict_proba(items)
    assert (p >= 0.5).any(axis=1).all()
    cal = EnsembleClassifier(heads=("tfidf",), knn=("minilm",), fields=("medium",), cv=3, k=5
                             ).fit(items, labels, multi_label=True)
    # a label's calibrated score rises when its head and kNN scores rise together (one
    # weight alone may be negative: the two scores are strongly correlated)
    W, _ = cal.calibration_
    both = np.array([[y in ys for y in cal.classes_] for ys in labels])
    varied = both.any(axis=0) & ~both.all(axis=0)
    assert (W[varied].sum(axis=1) > 0).all()


def test_ensemble_refuses_unknown_scorers_and_does_single_label():
    items, labels = records()
    with pytest.raises(Exception, match="bad scorers"):
        EnsembleClassifier(heads=("bert",)).fit(items, labels, multi_label=True)
    single = [ys[-1] if ys[-1] in ("painting", "print") else ys[1] for ys in labels]
    m = EnsembleClassifier(heads=("tfidf",), knn=("minilm",), fields="medium", k=3).fit(
        items, single)
    p = m.predict_proba(items)
    assert np.allclose(p.sum(axis=1), 1)


def test_embedding_cache_key_names_the_cleaning_and_the_encoder_version(monkeypatch):
    """A new clean-up or new encoder weights must not reuse the cached vectors: the
    feature key changes with either."""
    import importlib.metadata

    from glamlab.predictors.text import normalize
    from glamlab.predictors.text.embed import TextEmbedding

    real = importlib.metadata.version
    for name in ("minilm", "e5"):
        before = TextEmbedding(name).key
        assert TextEmbedding(name).key == before  # stable while nothing changes
        with monkeypatch.context() as m:
            m.setattr(normalize, "CLEANING_VERSION",
                      getattr(normalize, "CLEANING_VERSION", 1) + 1, raising=False)
            assert TextEmbedding(name).key != before
        with monkeypatch.context() as m:
            m.setattr(importlib.metadata, "version", lambda d: real(d) + ".post1")
            assert TextEmbedding(name).key != before
        assert TextEmbedding(name).key == before
        assert len(before) <= 100  # the features table's extractor column
