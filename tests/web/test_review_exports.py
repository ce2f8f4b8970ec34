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


def _csv_rows(ws: Any, tmp_path: Any, *extra: str) -> dict[str, dict[str, str]]:
    text = _export(ws, tmp_path, "csv", *extra).read_text(encoding="utf-8-sig")
    return {r["item_id"]: r for r in csv.DictReader(io.StringIO(text))}


def _open_queue(ws: Any, item_id: str | None = None) -> int:
    import sqlalchemy as sa

    q = ws.store.t.review_queue
    where = [q.c.status == "open"] + ([q.c.item_id == item_id] if item_id else [])
    with ws.store.read() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(q).where(*where))
                   .scalar() or 0)


@pytest.mark.parametrize("how", ["forced run", "new model version"])
def test_decisions_outlive_the_prediction_they_were_made_on(queued_ws: Any,
                                                            decided: dict[str, Any],
                                                            tmp_path: Any, how: str) -> None:
    """The item is predicted again (the same model forced, or a new champion): the
    people's decisions still reach the export, with their names, and act queues nothing
    they already decided (it used to forget them and ask again)."""
    from glamlab.actions import act
    from glamlab.inference import run
    from glamlab.predictors.catalogue import get
    from glamlab.registry import save_model, use_model

    (corrected, right), accepted, rejected = (decided["corrected"], decided["accepted"],
                                              decided["rejected"])
    model = "majority"
    open_before = _open_queue(queued_ws)
    if how == "forced run":
        report = run(queued_ws, model, workers=0, force=True)
    else:  # a new champion that predicts the rejected item's queued label everywhere
        items = list(queued_ws.items(limit=2))
        pred = get("majority")().fit(items, [rejected["label"]] * 2,
                                     classes=queued_ws.card.labels)
        model = save_model(queued_ws, pred, name="retrained", aliases=["champion"]).spec
        use_model(queued_ws, model)  # chosen as the model in use (a new name's champion
        report = run(queued_ws, model, workers=0)  # is not put to work on its own)
    assert report.done == queued_ws.count_items()
    acted = act(queued_ws, model=model)
    assert acted.decided_by_people >= 2
    # a candidate still open from the earlier prediction is not queued twice; only the
    # rejected item may come back, with a label the person did not see
    assert open_before <= _open_queue(queued_ws) <= open_before + 1
    for row in (corrected, accepted):
        assert _open_queue(queued_ws, row["item_id"]) == 0
    by = _csv_rows(queued_ws, tmp_path, "--model", model)
    c = by[corrected["item_id"]]
    assert (c["value"], c["action"], c["confirmed_by"], c["decision"]) == (
        right, "accept", "rey", "correct")
    a = by[accepted["item_id"]]
    assert (a["value"], a["action"], a["confirmed_by"]) == (accepted["label"], "accept", "rey")
    r = by[rejected["item_id"]]
    if r["predicted_value"] == rejected["label"]:  # the candidate the person turned down
        assert (r["action"], r["confirmed_by"], r["decision"]) == ("reject", "rey", "reject")
        assert _open_queue(queued_ws, rejected["item_id"]) == 0
    else:  # another label: the person said nothing about it
        assert not r["confirmed_by"] and r["origin"] == "machine"
    if how == "new model version":
        assert r["predicted_value"] == rejected["label"]


def test_the_reports_page_counts_no_reviewer_time_for_what_people_decided(
        queued_ws: Any, decided: dict[str, Any], client_for: Any) -> None:
    """After a forced run, the overview's dry run says how many items still need a
    person, leaving out those a reviewer already decided."""
    from glamlab.inference import run
    from glamlab.reports.overview import compute_act

    run(queued_ws, "majority", workers=0, force=True)
    act = compute_act(queued_ws)["result"]["act"]
    assert act["review_already_decided"] >= 2
    page = client_for("rey").get("/reports").text
    assert f"({act['review_already_decided']} more already decided by a reviewer" in page
    assert f"<b>{act['counts']['review'] - act['review_already_decided']}</b> to a person" in page
    for b in act["by_label"]:  # the by-label table leaves them out too
        done = b["review_already_decided"]
        cell = f"<td>{b['review'] - done}" + (f" (+{done} already decided)" if done else "")
        assert f"<td>{b['label']}</td><td>{b['accept']}</td>{cell}</td>" in page
    # the stored dry run is out of date once a reviewer decides one more
    import sqlalchemy as sa

    from glamlab.reports.overview import _act_key
    from glamlab.review.decisions import decide

    key = _act_key(queued_ws)
    q = queued_ws.store.t.review_queue
    with queued_ws.store.read() as conn:
        row = conn.execute(sa.select(q).where(q.c.status == "open").limit(1)).one()
    decide(queued_ws, "rey", row.id, "accept", row.version)
    assert _act_key(queued_ws) != key
