"""`glamlab.registry.training.train` (the README's Python training call) in a tabular
project trains as `glamlab train` does there: on the rows before the time split."""

from __future__ import annotations

import pandas as pd

from glamlab.registry.training import train
from glamlab.tasks.tabular import train_until
from tests import bookings


def test_python_train_in_a_tabular_project_trains_on_the_rows(make_ws, tmp_path) -> None:
    """It used to fail with "tabular-gbm needs the table's schema; fix: pass schema= (the
    [tabular] section of glamlab.toml)", which a notebook cannot act on."""
    ws = bookings.rows_project(make_ws, tmp_path)
    table = pd.read_csv(tmp_path / "rows.csv")
    cutoff = train_until(ws)
    assert cutoff
    before = table[(table["arrival_date"] < cutoff) & table["is_canceled"].notna()]
    res = train(ws, "tabular-gbm")
    assert res.model.spec == "tabular-gbm@1" and res.champion
    assert res.train_items == len(before) == res.model.card["train_rows"]
    assert res.model.card["train_until"] == cutoff
    again = train(ws, "tabular-share", name="share")
    assert again.model.spec == "share@1" and again.train_items == len(before)
