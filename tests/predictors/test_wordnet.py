"""WordNet concepts: read from a WordNet dict folder (here a hand-written one in WordNet's
file format, so that the tests do not need the system package), used by the text models
only when present, recorded in the model, and required to predict with it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from glamlab.errors import PredictorError
from glamlab.items import Item
from glamlab.predictors.text import wordnet as _wordnet
from glamlab.predictors.text.heads import TextClassifier

# offset lex_filenum ss_type w_cnt word lex_id [...] p_cnt [ptr offset pos src/tgt] | gloss
DATA = """\
  1 This is a hand-written test file in WordNet's format, not WordNet itself.
  2 WordNet 3.0 Copyright 2006 by Princeton University.  All rights reserved.
00000010 03 n 01 entity 0 000 | that which exists
00000020 03 n 01 organism 0 001 @ 00000010 n 0000 | a living thing
00000030 05 n 01 animal 0 001 @ 00000020 n 0000 | a living organism that moves
00000040 05 n 01 horse 0 001 @ 00000030 n 0000 | a hoofed mammal
00000050 06 n 01 building 0 001 @ 00000010 n 0000 | a structure with a roof
00000060 06 n 02 church 0 church_building 0 001 @ 00000050 n 0000 | a place of worship
00000070 18 n 01 man 0 001 @ 00000020 n 0000 | an adult male person
00000080 06 n 01 horse 1 001 @ 00000010 n 0000 | a gymnastic apparatus
"""
INDEX = """\
  1 This is a hand-written test file in WordNet's format, not WordNet itself.
animal n 1 1 @ 1 0 00000030
building n 1 1 @ 1 0 00000050
church n 1 1 @ 1 0 00000060
entity n 1 0 1 0 00000010
horse n 2 1 @ 2 1 00000040 00000080
man n 1 1 @ 1 0 00000070
organism n 1 1 @ 1 0 00000020
"""


@pytest.fixture
def mini_wordnet(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "dict"
    folder.mkdir()
    (folder / "data.noun").write_text(DATA, encoding="latin-1")
    (folder / "index.noun").write_text(INDEX, encoding="latin-1")
    (folder / "noun.exc").write_text("men man\n", encoding="latin-1")
    monkeypatch.setenv(_wordnet.ENV, str(folder))
    return folder


def test_concepts_are_the_first_sense_and_all_its_hypernyms(mini_wordnet):
    wn = _wordnet.load(mini_wordnet)
    assert wn.version == "WordNet 3.0"
    got = wn.concepts("Horses and Men near the Church")
    assert {"wnlex:animal", "wn:horse.animal", "wn:animal.animal", "wn:organism.tops",
            "wn:entity.tops", "wnlex:person", "wn:man.person", "wn:church.artifact",
            "wn:building.artifact"} <= set(got)
    assert "wn:horse.artifact" not in got  # the second sense (the gymnastic horse) is not used
    assert wn.lemma("churches") == "church" and wn.lemma("men") == "man" and wn.lemma("xyz") is None
    assert wn.concepts("") == [] and wn.concepts("of the and ☃ 12345") == []


def test_switched_off_missing_or_unreadable_wordnet(tmp_path, monkeypatch, mini_wordnet):
    monkeypatch.setenv(_wordnet.ENV, "off")
    assert _wordnet.resolve(None) is None
    with pytest.raises(PredictorError) as err:
        _wordnet.resolve(True)
    assert "wordnet-base" in (err.value.hint or "")
    assert _wordnet.resolve(False) is None
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "data.noun").write_bytes(b"00000010 xx n\n\x00\x01")
    (broken / "index.noun").write_text("")
    monkeypatch.setenv(_wordnet.ENV, str(broken))
    with pytest.raises(PredictorError, match="cannot be read") as err:
        _wordnet.resolve(None)  # named explicitly: an error, not a silent fallback
    assert str(broken) in str(err.value)


def _items(texts: list[str]) -> list[Item]:
    return [Item(item_id=f"t{i}", modality="text", text=t) for i, t in enumerate(texts)]


def test_a_word_never_seen_in_training_gets_its_label_through_its_concepts(mini_wordnet, monkeypatch):
    train = _items(["horse", "horses", "a horse", "the horse", "church", "churches",
                    "a church", "the church"])
    labels = ["nature"] * 4 + ["architecture"] * 4
    test = _items(["animal", "building"])  # neither word is in any training text

    with_wn = TextClassifier(C=10.0).fit(train, labels)
    assert with_wn.wordnet_version_ == "WordNet 3.0"
    assert with_wn.predict(test) == ["nature", "architecture"]

    without = TextClassifier(C=10.0, wordnet=False).fit(train, labels)
    assert without.wordnet_version_ is None
    assert without.predict(test) != ["nature", "architecture"]

    # predicting needs the WordNet it was trained with; never silently other features
    monkeypatch.setenv(_wordnet.ENV, "off")
    with pytest.raises(PredictorError, match="trained with WordNet concepts"):
        with_wn.predict(test)
    assert without.predict(test) == without.predict(test)


def test_the_system_wordnet_when_installed(monkeypatch):
    monkeypatch.delenv(_wordnet.ENV, raising=False)
    folder = _wordnet.folder()
    # CI installs it (.ci/run), so there a missing WordNet fails rather than skips
    if folder is None and not os.environ.get("CI"):
        pytest.skip("needs Debian's wordnet-base: make wordnet")
    assert folder is not None, "no WordNet in " + ", ".join(_wordnet.DEFAULT_DIRS)
    wn = _wordnet.load(folder)
    got = set(wn.concepts("Interior of a Basilica with Bathers"))
    assert "wn:building.artifact" in got and "wn:person.tops" in got


def test_training_says_whether_the_concepts_were_used(mini_wordnet, monkeypatch):
    train = _items(["horse", "church", "horses", "churches"])
    labels = ["nature", "architecture"] * 2
    used = TextClassifier().fit(train, labels)
    assert "WordNet 3.0" in used.fit_notes_[0] and "needs WordNet" in used.fit_notes_[0]
    monkeypatch.delenv(_wordnet.ENV)
    monkeypatch.setattr(_wordnet, "DEFAULT_DIRS", (str(mini_wordnet.parent / "nowhere"),))
    missing = TextClassifier().fit(train, labels)
    assert missing.wordnet_version_ is None
    assert "not installed" in missing.fit_notes_[0] and "wordnet-base" in missing.fit_notes_[0]
    assert TextClassifier(wordnet=False).fit(train, labels).fit_notes_ == []
