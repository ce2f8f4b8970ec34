"""What glamlab writes as JSON for programs is JSON: a value that is not a number (NaN,
infinity) is written as null, never as Python's bare ``NaN`` token, which jq, a browser's
``JSON.parse``, PostgreSQL's ``jsonb`` and OpenRefine refuse. Session 52 made the store
write strict JSON; these are the files and the ``--json`` documents glamlab writes."""

from __future__ import annotations

import json
from typing import Any

from click.testing import CliRunner

from glamlab.cli import cli
from tests import bookings


def _refuse(token: str) -> Any:
    raise ValueError(f"{token} is not JSON")


def strict(text: str) -> Any:
    """``text`` read as JSON, refusing NaN, Infinity and -Infinity as a JSON reader does."""
    return json.loads(text, parse_constant=_refuse)


def _base(ws: Any) -> list[str]:
    return ["-w", str(ws.root)] + ([] if ws.store.is_sqlite else ["--db", ws.store.url])


def _run(ws: Any, *args: str) -> str:
    res = CliRunner().invoke(cli, [*_base(ws), *args])
    assert res.exit_code == 0, (args, res.output, res.exception)
    return res.stdout


def test_a_backtest_over_a_month_with_one_outcome_prints_json(make_ws, tmp_path):
    """A month whose bookings all went ahead (no cancellation) has no AUC: the backtest's
    ``--json`` said ``"auc": {"value": NaN, ...}``, and ``jq`` refused the whole document."""
    from glamlab.tasks.tabular import ingest_table

    ws = make_ws("b", task="no-shows", modality="tabular", labels=["0", "1"])
    table = bookings.raw().sort_values("arrival_date").head(300).reset_index(drop=True)
    month = table["arrival_date"].astype(str).str[:7]
    table.loc[month == month.max(), "is_canceled"] = "0"  # a quiet month: nobody cancelled
    table.to_csv(tmp_path / "rows.csv", index=False)
    ingest_table(ws, tmp_path / "rows.csv", time_column="arrival_date",
                 label_column="is_canceled", id_column="id", group_columns=["hotel"],
                 never_features=list(bookings.NEVER))
    doc = strict(_run(ws, "backtest", "--json"))
    for model in doc["models"]:
        assert doc["overall"][model]["auc"] == {"value": None, "low": None, "high": None}
        assert doc["overall"][model]["brier"]["value"] is not None  # the rest as it was
