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
    # one blank row is said as one: not "1 rows have ... fill them in"
    f.write_text("id;label\np4;blank\np5;\n", encoding="utf-8")
    one = import_labels(ws, f).summary()
    assert one.startswith("1 item labelled from 2 rows (1 label added, 0 items unchanged)")
    assert ("1 row has no label yet and was left out (p5): fill it in and import the file "
            "again") in one
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
    assert "label_column=" in (info.value.hint or "")  # Python is told its argument
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


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_a_sample_sheet_carries_text_title_link_and_comes_back_half_filled(
        make_ws, tmp_path, suffix):
    if suffix == "xlsx":
        pytest.importorskip("openpyxl")
    from click.testing import CliRunner

    from glamlab.cli import cli
    from glamlab.sheets import read_sheet, write_sheet

    ws = make_ws(labels=["blank", "content"], modality="text")
    add_items(ws, [{"id": f"-{i}00", "text": f"Texte de la page {i} " * 80,
                    "uri": f"https://example.org/p{i}.jpg", "meta": {"title": f"Page {i}"}}
                   for i in range(4)])
    out = tmp_path / f"sheet.{suffix}"
    res = CliRunner().invoke(cli, ["-w", str(ws.root), "labels", "sample", "--n", "3",
                                   "--out", str(out)])
    assert res.exit_code == 0, res.output
    if suffix == "csv":
        assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    header, rows = read_sheet(out)
    assert header == ["id", "label", "title", "text", "link"]
    assert len(rows) == 3
    first = rows[0][1]
    n = first["id"][1]
    assert first["id"].startswith("-")  # ids are not altered
    assert first["title"] == f"Page {n}" and first["link"] == f"https://example.org/p{n}.jpg"
    assert first["text"].startswith(f"Texte de la page {n}") and len(first["text"]) == 1000
    # the person labels the first row only
    filled = [[r["id"], "content" if k == 0 else "", r["title"], r["text"], r["link"]]
              for k, (_, r) in enumerate(rows)]
    mode, kw = ("wb", {}) if suffix == "xlsx" else ("w", {"encoding": "utf-8", "newline": ""})
    with open(out, mode, **kw) as fh:
        write_sheet(fh, header, filled, fmt=suffix, id_columns=["id"])
    res = CliRunner().invoke(cli, ["-w", str(ws.root), "labels", "import", str(out)])
    assert res.exit_code == 0, res.output
    assert "1 item labelled" in res.output and "2 rows have no label yet" in res.output
    assert "1 items" not in res.output
    assert gold_labels(ws) == {first["id"]: ["content"]}
