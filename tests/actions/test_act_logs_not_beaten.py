"""act from Python with a model the latest evaluation found no better than the baselines:
the warning is logged once at WARNING under the package logger (a notebook shows it),
not only inside report.summary(); a dry run and the command line's act do not log it."""

from __future__ import annotations

import logging

from glamlab.actions import act, plan
from glamlab.evaluation import Candidate, evaluate, fit_baselines
from glamlab.inference import run
from glamlab.registry import get_model
from tests.retraining.test_retrain import _workspace


def _logged(caplog):
    return [r for r in caplog.records if r.name.startswith("glamlab")
            and r.levelno == logging.WARNING and "no better than the baselines" in r.message]


def test_act_logs_the_not_beaten_warning_once(make_ws, caplog):
    ws = _workspace(make_ws)  # len@1, the model in use
    cands, _ = fit_baselines(ws)
    majority = next(c for c in cands if c.name == "majority")
    model = get_model(ws, "len@1")
    result = evaluate(ws, [*cands, Candidate(model.spec, majority.predictor, "model",
                                             model.id, model.spec)], n_boot=50)
    assert "No model beats" in result.verdict
    run(ws, "len@1", workers=0)
    caplog.set_level(logging.WARNING, logger="glamlab")
    plan(ws, model="len@1")  # a dry run: said in its report only
    plan(ws, model="len@1", dry_run=False, cli=True)  # the command line prints it itself
    assert _logged(caplog) == []
    report = act(ws)
    logged = _logged(caplog)
    assert len(logged) == 1 and "len@1" in logged[0].message
    assert logged[0].name.split(".")[0] == "glamlab"
    assert any("no better than the baselines" in w for w in report.warnings)
