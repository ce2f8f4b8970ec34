"""Label sheets as people fill them: half-filled, ``;``-separated (Excel in French or
German), with a BOM, or Excel workbooks."""

from __future__ import annotations

import pytest

from glamlab.errors import LabelError
from glamlab.tasks import gold_labels, import_labels
from tests.tasks.helpers import add_items


@pytest.fixture
def ws(make_ws):
    ws = make_ws(labels=["blank", "content"], modality="text")
    add_items(ws, [{"id": f"p{i}", "text": f"page {i}"} for i in range(6)])
    return ws


def test_a_half_filled_sheet_imports_the_filled_rows_and_reports_the_blank(ws, tmp_path):
    f = tmp_path / "half.csv"
    f.write_text("\ufeffid;label;text\np0;blank;page 0\np1;;page 1\np2;content;x\np3; ;y\n",
                 encoding="utf-8")
    r = import_labels(ws, f)
    assert (r.items, r.added) == (2, 2)
    assert r.blank == ["p1", "p3"]
    assert "2 rows have no label yet" in r.summary() and "p1, p3" in r.summary()
    assert gold_labels(ws) == {"p0": ["blank"], "p2": ["content"]}
    # a bad row still stops the whole import
    f.write_text("id;label\np4;maybe\np5;\n", encoding="utf-8")
    with pytest.raises(LabelError, match="unknown label"):
        import_labels(ws, f)


def test_a_semicolon_sheet_without_the_label_column_names_its_columns(ws, tmp_path):
    f = tmp_path / "fr.csv"
    f.write_text("id;étiquette\np0;blank\n", encoding="utf-8")
    with pytest.raises(LabelError) as info:
        import_labels(ws, f)
    assert "'label'" in info.value.message and "id, étiquette" in info.value.message
    assert "--label-column" in (info.value.hint or "")
    assert import_labels(ws, f, label_column="étiquette").items == 1


def test_an_xlsx_sheet_is_imported(ws, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["id", "label", "text"])
    sheet.append(["p0", "content", "page 0"])
    sheet.append(["p1", None, "page 1"])
    sheet.append([None, None, None])
    sheet.append(["p2", "blank", None])
    book.save(tmp_path / "l.xlsx")
    r = import_labels(ws, tmp_path / "l.xlsx")
    assert (r.items, r.blank) == (2, ["p1"])
    assert gold_labels(ws) == {"p0": ["content"], "p2": ["blank"]}
