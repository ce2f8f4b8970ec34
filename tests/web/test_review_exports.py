"""A reviewer's work reaches every export: decisions made in the web app show up in
``glamlab export`` in every format, with the person's value, action and name."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from click.testing import CliRunner

from glamlab.cli import cli

from .conftest import csrf_of


def _decide(c: Any, row: dict[str, Any], action: str, label: str | None = None) -> None:
    body: dict[str, Any] = {"queue_id": row["id"], "action": action,
                            "seen_version": row["version"]}
    if label:
        body["label"] = label
    r = c.post("/api/decisions", json=body, headers={"X-CSRF-Token": csrf_of(c)})
    assert r.status_code == 200 and r.json()["ok"], r.text


@pytest.fixture
def decided(client_for: Any, queued_ws: Any) -> dict[str, Any]:
    """Three queue items decided through the web app: corrected, accepted, rejected."""
    c = client_for("rey")
    rows = c.get("/api/queue?limit=3&sort=oldest").json()
    corrected, accepted, rejected = rows
    other = next(lab for lab in queued_ws.card.labels if lab != corrected["label"])
    _decide(c, corrected, "correct", other)
    _decide(c, accepted, "accept")
    _decide(c, rejected, "reject")
    return {"corrected": (corrected, other), "accepted": accepted, "rejected": rejected}


def _export(ws: Any, tmp_path: Any, fmt: str, *extra: str) -> Any:
    out = tmp_path / f"export.{fmt}"
    res = CliRunner().invoke(cli, ["-w", str(ws.root), "export", "--format", fmt,
                                   "--out", str(out), *extra])
    assert res.exit_code == 0, res.output
    return out


def test_decisions_reach_csv_jsonl_and_parquet(queued_ws: Any, decided: dict[str, Any],
                                               tmp_path: Any) -> None:
    import pyarrow.parquet as pq

    (corrected, right), accepted, rejected = (decided["corrected"], decided["accepted"],
                                              decided["rejected"])
    csv_rows = list(csv.DictReader(io.StringIO(
        _export(queued_ws, tmp_path, "csv").read_text(encoding="utf-8-sig"))))
    jsonl_rows = [json.loads(line) for line in
                  _export(queued_ws, tmp_path, "jsonl").read_text(encoding="utf-8").splitlines()]
    parquet_rows = pq.read_table(_export(queued_ws, tmp_path, "parquet")).to_pylist()
    for rows in (csv_rows, jsonl_rows, parquet_rows):
        by = {r["item_id"]: r for r in rows}
        c = by[corrected["item_id"]]
        assert (c["value"], c["action"], c["confirmed_by"], c["origin"], c["decision"]) == (
            right, "accept", "rey", "person", "correct")
        assert c["predicted_value"] == corrected["label"]
        a = by[accepted["item_id"]]
        assert (a["value"], a["action"], a["confirmed_by"], a["decision"]) == (
            accepted["label"], "accept", "rey", "accept")
        r = by[rejected["item_id"]]
        assert (r["action"], r["confirmed_by"], r["decision"]) == ("reject", "rey", "reject")
        undecided = [row for row in rows if row["item_id"] not in
                     {corrected["item_id"], accepted["item_id"], rejected["item_id"]}]
        assert undecided and {row["action"] for row in undecided} == {"review"}
        assert not any(row["confirmed_by"] for row in undecided)


def test_confirmed_filter_and_label_filter_see_the_people(queued_ws: Any,
                                                          decided: dict[str, Any],
                                                          tmp_path: Any) -> None:
    (corrected, right), accepted, rejected = (decided["corrected"], decided["accepted"],
                                              decided["rejected"])
    out = _export(queued_ws, tmp_path, "jsonl", "--confirmed", "yes")
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert {r["item_id"] for r in rows} == {corrected["item_id"], accepted["item_id"],
                                            rejected["item_id"]}
    out = _export(queued_ws, tmp_path, "jsonl", "--action", "accept", "--label", right)
    ids = {json.loads(line)["item_id"] for line in out.read_text(encoding="utf-8").splitlines()}
    assert corrected["item_id"] in ids and rejected["item_id"] not in ids


def test_decisions_reach_web_annotations(queued_ws: Any, decided: dict[str, Any],
                                         tmp_path: Any) -> None:
    (corrected, right) = decided["corrected"]
    doc = json.loads(_export(queued_ws, tmp_path, "w3c").read_text(encoding="utf-8"))
    annos = doc["first"]["items"]
    mine = [a for a in annos if a.get("confirmedBy") == "rey"]
    assert len(mine) == 3
    assert right in {a["body"]["value"] for a in mine}
    assert {a["action"] for a in mine} == {"accept", "reject"}
