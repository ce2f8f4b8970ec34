"""A tabular project's next step: ``glamlab status`` said to backtest and train, then
"As new rows ... arrive" as soon as a model was chosen (never to run it nor to see what
the policy would do), while the web app's overview said "Measure the baselines first"
however far the project had gone (a backtest records no evaluation). Both now follow one
sequence (:func:`glamlab.workspace.status.tabular_next_step`), in their own words."""

from __future__ import annotations

from typing import Any

from glamlab.web.routes.reports import TABULAR_STEP_PAGES
from glamlab.workspace.status import tabular_next_step
from tests.web.pages import next_step

from .conftest import app_with_users


def _expected(ws: Any, queue_open: int, *, web: bool) -> tuple[str, str]:
    """The step :func:`tabular_next_step` gives for the workspace's counts now."""
    status = ws.status()
    by = {s["stage"]: s for s in status["stages"]}
    return tabular_next_step(
        by["items"]["count"], by["labels"]["count"], by["labels"]["test"],
        by["models"]["champions"], by["runs"]["predictions"],
        stale=status["stale_predictions"], unpredicted=status["unpredicted"],
        queue_open=queue_open, acted=by["actions"]["done"], web=web)


def test_status_and_the_overview_give_the_same_tabular_step(kind_template: Any) -> None:
    from glamlab.actions.act import act
    from glamlab.inference import run
    from glamlab.registry.tabular import train_tabular

    ws = kind_template("rows")
    ws.card.raw["policy"] = {"default_action": "accept"}  # nothing for a person to review
    ws.save_card()
    gen = app_with_users(ws)
    try:
        ws, _app, client = next(gen)
        ada = client("ada")
        seen = []

        def check() -> None:
            stage, cli_words = _expected(ws, 0, web=False)
            web_stage, web_words = _expected(ws, 0, web=True)
            assert web_stage == stage
            assert ws.status()["next_step"] == cli_words  # glamlab status
            step = next_step(ada.get("/").text)
            assert web_words in step, step
            assert f'href="{TABULAR_STEP_PAGES[stage][0]}"' in step, step
            assert "glamlab" not in step and "glamlab" in cli_words
            seen.append(stage)

        check()  # rows in, no model yet: backtest and train
        train_tabular(ws, "tabular-gbm")
        check()  # a model in use that never ran
        run(ws, handle_signals=False, workers=0)
        check()  # predictions, the policy never applied
        act(ws)
        check()  # applied, nothing waits for a person: keep up as new rows arrive
        assert seen == ["train", "run", "act", "monitoring"]
    finally:
        gen.close()
        ws.close()
