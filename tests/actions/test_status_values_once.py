"""act writes one machine_metadata row per prediction: after the model ran again over
the same items (``glamlab run --force``) and act ran again, each value had two rows, and
``glamlab status`` said "values written by the model 134" for 67 pages with a value
(the exports gave 67). A value counts once."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from .helpers import add_model, add_predictions
from .test_export_gold_wins import _blank_pages

SCORES = {"p3": {"blank": 0.98, "content": 0.02}, "p4": {"content": 0.96, "blank": 0.04}}


def test_status_counts_a_value_once_after_the_model_ran_again(make_ws: Any) -> None:
    from glamlab.actions import act
    from glamlab.actions.export import iter_rows
    from glamlab.workspace.status import workspace_status

    ws = _blank_pages(make_ws, "pages", SCORES)
    act(ws)
    with ws.store.read() as conn:
        model_id = conn.execute(sa.select(ws.store.t.models.c.id)).scalar_one()
    add_predictions(ws, add_model(ws, "other", 1), SCORES)  # another model ran meanwhile
    # the same model over the same pages again (run --force: each prediction replaced)
    p = ws.store.t.predictions
    with ws.store.write() as conn:
        conn.execute(p.delete().where(p.c.model_id == model_id))
    add_predictions(ws, model_id, SCORES)
    act(ws)
    stage = {s["stage"]: s for s in workspace_status(ws)["stages"]}["actions"]
    accepted = [e.row for e in iter_rows(ws) if e.row["action"] == "accept"]
    assert len(accepted) == 2
    assert stage["machine_metadata"] == 2

