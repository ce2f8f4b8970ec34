"""Predictor parameters the predictor does not take, or values it refuses, are one clear
error naming the predictor, the parameter and the fix, and no model is saved: `glamlab
train text-tfidf --param foo=1` ended in a TypeError traceback, `--param C=abc` and
`--param C=-1` in scikit-learn's InvalidParameterError (exit status 1), and from Python
the same call raised a bare TypeError. `glamlab predictors NAME` lists the parameters."""

from __future__ import annotations

import csv
import json

import pytest

from glamlab.demo import demo_data
from glamlab.tasks import import_labels, split_labels
from tests.actions.helpers import run_cli
from tests.tasks.helpers import add_csv_items


@pytest.fixture
def lang_ws(make_ws):
    with open(demo_data("language") / "texts.csv", newline="", encoding="utf-8") as fh:
        labels = sorted({r["label"] for r in csv.DictReader(fh)})
    ws = make_ws("lang", modality="text", labels=labels)
    add_csv_items(ws, demo_data("language") / "texts.csv", text_column="text",
                  meta_columns=["kind"])
    import_labels(ws, demo_data("language") / "texts.csv")
    split_labels(ws, test_size=0.3, seed=0)
    return ws


def _saved(ws) -> tuple[list[str], list[str]]:
    """The model versions in the registry and the files in the models folder."""
    from glamlab.registry.models import list_models

    folder = ws.root / "models"
    files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() \
        else []
    return [m.spec for m in list_models(ws)], files


def _plain(err: str) -> str:
    return " ".join(err.split())  # the fix may wrap


def test_cli_train_refuses_an_unknown_parameter_and_a_value_refused(lang_ws, capsys):
    ws = lang_ws
    code, out, err = run_cli(capsys, ws, "train", "text-tfidf", "--param", "foo=1")
    assert code == 2, err
    assert "Traceback" not in err and "TypeError" not in err
    assert "error: text-tfidf has no parameter 'foo'" in err
    fix = _plain(err.split("fix: ", 1)[1])
    assert "C=4.0" in fix and "cv=3" in fix and "tfidf=true" in fix
    assert "`glamlab predictors text-tfidf` lists them" in fix

    code, out, err = run_cli(capsys, ws, "train", "text-tfidf", "--param", "C=abc")
    assert code == 2, err
    assert "InvalidParameterError" not in err and "Traceback" not in err
    assert "error: text-tfidf's parameter 'C' takes a number; it was given 'abc'" in err
    assert "fix: give --param C=VALUE as a number, or leave it out for its default (4.0)" in err

    code, out, err = run_cli(capsys, ws, "train", "text-tfidf", "--param", "C=-1")
    assert code == 2, err
    assert "InvalidParameterError" not in err and "Traceback" not in err
    first = err.splitlines()[-2]
    assert first.startswith("error: text-tfidf refused C=-1: The 'C' parameter of "
                            "LogisticRegression must be"), err
    assert first.endswith(" instead; no model was saved"), first  # not ".;"
    assert "fix: give --param C=VALUE a value it takes, or leave it out for its default " \
           "(4.0)" in err
    assert _saved(ws) == ([], [])  # nothing half-saved

    code, out, err = run_cli(capsys, ws, "train", "text-tfidf", "--param", "C=0.5")
    assert code == 0, err  # a value it takes still trains
    assert _saved(ws)[0] == ["text-tfidf@1"]


def test_python_train_and_create_raise_a_value_error_in_pythons_words(lang_ws):
    from glamlab.errors import ParameterError
    from glamlab.predictors.catalogue import create
    from glamlab.registry.training import train

    with pytest.raises(ValueError, match="text-tfidf has no parameter 'foo'") as exc:
        train(lang_ws, "text-tfidf", params={"foo": 1})
    assert isinstance(exc.value, ParameterError) and exc.value.param == "foo"
    assert "C=4.0" in exc.value.hint and "tfidf=True" in exc.value.hint
    assert "glamlab.predictors.catalogue.parameters('text-tfidf')" in exc.value.hint
    with pytest.raises(ValueError, match="text-tfidf has no parameter 'foo'"):
        create("text-tfidf", foo=1)
    with pytest.raises(ParameterError, match=r"text-tfidf refused C=-1: The 'C' parameter") \
            as exc:
        train(lang_ws, "text-tfidf", params={"C": -1})
    assert exc.value.param == "C" and "give C=... a value it takes" in exc.value.hint
    assert _saved(lang_ws) == ([], [])


def test_labels_issues_refuses_them_too(lang_ws, capsys):
    code, out, err = run_cli(capsys, lang_ws, "labels", "issues", "--predictor", "text-tfidf",
                             "--param", "foo=1", "--no-queue")
    assert code == 2 and "error: text-tfidf has no parameter 'foo'" in err, err
    code, out, err = run_cli(capsys, lang_ws, "labels", "issues", "--predictor", "text-tfidf",
                             "--param", "C=-1", "--no-queue")
    assert code == 2 and "Traceback" not in err, err
    assert "error: text-tfidf refused C=-1: The 'C' parameter" in err


def test_a_tabular_train_refuses_them(make_ws, tmp_path, capsys):
    from glamlab.errors import ParameterError
    from glamlab.registry.tabular import train_tabular
    from tests import bookings

    ws = bookings.rows_project(make_ws, tmp_path)
    code, out, err = run_cli(capsys, ws, "train", "tabular-gbm", "--param", "foo=1")
    assert code == 2 and "error: tabular-gbm has no parameter 'foo'" in err, err
    assert "learning_rate=0.05" in _plain(err)
    code, out, err = run_cli(capsys, ws, "train", "tabular-gbm", "--param", "learning_rate=-1")
    assert code == 2 and "Traceback" not in err, err
    assert "error: tabular-gbm refused learning_rate=-1: " in err
    with pytest.raises(ParameterError, match="tabular-gbm refused max_iter=0"):
        train_tabular(ws, "tabular-gbm", params={"max_iter": 0})
    assert _saved(ws) == ([], [])


def test_predictors_name_lists_its_parameters_and_defaults(capsys, make_ws):
    ws = make_ws("t", modality="text", labels=["fr", "de"])
    code, out, err = run_cli(capsys, ws, "predictors", "text-tfidf")
    assert code == 0, err
    assert out.startswith("text-tfidf: ")
    lines = [" ".join(line.split()) for line in out.splitlines()]
    assert "C default 4.0" in lines and "tfidf default true" in lines
    code, out, err = run_cli(capsys, ws, "predictors", "text-tfidf", "--json")
    params = {p["name"]: p["default"] for p in json.loads(out)["parameters"]}
    assert params["C"] == 4.0 and params["cv"] == 3
    code, out, err = run_cli(capsys, ws, "predictors", "no-such")
    assert code == 2 and "error: no predictor called 'no-such'" in err


def test_a_backtest_refuses_them(make_ws, tmp_path, capsys):
    """The backtest said a refused value was too few rows ("scikit-learn's" words)."""
    from tests import bookings

    ws = bookings.rows_project(make_ws, tmp_path)
    code, out, err = run_cli(capsys, ws, "backtest", "--param", "foo=1", "--n-boot", "1")
    assert code == 2 and "error: tabular-gbm has no parameter 'foo'" in err, err
    code, out, err = run_cli(capsys, ws, "backtest", "--param", "learning_rate=-1",
                             "--n-boot", "1")
    assert code == 2 and "Traceback" not in err, err
    assert "error: tabular-gbm refused learning_rate=-1: " in err


def test_a_fit_error_naming_no_parameter_stays_itself(lang_ws, monkeypatch):
    """Only an error that names a parameter given (or scikit-learn's
    InvalidParameterError) is a refused parameter: another error while fitting with
    parameters (too few labels, a bad text) keeps its own words, and is not blamed on
    ``C=2``."""
    from glamlab.errors import ParameterError
    from glamlab.predictors.catalogue import params_taken
    from glamlab.predictors.text.heads import TextClassifier
    from glamlab.registry.training import train

    def fit(self, *args, **kwargs):
        raise ValueError("This solver needs samples of at least 2 classes in the data")

    monkeypatch.setattr(TextClassifier, "fit", fit)
    with pytest.raises(ValueError) as err:
        train(lang_ws, "text-tfidf", params={"C": 2.0})
    assert not isinstance(err.value, ParameterError), err.value
    assert "at least 2 classes" in str(err.value)
    assert _saved(lang_ws) == ([], [])
    with pytest.raises(ValueError) as err, \
            params_taken("text-tfidf", {"C": 2.0}, only_named=True):
        raise ValueError("C must be positive")  # names it: refused
    assert isinstance(err.value, ParameterError)
