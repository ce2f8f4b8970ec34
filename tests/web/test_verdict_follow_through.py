"""The verdict "No model beats the baseline: do not automate" is kept and followed
through: the reports page shows it after a retrain (whose champion-against-challenger
evaluation is not a verdict on the baselines), the next step of ``glamlab status`` and
of the web overview says it and what to do, and ``run`` and ``act`` warn (without
refusing) when the model they use did not beat the baselines."""

from __future__ import annotations

from typing import Any

from glamlab.actions.act import plan
from glamlab.evaluation import Candidate, evaluate, fit_baselines
from glamlab.inference import run
from glamlab.registry import get_model
from glamlab.reports.overview import evaluation_sections, leaderboard
from glamlab.retraining.retrain import retrain
from tests.retraining.test_retrain import _workspace

from .conftest import PASSWORD, login


def _not_beaten(make_ws: Any) -> Any:
    """len@1 compared with the baselines while predicting as the majority baseline does,
    so no model beats them; then a retrain compares champion and challenger."""
    ws = _workspace(make_ws)
    cands, _ = fit_baselines(ws)
    majority = next(c for c in cands if c.name == "majority")
    model = get_model(ws, "len@1")
    result = evaluate(ws, [*cands, Candidate(model.spec, majority.predictor, "model",
                                             model.id, model.spec)], n_boot=200)
    assert "No model beats" in result.verdict, result.verdict
    return ws


def _beaten(make_ws: Any) -> Any:
    """len@1 compared with the baselines but the threshold rule (the very rule it
    learned): it beats them, and the stored verdict (the scripters' words) says so."""
    from glamlab.registry.models import load_model

    ws = _workspace(make_ws)
    cands, _ = fit_baselines(ws)
    cands = [c for c in cands if c.name != "threshold"]  # the very rule len@1 learned
    model = get_model(ws, "len@1")
    _, predictor = load_model(ws, model.spec)
    result = evaluate(ws, [*cands, Candidate(model.spec, predictor, "model", model.id,
                                             model.spec)], n_boot=200)
    assert "better than every baseline" in result.verdict, result.verdict
    return ws


def test_reports_keep_the_verdict_on_the_baselines_after_a_retrain(make_ws: Any) -> None:
    from fastapi.testclient import TestClient

    from glamlab.auth import add_user
    from glamlab.web import create_app

    ws = _not_beaten(make_ws)
    retrain(ws, "len", n_boot=100, force=True)  # stores len@1 against len@2, without baselines
    board = leaderboard(ws)
    assert "No model beats the" in board["verdict"] and "do not automate" in board["verdict"]
    sections = " ".join(str(s) for s in evaluation_sections(ws))
    assert "do not automate" in sections and "No baseline was measured" not in sections
    add_user(ws, "val", PASSWORD, "viewer")
    with TestClient(create_app(ws)) as c:
        assert login(c, "val").status_code == 303
        page = c.get("/reports").text
        overview = c.get("/").text
    assert "do not automate with machine learning yet" in page
    assert "No baseline was measured" not in page
    assert "found no model better than the baseline" in overview


def test_status_next_step_and_run_and_act_follow_the_verdict(make_ws: Any) -> None:
    ws = _not_beaten(make_ws)
    status = ws.status()
    assert status["next_step"].startswith("The last comparison found no model better than "
                                          "the baseline"), status["next_step"]
    assert "label more items" in status["next_step"]
    assert "try other models" in status["next_step"]
    assert "baseline or a simple rule" in status["next_step"]
    report = run(ws, "len@1")  # goes ahead, with a warning
    assert report.done > 0 and report.warning and "no better than the baselines" in report.warning
    assert report.warning in report.summary()
    acted = plan(ws, model="len@1", dry_run=True)
    assert any("no better than the baselines" in w for w in acted.warnings), acted.warnings


def test_no_warning_for_a_model_that_beat_the_baselines(make_ws: Any) -> None:
    ws = _beaten(make_ws)
    assert not ws.status()["next_step"].startswith("The last comparison")
    assert run(ws, "len@1").warning is None
    acted = plan(ws, model="len@1", dry_run=True)
    assert not any("baselines" in n for n in acted.notes + acted.warnings)


def test_act_gives_the_baseline_warning_as_a_warning_not_a_note(make_ws: Any,
                                                                 capsys: Any) -> None:
    """Before, act's "no better than the baselines" was one of its ``notes``, starting
    "warning: ", where the other commands (and act's own other warnings) give a list
    under ``warnings``: a script reading ``warnings`` missed it, and the web app showed it
    as a hint. Now it is under ``warnings`` (without the prefix): marked WARNING in the
    text, and shown as a warning on the web app's act page and under what was written."""
    import html
    import json
    import re

    from fastapi.testclient import TestClient

    from glamlab.actions.act import render
    from glamlab.auth import add_user
    from glamlab.cli import main
    from glamlab.web import create_app
    from glamlab.web.app import stop_background

    from .test_apply_policy import applied

    ws = _not_beaten(make_ws)
    assert run(ws, "len@1").done > 0  # (with its own warning)
    acted = plan(ws, model="len@1", dry_run=True)
    said = [w for w in acted.warnings if "no better than the baselines" in w]
    assert len(said) == 1 and not said[0].lower().startswith("warning"), acted.warnings
    assert not any("baselines" in n for n in acted.notes), acted.notes
    report = acted.to_dict()
    assert report["warnings"] == acted.warnings
    text = render(report)
    # said first, before the counts of what the policy would do
    assert f"WARNING: {said[0]}" in text
    assert text.index(f"WARNING: {said[0]}") < text.index("The policy would")
    # the command line: --json's "warnings", and WARNING in its text
    assert main(["-w", str(ws.root), "act", "--dry-run", "--model", "len@1",
                 "--json"]) in (0, None)
    out = json.loads(capsys.readouterr().out)
    assert [w for w in out["warnings"] if "baselines" in w] == said and not any("baselines" in n for n in out["notes"])
    assert main(["-w", str(ws.root), "act", "--dry-run", "--model", "len@1"]) in (0, None)
    assert f"WARNING: {said[0]}" in capsys.readouterr().out
    # the web app: the dry run, and the line under what was written, say it as a warning
    web = [w for w in plan(ws, model="len@1", dry_run=True, web=True).warnings
           if "baselines" in w]
    assert web and "glamlab" not in web[0]  # in the web app's words
    add_user(ws, "ada", PASSWORD, "admin")
    app = create_app(ws)
    try:
        with TestClient(app) as c:
            assert login(c, "ada").status_code == 303

            def warned(page: str, css: str) -> list[str]:
                return [" ".join(html.unescape(w).split()) for w in re.findall(
                    rf'<p class="warning{css}" role="note">Warning: (.*?)</p>', page, re.S)]

            c.get("/stages/act")  # the dry run is worked out in the background
            assert app.state.refresher.wait(120)
            page = c.get("/stages/act").text
            assert [w for w in warned(page, "") if "baselines" in w] == web, page
            assert "warning: in the latest comparison" not in page
            r, job = applied(ws, app, c)
            assert [w for w in job["result"]["warnings"] if "baselines" in w] == web
            assert not any("baselines" in n for n in job["result"]["notes"])
            page = c.get(r.headers["location"]).text
            assert [w for w in warned(page, " act-written-warning") if "baselines" in w] == web
    finally:
        stop_background(app)


def test_the_next_step_names_the_model_that_beat_the_baselines(make_ws: Any) -> None:
    """The admin made a model champion that the last comparison found no better than the
    baselines, while another one was better: the next step said "The last comparison
    found no model better than the baseline ... do not automate with machine learning
    yet", which is not what the comparison found. It names both, and the way back."""
    from fastapi.testclient import TestClient

    from glamlab.auth import add_user
    from glamlab.registry import set_alias, use_model
    from glamlab.registry.models import load_model
    from glamlab.web import create_app

    ws = _workspace(make_ws)
    cands, _ = fit_baselines(ws)
    cands = [c for c in cands if c.name != "threshold"]  # the very rule len@1 learned
    model = get_model(ws, "len@1")
    _, predictor = load_model(ws, model.spec)
    worse = get_model(ws, "prior@1")  # a saved model that predicts as a baseline does
    _, worse_predictor = load_model(ws, worse.spec)
    evaluate(ws, [*[c for c in cands if c.name != "prior"],
                  Candidate(model.spec, predictor, "model", model.id, model.spec),
                  Candidate(worse.spec, worse_predictor, "model", worse.id, worse.spec)],
             n_boot=200)
    set_alias(ws, worse.spec, "champion")
    use_model(ws, "prior")  # the admin's choice: the model that did not beat them
    step = ws.status()["next_step"]
    assert "found no model better" not in step
    assert "prior@1" in step and "len@1" in step and "glamlab models use len" in step
    add_user(ws, "ada", PASSWORD, "admin")
    with TestClient(create_app(ws)) as c:
        assert login(c, "ada").status_code == 303
        page = c.get("/").text
    assert "found no model better" not in page
    assert "The model in use, prior@1, was no better" in page and "len@1" in page
    assert 'href="/admin"' in page[page.index("The model in use"):]
