"""The catalogue says what every built-in predictor is, and recommends real ones."""

from __future__ import annotations

import json

from click.testing import CliRunner

from glamlab.cli import cli
from glamlab.predictors import catalogue


def test_every_builtin_is_described_and_recommendations_exist():
    assert set(catalogue.INFO) <= set(catalogue.BUILTIN)
    for name in catalogue.BUILTIN:
        cls = catalogue.get(name)
        described = catalogue.describe(name)  # INFO, or the class's own docstring
        assert described["summary"] and described["needs"], name
        assert set(described["modalities"]) == set(cls.modalities), name
        if not cls.supports_multi_label:
            assert not described["multi_label"], name
    for family, names in catalogue.RECOMMENDED.items():
        assert names and set(names) <= set(catalogue.BUILTIN), family


def test_recommended_follow_the_task(make_ws):
    lang = make_ws("lang", modality="text", task="language", labels=["en", "fr"])
    assert catalogue.recommended(lang.card)[0] == "language"
    blank = make_ws("blank", task="blank-pages", labels=["blank", "content"])
    assert catalogue.recommended(blank.card)[0] == "blank-ink"
    subjects = make_ws("subj", modality="text", task="subjects", labels=["maps", "people"],
                       multi_label=True)
    picks = catalogue.recommended(subjects.card)
    assert picks and all(catalogue.INFO[n].multi_label for n in picks)
    res = CliRunner().invoke(cli, ["-w", str(blank.root), "predictors", "--json"])
    rows = json.loads(res.output)["predictors"]
    assert rows[0]["name"] == "blank-ink" and rows[0]["recommended"] == 1
    assert all("image" in r["modalities"] for r in rows)
    res = CliRunner().invoke(cli, ["-w", str(blank.root / "nowhere"), "predictors",
                                   "--modality", "text", "--task", "language", "--json"])
    names = [r["name"] for r in json.loads(res.output)["predictors"]]
    assert names[0] == "language" and "effnet-logreg" not in names


def test_entity_and_tabular_projects_get_their_own_recommendations(make_ws):
    ents = make_ws("ents", modality="text", task="entities", kind="entities",
                   labels=["PER", "LOC"], metric="strict_micro_f1")
    assert catalogue.task_family(ents.card) == "entities"
    assert catalogue.recommended(ents.card)[0] == "crf-ner"
    rows = make_ws("rows", modality="tabular", labels=["0", "1"])
    assert catalogue.task_family(rows.card) == "tabular"
    names = [e["name"] for e in catalogue.for_project(rows.card)]
    assert names[0] == "tabular-gbm" and "tabular-share" in names
    assert "blank-ink" not in names and "crf-ner" not in names
