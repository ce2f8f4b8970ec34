"""Once only the baselines are measured, the overview's next step is to train a model
(the Train page), as ``glamlab status`` says. It said "an admin chooses the model in use"
and linked the Admin page, whose only models to choose were the baselines themselves: a
curator following it put "always the most common label" to work on the collection."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.web.pages import next_step


def baselines_only(make_ws: Any, tmp_path: Path) -> Any:
    """A text project of 60 labelled items, split, with the baselines fitted and
    evaluated, and no model trained."""
    from glamlab.evaluation import candidates_for, evaluate, fit_baselines
    from glamlab.tasks import import_labels, split_labels
    from tests.tasks.helpers import add_items, write_csv

    ws = make_ws("base", modality="text", labels=["long", "short"])
    add_items(ws, [{"id": f"t{k:02d}", "text": "x" * (k + 1)} for k in range(60)])
    import_labels(ws, write_csv(tmp_path / "l.csv", ["id", "label"],
                                [[f"t{k:02d}", "long" if k > 30 else "short"]
                                 for k in range(60)]), annotator="ann")
    split_labels(ws, test_size=0.3, seed=0)
    fit_baselines(ws)
    evaluate(ws, candidates_for(ws), n_boot=100)
    return ws


def test_after_the_baselines_the_next_step_is_to_train(make_ws: Any, tmp_path: Path) -> None:
    from .conftest import app_with_users

    ws = baselines_only(make_ws, tmp_path)
    status = ws.status()
    models = next(s for s in status["stages"] if s["stage"] == "models")
    assert models["evaluations"] and not models["champions"]  # baselines only
    assert status["next_step"].startswith("Baselines measured. Train a model")
    fixture = app_with_users(ws)
    ws, _app, client = next(fixture)
    step = next_step(client("ada").get("/").text)
    assert 'href="/stages/train"' in step and "/admin" not in step, step
    assert "train a model" in step
    next(fixture, None)  # the clients closed, the background stopped
