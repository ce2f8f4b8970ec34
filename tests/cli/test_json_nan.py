"""What glamlab writes as JSON for programs is JSON: a value that is not a number (NaN,
infinity) is written as null, never as Python's bare ``NaN`` token, which jq, a browser's
``JSON.parse``, PostgreSQL's ``jsonb`` and OpenRefine refuse. Session 52 made the store
write strict JSON; these are the files and the ``--json`` documents glamlab writes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner

from glamlab.cli import cli
from tests import bookings

ROOT = Path(__file__).resolve().parents[2]


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


@pytest.fixture
def tate(make_ws, tmp_path):
    """Tate records (the bundled demo sample, real catalogue rows), as a Parquet file
    whose float column ``acquisition_year`` has empty cells and whose ``height_cm`` is
    empty throughout (pandas reads both as NaN), brought in, predicted and acted on."""
    from glamlab.actions import act

    from ..actions.helpers import add_model, add_predictions

    records = ROOT / "src" / "glamlab" / "demo_data" / "subjects" / "records.csv"
    frame = pd.read_csv(records, dtype=str).head(12).rename(columns={"title": "text"})
    frame["acquisition_year"] = pd.to_numeric(frame["acquisition_year"], errors="coerce")
    frame.loc[[1, 3], "acquisition_year"] = float("nan")
    frame["height_cm"] = float("nan")
    path = tmp_path / "tate.parquet"
    frame[["id", "text", "artist", "acquisition_year", "height_cm"]].to_parquet(path)
    ws = make_ws("tate", modality="text", labels=["people", "objects"])
    ws.ingest([str(path)])
    mid = add_model(ws, "subjects", 1)
    add_predictions(ws, mid, {i: {"people": 0.95, "objects": 0.05} for i in frame["id"]})
    ws.card.raw["policy"] = {"field": "subject", "labels": {
        "people": {"accept": 0.9, "review": 0.5}, "objects": {"accept": 0.9, "review": 0.5}}}
    ws.card.raw["export"] = {"base_url": "https://example.museum/annos/",
                             "meta": ["artist", "acquisition_year", "height_cm"]}
    ws.save_card()
    act(ws)
    return ws, frame


def test_a_table_with_empty_number_cells_comes_out_as_json(tate, tmp_path):
    """Guards the whole way, ingest to export: the empty cells are null in ``items list
    --json``, ``items show --json``, the JSON Lines and the W3C export."""
    ws, frame = tate
    empty = frame.loc[1, "id"]
    listed = {r["item_id"]: r for r in strict(_run(ws, "items", "list", "--json"))}
    assert len(listed) == 12
    shown = strict(_run(ws, "items", "show", empty, "--json"))
    assert shown["meta"]["acquisition_year"] is None and shown["meta"]["height_cm"] is None
    _run(ws, "export", "--format", "jsonl", "--out", str(tmp_path / "out.jsonl"))
    rows = [strict(line) for line in
            (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 12
    by_id = {r["item_id"]: r for r in rows}
    assert by_id[empty]["acquisition_year"] is None and by_id[empty]["height_cm"] is None
    assert by_id[frame.loc[0, "id"]]["acquisition_year"] == float(frame.loc[0, "acquisition_year"])
    _run(ws, "export", "--format", "w3c", "--out", str(tmp_path / "out.jsonld"))
    doc = strict((tmp_path / "out.jsonld").read_text(encoding="utf-8"))
    assert len(doc["first"]["items"]) == 12
