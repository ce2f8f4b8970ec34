"""An item metadata field named like one of the export's own columns but for case
(``Title`` beside ``title``, ``URI``, ``Value``) came as a second column of that name:
Excel, OpenRefine and SQL do not tell ``title`` from ``Title``, so which was which was
anyone's guess. Now such a field comes as ``meta_FIELD`` (``meta_Title``), the same in
every format that makes columns of the fields: CSV, xlsx, JSON lines, Parquet, the Annif
folder's ``index.tsv``, the entity CSV, the INCEpTION folder's ``index.tsv`` and
:func:`glamlab.predictions_frame`. A field itself called ``meta_title`` keeps its own
values (the export read it as the field ``title``)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from glamlab.actions import act, export

from .helpers import act_on_two_pages, add_items

META = {
    "p1": {"Title": "Letter to Zola", "URI": "ark:/1", "Value": "high",
           "meta_title": "shelf title 1", "File": "f1.tif", "shelfmark": "MS 12"},
    "p2": {"Title": "Blank verso", "URI": "ark:/2", "meta_title": "shelf title 2",
           "File": "f2.tif", "shelfmark": "MS 13"},
}
ASKED = ["Title", "URI", "Value", "meta_title", "File", "shelfmark"]
# the column each field comes as in the classification exports
WANT = {"Title": "meta_Title", "URI": "meta_URI",
        "Value": "meta_Value", "meta_title": "meta_meta_title", "File": "File",
        "shelfmark": "shelfmark"}


@pytest.fixture
def ws(make_ws: Any) -> Any:
    ws = make_ws("pages", task="blank-pages", labels=["blank", "content"],
                 positive_label="blank")
    add_items(ws, [{"item_id": i, "uri": f"https://img.example.org/{i}.jpg", "meta": m}
                   for i, m in META.items()])
    act_on_two_pages(ws)
    return ws


def _unique_ignoring_case(columns: list[str]) -> None:
    folded = [c.casefold() for c in columns]
    assert len(folded) == len(set(folded)), columns


def _check(rows: list[dict[str, Any]], empty: Any = "") -> None:
    assert {r["item_id"] for r in rows} == set(META)
    for r in rows:
        own = META[r["item_id"]]
        for field, column in WANT.items():
            assert r[column] == own.get(field, empty), (field, column, r)
        assert r["uri"] == f"https://img.example.org/{r['item_id']}.jpg"  # the export's own


def test_a_field_named_like_a_column_but_for_case_comes_as_meta_field(ws: Any,
                                                                      tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    from glamlab.actions.export import columns
    from glamlab.sheets import read_sheet
    from glamlab.tasks.kinds import task_kind

    own = [*columns(task_kind(ws.card)), "title", "text"]
    want = [*own, *WANT.values()]
    export(ws, "csv", tmp_path / "o.csv", meta=ASKED)
    got = list(csv.DictReader(io.StringIO((tmp_path / "o.csv").read_text("utf-8-sig"))))
    assert list(got[0]) == want
    _unique_ignoring_case(list(got[0]))
    _check(got)
    export(ws, "jsonl", tmp_path / "o.jsonl", meta=ASKED)
    lines = [json.loads(x) for x in (tmp_path / "o.jsonl").read_text("utf-8").splitlines()]
    assert list(lines[0]) == want
    _check(lines, None)
    export(ws, "parquet", tmp_path / "o.parquet", meta=ASKED)
    table = pq.read_table(tmp_path / "o.parquet")
    assert table.column_names == want
    _check(table.to_pylist(), None)
    export(ws, "xlsx", tmp_path / "o.xlsx", meta=ASKED)
    sheet = read_sheet(tmp_path / "o.xlsx")
    assert list(sheet[0]) == want
    # [export] meta in the card: the same columns
    ws.card.raw["export"] = {"meta": ASKED}
    ws.save_card()
    export(ws, "csv", tmp_path / "card.csv")
    assert (tmp_path / "card.csv").read_text("utf-8-sig") == (
        tmp_path / "o.csv").read_text("utf-8-sig")


def test_the_annif_index_and_the_dataframe_name_such_a_field_meta_field(
        ws: Any, tmp_path: Path) -> None:
    from glamlab import predictions_frame

    export(ws, "annif", tmp_path / "annif", meta=["File", "Item_ID", "shelfmark"])
    index = (tmp_path / "annif" / "index.tsv").read_text("utf-8").splitlines()
    assert index[0].split("\t") == ["file", "item_id", "meta_File", "meta_Item_ID",
                                    "shelfmark"]
    rows = [dict(zip(index[0].split("\t"), line.split("\t"), strict=True))
            for line in index[1:]]
    assert [(r["item_id"], r["meta_File"], r["shelfmark"]) for r in rows] == [
        (i, META[i]["File"], META[i]["shelfmark"]) for i in sorted(META)]
    items = ws.store.t.items  # fields named like the frame's columns id and label
    with ws.store.write() as conn:
        conn.execute(items.update().where(items.c.item_id == "p2").values(
            meta={**META["p2"], "ID": "x2", "Label": "verso"}))
    df = predictions_frame(ws, meta=["ID", "Label", "shelfmark"])
    assert list(df.columns)[-3:] == ["meta_ID", "meta_Label", "shelfmark"]
    assert df["meta_Label"].iloc[1] == "verso" and df["meta_Label"].isna().iloc[0]
    _unique_ignoring_case(list(df.columns))


def test_the_entity_csv_and_inception_index_name_such_a_field_meta_field(
        make_ws: Any, tmp_path: Path) -> None:
    from glamlab.actions.entity_export import ENTITY_COLUMNS, export_entities
    from tests.ner_project import gold_and_new_texts

    ws, _gold = gold_and_new_texts(make_ws, tmp_path, 2)
    items = ws.store.t.items
    with ws.store.write() as conn:
        for n, item_id in enumerate(("new0", "new1")):
            conn.execute(items.update().where(items.c.item_id == item_id).values(
                meta={"Type": f"article {n}", "TEXT": f"ocr {n}", "File": f"f{n}.xml"}))
    act(ws, model="gazetteer@1")
    out = tmp_path / "e.csv"
    export_entities(ws, "csv", out, model="gazetteer@1", meta=["Type", "TEXT", "File"])
    rows = list(csv.DictReader(io.StringIO(out.read_text("utf-8-sig"))))
    assert list(rows[0]) == [*ENTITY_COLUMNS, "meta_Type", "meta_TEXT", "File"]
    mine = [r for r in rows if r["item_id"] in ("new0", "new1")]
    assert mine
    for r in mine:
        n = r["item_id"][-1]
        assert (r["meta_Type"], r["meta_TEXT"], r["File"]) == (
            f"article {n}", f"ocr {n}", f"f{n}.xml")
        assert r["type"] != r["meta_Type"] and r["text"] != r["meta_TEXT"]
    export_entities(ws, "inception", tmp_path / "inc", model="gazetteer@1",
                    meta=["File", "Type"])
    head = (tmp_path / "inc" / "index.tsv").read_text("utf-8").splitlines()[0]
    assert head.split("\t") == ["file", "item_id", "meta_File", "Type",
                               "glamlab_sha256"]


def test_iter_rows_takes_the_metadata_fields_by_name(ws: Any) -> None:
    """``glamlab.actions.iter_rows(ws, details=[...])``, public, takes the metadata fields
    to add, as its documentation always said. It came to take (column, field) pairs
    instead: a list of names raised "too many values to unpack", and a two-letter name
    (``id``) was read as the column ``i`` of the field ``d``, without a word."""
    from glamlab.actions import iter_rows

    rows = list(iter_rows(ws, details=ASKED))
    assert rows and all(set(WANT.values()) <= set(e.details) for e in rows)
    for e in rows:
        own = META[e.item.item_id]
        assert {c: e.details[c] for f, c in WANT.items()} == {
            c: own.get(f) for f, c in WANT.items()}
        assert e.details["title"] == e.item.title  # with the title and text, as before
    shelf = list(iter_rows(ws, details=["shelfmark", "id"]))
    assert {e.item.item_id: (e.details["shelfmark"], e.details["id"]) for e in shelf} == {
        i: (m["shelfmark"], None) for i, m in META.items()}
