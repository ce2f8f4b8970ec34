"""In an entities project, `glamlab predictors` lists only the predictors that find spans,
and `glamlab train` refuses a label classifier (text-tfidf, lang-langid) with one error and
the fix, exit status 2 like other usage errors (it ended in a TypeError traceback, exit 1);
the other way round in a classification project."""

from __future__ import annotations

import json

import pytest

from glamlab.errors import PredictorError
from tests.actions.helpers import run_cli

_cli = run_cli


@pytest.fixture
def entities_ws(make_ws):
    from tests.ner_project import gold_and_gazetteer

    return gold_and_gazetteer(make_ws)


def test_an_entities_project_lists_and_trains_only_span_predictors(entities_ws, capsys):
    code, out, err = _cli(capsys, entities_ws, "predictors", "--json")
    assert code == 0
    names = {p["name"] for p in json.loads(out)["predictors"]}
    assert {"crf-ner", "gazetteer", "entity-rules"} <= names
    assert not names & {"text-tfidf", "lang-langid", "majority", "text-e5"}
    code, out, err = _cli(capsys, entities_ws, "predictors")
    assert "text-tfidf" not in out and out.startswith("Predictors for an entities task")
    for name in ("text-tfidf", "lang-langid"):
        code, out, err = _cli(capsys, entities_ws, "train", name)
        assert code == 2, (name, out, err)
        assert "Traceback" not in err and "TypeError" not in err
        assert f"error: {name} gives a label per item; this project's task is entities" in err
        assert "fix: train an entity predictor: crf-ner" in err
    from glamlab.registry import describe_models

    assert len(describe_models(entities_ws)) == 1  # the gazetteer only: nothing trained


def test_a_classification_project_refuses_a_span_predictor(make_ws):
    from glamlab.predictors.catalogue import for_project
    from glamlab.registry.training import train

    ws = make_ws("labels", modality="text", labels=["fr", "de"])
    names = {p["name"] for p in for_project(ws.card)}
    assert "text-tfidf" in names and not names & {"crf-ner", "gazetteer", "spacy-ner"}
    with pytest.raises(PredictorError, match="gazetteer finds entity spans") as exc:
        train(ws, "gazetteer")
    assert "glamlab predictors" in (exc.value.hint or "")
