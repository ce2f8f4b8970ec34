"""A span's authority link belongs to that span, layer included, and every table export
of an entities project carries it.

- The link store keeps ``glamlab link``'s links as spans with their layer, but the exports
  (and the review page's link choices) looked a link up by item, offsets and type only:
  a nested span where a main-layer span of the same type lies (Paris, LOC, on both)
  got the main span's link, though ``glamlab link`` links the main layer only.
- ``glamlab export --format parquet`` and ``xlsx`` of an entities project wrote one row
  per prediction (the classification export's columns), with no ``authority_id`` nor
  ``layer``: now the CSV's rows and columns (:data:`ENTITY_COLUMNS`).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from glamlab.actions.entity_export import ENTITY_COLUMNS
from glamlab.cli import cli
from tests.cli.test_export_layers import _export, _project


def _linked_project(make_ws: Any, tmp_path: Path, monkeypatch: Any) -> Any:
    """Two texts; the rules find Paris and Lyon on the main layer and again, at the same
    offsets and type, on the nested layer; ``glamlab link`` links the main layer's."""
    ws = _project(make_ws, tmp_path, monkeypatch)
    names = tmp_path / "names.csv"
    with names.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["id", "label", "alt_labels", "type"],
                                  ["Q90", "Paris", "", "LOC"], ["Q456", "Lyon", "", "LOC"],
                                  ["P1", "Durand", "", "PER"]])
    for args in (["authority", "import", str(names)], ["link", "--json"]):
        res = CliRunner().invoke(cli, ["-w", str(ws.root), *args])
        assert res.exit_code == 0, res.output
    report = json.loads(res.output)
    assert report["mentions"] == 3  # the main layer's: Durand, Paris, Lyon
    return ws


def _links(rows: list[dict[str, Any]]) -> dict[tuple[str, str, str], str]:
    """(item, words, layer) -> the authority id written (empty: none)."""
    out = {(str(r["item_id"]), str(r["text"]), str(r["layer"])): r["authority_id"] or ""
           for r in rows}
    assert len(out) == len(rows) == 5  # 3 main spans, 2 nested ones
    return out


def _check(links: dict[tuple[str, str, str], str]) -> None:
    main = {k: v for k, v in links.items() if k[2] == "entity"}
    assert all(main.values()), main  # the linker's answer: a record or NIL
    # the nested spans lie where linked main spans lie, with the same type: no link
    assert links[("a", "Paris", "nested")] == "" and links[("b", "Lyon", "nested")] == ""


def test_a_nested_span_does_not_get_the_main_span_s_link(make_ws: Any, tmp_path: Path,
                                                        monkeypatch: Any) -> None:
    ws = _linked_project(make_ws, tmp_path, monkeypatch)
    _export(ws, "--format", "csv", "--all-layers", "--out", str(tmp_path / "all.csv"))
    with open(tmp_path / "all.csv", encoding="utf-8-sig", newline="") as fh:
        _check(_links(list(csv.DictReader(fh))))

    _export(ws, "--format", "jsonl", "--all-layers", "--out", str(tmp_path / "all.jsonl"))
    rows = []
    for line in (tmp_path / "all.jsonl").read_text("utf-8").splitlines():
        doc = json.loads(line)
        rows += [{"item_id": doc["id"], "text": e["text"], "layer": e.get("layer", "entity"),
                  "authority_id": e.get("authority_id")} for e in doc["entities"]]
    _check(_links(rows))

    # the review page's link choices: the nested span has none to offer
    import sqlalchemy as sa

    from glamlab.actions.link import link_choices

    q = ws.store.t.review_queue
    with ws.store.read() as conn:
        queued = [dict(r._mapping) for r in conn.execute(
            sa.select(q).where(q.c.kind == "prediction"))]
    assert queued
    link_choices(ws, queued)
    spans = [r for r in queued if isinstance(r["value"], dict) and r["label"] == "LOC"]
    by_layer = {(r["item_id"], r["value"].get("layer") or "entity"): r for r in spans}
    assert by_layer[("a", "entity")].get("link"), by_layer[("a", "entity")]
    assert "link" not in by_layer[("a", "nested")]


def test_parquet_and_xlsx_carry_the_csv_s_span_columns(make_ws: Any, tmp_path: Path,
                                                      monkeypatch: Any) -> None:
    import openpyxl
    import pyarrow.parquet as pq

    ws = _linked_project(make_ws, tmp_path, monkeypatch)
    _export(ws, "--format", "csv", "--all-layers", "--out", str(tmp_path / "all.csv"))
    with open(tmp_path / "all.csv", encoding="utf-8-sig", newline="") as fh:
        expected = _links(list(csv.DictReader(fh)))
    _check(expected)

    _export(ws, "--format", "parquet", "--all-layers", "--out", str(tmp_path / "all.parquet"))
    table = pq.read_table(tmp_path / "all.parquet")
    assert table.column_names == ENTITY_COLUMNS
    rows = table.to_pylist()
    assert _links(rows) == expected
    assert {(r["start"], r["end"]) for r in rows if r["text"] == "Paris"} == {(16, 21)}

    _export(ws, "--format", "xlsx", "--all-layers", "--out", str(tmp_path / "all.xlsx"))
    book = openpyxl.load_workbook(tmp_path / "all.xlsx", read_only=True)
    try:  # a read-only workbook keeps its file open until closed
        header, *cells = [list(r) for r in book.active.iter_rows(values_only=True)]
    finally:
        book.close()
    assert header == ENTITY_COLUMNS
    assert _links([dict(zip(header, r, strict=True)) for r in cells]) == expected

    # the main layer by default, as the CSV; a binary format needs a file
    _export(ws, "--format", "parquet", "--out", str(tmp_path / "main.parquet"))
    assert set(pq.read_table(tmp_path / "main.parquet").column("layer").to_pylist()) == {
        "entity"}
    out = _export(ws, "--format", "xlsx", code=1)
    assert "binary" in out and "--out" in out


def test_the_export_page_s_parquet_download_has_the_span_columns(make_ws: Any,
                                                                 tmp_path: Path,
                                                                 monkeypatch: Any) -> None:
    import io

    import pyarrow.parquet as pq
    from fastapi.testclient import TestClient

    from glamlab.auth import add_user
    from glamlab.web import create_app
    from tests.web.conftest import PASSWORD, login

    ws = _linked_project(make_ws, tmp_path, monkeypatch)
    add_user(ws, "ada", PASSWORD, "admin")
    with TestClient(create_app(ws)) as c:
        assert login(c, "ada").status_code == 303
        res = c.get("/stages/export/download?format=parquet&all_layers=1")
        assert res.status_code == 200
    table = pq.read_table(io.BytesIO(res.content))
    assert table.column_names == ENTITY_COLUMNS
    _check(_links(table.to_pylist()))
