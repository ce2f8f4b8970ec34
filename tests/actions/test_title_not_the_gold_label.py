"""A table ingested with its label column (``id,text,label``, as a labelled sheet or the
shared language data come) keeps that column as metadata, recorded in ``[leakage]
label_columns``. An item's title falls back to a ``label`` field (a IIIF canvas's label),
so the gold label came out as the item's ``title``: in the export's ``title`` column and in
the ``labels sample`` sheet, where a person labelling the test set saw the answer beside
the text. A recorded label column is never read as the title."""

from __future__ import annotations

import csv
import io
from typing import Any

from click.testing import CliRunner

from glamlab.actions import export
from glamlab.cli import cli
from glamlab.sheets import read_sheet

from .helpers import act_on_two_pages, add_items

META = {"p1": {"label": "blank", "shelfmark": "MS 12"},
        "p2": {"label": "content", "title": "Letter to Zola"}}


def _ws(make_ws: Any) -> Any:
    ws = make_ws("pages", task="blank-pages", labels=["blank", "content"],
                 positive_label="blank")
    add_items(ws, [{"item_id": i, "meta": m} for i, m in META.items()])
    ws.card.raw["leakage"] = {"label_columns": ["label"]}
    ws.save_card()
    return ws


def test_the_export_title_is_never_the_label_column(make_ws: Any, tmp_path: Any) -> None:
    ws = _ws(make_ws)
    act_on_two_pages(ws)
    export(ws, "csv", tmp_path / "e.csv")
    text = (tmp_path / "e.csv").read_text(encoding="utf-8-sig")
    rows = {r["item_id"]: r for r in csv.DictReader(io.StringIO(text))}
    assert rows["p1"]["title"] == ""  # not "blank", the gold label
    assert rows["p2"]["title"] == "Letter to Zola"  # a title of its own stays


def test_the_label_sheet_does_not_show_the_answer_as_title(make_ws: Any, tmp_path: Any) -> None:
    ws = _ws(make_ws)
    out = tmp_path / "sheet.csv"
    res = CliRunner().invoke(cli, ["-w", str(ws.root), "labels", "sample", "--n", "2",
                                   "--out", str(out)])
    assert res.exit_code == 0, res.output
    _header, rows = read_sheet(out)
    titles = {r["id"]: r["title"] for _, r in rows}
    assert titles == {"p1": "", "p2": "Letter to Zola"}
