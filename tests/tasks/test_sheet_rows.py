"""Every reader of a sheet a person filled in (``glamlab.sheets.read_sheet``: label
imports, web uploads) refuses or reports a row with more cells than the header (a cell
holding the delimiter, unquoted) instead of cutting it down to the header's columns, and
refuses a quote that is never closed instead of reading the rest of the file as one cell."""

from __future__ import annotations

from pathlib import Path

import pytest

from glamlab.errors import IngestError, LabelError
from glamlab.files import UploadError
from glamlab.sheets import read_sheet
from glamlab.tasks import gold_labels, uploads


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_a_row_longer_than_the_header_is_refused_or_reported(tmp_path) -> None:
    f = _write(tmp_path / "s.csv", "id,label\na,x\nb,y, z\nc,w,\n")
    with pytest.raises(IngestError, match=r"line 3: 3 values where the header has 2 "
                                          r"columns") as info:
        read_sheet(f)
    assert "double quotes" in (info.value.hint or "")
    problems: list[tuple[int, str]] = []
    header, rows = read_sheet(f, problems=problems)
    assert header == ["id", "label"]
    # the long row is left out, never cut down to "y"; a trailing empty cell is fine
    assert rows == [(2, {"id": "a", "label": "x"}), (4, {"id": "c", "label": "w"})]
    assert [n for n, _ in problems] == [3]
    assert "comma (',') in double quotes" in problems[0][1]


def test_semicolons_name_the_semicolon(tmp_path) -> None:
    f = _write(tmp_path / "s.csv", "id;label\na;x;y\n")
    with pytest.raises(LabelError, match="semicolon"):
        read_sheet(f, error=LabelError)


def test_a_quote_never_closed_refuses_the_sheet_naming_its_line(tmp_path) -> None:
    f = _write(tmp_path / "q.csv", 'id,label\na,x\nb,"y\nc,z\nd,w\n')
    with pytest.raises(LabelError, match="q.csv line 3: a quote opens in this line and is "
                                         "never closed") as info:
        read_sheet(f, error=LabelError, problems=[])
    assert "close the quote" in (info.value.hint or "")


def test_an_uploaded_table_with_a_long_row_brings_the_rest_in(make_ws, tmp_path) -> None:
    ws = make_ws(labels=["maps", "people", "nature"], multi_label=True, modality="text")
    f = _write(tmp_path / "up.csv", "id,text,label\n"
                                    "u1,a map of the town,maps\n"
                                    "u2,a crowd in a park,people, nature\n"
                                    "u3,a river valley,nature\n")
    preview = uploads.preview_table(ws, f)
    assert preview["rows"] == 2
    out = uploads.bring_in_table(ws, f, id_column="id", text_column="text",
                                 label_column="label")
    # named by the uploaded file, not the server's folder it was saved in
    assert [p["item"] for p in out["problems"]] == [f"{f.name}:line 3"]
    assert "4 values where the header has 3 columns" in out["problems"][0]["reason"]
    gold = gold_labels(ws)
    assert gold == {"u1": ["maps"], "u3": ["nature"]}  # u2 not labelled "people" alone


def test_a_tabular_upload_with_a_long_row_is_refused_naming_the_line(make_ws, tmp_path) -> None:
    ws = make_ws("rows", task="no-shows", modality="tabular", labels=["0", "1"])
    f = _write(tmp_path / "rows.csv", "id,date,outcome\n"
                                      "b1,2020-01-01,0\n"
                                      "b2,2020-01-02,1,extra\n")
    with pytest.raises(UploadError, match="line 3: 4 values where the header has 3 columns"):
        uploads.preview_rows(ws, f)


def test_a_stray_quote_inside_a_cell_does_not_refuse_the_sheet(tmp_path) -> None:
    from glamlab.errors import LabelError
    from glamlab.sheets import read_sheet

    path = tmp_path / "labels.csv"
    path.write_text('id,label,note\nA1,people,"Moby Dick" by Melville\nA2,nature,x\n',
                    encoding="utf-8")
    header, rows = read_sheet(path, error=LabelError)
    assert header == ["id", "label", "note"]
    assert [r["note"] for _, r in rows] == ["Moby Dick by Melville", "x"]


def test_an_upload_whose_labels_conflict_with_earlier_ones_says_what_to_do_in_the_web_app(
        make_ws, tmp_path) -> None:
    """A sheet uploaded again with other labels for the same items is refused (the labels
    given before are kept); its hint named the command's --replace, which the web app's
    upload has none of."""
    ws = make_ws(labels=["maps", "people", "nature"], multi_label=True, modality="text")
    first = _write(tmp_path / "up.csv", "id,text,label\nu1,a map of the town,maps\n")
    uploads.bring_in_table(ws, first, id_column="id", text_column="text", label_column="label")
    again = _write(tmp_path / "up2.csv", "id,text,label\nu1,a map of the town,people\n")
    out = uploads.bring_in_table(ws, again, id_column="id", text_column="text",
                                 label_column="label")
    (problem,) = out["label_problems"]
    assert "conflicts with the labels" in problem["reason"]
    assert "--replace" not in problem["hint"] and "replace=True" not in problem["hint"]
    assert "open it on the Labelling page" in problem["hint"]
    assert gold_labels(ws) == {"u1": ["maps"]}  # nothing already stored is lost


def test_an_uploaded_table_with_a_long_ocr_text_is_read_whole(make_ws, tmp_path) -> None:
    """A cell over the csv module's 131,072-character default (a book's OCR text) refused
    the whole upload with a quoting hint; `glamlab ingest` of the same table read it.
    The process's limit is put back afterwards."""
    import csv

    ws = make_ws(labels=["maps", "people"], modality="text")
    long_text = "the river and the town " * 10_000  # 230,000 characters
    f = _write(tmp_path / "up.csv", f"id,text,label\nu1,{long_text},maps\nu2,a crowd,people\n")
    before = csv.field_size_limit()
    header, rows = read_sheet(f)
    assert [r["text"] for _, r in rows] == [long_text, "a crowd"]
    out = uploads.bring_in_table(ws, f, id_column="id", text_column="text",
                                 label_column="label")
    assert out["problems"] == []
    assert gold_labels(ws) == {"u1": ["maps"], "u2": ["people"]}
    assert csv.field_size_limit() == before
