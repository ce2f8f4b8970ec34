"""A record a reviewer checked and found none of the terms applies (every suggestion
rejected, nothing added) reaches every export as the person's decision: before, its
rows of the terms the policy had turned down read as an unreviewed record's ("score 0.1
below review threshold 0.5", nobody named), so nothing said a person had checked the
record. Now every row of the record says who checked it and when, and that no term
applies; and the record trains as one with no term."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from glamlab.actions.export import export

from .conftest import app_with_users, csrf_of
from .test_subject_correction_export import subjects_ws

NONE_APPLIES = ("settled by a gold label: rey checked the whole record and found none of "
                "the terms applies")


def test_a_record_checked_with_no_term_is_the_reviewers_in_every_export(
        make_ws: Any, tmp_path: Any) -> None:
    """rey presses Whole record checked (``d``) on T07768 with nothing accepted: its one
    suggestion (people) is rejected with it, and no term applies."""
    ws = subjects_ws(make_ws)
    users = app_with_users(ws)
    _, _, client = next(users)
    try:
        c = client("rey")
        r = c.post("/queue/record-checked", data={"csrf": csrf_of(c),
                                                  "record_checked": "T07768"},
                   follow_redirects=False)
        assert r.status_code == 303, r.text
        # the Export page says what such a record's rows say
        assert ("where none of the terms applies every row says so"
                in c.get("/stages/export").text)
    finally:
        next(users, None)
    # the spreadsheet: every row of the record names rey, with when, and says why
    out = tmp_path / "export.csv"
    export(ws, "csv", out)
    rows = {r["value"]: r for r in csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig")))}
    assert sorted(rows) == ["nature", "people", "places"]
    for term, r in rows.items():
        assert (r["action"], r["confirmed_by"]) == ("reject", "rey"), (term, r)
        assert r["confirmed_at"], (term, r)
    assert rows["people"]["decision"] == "reject"  # the suggestion rey turned down
    for term in ("nature", "places"):  # those the policy turned down: rey's check says no
        assert (rows[term]["decision"], rows[term]["reason"]) == ("gold", NONE_APPLIES)
    # JSON lines: the same rows
    out = tmp_path / "export.jsonl"
    export(ws, "jsonl", out)
    lines = {r["value"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert {t: (r["confirmed_by"], r["reason"]) for t, r in lines.items() if t != "people"} == {
        "nature": ("rey", NONE_APPLIES), "places": ("rey", NONE_APPLIES)}
    # Parquet
    import pyarrow.parquet as pq

    out = tmp_path / "export.parquet"
    export(ws, "parquet", out)
    table = {r["value"]: r for r in pq.read_table(out).to_pylist()}
    assert {t: r["confirmed_by"] for t, r in table.items()} == dict.fromkeys(table, "rey")
    assert all(r["confirmed_at"] is not None for r in table.values())
    # W3C Web Annotations: each says who confirmed it, and when
    out = tmp_path / "export.json"
    export(ws, "w3c", out)
    annos = json.loads(out.read_text())["first"]["items"]
    assert len(annos) == 3
    for a in annos:
        assert (a["action"], a["confirmedBy"]) == ("reject", "rey"), a
        assert a["confirmedAt"] == rows[a["body"]["value"]]["confirmed_at"], a
    # retraining learns "no term" for it
    from glamlab.tasks.splits import training_data

    data = training_data(ws)
    assert data.targets()[data.ids.index("T07768")] == []
