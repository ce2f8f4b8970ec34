"""``glamlab models`` showed empty training-row and score columns for a table model:
its card keeps ``train_rows`` (not ``train_items``), and no evaluation scored it yet."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from click.testing import CliRunner

from glamlab.cli import cli
from tests import bookings


def test_a_table_models_rows_and_missing_score_are_said(make_ws: Any, tmp_path: Path) -> None:
    from glamlab.registry import describe_models
    from glamlab.registry.training import train

    ws = bookings.rows_project(make_ws, tmp_path)
    train(ws, "tabular-gbm")
    row = describe_models(ws)[0]
    assert row["train_items"] and row["train_items"] > 0
    base = ["-w", str(ws.root)] + ([] if ws.store.is_sqlite else ["--db", ws.store.url])
    res = CliRunner().invoke(cli, [*base, "models"])
    assert res.exit_code == 0, (res.output, res.exception)
    line = next(x for x in res.output.splitlines() if x.startswith("tabular-gbm@1"))
    assert f" {row['train_items']} " in line
    assert line.count("—") == 2  # metric and score, not blank
    assert "not scored on the test split yet (tabular-gbm@1); glamlab evaluate" in res.output
