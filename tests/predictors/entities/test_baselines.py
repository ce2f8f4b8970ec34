"""Span baselines and the corpus reader on real NewsEye sentences (CC BY 4.0)."""

from __future__ import annotations

from pathlib import Path

import pytest

from glamlab.errors import LabelError, PredictorError
from glamlab.predictors.entities.baselines import (
    EntityRulesPredictor,
    GazetteerPredictor,
    entity_rules_report,
)
from glamlab.predictors.entities.corpus import documents, read_many, read_sentences
from glamlab.predictors.entities.tokens import Span

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "ner" / "newseye-sample.csv"
TYPES = ["LOC", "ORG", "PER", "PROD", "TIME"]


def test_reader_keeps_documents_and_names_bad_rows(tmp_path: Path) -> None:
    rows = read_sentences(SAMPLE)
    assert {r.group for r in rows} == {"newseye-fr", "newseye-de"}
    assert all(r.license == "CC BY 4.0" for r in rows)
    for r in rows:
        for s in r.spans:
            assert r.text[s.start:s.end].strip()
    assert len(documents(rows)) == 5
    bad = tmp_path / "labels.csv"
    bad.write_text('id,path_or_text,label,lang,dataset,document_id\n'
                   'a,Paris,"[{""start"": 0, ""end"": 9, ""type"": ""LOC""}]",fr,x,d\n')
    with pytest.raises(LabelError, match="line 2") as exc:
        read_many([tmp_path])
    assert exc.value.item == "a"
    bad.write_text('id,path_or_text,label,lang,dataset,document_id\na,Paris,not json,fr,x,d\n')
    with pytest.raises(LabelError, match="JSON"):
        read_sentences(bad)


def test_gazetteer_from_a_user_list_and_from_training(tmp_path: Path) -> None:
    lookup = tmp_path / "names.csv"
    lookup.write_text("text,type\nGenève,LOC\nHenri Dunant,PER\n", encoding="utf-8")
    text = "M. Henri Dunant est né à Genève, dit-on à Genève."
    g = GazetteerPredictor(lookup_file=str(lookup), from_training=False).fit([], [],
                                                                             classes=TYPES)
    got = g.predict_spans([text])[0]
    assert [(text[s.start:s.end], s.label) for s in got] == [
        ("Henri Dunant", "PER"), ("Genève", "LOC"), ("Genève", "LOC")]

    # from training: a string that is mostly not an entity there is not kept
    texts = ["Paris est loin.", "Le Temps de Paris.", "Le temps passe.", "Le Temps dit."]
    spans = [[Span(0, 5, "LOC")], [Span(0, 8, "ORG"), Span(12, 17, "LOC")], [], []]
    g = GazetteerPredictor(min_precision=0.6).fit(texts, spans, classes=TYPES)
    assert g.predict_spans(["Paris, Le Temps."])[0] == [Span(0, 5, "LOC", 1.0)]
    g = GazetteerPredictor(min_precision=0.4).fit(texts, spans, classes=TYPES)
    assert [s.label for s in g.predict_spans(["Paris, Le Temps."])[0]] == ["LOC", "ORG"]


def test_gazetteer_bad_lists(tmp_path: Path) -> None:
    p = tmp_path / "bad.csv"
    p.write_text("name,kind\nGenève,LOC\n")
    with pytest.raises(PredictorError, match="columns"):
        GazetteerPredictor(lookup_file=str(p)).fit([], [], classes=TYPES)
    p.write_text("text,type\nGenève,LOC\n,PER\n")
    with pytest.raises(PredictorError, match="line 3"):
        GazetteerPredictor(lookup_file=str(p)).fit([], [], classes=TYPES)
    p.write_text("text,type\nGenève,CITY\n")
    with pytest.raises(PredictorError, match="CITY"):
        GazetteerPredictor(lookup_file=str(p)).fit([], [], classes=TYPES)
    with pytest.raises(PredictorError, match="does not exist"):
        GazetteerPredictor(lookup_file=str(tmp_path / "none.csv")).fit([], [], classes=TYPES)


def test_rules_find_dates_and_titles_and_report() -> None:
    r = EntityRulesPredictor().fit([], [], classes=TYPES)
    text = "Le 19 octobre 1930, M. Dufour vit Hrn. Dr. Meier im Jahre 1815 et Mr. Burr."
    got = [(text[s.start:s.end], s.label) for s in r.predict_spans([text])[0]]
    assert ("Le 19 octobre 1930", "TIME") in got
    assert ("M. Dufour", "PER") in got and ("Mr. Burr", "PER") in got
    assert ("im Jahre 1815", "TIME") in got
    rows = read_sentences(SAMPLE)
    report = entity_rules_report(r, [x.text for x in rows], [x.spans for x in rows])
    assert report["texts"] == len(rows) and 0 <= report["coverage"] <= 1
    by = {row["rule"]: row for row in report["rules"]}
    assert by["title-fr"]["spans"] == by["title-fr"]["correct"] + by["title-fr"]["incorrect"]
    with pytest.raises(PredictorError, match="bad regular expression"):
        EntityRulesPredictor(rules=[{"name": "x", "label": "PER", "pattern": "("}],
                             preset=None).fit([], [], classes=TYPES)
    with pytest.raises(PredictorError, match="unknown keys"):
        EntityRulesPredictor(rules=[{"label": "PER", "pattern": "x", "text": "y"}],
                             preset=None).fit([], [], classes=TYPES)


def test_rules_file(tmp_path: Path) -> None:
    f = tmp_path / "rules.toml"
    f.write_text('[[rule]]\nname = "journal"\nlabel = "PROD"\npattern = \'Le Temps\'\n')
    r = EntityRulesPredictor(rules_file=str(f), preset=None).fit([], [], classes=TYPES)
    assert r.predict_spans(["Lu dans Le Temps."])[0] == [Span(8, 16, "PROD", 1.0)]
    f.write_text("[[rule]\n")
    with pytest.raises(PredictorError, match="TOML"):
        EntityRulesPredictor(rules_file=str(f), preset=None).fit([], [], classes=TYPES)
