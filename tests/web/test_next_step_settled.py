"""Once the policy is applied and nothing waits for a person, ``glamlab status`` (and the
demo's last line) said "Export the decisions ... then keep watching: glamlab monitor"
while the web app's overview said "Keep watching: check monitoring after each run", as if
the decisions were already out. Both now come from one place
(:func:`glamlab.workspace.status.settled_step`): export first (the overview links the
Export page), and once monitoring has run, keep watching (the Monitoring page)."""

from __future__ import annotations

from typing import Any

from tests.web.pages import next_step


def test_the_overview_and_status_give_the_same_step_after_the_policy(make_ws: Any) -> None:
    from glamlab.actions.act import act
    from glamlab.evaluation import candidates_for, evaluate, fit_baselines
    from glamlab.inference import run
    from glamlab.monitoring.monitor import monitor
    from glamlab.workspace.status import settled_step
    from tests.retraining.test_retrain import _workspace

    from .conftest import app_with_users

    ws = _workspace(make_ws)
    ws.card.raw["policy"] = {"default_action": "accept"}  # nothing for a person to review
    ws.save_card()
    fit_baselines(ws)
    evaluate(ws, candidates_for(ws), n_boot=200)
    run(ws, "len@champion", handle_signals=False, workers=0)
    act(ws)
    status = ws.status()
    assert status["next_step"] == settled_step(0), status["next_step"]
    assert status["next_step"].startswith("Export the decisions")
    fixture = app_with_users(ws)
    ws, app, client = next(fixture)
    ada = client("ada")

    def step() -> str:
        return next_step(ada.get("/").text)

    before = step()
    assert before.split(">", 1)[1].startswith("Export the decisions"), before
    assert 'href="/stages/export"' in before and "/stages/monitoring" not in before, before
    assert settled_step(0, web=True) in before
    assert "glamlab" not in before  # the page's words name pages, not commands

    monitor(ws)
    status = ws.status()
    assert status["next_step"] == settled_step(1) and status["next_step"].startswith(
        "Keep watching")
    after = step()
    assert 'href="/stages/monitoring"' in after and settled_step(1, web=True) in after, after
    assert "glamlab" not in after
    next(fixture, None)  # the clients closed, the background stopped
