"""Language identification: codes, OCR repair, bad input, peers, calibration, abstention."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from glamlab.errors import PredictorError
from glamlab.items import Item
from glamlab.predictors.language import codes
from glamlab.predictors.language.combined import CombinedLanguage
from glamlab.predictors.language.lexicon import lexicon_evidence, lexicon_languages
from glamlab.predictors.language.peers import PEERS, LinguaLanguage
from glamlab.predictors.text.normalize import prepare, repair_ocr

LANGS = ["de", "en", "fi", "fr", "sv"]


def items(*texts: object) -> list[Item]:
    return [Item(item_id=f"t{i}", modality="text", text=t) for i, t in enumerate(texts)]  # type: ignore[arg-type]


@pytest.mark.parametrize(("raw", "want"), [
    ("en", "en"), ("EN", "en"), ("eng", "en"), ("en-GB", "en"), ("pt_BR", "pt"),
    ("no", "nb"), ("nob", "nb"), ("__label__de", "de"), ("ger", "de"), ("BOKMAL", "nb"),
    ("French", "fr"), ("grc", "grc"), ("", "und"), (None, "und"), ("zxx", "und"),
])
def test_codes_normalise(raw, want):
    assert codes.normalize(raw) == want


def test_codes_to_639_3():
    assert [codes.to_639_3(c) for c in ("en", "nb", "fra", "und")] == ["eng", "nob", "fra", "und"]


def test_ocr_repair():
    assert repair_ocr("Die Ver¬ einigung der Gemeinſchaft") == "Die Vereinigung der Gemeinschaft"
    assert repair_ocr("le ﬁls et la ﬂeur") == "le fils et la fleur"
    assert repair_ocr("Verei-\nnigung |  ■ 1848 Seite") == "Vereinigung Seite"
    assert repair_ocr("cœur et sæter") == "cœur et sæter"  # letters kept by default
    assert repair_ocr("cœur et sæter", fold_ae_oe=True) == "coeur et saeter"


@pytest.mark.parametrize(("raw", "reason"), [
    ("", "empty text"), ("   \n\t ", "empty text"), (None, "no text"),
    (bytes(range(256)) * 4, "binary"), ("\x00\x01\x02\x03garbage\x04\x05\x06\x07\x08" * 10, "binary"),
    ("12345 67890 !!! ???", "too few letters"), ("Hello мир こんにちは world привет", "mixed scripts"),
])
def test_bad_input_gets_a_defined_answer(raw, reason):
    check = prepare(raw)
    assert check.abstain is not None and reason in check.abstain


def test_huge_text_is_truncated_with_a_note():
    check = prepare("the cat sat on the mat " * 500_000)  # ~11 MB
    assert check.abstain is None
    assert len(check.text) <= 20_000
    assert check.notes and "truncated from 11,500,000" in check.notes[0]


@pytest.fixture(scope="module")
def combined() -> CombinedLanguage:
    return CombinedLanguage().fit([], [], classes=LANGS)  # type: ignore[return-value]


def test_combined_reads_clean_and_ocr_text(combined):
    texts = ["The committee met on Tuesday to discuss the harbour.",
             "Die Geſellſchaft hat beſchloſſen, die Ver¬ ſammlung zu vertagen.",
             "Le conſeil municipal s'eſt réuni hier ſoir à la mairie.",
             "Kunnallisvaltuusto kokoontui eilen illalla kaupungintalolla.",
             "Styrelsen har beslutat att skjuta upp mötet till nästa vecka."]
    assert combined.predict(items(*texts)) == ["en", "de", "fr", "fi", "sv"]
    proba = combined.predict_proba(items(*texts))
    assert np.allclose(proba.sum(axis=1), 1.0)


def test_combined_abstains_on_bad_input_and_never_crashes(combined):
    big = "Das ist ein ganz normaler deutscher Satz über das Wetter. " * 200_000  # ~11 MB
    bad = items("", bytes(range(256)) * 8, "Hello мир こんにちは world привет", "?? 12", big)
    proba = combined.predict_proba(bad)
    assert np.allclose(proba[:4], 1 / len(LANGS))  # uniform: below any accept threshold
    assert combined.predict(bad) == ["und", "und", "und", "und", "de"]
    guesses = combined.detect(bad)
    assert [g.language for g in guesses] == ["und", "und", "und", "und", "de"]
    assert guesses[0].reason == "empty text"
    assert "truncated" in guesses[4].notes[0]


def test_peers_share_the_language_set():
    for name, cls in PEERS.items():
        peer = cls().fit([], [], classes=["eng", "German", "fr"])
        assert peer.codes_ == ["en", "de", "fr"], name
        p = peer.predict_proba(items("Guten Morgen, wie geht es Ihnen heute?"))
        assert p.shape == (1, 3) and p[0].argmax() == 1, name


def test_lexicon_evidence_counts_known_words_only_in_languages_with_a_list():
    langs = ["en", "it", "la", "cy", "ro"]
    # wordfreq would answer Latin with Italian's list and Welsh with English's: not used
    assert lexicon_languages(langs) == ["en", "it", "ro"]
    ev = lexicon_evidence(["guide expenditures", "prima impresie", "", "12 345 !!",
                           "xqzv wprtk"], langs)
    assert ev.shape == (5, 5)
    assert ev[0].argmax() == 0 and ev[0, 0] > ev[0, 1] > 0  # both words English
    assert ev[1].argmax() == 4  # "impresie" is Romanian
    assert (ev[:, 2:4] == 0).all()  # no list, no evidence
    assert (ev[2:] == 0).all()  # no words, or no word any list knows


def test_without_wordfreq_the_combination_fits_without_the_lexicon(monkeypatch, caplog):
    import glamlab.predictors.language.combined as combined
    from glamlab.errors import MissingDependency

    def missing(_codes):
        raise MissingDependency("wordfreq", "text")

    monkeypatch.setattr(combined, "lexicon_languages", missing)
    texts = ["The committee met on Tuesday.", "Die Sitzung wurde vertagt.",
             "Le conseil s'est réuni hier.", "Kokous siirrettiin.", "Mötet sköts upp."] * 8
    model = CombinedLanguage().fit(items(*texts), ["en", "de", "fr", "fi", "sv"] * 8,
                                   classes=LANGS)
    assert model.lexicon_ == () and len(model.weights_) == 2 * len(model.peers)
    assert "wordfreq is not installed" in caplog.text
    assert model.predict(items("Das Wetter ist heute schön.")) == ["de"]


def test_labels_that_are_not_languages_are_refused():
    with pytest.raises(PredictorError, match="not languages"):
        LinguaLanguage().fit([], [], classes=["blank", "content"])


@pytest.mark.slow
def test_fit_learns_weights_on_shared_data(shared_data, tmp_path):
    with open(shared_data / "language_id" / "dev" / "labels.csv", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["label"] in LANGS]
    train, test = rows[::2], rows[1::2]
    model = CombinedLanguage().fit(items(*[r["path_or_text"] for r in train]),
                                   [r["label"] for r in train], classes=LANGS)
    assert model.fitted_on_ == len(train)
    j = len(model.peers)
    default = CombinedLanguage().fit([], [], classes=LANGS).weights_
    assert len(default) == 2 * j and np.allclose(default[:j], 1 / j)  # unfitted: no lexicon
    assert not np.allclose(model.weights_[:j], 1 / j)
    pred = model.predict_proba(items(*[r["path_or_text"] for r in test])).argmax(axis=1)
    acc = np.mean([LANGS[p] == r["label"] for p, r in zip(pred, test, strict=True)])
    assert acc > 0.9
    model.save(tmp_path / "m")
    again = CombinedLanguage.load(tmp_path / "m")
    assert np.allclose(again.weights_, model.weights_)
    # the optional character n-gram voter gets its own learned weight
    chars = CombinedLanguage(char_model=True).fit(
        items(*[r["path_or_text"] for r in train]), [r["label"] for r in train], classes=LANGS)
    # channels: peers, the character model, then the lexicon's evidence and no-list flag
    assert chars.char_ is not None and len(chars.weights_) == 2 * (len(chars.peers) + 1 + 2)
    assert chars.predict_proba(items("Das Wetter ist heute schön.")).argmax() == LANGS.index("de")
    # the word-frequency evidence gets a learned, positive weight
    assert model.lexicon_ == tuple(LANGS)
    assert model.weights_[len(model.peers)] > 0
    plain = CombinedLanguage(lexicon=False).fit(
        items(*[r["path_or_text"] for r in train]), [r["label"] for r in train], classes=LANGS)
    assert plain.lexicon_ == () and len(plain.weights_) == 2 * len(plain.peers)


@pytest.mark.slow
def test_fast_path_gate_is_chosen_on_training_items_and_only_skips_sure_texts(shared_data):
    with open(shared_data / "language_id" / "dev" / "labels.csv", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["label"] in LANGS]
    train, test = rows[::2], rows[1::2]
    x, y = items(*[r["path_or_text"] for r in train]), [r["label"] for r in train]
    gated = CombinedLanguage().fit(x, y, classes=LANGS)
    assert gated.gate_at_ in CombinedLanguage.GATE_CHOICES
    assert gated.gate_weights_ is not None and len(gated.gate_weights_) == 2
    full = CombinedLanguage(gate=None).fit(x, y, classes=LANGS)
    test_items = items(*[r["path_or_text"] for r in test])
    pg, pf = gated.predict_proba(test_items), full.predict_proba(test_items)
    assert np.allclose(pg.sum(axis=1), 1.0)
    differ = ~np.isclose(pg, pf).all(axis=1)
    # items answered by the fast path are exactly those its one-peer model is sure of
    assert differ.any() and (pg[differ].max(axis=1) >= gated.gate_at_ - 1e-9).all()
    # an impossible gate sends every text through every peer
    never = CombinedLanguage(gate_at=1.01).fit(x, y, classes=LANGS)
    assert np.allclose(never.predict_proba(test_items), pf)


def test_the_language_model_is_calibrated_out_of_fold_and_counts_as_trained(make_ws):
    """language learns its weights from the training labels, but counted as a predictor
    that learns nothing: act's thresholds and evaluate's choice scored its predictions
    of the very items it was fitted on, reported as out-of-fold, and train said it was
    used as shipped. Fitted on no labels it keeps its default weights (no error)."""
    from glamlab.evaluation.calibration import out_of_fold
    from glamlab.predictors.catalogue import create
    from glamlab.registry.training import train
    from tests.tasks.helpers import language_project

    ws = language_project(make_ws)
    result = train(ws, "language")
    assert result.trained
    oof = out_of_fold(ws, create("language"))
    assert oof.source == "out-of-fold" and oof.info["folds"] >= 2
    assert create("language").fit([], []).fitted_
