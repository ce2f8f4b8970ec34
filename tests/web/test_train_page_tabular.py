"""The Train page of a tabular project trains the row model it offers (tabular-gbm), as
`glamlab train tabular-gbm` does: on the rows before the time split."""

from __future__ import annotations

import re
from typing import Any

from .conftest import app_with_users, csrf_of


def test_train_page_trains_the_row_model_of_a_tabular_project(kind_template: Any) -> None:
    """The job called the classification training, which failed with "tabular-gbm needs
    the table's schema: pass schema=", a fix no one using the page can follow."""
    from glamlab.registry import list_models

    ws = kind_template("rows")
    gen = app_with_users(ws)
    try:
        ws, app, client = next(gen)
        c = client("ada")
        page = c.get("/stages/train").text
        assert re.findall(r'name="predictor" value="([^"]+)"', page) == ["tabular-gbm"]
        r = c.post("/stages/train", data={"csrf": csrf_of(c), "predictor": "tabular-gbm"},
                   follow_redirects=False)
        assert r.status_code == 303, r.text
        assert app.state.jobs.wait(300)
        page = c.get("/stages/train").text
        assert "could not be trained" not in page, page
        assert re.search(r'tabular-gbm: saved as <b>tabular-gbm@1</b>', page)
        (mv,) = list_models(ws)
        assert mv.spec == "tabular-gbm@1" and mv.card["split"] == "time"
    finally:
        gen.close()
        ws.close()
