"""The overview's next step agrees with the Evaluate page's verdict: when the verdict
says "do not automate" (the model it chose, on calibration data, is no better than the
baselines), the overview said "Run the model in use" because the model in use had
scored better on the test set. Now it says the verdict and what to do instead."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.web.pages import next_step

from .test_next_step_baselines import baselines_only


def test_the_next_step_follows_a_do_not_automate_verdict(make_ws: Any,
                                                         tmp_path: Path) -> None:
    import sqlalchemy as sa

    from glamlab.evaluation import candidates_for, evaluate
    from glamlab.registry.training import train

    from .conftest import app_with_users

    ws = baselines_only(make_ws, tmp_path)
    train(ws, "text-tfidf")
    evaluate(ws, candidates_for(ws), n_boot=100)
    # the verdict the curator read: the model the evaluation chose (on calibration data)
    # is no better than the baselines; text-tfidf@1, in use, did better on the test set
    words = ("threshold: F1 0.60 [0.45-0.75]; best model other-model@1 (chosen on "
             "calibration data, scored on test): 0.72 [0.57-0.84]. No model beats the "
             "threshold baseline: do not automate with machine learning yet.")
    t = ws.store.t.evaluations
    base = ["majority", "prior", "threshold"]
    with ws.store.write() as conn:
        for row in conn.execute(sa.select(t.c.id, t.c.candidate, t.c.results)).all():
            res = {**row.results, "verdict": words}
            if res.get("kind") == "model":  # better than every baseline on the test set
                res["comparisons"] = [{"a": b, "b": row.candidate, "significant": True,
                                       "difference": 0.1} for b in base]
            conn.execute(t.update().where(t.c.id == row.id).values(results=res))
    assert "do not automate" in ws.status()["next_step"]
    fixture = app_with_users(ws)
    ws, _app, client = next(fixture)
    step = next_step(client("ada").get("/").text)
    assert "Run the model in use" not in step and 'href="/stages/run"' not in step, step
    assert "do not automate" in step and "other-model@1" in step, step
    assert "label more" in step and "try other models" in step, step
    next(fixture, None)
